/*
 * retain.c -- what retention asks of the store (doc/retention.md): which
 * finished jobs' work directories are due (finished before a time, or not
 * among the newest N finished jobs), when the next one falls due, which
 * records are past keep_records; and the store's own upkeep when the
 * server is idle: the WAL checkpointed, free pages handed back in slices
 * (auto_vacuum = INCREMENTAL, switched on once at open), PRAGMA optimize.
 *
 * Must never: select a queued, running or paused job; run upkeep inside
 * an open transaction or while the store is behind; wait for a lock (a
 * busy database is left for the next idle moment).
 */
#include "config.h"

#include <assert.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store-int.h"
#include "base/log.h"
#include "base/util.h"

#define FINISHED "state IN ('succeeded', 'failed', 'cancelled')"

/* Run sql (no row wanted, or the rows ignored); SQLite's code. */
static int exec_rc(struct store *st, const char *sql)
{
	return sqlite3_exec(st->db, sql, NULL, NULL, NULL);
}

/*
 * The cut of keep: (finished_ms, id) of the newest finished job that is
 * not among the newest `keep` (index jobs_finished, or jobs_unpruned with
 * only_unpruned). 1 and the cut, 0 when there are no more than keep.
 */
static int keep_cut(struct store *st, int64_t keep, int64_t *f, int64_t *id, struct aura_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db,
				    "SELECT finished_ms, id FROM jobs INDEXED BY jobs_finished"
				    " WHERE " FINISHED " ORDER BY finished_ms DESC, id DESC"
				    " LIMIT 1 OFFSET ?1",
				    -1, &s, NULL);
	int ret = 0;
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(s, 1, keep);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*f = sqlite3_column_int64(s, 0);
		*id = sqlite3_column_int64(s, 1);
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		ret = store_fail(st, rc, "retention: the newest finished jobs", err);
	}
	sqlite3_finalize(s);
	return ret;
}

/* The ids (up to max) of finished jobs at or below the cut (f, id), oldest
 * first; unpruned ones only, or every one. */
static int ids_upto(struct store *st, bool unpruned, int64_t f, int64_t id, int64_t *ids,
		    size_t max, size_t *n, struct aura_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(
	    st->db,
	    unpruned
		? "SELECT id FROM jobs INDEXED BY jobs_unpruned WHERE pruned_ms = 0 AND " FINISHED
		  " AND (finished_ms, id) <= (?1, ?2) ORDER BY finished_ms, id LIMIT ?3"
		: "SELECT id FROM jobs INDEXED BY jobs_finished WHERE " FINISHED
		  " AND (finished_ms, id) <= (?1, ?2) ORDER BY finished_ms, id LIMIT ?3",
	    -1, &s, NULL);
	struct binder b = { s, rc };
	b_int64(&b, 1, f);
	b_int64(&b, 2, id);
	b_int64(&b, 3, (int64_t)max);
	int ret = 0;
	while ((rc = step(&b)) == SQLITE_ROW && *n < max)
		ids[(*n)++] = sqlite3_column_int64(s, 0);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		ret = store_fail(st, rc, "retention: the jobs due", err);
	sqlite3_finalize(s);
	return ret;
}

int store_retain_due(struct store *st, int64_t before_ms, int64_t keep, int64_t *ids, size_t max,
		     size_t *n, struct aura_error *err)
{
	assert(st->ready);
	*n = 0;
	/* the later of the two cuts: everything at or below it is due */
	int64_t f = -1, id = 0;
	if (before_ms > 0) {
		f = before_ms;
		id = INT64_MAX;
	}
	if (keep > 0) {
		int64_t kf, kid;
		int r = keep_cut(st, keep, &kf, &kid, err);
		if (r < 0)
			return r;
		if (r == 1 && (kf > f || (kf == f && kid > id))) {
			f = kf;
			id = kid;
		}
	}
	if (f < 0 || max == 0)
		return 0;
	return ids_upto(st, true, f, id, ids, max, n, err);
}

int store_retain_oldest(struct store *st, int64_t *finished_ms, struct aura_error *err)
{
	assert(st->ready);
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db,
				    "SELECT finished_ms FROM jobs INDEXED BY jobs_unpruned"
				    " WHERE pruned_ms = 0 AND " FINISHED
				    " ORDER BY finished_ms, id LIMIT 1",
				    -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	int ret = 0;
	if (rc == SQLITE_ROW) {
		*finished_ms = sqlite3_column_int64(s, 0);
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		ret = store_fail(st, rc, "retention: the oldest finished job", err);
	}
	sqlite3_finalize(s);
	return ret;
}

