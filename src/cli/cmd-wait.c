/*
 * cmd-wait.c -- `aura wait [--json] ID...|--batch B`: block until every job has
 * ended; exit 0 only if all succeeded, else 1. A line per job as it ends
 * (or the final jobs as JSON); on a terminal, a progress line on stderr.
 *
 * The follower (cli/follow.h, shared with `aura new --wait`) applies
 * events and answers in the order they arrived, so an older event never
 * overwrites a newer state and a job that ended before we subscribed is
 * still seen as ended.
 *
 * Must never: change a job (Ctrl-C only stops watching: exit 130).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "cli/jobs.h"
#include "cli/progress.h"
#include "client/proto.h"

extern const struct cmd_entry cmd_wait_entry;

struct waitset {
	struct cli_follower fw;
	bool json;
	struct cli_progress bar;
};

static void clear_progress(struct waitset *ws)
{
	cli_progress_clear(&ws->bar);
}

static void show_progress(struct cli_follower *fw, void *ctx)
{
	struct waitset *ws = ctx;
	if (ws->bar.mode == CLI_PROGRESS_OFF)
		return;
	char line[256] = "", key[128] = "";
	size_t n = 0, k = 0;
	size_t shown = 0;
#define ADD(buf, at, ...)                                                                          \
	do {                                                                                       \
		if ((at) < sizeof(buf))                                                            \
			(at) += (size_t)snprintf((buf) + (at), sizeof(buf) - (at), __VA_ARGS__);   \
	} while (0)
	for (size_t i = 0; i < fw->n && shown < 4; i++) {
		struct cli_followed *w = &fw->w[i];
		if (cli_follow_done(fw, w) || !w->job)
			continue;
		int s = cli_follow_state(w);
		ADD(line, n, "%s#%lld %s", shown ? "  " : "", (long long)w->id, job_state_name(s));
		ADD(key, k, "%lld:%s:%s ", (long long)w->id, job_state_name(s), w->stage);
		if (s == JOB_RUNNING || s == JOB_PAUSED) {
			char t[32];
			if (w->progress > 0 || w->duration_us > 0)
				ADD(line, n, " %.0f%%",
				    w->progress * 100 > 99 ? 99 : w->progress * 100);
			else if (w->out_time_us > 0) /* no known total: how far it got */
				ADD(line, n, " at %s",
				    fmt_duration(t, sizeof(t), (double)w->out_time_us / 1e6));
			if (s == JOB_RUNNING && w->eta_s >= 0)
				ADD(line, n, " ETA %s", fmt_duration(t, sizeof(t), w->eta_s));
		}
		shown++;
	}
#undef ADD
	if (shown)
		cli_progress_show(&ws->bar, line, key);
	else
		clear_progress(ws);
}

/* One line per job as it ends: "12 succeeded /path/out.mp4" or
 * "13 failed FFMPEG_UNKNOWN_ENCODER: ...". */
static void report_ended(struct cli_follower *fw, void *ctx)
{
	struct waitset *ws = ctx;
	for (size_t i = 0; i < fw->n; i++) {
		struct cli_followed *w = &fw->w[i];
		bool done = cli_follow_done(fw, w);
		if (!done)
			w->reported = false; /* retried meanwhile: report its new end */
		if (w->reported || !done)
			continue;
		w->reported = true;
		if (ws->json)
			continue;
		clear_progress(ws);
		if (w->removed) {
			printf("%lld removed\n", (long long)w->id);
			continue;
		}
		int s = cli_follow_state(w);
		cli_json_clean(w->job);
		json_t *e = json_object_get(w->job, "error");
		const char *out = proto_get_str(w->job, "output");
		if (s == JOB_SUCCEEDED) {
			printf("%lld succeeded%s%s\n", (long long)w->id, out ? " " : "",
			       out ? out : "");
		} else {
			const char *code = proto_get_str(e, "code");
			const char *detail = proto_get_str(e, "detail");
			if (!detail)
				detail = proto_get_str(e, "message");
			printf("%lld %s%s%s%s%s\n", (long long)w->id, job_state_name(s),
			       code ? " " : "", code ? code : "", detail ? ": " : "",
			       detail ? detail : "");
		}
		fflush(stdout);
	}
}

/* Ctrl-C only stops watching */
static int interrupted(struct cli_follower *fw, void *ctx, struct aura_error *err)
{
	(void)fw;
	(void)err;
	clear_progress(ctx);
	return CLI_FOLLOW_INTERRUPTED;
}

static const struct option wait_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "batch", required_argument, NULL, 'b' },
	{ NULL, 0, NULL, 0 },
};

