/*
 * store.c -- the job store on SQLite: opening (WAL, busy timeout, quick
 * check), the versioned schema and its forward migrations, the cached
 * prepared statements, transactions, and the mapping of SQLite's result
 * codes onto the error catalogue. The rows are in jobs.c, the write-behind
 * journal in journal.c; src/store/ is the only folder that includes
 * <sqlite3.h>.
 *
 * Must never: write to a file it does not understand (not a database, a
 * newer schema, a failed quick_check), unlink or recreate the database,
 * edit a migration step that has shipped (a change is a new step), or
 * leave a write half done.
 */
#include "config.h"

#include <assert.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store-int.h"
#include "base/util.h"

#define STORE_BUSY_TIMEOUT_MS 2000 /* outside the server's loop; the loop never waits */

/*
 * migrations[i] takes PRAGMA user_version from i to i + 1; each step runs
 * in its own transaction with the version bump, so a crash or a failing
 * statement leaves the previous version intact. The CHECK lists mirror
 * job_state_name()/job_kind_name()/stage_state_name(): a new state or kind
 * needs a new step (SQLite rebuilds the table), never an edit here.
 */
// clang-format off
static const char *const migrations[STORE_SCHEMA_VERSION] = {
	/* 1: the initial schema */
	"CREATE TABLE jobs ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" kind TEXT NOT NULL CHECK (kind IN ('ffmpeg', 'video')),"
	" name TEXT,"
	" state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'paused',"
	"  'succeeded', 'failed', 'cancelled')),"
	" priority INTEGER NOT NULL DEFAULT 0,"
	" spec TEXT,"
	" output TEXT,"
	" workdir TEXT,"
	" created_ms INTEGER NOT NULL DEFAULT 0,"
	" started_ms INTEGER NOT NULL DEFAULT 0,"
	" finished_ms INTEGER NOT NULL DEFAULT 0,"
	" updated_ms INTEGER NOT NULL DEFAULT 0,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" max_attempts INTEGER NOT NULL DEFAULT 0,"
	" not_before_ms INTEGER NOT NULL DEFAULT 0,"
	" stage TEXT,"
	" progress REAL NOT NULL DEFAULT 0,"
	" out_time_us INTEGER NOT NULL DEFAULT 0,"
	" duration_us INTEGER NOT NULL DEFAULT 0,"
	" fps REAL NOT NULL DEFAULT 0,"
	" speed REAL NOT NULL DEFAULT 0,"
	" size INTEGER NOT NULL DEFAULT 0,"
	" eta_s REAL NOT NULL DEFAULT -1,"
	" pid INTEGER NOT NULL DEFAULT 0,"
	" error_code TEXT,"
	" error_message TEXT,"
	" stderr_tail TEXT,"
	" warnings TEXT"
	");"
	"CREATE INDEX jobs_sched ON jobs (state, priority DESC, id);"
	"CREATE INDEX jobs_by_state ON jobs (state, id);"
	"CREATE TABLE stages ("
	" job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,"
	" name TEXT NOT NULL,"
	" seq INTEGER NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done',"
	"  'failed', 'skipped')),"
	" progress REAL NOT NULL DEFAULT 0,"
	" started_ms INTEGER NOT NULL DEFAULT 0,"
	" finished_ms INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (job_id, name)"
	") WITHOUT ROWID;",
	/* 2: idempotency keys; at most one job per key, NULL never collides */
	"ALTER TABLE jobs ADD COLUMN idem_key TEXT;"
	"CREATE UNIQUE INDEX jobs_by_key ON jobs (idem_key) WHERE idem_key IS NOT NULL;",
	/* 3: pools, batches, the cluster's side of a run */
	"ALTER TABLE jobs ADD COLUMN pool TEXT NOT NULL DEFAULT 'local';"
	"ALTER TABLE jobs ADD COLUMN batch_id INTEGER;"
	"ALTER TABLE jobs ADD COLUMN cluster_id TEXT;"
	"ALTER TABLE jobs ADD COLUMN substate TEXT;"
	"CREATE INDEX jobs_sched_pool ON jobs (state, pool, priority DESC, id);"
	"CREATE INDEX jobs_by_batch ON jobs (batch_id, id) WHERE batch_id IS NOT NULL;"
	"CREATE TABLE batches ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" name TEXT,"
	" created_ms INTEGER NOT NULL DEFAULT 0"
	");",
	/* 4: dependencies (--after; `after` may outlive its job: a removed
	 * dependency), per-job hooks (--on-done), and the run-time pool
	 * controls (`aura pool`) */
	"CREATE TABLE job_deps ("
	" job INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,"
	" after INTEGER NOT NULL,"
	" PRIMARY KEY (job, after)"
	") WITHOUT ROWID;"
	"CREATE INDEX job_deps_by_after ON job_deps (after);"
	"CREATE TABLE job_hooks ("
	" job INTEGER PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,"
	" on_done TEXT NOT NULL"
	");"
	"CREATE TABLE pool_ctl ("
	" name TEXT PRIMARY KEY,"
	" max_jobs INTEGER,"
	" paused INTEGER NOT NULL DEFAULT 0"
	") WITHOUT ROWID;",
	/* 5: retention (doc/retention.md): when a finished job's work
	 * directory was removed, and the finished jobs by their end, all of
	 * them (keep_jobs, keep_records) and those not pruned yet (the next
	 * to prune, the next deadline) */
	"ALTER TABLE jobs ADD COLUMN pruned_ms INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX jobs_finished ON jobs (finished_ms, id)"
	" WHERE state IN ('succeeded', 'failed', 'cancelled');"
	"CREATE INDEX jobs_unpruned ON jobs (finished_ms, id)"
	" WHERE pruned_ms = 0 AND state IN ('succeeded', 'failed', 'cancelled');",
};
// clang-format on

