/*
 * jobs.c -- the store's rows: binding a job to a statement and reading one
 * back, the statement of each write (job, progress, delete, stage set and
 * clear), and the job and stage functions of store.h. A write of the
 * server's loop goes through the journal (journal.c).
 *
 * Must never: bind a job whose kind or state has no name, or keep a
 * statement bound after its use.
 */
#include "config.h"

#include <assert.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store-int.h"
#include "base/util.h"

/* --- binding and reading ----------------------------------------------------- */

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
	b_text(b, 28, j->pool ? j->pool : "local");
	if (j->batch_id > 0)
		b_int64(b, 29, j->batch_id);
	b_text(b, 30, j->cluster_id);
	b_text(b, 31, j->substate);
	b_int64(b, 33, j->pruned_ms); /* ?32 is the update's id, the insert's key */
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
	j->key = col_str(s, 28);
	j->pool = col_str(s, 29);
	j->batch_id = sqlite3_column_int64(s, 30);
	j->cluster_id = col_str(s, 31);
	j->substate = col_str(s, 32);
	j->pruned_ms = sqlite3_column_int64(s, 33);
	return 0;
}

static int check_job(struct store *st, const struct job *j, struct aura_error *err)
{
	if ((unsigned)j->kind >= JOB_KIND__COUNT || (unsigned)j->state >= JOB_STATE__COUNT)
		return aura_error_set(err, AURA_E_INTERNAL, "%s: job %lld has kind %d, state %d",
				      st->path, (long long)j->id, (int)j->kind, (int)j->state);
	return 0;
}

/* One job from a statement whose first parameter is `arg` and, when
 * text is not NULL, whose second is text: 0 with the job in out, 1 when
 * there is none (out stays empty), or an error naming `what`. */
static int job_row(struct store *st, sqlite3_stmt *s, int64_t arg, const char *text,
		   struct job *out, const char *what, struct aura_error *err)
{
	job_init(out);
	struct binder b = { s, SQLITE_OK };
	b_int64(&b, 1, arg);
	if (text)
		b_text(&b, 2, text);
	int rc = step(&b);
	int ret;
	if (rc == SQLITE_ROW)
		ret = read_job(st, s, out, err);
	else if (rc == SQLITE_DONE)
		ret = 1;
	else
		ret = store_fail(st, rc, what, err);
	done(s);
	if (ret < 0)
		job_clear(out);
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
	struct binder b = { st->stmt[SQL_JOB_UPDATE], SQLITE_OK };
	bind_job(&b, j, j->created_ms, j->updated_ms);
	b_int64(&b, 32, j->id);
	ret = store_run_bound(st, &b, "update job", err);
	return ret ? ret : changed_or_missing(st, j->id, err);
}

static int sql_job_progress(struct store *st, const struct job *j, struct aura_error *err)
{
	struct binder b = { st->stmt[SQL_JOB_PROGRESS], SQLITE_OK };
	b_text(&b, 1, j->stage);
	b_double(&b, 2, j->progress, 0);
	b_int64(&b, 3, j->out_time_us);
	b_int64(&b, 4, j->duration_us);
	b_double(&b, 5, j->fps, 0);
	b_double(&b, 6, j->speed, 0);
	b_int64(&b, 7, j->size);
	b_double(&b, 8, j->eta_s, -1);
	b_int64(&b, 9, j->id);
	int ret = store_run_bound(st, &b, "update progress", err);
	return ret ? ret : changed_or_missing(st, j->id, err);
}

static int sql_job_delete(struct store *st, int64_t id, struct aura_error *err)
{
	struct binder b = { st->stmt[SQL_JOB_DELETE], SQLITE_OK };
	b_int64(&b, 1, id);
	int ret = store_run_bound(st, &b, "delete job", err);
	return ret ? ret : changed_or_missing(st, id, err);
}

