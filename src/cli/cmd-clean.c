/*
 * cmd-clean.c -- `aura clean [--state S[,S]] [--older-than D] [--batch B]
 * [--dry-run] [--json]`: remove the finished jobs (succeeded, failed,
 * cancelled) in one request and one transaction, as `rm` removes each:
 * the record and the work directory, never the output (pueue clean).
 * `aura clean --retention [--dry-run]` applies [retention] now instead,
 * the server's own pruning (doc/retention.md).
 *
 * Must never: touch a queued, running or paused job.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/jobs.h"
#include "client/proto.h"

extern const struct cmd_entry cmd_clean_entry;

/* "30s", "30m", "12h", "7d", "2w": digits and one unit, nothing else. */
static bool parse_age(const char *s, int64_t *secs)
{
	int64_t v = 0;
	const char *p = s;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (INT64_MAX / 1000 / 604800 - 9) / 10)
			return false;
		v = v * 10 + (*p - '0');
	}
	if (p == s || !p[0] || p[1])
		return false;
	static const char units[] = "smhdw";
	static const int64_t mult[] = { 1, 60, 3600, 86400, 604800 };
	const char *u = strchr(units, *p);
	if (!u)
		return false;
	*secs = v * mult[u - units];
	return true;
}

/* "WHAT N job(s): 1 2 3 WHY" on one line, "WHAT no job" when none. */
static void print_ids(const char *what, json_t *ids, const char *why)
{
	size_t n = json_array_size(ids);
	if (n == 0) {
		printf("%s no job\n", what);
		return;
	}
	printf("%s %zu job%s:", what, n, n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++)
		printf(" %lld", (long long)json_integer_value(json_array_get(ids, i)));
	printf(" %s\n", why);
}

static void print_retention(json_t *res, bool dry)
{
	print_ids(dry ? "work directories to remove:" : "work directories removed:",
		  json_object_get(res, "pruned"), "(records and outputs are kept)");
	json_t *rec = json_object_get(res, "records_removed");
	if (json_array_size(rec) > 0)
		print_ids(dry ? "records to remove:" : "records removed:", rec,
			  "(past [retention] keep_records)");
}

static const struct option clean_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "state", required_argument, NULL, 's' },
	{ "older-than", required_argument, NULL, 'o' },
	{ "batch", required_argument, NULL, 'b' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "retention", no_argument, NULL, 'r' },
	{ NULL, 0, NULL, 0 },
};

static int cmd_clean_run(struct cli_ctx *ctx, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&cmd_clean_entry, argc, argv, &a, NULL);
	if (rc)
		return rc;
	bool dry = args_has(&a, 'n'), retention = args_has(&a, 'r');
	if (retention && (args_has(&a, 's') || args_has(&a, 'o') || args_has(&a, 'b')))
		return cli_usage_error("--retention applies [retention]'s rules: it takes no "
				       "--state, --older-than or --batch");
	json_t *params = json_object();
	if (dry)
		json_object_set_new(params, "dry_run", json_true());
	if (retention)
		json_object_set_new(params, "retention", json_true());
	if (args_has(&a, 's')) {
		unsigned mask;
		unsigned finished = 1u << JOB_SUCCEEDED | 1u << JOB_FAILED | 1u << JOB_CANCELLED;
		if ((rc = cli_parse_states(args_get(&a, 's'), finished, &mask))) {
			json_decref(params);
			return rc;
		}
		json_t *st = json_array();
		for (int s = 0; s < JOB_STATE__COUNT; s++)
			if (mask & (1u << s))
				json_array_append_new(
				    st, json_string(job_state_name((enum job_state)s)));
		json_object_set_new(params, "states", st);
	}
	if (args_has(&a, 'o')) {
		int64_t secs;
		if (!parse_age(args_get(&a, 'o'), &secs)) {
			json_decref(params);
			return cli_usage_error(
			    "--older-than '%s' is not an age such as 30m, 12h or 7d "
			    "(a number and one of s, m, h, d, w)",
			    args_get(&a, 'o'));
		}
		json_object_set_new(params, "older_than_s", json_integer(secs));
	}
	if (args_has(&a, 'b'))
		json_object_set_new(params, "batch", json_string(args_get(&a, 'b')));

	struct client *cl;
	if ((rc = cli_connect(ctx, true, &cl))) {
		json_decref(params);
		return rc;
	}
	struct aura_error err;
	json_t *res;
	rc = client_call(cl, "clean", params, &res, &err);
	client_free(cl);
	if (rc < 0)
		return cli_fail(&err);
	if (args_has(&a, 'j'))
		cli_print_json(res);
	else if (retention)
		print_retention(res, dry);
	else if (dry)
		print_ids("would remove", json_object_get(res, "ids"),
			  "(records and work directories; outputs are kept)");
	else {
		json_int_t n = proto_get_int(res, "removed", 0);
		printf("%lld finished job%s removed (records and work directories; outputs are "
		       "kept)\n",
		       (long long)n, n == 1 ? "" : "s");
	}
	json_decref(res);
	return 0;
}

const struct cmd_entry cmd_clean_entry = {
	.name = "clean",
	.usage = "[--json] [--dry-run] [--state S[,S]] [--older-than D] [--batch ID|NAME] | "
		 "--retention [--dry-run] [--json]",
	.args = { .shorts = "", .longs = clean_opts, .min = 0, .max = 0 },
	.summary = "remove finished jobs in one go",
	.help = "Removes every succeeded, failed and cancelled job, as `rm` does each (the\n"
		"record and DATA/jobs/ID; never the output), in one transaction. Queued,\n"
		"running and paused jobs are never touched.\n\n"
		"      --state S       only those in state S (succeeded, failed, cancelled;\n"
		"                      a comma list)\n"
		"      --older-than D  only those finished at least D ago: a number and\n"
		"                      s, m, h, d or w (30m, 12h, 7d)\n"
		"      --batch B       only those of batch B (its id or name)\n"
		"      --dry-run       list what would be removed; remove nothing\n"
		"      --retention     apply [retention] (keep_days, keep_jobs, keep_records)\n"
		"                      now, as the server does on its own: finished jobs'\n"
		"                      work directories go (their records and outputs\n"
		"                      stay), and records past keep_records; with\n"
		"                      --dry-run only listed (doc/retention.md)\n"
		"      --json          {\"ids\": [ID...], \"removed\": N, \"dry_run\": B}; with\n"
		"                      --retention {\"pruned\": [ID...], \"records_removed\":\n"
		"                      [ID...], \"dry_run\": B}\n",
	.flags = CMD_NEEDS_DATA,
	.run = cmd_clean_run,
};
