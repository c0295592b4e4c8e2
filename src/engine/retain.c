/*
 * retain.c -- retention on the server's loop (doc/retention.md): finished
 * jobs' work directories past [retention] keep_days or keep_jobs are
 * removed, a slice at a time (treerm.h: at most RETAIN_SLICE entries per
 * loop turn), and their records stay with pruned_ms set; records past
 * keep_records are removed as `aura rm` removes them. It runs when there
 * is something to do: at start (catching up), when a job ends, at the
 * next age deadline (a timer armed for the oldest unpruned job), and when
 * asked (`aura clean --retention`); an idle server with nothing due has
 * no timer of it.
 *
 * Must never: touch a queued, running or paused job (each job is read
 * again before its directory is touched), remove anything but
 * DATA/jobs/ID (never the stored workdir, never a link's target) or the
 * job's output, or hold the loop for more than one slice.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "engine/engine-int.h"
#include "base/log.h"
#include "base/paths.h"
#include "base/treerm.h"
#include "base/util.h"
#include "os/loop.h"
#include "store/store.h"

#define RETAIN_SLICE  256 /* directory entries removed per loop turn */
#define RETAIN_FETCH  64  /* jobs read from the store at a time */
#define DAY_MS	      (86400LL * 1000)
#define RETAIN_MAX_MS (DAY_MS) /* a far deadline is looked at again after a day */

struct retain_item {
	int64_t id;
	bool record; /* remove the record too (keep_records) */
};

struct retain {
	struct retain_item *q;
	size_t head, n, cap;
	struct treerm walk;
	struct retain_item cur; /* cur.id 0: no walk */
	uint64_t slice_timer, deadline_timer;
	size_t pruned, removed; /* since the last summary */
};

static bool rules_on(const struct engine *e)
{
	const struct aura_config *c = e->cfg;
	return c->keep_days > 0 || c->keep_jobs > 0 || c->keep_records > 0;
}

static struct retain *rt(struct engine *e)
{
	if (!e->retain)
		e->retain = xcalloc(1, sizeof(struct retain));
	return e->retain;
}

static void push(struct retain *r, int64_t id, bool record)
{
	for (size_t i = r->head; i < r->n; i++)
		if (r->q[i].id == id) {
			r->q[i].record |= record;
			return;
		}
	if (r->cur.id == id) {
		r->cur.record |= record;
		return;
	}
	if (r->head > 0 && r->n == r->cap) {
		memmove(r->q, r->q + r->head, (r->n - r->head) * sizeof(*r->q));
		r->n -= r->head;
		r->head = 0;
	}
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		r->q = xrealloc(r->q, r->cap * sizeof(*r->q));
	}
	r->q[r->n++] = (struct retain_item){ id, record };
}

static int64_t age_cut(const struct engine *e, int64_t now)
{
	return e->cfg->keep_days > 0 ? now - (int64_t)e->cfg->keep_days * DAY_MS : 0;
}

/* What is due now, into the queue: records past keep_records first (their
 * directories go with them), else work directories. */
static size_t refill(struct engine *e, struct retain *r)
{
	int64_t ids[RETAIN_FETCH];
	size_t n = 0;
	struct aura_error err = { 0 };
	if (store_behind(e->st))
		return 0;
	if (e->cfg->keep_records > 0 &&
	    store_retain_records(e->st, e->cfg->keep_records, ids, RETAIN_FETCH, &n, &err) < 0)
		log_warn("retention: %s", err.detail);
	for (size_t i = 0; i < n; i++)
		push(r, ids[i], true);
	if (n > 0)
		return n;
	if (store_retain_due(e->st, age_cut(e, time_now_ms()), e->cfg->keep_jobs, ids, RETAIN_FETCH,
			     &n, &err) < 0)
		log_warn("retention: %s", err.detail);
	for (size_t i = 0; i < n; i++)
		push(r, ids[i], false);
	return n;
}

