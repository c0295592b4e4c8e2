/*
 * store.h -- the job store: SQLite in WAL mode, versioned schema with
 * forward migrations, prepared statements, transactions. The only module
 * that includes <sqlite3.h>.
 *
 * Must never: overwrite a database it does not understand (newer schema,
 * not a database, failed integrity check), or leave a write half done.
 */
#ifndef AURA_STORE_H
#define AURA_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/errors.h"
#include "base/job.h"

struct store;

/*
 * Open (create) the store at path, migrate it forward, set WAL and a busy
 * timeout. Errors: -AURA_E_STORE_OPEN, _CORRUPT (not a database or failed
 * quick_check), _TOO_NEW (schema newer than this build), _BUSY.
 * A file that is not a database or is too new is never written to.
 */
int store_open(const char *path, struct store **out, struct aura_error *err);
/* Rolls back an open transaction, finalizes every statement; NULL is fine. */
void store_close(struct store *st);

int store_schema_version(struct store *st); /* PRAGMA user_version */

/* New job ids start after max_id (the AUTOINCREMENT sequence is raised,
 * never lowered). Not while batching. */
int store_reserve_ids(struct store *st, int64_t max_id, struct aura_error *err);
/* The number of jobs in the store at path, opened read-only (doctor): a
 * file without the schema counts 0. The file is not created or changed. */
int store_peek_job_count(const char *path, int64_t *n, struct aura_error *err);
#define STORE_SCHEMA_VERSION 5

/*
 * For tests of the migration runner only (see doc/store.md).
 *
 * store_open_at_version() migrates no further than `version` (0 ..
 * STORE_SCHEMA_VERSION); a file already past it is not downgraded. Below
 * STORE_SCHEMA_VERSION only store_schema_version() and store_close() may be
 * used on the result.
 *
 * store_open_with_extra_steps() behaves as a future build that appends
 * `n` steps (SQL text) to the built-in migrations: extra[i] takes the schema
 * from version STORE_SCHEMA_VERSION + i to STORE_SCHEMA_VERSION + i + 1.
 */
int store_open_at_version(const char *path, int version, struct store **out,
			  struct aura_error *err);
int store_open_with_extra_steps(const char *path, const char *const *extra, int n,
				struct store **out, struct aura_error *err);

/* Full PRAGMA integrity_check, then foreign_key_check (stages whose job is
 * gone); 0 or -AURA_E_STORE_CORRUPT with the first problem in err. */
int store_integrity_check(struct store *st, struct aura_error *err);

/*
 * Explicit transactions (BEGIN IMMEDIATE / COMMIT / ROLLBACK). Nesting is a
 * programming error (assert). A failed commit rolls back: after
 * store_commit returns, no transaction is open either way. store_rollback
 * without an open transaction does nothing (handy on error paths).
 */
int store_begin(struct store *st, struct aura_error *err);
int store_commit(struct store *st, struct aura_error *err);
void store_rollback(struct store *st);
bool store_in_transaction(const struct store *st);

/*
 * Group commit. With batching on, the first write outside an explicit
 * transaction opens one, and the writes that follow join it until
 * store_batch_commit: the server commits once per loop turn (and after
 * each request, before its answer can be written), not once per write.
 * store_begin commits an open batch first; store_close commits it.
 *
 * The write-behind journal. With batching on, SQLite's busy handler is
 * off (the loop never waits for a lock) and every update, progress write,
 * delete and stage write is also kept in memory until a commit has made
 * it durable. A write or a commit that fails for a reason that may pass
 * (the write lock held by another process, a full disk, an I/O error)
 * rolls the batch back and leaves the store "behind": the writes return
 * 0, they join the journal only, and each store_batch_commit replays the
 * whole journal in one transaction until one succeeds. While behind, the
 * database (and so every read) lacks the journal's writes: the caller
 * announces nothing of them and starts nothing from a read. An insert
 * while behind fails with the reason.
 */
void store_set_batching(struct store *st, bool on);
int store_batch_commit(struct store *st, struct aura_error *err);

struct store_status {
	bool behind;	    /* the database lacks journaled writes */
	int code;	    /* why (STORE_BUSY, DISK_FULL, STORE_IO...), 0 if not behind */
	const char *detail; /* SQLite's words; owned by the store */
	int64_t since_ms;   /* wall clock of the first failed write */
	size_t pending;	    /* journaled writes waiting */
};
void store_status(const struct store *st, struct store_status *out);
bool store_behind(const struct store *st);
/* Writes made through the journal so far (a request compares it). */
uint64_t store_write_count(const struct store *st);
/* The distinct job ids of the journal (allocated, *ids NULL when 0). */
size_t store_pending_ids(const struct store *st, int64_t **ids);

/* Insert j (id ignored, assigned into j->id; created/updated set if 0).
 * Strings are copied; NULL strings are stored as NULL and read back NULL.
 * j->key, when not NULL, is the job's idempotency key: if a job already
 * has it, nothing is inserted, j->id is set to that job's id and the
 * return is STORE_KEY_EXISTS (not an error). Never journaled: run it
 * inside the caller's transaction (store_begin). */
