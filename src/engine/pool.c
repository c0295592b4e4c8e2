/*
 * pool.c -- the run-time pool controls of `aura pool` (doc/cli.md): a
 * pool's max_jobs override and its paused queue, kept in the store
 * (pool_ctl) so a restart keeps them, and read by the scheduler through
 * pool_limit() and pool_paused().
 *
 * Must never: stop a running job because a limit was lowered (it only
 * keeps new ones from starting), or start a job of a paused pool.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "engine/engine-int.h"
#include "engine/engine.h"
#include "store/store.h"

static struct store_pool_ctl *ctl_find(const struct engine *e, const char *name)
{
	for (size_t i = 0; i < e->npctl; i++)
		if (strcmp(e->pctl[i].name, name) == 0)
			return &e->pctl[i];
	return NULL;
}

int pool_limit(const struct engine *e, const struct pool_config *p)
{
	const struct store_pool_ctl *c = ctl_find(e, p->name);
	return c && c->max_jobs > 0 ? c->max_jobs : config_pool_max_jobs(e->cfg, p);
}

bool pool_paused(const struct engine *e, const char *pool)
{
	const struct store_pool_ctl *c = ctl_find(e, pool);
	return c && c->paused;
}

int pool_ctl_load(struct engine *e, struct aura_error *err)
{
	store_pool_ctl_free(e->pctl, e->npctl);
	e->pctl = NULL;
	e->npctl = 0;
	int rc = store_pool_ctl_list(e->st, &e->pctl, &e->npctl, err);
	for (size_t i = 0; rc == 0 && i < e->npctl; i++) {
		const struct store_pool_ctl *c = &e->pctl[i];
		if (!config_pool(e->cfg, c->name))
			continue;
		if (c->paused)
			log_info("pool %s: paused (aura pool %s --resume starts its queue)",
				 c->name, c->name);
		if (c->max_jobs > 0)
			log_info("pool %s: max_jobs %d set with aura pool (aura.ini: %d)", c->name,
				 c->max_jobs,
				 config_pool_max_jobs(e->cfg, config_pool(e->cfg, c->name)));
	}
	return rc;
}

/* --pause --running: pause the pool's running jobs, and remember them;
 * --resume: resume those of them still paused (not one paused by `aura
 * pause ID`). A restart requeues paused jobs anyway. */
static void pool_runs(struct engine *e, const char *pool, bool pause)
{
	size_t n = 0, cap = 0;
	int64_t *ids = NULL;
	for (const struct run *r = e->runs; r; r = r->next)
		if (strcmp(job_pool(&r->job), pool) == 0 &&
		    r->job.state == (pause ? JOB_RUNNING : JOB_PAUSED)) {
			bool held = false;
			for (size_t i = 0; !pause && i < e->nheld; i++)
				held |= e->held[i] == r->job.id;
			if (!pause && !held)
				continue;
			XGROW(ids, n + 1, cap, 8);
			ids[n++] = r->job.id;
		}
	for (size_t i = 0; i < n; i++) {
		struct aura_error err = { 0 };
		int rc = pause ? engine_pause(e, ids[i], &err) : engine_resume(e, ids[i], &err);
		if (rc < 0) {
			log_warn("pool %s: job %lld: %s", pool, (long long)ids[i], err.detail);
		} else if (pause) {
			XGROW(e->held, e->nheld + 1, e->held_cap, 8);
			e->held[e->nheld++] = ids[i];
		}
	}
	if (!pause) { /* forget the resumed ones */
		size_t k = 0;
		for (size_t i = 0; i < e->nheld; i++) {
			bool done = false;
			for (size_t m = 0; m < n; m++)
				done |= e->held[i] == ids[m];
			if (!done)
				e->held[k++] = e->held[i];
		}
		e->nheld = k;
	}
	free(ids);
}

int engine_pool_set(struct engine *e, const char *name, int max_jobs, int paused, bool running,
		    struct aura_error *err)
{
	const struct pool_config *p = config_pool(e->cfg, name);
	if (!p) {
		struct job j;
		job_init(&j);
		j.pool = (char *)name;
		int rc = engine_pool_resolve(e, &j, err); /* names the pools */
		j.pool = NULL;
		return rc < 0 ? rc : -AURA_E_POOL_UNKNOWN;
	}
	struct store_pool_ctl *c = ctl_find(e, p->name);
	struct store_pool_ctl now = { (char *)p->name, c ? c->max_jobs : 0, c && c->paused };
	if (max_jobs >= 0)
		now.max_jobs = max_jobs;
	if (paused >= 0)
		now.paused = paused != 0;
	int rc = store_pool_ctl_set(e->st, &now, err);
	if (rc < 0)
		return rc;
	if (!c) {
		XGROW(e->pctl, e->npctl + 1, e->npctl_cap, 4);
		c = &e->pctl[e->npctl++];
		c->name = xstrdup(p->name);
	}
	c->max_jobs = now.max_jobs;
	c->paused = now.paused;
	log_info("pool %s: max_jobs %d%s, %s", p->name, pool_limit(e, p),
		 now.max_jobs > 0 ? "" : " (aura.ini)", now.paused ? "paused" : "running");
	if (paused == 1 && running)
		pool_runs(e, p->name, true);
	else if (paused == 0)
		pool_runs(e, p->name, false);
	schedule(e);
	backoff_rearm(e, slots_free(e));
	return 0;
}

int engine_pool_limit(const struct engine *e, const struct pool_config *p)
{
	return pool_limit(e, p);
}

bool engine_pool_paused(const struct engine *e, const char *pool)
{
	return pool_paused(e, pool);
}