// clang-format off
static const char *const sql_text[SQL__COUNT] = {
	[SQL_BEGIN] = "BEGIN IMMEDIATE",
	[SQL_COMMIT] = "COMMIT",
	[SQL_ROLLBACK] = "ROLLBACK",
	[SQL_JOB_INSERT] =
		"INSERT INTO jobs (kind, name, state, priority, spec, output, workdir, created_ms,"
		" started_ms, finished_ms, updated_ms, attempts, max_attempts, not_before_ms, stage,"
		" progress, out_time_us, duration_us, fps, speed, size, eta_s, pid, error_code,"
		" error_message, stderr_tail, warnings, pool, batch_id, cluster_id, substate, idem_key,"
		" pruned_ms)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
		" ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33)"
		/* a key already used inserts nothing: the caller looks it up */
		" ON CONFLICT (idem_key) WHERE idem_key IS NOT NULL DO NOTHING",
	[SQL_JOB_BY_KEY] = "SELECT id FROM jobs WHERE idem_key = ?1",
	[SQL_JOB_UPDATE] = "UPDATE jobs SET " JOB_SET " WHERE id = ?32",
	[SQL_JOB_PROGRESS] = "UPDATE jobs SET stage = ?1, progress = ?2, out_time_us = ?3,"
			     " duration_us = ?4, fps = ?5, speed = ?6, size = ?7, eta_s = ?8"
			     " WHERE id = ?9",
	[SQL_JOB_GET] = "SELECT " JOB_COLS " FROM jobs WHERE id = ?1",
	[SQL_JOB_DELETE] = "DELETE FROM jobs WHERE id = ?1",
	/* OFFSET walks the rowid b-tree / jobs_by_state index without reading
	 * the skipped rows' columns, so deep pages stay cheap. */
	[SQL_JOB_LIST] = "SELECT " JOB_COLS " FROM jobs ORDER BY id DESC LIMIT ?1 OFFSET ?2",
	[SQL_JOB_LIST_STATE] = "SELECT " JOB_COLS " FROM jobs INDEXED BY jobs_by_state"
			       " WHERE state = ?1 ORDER BY id DESC LIMIT ?2 OFFSET ?3",
	[SQL_JOB_COUNT] = "SELECT count(*) FROM jobs",
	[SQL_JOB_COUNT_STATE] = "SELECT count(*) FROM jobs WHERE state = ?1",
	[SQL_JOB_NEXT] = "SELECT " JOB_COLS " FROM jobs INDEXED BY jobs_sched"
			 " WHERE state = 'queued' AND not_before_ms <= ?1"
			 " ORDER BY priority DESC, id ASC LIMIT 1",
	[SQL_JOB_NEXT_POOL] = "SELECT " JOB_COLS " FROM jobs INDEXED BY jobs_sched_pool"
			      " WHERE state = 'queued' AND pool = ?2 AND not_before_ms <= ?1"
			      /* a job waits while a dependency may still succeed; one
			       * that failed, was cancelled or removed lets it start,
			       * and the start fails it (engine/sched.c) */
			      " AND NOT EXISTS (SELECT 1 FROM job_deps d JOIN jobs a"
			      " ON a.id = d.after WHERE d.job = jobs.id"
			      " AND a.state IN ('queued', 'running', 'paused'))"
			      " ORDER BY priority DESC, id ASC LIMIT 1",
	[SQL_STAGE_SET] = "INSERT INTO stages (job_id, name, seq, state, progress, started_ms,"
			  " finished_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
			  " ON CONFLICT (job_id, name) DO UPDATE SET seq = excluded.seq,"
			  " state = excluded.state, progress = excluded.progress,"
			  " started_ms = excluded.started_ms, finished_ms = excluded.finished_ms",
	[SQL_STAGE_LIST] = ("SELECT name, seq, state, progress, started_ms, finished_ms"
			    " FROM stages WHERE job_id = ?1 ORDER BY seq, name"),
	[SQL_STAGE_CLEAR] = "DELETE FROM stages WHERE job_id = ?1",
};
// clang-format on

