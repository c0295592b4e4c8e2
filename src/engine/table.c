/*
 * table.c -- the job state x request action table: what cancel, pause,
 * resume, retry (and retry --force) and remove do in each state, and
 * submit, clean (many removes in one transaction) and a queued job's
 * priority. While the store cannot be written, every request that would
 * change a job is refused.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "base/log.h"
#include "engine/engine-int.h"
#include "ff/locate.h"
#include "os/loop.h"
#include "os/proc.h"
#include "store/store.h"

/* --- the action table --------------------------------------------------- */

enum eng_req {
	REQ_CANCEL,
	REQ_PAUSE,
	REQ_RESUME,
	REQ_RETRY,
	REQ_REMOVE,
	REQ_RETRY_FORCE, /* retry --force: a succeeded job runs again too */
	REQ__COUNT
};
enum eng_act {
	ACT_REFUSE = 0,
	ACT_CANCEL_QUEUED,
	ACT_STOP,
	ACT_PAUSE,
	ACT_RESUME,
	ACT_REQUEUE,
	ACT_REMOVE
};

/* What a request does in each state; anything else is JOB_BAD_STATE. */
static const unsigned char actions[JOB_STATE__COUNT][REQ__COUNT] = {
	[JOB_QUEUED] = { [REQ_CANCEL] = ACT_CANCEL_QUEUED, [REQ_REMOVE] = ACT_REMOVE },
	[JOB_RUNNING] = { [REQ_CANCEL] = ACT_STOP, [REQ_PAUSE] = ACT_PAUSE },
	[JOB_PAUSED] = { [REQ_CANCEL] = ACT_STOP, [REQ_RESUME] = ACT_RESUME },
	[JOB_SUCCEEDED] = { [REQ_REMOVE] = ACT_REMOVE, [REQ_RETRY_FORCE] = ACT_REQUEUE },
	[JOB_FAILED] = { [REQ_RETRY] = ACT_REQUEUE,
			 [REQ_REMOVE] = ACT_REMOVE,
			 [REQ_RETRY_FORCE] = ACT_REQUEUE },
	[JOB_CANCELLED] = { [REQ_RETRY] = ACT_REQUEUE,
			    [REQ_REMOVE] = ACT_REMOVE,
			    [REQ_RETRY_FORCE] = ACT_REQUEUE },
};

static const char *const req_names[REQ__COUNT] = { "cancel", "pause",  "resume",
						   "retry",  "remove", "retry" };

/* --- public: requests ----------------------------------------------------- */

/* While the store cannot be written, no request changes a job: its
 * answer could not be kept (doc/stability.md). */
int refuse_while_behind(struct engine *e, const char *what, struct aura_error *err)
{
	struct store_status ss;
	store_status(e->st, &ss);
	return aura_error_set(err, ss.code,
			      "%s: the store cannot be written now (%s); nothing was changed; "
			      "try again when `aura ls` no longer reports it",
			      what, ss.detail ? ss.detail : "no detail");
}

/* POOL_UNKNOWN, naming the pools there are. */
static int pool_unknown(const struct engine *e, const char *name, struct aura_error *err)
{
	struct buf names;
	buf_init(&names);
	for (size_t i = 0; i < config_pool_count(e->cfg); i++)
		buf_printf(&names, "%s%s", i ? ", " : "", config_pool_at(e->cfg, i)->name);
	aura_error_set(err, AURA_E_POOL_UNKNOWN, "pool '%.64s'; the pools are: %s", name,
		       names.data);
	buf_free(&names);
	return -AURA_E_POOL_UNKNOWN;
}

int engine_pool_resolve(struct engine *e, struct job *j, struct aura_error *err)
{
	const struct pool_config *pool = config_pool(e->cfg, j->pool);
	if (!pool)
		return pool_unknown(e, j->pool, err);
	set_str(&j->pool, pool->name);
	return 0;
}

static void submit_reset(struct engine *e, struct job *j);
static int insert_one(struct engine *e, struct job *j, struct aura_error *err);