static int sql_stage_set(struct store *st, int64_t job_id, const struct stage *sg,
			 struct aura_error *err)
{
	if (!sg->name || stage_state_parse(stage_state_name(sg->state)) < 0)
		return aura_error_set(
		    err, AURA_E_INTERNAL, "%s: job %lld: bad stage (%s, state %d)", st->path,
		    (long long)job_id, sg->name ? sg->name : "no name", (int)sg->state);
	struct binder b = { st->stmt[SQL_STAGE_SET], SQLITE_OK };
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
		ret = store_fail(st, rc, "set stage", err);
	done(b.s);
	return ret;
}

static int sql_stage_clear(struct store *st, int64_t job_id, struct aura_error *err)
{
	struct binder b = { st->stmt[SQL_STAGE_CLEAR], SQLITE_OK };
	b_int64(&b, 1, job_id);
	return store_run_bound(st, &b, "clear stages", err);
}

int store_sql_op(struct store *st, const struct op *op, struct aura_error *err)
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

/* --- jobs ------------------------------------------------------------------- */

/* The job that has `key`: 1 with its id, 0 when none, or an error. */
static int job_by_key(struct store *st, const char *key, int64_t *id, struct aura_error *err)
{
	struct binder b = { st->stmt[SQL_JOB_BY_KEY], SQLITE_OK };
	b_text(&b, 1, key);
	int rc = step(&b);
	int ret = 0;
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(b.s, 0);
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		ret = store_fail(st, rc, "find job by key", err);
	}
	done(b.s);
	return ret;
}

int store_job_insert(struct store *st, struct job *j, struct aura_error *err)
{
	if (st->behind && st->batching && !st->in_tx)
		return aura_error_set(err, st->behind_code, "%s", st->behind_detail);
	int bt = store_batch_touch(st, err);
	if (bt < 0)
		return bt;
	assert(st->ready);
	int ret = check_job(st, j, err);
	if (ret)
		return ret;
	/* A key already used: that job, and no insert (an insert that does
	 * nothing would still use up an id of the AUTOINCREMENT sequence). */
	if (j->key && (ret = job_by_key(st, j->key, &j->id, err)) != 0)
		return ret < 0 ? ret : STORE_KEY_EXISTS;
	int64_t now = time_now_ms();
	int64_t created = j->created_ms ? j->created_ms : now;
	int64_t updated = j->updated_ms ? j->updated_ms : now;
	struct binder b = { st->stmt[SQL_JOB_INSERT], SQLITE_OK };
	bind_job(&b, j, created, updated);
	b_text(&b, 32, j->key);
	ret = store_run_bound(st, &b, "insert job", err);
	if (ret)
		return ret;
	/* DO NOTHING: taken since the look-up (not on this one connection,
	 * but the unique index has the last word) */
	if (j->key && sqlite3_changes(st->db) == 0) {
		ret = job_by_key(st, j->key, &j->id, err);
		if (ret == 0)
			ret = aura_error_set(err, AURA_E_INTERNAL,
					     "%s: the key of a job conflicts, but no job has it",
					     st->path);
		return ret < 0 ? ret : STORE_KEY_EXISTS;
	}
	j->id = sqlite3_last_insert_rowid(st->db);
	j->created_ms = created;
	j->updated_ms = updated;
	return 0;
}

int store_job_update(struct store *st, struct job *j, struct aura_error *err)
{
	int64_t was = j->updated_ms;
	j->updated_ms = time_now_ms();
	struct op w = { .kind = OP_JOB, .id = j->id, .job = *j };
	int ret = store_write_op(st, &w, err);
	if (ret < 0)
		j->updated_ms = was;
	return ret;
}

int store_job_update_progress(struct store *st, const struct job *j, struct aura_error *err)
{
	struct op w = { .kind = OP_PROGRESS, .id = j->id, .job = *j };
	return store_write_op(st, &w, err);
}

int store_job_get(struct store *st, int64_t id, struct job *out, struct aura_error *err)
{
	assert(st->ready);
	int ret = job_row(st, st->stmt[SQL_JOB_GET], id, NULL, out, "get job", err);
	if (ret == 1)
		ret = aura_error_set(err, AURA_E_JOB_NOT_FOUND, "job %lld", (long long)id);
	return ret;
}