/* --- errors ----------------------------------------------------------------- */

/* SQLite result code -> catalogue code; `fallback` is STORE_OPEN while
 * opening and STORE_IO afterwards. */
int store_map_rc(int rc, int fallback)
{
	switch (rc & 0xff) {
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return AURA_E_STORE_CORRUPT;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return AURA_E_STORE_BUSY;
	case SQLITE_FULL:
		return AURA_E_DISK_FULL;
	case SQLITE_NOMEM:
		/* As xmalloc: there is no sane way to go on without memory. */
		fprintf(stderr, "aura: out of memory in SQLite\n");
		abort();
	case SQLITE_CONSTRAINT:
	case SQLITE_MISUSE:
	case SQLITE_RANGE:
	case SQLITE_MISMATCH:
		return AURA_E_INTERNAL; /* our statement or our data is wrong */
	default:			/* IOERR, FULL, READONLY, CANTOPEN, PERM... */
		return fallback;
	}
}

static int fail_with(struct store *st, int rc, int fallback, const char *what,
		     struct aura_error *err)
{
	return aura_error_set(err, store_map_rc(rc, fallback), "%s: %s: %s", st->path, what,
			      st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
}

int store_fail(struct store *st, int rc, const char *what, struct aura_error *err)
{
	return fail_with(st, rc, AURA_E_STORE_IO, what, err);
}

/* --- running statements ---------------------------------------------------- */

/* Step a bound statement that returns no rows, then reset it; the error
 * (of a bind or of the step) names `what`. */
int store_run_bound(struct store *st, struct binder *b, const char *what, struct aura_error *err)
{
	int rc = step(b);
	int ret = 0;
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		ret = store_fail(st, rc, what, err);
	done(b->s);
	return ret;
}

/* The same for a statement without parameters. */
int store_run(struct store *st, sqlite3_stmt *s, const char *what, struct aura_error *err)
{
	struct binder b = { s, SQLITE_OK };
	return store_run_bound(st, &b, what, err);
}

/* --- opening and migrating --------------------------------------------------- */

int store_int_of(struct store *st, const char *sql, int64_t *out)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(s, 0);
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE) {
			*out = 0;
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(s);
	return rc;
}

/* One integer from a statement such as PRAGMA user_version. */
static int query_int(struct store *st, const char *sql, int fallback, int *out,
		     struct aura_error *err)
{
	int64_t v = 0;
	int rc = store_int_of(st, sql, &v);
	if (rc != SQLITE_OK)
		return fail_with(st, rc, fallback, sql, err);
	*out = (int)v;
	return 0;
}

/* A PRAGMA whose first row is "ok" (or, with want == NULL, which must
 * return no row at all); anything else is damage. */
