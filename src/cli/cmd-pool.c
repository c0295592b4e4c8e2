/*
 * cmd-pool.c -- `aura pool [NAME] [--max-jobs N|default] [--pause
 * [--running]] [--resume] [--json]`: list the pools (executor, limit,
 * running, queued, paused), or change one at run time (the `pool`
 * request, doc/protocol.md). The server keeps the change over a restart.
 *
 * Must never: change anything when no NAME is given, or take a pool's
 * name from anywhere but the command line.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/jobs.h"
#include "client/proto.h"

extern const struct cmd_entry cmd_pool_entry;

enum { OPT_MAX = 1000, OPT_PAUSE, OPT_RESUME, OPT_RUNNING, OPT_JSON };

static const struct option pool_opts[] = {
	{ "max-jobs", required_argument, NULL, OPT_MAX },
	{ "pause", no_argument, NULL, OPT_PAUSE },
	{ "resume", no_argument, NULL, OPT_RESUME },
	{ "running", no_argument, NULL, OPT_RUNNING },
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 },
};

static void print_pools(json_t *pools, const char *only)
{
	printf("%-16s %-8s %5s %7s %6s %s\n", "POOL", "EXECUTOR", "LIMIT", "RUNNING", "QUEUED",
	       "PAUSED");
	size_t i;
	json_t *p;
	json_array_foreach(pools, i, p)
	{
		const char *name = proto_get_str(p, "name");
		if (!name || (only && strcmp(only, name) != 0))
			continue;
		int64_t max = proto_get_int(p, "max_jobs", 0),
			ini = proto_get_int(p, "ini_max_jobs", 0);
		char limit[32];
		snprintf(limit, sizeof(limit), "%lld%s", (long long)max, max != ini ? "*" : "");
		print_cell(name, 16);
		printf(" ");
		print_cell(proto_get_str(p, "executor") ? proto_get_str(p, "executor") : "?", 8);
		printf(" %5s %7lld %6lld %s\n", limit, (long long)proto_get_int(p, "running", 0),
		       (long long)proto_get_int(p, "queued", 0),
		       json_is_true(json_object_get(p, "paused")) ? "yes" : "no");
	}
}

static int cmd_pool_run(struct cli_ctx *ctx, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&cmd_pool_entry, argc, argv, &a, NULL);
	if (rc)
		return rc;
	const char *name = a.argc > 0 ? a.argv[0] : NULL, *max = args_get(&a, OPT_MAX);
	bool pause = args_has(&a, OPT_PAUSE), resume = args_has(&a, OPT_RESUME),
	     running = args_has(&a, OPT_RUNNING);
	if (!name && (max || pause || resume || running))
		return cli_usage_error("--max-jobs, --pause and --resume need a pool's NAME");
	if (pause && resume)
		return cli_usage_error("--pause and --resume together: give one");
	if (running && !pause)
		return cli_usage_error("--running goes with --pause (--resume resumes them)");
	int64_t n = -1;
	if (max && strcmp(max, "default") == 0)
		n = 0;
	else if (max && (parse_int64(max, &n) < 0 || n < 1 || n > 100000))
		return cli_usage_error("--max-jobs %s: a whole number from 1 to 100000, or default",
				       max);
	json_t *params = json_object();
	if (name)
		json_object_set_new(params, "name", proto_string(name));
	if (n >= 0)
		json_object_set_new(params, "max_jobs", json_integer(n));
	if (pause || resume)
		json_object_set_new(params, "paused", json_boolean(pause));
	if (running)
		json_object_set_new(params, "running", json_true());

	struct client *cl;
	if ((rc = cli_connect(ctx, true, &cl)) != 0) {
		json_decref(params);
		return rc;
	}
	struct aura_error err;
	json_t *res;
	if (client_call(cl, "pool", params, &res, &err) < 0) {
		client_free(cl);
		return cli_fail(&err);
	}
	client_free(cl);
	json_t *pools = json_object_get(res, "pools");
	if (args_has(&a, OPT_JSON))
		cli_print_json(pools);
	else
		print_pools(pools, name);
	json_decref(res);
	return 0;
}

const struct cmd_entry cmd_pool_entry = {
	.name = "pool",
	.usage = "[NAME [--max-jobs N|default] [--pause [--running]] [--resume]] [--json]",
	.args = { .shorts = "", .longs = pool_opts, .min = 0, .max = 1 },
	.summary = "list the pools, or change one's limit or pause its queue at run time",
	.help = "      --max-jobs N   let N jobs of the pool run at once (1 to 100000); more\n"
		"                     start at once when raised, none is stopped when lowered;\n"
		"                     default: back to aura.ini's max_jobs\n"
		"      --pause        start no more jobs of the pool (running ones go on)\n"
		"      --running      with --pause: pause its running jobs too\n"
		"      --resume       start its queue again (and resume what --running paused)\n"
		"      --json         print the pools as JSON\n"
		"\n"
		"Without NAME, lists every pool: its executor, limit (a * marks one other than\n"
		"aura.ini's), running and queued jobs, and whether it is paused. With\n"
		"NAME, changes it and prints its line. The server keeps a limit and a pause\n"
		"over a restart, until changed again.\n",
	.flags = CMD_NEEDS_DATA,
	.run = cmd_pool_run,
};
