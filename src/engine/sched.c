/*
 * sched.c -- the scheduler: queued jobs start on a later loop turn while
 * their pool has a slot free, by priority within the pool
 * (store_job_next_in), one timer for the earliest
 * retry backoff, and recovery at start of what a previous server left
 * running or paused.
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

int64_t backoff_delay_ms(const struct engine *e, int attempts)
{
	int shift = attempts > 1 ? attempts - 1 : 0;
	if (shift > 20)
		shift = 20;
	int64_t d = e->backoff_ms << shift;
	const int64_t day = 24 * 3600 * 1000LL;
	return d > day ? day : d;
}

/* --- the scheduler -------------------------------------------------------- */

const char *job_pool(const struct job *j)
{
	return j->pool ? j->pool : POOL_LOCAL_NAME;
}

/* Runs (running or paused: both hold a slot) of the pool. */
int pool_running(const struct engine *e, const char *pool)
{
	int n = 0;
	for (const struct run *r = e->runs; r; r = r->next)
		if (strcmp(job_pool(&r->job), pool) == 0)
			n++;
	return n;
}

/* Whether some pool has a slot free. */
bool slots_free(const struct engine *e)
{
	for (size_t i = 0; i < config_pool_count(e->cfg); i++) {
		const struct pool_config *p = config_pool_at(e->cfg, i);
		if (!pool_paused(e, p->name) && pool_running(e, p->name) < pool_limit(e, p))
			return true;
	}
	return false;
}

/*
 * A queued job whose dependencies may still succeed is never read by the
 * scheduler (SQL_JOB_NEXT_POOL skips it); one that is read has every
 * dependency succeeded, or one failed, was cancelled or was removed: then
 * it fails with DEPENDENCY_FAILED without running (1), on this turn, and
 * holds no slot. deps_settle asks the same of a job whose dependency just
 * ended, whatever its pool's slots. 0: no dependency failed.
 */
int deps_failed(struct engine *e, struct job *j)
{
	struct store_dep *d = NULL;
	size_t n = 0;
	struct aura_error err = { 0 };
	if (store_deps_of(e->st, j->id, &d, &n, &err) < 0) {
		log_error("job %lld: cannot read its dependencies: %s", (long long)j->id,
			  err.detail);
		return 0;
	}
	size_t i = 0; /* the first that will never succeed */
	while (i < n && d[i].state >= 0 && d[i].state != JOB_FAILED && d[i].state != JOB_CANCELLED)
		i++;
	if (i == n) {
		free(d);
		return 0;
	}
	char *why =
	    xasprintf("job %lld %s", (long long)d[i].id,
		      d[i].state < 0 ? "was removed" : job_state_name((enum job_state)d[i].state));
	free(d);
	j->state = JOB_FAILED;
	j->finished_ms = time_now_ms();
	j->not_before_ms = 0;
	set_str(&j->substate, NULL);
	job_set_error(j, AURA_E_DEPENDENCY_FAILED, why);
	job_persist(e, j);
	job_log_append(e, j, "not started: %s", why);
	log_info("job %lld: failed without running: %s", (long long)j->id, why);
	hook_job_ended(e, j);
	free(why);
	return 1;
}

/* The queued jobs that run after job id, once id ended or was removed:
 * each one that can no longer start (id failed, was cancelled or removed)
 * fails now, whatever its pool's slots (its own dependents follow, through
 * hook_job_ended); the others are announced again, as what they wait for
 * ("waiting for #3") changed. */
void deps_settle(struct engine *e, int64_t id)
{
	int64_t *ids = NULL;
	size_t n = 0;
	struct aura_error err = { 0 };
	if (store_deps_waiting_on(e->st, id, &ids, &n, &err) < 0)
		log_warn("job %lld: cannot list the jobs that run after it: %s", (long long)id,
			 err.detail);
	for (size_t i = 0; i < n; i++) {
		struct job d;
		job_init(&d);
		if (engine_get(e, ids[i], &d, NULL) == 0 && d.state == JOB_QUEUED &&
		    deps_failed(e, &d) == 0)
			job_announce(e, &d);
		job_clear(&d);
	}
	free(ids);
}

