/*
 * cmd-wait.c -- `aura wait [--json] ID...`: block until every job has
 * ended; exit 0 only if all succeeded, else 1. A line per job as it ends
 * (or the final jobs as JSON); on a terminal, a progress line on stderr.
 *
 * Events and answers are applied in the order they arrived (the states
 * from `get` and from events), so an older event never overwrites a newer
 * state and a job that ended before we subscribed is still seen as ended.
 *
 * Must never: change a job (Ctrl-C only stops watching: exit 130).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "cli/jobs.h"
#include "client/proto.h"

extern const struct cmd_entry cmd_wait_entry;

struct waited {
	int64_t id;
	json_t *job;      /* latest JOB, NULL until known */
	double progress;  /* from progress events, for the progress line */
	double eta_s;
	int64_t out_time_us, duration_us;
	bool removed;
	bool reported;    /* its final line was printed */
};

struct waitset {
	struct waited *w;
	size_t n;
	bool json, tty, shutdown, progress_shown;
	bool snapshot; /* the subscription's snapshot came */
};

static struct waited *find(struct waitset *ws, int64_t id)
{
	for (size_t i = 0; i < ws->n; i++)
		if (ws->w[i].id == id)
			return &ws->w[i];
	return NULL;
}

static int state_of(const struct waited *w)
{
	const char *s = w->job ? proto_get_str(w->job, "state") : NULL;
	return s ? job_state_parse(s) : -1;
}

static bool done(const struct waited *w)
{
	int s = state_of(w);
	return w->removed || (s >= 0 && job_state_terminal(s));
}

static void set_job(struct waitset *ws, json_t *job)
{
	struct waited *w = find(ws, proto_get_int(job, "id", 0));
	if (!w || w->removed)
		return;
	json_decref(w->job);
	w->job = json_incref(job);
	w->progress = proto_get_real(job, "progress", 0);
	w->eta_s = proto_get_real(job, "eta_s", -1);
	w->out_time_us = proto_get_int(job, "out_time_us", 0);
	w->duration_us = proto_get_int(job, "duration_us", 0);
}

static void apply_event(struct waitset *ws, json_t *ev)
{
	const char *name = proto_get_str(ev, "event");
	if (!name)
		return;
	if (strcmp(name, "job") == 0) {
		set_job(ws, json_object_get(ev, "job"));
	} else if (strcmp(name, "snapshot") == 0) {
		ws->snapshot = true;
		json_t *jobs = json_object_get(ev, "jobs");
		for (size_t i = 0; i < json_array_size(jobs); i++)
			set_job(ws, json_array_get(jobs, i));
	} else if (strcmp(name, "progress") == 0) {
		struct waited *w = find(ws, proto_get_int(ev, "id", 0));
		if (w) {
			w->progress = proto_get_real(ev, "progress", w->progress);
			w->eta_s = proto_get_real(ev, "eta_s", -1);
			w->out_time_us = proto_get_int(ev, "out_time_us", w->out_time_us);
			w->duration_us = proto_get_int(ev, "duration_us", 0);
		}
	} else if (strcmp(name, "removed") == 0) {
		struct waited *w = find(ws, proto_get_int(ev, "id", 0));
		if (w)
			w->removed = true;
	} else if (strcmp(name, "shutdown") == 0) {
		ws->shutdown = true;
	}
}

static void apply_queued(struct client *cl, struct waitset *ws)
{
	size_t n = client_pending_events(cl);
	for (size_t i = 0; i < n; i++) {
		json_t *ev;
		if (client_next_event(cl, 0, &ev, NULL) != 1)
			break;
		apply_event(ws, ev);
		json_decref(ev);
	}
}

static void clear_progress(struct waitset *ws)
{
	if (ws->progress_shown) {
		fputs("\r\033[K", stderr);
		ws->progress_shown = false;
	}
}

static void show_progress(struct waitset *ws)
{
	if (!ws->tty || ws->json)
		return;
	clear_progress(ws);
	size_t shown = 0;
	for (size_t i = 0; i < ws->n && shown < 4; i++) {
		struct waited *w = &ws->w[i];
		if (done(w) || !w->job)
			continue;
		int s = state_of(w);
		fprintf(stderr, "%s#%lld %s", shown ? "  " : "", (long long)w->id, job_state_name(s));
		if (s == JOB_RUNNING || s == JOB_PAUSED) {
			char t[32];
			if (w->progress > 0 || w->duration_us > 0)
				fprintf(stderr, " %.0f%%",
					w->progress * 100 > 99 ? 99 : w->progress * 100);
			else if (w->out_time_us > 0) /* no known total: how far it got */
				fprintf(stderr, " at %s",
					fmt_duration(t, sizeof(t), (double)w->out_time_us / 1e6));
			if (s == JOB_RUNNING && w->eta_s >= 0)
				fprintf(stderr, " ETA %s", fmt_duration(t, sizeof(t), w->eta_s));
		}
		shown++;
	}
	if (shown) {
		ws->progress_shown = true;
		fflush(stderr);
	}
}

/* One line per job as it ends: "12 succeeded /path/out.mp4" or
 * "13 failed FFMPEG_UNKNOWN_ENCODER: ...". */