#define STORE_KEY_EXISTS 1
int store_job_insert(struct store *st, struct job *j, struct aura_error *err);
/* Write every field of j (by j->id); updated_ms set to now (in j too).
 * -AURA_E_JOB_NOT_FOUND if absent. */
int store_job_update(struct store *st, struct job *j, struct aura_error *err);
/* Just the progress fields: stage, progress, out_time_us, duration_us, fps,
 * speed, size, eta_s (cheap, for throttled progress writes; updated_ms and
 * every other column are left alone). -AURA_E_JOB_NOT_FOUND if absent. */
int store_job_update_progress(struct store *st, const struct job *j, struct aura_error *err);
/* Load one job into out (job_init'ed by the callee); -AURA_E_JOB_NOT_FOUND. */
int store_job_get(struct store *st, int64_t id, struct job *out, struct aura_error *err);
/* Delete a job and its stages. -AURA_E_JOB_NOT_FOUND if absent. */
int store_job_delete(struct store *st, int64_t id, struct aura_error *err);

/*
 * List jobs, newest first (id DESC), optionally only those in `state`
 * (state < 0: all). offset/limit page through big stores (limit <= 0: all).
 * Calls fn for each; fn's job is valid only during the call. fn returns
 * non-zero to stop early. fn may read or write through the store, but must
 * not call store_job_list itself (the statement is in use).
 */
int store_job_list(struct store *st, int state, int64_t offset, int64_t limit,
		   int (*fn)(const struct job *j, void *ctx), void *ctx, struct aura_error *err);

/* The orders a list can take (doc/protocol.md, `list`'s "sort"): each is
 * a fixed ORDER BY over stored columns, then id downwards, so paging by
 * offset is stable. STORE_SORT_ID downwards is store_job_list's order. */
enum store_sort {
	STORE_SORT_ID,
	STORE_SORT_NAME,     /* case-insensitive (ASCII); no name sorts as "" */
	STORE_SORT_KIND,     /* "ffmpeg" before "video" */
	STORE_SORT_STATE,    /* in enum job_state's order: queued first */
	STORE_SORT_STAGE,    /* the stored stage, as NAME */
	STORE_SORT_PROGRESS, /* as the bar shows it: succeeded 1, queued 0, else progress */
	STORE_SORT_ETA,	     /* running jobs with an estimate first (either way), then eta_s */
	STORE_SORT_CREATED,  /* created_ms */
	STORE_SORT__COUNT
};
/* "name" -> STORE_SORT_NAME; -1 for a name not in the list. */
int store_sort_parse(const char *name);
const char *store_sort_name(int sort);
/* store_job_list in another order (sort, downwards when desc). The
 * statement of each order is prepared at its first use and kept. */
int store_job_list_sorted(struct store *st, int state, int sort, bool desc, int64_t offset,
			  int64_t limit, int (*fn)(const struct job *j, void *ctx), void *ctx,
			  struct aura_error *err);
/* Where job `id` stands in store_job_list_sorted's list of the same state,
 * sort and desc: *at is the 0-based position (the number of rows sorting
 * before it, counted in SQL), or -1 when the job is not in that list. */
int store_job_position(struct store *st, int state, int sort, bool desc, int64_t id, int64_t *at,
		       struct aura_error *err);
/* state < 0: all. Returns the count, or a negative catalogue code. */
int64_t store_job_count(struct store *st, int state);

/* The next runnable job: queued, not_before <= now_ms, highest priority, then
 * lowest id. 0 and out filled, or 1 when none, or negative error. */
int store_job_next(struct store *st, int64_t now_ms, struct job *out, struct aura_error *err);
/* The same within one pool (jobs.pool = pool). */
int store_job_next_in(struct store *st, int64_t now_ms, const char *pool, struct job *out,
		      struct aura_error *err);

/*
 * Stages (video jobs): set/replace one by (job_id, name) (an upsert;
 * -AURA_E_JOB_NOT_FOUND if the job is absent); list in seq order into an
 * allocated array (*out NULL when *n is 0; free with stage_list_free);
 * clear removes every stage of a job (a fresh start). Deleting a job
 * deletes its stages.
 */
int store_stage_set(struct store *st, int64_t job_id, const struct stage *s,
		    struct aura_error *err);
int store_stage_list(struct store *st, int64_t job_id, struct stage **out, int *n,
		     struct aura_error *err);
int store_stage_clear(struct store *st, int64_t job_id, struct aura_error *err);

/*
 * Batches (batches.c): store_batch_insert makes a batches row inside the
 * caller's transaction (store_begin); name NULL or "" names it
 * "batch-ID"; *name_out is allocated. store_batch_find takes a decimal id
 * or a name (the newest batch of that name): -AURA_E_BATCH_NOT_FOUND when
 * none; *name allocated. store_batch_job_ids gives its jobs' ids in id
 * order (allocated; *ids NULL when *n is 0). store_job_by_key: 1 and *id
 * when a job holds key, 0 when none, or a negative error.
 */
