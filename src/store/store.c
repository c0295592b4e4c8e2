/*
 * store.c -- the job store on SQLite: opening (WAL, busy timeout, quick
 * check), the versioned schema and its forward migrations, the cached
 * prepared statements, transactions, and the mapping of SQLite's result
 * codes onto the error catalogue. The only file that includes <sqlite3.h>.
 *
 * Must never: write to a file it does not understand (not a database, a
 * newer schema, a failed quick_check), unlink or recreate the database,
 * edit a migration step that has shipped (a change is a new step), or
 * leave a write half done.
 */
#include "config.h"

#include <assert.h>
#include <fcntl.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
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
};
// clang-format on

/* Column order shared by every SELECT of a job; read_job() relies on it. */
#define JOB_COLS                                                                                   \
	"id, kind, name, state, priority, spec, output, workdir, created_ms, started_ms,"          \
	" finished_ms, updated_ms, attempts, max_attempts, not_before_ms, stage, progress,"        \
	" out_time_us, duration_us, fps, speed, size, eta_s, pid, error_code, error_message,"      \
	" stderr_tail, warnings"
/* The same without id, bound as ?1..?27 by bind_job(). */
#define JOB_SET                                                                                    \
	"kind = ?1, name = ?2, state = ?3, priority = ?4, spec = ?5, output = ?6, workdir = ?7,"   \
	" created_ms = ?8, started_ms = ?9, finished_ms = ?10, updated_ms = ?11, attempts = ?12,"  \
	" max_attempts = ?13, not_before_ms = ?14, stage = ?15, progress = ?16,"                   \
	" out_time_us = ?17, duration_us = ?18, fps = ?19, speed = ?20, size = ?21, eta_s = ?22,"  \
	" pid = ?23, error_code = ?24, error_message = ?25, stderr_tail = ?26, warnings = ?27"

enum stmt_id {
	SQL_BEGIN,
	SQL_COMMIT,
	SQL_ROLLBACK,
	SQL_JOB_INSERT,
	SQL_JOB_UPDATE,
	SQL_JOB_PROGRESS,
	SQL_JOB_GET,
	SQL_JOB_DELETE,
	SQL_JOB_LIST,
	SQL_JOB_LIST_STATE,
	SQL_JOB_COUNT,
	SQL_JOB_COUNT_STATE,
	SQL_JOB_NEXT,
	SQL_STAGE_SET,
	SQL_STAGE_LIST,
	SQL_STAGE_CLEAR,
	SQL__COUNT
};

