/*
 * pools.c -- the run-time pool controls of `aura pool` (table pool_ctl,
 * doc/store.md): a pool's max_jobs override (NULL: aura.ini's) and
 * whether its queue is paused. They survive a restart; a row of a pool
 * aura.ini no longer defines is kept and ignored. Also the jobs counted
 * per pool: a pool's queue, and every pool and state for the metrics.
 *
 * Must never: be journaled (a control change is refused while the store
 * is behind, never half remembered).
 */
#include "config.h"

#include <assert.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store-int.h"
#include "base/util.h"

int store_pool_ctl_set(struct store *st, const struct store_pool_ctl *c, struct aura_error *err)
{
	assert(st->ready);
	if (st->behind)
		return aura_error_set(err, st->behind_code, "%s", st->behind_detail);
	int ret = store_batch_touch(st, err);
	if (ret < 0)
		return ret;
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(st->db,
				    c->max_jobs > 0 || c->paused
					? "INSERT OR REPLACE INTO pool_ctl (name, max_jobs, paused)"
					  " VALUES (?1, ?2, ?3)"
					: "DELETE FROM pool_ctl WHERE name = ?1",
				    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, rc, "prepare a pool statement", err);
	struct binder b = { s, SQLITE_OK };
	b_text(&b, 1, c->name);
	if (c->max_jobs > 0 || c->paused) {
		if (c->max_jobs > 0)
			b_int64(&b, 2, c->max_jobs);
		b_int64(&b, 3, c->paused);
	}
	rc = step(&b);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, rc, "set pool control", err);
	return 0;
}

int store_pool_ctl_list(struct store *st, struct store_pool_ctl **out, size_t *n,
			struct aura_error *err)
{
	assert(st->ready);
	*out = NULL;
	*n = 0;
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(
	    st->db, "SELECT name, max_jobs, paused FROM pool_ctl ORDER BY name", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, rc, "prepare a pool statement", err);
	size_t cap = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		XGROW(*out, *n + 1, cap, 4);
		struct store_pool_ctl *c = &(*out)[(*n)++];
		c->name = xstrdup((const char *)sqlite3_column_text(s, 0));
		c->max_jobs = sqlite3_column_int(s, 1);
		c->paused = sqlite3_column_int(s, 2) != 0;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		store_pool_ctl_free(*out, *n);
		*out = NULL;
		*n = 0;
		return store_fail(st, rc, "list pool controls", err);
	}
	return 0;
}

void store_pool_ctl_free(struct store_pool_ctl *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++)
		free(c[i].name);
	free(c);
}

int64_t store_pool_queued(struct store *st, const char *pool)
{
	assert(st->ready);
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(st->db,
				    "SELECT count(*) FROM jobs INDEXED BY jobs_sched_pool"
				    " WHERE state = 'queued' AND pool = ?1",
				    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return -store_map_rc(rc, AURA_E_STORE_IO);
	struct binder b = { s, SQLITE_OK };
	b_text(&b, 1, pool);
	rc = step(&b);
	int64_t n =
	    rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -store_map_rc(rc, AURA_E_STORE_IO);
	sqlite3_finalize(s);
	return n;
}

int store_job_counts(struct store *st,
		     void (*fn)(const char *pool, const char *state, int64_t n, void *ctx),
		     void *ctx)
{
	assert(st->ready);
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(
	    st->db, "SELECT pool, state, count(*) FROM jobs GROUP BY pool, state", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return -store_map_rc(rc, AURA_E_STORE_IO);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *pool = (const char *)sqlite3_column_text(s, 0);
		const char *state = (const char *)sqlite3_column_text(s, 1);
		fn(pool ? pool : "", state ? state : "", sqlite3_column_int64(s, 2), ctx);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -store_map_rc(rc, AURA_E_STORE_IO);
}