int store_job_delete(struct store *st, int64_t id, struct aura_error *err)
{
	struct op w = { .kind = OP_DELETE, .id = id };
	return store_write_op(st, &w, err);
}

static int check_state_filter(struct store *st, int state, struct aura_error *err)
{
	if (state >= JOB_STATE__COUNT)
		return aura_error_set(err, AURA_E_INTERNAL, "%s: no job state %d", st->path, state);
	return 0;
}

static const char *const sort_names[STORE_SORT__COUNT] = {
	[STORE_SORT_ID] = "id",	      [STORE_SORT_NAME] = "name",
	[STORE_SORT_KIND] = "kind",   [STORE_SORT_STATE] = "state",
	[STORE_SORT_STAGE] = "stage", [STORE_SORT_PROGRESS] = "progress",
	[STORE_SORT_ETA] = "eta",     [STORE_SORT_CREATED] = "created",
};

int store_sort_parse(const char *name)
{
	for (int i = 0; name && i < STORE_SORT__COUNT; i++)
		if (strcmp(name, sort_names[i]) == 0)
			return i;
	return -1;
}

const char *store_sort_name(int sort)
{
	return sort >= 0 && sort < STORE_SORT__COUNT ? sort_names[sort] : "";
}

/* The keys of a sort, in order: fixed text only, never a client's. Each
 * goes the request's way, or always downwards when fixed_desc; ties go
 * newest first (id DESC), whatever the direction. Every key is non-NULL,
 * so order_by and before_it below compare alike. Returns the count. */
struct sort_key {
	char expr[256];
	bool fixed_desc;
};

static int sort_keys(int sort, struct sort_key k[3])
{
	int n = 0;
#define KEY(fixed, ...)                                                                            \
	(snprintf(k[n].expr, sizeof(k[n].expr), __VA_ARGS__), k[n++].fixed_desc = fixed)
	switch (sort) {
	case STORE_SORT_NAME:
		KEY(false, "IFNULL(name, '') COLLATE NOCASE");
		break;
	case STORE_SORT_KIND:
		KEY(false, "kind");
		break;
	case STORE_SORT_STATE: {
		size_t j = (size_t)snprintf(k[0].expr, sizeof(k[0].expr), "CASE state");
		for (int s = 0; s < JOB_STATE__COUNT && j < sizeof(k[0].expr); s++)
			j += (size_t)snprintf(k[0].expr + j, sizeof(k[0].expr) - j,
					      " WHEN '%s' THEN %d",
					      job_state_name((enum job_state)s), s);
		if (j < sizeof(k[0].expr))
			snprintf(k[0].expr + j, sizeof(k[0].expr) - j, " END");
		k[n++].fixed_desc = false;
		break;
	}
	case STORE_SORT_STAGE:
		KEY(false, "IFNULL(stage, '') COLLATE NOCASE");
		break;
	case STORE_SORT_PROGRESS:
		KEY(false, "CASE state WHEN 'succeeded' THEN 1.0 WHEN 'queued' THEN 0.0"
			   " ELSE progress END");
		break;
	case STORE_SORT_ETA:
		KEY(true, "(state = 'running' AND eta_s >= 0)");
		KEY(false, "eta_s");
		break;
	case STORE_SORT_CREATED:
		KEY(false, "created_ms");
		break;
	default:
		KEY(false, "id");
		return n;
	}
	KEY(true, "id");
#undef KEY
	return n;
}

static const char *key_dir(const struct sort_key *k, bool desc)
{
	return k->fixed_desc || desc ? "DESC" : "ASC";
}

/* The ORDER BY of a sort. */
static void order_by(int sort, bool desc, char *buf, size_t size)
{
	struct sort_key k[3];
	int n = sort_keys(sort, k);
	size_t j = 0;
	buf[0] = '\0';
	for (int i = 0; i < n && j < size; i++)
		j += (size_t)snprintf(buf + j, size - j, "%s%s %s", i ? ", " : "", k[i].expr,
				      key_dir(&k[i], desc));
}