int engine_submit(struct engine *e, struct job *j, struct aura_error *err)
{
	if (e->shutting_down)
		return aura_error_set(err, AURA_E_SERVER_SHUTTING_DOWN, "no new jobs are accepted");
	if ((unsigned)j->kind >= JOB_KIND__COUNT)
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST, "unknown job kind %d",
				      (int)j->kind);
	if (store_behind(e->st))
		return refuse_while_behind(e, "submit", err);
	int prc = engine_pool_resolve(e, j, err);
	if (prc < 0)
		return prc;
	submit_reset(e, j);
	/* the row and its work dir (named by the id) in one transaction; a
	 * key already used inserts nothing and answers with its job */
	int rc = store_begin(e->st, err);
	if (rc == 0)
		rc = insert_one(e, j, err);
	bool existing = rc == STORE_KEY_EXISTS;
	if (rc >= 0)
		rc = store_commit(e->st, err);
	else
		store_rollback(e->st);
	if (rc < 0)
		return rc;
	if (existing) {
		int64_t id = j->id;
		job_clear(j);
		rc = engine_get(e, id, j, err);
		if (rc < 0)
			return rc;
		log_info("job %lld: submitted again with its key; nothing queued", (long long)id);
		return ENGINE_SUBMIT_EXISTING;
	}
	log_info("job %lld: queued (%s, priority %d)", (long long)j->id, job_kind_name(j->kind),
		 j->priority);
	job_announce(e, j);
	if (j->nafter)
		deps_failed(e, j); /* one already failed: fails now, not when a slot frees */
	schedule(e);
	return 0;
}

int engine_submit_batch(struct engine *e, struct job *jobs, size_t n, bool *existing,
			const char *name, int64_t *batch_id, char **batch_name,
			struct aura_error *err)
{
	*batch_id = 0;
	*batch_name = NULL;
	if (e->shutting_down)
		return aura_error_set(err, AURA_E_SERVER_SHUTTING_DOWN, "no new jobs are accepted");
	for (size_t i = 0; i < n; i++)
		if ((unsigned)jobs[i].kind >= JOB_KIND__COUNT)
			return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST, "unknown job kind %d",
					      (int)jobs[i].kind);
	if (store_behind(e->st))
		return refuse_while_behind(e, "batch", err);
	for (size_t i = 0; i < n; i++) {
		int prc = engine_pool_resolve(e, &jobs[i], err);
		if (prc < 0)
			return prc;
	}
	/* the batch, every row and their work dirs in one transaction */
	int rc = store_begin(e->st, err);
	if (rc == 0)
		rc = store_batch_insert(e->st, name, batch_id, batch_name, err);
	size_t fresh = 0;
	for (size_t i = 0; rc >= 0 && i < n; i++) {
		submit_reset(e, &jobs[i]);
		jobs[i].batch_id = *batch_id;
		rc = insert_one(e, &jobs[i], err);
		existing[i] = rc == STORE_KEY_EXISTS;
		fresh += rc == 0;
	}
	if (rc >= 0 && fresh == 0) {
		/* every row was there: no new batch either */
		store_rollback(e->st);
		free(*batch_name);
		*batch_name = NULL;
		*batch_id = 0;
		return 0;
	}
	if (rc >= 0)
		rc = store_commit(e->st, err);
	else
		store_rollback(e->st);
	if (rc < 0) {
		free(*batch_name);
		*batch_name = NULL;
		*batch_id = 0;
		return rc;
	}
	log_info("batch %lld (%s): %zu queued, %zu existing", (long long)*batch_id, *batch_name,
		 fresh, n - fresh);
	for (size_t i = 0; i < n; i++)
		if (!existing[i]) {
			job_announce(e, &jobs[i]);
			if (jobs[i].nafter)
				deps_failed(e, &jobs[i]);
		}
	schedule(e);
	return 0;
}