int store_retain_records(struct store *st, int64_t keep, int64_t *ids, size_t max, size_t *n,
			 struct aura_error *err)
{
	assert(st->ready);
	*n = 0;
	if (keep <= 0 || max == 0)
		return 0;
	int64_t f, id;
	int r = keep_cut(st, keep, &f, &id, err);
	if (r <= 0)
		return r;
	return ids_upto(st, false, f, id, ids, max, n, err);
}

int store_batch_drop_empty(struct store *st, int64_t batch_id, struct aura_error *err)
{
	assert(st->ready);
	if (batch_id <= 0 || st->behind)
		return 0;
	int ret = store_batch_touch(st, err);
	if (ret < 0)
		return ret;
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db,
				    "DELETE FROM batches WHERE id = ?1 AND NOT EXISTS"
				    " (SELECT 1 FROM jobs WHERE batch_id = ?1)",
				    -1, &s, NULL);
	struct binder b = { s, rc };
	b_int64(&b, 1, batch_id);
	rc = step(&b);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : store_fail(st, rc, "drop an empty batch", err);
}

/* --- upkeep ------------------------------------------------------------------ */

uint64_t store_change_count(const struct store *st)
{
	return (uint64_t)sqlite3_total_changes(st->db);
}

/*
 * auto_vacuum = INCREMENTAL lets free pages be handed back a slice at a
 * time. A new file takes it before its first table; a file made without
 * it needs one VACUUM, done here once (a busy file is left for the next
 * open). Called at open, after journal_mode, before the migrations.
 */
void store_autovacuum_ensure(struct store *st)
{
	int64_t mode = 0, tables = 0;
	if (store_int_of(st, "PRAGMA auto_vacuum", &mode) != SQLITE_OK || mode == 2)
		return;
	/* a file without pages takes the mode at once; one that has its
	 * first page (journal_mode = WAL writes it) needs the VACUUM, which
	 * is instant while it holds no table */
	if (exec_rc(st, "PRAGMA auto_vacuum = INCREMENTAL") != SQLITE_OK ||
	    store_int_of(st, "PRAGMA auto_vacuum", &mode) != SQLITE_OK || mode == 2 ||
	    store_int_of(st, "SELECT count(*) FROM sqlite_master", &tables) != SQLITE_OK)
		return;
	int rc = exec_rc(st, "VACUUM");
	if (rc == SQLITE_OK && tables > 0)
		log_info("%s: rewritten once with auto_vacuum = incremental (doc/store.md)",
			 st->path);
	else if (rc != SQLITE_OK)
		log_warn("%s: VACUUM for auto_vacuum = incremental: %s (tried again at the next "
			 "start)",
			 st->path, sqlite3_errmsg(st->db));
}

int store_upkeep(struct store *st, int pages, bool optimize, struct store_upkeep_info *info)
{
	assert(st->ready);
	if (info)
		memset(info, 0, sizeof(*info));
	if (st->in_tx || st->behind)
		return 0;
	if (st->batch_open && store_batch_commit(st, NULL) < 0)
		return 0; /* behind now: the owner retries */
	int64_t free_pages = 0;
	if (store_int_of(st, "PRAGMA freelist_count", &free_pages) != SQLITE_OK)
		return 0;
	if (free_pages > 0 && pages > 0) {
		char sql[64];
		snprintf(sql, sizeof(sql), "PRAGMA incremental_vacuum(%d)", pages);
		if (exec_rc(st, sql) != SQLITE_OK)
			return 0; /* busy: the next idle moment */
		int64_t left = free_pages;
		(void)store_int_of(st, "PRAGMA freelist_count", &left);
		if (info)
			info->freed = free_pages - left;
		if (left > 0)
			return 1;
	}
	if (optimize && exec_rc(st, "PRAGMA optimize") == SQLITE_OK && info)
		info->optimized = true;
	/* TRUNCATE: the -wal file back to 0 bytes, when no reader holds it */
	if (exec_rc(st, "PRAGMA wal_checkpoint(TRUNCATE)") == SQLITE_OK && info)
		info->checkpointed = true;
	return 0;
}