static void kick(struct engine *e);

static void deadline_fire(struct loop *l, void *ctx)
{
	struct engine *e = ctx;
	(void)l;
	rt(e)->deadline_timer = 0;
	kick(e);
}

/* Nothing is due now: a timer for when the oldest unpruned job passes
 * keep_days, if there is one (and none otherwise). */
static void arm_deadline(struct engine *e, struct retain *r)
{
	loop_timer_del(e->loop, r->deadline_timer);
	r->deadline_timer = 0;
	if (e->cfg->keep_days <= 0 || e->shutting_down)
		return;
	int64_t f;
	struct aura_error err = { 0 };
	int rc = store_retain_oldest(e->st, &f, &err);
	if (rc < 0)
		log_warn("retention: %s", err.detail);
	if (rc != 1)
		return;
	int64_t delay = f + (int64_t)e->cfg->keep_days * DAY_MS - time_now_ms() + 1000;
	if (delay < 1000)
		delay = 1000; /* a clock set back: look again soon, not in a loop */
	if (delay > RETAIN_MAX_MS)
		delay = RETAIN_MAX_MS;
	r->deadline_timer = loop_timer_add(e->loop, delay, deadline_fire, e);
}

/* The walk of r->cur is over: mark the job pruned, or remove its record. */
static void finish(struct engine *e, struct retain *r)
{
	treerm_end(&r->walk);
	int64_t id = r->cur.id;
	bool record = r->cur.record;
	r->cur.id = 0;
	struct job j;
	struct aura_error err = { 0 };
	if (store_job_get(e->st, id, &j, &err) < 0)
		return; /* removed meanwhile */
	if (!job_state_terminal(j.state)) {
		job_clear(&j); /* retried meanwhile: its run owns the directory now */
		return;
	}
	if (record) {
		if (store_job_delete(e->st, id, &err) < 0) {
			log_warn("retention: job %lld: %s", (long long)id, err.detail);
		} else {
			log_debug("retention: job %lld removed (keep_records)", (long long)id);
			job_announce_removed(e, j.kind, id);
			(void)store_batch_drop_empty(e->st, j.batch_id, NULL);
			r->removed++;
		}
	} else if (j.pruned_ms == 0) {
		j.pruned_ms = time_now_ms();
		log_debug("retention: job %lld: work directory removed", (long long)id);
		job_persist(e, &j);
		r->pruned++;
	}
	job_clear(&j);
}

/* Begin the walk of the next queued job that may still be pruned. */
static bool next(struct engine *e, struct retain *r)
{
	while (r->head < r->n) {
		struct retain_item it = r->q[r->head++];
		if (it.id <= 0)
			continue; /* forgotten */
		struct job j;
		if (store_job_get(e->st, it.id, &j, NULL) < 0)
			continue;
		bool ok = job_state_terminal(j.state) && (it.record || j.pruned_ms == 0) &&
			  !run_find(e, it.id);
		if (ok) {
			char *dir = paths_job_dir(e->paths, it.id);
			/* an output is stored absolute; a relative one would be
			 * the work directory's (where a remote submit runs) */
			char *keep = j.output && j.output[0] != '/'
					 ? xasprintf("%s/%s", dir, j.output)
					 : xstrdup(j.output);
			treerm_start(&r->walk, dir, keep);
			free(keep);
			free(dir);
			r->cur = it;
		}
		job_clear(&j);
		if (ok)
			return true;
	}
	r->head = r->n = 0;
	return false;
}