static int pragma_expect(struct store *st, const char *sql, const char *want, int fallback,
			 struct aura_error *err)
{
	sqlite3_stmt *s = NULL;
	int ret = 0;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && want) {
		const char *got = (const char *)sqlite3_column_text(s, 0);
		if (!got || strcmp(got, want) != 0)
			ret = aura_error_set(err, AURA_E_STORE_CORRUPT, "%s: %s: %s", st->path, sql,
					     got ? got : "(null)");
	} else if (rc == SQLITE_ROW) {
		const char *table = (const char *)sqlite3_column_text(s, 0);
		const char *parent = (const char *)sqlite3_column_text(s, 2);
		ret = aura_error_set(err, AURA_E_STORE_CORRUPT,
				     "%s: %s: rows of %s refer to missing %s rows", st->path, sql,
				     table ? table : "?", parent ? parent : "?");
	} else if (rc == SQLITE_DONE && want) {
		ret = aura_error_set(err, AURA_E_STORE_CORRUPT, "%s: %s: no answer", st->path, sql);
	} else if (rc != SQLITE_DONE) {
		ret = fail_with(st, rc, fallback, sql, err);
	}
	sqlite3_finalize(s);
	return ret;
}

static int exec(struct store *st, const char *sql, int fallback, const char *what,
		struct aura_error *err)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : fail_with(st, rc, fallback, what, err);
}

static int set_pragmas(struct store *st, struct aura_error *err)
{
	sqlite3_stmt *s = NULL;
	int ret = 0;
	/* journal_mode answers with the mode in force, which stays "delete"
	 * where WAL is impossible (no shared memory, some network mounts). */
	int rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *mode = (const char *)sqlite3_column_text(s, 0);
		if (!mode || strcmp(mode, "wal") != 0)
			ret = aura_error_set(err, AURA_E_STORE_OPEN,
					     "%s: cannot use write-ahead logging (journal mode %s)",
					     st->path, mode ? mode : "(null)");
	} else {
		ret = fail_with(st, rc, AURA_E_STORE_OPEN, "PRAGMA journal_mode = WAL", err);
	}
	sqlite3_finalize(s);
	if (ret)
		return ret;
	/* In WAL mode NORMAL loses at most the last commits on power loss,
	 * never consistency; foreign_keys makes stages follow their job. */
	/* cache_size: 512 KiB of pages (SQLite's default is 2 MiB) -- the
	 * OS caches the file anyway, and the server's size must not grow
	 * with its store (doc/performance.md, bench/batch.sh) */
	return exec(st,
		    "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
		    " PRAGMA cache_size = -512",
		    AURA_E_STORE_OPEN, "PRAGMA synchronous/foreign_keys/cache_size", err);
}

/* Apply steps[v] for v = *version .. target-1, one transaction each. The
 * version is re-read under the write lock: another process may have
 * migrated the file since we looked. */
static int migrate(struct store *st, const char *const *steps, int known, int target, int *version,
		   struct aura_error *err)
{
	while (*version < target) {
		int ret = exec(st, "BEGIN IMMEDIATE", AURA_E_STORE_OPEN, "begin migration", err);
		if (ret)
			return ret;
		ret = query_int(st, "PRAGMA user_version", AURA_E_STORE_OPEN, version, err);
		if (ret == 0 && *version > known)
			ret = aura_error_set(err, AURA_E_STORE_TOO_NEW,
					     "%s: schema version %d, this build knows up to %d",
					     st->path, *version, known);
		if (ret == 0 && *version < target) {
			int to = *version + 1;
			char *what = xasprintf("migration to schema version %d", to);
			char *bump = xasprintf("PRAGMA user_version = %d", to);
			ret = exec(st, steps[*version], AURA_E_STORE_OPEN, what, err);
			if (ret == 0)
				ret = exec(st, bump, AURA_E_STORE_OPEN, what, err);
			free(what);
			free(bump);
			if (ret == 0)
				*version = to;
		}
		if (ret == 0)
			ret = exec(st, "COMMIT", AURA_E_STORE_OPEN, "commit migration", err);
		if (ret) {
			if (!sqlite3_get_autocommit(st->db))
				sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return ret;
		}
	}
	return 0;
}

static int prepare_all(struct store *st, struct aura_error *err)
{
	for (int i = 0; i < SQL__COUNT; i++) {
		int rc = sqlite3_prepare_v3(st->db, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT,
					    &st->stmt[i], NULL);
		/* The schema says it is current but a statement does not fit
		 * it: the file was altered behind our back. */
		if (rc != SQLITE_OK)
			return fail_with(st, rc, AURA_E_STORE_CORRUPT, "schema does not match",
					 err);
	}
	st->ready = true;
	return 0;
}

