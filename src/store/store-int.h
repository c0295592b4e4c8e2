/*
 * store-int.h -- what the files of src/store/ share and nobody else sees:
 * the store's struct, its prepared statements, a journaled write, the
 * binder, and the helpers each file calls in another (store.c: errors,
 * running statements, transactions; jobs.c: the statement of each write;
 * journal.c: the write-behind journal).
 *
 * Must never: be included from outside src/store/ (the rest of aura
 * knows the store only through store.h).
 */
#ifndef AURA_STORE_INT_H
#define AURA_STORE_INT_H

#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "base/job.h"

/* Column order shared by every SELECT of a job; read_job() relies on it. */
#define JOB_COLS                                                                                   \
	"id, kind, name, state, priority, spec, output, workdir, created_ms, started_ms,"          \
	" finished_ms, updated_ms, attempts, max_attempts, not_before_ms, stage, progress,"        \
	" out_time_us, duration_us, fps, speed, size, eta_s, pid, error_code, error_message,"      \
	" stderr_tail, warnings, idem_key, pool, batch_id, cluster_id, substate, pruned_ms"
/* The same without id and idem_key (a job's key is written only by its
 * insert, never by an update: see doc/store.md), , bound as ?1..?31 and ?33 by bind_job(). */
#define JOB_SET                                                                                    \
	"kind = ?1, name = ?2, state = ?3, priority = ?4, spec = ?5, output = ?6, workdir = ?7,"   \
	" created_ms = ?8, started_ms = ?9, finished_ms = ?10, updated_ms = ?11, attempts = ?12,"  \
	" max_attempts = ?13, not_before_ms = ?14, stage = ?15, progress = ?16,"                   \
	" out_time_us = ?17, duration_us = ?18, fps = ?19, speed = ?20, size = ?21, eta_s = ?22,"  \
	" pid = ?23, error_code = ?24, error_message = ?25, stderr_tail = ?26, warnings = ?27,"    \
	" pool = ?28, batch_id = ?29, cluster_id = ?30, substate = ?31, pruned_ms = ?33"

enum stmt_id {
	SQL_BEGIN,
	SQL_COMMIT,
	SQL_ROLLBACK,
	SQL_JOB_INSERT,
	SQL_JOB_BY_KEY,
	SQL_JOB_UPDATE,
	SQL_JOB_PROGRESS,
	SQL_JOB_GET,
	SQL_JOB_DELETE,
	SQL_JOB_LIST,
	SQL_JOB_LIST_STATE,
	SQL_JOB_COUNT,
	SQL_JOB_COUNT_STATE,
	SQL_JOB_NEXT,
	SQL_JOB_NEXT_POOL,
	SQL_STAGE_SET,
	SQL_STAGE_LIST,
	SQL_STAGE_CLEAR,
	SQL__COUNT
};

struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[SQL__COUNT];
	/* store_job_list_sorted's: [sort][desc][with a state filter], lazily */
	sqlite3_stmt *sorted[STORE_SORT__COUNT][2][2];
	bool ready;	 /* schema current and statements prepared */
	bool in_tx;	 /* inside store_begin .. store_commit/rollback */
	bool batching;	 /* writes outside in_tx join a batch */
	bool batch_open; /* a batch transaction is open */
	/* The write-behind journal (batching only): every write since the
	 * last successful commit, coalesced per row. While `behind`, the
	 * database lacks them and writes only join the journal; a commit
	 * replays it in one transaction. */
	struct op *ops;
	size_t nops, capops;
	bool behind;
	int behind_code;
	char *behind_detail;
	int64_t behind_since_ms;
	uint64_t writes;
};

/* One journaled write. */
enum op_kind { OP_JOB, OP_PROGRESS, OP_DELETE, OP_STAGE_SET, OP_STAGE_CLEAR };
struct op {
	enum op_kind kind;
	int64_t id;	    /* the job */
	struct job job;	    /* OP_JOB: the record; OP_PROGRESS: its progress fields */
	struct stage stage; /* OP_STAGE_SET */
};

/* Collects the first bind error so a row of binds needs one check. */
struct binder {
	sqlite3_stmt *s;
	int rc;
};

static inline void b_text(struct binder *b, int i, const char *v)
{
	if (b->rc != SQLITE_OK)
		return;
	b->rc =
	    v ? sqlite3_bind_text(b->s, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(b->s, i);
}

static inline void b_int64(struct binder *b, int i, int64_t v)
{
	if (b->rc == SQLITE_OK)
		b->rc = sqlite3_bind_int64(b->s, i, v);
}

/* SQLite stores NaN as NULL, which the NOT NULL columns refuse: keep the
 * column's "unknown" value instead. */
static inline void b_double(struct binder *b, int i, double v, double if_nan)
{
	if (b->rc == SQLITE_OK)
		b->rc = sqlite3_bind_double(b->s, i, isnan(v) ? if_nan : v);
}

/* Statements are reused: reset and unbind after every use. */
static inline void done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* Step a bound statement: its first bind error, else the step's code. */
static inline int step(struct binder *b)
{
	return b->rc == SQLITE_OK ? sqlite3_step(b->s) : b->rc;
}

/* retain.c: auto_vacuum = INCREMENTAL, with one VACUUM for an older file. */
void store_autovacuum_ensure(struct store *st);
/* store.c: SQLite result code -> catalogue code (`fallback` is STORE_OPEN
 * while opening and STORE_IO afterwards); an error naming `what`. */
/* One integer from sql (0 when it returns no row); SQLite's code, *out
 * set on SQLITE_OK. */
int store_int_of(struct store *st, const char *sql, int64_t *out);
int store_map_rc(int rc, int fallback);
int store_fail(struct store *st, int rc, const char *what, struct aura_error *err);
/* store.c: step a bound statement that returns no rows, then reset it;
 * store_run is the same for a statement without parameters. */
int store_run_bound(struct store *st, struct binder *b, const char *what, struct aura_error *err);
int store_run(struct store *st, sqlite3_stmt *s, const char *what, struct aura_error *err);
/* store.c: COMMIT what is open (a failed commit rolls back); before a
 * write, open the batch if batching and nothing is open. */
int store_commit_open(struct store *st, const char *what, struct aura_error *err);
int store_batch_touch(struct store *st, struct aura_error *err);

/* jobs.c: run one write's statement. */
int store_sql_op(struct store *st, const struct op *op, struct aura_error *err);

/* journal.c: one write of the server's loop (journaled when batching);
 * forget the journal. */
int store_write_op(struct store *st, const struct op *w, struct aura_error *err);
void store_journal_clear(struct store *st);

#endif