static void backoff_fire(struct loop *l, void *ctx)
{
	struct engine *e = ctx;
	(void)l;
	e->backoff_timer = 0;
	schedule(e);
}

struct earliest {
	int64_t now, min;
};

static int earliest_cb(const struct job *j, void *ctx)
{
	struct earliest *x = ctx;
	if (j->not_before_ms > x->now && (x->min == 0 || j->not_before_ms < x->min))
		x->min = j->not_before_ms;
	return 0;
}

/* One timer for the earliest backoff, only while a slot is free. */
void backoff_rearm(struct engine *e, bool slots_free)
{
	int64_t at = 0;
	if (slots_free && !e->shutting_down) {
		struct earliest x = { .now = time_now_ms(), .min = 0 };
		struct aura_error err = { 0 };
		if (store_job_list(e->st, JOB_QUEUED, 0, 0, earliest_cb, &x, &err) < 0)
			log_warn("engine: cannot list queued jobs: %s", err.detail);
		at = x.min;
	}
	if (at == e->backoff_at_ms && (at == 0) == (e->backoff_timer == 0))
		return;
	loop_timer_del(e->loop, e->backoff_timer);
	e->backoff_timer = 0;
	e->backoff_at_ms = at;
	if (at > 0)
		/* +1: the monotonic timer must not fire before the wall clock
		 * passed not_before, or the job would not be due yet. */
		e->backoff_timer = loop_timer_add(e->loop, at - time_now_ms() + 1, backoff_fire, e);
}

static void schedule_cb(struct loop *l, void *ctx)
{
	struct engine *e = ctx;
	(void)l;
	e->schedule_pending = false;
	if (e->shutting_down)
		return;
	if (store_behind(e->st)) {
		/* The queue as read now may be stale, and a start could not be
		 * saved: start nothing until the store has caught up
		 * (engine_store_writable). */
		loop_timer_del(e->loop, e->backoff_timer);
		e->backoff_timer = 0;
		e->backoff_at_ms = 0;
		return;
	}
	int starts = 0;
	for (size_t i = 0; i < config_pool_count(e->cfg); i++) {
		const struct pool_config *p = config_pool_at(e->cfg, i);
		int limit = pool_paused(e, p->name) ? 0 : pool_limit(e, p);
		while (pool_running(e, p->name) < limit) {
			if (starts++ >= SCHEDULE_MAX_STARTS) {
				schedule(e); /* a burst of jobs failing at start: yield */
				return;
			}
			struct job j;
			struct aura_error err = { 0 };
			int rc = store_job_next_in(e->st, time_now_ms(), p->name, &j, &err);
			if (rc != 0) {
				if (rc < 0)
					log_error("engine: cannot read the queue of pool %s: %s",
						  p->name, err.detail);
				break;
			}
			if (deps_failed(e, &j) == 0)
				job_start(e, &j);
			job_clear(&j);
		}
	}
	backoff_rearm(e, slots_free(e));
}

/* Start queued jobs on the next turn: never from inside a callback that
 * may be in the middle of changing the run list. */
void schedule(struct engine *e)
{
	if (e->schedule_pending || e->shutting_down)
		return;
	e->schedule_pending = true;
	loop_defer(e->loop, schedule_cb, e);
}

void engine_store_writable(struct engine *e)
{
	schedule(e);
}

/* --- public: recovery ----------------------------------------------------- */

struct stale {
	struct job *jobs;
	size_t n, cap;
};

static int stale_cb(const struct job *j, void *ctx)
{
	struct stale *s = ctx;
	XGROW(s->jobs, s->n + 1, s->cap, 8);
	job_copy(&s->jobs[s->n++], j);
	return 0;
}

struct unknown {
	struct engine *e;
	struct stale jobs;
};

static const char *base_name(const char *p)
{
	const char *s = p ? strrchr(p, '/') : NULL;
	return s ? s + 1 : p;
}

/* Kill what a dead server left running, if it is still FFmpeg. */
static int kill_leftover(struct engine *e, pid_t pid)
{
	const char *names[] = { "ffmpeg", "ffprobe", base_name(e->ffmpeg), base_name(e->ffprobe) };
	for (size_t i = 0; i < ARRAY_LEN(names); i++)
		if (names[i] && proc_kill_stale(pid, names[i]) == 1)
			return 1;
	return 0;
}