static void slice(struct loop *l, void *ctx)
{
	struct engine *e = ctx;
	struct retain *r = rt(e);
	(void)l;
	r->slice_timer = 0;
	if (e->shutting_down || store_behind(e->st)) {
		if (r->cur.id) {
			treerm_end(&r->walk);
			push(r, r->cur.id, r->cur.record); /* again after a restart */
			r->cur.id = 0;
		}
		return; /* a catch-up or the next start kicks it again */
	}
	int budget = RETAIN_SLICE;
	while (budget > 0) {
		if (!r->cur.id && !next(e, r) && (refill(e, r) == 0 || !next(e, r)))
			break;
		long before = r->walk.removed;
		bool done = treerm_step(&r->walk, budget);
		budget -= (int)(r->walk.removed - before) + 1;
		if (done)
			finish(e, r);
	}
	if (r->cur.id || r->head < r->n || budget <= 0) {
		r->slice_timer = loop_timer_add(e->loop, 0, slice, e);
		return;
	}
	/* one line per burst: info for a catch-up or a clean by hand, the
	 * steady one or two per job end only at debug */
	if (r->pruned + r->removed >= 10)
		log_info("retention: %zu work director%s removed, %zu record%s", r->pruned,
			 r->pruned == 1 ? "y" : "ies", r->removed, r->removed == 1 ? "" : "s");
	else if (r->pruned || r->removed)
		log_debug("retention: %zu work directories removed, %zu records", r->pruned,
			  r->removed);
	r->pruned = r->removed = 0;
	arm_deadline(e, r);
}

static void kick(struct engine *e)
{
	struct retain *r = rt(e);
	if (!r->slice_timer && !e->shutting_down)
		r->slice_timer = loop_timer_add(e->loop, 0, slice, e);
}

void retain_kick(struct engine *e)
{
	if (rules_on(e))
		kick(e);
}

void retain_forget(struct engine *e, int64_t id)
{
	struct retain *r = e->retain;
	if (!r)
		return;
	for (size_t i = r->head; i < r->n; i++)
		if (r->q[i].id == id)
			r->q[i].id = 0;
	if (r->cur.id == id) {
		/* half removed: finish it now, so what comes next starts clean */
		while (!treerm_step(&r->walk, 1 << 20))
			;
		treerm_end(&r->walk);
		r->cur.id = 0;
	}
}

void retain_free(struct engine *e)
{
	struct retain *r = e->retain;
	if (!r)
		return;
	loop_timer_del(e->loop, r->slice_timer);
	loop_timer_del(e->loop, r->deadline_timer);
	treerm_end(&r->walk);
	free(r->q);
	free(r);
	e->retain = NULL;
}

/* --- by hand: `aura clean --retention` ------------------------------------- */

static int collect(struct engine *e, bool records, int64_t **ids, size_t *n, struct aura_error *err)
{
	int64_t total = store_job_count(e->st, -1);
	if (total < 0)
		return (int)total;
	size_t max = (size_t)total + 1;
	*ids = xcalloc(max, sizeof(**ids));
	*n = 0;
	int rc = records ? store_retain_records(e->st, e->cfg->keep_records, *ids, max, n, err)
			 : store_retain_due(e->st, age_cut(e, time_now_ms()), e->cfg->keep_jobs,
					    *ids, max, n, err);
	if (rc < 0 || *n == 0) {
		free(*ids);
		*ids = NULL;
		*n = 0;
	}
	return rc < 0 ? rc : 0;
}

int engine_retention(struct engine *e, bool dry_run, int64_t **prune, size_t *nprune,
		     int64_t **records, size_t *nrecords, struct aura_error *err)
{
	*prune = *records = NULL;
	*nprune = *nrecords = 0;
	if (store_behind(e->st))
		return refuse_while_behind(e, "clean --retention", err);
	int rc = collect(e, true, records, nrecords, err);
	if (rc == 0)
		rc = collect(e, false, prune, nprune, err);
	if (rc < 0) {
		free(*records);
		*records = NULL;
		*nrecords = 0;
		return rc;
	}
	if (dry_run)
		return 0;
	struct retain *r = rt(e);
	for (size_t i = 0; i < *nrecords; i++)
		push(r, (*records)[i], true);
	for (size_t i = 0; i < *nprune; i++)
		push(r, (*prune)[i], false);
	kick(e);
	return 0;
}
