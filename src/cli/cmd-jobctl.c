/*
 * cmd-jobctl.c -- the five verbs that act on jobs by id and differ only in
 * the method they call: `aura cancel|retry|pause|resume|rm [--json]
 * ID|RANGE... | --all | --state S`. The ids (3, 3-9, 3,5,7: jobs.h) or the
 * jobs in the verb's states are tried in ascending order; a line per job
 * says its new state; the exit status is that of the first error (0 if
 * none). rm --all takes only finished jobs (doc/cli.md).
 *
 * Must never: stop at the first failing id (the others are still tried).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cmd.h"
#include "cli/jobs.h"
#include "client/proto.h"

/*
 * A running job's cancel answers at once while the stop sequence ('q',
 * then SIGTERM, then SIGKILL) goes on. Wait for its end, so that
 * `aura cancel 12 && aura rm 12` works and the line says "cancelled".
 * A client may poll; the bound is the server's own grace periods.
 */
static json_t *await_stop(struct cli_ctx *ctx, struct client *cl, int64_t id, json_t *job)
{
	int64_t limit = (int64_t)(ctx->cfg.quit_grace + ctx->cfg.term_grace + 5) * 1000;
	int64_t deadline = time_mono_ms() + limit;
	json_incref(job);
	for (;;) {
		const char *st = proto_get_str(job, "state");
		int s = st ? job_state_parse(st) : -1;
		if (s < 0 || job_state_terminal(s) || time_mono_ms() >= deadline)
			return job;
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
		json_t *res;
		if (client_call(cl, "get", json_pack("{s:I}", "id", (json_int_t)id), &res, NULL) <
		    0)
			return job;
		json_decref(job);
		job = json_incref(json_object_get(res, "job"));
		json_decref(res);
		if (!job)
			return NULL;
	}
}

#define BIT(s)	 (1u << (s))
#define FINISHED (BIT(JOB_SUCCEEDED) | BIT(JOB_FAILED) | BIT(JOB_CANCELLED))

/* What --all means for a verb, and what --state may name. */
struct jobctl {
	const char *method;
	unsigned all;	 /* --all: the jobs in these states */
	unsigned states; /* --state S: S among these */
};

static const struct jobctl ctl_cancel = { "cancel",
					  BIT(JOB_QUEUED) | BIT(JOB_RUNNING) | BIT(JOB_PAUSED),
					  BIT(JOB_QUEUED) | BIT(JOB_RUNNING) | BIT(JOB_PAUSED) };
static const struct jobctl ctl_retry = { "retry", BIT(JOB_FAILED) | BIT(JOB_CANCELLED),
					 BIT(JOB_FAILED) | BIT(JOB_CANCELLED) };
static const struct jobctl ctl_pause = { "pause", BIT(JOB_RUNNING), BIT(JOB_RUNNING) };
static const struct jobctl ctl_resume = { "resume", BIT(JOB_PAUSED), BIT(JOB_PAUSED) };
/* rm --all never touches a queued job: --state queued says so */
static const struct jobctl ctl_rm = { "rm", FINISHED, FINISHED | BIT(JOB_QUEUED) };

static const struct option jobctl_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "all", no_argument, NULL, 'a' },
	{ "state", required_argument, NULL, 's' },
	{ NULL, 0, NULL, 0 },
};

static const struct option cancel_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "all", no_argument, NULL, 'a' },
	{ "state", required_argument, NULL, 's' },
	{ "batch", required_argument, NULL, 'b' },
	{ NULL, 0, NULL, 0 },
};

/* retry also takes --batch (only with --failed) and --force */
static const struct option retry_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "all", no_argument, NULL, 'a' },
	{ "state", required_argument, NULL, 's' },
	{ "batch", required_argument, NULL, 'b' },
	{ "failed", no_argument, NULL, 'f' },
	{ "force", no_argument, NULL, 'F' },
	{ NULL, 0, NULL, 0 },
};

/* `cancel --batch B` / `retry --batch B --failed`: one request acts on
 * every job of the batch in a state it fits (the rest are skipped). */