int store_batch_insert(struct store *st, const char *name, int64_t *id, char **name_out,
		       struct aura_error *err);
int store_batch_find(struct store *st, const char *ref, int64_t *id, char **name,
		     struct aura_error *err);
int store_batch_job_ids(struct store *st, int64_t batch_id, int64_t **ids, size_t *n,
			struct aura_error *err);
int store_job_by_key(struct store *st, const char *key, int64_t *id, struct aura_error *err);

/*
 * Dependencies and hooks (deps.c). store_deps_add records, inside the
 * caller's transaction, that `job` starts only after each of after[0..n)
 * succeeded; store_deps_of gives them in id order with each one's state
 * (-1: the job was removed), allocated (*out NULL when *n is 0).
 * store_job_exists: 1, 0, or a negative error. store_hook_set (in the
 * caller's transaction) and store_hook_get: a job's --on-done command
 * (*cmd allocated, NULL when it has none).
 */
struct store_dep {
	int64_t id;
	int state; /* enum job_state, or -1 when removed */
};
int store_job_exists(struct store *st, int64_t id, struct aura_error *err);
int store_deps_add(struct store *st, int64_t job, const int64_t *after, size_t n,
		   struct aura_error *err);
int store_deps_of(struct store *st, int64_t job, struct store_dep **out, size_t *n,
		  struct aura_error *err);
/* The queued jobs that run after `after` (index job_deps_by_after),
 * allocated (*ids NULL when *n is 0). */
int store_deps_waiting_on(struct store *st, int64_t after, int64_t **ids, size_t *n,
			  struct aura_error *err);
int store_hook_set(struct store *st, int64_t job, const char *cmd, struct aura_error *err);
int store_hook_get(struct store *st, int64_t job, char **cmd, struct aura_error *err);

/*
 * Run-time pool controls (pools.c, `aura pool`): max_jobs 0 means
 * aura.ini's. Setting a pool to { 0, false } removes its row. Refused
 * while the store is behind. The list is allocated (free with
 * store_pool_ctl_free).
 */
struct store_pool_ctl {
	char *name;
	int max_jobs;
	bool paused;
};
int store_pool_ctl_set(struct store *st, const struct store_pool_ctl *c, struct aura_error *err);
int store_pool_ctl_list(struct store *st, struct store_pool_ctl **out, size_t *n,
			struct aura_error *err);
void store_pool_ctl_free(struct store_pool_ctl *c, size_t n);
/* Queued jobs of a pool (index jobs_sched_pool), or a negative code. */
int64_t store_pool_queued(struct store *st, const char *pool);
/* Every job counted by pool and state (one GROUP BY): fn(pool, state
 * name, count) per pair that has jobs. 0, or a negative code. */
int store_job_counts(struct store *st,
		     void (*fn)(const char *pool, const char *state, int64_t n, void *ctx),
		     void *ctx);

/*
 * Retention (retain.c, doc/retention.md); only finished jobs (succeeded,
 * failed, cancelled) are ever named. store_retain_due: up to max ids of
 * finished jobs whose work directory is not pruned yet (pruned_ms 0) and
 * that finished at or before before_ms (0: no age limit) or are not among
 * the newest `keep` finished jobs (0: no count limit), oldest first.
 * store_retain_oldest: 1 and the finished_ms of the oldest finished job
 * not pruned yet, 0 when there is none. store_retain_records: up to max
 * ids of finished jobs, oldest first, past the newest `keep` (keep <= 0:
 * none). store_batch_drop_empty: the batch's row once no job has it
 * (nothing while behind).
 */
int store_retain_due(struct store *st, int64_t before_ms, int64_t keep, int64_t *ids, size_t max,
		     size_t *n, struct aura_error *err);
int store_retain_oldest(struct store *st, int64_t *finished_ms, struct aura_error *err);
int store_retain_records(struct store *st, int64_t keep, int64_t *ids, size_t max, size_t *n,
			 struct aura_error *err);
int store_batch_drop_empty(struct store *st, int64_t batch_id, struct aura_error *err);

/*
 * Upkeep when the server is idle (retain.c, doc/store.md): commits an
 * open batch, hands back up to `pages` free pages (PRAGMA
 * incremental_vacuum); once none is left, PRAGMA optimize (when asked)
 * and a TRUNCATE checkpoint of the WAL. Returns 1 when free pages remain
 * (call again on a later turn), else 0; never waits for a lock (a busy
 * step is skipped) and does nothing while the store is behind or inside
 * a transaction. store_change_count: rows written so far (inserts,
 * updates, deletes), to tell that something was written since.
 */
struct store_upkeep_info {
	int64_t freed; /* pages handed back */
	bool optimized, checkpointed;
};
int store_upkeep(struct store *st, int pages, bool optimize, struct store_upkeep_info *info);
uint64_t store_change_count(const struct store *st);

#endif