/* The WHERE that keeps the rows sorting before the one whose keys are
 * t.k0, t.k1...: (k0 before t.k0) OR (k0 = t.k0 AND (k1 before ...)). */
static void before_it(int sort, bool desc, char *buf, size_t size)
{
	struct sort_key k[3];
	int n = sort_keys(sort, k);
	size_t j = 0;
	buf[0] = '\0';
	for (int i = 0; i < n && j < size; i++) {
		const char *lt = strcmp(key_dir(&k[i], desc), "DESC") == 0 ? ">" : "<";
		if (i == n - 1)
			j += (size_t)snprintf(buf + j, size - j, "%s %s t.k%d", k[i].expr, lt, i);
		else
			j += (size_t)snprintf(buf + j, size - j, "%s %s t.k%d OR (%s = t.k%d AND (",
					      k[i].expr, lt, i, k[i].expr, i);
	}
	for (int i = 0; i < n - 1 && j < size; i++)
		j += (size_t)snprintf(buf + j, size - j, "))");
}

/* The statement of an order, prepared at its first use. */
static int sorted_stmt(struct store *st, int sort, bool desc, bool filtered, sqlite3_stmt **out,
		       struct aura_error *err)
{
	if (sort == STORE_SORT_ID && desc) {
		*out = st->stmt[filtered ? SQL_JOB_LIST_STATE : SQL_JOB_LIST];
		return 0;
	}
	sqlite3_stmt **slot = &st->sorted[sort][desc][filtered];
	*out = *slot;
	if (*slot)
		return 0;
	char order[512], sql[1024];
	order_by(sort, desc, order, sizeof(order));
	snprintf(sql, sizeof(sql),
		 "SELECT " JOB_COLS " FROM jobs%s ORDER BY %s LIMIT ?%d OFFSET ?%d",
		 filtered ? " WHERE state = ?1" : "", order, filtered ? 2 : 1, filtered ? 3 : 2);
	int rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL);
	if (rc != SQLITE_OK) {
		*slot = NULL;
		return store_fail(st, rc, "prepare a sorted list", err);
	}
	*out = *slot;
	return 0;
}

int store_job_list(struct store *st, int state, int64_t offset, int64_t limit,
		   int (*fn)(const struct job *j, void *ctx), void *ctx, struct aura_error *err)
{
	return store_job_list_sorted(st, state, STORE_SORT_ID, true, offset, limit, fn, ctx, err);
}

int store_job_list_sorted(struct store *st, int state, int sort, bool desc, int64_t offset,
			  int64_t limit, int (*fn)(const struct job *j, void *ctx), void *ctx,
			  struct aura_error *err)
{
	assert(st->ready);
	int ret = check_state_filter(st, state, err);
	if (ret)
		return ret;
	if (sort < 0 || sort >= STORE_SORT__COUNT)
		return aura_error_set(err, AURA_E_INTERNAL, "%s: no sort %d", st->path, sort);
	sqlite3_stmt *s;
	if ((ret = sorted_stmt(st, sort, desc, state >= 0, &s, err)) < 0)
		return ret;
	struct binder b = { s, SQLITE_OK };
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
		ret = store_fail(st, rc, "list jobs", err);
	done(b.s);
	return ret;
}