// clang-format off
static const char *const sql_text[SQL__COUNT] = {
	[SQL_BEGIN] = "BEGIN IMMEDIATE",
	[SQL_COMMIT] = "COMMIT",
	[SQL_ROLLBACK] = "ROLLBACK",
	[SQL_JOB_INSERT] =
		"INSERT INTO jobs (kind, name, state, priority, spec, output, workdir, created_ms,"
		" started_ms, finished_ms, updated_ms, attempts, max_attempts, not_before_ms, stage,"
		" progress, out_time_us, duration_us, fps, speed, size, eta_s, pid, error_code,"
		" error_message, stderr_tail, warnings) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
		" ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25,"
		" ?26, ?27)",
	[SQL_JOB_UPDATE] = "UPDATE jobs SET " JOB_SET " WHERE id = ?28",
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

struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[SQL__COUNT];
	bool ready; /* schema current and statements prepared */
	bool in_tx; /* inside store_begin .. store_commit/rollback */
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

static void journal_clear(struct store *st);

/* --- errors ----------------------------------------------------------------- */

/* SQLite result code -> catalogue code; `fallback` is STORE_OPEN while
 * opening and STORE_IO afterwards. */
static int map_rc(int rc, int fallback)
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
	return aura_error_set(err, map_rc(rc, fallback), "%s: %s: %s", st->path, what,
			      st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
}

static int fail(struct store *st, int rc, const char *what, struct aura_error *err)
{
	return fail_with(st, rc, AURA_E_STORE_IO, what, err);
}

/* --- binding and reading ----------------------------------------------------- */

/* Collects the first bind error so a row of binds needs one check. */
struct binder {
	sqlite3_stmt *s;
	int rc;
};

static void b_text(struct binder *b, int i, const char *v)
{
	if (b->rc != SQLITE_OK)
		return;
	b->rc =
	    v ? sqlite3_bind_text(b->s, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(b->s, i);
}

static void b_int64(struct binder *b, int i, int64_t v)
{
	if (b->rc == SQLITE_OK)
		b->rc = sqlite3_bind_int64(b->s, i, v);
}

/* SQLite stores NaN as NULL, which the NOT NULL columns refuse: keep the
 * column's "unknown" value instead. */
static void b_double(struct binder *b, int i, double v, double if_nan)
{
	if (b->rc == SQLITE_OK)
		b->rc = sqlite3_bind_double(b->s, i, isnan(v) ? if_nan : v);
}

static void bind_job(struct binder *b, const struct job *j, int64_t created, int64_t updated)
{
	b_text(b, 1, job_kind_name(j->kind));
	b_text(b, 2, j->name);
	b_text(b, 3, job_state_name(j->state));
	b_int64(b, 4, j->priority);
	b_text(b, 5, j->spec);
	b_text(b, 6, j->output);
	b_text(b, 7, j->workdir);
	b_int64(b, 8, created);
	b_int64(b, 9, j->started_ms);
	b_int64(b, 10, j->finished_ms);
	b_int64(b, 11, updated);
	b_int64(b, 12, j->attempts);
	b_int64(b, 13, j->max_attempts);
	b_int64(b, 14, j->not_before_ms);
	b_text(b, 15, j->stage);
	b_double(b, 16, j->progress, 0);
	b_int64(b, 17, j->out_time_us);
	b_int64(b, 18, j->duration_us);
	b_double(b, 19, j->fps, 0);
	b_double(b, 20, j->speed, 0);
	b_int64(b, 21, j->size);
	b_double(b, 22, j->eta_s, -1);
	b_int64(b, 23, j->pid);
	b_text(b, 24, j->error_code);
	b_text(b, 25, j->error_message);
	b_text(b, 26, j->stderr_tail);
	b_text(b, 27, j->warnings);
}

static char *col_str(sqlite3_stmt *s, int i)
{
	return xstrdup((const char *)sqlite3_column_text(s, i));
}

/* One row of JOB_COLS into j (job_init'ed here). */
static int read_job(struct store *st, sqlite3_stmt *s, struct job *j, struct aura_error *err)
{
	job_init(j);
	j->id = sqlite3_column_int64(s, 0);
	const char *kind = (const char *)sqlite3_column_text(s, 1);
	int k = kind ? job_kind_parse(kind) : -1;
	const char *state = (const char *)sqlite3_column_text(s, 3);
	int t = state ? job_state_parse(state) : -1;
	if (k < 0 || t < 0)
		return aura_error_set(
		    err, AURA_E_STORE_CORRUPT, "%s: job %lld has kind '%s', state '%s'", st->path,
		    (long long)j->id, kind ? kind : "(null)", state ? state : "(null)");
	j->kind = (enum job_kind)k;
	j->state = (enum job_state)t;
	j->name = col_str(s, 2);
	j->priority = sqlite3_column_int(s, 4);
	j->spec = col_str(s, 5);
	j->output = col_str(s, 6);
	j->workdir = col_str(s, 7);
	j->created_ms = sqlite3_column_int64(s, 8);
	j->started_ms = sqlite3_column_int64(s, 9);
	j->finished_ms = sqlite3_column_int64(s, 10);
	j->updated_ms = sqlite3_column_int64(s, 11);
	j->attempts = sqlite3_column_int(s, 12);
	j->max_attempts = sqlite3_column_int(s, 13);
	j->not_before_ms = sqlite3_column_int64(s, 14);
	j->stage = col_str(s, 15);
	j->progress = sqlite3_column_double(s, 16);
	j->out_time_us = sqlite3_column_int64(s, 17);
	j->duration_us = sqlite3_column_int64(s, 18);
	j->fps = sqlite3_column_double(s, 19);
	j->speed = sqlite3_column_double(s, 20);
	j->size = sqlite3_column_int64(s, 21);
	j->eta_s = sqlite3_column_double(s, 22);
	j->pid = sqlite3_column_int(s, 23);
	j->error_code = col_str(s, 24);
	j->error_message = col_str(s, 25);
	j->stderr_tail = col_str(s, 26);
	j->warnings = col_str(s, 27);
	return 0;
}

static int check_job(struct store *st, const struct job *j, struct aura_error *err)
{
	if ((unsigned)j->kind >= JOB_KIND__COUNT || (unsigned)j->state >= JOB_STATE__COUNT)
		return aura_error_set(err, AURA_E_INTERNAL, "%s: job %lld has kind %d, state %d",
				      st->path, (long long)j->id, (int)j->kind, (int)j->state);
	return 0;
}

/* Statements are reused: reset and unbind after every use. */
static void done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* Step a bound statement: its first bind error, else the step's code. */
static int step(struct binder *b)
{
	return b->rc == SQLITE_OK ? sqlite3_step(b->s) : b->rc;
}

/* Step a bound statement that returns no rows, then reset it; the error
 * (of a bind or of the step) names `what`. */
static int run_bound(struct store *st, struct binder *b, const char *what, struct aura_error *err)
{
	int rc = step(b);
	int ret = 0;
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		ret = fail(st, rc, what, err);
	done(b->s);
	return ret;
}

/* The same for a statement without parameters. */
static int run(struct store *st, sqlite3_stmt *s, const char *what, struct aura_error *err)
{
	struct binder b = {s, SQLITE_OK};
	return run_bound(st, &b, what, err);
}

/* One job from a statement whose one parameter is `arg`: 0 with the job
 * in out, 1 when there is none (out stays empty), or an error naming
 * `what`. */
static int job_row(struct store *st, sqlite3_stmt *s, int64_t arg, struct job *out,
		   const char *what, struct aura_error *err)
{
	job_init(out);
	struct binder b = {s, SQLITE_OK};
	b_int64(&b, 1, arg);
	int rc = step(&b);
	int ret;
	if (rc == SQLITE_ROW)
		ret = read_job(st, s, out, err);
	else if (rc == SQLITE_DONE)
		ret = 1;
	else
		ret = fail(st, rc, what, err);
	done(s);
	if (ret < 0)
		job_clear(out);
	return ret;
}

/* --- opening and migrating --------------------------------------------------- */

/* One integer from a statement such as PRAGMA user_version. */
static int query_int(struct store *st, const char *sql, int fallback, int *out,
		     struct aura_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int(s, 0);
			rc = SQLITE_OK;
		}
	}
	int ret = rc == SQLITE_OK ? 0 : fail_with(st, rc, fallback, sql, err);
	sqlite3_finalize(s);
	return ret;
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
	return exec(st, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON", AURA_E_STORE_OPEN,
		    "PRAGMA synchronous/foreign_keys", err);
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
	static const char *const suffixes[] = {"", "-wal", "-shm"};
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
	journal_clear(st);
	free(st->behind_detail);
	for (int i = 0; i < SQL__COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
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
		ret = aura_error_set(err, map_rc(rc, AURA_E_STORE_OPEN), "%s: %s", path,
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
	ret = run(st, st->stmt[SQL_BEGIN], "begin", err);
	if (ret == 0)
		st->in_tx = true;
	return ret;
}

/* COMMIT what is open (an explicit transaction or a batch); a failed
 * commit rolls back, so nothing is open after it either way. */
static int commit_open(struct store *st, const char *what, struct aura_error *err)
{
	int ret;
	if (sqlite3_get_autocommit(st->db))
		/* SQLite already rolled back after an I/O error or the like. */
		ret = aura_error_set(err, AURA_E_STORE_IO,
				     "%s: the %s was rolled back after an earlier error", st->path,
				     what);
	else
		ret = run(st, st->stmt[SQL_COMMIT], "commit", err);
	if (ret && !sqlite3_get_autocommit(st->db))
		run(st, st->stmt[SQL_ROLLBACK], "rollback", NULL);
	return ret;
}

int store_commit(struct store *st, struct aura_error *err)
{
	assert(st->in_tx);
	st->in_tx = false;
	return commit_open(st, "transaction", err);
}

void store_rollback(struct store *st)
{
	if (!st->in_tx)
		return;
	st->in_tx = false;
	if (!sqlite3_get_autocommit(st->db))
		run(st, st->stmt[SQL_ROLLBACK], "rollback", NULL);
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
static int batch_touch(struct store *st, struct aura_error *err)
{
	if (!st->batching || st->in_tx || st->batch_open)
		return 0;
	int ret = run(st, st->stmt[SQL_BEGIN], "begin", err);
	if (ret == 0)
		st->batch_open = true;
	return ret;
}

/* --- the statements of each write ---------------------------------------------- */

/* After a write by id: 0 rows changed means there was no such job. */
static int changed_or_missing(struct store *st, int64_t id, struct aura_error *err)
{
	if (sqlite3_changes(st->db) == 0)
		return aura_error_set(err, AURA_E_JOB_NOT_FOUND, "job %lld", (long long)id);
	return 0;
}

static int sql_job_update(struct store *st, const struct job *j, struct aura_error *err)
{
	int ret = check_job(st, j, err);
	if (ret)
		return ret;
	struct binder b = {st->stmt[SQL_JOB_UPDATE], SQLITE_OK};
	bind_job(&b, j, j->created_ms, j->updated_ms);
	b_int64(&b, 28, j->id);
	ret = run_bound(st, &b, "update job", err);
	return ret ? ret : changed_or_missing(st, j->id, err);
}

static int sql_job_progress(struct store *st, const struct job *j, struct aura_error *err)
{
	struct binder b = {st->stmt[SQL_JOB_PROGRESS], SQLITE_OK};
	b_text(&b, 1, j->stage);
	b_double(&b, 2, j->progress, 0);
	b_int64(&b, 3, j->out_time_us);
	b_int64(&b, 4, j->duration_us);
	b_double(&b, 5, j->fps, 0);
	b_double(&b, 6, j->speed, 0);
	b_int64(&b, 7, j->size);
	b_double(&b, 8, j->eta_s, -1);
	b_int64(&b, 9, j->id);
	int ret = run_bound(st, &b, "update progress", err);
	return ret ? ret : changed_or_missing(st, j->id, err);
}

static int sql_job_delete(struct store *st, int64_t id, struct aura_error *err)
{
	struct binder b = {st->stmt[SQL_JOB_DELETE], SQLITE_OK};
	b_int64(&b, 1, id);
	int ret = run_bound(st, &b, "delete job", err);
	return ret ? ret : changed_or_missing(st, id, err);
}

static int sql_stage_set(struct store *st, int64_t job_id, const struct stage *sg,
			 struct aura_error *err)
{
	if (!sg->name || stage_state_parse(stage_state_name(sg->state)) < 0)
		return aura_error_set(
		    err, AURA_E_INTERNAL, "%s: job %lld: bad stage (%s, state %d)", st->path,
		    (long long)job_id, sg->name ? sg->name : "no name", (int)sg->state);
	struct binder b = {st->stmt[SQL_STAGE_SET], SQLITE_OK};
	b_int64(&b, 1, job_id);
	b_text(&b, 2, sg->name);
	b_int64(&b, 3, sg->seq);
	b_text(&b, 4, stage_state_name(sg->state));
	b_double(&b, 5, sg->progress, 0);
	b_int64(&b, 6, sg->started_ms);
	b_int64(&b, 7, sg->finished_ms);
	int rc = step(&b);
	int ret = 0;
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
		ret = aura_error_set(err, AURA_E_JOB_NOT_FOUND, "job %lld", (long long)job_id);
	else if (rc != SQLITE_DONE)
		ret = fail(st, rc, "set stage", err);
	done(b.s);
	return ret;
}

static int sql_stage_clear(struct store *st, int64_t job_id, struct aura_error *err)
{
	struct binder b = {st->stmt[SQL_STAGE_CLEAR], SQLITE_OK};
	b_int64(&b, 1, job_id);
	return run_bound(st, &b, "clear stages", err);
}

static int sql_op(struct store *st, const struct op *op, struct aura_error *err)
{
	switch (op->kind) {
	case OP_JOB:
		return sql_job_update(st, &op->job, err);
	case OP_PROGRESS:
		return sql_job_progress(st, &op->job, err);
	case OP_DELETE:
		return sql_job_delete(st, op->id, err);
	case OP_STAGE_SET:
		return sql_stage_set(st, op->id, &op->stage, err);
	case OP_STAGE_CLEAR:
		return sql_stage_clear(st, op->id, err);
	}
	return aura_error_set(err, AURA_E_INTERNAL, "%s: unknown write %d", st->path,
			      (int)op->kind);
}

/* --- the write-behind journal ---------------------------------------------------- */

/* A write that may succeed later: the lock, the disk, the file system. A
 * missing row or our own mistake never will. */
static bool retryable(int code)
{
	return code != AURA_E_JOB_NOT_FOUND && code != AURA_E_INTERNAL;
}

static void op_free(struct op *op)
{
	job_clear(&op->job);
	free(op->stage.name);
	op->stage.name = NULL;
}

static void journal_clear(struct store *st)
{
	for (size_t i = 0; i < st->nops; i++)
		op_free(&st->ops[i]);
	free(st->ops);
	st->ops = NULL;
	st->nops = st->capops = 0;
}

/*
 * Keep a copy of one write. A write of a row replaces the journal's newest
 * write of the same row (the record is written whole, so only the last one
 * matters), unless something that must stay between them (a delete, a
 * clear of the job's stages) came after it.
 */
static void journal_add(struct store *st, const struct op *w)
{
	for (size_t i = st->nops; i-- > 0;) {
		struct op *o = &st->ops[i];
		if (o->id != w->id)
			continue;
		if (o->kind == OP_DELETE || (o->kind == OP_STAGE_CLEAR && w->kind == OP_STAGE_SET))
			break;
		if (w->kind == OP_JOB && (o->kind == OP_JOB || o->kind == OP_PROGRESS)) {
			job_clear(&o->job);
			job_copy(&o->job, &w->job);
			o->kind = OP_JOB;
			return;
		}
		if (w->kind == OP_PROGRESS && (o->kind == OP_JOB || o->kind == OP_PROGRESS)) {
			job_copy_progress(&o->job, &w->job);
			return;
		}
		if (w->kind == OP_STAGE_SET && o->kind == OP_STAGE_SET &&
		    strcmp(o->stage.name, w->stage.name) == 0) {
			o->stage.seq = w->stage.seq;
			o->stage.state = w->stage.state;
			o->stage.progress = w->stage.progress;
			o->stage.started_ms = w->stage.started_ms;
			o->stage.finished_ms = w->stage.finished_ms;
			return;
		}
	}
	if (st->nops == st->capops) {
		st->capops = st->capops ? st->capops * 2 : 16;
		st->ops = xrealloc(st->ops, st->capops * sizeof(*st->ops));
	}
	struct op *o = &st->ops[st->nops++];
	memset(o, 0, sizeof(*o));
	o->kind = w->kind;
	o->id = w->id;
	job_init(&o->job);
	if (w->kind == OP_JOB)
		job_copy(&o->job, &w->job);
	else if (w->kind == OP_PROGRESS)
		job_copy_progress(&o->job, &w->job);
	o->job.id = w->id;
	o->stage = w->stage;
	o->stage.name = xstrdup(w->stage.name);
}

/* The database lacks the journal's writes from now on: roll back what
 * the batch holds (the journal has it) and remember why. */
static void go_behind(struct store *st, const struct aura_error *why)
{
	if (st->batch_open && !sqlite3_get_autocommit(st->db))
		run(st, st->stmt[SQL_ROLLBACK], "rollback", NULL);
	st->batch_open = false;
	if (!st->behind)
		st->behind_since_ms = time_now_ms();
	st->behind = true;
	st->behind_code = why->code ? why->code : AURA_E_STORE_IO;
	free(st->behind_detail);
	st->behind_detail = xstrdup(why->detail);
}

/* One write of the server's loop: run it in the batch and keep a copy;
 * while the database cannot take it, only keep the copy. Outside batching
 * (and in explicit transactions) it is a plain statement. */
static int write_op(struct store *st, const struct op *w, struct aura_error *err)
{
	assert(st->ready);
	if (!st->batching || st->in_tx)
		return sql_op(st, w, err);
	st->writes++;
	if (st->behind) {
		journal_add(st, w);
		return 0;
	}
	struct aura_error e = {0};
	int ret = batch_touch(st, &e);
	if (ret == 0)
		ret = sql_op(st, w, &e);
	if (ret == 0 || retryable(-ret)) {
		journal_add(st, w);
		if (ret < 0)
			go_behind(st, &e);
		return 0;
	}
	if (err)
		*err = e;
	return ret;
}

/* Replay the journal in one transaction; on success the database has
 * caught up. Rows deleted meanwhile are skipped. */
static int catch_up(struct store *st, struct aura_error *err)
{
	struct aura_error e = {0};
	int ret = run(st, st->stmt[SQL_BEGIN], "begin", &e);
	for (size_t i = 0; ret == 0 && i < st->nops; i++) {
		ret = sql_op(st, &st->ops[i], &e);
		if (ret < 0 && !retryable(-ret))
			ret = 0; /* the row is gone, or the write can never be made */
	}
	if (ret == 0)
		ret = commit_open(st, "catch-up of the journal", &e);
	else if (!sqlite3_get_autocommit(st->db))
		run(st, st->stmt[SQL_ROLLBACK], "rollback", NULL);
	if (ret < 0) {
		go_behind(st, &e);
		if (err)
			*err = e;
		return ret;
	}
	st->behind = false;
	free(st->behind_detail);
	st->behind_detail = NULL;
	journal_clear(st);
	return 0;
}

int store_batch_commit(struct store *st, struct aura_error *err)
{
	if (st->behind)
		return catch_up(st, err);
	if (!st->batch_open) {
		journal_clear(st);
		return 0;
	}
	st->batch_open = false;
	struct aura_error e = {0};
	int ret = commit_open(st, "batch of writes", &e);
	if (ret == 0) {
		journal_clear(st);
		return 0;
	}
	go_behind(st, &e);
	if (err)
		*err = e;
	return ret;
}

void store_status(const struct store *st, struct store_status *out)
{
	out->behind = st->behind;
	out->code = st->behind ? st->behind_code : 0;
	out->detail = st->behind ? st->behind_detail : NULL;
	out->since_ms = st->behind ? st->behind_since_ms : 0;
	out->pending = st->behind ? st->nops : 0;
}

bool store_behind(const struct store *st)
{
	return st->behind;
}

uint64_t store_write_count(const struct store *st)
{
	return st->writes;
}

size_t store_pending_ids(const struct store *st, int64_t **ids)
{
	*ids = NULL;
	size_t n = 0;
	for (size_t i = 0; i < st->nops; i++) {
		bool seen = false;
		for (size_t k = 0; k < n && !seen; k++)
			seen = (*ids)[k] == st->ops[i].id;
		if (seen)
			continue;
		*ids = xrealloc(*ids, (n + 1) * sizeof(**ids));
		(*ids)[n++] = st->ops[i].id;
	}
	return n;
}

/* --- jobs ------------------------------------------------------------------- */

int store_job_insert(struct store *st, struct job *j, struct aura_error *err)
{
	if (st->behind && st->batching && !st->in_tx)
		return aura_error_set(err, st->behind_code, "%s", st->behind_detail);
	int bt = batch_touch(st, err);
	if (bt < 0)
		return bt;
	assert(st->ready);
	int ret = check_job(st, j, err);
	if (ret)
		return ret;
	int64_t now = time_now_ms();
	int64_t created = j->created_ms ? j->created_ms : now;
	int64_t updated = j->updated_ms ? j->updated_ms : now;
	struct binder b = {st->stmt[SQL_JOB_INSERT], SQLITE_OK};
	bind_job(&b, j, created, updated);
	ret = run_bound(st, &b, "insert job", err);
	if (ret)
		return ret;
	j->id = sqlite3_last_insert_rowid(st->db);
	j->created_ms = created;
	j->updated_ms = updated;
	return 0;
}

int store_job_update(struct store *st, struct job *j, struct aura_error *err)
{
	int64_t was = j->updated_ms;
	j->updated_ms = time_now_ms();
	struct op w = {.kind = OP_JOB, .id = j->id, .job = *j};
	int ret = write_op(st, &w, err);
	if (ret < 0)
		j->updated_ms = was;
	return ret;
}

int store_job_update_progress(struct store *st, const struct job *j, struct aura_error *err)
{
	struct op w = {.kind = OP_PROGRESS, .id = j->id, .job = *j};
	return write_op(st, &w, err);
}

int store_job_get(struct store *st, int64_t id, struct job *out, struct aura_error *err)
{
	assert(st->ready);
	int ret = job_row(st, st->stmt[SQL_JOB_GET], id, out, "get job", err);
	if (ret == 1)
		ret = aura_error_set(err, AURA_E_JOB_NOT_FOUND, "job %lld", (long long)id);
	return ret;
}

int store_job_delete(struct store *st, int64_t id, struct aura_error *err)
{
	struct op w = {.kind = OP_DELETE, .id = id};
	return write_op(st, &w, err);
}

static int check_state_filter(struct store *st, int state, struct aura_error *err)
{
	if (state >= JOB_STATE__COUNT)
		return aura_error_set(err, AURA_E_INTERNAL, "%s: no job state %d", st->path, state);
	return 0;
}

int store_job_list(struct store *st, int state, int64_t offset, int64_t limit,
		   int (*fn)(const struct job *j, void *ctx), void *ctx, struct aura_error *err)
{
	assert(st->ready);
	int ret = check_state_filter(st, state, err);
	if (ret)
		return ret;
	struct binder b = {st->stmt[state < 0 ? SQL_JOB_LIST : SQL_JOB_LIST_STATE], SQLITE_OK};
	int i = 1;
	if (state >= 0)
		b_text(&b, i++, job_state_name((enum job_state)state));
	b_int64(&b, i++, limit > 0 ? limit : -1);
	b_int64(&b, i, offset > 0 ? offset : 0);
	int rc = b.rc;
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		rc = sqlite3_step(b.s);
		if (rc != SQLITE_ROW)
			break;
		struct job j;
		ret = read_job(st, b.s, &j, err);
		int stop = ret ? 1 : fn(&j, ctx);
		job_clear(&j);
		if (stop)
			break;
	}
	if (ret == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = fail(st, rc, "list jobs", err);
	done(b.s);
	return ret;
}

int64_t store_job_count(struct store *st, int state)
{
	assert(st->ready);
	int ret = check_state_filter(st, state, NULL);
	if (ret)
		return ret;
	sqlite3_stmt *s = st->stmt[state < 0 ? SQL_JOB_COUNT : SQL_JOB_COUNT_STATE];
	struct binder b = {s, SQLITE_OK};
	if (state >= 0)
		b_text(&b, 1, job_state_name((enum job_state)state));
	int rc = step(&b);
	int64_t n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -map_rc(rc, AURA_E_STORE_IO);
	done(s);
	return n;
}

int store_job_next(struct store *st, int64_t now_ms, struct job *out, struct aura_error *err)
{
	assert(st->ready);
	return job_row(st, st->stmt[SQL_JOB_NEXT], now_ms, out, "next job", err);
}

/* --- stages ------------------------------------------------------------------ */

int store_stage_set(struct store *st, int64_t job_id, const struct stage *sg,
		    struct aura_error *err)
{
	struct op w = {.kind = OP_STAGE_SET, .id = job_id, .stage = *sg};
	if (!sg->name) /* refused by the statement, never journaled */
		return sql_stage_set(st, job_id, sg, err);
	return write_op(st, &w, err);
}

int store_stage_list(struct store *st, int64_t job_id, struct stage **out, int *n,
		     struct aura_error *err)
{
	assert(st->ready);
	*out = NULL;
	*n = 0;
	sqlite3_stmt *s = st->stmt[SQL_STAGE_LIST];
	struct stage *v = NULL;
	int len = 0, cap = 0, ret = 0;
	int rc = sqlite3_bind_int64(s, 1, job_id);
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW)
			break;
		const char *state = (const char *)sqlite3_column_text(s, 2);
		int t = stage_state_parse(state);
		if (t < 0) {
			ret = aura_error_set(err, AURA_E_STORE_CORRUPT,
					     "%s: job %lld: stage state '%s'", st->path,
					     (long long)job_id, state ? state : "(null)");
			break;
		}
		if (len == cap) {
			cap = cap ? cap * 2 : 8;
			v = xrealloc(v, (size_t)cap * sizeof(*v));
		}
		struct stage *sg = &v[len++];
		sg->name = col_str(s, 0);
		sg->seq = sqlite3_column_int(s, 1);
		sg->state = (enum stage_state)t;
		sg->progress = sqlite3_column_double(s, 3);
		sg->started_ms = sqlite3_column_int64(s, 4);
		sg->finished_ms = sqlite3_column_int64(s, 5);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = fail(st, rc, "list stages", err);
	done(s);
	if (ret) {
		stage_list_free(v, len);
		return ret;
	}
	*out = v;
	*n = len;
	return 0;
}

int store_stage_clear(struct store *st, int64_t job_id, struct aura_error *err)
{
	struct op w = {.kind = OP_STAGE_CLEAR, .id = job_id};
	return write_op(st, &w, err);
}