static int batch_run(struct cli_ctx *ctx, const char *method, const char *ref, bool json)
{
	struct client *cl;
	int rc = cli_connect(ctx, true, &cl);
	if (rc)
		return rc;
	struct aura_error err;
	json_t *res;
	if (client_call(cl, method, json_pack("{s:s}", "batch", ref), &res, &err) < 0) {
		client_free(cl);
		return cli_fail(&err);
	}
	json_t *ids = json_object_get(res, "ids");
	/* as `cancel ID`: return once the running ones have stopped */
	for (size_t i = 0; strcmp(method, "cancel") == 0 && i < json_array_size(ids); i++) {
		int64_t id = json_integer_value(json_array_get(ids, i));
		json_t *g;
		if (client_call(cl, "get", json_pack("{s:I}", "id", (json_int_t)id), &g, NULL) < 0)
			continue;
		json_decref(await_stop(ctx, cl, id, json_object_get(g, "job")));
		json_decref(g);
	}
	client_free(cl);
	json_t *b = json_object_get(res, "batch");
	if (json)
		cli_print_json(res);
	else
		printf("batch %lld %s: %zu %s, %lld skipped\n",
		       (long long)proto_get_int(b, "id", 0), proto_get_str(b, "name"),
		       json_array_size(ids),
		       strcmp(method, "cancel") == 0 ? "cancelled" : "queued again",
		       (long long)proto_get_int(res, "skipped", 0));
	json_decref(res);
	return 0;
}

/* The ids the verb acts on: its arguments, or --all / --state. */
static int pick_ids(const struct jobctl *v, struct args *a, bool force, struct client **cl,
		    struct cli_ctx *ctx, int64_t **ids, size_t *n)
{
	bool all = args_has(a, 'a'), by_state = args_has(a, 's');
	unsigned allowed = v->states | (force ? BIT(JOB_SUCCEEDED) : 0);
	unsigned mask = v->all | (force ? BIT(JOB_SUCCEEDED) : 0);
	int rc;
	if ((all || by_state) && a->argc > 0)
		return cli_usage_error("give job ids or --all/--state, not both");
	if (all && by_state)
		return cli_usage_error("give --all or --state, not both");
	if (by_state && (rc = cli_parse_states(args_get(a, 's'), allowed, &mask)))
		return rc;
	if (!all && !by_state && (rc = cli_parse_id_list(a->argc, a->argv, ids, n)))
		return rc;
	if ((rc = cli_connect(ctx, true, cl))) {
		if (!all && !by_state)
			free(*ids);
		return rc;
	}
	if (all || by_state) {
		struct aura_error err;
		if (cli_ids_in_states(*cl, mask, ids, n, &err) < 0) {
			client_free(*cl);
			return cli_fail(&err);
		}
	}
	return 0;
}

static int jobctl_run(const struct cmd_entry *e, const struct jobctl *v, struct cli_ctx *ctx,
		      int argc, char **argv)
{
	const char *method = v->method;
	struct args a;
	int rc = args_parse(e, argc, argv, &a, NULL);
	if (rc)
		return rc;
	bool json = args_has(&a, 'j'), force = args_has(&a, 'F');
	if (args_has(&a, 'b')) {
		if (a.argc > 0 || args_has(&a, 'a') || args_has(&a, 's'))
			return cli_usage_error("give job ids, --all/--state or --batch, not two");
		if (force)
			return cli_usage_error("--force goes with job ids, --all or --state");
		if (strcmp(method, "retry") == 0 && !args_has(&a, 'f'))
			return cli_usage_error(
			    "retry --batch B retries only the batch's failed and "
			    "cancelled jobs: add --failed to say so");
		return batch_run(ctx, method, args_get(&a, 'b'), json);
	}
	if (args_has(&a, 'f'))
		return cli_usage_error("--failed goes with --batch");
	if (a.argc == 0 && !args_has(&a, 'a') && !args_has(&a, 's')) {
		cli_usage_error("no job ids given");
		return cmd_usage(e);
	}

	struct client *cl;
	int64_t *ids = NULL;
	size_t n = 0;
	if ((rc = pick_ids(v, &a, force, &cl, ctx, &ids, &n)))
		return rc;

	json_t *results = json_array();
	int status = 0;
	for (size_t i = 0; i < n; i++) {
		int64_t id = ids[i];
		struct aura_error err;
		json_t *res;
		json_t *params = json_pack("{s:I}", "id", (json_int_t)id);
		if (force)
			json_object_set_new(params, "force", json_true());
		if (client_call(cl, method, params, &res, &err) < 0) {
			json_array_append_new(results,
					      json_pack("{s:I,s:b,s:o}", "id", (json_int_t)id, "ok",
							0, "error", proto_error_to_json(&err)));
			int st = cli_fail(&err);
			if (!status)
				status = st;
			/* the connection is gone: the rest would fail the same way */
			if (err.code == AURA_E_SERVER_UNREACHABLE)
				break;
			continue;
		}
		json_t *job = json_incref(json_object_get(res, "job"));
		if (job && strcmp(method, "cancel") == 0) {
			json_t *after = await_stop(ctx, cl, id, job);
			json_decref(job);
			job = after;
		}
		if (json)
			json_array_append_new(
			    results, job ? json_pack("{s:I,s:b,s:O}", "id", (json_int_t)id, "ok", 1,
						     "job", job)
					 : json_pack("{s:I,s:b}", "id", (json_int_t)id, "ok", 1));
		else if (job)
			printf("%lld %s\n", (long long)id, proto_get_str(job, "state"));
		else
			printf("%lld removed (its record and work directory; its output is kept)\n",
			       (long long)id);
		json_decref(job);
		json_decref(res);
	}
	free(ids);
	client_free(cl);
	if (json) {
		json_t *out = json_pack("{s:o}", "results", results);
		cli_print_json(out);
		json_decref(out);
	} else {
		json_decref(results);
	}
	return status;
}