/* A new job's fields before its insert: queued, nothing run yet. */
static void submit_reset(struct engine *e, struct job *j)
{
	set_str(&j->cluster_id, NULL);
	set_str(&j->substate, NULL);
	j->state = JOB_QUEUED;
	j->attempts = 0;
	if (j->max_attempts <= 0)
		j->max_attempts = e->cfg->max_attempts;
	j->created_ms = time_now_ms();
	j->started_ms = j->finished_ms = 0;
	j->not_before_ms = 0;
	j->pid = 0;
	job_reset_progress(j);
	j->duration_us = 0;
	job_clear_error(j);
	set_str(&j->workdir, NULL);
}

/* Insert j and name its work dir (in the caller's transaction);
 * STORE_KEY_EXISTS with j->id set when its key is taken. */
static int insert_one(struct engine *e, struct job *j, struct aura_error *err)
{
	/* a dependency must be a job the store has (it may have ended) */
	for (size_t i = 0; i < j->nafter; i++) {
		int x = store_job_exists(e->st, j->after[i], err);
		if (x == 0)
			return aura_error_set(
			    err, AURA_E_JOB_NOT_FOUND,
			    "--after %lld: there is no job %lld; nothing was queued",
			    (long long)j->after[i], (long long)j->after[i]);
		if (x < 0)
			return x;
	}
	int rc = store_job_insert(e->st, j, err);
	if (rc == 0) {
		j->workdir = paths_job_dir(e->paths, j->id);
		rc = store_job_update(e->st, j, err);
	}
	if (rc == 0)
		rc = store_deps_add(e->st, j->id, j->after, j->nafter, err);
	if (rc == 0 && j->on_done && *j->on_done)
		rc = store_hook_set(e->st, j->id, j->on_done, err);
	return rc;
}

/* Remove DATA/jobs/ID and what is in it (never following links). */
static void remove_workdir(struct engine *e, int64_t id)
{
	char *dir = paths_job_dir(e->paths, id);
	rm_tree(dir);
	free(dir);
}

