/*
 * deps.c -- a job's dependencies (table job_deps: it starts only after
 * each of them succeeded, `--after`) and its own hook (table job_hooks,
 * `--on-done`); doc/store.md. The scheduler's side is the NOT EXISTS of
 * SQL_JOB_NEXT_POOL (store.c), which reads job_deps by its primary key.
 *
 * Must never: write dependencies or a hook outside the caller's
 * transaction (they are saved with their job or not at all).
 */
#include "config.h"

#include <assert.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store-int.h"
#include "base/util.h"

/* One-off statements: each runs once per submit, start or shown job. */
static int prep(struct store *st, const char *sql, sqlite3_stmt **s, struct aura_error *err)
{
	int rc = sqlite3_prepare_v2(st->db, sql, -1, s, NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, rc, "prepare a dependency statement", err);
	return 0;
}

int store_job_exists(struct store *st, int64_t id, struct aura_error *err)
{
	assert(st->ready);
	sqlite3_stmt *s;
	int ret = prep(st, "SELECT 1 FROM jobs WHERE id = ?1", &s, err);
	if (ret)
		return ret;
	struct binder b = { s, SQLITE_OK };
	b_int64(&b, 1, id);
	int rc = step(&b);
	ret = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : store_fail(st, rc, "find job", err);
	sqlite3_finalize(s);
	return ret;
}

int store_deps_add(struct store *st, int64_t job, const int64_t *after, size_t n,
		   struct aura_error *err)
{
	assert(st->ready && st->in_tx);
	if (n == 0)
		return 0;
	sqlite3_stmt *s;
	int ret = prep(st, "INSERT OR IGNORE INTO job_deps (job, after) VALUES (?1, ?2)", &s, err);
	for (size_t i = 0; ret == 0 && i < n; i++) {
		struct binder b = { s, SQLITE_OK };
		b_int64(&b, 1, job);
		b_int64(&b, 2, after[i]);
		int rc = step(&b);
		if (rc != SQLITE_DONE)
			ret = store_fail(st, rc, "add dependency", err);
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	return ret;
}

int store_deps_of(struct store *st, int64_t job, struct store_dep **out, size_t *n,
		  struct aura_error *err)
{
	assert(st->ready);
	*out = NULL;
	*n = 0;
	sqlite3_stmt *s;
	int ret = prep(st,
		       "SELECT d.after, a.state FROM job_deps d LEFT JOIN jobs a ON a.id = d.after"
		       " WHERE d.job = ?1 ORDER BY d.after",
		       &s, err);
	if (ret)
		return ret;
	size_t cap = 0;
	struct binder b = { s, SQLITE_OK };
	b_int64(&b, 1, job);
	int rc;
	while ((rc = step(&b)) == SQLITE_ROW) {
		XGROW(*out, *n + 1, cap, 4);
		struct store_dep *d = &(*out)[(*n)++];
		d->id = sqlite3_column_int64(s, 0);
		const char *state = (const char *)sqlite3_column_text(s, 1);
		d->state = state ? job_state_parse(state) : -1;
	}
	if (rc != SQLITE_DONE) {
		ret = store_fail(st, rc, "list dependencies", err);
		free(*out);
		*out = NULL;
		*n = 0;
	}
	sqlite3_finalize(s);
	return ret;
}

int store_hook_set(struct store *st, int64_t job, const char *cmd, struct aura_error *err)
{
	assert(st->ready && st->in_tx);
	sqlite3_stmt *s;
	int ret =
	    prep(st, "INSERT OR REPLACE INTO job_hooks (job, on_done) VALUES (?1, ?2)", &s, err);
	if (ret)
		return ret;
	struct binder b = { s, SQLITE_OK };
	b_int64(&b, 1, job);
	b_text(&b, 2, cmd);
	int rc = step(&b);
	if (rc != SQLITE_DONE)
		ret = store_fail(st, rc, "set hook", err);
	sqlite3_finalize(s);
	return ret;
}

int store_hook_get(struct store *st, int64_t job, char **cmd, struct aura_error *err)
{
	assert(st->ready);
	*cmd = NULL;
	sqlite3_stmt *s;
	int ret = prep(st, "SELECT on_done FROM job_hooks WHERE job = ?1", &s, err);
	if (ret)
		return ret;
	struct binder b = { s, SQLITE_OK };
	b_int64(&b, 1, job);
	int rc = step(&b);
	if (rc == SQLITE_ROW)
		*cmd = xstrdup((const char *)sqlite3_column_text(s, 0));
	else if (rc != SQLITE_DONE)
		ret = store_fail(st, rc, "get hook", err);
	sqlite3_finalize(s);
	return ret;
}

int store_deps_waiting_on(struct store *st, int64_t after, int64_t **ids, size_t *n,
			  struct aura_error *err)
{
	assert(st->ready);
	*ids = NULL;
	*n = 0;
	sqlite3_stmt *s;
	int ret = prep(st,
		       "SELECT d.job FROM job_deps d INDEXED BY job_deps_by_after"
		       " JOIN jobs j ON j.id = d.job WHERE d.after = ?1 AND j.state = 'queued'"
		       " ORDER BY d.job",
		       &s, err);
	if (ret)
		return ret;
	size_t cap = 0;
	struct binder b = { s, SQLITE_OK };
	b_int64(&b, 1, after);
	int rc;
	while ((rc = step(&b)) == SQLITE_ROW) {
		XGROW(*ids, *n + 1, cap, 8);
		(*ids)[(*n)++] = sqlite3_column_int64(s, 0);
	}
	if (rc != SQLITE_DONE) {
		ret = store_fail(st, rc, "list dependents", err);
		free(*ids);
		*ids = NULL;
		*n = 0;
	}
	sqlite3_finalize(s);
	return ret;
}