/*
 * The store holds every job's argv and spec: create it 0600 whatever the
 * umask (SQLite would make it 0644), and take group and other bits off a
 * file an earlier version left readable, with its -wal and -shm (SQLite
 * creates those with the main file's mode). Best effort: opening reports
 * what matters.
 */
static void store_make_private(const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < ARRAY_LEN(suffixes); i++) {
		char *p = xasprintf("%s%s", path, suffixes[i]);
		int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | (i == 0 ? O_CREAT : 0), 0600);
		struct stat st;
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077))
			(void)fchmod(fd, st.st_mode & 0700);
		if (fd >= 0)
			close(fd);
		free(p);
	}
}

static int open_store(const char *path, const char *const *extra, int nextra, int target,
		      struct store **out, struct aura_error *err)
{
	assert(nextra >= 0 && target >= 0);
	*out = NULL;
	int known = STORE_SCHEMA_VERSION + nextra;
	const char **steps = xcalloc((size_t)known, sizeof(*steps));
	for (int i = 0; i < STORE_SCHEMA_VERSION; i++)
		steps[i] = migrations[i];
	for (int i = 0; i < nextra; i++)
		steps[STORE_SCHEMA_VERSION + i] = extra[i];
	if (target > known)
		target = known;

	struct store *st = xcalloc(1, sizeof(*st));
	st->path = xstrdup(path);
	int ret = 0;
	int version = 0;
	store_make_private(path);
	int rc = sqlite3_open_v2(
	    path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		ret = fail_with(st, rc, AURA_E_STORE_OPEN, "open", err);
		goto out;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);

	/* Read-only checks first: a file that is not a database, or one from
	 * a newer aura, must come out of this byte for byte unchanged (even
	 * journal_mode = WAL would rewrite its header). */
	ret = query_int(st, "PRAGMA user_version", AURA_E_STORE_OPEN, &version, err);
	if (ret)
		goto out;
	if (version > known) {
		ret = aura_error_set(err, AURA_E_STORE_TOO_NEW,
				     "%s: schema version %d, this build knows up to %d", path,
				     version, known);
		goto out;
	}
	ret = pragma_expect(st, "PRAGMA quick_check", "ok", AURA_E_STORE_OPEN, err);
	if (ret)
		goto out;
	ret = set_pragmas(st, err);
	if (ret)
		goto out;
	store_autovacuum_ensure(st);
	ret = migrate(st, steps, known, target, &version, err);
	if (ret)
		goto out;
	if (version >= STORE_SCHEMA_VERSION)
		ret = prepare_all(st, err);
out:
	free(steps);
	if (ret) {
		store_close(st);
		return ret;
	}
	*out = st;
	return 0;
}

int store_open(const char *path, struct store **out, struct aura_error *err)
{
	return open_store(path, NULL, 0, STORE_SCHEMA_VERSION, out, err);
}

int store_open_at_version(const char *path, int version, struct store **out, struct aura_error *err)
{
	assert(version >= 0 && version <= STORE_SCHEMA_VERSION);
	return open_store(path, NULL, 0, version, out, err);
}

int store_open_with_extra_steps(const char *path, const char *const *extra, int n,
				struct store **out, struct aura_error *err)
{
	return open_store(path, extra, n, STORE_SCHEMA_VERSION + n, out, err);
}

