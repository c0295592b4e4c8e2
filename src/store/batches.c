/*
 * batches.c -- the batches table (doc/store.md) and the jobs of a batch:
 * a new batch inside the caller's transaction, the look-up of a batch by
 * id or name, the ids of its jobs (index jobs_by_batch) and the job that
 * holds an idempotency key (a dry run's question).
 *
 * Must never: write outside the caller's transaction (a batch and its jobs
 * are saved together or not at all).
 */
#include "config.h"

#include <assert.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store-int.h"
#include "base/util.h"

/* A one-off statement: batches are rare, their statements are not kept. */
static int prep(struct store *st, const char *sql, sqlite3_stmt **s, struct aura_error *err)
{
	int rc = sqlite3_prepare_v2(st->db, sql, -1, s, NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, rc, "prepare a batch statement", err);
	return 0;
}

int store_batch_insert(struct store *st, const char *name, int64_t *id, char **name_out,
		       struct aura_error *err)
{
	assert(st->ready && st->in_tx);
	sqlite3_stmt *s;
	int ret = prep(st, "INSERT INTO batches (name, created_ms) VALUES (?1, ?2)", &s, err);
	if (ret)
		return ret;
	struct binder b = { s, SQLITE_OK };
	b_text(&b, 1, name && *name ? name : NULL);
	b_int64(&b, 2, time_now_ms());
	int rc = step(&b);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, rc, "insert batch", err);
	*id = sqlite3_last_insert_rowid(st->db);
	if (name && *name) {
		*name_out = xstrdup(name);
		return 0;
	}
	*name_out = xasprintf("batch-%lld", (long long)*id);
	if ((ret = prep(st, "UPDATE batches SET name = ?1 WHERE id = ?2", &s, err)))
		return ret;
	b = (struct binder){ s, SQLITE_OK };
	b_text(&b, 1, *name_out);
	b_int64(&b, 2, *id);
	rc = step(&b);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		free(*name_out);
		*name_out = NULL;
		return store_fail(st, rc, "name batch", err);
	}
	return 0;
}

/* A decimal id names the batch with that id first; else the newest batch
 * with that name. */
int store_batch_find(struct store *st, const char *ref, int64_t *id, char **name,
		     struct aura_error *err)
{
	assert(st->ready);
	sqlite3_stmt *s;
	int ret = prep(st,
		       "SELECT id, name FROM batches WHERE id = ?1 OR name = ?2"
		       " ORDER BY (id = ?1) DESC, id DESC LIMIT 1",
		       &s, err);
	if (ret)
		return ret;
	char *end;
	long long n = strtoll(ref, &end, 10);
	struct binder b = { s, SQLITE_OK };
	b_int64(&b, 1, *ref && !*end && n > 0 ? n : -1);
	b_text(&b, 2, ref);
	int rc = step(&b);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		const unsigned char *t = sqlite3_column_text(s, 1);
		*name = xstrdup(t ? (const char *)t : "");
		ret = 0;
	} else if (rc == SQLITE_DONE) {
		ret = aura_error_set(err, AURA_E_BATCH_NOT_FOUND, "%s", ref);
	} else {
		ret = store_fail(st, rc, "find batch", err);
	}
	sqlite3_finalize(s);
	return ret;
}

int store_batch_job_ids(struct store *st, int64_t batch_id, int64_t **ids, size_t *n,
			struct aura_error *err)
{
	assert(st->ready);
	*ids = NULL;
	*n = 0;
	sqlite3_stmt *s;
	int ret = prep(st,
		       "SELECT id FROM jobs INDEXED BY jobs_by_batch WHERE batch_id = ?1"
		       " ORDER BY id",
		       &s, err);
	if (ret)
		return ret;
	struct binder b = { s, SQLITE_OK };
	b_int64(&b, 1, batch_id);
	size_t cap = 0;
	int rc;
	while ((rc = step(&b)) == SQLITE_ROW) {
		XGROW(*ids, *n + 1, cap, 64);
		(*ids)[(*n)++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		return store_fail(st, rc, "list a batch's jobs", err);
	}
	return 0;
}

int store_job_by_key(struct store *st, const char *key, int64_t *id, struct aura_error *err)
{
	assert(st->ready);
	sqlite3_stmt *s;
	int ret = prep(st, "SELECT id FROM jobs WHERE idem_key = ?1", &s, err);
	if (ret)
		return ret;
	struct binder b = { s, SQLITE_OK };
	b_text(&b, 1, key);
	int rc = step(&b);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		ret = store_fail(st, rc, "find job by key", err);
	}
	sqlite3_finalize(s);
	return ret;
}