static int engine_request(struct engine *e, int64_t id, enum eng_req req, struct aura_error *err)
{
	if (store_behind(e->st)) {
		char what[64];
		snprintf(what, sizeof(what), "%s job %lld", req_names[req], (long long)id);
		return refuse_while_behind(e, what, err);
	}
	struct run *r = run_find(e, id);
	struct job stored;
	job_init(&stored);
	struct job *j = &stored;
	if (r) {
		j = &r->job;
	} else {
		int rc = store_job_get(e->st, id, &stored, err);
		if (rc < 0)
			return rc;
	}

	enum eng_act act =
	    (unsigned)j->state < JOB_STATE__COUNT ? actions[j->state][req] : ACT_REFUSE;
	int rc = 0;
	if (!r && (act == ACT_STOP || act == ACT_PAUSE || act == ACT_RESUME)) {
		/* The store says running or paused, yet no run holds it: never
		 * act on a run that does not exist (recovery settles it). */
		log_error("job %lld: %s without a run in this server", (long long)id,
			  job_state_name(j->state));
		rc = aura_error_set(err, AURA_E_JOB_BAD_STATE,
				    "job %lld is %s in the store but not running here",
				    (long long)id, job_state_name(j->state));
		goto out;
	}
	if (r && r->stop != STOP_NONE) {
		/* Being stopped: a cancel takes over the reason, the rest waits. */
		if (req == REQ_CANCEL) {
			run_logf(r, "cancel requested");
			run_stop(r, STOP_CANCEL, false);
			return 0;
		}
		return aura_error_set(err, AURA_E_JOB_BAD_STATE, "job %lld is being stopped",
				      (long long)id);
	}
	if (act != ACT_REFUSE && e->shutting_down && (act == ACT_REQUEUE || act == ACT_RESUME)) {
		rc = aura_error_set(err, AURA_E_SERVER_SHUTTING_DOWN, "cannot %s job %lld now",
				    req_names[req], (long long)id);
		goto out;
	}

	switch (act) {
	case ACT_REFUSE:
		rc = aura_error_set(err, AURA_E_JOB_BAD_STATE, "job %lld is %s", (long long)id,
				    job_state_name(j->state));
		break;
	case ACT_CANCEL_QUEUED:
		j->state = JOB_CANCELLED;
		j->finished_ms = time_now_ms();
		j->not_before_ms = 0;
		job_set_error(j, AURA_E_JOB_CANCELLED, NULL);
		job_persist(e, j);
		job_log_append(e, j, "cancelled while queued");
		log_info("job %lld: cancelled while queued", (long long)id);
		hook_job_ended(e, j); /* and a job that runs after it fails now */
		backoff_rearm(e, slots_free(e));
		schedule(e);
		break;
	case ACT_STOP:
		run_logf(r, "cancel requested");
		run_stop(r, STOP_CANCEL, false); /* may free r */
		break;
	case ACT_PAUSE:
		if (lanes_pause(r, true) < 0) {
			rc = aura_error_set(err, AURA_E_JOB_BAD_STATE, "job %lld cannot pause: %s",
					    (long long)id, strerror(errno));
			break;
		}
		timeout_suspend(r);
		j->state = JOB_PAUSED;
		j->eta_s = -1;
		run_logf(r, "paused");
		log_info("job %lld: paused", (long long)id);
		job_persist(e, j);
		break;
	case ACT_RESUME:
		if (lanes_pause(r, false) < 0) {
			rc = aura_error_set(err, AURA_E_JOB_BAD_STATE, "job %lld cannot resume: %s",
					    (long long)id, strerror(errno));
			break;
		}
		j->state = JOB_RUNNING;
		for (struct lane *l = r->lanes; l; l = l->next) {
			progress_tracker_rebase(&l->tracker, time_mono_ms());
			stall_arm(l);
		}
		timeout_arm(r);
		run_logf(r, "resumed");
		log_info("job %lld: resumed", (long long)id);
		job_persist(e, j);
		for (struct lane *l = r->lanes; l; l = l->next) {
			if (l->step_held) {
				l->step_held = false;
				loop_timer_del(e->loop, l->step_timer);
				l->step_timer = loop_timer_add(e->loop, 0, step_fire, l);
			}
		}
		if (r->advance_held) /* a lane ended while paused: on a clean turn */
			run_advance_later(r);
		break;
	case ACT_REQUEUE:
		/* a succeeded job runs again from the start: no stage is kept;
		 * nor is one of a job whose work directory retention removed
		 * (its stages' files are gone) */
		retain_forget(e, id);
		if ((j->state == JOB_SUCCEEDED || j->pruned_ms) &&
		    (rc = store_stage_clear(e->st, id, err)) < 0)
			break;
		j->pruned_ms = 0;
		j->state = JOB_QUEUED;
		j->finished_ms = 0;
		j->not_before_ms = 0;
		j->pid = 0;
		/* A retry by hand gets a fresh budget of automatic retries. */
		j->max_attempts = j->attempts + e->cfg->max_attempts;
		job_clear_error(j);
		job_reset_progress(j);
		job_persist(e, j);
		job_log_append(e, j, "retry requested");
		log_info("job %lld: queued again by retry", (long long)id);
		deps_failed(e, j); /* checked again now, whatever the pool's slots */
		schedule(e);
		break;
	case ACT_REMOVE:
		rc = store_job_delete(e->st, id, err);
		if (rc < 0)
			break;
		retain_forget(e, id);
		remove_workdir(e, id);
		log_info("job %lld: removed", (long long)id);
		job_announce_removed(e, j->kind, id);
		deps_settle(e, id); /* a job that runs after it fails now */
		if (j->state == JOB_QUEUED)
			backoff_rearm(e, slots_free(e));
		schedule(e);
		break;
	}
out:
	job_clear(&stored);
	return rc;
}

int engine_cancel(struct engine *e, int64_t id, struct aura_error *err)
{
	return engine_request(e, id, REQ_CANCEL, err);
}

int engine_pause(struct engine *e, int64_t id, struct aura_error *err)
{
	return engine_request(e, id, REQ_PAUSE, err);
}