static void report_ended(struct waitset *ws)
{
	for (size_t i = 0; i < ws->n; i++) {
		struct waited *w = &ws->w[i];
		if (!done(w))
			w->reported = false; /* retried meanwhile: report its new end */
		if (w->reported || !done(w))
			continue;
		w->reported = true;
		if (ws->json)
			continue;
		clear_progress(ws);
		if (w->removed) {
			printf("%lld removed\n", (long long)w->id);
			continue;
		}
		int s = state_of(w);
		cli_json_clean(w->job);
		json_t *e = json_object_get(w->job, "error");
		const char *out = proto_get_str(w->job, "output");
		if (s == JOB_SUCCEEDED) {
			printf("%lld succeeded%s%s\n", (long long)w->id, out ? " " : "", out ? out : "");
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

static bool all_done(const struct waitset *ws)
{
	for (size_t i = 0; i < ws->n; i++)
		if (!done(&ws->w[i]))
			return false;
	return true;
}

static int cmd_wait_run(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	struct waitset ws;
	int c;

	memset(&ws, 0, sizeof(ws));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'j')
			return cmd_usage(&cmd_wait_entry);
		ws.json = true;
	}
	if (optind >= argc)
		return cmd_usage(&cmd_wait_entry);
	ws.w = xcalloc((size_t)(argc - optind), sizeof(*ws.w));
	for (int i = optind; i < argc; i++) {
		int64_t id;
		if (!cli_parse_id(argv[i], &id)) {
			free(ws.w);
			return cli_usage_error("'%s' is not a job id", argv[i]);
		}
		if (!find(&ws, id))
			ws.w[ws.n++].id = id;
	}
	ws.tty = isatty(STDERR_FILENO);

	struct client *cl;
	struct aura_error err;
	int rc = cli_connect(ctx, true, &cl);
	if (rc) {
		free(ws.w);
		return rc;
	}
	watch_begin(cl);

	json_t *ids = json_array();
	for (size_t i = 0; i < ws.n; i++)
		json_array_append_new(ids, json_integer(ws.w[i].id));
	/* progress events only for the progress line: without one the
	 * server need not even encode them */
	bool line = ws.tty && !ws.json;
	if (client_call(cl, "subscribe", json_pack("{s:o,s:b}", "ids", ids, "progress", line),
			NULL, &err) < 0)
		goto fail;
	apply_queued(cl, &ws);
	/* The snapshot that follows the answer has each job as it is now;
	 * only an id it lacks is asked for (that is how an unknown id is
	 * found out), not every id, one round trip each. */
	while (!ws.snapshot && !ws.shutdown) {
		json_t *ev;
		if (client_next_event(cl, -1, &ev, &err) < 0)
			goto fail;
		apply_event(&ws, ev);
		json_decref(ev);
	}
	for (size_t i = 0; i < ws.n; i++) {
		if (ws.w[i].job || ws.w[i].removed)
			continue;
		json_t *res;
		if (client_call(cl, "get", json_pack("{s:I}", "id", (json_int_t)ws.w[i].id), &res,
				&err) < 0)
			goto fail;
		apply_queued(cl, &ws);
		set_job(&ws, json_object_get(res, "job"));
		json_decref(res);
	}

	for (;;) {
		report_ended(&ws);
		if (all_done(&ws))
			break;
		if (ws.shutdown) {
			aura_error_set(&err, AURA_E_SERVER_SHUTTING_DOWN,
				       "stopped waiting: the jobs go on when a server runs again");
			goto fail;
		}
		if (watch_interrupted()) {
			clear_progress(&ws);
			rc = CLI_EXIT_INTERRUPTED;
			goto out;
		}
		show_progress(&ws);
		json_t *ev;
		int r = client_next_event(cl, -1, &ev, &err);
		if (r < 0)
			goto fail;
		if (r == 1) {
			apply_event(&ws, ev);
			json_decref(ev);
		}
	}
	clear_progress(&ws);

	rc = 0;
	for (size_t i = 0; i < ws.n; i++)
		if (ws.w[i].removed || state_of(&ws.w[i]) != JOB_SUCCEEDED)
			rc = 1;
	if (ws.json) {
		json_t *jobs = json_array();
		for (size_t i = 0; i < ws.n; i++)
			if (ws.w[i].job && !ws.w[i].removed)
				json_array_append(jobs, ws.w[i].job);
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
	for (size_t i = 0; i < ws.n; i++)
		json_decref(ws.w[i].job);
	free(ws.w);
	return rc;
}

const struct cmd_entry cmd_wait_entry = {
	.name = "wait",
	.args = "[--json] ID...",
	.summary = "wait until jobs end; exit 0 only if all succeeded",
	.help = "      --json   print {\"jobs\": [JOB...]} with the final jobs\n"
		"\n"
		"Prints \"ID STATE [OUTPUT | CODE: DETAIL]\" as each job ends. Exit 0 if all\n"
		"succeeded, 1 if any failed, was cancelled or removed, 2 for an unknown id,\n"
		"4 if the server is unreachable or stops. Ctrl-C stops waiting (exit 130);\n"
		"the jobs go on.\n",
	.flags = CMD_NEEDS_DATA,
	.run = cmd_wait_run,
};