static int unknown_pool_cb(const struct job *j, void *ctx)
{
	struct unknown *u = ctx;
	if (!config_pool(u->e->cfg, job_pool(j)))
		return stale_cb(j, &u->jobs);
	return 0;
}

/*
 * Queued jobs of a pool the configuration no longer defines wait, they are
 * not failed (the pool may come back with the next start): each says so in
 * its substate ("pool farm is not configured", shown by ls and show), and
 * aura.log counts them. The substate goes when the job starts.
 */
static int mark_unknown_pools(struct engine *e, struct aura_error *err)
{
	struct unknown u = { .e = e };
	int rc = store_job_list(e->st, JOB_QUEUED, 0, 0, unknown_pool_cb, &u, err);
	for (size_t i = 0; i < u.jobs.n; i++) {
		struct job *j = &u.jobs.jobs[i];
		char *why = xasprintf("pool %s is not configured", job_pool(j));
		if (rc == 0 && (!j->substate || strcmp(j->substate, why) != 0)) {
			set_str(&j->substate, why);
			struct aura_error uerr = { 0 };
			if (store_job_update(e->st, j, &uerr) < 0)
				log_warn("job %lld: %s", (long long)j->id, uerr.detail);
			else
				job_announce(e, j);
		}
		free(why);
		job_clear(j);
	}
	if (u.jobs.n > 0)
		log_warn("engine: %zu queued job%s wait for a pool that aura.ini does not define "
			 "(aura ls shows which; define it again, or cancel them)",
			 u.jobs.n, u.jobs.n == 1 ? "" : "s");
	free(u.jobs.jobs);
	return rc;
}

int engine_recover(struct engine *e, struct aura_error *err)
{
	struct stale s = { 0 };
	int rc = pool_ctl_load(e, err);
	if (rc == 0)
		rc = store_job_list(e->st, JOB_RUNNING, 0, 0, stale_cb, &s, err);
	if (rc == 0)
		rc = store_job_list(e->st, JOB_PAUSED, 0, 0, stale_cb, &s, err);
	for (size_t i = 0; i < s.n; i++) {
		struct job *j = &s.jobs[i];
		if (rc == 0) {
			if (j->pid > 0) {
				if (kill_leftover(e, j->pid))
					log_warn("job %lld: killed the leftover process %d of a "
						 "previous server",
						 (long long)j->id, j->pid);
				else
					log_info("job %lld: its process %d is gone (or is not "
						 "FFmpeg: left alone)",
						 (long long)j->id, j->pid);
			}
			enum job_state was = j->state;
			j->pid = 0;
			set_str(&j->substate, NULL);
			set_str(&j->cluster_id, NULL);
			j->not_before_ms = 0;
			j->eta_s = -1;
			if (j->attempts >= j->max_attempts) {
				/* A job that takes the server down with it must not
				 * loop forever: its crashes count as attempts. */
				j->state = JOB_FAILED;
				j->finished_ms = time_now_ms();
				job_set_error(j, AURA_E_SERVER_CRASHED_DURING_JOB,
					      "the server stopped during its last attempt");
				job_log_append(
				    e, j,
				    "the server stopped while the job was %s, in attempt "
				    "%d of %d: failed",
				    job_state_name(was), j->attempts, j->max_attempts);
				log_warn("job %lld: recovered (%s) with no attempts left: failed",
					 (long long)j->id, job_state_name(was));
			} else {
				j->state = JOB_QUEUED;
				job_log_append(e, j,
					       "the server stopped while the job was %s; queued "
					       "again",
					       job_state_name(was));
				log_info("job %lld: recovered (%s), queued again", (long long)j->id,
					 job_state_name(was));
			}
			struct aura_error uerr = { 0 };
			if (store_job_update(e->st, j, &uerr) < 0) {
				rc = -uerr.code;
				if (err)
					*err = uerr;
			} else {
				job_announce(e, j);
			}
		}
		job_clear(j);
	}
	free(s.jobs);
	if (rc == 0)
		rc = mark_unknown_pools(e, err);
	/* what waits in the store is final now: the kinds' counts */
	kinds_scan(e);
	schedule(e);
	retain_kick(e); /* catch up with what fell due while stopped */
	return rc;
}
