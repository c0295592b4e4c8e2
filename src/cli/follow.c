/*
 * follow.c -- the one follower of jobs (`aura wait`, `aura new --wait`):
 * subscription, states in arrival order, the wait for the end.
 *
 * Must never: print anything (the verb's hooks do), or change a job.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli/follow.h"
#include "cli/connect.h"
#include "base/job.h"
#include "client/proto.h"
#include "base/util.h"

void cli_follow_init(struct cli_follower *fw, struct client *cl)
{
	memset(fw, 0, sizeof(*fw));
	fw->cl = cl;
}

struct cli_followed *cli_follow_find(struct cli_follower *fw, int64_t id)
{
	for (size_t i = 0; i < fw->n; i++)
		if (fw->w[i].id == id)
			return &fw->w[i];
	return NULL;
}

void cli_follow_add(struct cli_follower *fw, int64_t id)
{
	if (cli_follow_find(fw, id))
		return;
	fw->w = xrealloc(fw->w, (fw->n + 1) * sizeof(*fw->w));
	memset(&fw->w[fw->n], 0, sizeof(fw->w[fw->n]));
	fw->w[fw->n].id = id;
	fw->w[fw->n].eta_s = -1;
	fw->n++;
}

void cli_follow_free(struct cli_follower *fw)
{
	for (size_t i = 0; i < fw->n; i++)
		json_decref(fw->w[i].job);
	free(fw->w);
	fw->w = NULL;
	fw->n = 0;
}

int cli_follow_state(const struct cli_followed *w)
{
	const char *s = w->job ? proto_get_str(w->job, "state") : NULL;
	return s ? job_state_parse(s) : -1;
}

bool cli_follow_done(const struct cli_follower *fw, const struct cli_followed *w)
{
	int s = cli_follow_state(w);
	return (w->removed && fw->removed_ends) || (s >= 0 && job_state_terminal(s));
}

static bool all_done(const struct cli_follower *fw)
{
	for (size_t i = 0; i < fw->n; i++)
		if (!cli_follow_done(fw, &fw->w[i]))
			return false;
	return true;
}

static void set_stage(struct cli_followed *w, json_t *from)
{
	const char *st = proto_get_str(from, "stage");
	if (st)
		str_copy(w->stage, st, sizeof(w->stage));
}

void cli_follow_set_job(struct cli_follower *fw, json_t *job)
{
	struct cli_followed *w = job ? cli_follow_find(fw, proto_get_int(job, "id", 0)) : NULL;
	if (!w || w->removed)
		return;
	json_decref(w->job);
	w->job = json_incref(job);
	double p = proto_get_real(job, "progress", 0);
	if (!fw->monotonic || p > w->progress || cli_follow_state(w) != JOB_RUNNING)
		w->progress = p;
	w->eta_s = proto_get_real(job, "eta_s", -1);
	w->out_time_us = proto_get_int(job, "out_time_us", 0);
	w->duration_us = proto_get_int(job, "duration_us", 0);
	set_stage(w, job);
}

static void apply_event(struct cli_follower *fw, json_t *ev)
{
	const char *name = proto_get_str(ev, "event");
	if (!name)
		return;
	if (strcmp(name, "job") == 0) {
		cli_follow_set_job(fw, json_object_get(ev, "job"));
	} else if (strcmp(name, "snapshot") == 0) {
		fw->snapshot = true;
		json_t *jobs = json_object_get(ev, "jobs");
		for (size_t i = 0; i < json_array_size(jobs); i++)
			cli_follow_set_job(fw, json_array_get(jobs, i));
	} else if (strcmp(name, "progress") == 0) {
		struct cli_followed *w = cli_follow_find(fw, proto_get_int(ev, "id", 0));
		if (w) {
			double p = proto_get_real(ev, "progress", w->progress);
			if (!fw->monotonic || p > w->progress)
				w->progress = p;
			w->eta_s = proto_get_real(ev, "eta_s", -1);
			w->out_time_us = proto_get_int(ev, "out_time_us", w->out_time_us);
			w->duration_us = proto_get_int(ev, "duration_us", 0);
			set_stage(w, ev);
		}
	} else if (strcmp(name, "removed") == 0) {
		struct cli_followed *w = cli_follow_find(fw, proto_get_int(ev, "id", 0));
		if (w)
			w->removed = true;
	} else if (strcmp(name, "shutdown") == 0) {
		fw->shutdown = true;
	}
}

/* What arrived before the last answer, in order. */
static void apply_queued(struct cli_follower *fw)
{
	size_t n = client_pending_events(fw->cl);
	for (size_t i = 0; i < n; i++) {
		json_t *ev;
		if (client_next_event(fw->cl, 0, &ev, NULL) != 1)
			break;
		apply_event(fw, ev);
		json_decref(ev);
	}
}

int cli_follow_start(struct cli_follower *fw, int progress, struct aura_error *err)
{
	json_t *ids = json_array();
	for (size_t i = 0; i < fw->n; i++)
		json_array_append_new(ids, json_integer(fw->w[i].id));
	json_t *params = json_pack("{s:o}", "ids", ids);
	if (progress >= 0)
		json_object_set_new(params, "progress", json_boolean(progress));
	int rc = client_call(fw->cl, "subscribe", params, NULL, err);
	if (rc < 0)
		return rc;
	apply_queued(fw);
	/* The snapshot that follows the answer has each job as it is now;
	 * only an id it lacks is asked for (that is how an unknown id is
	 * found out), not every id, one round trip each. */
	while (!fw->snapshot && !fw->shutdown) {
		json_t *ev;
		rc = client_next_event(fw->cl, -1, &ev, err);
		if (rc < 0)
			return rc;
		if (rc == 0) /* Ctrl-C: seen by cli_follow_run */
			continue;
		apply_event(fw, ev);
		json_decref(ev);
	}
	for (size_t i = 0; i < fw->n; i++) {
		if (fw->w[i].job || fw->w[i].removed)
			continue;
		json_t *res;
		rc = client_call(fw->cl, "get", json_pack("{s:I}", "id", (json_int_t)fw->w[i].id),
				 &res, err);
		if (rc < 0)
			return rc;
		apply_queued(fw);
		cli_follow_set_job(fw, json_object_get(res, "job"));
		json_decref(res);
	}
	return 0;
}

int cli_follow_run(struct cli_follower *fw, int timeout_ms, const struct cli_follow_hooks *h,
		   void *ctx, struct aura_error *err)
{
	for (;;) {
		if (h->turn)
			h->turn(fw, ctx);
		if (all_done(fw))
			return CLI_FOLLOW_ENDED;
		if (fw->shutdown)
			return CLI_FOLLOW_SHUTDOWN;
		if (watch_interrupted() && h->interrupted) {
			int r = h->interrupted(fw, ctx, err);
			if (r < 0 || r == CLI_FOLLOW_INTERRUPTED)
				return r;
			if (r == CLI_FOLLOW_AGAIN)
				continue;
		}
		if (h->draw)
			h->draw(fw, ctx);
		json_t *ev;
		int r = client_next_event(fw->cl, timeout_ms, &ev, err);
		if (r < 0)
			return r;
		if (r == 1) {
			apply_event(fw, ev);
			json_decref(ev);
		}
	}
}