/* Every job of a batch (its id or name) to follow. */
static int add_batch(struct cli_follower *fw, struct client *cl, const char *ref,
		     struct aura_error *err)
{
	json_t *res;
	if (client_call(cl, "list", json_pack("{s:s}", "batch", ref), &res, err) < 0)
		return -err->code;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(res, "ids"), i, v)
	{
		cli_follow_add(fw, json_integer_value(v));
	}
	json_decref(res);
	return 0;
}

static int cmd_wait_run(struct cli_ctx *ctx, int argc, char **argv)
{
	struct waitset ws;
	struct args a;
	int rc = args_parse(&cmd_wait_entry, argc, argv, &a, NULL);
	if (rc)
		return rc;

	memset(&ws, 0, sizeof(ws));
	ws.json = args_has(&a, 'j');
	cli_progress_init(&ws.bar, !ws.json);
	if (a.argc == 0 && !args_has(&a, 'b')) {
		cli_usage_error("no job ids (or --batch) given");
		return cmd_usage(&cmd_wait_entry);
	}

	int64_t *ids = NULL;
	size_t n = 0;
	if ((rc = cli_parse_id_list(a.argc, a.argv, &ids, &n)))
		return rc;
	struct client *cl;
	struct aura_error err;
	rc = cli_connect(ctx, true, &cl);
	if (rc) {
		free(ids);
		return rc;
	}
	cli_follow_init(&ws.fw, cl);
	ws.fw.removed_ends = true;
	for (size_t i = 0; i < n; i++)
		cli_follow_add(&ws.fw, ids[i]);
	free(ids);
	if (args_has(&a, 'b') && (rc = add_batch(&ws.fw, cl, args_get(&a, 'b'), &err)) < 0)
		goto fail;
	watch_begin(cl);

	/* progress events only for the progress line: without one the
	 * server need not even encode them */
	static const struct cli_follow_hooks hooks = { .turn = report_ended,
						       .draw = show_progress,
						       .interrupted = interrupted };
	if (cli_follow_start(&ws.fw, ws.bar.mode != CLI_PROGRESS_OFF, &err) < 0)
		goto fail;
	int r = cli_follow_run(&ws.fw, -1, &hooks, &ws, &err);
	if (r < 0)
		goto fail;
	if (r == CLI_FOLLOW_INTERRUPTED) {
		rc = CLI_EXIT_INTERRUPTED;
		goto out;
	}
	if (r == CLI_FOLLOW_SHUTDOWN) {
		aura_error_set(&err, AURA_E_SERVER_SHUTTING_DOWN,
			       "stopped waiting: the jobs go on when a server runs again");
		goto fail;
	}
	clear_progress(&ws);

	rc = 0;
	for (size_t i = 0; i < ws.fw.n; i++)
		if (ws.fw.w[i].removed || cli_follow_state(&ws.fw.w[i]) != JOB_SUCCEEDED)
			rc = 1;
	if (ws.json) {
		json_t *jobs = json_array();
		for (size_t i = 0; i < ws.fw.n; i++)
			if (ws.fw.w[i].job && !ws.fw.w[i].removed)
				json_array_append(jobs, ws.fw.w[i].job);
		json_t *outj = json_pack("{s:o}", "jobs", jobs);
		cli_print_json(outj);
		json_decref(outj);
	}
	goto out;
fail:
	clear_progress(&ws);
	fflush(stdout);
	rc = cli_fail(&err);
out:
	watch_end();
	client_free(cl);
	cli_follow_free(&ws.fw);
	return rc;
}

const struct cmd_entry cmd_wait_entry = {
	.name = "wait",
	.usage = "[--json] ID... | --batch ID|NAME",
	.args = { .shorts = "", .longs = wait_opts, .min = 0, .max = ARGS_ANY },
	.summary = "wait until jobs end; exit 0 only if all succeeded",
	.help = "      --json   print {\"jobs\": [JOB...]} with the final jobs\n"
		"      --batch ID|NAME\n"
		"               every job of the batch (`aura batch` prints its id and name)\n"
		"\n"
		"An ID may be a range (3-9) or a list (3,5,7), as for cancel.\n"
		"Prints \"ID STATE [OUTPUT | CODE: DETAIL]\" as each job ends. Exit 0 if all\n"
		"succeeded, 1 if any failed, was cancelled or removed, 2 for an unknown id,\n"
		"4 if the server is unreachable or stops. Ctrl-C stops waiting (exit 130);\n"
		"the jobs go on.\n",
	.flags = CMD_NEEDS_DATA | CMD_JOB_ARGS,
	.run = cmd_wait_run,
};
