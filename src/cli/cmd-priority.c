/*
 * cmd-priority.c -- `aura priority [--json] ID N`: change a queued job's
 * priority (higher starts first within its pool); the scheduler's next
 * pick sees it. A job that has started or finished is refused
 * (JOB_BAD_STATE).
 *
 * Must never: touch a job that is not queued.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/jobs.h"
#include "client/proto.h"
#include "base/util.h"

extern const struct cmd_entry cmd_priority_entry;

static const struct option priority_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 },
};

static int cmd_priority_run(struct cli_ctx *ctx, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&cmd_priority_entry, argc, argv, &a, NULL);
	if (rc)
		return rc;
	int64_t id, prio;
	if (!cli_parse_id(a.argv[0], &id))
		return cli_usage_error("'%s' is not a job id", a.argv[0]);
	const char *n = a.argv[1];
	if (!*n || n[strspn(n, "-0123456789")] || parse_int64(n, &prio) < 0 || prio < -1000000 ||
	    prio > 1000000)
		return cli_usage_error("'%s' is not a priority (a whole number, -1000000 to "
				       "1000000)",
				       n);
	struct client *cl;
	if ((rc = cli_connect(ctx, true, &cl)))
		return rc;
	struct aura_error err;
	json_t *res;
	rc = client_call(cl, "priority",
			 json_pack("{s:I,s:I}", "id", (json_int_t)id, "priority", (json_int_t)prio),
			 &res, &err);
	client_free(cl);
	if (rc < 0)
		return cli_fail(&err);
	if (args_has(&a, 'j'))
		cli_print_json(res);
	else
		printf("%lld priority %lld\n", (long long)id, (long long)prio);
	json_decref(res);
	return 0;
}

const struct cmd_entry cmd_priority_entry = {
	.name = "priority",
	.usage = "[--json] ID N",
	.args = { .shorts = "+", .longs = priority_opts, .min = 2, .max = 2 },
	.summary = "change a queued job's priority",
	.help = "N is a whole number from -1000000 to 1000000; within a pool the highest\n"
		"starts first. Only a queued job's priority changes. Options go before ID\n"
		"(so that a negative N is no option).\n\n"
		"      --json   {\"job\": JOB}\n",
	.flags = CMD_NEEDS_DATA | CMD_JOB_ARGS,
	.run = cmd_priority_run,
};