#define JOBCTL(verb, ctl, opts, usage_text, summary_text, help_text)                               \
	extern const struct cmd_entry cmd_##verb##_entry;                                          \
	static int cmd_##verb##_run(struct cli_ctx *ctx, int argc, char **argv)                    \
	{                                                                                          \
		return jobctl_run(&cmd_##verb##_entry, &ctl, ctx, argc, argv);                     \
	}                                                                                          \
	const struct cmd_entry cmd_##verb##_entry = {                                              \
		.name = #verb,                                                                     \
		.usage = usage_text,                                                               \
		.args = { .shorts = "", .longs = opts, .min = 0, .max = ARGS_ANY },                \
		.summary = summary_text,                                                           \
		.help = help_text                                                                  \
		"      --json      {\"results\": [{\"id\", \"ok\", \"job\" | \"error\"}...]}\n",   \
		.flags = CMD_NEEDS_DATA | CMD_JOB_ARGS,                                            \
		.run = cmd_##verb##_run,                                                           \
	};

JOBCTL(cancel, ctl_cancel, cancel_opts,
       "[--json] ID|RANGE... | --all | --state S | --batch ID|NAME",
       "cancel jobs (a running one is stopped)",
       "Stops a running job (FFmpeg is asked to quit, then signalled) and removes\n"
       "its partial outputs, and returns once it has stopped; a queued job is\n"
       "cancelled at once. IDs: 3, 3-9, 3,5,7 (see doc/cli.md).\n\n"
       "      --all       every queued, running or paused job\n"
       "      --state S   those in state S (queued, running, paused; a comma list)\n"
       "      --batch B   every queued, running or paused job of batch B (its id or\n"
       "                  name), in one request\n")
JOBCTL(retry, ctl_retry, retry_opts,
       "[--json] [--force] ID|RANGE... | --all | --state S | --batch ID|NAME --failed",
       "run failed or cancelled jobs again",
       "A video job resumes from its first unfinished stage.\n\n"
       "      --force     also run a succeeded job again (from the start)\n"
       "      --all       every failed or cancelled job (with --force: succeeded too)\n"
       "      --state S   those in state S (failed, cancelled; succeeded with --force)\n"
       "      --batch B   with --failed: every failed or cancelled job of batch B (its\n"
       "                  id or name), in one request\n"
       "      --failed    say that only the batch's failed and cancelled jobs are meant\n")
JOBCTL(pause, ctl_pause, jobctl_opts, "[--json] ID|RANGE... | --all | --state S",
       "pause running jobs (SIGSTOP to their processes)",
       "      --all       every running job\n"
       "      --state S   those in state S (running)\n")
JOBCTL(resume, ctl_resume, jobctl_opts, "[--json] ID|RANGE... | --all | --state S",
       "resume paused jobs",
       "      --all       every paused job\n"
       "      --state S   those in state S (paused)\n")
JOBCTL(rm, ctl_rm, jobctl_opts, "[--json] ID|RANGE... | --all | --state S",
       "remove jobs that are not running or paused",
       "Removes the job's record and its work directory (DATA/jobs/ID: logs,\n"
       "temporary files); never its output. Cancel a running job first.\n\n"
       "      --all       every finished job (succeeded, failed, cancelled); never\n"
       "                  a queued one: say --state queued for those\n"
       "      --state S   those in state S (queued, succeeded, failed, cancelled)\n")