void store_close(struct store *st)
{
	if (!st)
		return;
	if (st->in_tx)
		store_rollback(st);
	if (st->batch_open || st->behind) /* the owner commits and reports first; a last try */
		(void)store_batch_commit(st, NULL);
	store_journal_clear(st);
	free(st->behind_detail);
	for (int i = 0; i < SQL__COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	for (int i = 0; i < STORE_SORT__COUNT; i++)
		for (int d = 0; d < 2; d++)
			for (int f = 0; f < 2; f++)
				sqlite3_finalize(st->sorted[i][d][f]);
	if (st->db) {
		int rc = sqlite3_close(st->db);
		/* Only an unfinalized statement makes close fail: our bug. */
		assert(rc == SQLITE_OK);
		if (rc != SQLITE_OK)
			sqlite3_close_v2(st->db);
	}
	free(st->path);
	free(st);
}

int store_reserve_ids(struct store *st, int64_t max_id, struct aura_error *err)
{
	assert(st->ready && !st->batching);
	char sql[256];
	snprintf(sql, sizeof(sql),
		 "UPDATE sqlite_sequence SET seq = %lld WHERE name = 'jobs' AND seq < %lld;"
		 "INSERT INTO sqlite_sequence (name, seq) SELECT 'jobs', %lld"
		 " WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'jobs')",
		 (long long)max_id, (long long)max_id, (long long)max_id);
	return exec(st, sql, AURA_E_STORE_IO, "reserve job ids", err);
}

int store_peek_job_count(const char *path, int64_t *n, struct aura_error *err)
{
	*n = 0;
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	sqlite3_stmt *s = NULL;
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM jobs", -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	int ret = 0;
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	else if (rc == SQLITE_ERROR && db && strstr(sqlite3_errmsg(db), "no such table"))
		*n = 0; /* an empty file: a database without our schema */
	else
		ret = aura_error_set(err, store_map_rc(rc, AURA_E_STORE_OPEN), "%s: %s", path,
				     db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return ret;
}

int store_schema_version(struct store *st)
{
	int v = 0;
	int ret = query_int(st, "PRAGMA user_version", AURA_E_STORE_IO, &v, NULL);
	return ret ? ret : v;
}

int store_integrity_check(struct store *st, struct aura_error *err)
{
	int ret = pragma_expect(st, "PRAGMA integrity_check", "ok", AURA_E_STORE_IO, err);
	if (ret == 0)
		ret = pragma_expect(st, "PRAGMA foreign_key_check", NULL, AURA_E_STORE_IO, err);
	return ret;
}

/* --- transactions ------------------------------------------------------------ */

int store_begin(struct store *st, struct aura_error *err)
{
	assert(st->ready);
	assert(!st->in_tx && "store_begin: transactions do not nest");
	if (st->behind) /* the owner catches up (and announces it), not this */
		return aura_error_set(err, st->behind_code, "%s", st->behind_detail);
	int ret = store_batch_commit(st, err);
	if (ret < 0)
		return ret;
	ret = store_run(st, st->stmt[SQL_BEGIN], "begin", err);
	if (ret == 0)
		st->in_tx = true;
	return ret;
}

/* COMMIT what is open (an explicit transaction or a batch); a failed
 * commit rolls back, so nothing is open after it either way. */
int store_commit_open(struct store *st, const char *what, struct aura_error *err)
{
	int ret;
	if (sqlite3_get_autocommit(st->db))
		/* SQLite already rolled back after an I/O error or the like. */
		ret = aura_error_set(err, AURA_E_STORE_IO,
				     "%s: the %s was rolled back after an earlier error", st->path,
				     what);
	else
		ret = store_run(st, st->stmt[SQL_COMMIT], "commit", err);
	if (ret && !sqlite3_get_autocommit(st->db))
		store_run(st, st->stmt[SQL_ROLLBACK], "rollback", NULL);
	return ret;
}

int store_commit(struct store *st, struct aura_error *err)
{
	assert(st->in_tx);
	st->in_tx = false;
	return store_commit_open(st, "transaction", err);
}

void store_rollback(struct store *st)
{
	if (!st->in_tx)
		return;
	st->in_tx = false;
	if (!sqlite3_get_autocommit(st->db))
		store_run(st, st->stmt[SQL_ROLLBACK], "rollback", NULL);
}

bool store_in_transaction(const struct store *st)
{
	return st->in_tx;
}

void store_set_batching(struct store *st, bool on)
{
	st->batching = on;
	/* The loop never waits in SQLite's busy handler: a lock held by
	 * another process fails the write at once, and the journal keeps it. */
	sqlite3_busy_timeout(st->db, on ? 0 : STORE_BUSY_TIMEOUT_MS);
}

/* Before a write: open the batch if batching and nothing is open. */
int store_batch_touch(struct store *st, struct aura_error *err)
{
	if (!st->batching || st->in_tx || st->batch_open)
		return 0;
	int ret = store_run(st, st->stmt[SQL_BEGIN], "begin", err);
	if (ret == 0)
		st->batch_open = true;
	return ret;
}