int engine_resume(struct engine *e, int64_t id, struct aura_error *err)
{
	return engine_request(e, id, REQ_RESUME, err);
}

int engine_retry(struct engine *e, int64_t id, struct aura_error *err)
{
	return engine_request(e, id, REQ_RETRY, err);
}

int engine_retry_force(struct engine *e, int64_t id, struct aura_error *err)
{
	return engine_request(e, id, REQ_RETRY_FORCE, err);
}

int engine_remove(struct engine *e, int64_t id, struct aura_error *err)
{
	return engine_request(e, id, REQ_REMOVE, err);
}

int engine_set_priority(struct engine *e, int64_t id, int priority, struct aura_error *err)
{
	if (store_behind(e->st))
		return refuse_while_behind(e, "priority", err);
	struct job j;
	int rc = store_job_get(e->st, id, &j, err);
	if (rc == 0 && j.state != JOB_QUEUED)
		rc = aura_error_set(err, AURA_E_JOB_BAD_STATE,
				    "job %lld is %s: only a queued job's priority can change",
				    (long long)id, job_state_name(j.state));
	if (rc == 0) {
		log_info("job %lld: priority %d -> %d", (long long)id, j.priority, priority);
		j.priority = priority;
		job_persist(e, &j);
		schedule(e);
	}
	job_clear(&j);
	return rc;
}

/* clean: the finished jobs that match, collected before any is deleted */
struct clean_pick {
	unsigned states;
	int64_t before_ms;
	int64_t batch_id;
	int64_t *ids;
	unsigned char *kinds;
	size_t n, cap;
};

static int clean_add(const struct job *j, void *ctx)
{
	struct clean_pick *p = ctx;
	if (!(p->states & (1u << j->state)) || !job_state_terminal(j->state) ||
	    (p->before_ms > 0 && j->finished_ms > p->before_ms) ||
	    (p->batch_id > 0 && j->batch_id != p->batch_id))
		return 0;
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 16;
		p->ids = xrealloc(p->ids, p->cap * sizeof(*p->ids));
		p->kinds = xrealloc(p->kinds, p->cap);
	}
	p->kinds[p->n] = (unsigned char)j->kind;
	p->ids[p->n++] = j->id;
	return 0;
}

int engine_clean(struct engine *e, unsigned states, int64_t before_ms, int64_t batch_id,
		 bool dry_run, int64_t **ids, size_t *n, struct aura_error *err)
{
	*ids = NULL;
	*n = 0;
	if (store_behind(e->st))
		return refuse_while_behind(e, "clean", err);
	struct clean_pick p = { states, before_ms, batch_id, NULL, NULL, 0, 0 };
	int rc = 0;
	for (int s = 0; s < JOB_STATE__COUNT && rc == 0; s++)
		if ((states & (1u << s)) && job_state_terminal((enum job_state)s))
			rc = store_job_list(e->st, s, 0, 0, clean_add, &p, err);
	if (rc == 0 && dry_run) {
		free(p.kinds);
		*ids = p.ids;
		*n = p.n;
		return 0;
	}
	if (rc == 0 && p.n > 0) {
		/* every record in one transaction: all of them go, or none */
		rc = store_begin(e->st, err);
		for (size_t i = 0; rc == 0 && i < p.n; i++)
			rc = store_job_delete(e->st, p.ids[i], err);
		if (rc == 0)
			rc = store_commit(e->st, err);
		else
			store_rollback(e->st);
	}
	if (rc < 0) {
		free(p.ids);
		free(p.kinds);
		return rc;
	}
	for (size_t i = 0; i < p.n; i++) {
		retain_forget(e, p.ids[i]);
		remove_workdir(e, p.ids[i]);
		job_announce_removed(e, (enum job_kind)p.kinds[i], p.ids[i]);
	}
	free(p.kinds);
	log_info("clean: %zu finished jobs removed", p.n);
	*ids = p.ids;
	*n = p.n;
	return 0;
}