int store_job_position(struct store *st, int state, int sort, bool desc, int64_t id, int64_t *at,
		       struct aura_error *err)
{
	assert(st->ready);
	*at = -1;
	int ret = check_state_filter(st, state, err);
	if (ret)
		return ret;
	if (sort < 0 || sort >= STORE_SORT__COUNT)
		return aura_error_set(err, AURA_E_INTERNAL, "%s: no sort %d", st->path, sort);
	struct sort_key k[3];
	int n = sort_keys(sort, k);
	char cols[512], before[1024], sql[2048];
	size_t j = 0;
	for (int i = 0; i < n && j < sizeof(cols); i++)
		j += (size_t)snprintf(cols + j, sizeof(cols) - j, "%s%s", i ? ", " : "", k[i].expr);
	before_it(sort, desc, before, sizeof(before));
	const char *filter = state >= 0 ? " AND state = ?2" : "";
	/* t: the job's keys, no row when it is not in the list */
	snprintf(sql, sizeof(sql),
		 "WITH t(k0, k1, k2) AS (SELECT %s%s FROM jobs WHERE id = ?1%s)"
		 " SELECT (SELECT COUNT(*) FROM t), COUNT(*) FROM jobs, t WHERE (%s)%s",
		 cols,
		 n == 3	  ? ""
		 : n == 2 ? ", 0"
			  : ", 0, 0",
		 filter, before, filter);
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, rc, "prepare a position", err);
	struct binder b = { s, SQLITE_OK };
	b_int64(&b, 1, id);
	if (state >= 0)
		b_text(&b, 2, job_state_name((enum job_state)state));
	rc = b.rc == SQLITE_OK ? sqlite3_step(s) : b.rc;
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_int64(s, 0) > 0)
			*at = sqlite3_column_int64(s, 1);
		rc = SQLITE_DONE;
	}
	if (rc != SQLITE_DONE)
		ret = store_fail(st, rc, "find a job's position", err);
	sqlite3_finalize(s);
	return ret;
}

int64_t store_job_count(struct store *st, int state)
{
	assert(st->ready);
	int ret = check_state_filter(st, state, NULL);
	if (ret)
		return ret;
	sqlite3_stmt *s = st->stmt[state < 0 ? SQL_JOB_COUNT : SQL_JOB_COUNT_STATE];
	struct binder b = { s, SQLITE_OK };
	if (state >= 0)
		b_text(&b, 1, job_state_name((enum job_state)state));
	int rc = step(&b);
	int64_t n =
	    rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -store_map_rc(rc, AURA_E_STORE_IO);
	done(s);
	return n;
}

int store_job_next(struct store *st, int64_t now_ms, struct job *out, struct aura_error *err)
{
	assert(st->ready);
	return job_row(st, st->stmt[SQL_JOB_NEXT], now_ms, NULL, out, "next job", err);
}

int store_job_next_in(struct store *st, int64_t now_ms, const char *pool, struct job *out,
		      struct aura_error *err)
{
	assert(st->ready && pool);
	return job_row(st, st->stmt[SQL_JOB_NEXT_POOL], now_ms, pool, out, "next job of a pool",
		       err);
}

/* --- stages ------------------------------------------------------------------ */

int store_stage_set(struct store *st, int64_t job_id, const struct stage *sg,
		    struct aura_error *err)
{
	struct op w = { .kind = OP_STAGE_SET, .id = job_id, .stage = *sg };
	if (!sg->name) /* refused by the statement, never journaled */
		return sql_stage_set(st, job_id, sg, err);
	return store_write_op(st, &w, err);
}

int store_stage_list(struct store *st, int64_t job_id, struct stage **out, int *n,
		     struct aura_error *err)
{
	assert(st->ready);
	*out = NULL;
	*n = 0;
	sqlite3_stmt *s = st->stmt[SQL_STAGE_LIST];
	struct stage *v = NULL;
	int len = 0, ret = 0;
	size_t cap = 0;
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
		XGROW(v, (size_t)len + 1, cap, 8);
		struct stage *sg = &v[len++];
		sg->name = col_str(s, 0);
		sg->seq = sqlite3_column_int(s, 1);
		sg->state = (enum stage_state)t;
		sg->progress = sqlite3_column_double(s, 3);
		sg->started_ms = sqlite3_column_int64(s, 4);
		sg->finished_ms = sqlite3_column_int64(s, 5);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_fail(st, rc, "list stages", err);
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
	struct op w = { .kind = OP_STAGE_CLEAR, .id = job_id };
	return store_write_op(st, &w, err);
}
