/*
 * test-store.c -- the job store against real SQLite files in a temporary
 * directory: every field round-trips, updates touch what they say, lists
 * page correctly over 100 000 rows, the scheduler query, stages, WAL, the
 * migration runner, and the files it must refuse without touching (newer
 * schema, not a database, damaged), locks and rollbacks.
 *
 * A second, plain sqlite3 connection plays the other process or the
 * future/past build; it is the only reason this file includes sqlite3.h.
 */
#include "config.h"

#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/store.h"
#include "base/util.h"

#define STORE_FX_PREFIX "aura-store"
#include "store-fixture.h"

/* --- helpers ----------------------------------------------------------------- */

static sqlite3 *raw_open(const char *path)
{
	sqlite3 *db = NULL;
	assert_int_equal(
	    sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
	    SQLITE_OK);
	return db;
}

static void raw_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : sqlite3_errstr(rc));
}

static int64_t raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* First column of the first row as a new string (NULL for SQL NULL). */
static char *raw_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	char *v = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return v;
}

/* The EXPLAIN QUERY PLAN details of sql, joined. */
static char *raw_plan(sqlite3 *db, const char *sql)
{
	char *q = xasprintf("EXPLAIN QUERY PLAN %s", sql);
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, q, -1, &s, NULL), SQLITE_OK);
	struct buf b;
	buf_init(&b);
	while (sqlite3_step(s) == SQLITE_ROW)
		buf_printf(&b, "%s\n", (const char *)sqlite3_column_text(s, 3));
	sqlite3_finalize(s);
	free(q);
	return b.data;
}

static void raw_close(sqlite3 *db)
{
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	struct buf b;
	buf_init(&b);
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(&b, chunk, n);
	fclose(fp);
	*len = b.len;
	return b.data;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static void assert_same_str(const char *a, const char *b)
{
	if (!a)
		assert_null(b);
	else {
		assert_non_null(b);
		assert_string_equal(a, b);
	}
}

/* Doubles must come back bit for bit: SQLite stores IEEE-754 REALs. */
static void assert_same_double(double a, double b)
{
	if (a != b)
		fail_msg("%.17g != %.17g", a, b);
}

static void assert_job_equal(const struct job *a, const struct job *b)
{
	assert_int_equal(a->id, b->id);
	assert_int_equal(a->kind, b->kind);
	assert_same_str(a->name, b->name);
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->priority, b->priority);
	assert_same_str(a->spec, b->spec);
	assert_same_str(a->output, b->output);
	assert_same_str(a->workdir, b->workdir);
	assert_int_equal(a->created_ms, b->created_ms);
	assert_int_equal(a->started_ms, b->started_ms);
	assert_int_equal(a->finished_ms, b->finished_ms);
	assert_int_equal(a->updated_ms, b->updated_ms);
	assert_int_equal(a->attempts, b->attempts);
	assert_int_equal(a->max_attempts, b->max_attempts);
	assert_int_equal(a->not_before_ms, b->not_before_ms);
	assert_same_str(a->stage, b->stage);
	assert_same_double(a->progress, b->progress);
	assert_int_equal(a->out_time_us, b->out_time_us);
	assert_int_equal(a->duration_us, b->duration_us);
	assert_same_double(a->fps, b->fps);
	assert_same_double(a->speed, b->speed);
	assert_int_equal(a->size, b->size);
	assert_same_double(a->eta_s, b->eta_s);
	assert_int_equal(a->pid, b->pid);
	assert_same_str(a->error_code, b->error_code);
	assert_same_str(a->error_message, b->error_message);
	assert_same_str(a->stderr_tail, b->stderr_tail);
	assert_same_str(a->warnings, b->warnings);
	assert_same_str(a->key, b->key);
}

/* Every byte from 0x01 to 0xff: not valid UTF-8, must still come back. */
static char *binaryish(void)
{
	char *s = xmalloc(256);
	for (int i = 1; i < 256; i++)
		s[i - 1] = (char)i;
	s[255] = '\0';
	return s;
}

/* A job with every field set to something distinctive. */
#define FULL_KEY "batch 7 / row ☕ 12"

static void full_job(struct job *j)
{
	job_init(j);
	j->kind = JOB_KIND_VIDEO;
	j->name = xstrdup("Café ☕ 日本語 — \"double\" 'single' `tick`; DROP TABLE jobs; --");
	j->state = JOB_PAUSED;
	j->priority = -7;
	j->spec = xstrdup("{\"argv\":[\"-i\",\"a b.mp4\",\"-vf\",\"drawtext=text='x\\\\:y'\"],"
			  "\n\t\"cwd\":\"/tmp/with space\"}");
	j->output = xstrdup("/home/ü/out put/video.mp4");
	j->workdir = xstrdup("/data/jobs/42");
	j->created_ms = 1700000000123LL;
	j->started_ms = 1700000001234LL;
	j->finished_ms = 1700000002345LL;
	j->updated_ms = 1700000003456LL;
	j->attempts = 3;
	j->max_attempts = 5;
	j->not_before_ms = INT64_MAX - 1;
	j->stage = xstrdup("voice");
	j->progress = 0.123456789012345678;
	j->out_time_us = 9876543210123LL;
	j->duration_us = INT64_MAX;
	j->fps = 29.97002997002997;
	j->speed = 1.5e-3;
	j->size = 5000000000LL; /* past 32 bits */
	j->eta_s = 12345.678;
	j->pid = 4194303;
	j->error_code = xstrdup("FFMPEG_FAILED");
	j->error_message = xstrdup("ffmpeg failed: exit 1\nsecond line");
	j->stderr_tail = binaryish();
	j->warnings = xstrdup("[\"visual 2: \\\"stock\\\" search failed\"]");
	j->key = xstrdup(FULL_KEY);
}

static int64_t insert_simple(struct store *st, enum job_state state, int priority,
			     int64_t not_before)
{
	struct job j;
	job_init(&j);
	j.kind = JOB_KIND_FFMPEG;
	j.state = state;
	j.priority = priority;
	j.not_before_ms = not_before;
	struct aura_error err = { 0 };
	assert_int_equal(store_job_insert(st, &j, &err), 0);
	int64_t id = j.id;
	job_clear(&j);
	return id;
}

static void set_state(struct store *st, int64_t id, enum job_state state)
{
	struct job j;
	assert_int_equal(store_job_get(st, id, &j, NULL), 0);
	j.state = state;
	assert_int_equal(store_job_update(st, &j, NULL), 0);
	job_clear(&j);
}

/* --- jobs --------------------------------------------------------------------- */

static void test_roundtrip_every_field(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->path);
	struct aura_error err = { 0 };

	struct job in, out;
	full_job(&in);
	assert_int_equal(store_job_insert(st, &in, &err), 0);
	assert_true(in.id > 0);
	/* given timestamps are kept, not replaced by "now" */
	assert_int_equal(in.created_ms, 1700000000123LL);
	assert_int_equal(store_job_get(st, in.id, &out, &err), 0);
	assert_job_equal(&in, &out);
	job_clear(&out);

	/* Defaults: every string NULL, eta unknown; timestamps filled in. */
	struct job empty;
	job_init(&empty);
	int64_t before = time_now_ms();
	assert_int_equal(store_job_insert(st, &empty, &err), 0);
	assert_true(empty.id > in.id);
	assert_true(empty.created_ms >= before && empty.created_ms <= time_now_ms());
	assert_int_equal(empty.updated_ms, empty.created_ms);
	assert_int_equal(store_job_get(st, empty.id, &out, &err), 0);
	assert_job_equal(&empty, &out);
	assert_null(out.name);
	assert_null(out.error_code);
	assert_same_double(out.eta_s, -1);
	job_clear(&out);

	/* An empty string stays empty, NULL stays NULL in the file itself. */
	struct job blank;
	job_init(&blank);
	blank.name = xstrdup("");
	assert_int_equal(store_job_insert(st, &blank, &err), 0);
	assert_int_equal(store_job_get(st, blank.id, &out, &err), 0);
	assert_non_null(out.name);
	assert_string_equal(out.name, "");
	job_clear(&out);

	sqlite3 *raw = raw_open(f->path);
	char *sql = xasprintf("SELECT typeof(name) || typeof(spec) || typeof(warnings)"
			      " FROM jobs WHERE id = %lld",
			      (long long)empty.id);
	char *types = raw_text(raw, sql);
	assert_string_equal(types, "nullnullnull");
	free(types);
	free(sql);
	sql = xasprintf("SELECT typeof(name) FROM jobs WHERE id = %lld", (long long)blank.id);
	types = raw_text(raw, sql);
	assert_string_equal(types, "text");
	free(types);
	free(sql);
	raw_close(raw);

	assert_int_equal(store_job_get(st, 999999, &out, &err), -AURA_E_JOB_NOT_FOUND);
	assert_int_equal(err.code, AURA_E_JOB_NOT_FOUND);
	assert_null(out.name);

	job_clear(&in);
	job_clear(&empty);
	job_clear(&blank);
	store_close(st);
}

static void test_every_state_and_kind_fits_the_schema(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->path);
	for (int k = 0; k < JOB_KIND__COUNT; k++)
		for (int s = 0; s < JOB_STATE__COUNT; s++) {
			struct job j, out;
			job_init(&j);
			j.kind = (enum job_kind)k;
			j.state = (enum job_state)s;
			assert_int_equal(store_job_insert(st, &j, NULL), 0);
			assert_int_equal(store_job_get(st, j.id, &out, NULL), 0);
			assert_int_equal(out.kind, k);
			assert_int_equal(out.state, s);
			job_clear(&out);
		}
	/* An out-of-range state is refused before it reaches SQL. */
	struct job bad;
	job_init(&bad);
	bad.state = JOB_STATE__COUNT;
	struct aura_error err = { 0 };
	assert_int_equal(store_job_insert(st, &bad, &err), -AURA_E_INTERNAL);
	store_close(st);
}

static void test_nan_is_not_stored_as_null(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->path);
	struct job j, out;
	job_init(&j);
	j.fps = NAN;
	j.eta_s = NAN;
	j.progress = 0.5;
	assert_int_equal(store_job_insert(st, &j, NULL), 0);
	assert_int_equal(store_job_get(st, j.id, &out, NULL), 0);
	assert_same_double(out.fps, 0);
	assert_same_double(out.eta_s, -1);
	assert_same_double(out.progress, 0.5);
	job_clear(&out);
	store_close(st);
}

static void test_update_writes_every_field(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->path);
	struct aura_error err = { 0 };
	struct job j, out;
	full_job(&j);
	assert_int_equal(store_job_insert(st, &j, &err), 0);

	/* Change everything, including strings to NULL and NULL to strings. */
	int64_t id = j.id;
	job_clear(&j);
	job_init(&j);
	j.id = id;
	j.kind = JOB_KIND_FFMPEG;
	j.state = JOB_FAILED;
	j.priority = 12;
	j.name = NULL;
	j.spec = xstrdup("{}");
	j.created_ms = 5;
	j.started_ms = 6;
	j.finished_ms = 7;
	j.attempts = 1;
	j.max_attempts = 9;
	j.not_before_ms = 8;
	j.progress = 1;
	j.out_time_us = -1;
	j.duration_us = 0;
	j.fps = 60;
	j.speed = 2;
	j.size = INT64_MIN;
	j.eta_s = 0;
	j.pid = 0;
	j.error_code = NULL;
	j.stderr_tail = xstrdup("tail");
	j.key = xstrdup(FULL_KEY); /* the insert's; an update never changes it */
	int64_t before = time_now_ms();
	assert_int_equal(store_job_update(st, &j, &err), 0);
	assert_true(j.updated_ms >= before && j.updated_ms <= time_now_ms());
	assert_int_equal(store_job_get(st, id, &out, &err), 0);
	assert_job_equal(&j, &out);
	job_clear(&out);

	j.id = 424242;
	assert_int_equal(store_job_update(st, &j, &err), -AURA_E_JOB_NOT_FOUND);
	assert_int_equal(err.code, AURA_E_JOB_NOT_FOUND);
	job_clear(&j);
	store_close(st);
}

static void test_progress_update_touches_only_progress(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->path);
	struct aura_error err = { 0 };
	struct job orig, p, out;
	full_job(&orig);
	assert_int_equal(store_job_insert(st, &orig, &err), 0);

	job_copy(&p, &orig);
	free(p.stage);
	p.stage = xstrdup("render");
	p.progress = 0.75;
	p.out_time_us = 111;
	p.duration_us = 222;
	p.fps = 24;
	p.speed = 0.5;
	p.size = 333;
	p.eta_s = 4.5;
	/* Changes to other fields must NOT reach the store. */
	p.state = JOB_FAILED;
	p.priority = 99;
	p.attempts = 42;
	p.pid = 7;
	free(p.name);
	p.name = xstrdup("changed");
	free(p.error_code);
	p.error_code = NULL;
	assert_int_equal(store_job_update_progress(st, &p, &err), 0);

	assert_int_equal(store_job_get(st, orig.id, &out, &err), 0);
	struct job want;
	job_copy(&want, &orig);
	free(want.stage);
	want.stage = xstrdup("render");
	want.progress = 0.75;
	want.out_time_us = 111;
	want.duration_us = 222;
	want.fps = 24;
	want.speed = 0.5;
	want.size = 333;
	want.eta_s = 4.5;
	assert_job_equal(&want, &out);
	job_clear(&out);

	p.id = 999999;
	assert_int_equal(store_job_update_progress(st, &p, &err), -AURA_E_JOB_NOT_FOUND);

	job_clear(&want);
	job_clear(&p);
	job_clear(&orig);
	store_close(st);
}

static void test_delete_cascades_to_stages(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->path);
	struct aura_error err = { 0 };
	int64_t a = insert_simple(st, JOB_SUCCEEDED, 0, 0);
	int64_t b = insert_simple(st, JOB_SUCCEEDED, 0, 0);
	char n_script[] = "script", n_voice[] = "voice";
	struct stage sg = { .name = n_script, .seq = 0, .state = STAGE_DONE };
	assert_int_equal(store_stage_set(st, a, &sg, &err), 0);
	assert_int_equal(store_stage_set(st, b, &sg, &err), 0);
	sg.name = n_voice;
	sg.seq = 1;
	assert_int_equal(store_stage_set(st, a, &sg, &err), 0);

	assert_int_equal(store_job_delete(st, a, &err), 0);
	struct job out;
	assert_int_equal(store_job_get(st, a, &out, &err), -AURA_E_JOB_NOT_FOUND);
	assert_int_equal(store_job_delete(st, a, &err), -AURA_E_JOB_NOT_FOUND);

	sqlite3 *raw = raw_open(f->path);
	char *sql = xasprintf("SELECT count(*) FROM stages WHERE job_id = %lld", (long long)a);
	assert_int_equal(raw_int(raw, sql), 0);
	free(sql);
	raw_close(raw);

	/* the other job and its stage are untouched */
	struct stage *v;
	int n;
	assert_int_equal(store_stage_list(st, b, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	stage_list_free(v, n);
	assert_int_equal(store_job_get(st, b, &out, &err), 0);
	job_clear(&out);
	assert_int_equal(store_integrity_check(st, &err), 0);
	store_close(st);
}

/* --- listing ------------------------------------------------------------------ */

struct collect {
	int64_t ids[200];
	int n;
	int stop_after; /* 0: never */
	int want_state; /* -1: any */
};

static int collect_fn(const struct job *j, void *ctx)
{
	struct collect *c = ctx;
	if (c->want_state >= 0)
		assert_int_equal(j->state, c->want_state);
	assert_true(c->n < (int)ARRAY_LEN(c->ids));
	c->ids[c->n++] = j->id;
	return c->stop_after && c->n >= c->stop_after;
}

static void list(struct store *st, int state, int64_t offset, int64_t limit, struct collect *c)
{
	memset(c, 0, sizeof(*c));
	c->want_state = state;
	struct aura_error err = { 0 };
	assert_int_equal(store_job_list(st, state, offset, limit, collect_fn, c, &err), 0);
}

static const enum job_state cycle[3] = { JOB_QUEUED, JOB_RUNNING, JOB_FAILED };

static void test_list_order_filter_paging_count(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->path);
	int64_t ids[30];
	for (int i = 0; i < 30; i++)
		ids[i] = insert_simple(st, cycle[i % 3], i % 5, 0);

	struct collect c;
	list(st, -1, 0, 0, &c);
	assert_int_equal(c.n, 30);
	for (int i = 0; i < 30; i++)
		assert_int_equal(c.ids[i], ids[29 - i]); /* newest first */

	list(st, JOB_RUNNING, 0, 0, &c);
	assert_int_equal(c.n, 10);
	for (int i = 0; i < 10; i++)
		assert_int_equal(c.ids[i], ids[28 - 3 * i]);

	list(st, -1, 5, 7, &c);
	assert_int_equal(c.n, 7);
	for (int i = 0; i < 7; i++)
		assert_int_equal(c.ids[i], ids[24 - i]);

	list(st, JOB_FAILED, 3, 4, &c);
	assert_int_equal(c.n, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(c.ids[i], ids[29 - 3 * (3 + i)]);

	list(st, -1, 28, 10, &c); /* a short last page */
	assert_int_equal(c.n, 2);
	assert_int_equal(c.ids[1], ids[0]);
	list(st, -1, 30, 10, &c);
	assert_int_equal(c.n, 0);
	list(st, JOB_SUCCEEDED, 0, 0, &c);
	assert_int_equal(c.n, 0);

	/* the callback stops the walk */
	memset(&c, 0, sizeof(c));
	c.want_state = -1;
	c.stop_after = 4;
	assert_int_equal(store_job_list(st, -1, 0, 0, collect_fn, &c, NULL), 0);
	assert_int_equal(c.n, 4);

	assert_int_equal(store_job_count(st, -1), 30);
	assert_int_equal(store_job_count(st, JOB_QUEUED), 10);
	assert_int_equal(store_job_count(st, JOB_CANCELLED), 0);
	assert_true(store_job_count(st, JOB_STATE__COUNT) < 0);
	store_close(st);
}

/* One sorted list's ids as a string ("3 1 2"). */
static const char *sorted_ids(struct store *st, int state, int sort, bool desc, int64_t off,
			      int64_t lim)
{
	static char buf[256];
	struct collect c;
	memset(&c, 0, sizeof(c));
	c.want_state = state;
	assert_int_equal(
	    store_job_list_sorted(st, state, sort, desc, off, lim, collect_fn, &c, NULL), 0);
	size_t k = 0;
	buf[0] = 0;
	for (int i = 0; i < c.n; i++)
		k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s%lld", i ? " " : "",
				      (long long)c.ids[i]);
	return buf;
}

/* store_job_position agrees with the list, for every sort, both ways,
 * with and without a state filter; -1 for a job not in the list. */
static void check_positions(struct store *st)
{
	const int states[] = { -1, JOB_RUNNING, JOB_QUEUED, JOB_CANCELLED };
	for (int sort = 0; sort < STORE_SORT__COUNT; sort++)
		for (int desc = 0; desc < 2; desc++)
			for (size_t k = 0; k < ARRAY_LEN(states); k++) {
				struct collect c;
				memset(&c, 0, sizeof(c));
				c.want_state = states[k];
				assert_int_equal(store_job_list_sorted(st, states[k], sort, desc, 0,
								       0, collect_fn, &c, NULL),
						 0);
				for (int64_t id = 1; id <= 8; id++) {
					int64_t want = -1, at = 99;
					for (int i = 0; i < c.n; i++)
						if (c.ids[i] == id)
							want = i;
					assert_int_equal(store_job_position(st, states[k], sort,
									    desc, id, &at, NULL),
							 0);
					assert_int_equal(at, want);
				}
			}
	int64_t at = 0;
	assert_true(store_job_position(st, -1, STORE_SORT__COUNT, false, 1, &at, NULL) < 0);
	assert_true(store_job_position(st, JOB_STATE__COUNT, STORE_SORT_ID, false, 1, &at, NULL) <
		    0);
}

static void test_list_sorted(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->path);
	/* id: name, kind, state, stage, progress, eta, created */
	static const struct {
		const char *name;
		enum job_kind kind;
		enum job_state state;
		const char *stage;
		double progress, eta;
		int64_t created;
	} rows[] = {
		{ "beta", JOB_KIND_FFMPEG, JOB_RUNNING, "encode", 0.5, 30, 5000 },
		{ "Alpha", JOB_KIND_VIDEO, JOB_SUCCEEDED, NULL, 0.2, -1, 1000 },
		{ NULL, JOB_KIND_FFMPEG, JOB_QUEUED, NULL, 0.9, -1, 3000 },
		{ "alpha", JOB_KIND_VIDEO, JOB_RUNNING, "Captions", 0.7, 10, 2000 },
		{ "gamma", JOB_KIND_FFMPEG, JOB_FAILED, "encode", 0.3, -1, 4000 },
	};
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		struct job j;
		job_init(&j);
		j.name = xstrdup(rows[i].name);
		j.kind = rows[i].kind;
		j.state = rows[i].state;
		j.stage = xstrdup(rows[i].stage);
		j.progress = rows[i].progress;
		j.eta_s = rows[i].eta;
		j.created_ms = rows[i].created;
		assert_int_equal(store_job_insert(st, &j, NULL), 0);
		assert_int_equal(j.id, (int64_t)i + 1);
		job_clear(&j);
	}
	assert_string_equal(sorted_ids(st, -1, STORE_SORT_ID, true, 0, 0), "5 4 3 2 1");
	assert_string_equal(sorted_ids(st, -1, STORE_SORT_ID, false, 0, 0), "1 2 3 4 5");
	/* case-insensitive, no name as "", equal names newest first either way */
	assert_string_equal(sorted_ids(st, -1, STORE_SORT_NAME, false, 0, 0), "3 4 2 1 5");
	assert_string_equal(sorted_ids(st, -1, STORE_SORT_NAME, true, 0, 0), "5 1 4 2 3");
	assert_string_equal(sorted_ids(st, -1, STORE_SORT_KIND, false, 0, 0), "5 3 1 4 2");
	/* the states' order: queued, running, ..., not their names' */
	assert_string_equal(sorted_ids(st, -1, STORE_SORT_STATE, false, 0, 0), "3 4 1 2 5");
	assert_string_equal(sorted_ids(st, -1, STORE_SORT_STAGE, false, 0, 0), "3 2 4 5 1");
	/* as the bar: succeeded is 1, queued 0, whatever is stored */
	assert_string_equal(sorted_ids(st, -1, STORE_SORT_PROGRESS, true, 0, 0), "2 4 1 5 3");
	/* running jobs with an estimate first, either way */
	assert_string_equal(sorted_ids(st, -1, STORE_SORT_ETA, false, 0, 0), "4 1 5 3 2");
	assert_string_equal(sorted_ids(st, -1, STORE_SORT_ETA, true, 0, 0), "1 4 5 3 2");
	assert_string_equal(sorted_ids(st, -1, STORE_SORT_CREATED, false, 0, 0), "2 4 3 5 1");
	/* with a state filter, and paged */
	assert_string_equal(sorted_ids(st, JOB_RUNNING, STORE_SORT_NAME, false, 0, 0), "4 1");
	assert_string_equal(sorted_ids(st, JOB_RUNNING, STORE_SORT_NAME, true, 0, 0), "1 4");
	assert_string_equal(sorted_ids(st, -1, STORE_SORT_NAME, false, 1, 2), "4 2");
	assert_string_equal(sorted_ids(st, -1, STORE_SORT_NAME, false, 4, 10), "5");
	/* a cached statement runs again, and the default is store_job_list's */
	assert_string_equal(sorted_ids(st, -1, STORE_SORT_NAME, false, 0, 1), "3");
	assert_true(store_job_list_sorted(st, -1, STORE_SORT__COUNT, false, 0, 0, collect_fn, NULL,
					  NULL) < 0);
	/* the whitelist */
	assert_int_equal(store_sort_parse("name"), STORE_SORT_NAME);
	assert_int_equal(store_sort_parse("created"), STORE_SORT_CREATED);
	assert_int_equal(store_sort_parse("name DESC"), -1);
	assert_int_equal(store_sort_parse(NULL), -1);
	assert_string_equal(store_sort_name(STORE_SORT_ETA), "eta");
	check_positions(st);
	/* equal keys (two more "alpha"s, one running with the same eta):
	 * the id decides, newest first */
	for (int i = 0; i < 2; i++) {
		struct job j;
		job_init(&j);
		j.name = xstrdup("ALPHA");
		j.kind = JOB_KIND_VIDEO;
		j.state = i ? JOB_RUNNING : JOB_CANCELLED;
		j.progress = 0.7;
		j.eta_s = 10;
		j.created_ms = 2000;
		assert_int_equal(store_job_insert(st, &j, NULL), 0);
		job_clear(&j);
	}
	check_positions(st);
	store_close(st);
}

static void test_list_100000_rows(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->path);
	struct aura_error err = { 0 };
	const int total = 100000;
	assert_int_equal(store_begin(st, &err), 0);
	struct job j;
	job_init(&j);
	j.name = xstrdup("bulk");
	for (int i = 1; i <= total; i++) {
		j.state = i % 4 == 1 ? JOB_FAILED : JOB_SUCCEEDED;
		assert_int_equal(store_job_insert(st, &j, &err), 0);
		assert_int_equal(j.id, i);
		j.created_ms = j.updated_ms = 0;
	}
	job_clear(&j);
	assert_int_equal(store_commit(st, &err), 0);

	assert_int_equal(store_job_count(st, -1), total);
	assert_int_equal(store_job_count(st, JOB_FAILED), total / 4);

	struct collect c;
	list(st, -1, 50000, 50, &c);
	assert_int_equal(c.n, 50);
	for (int i = 0; i < 50; i++)
		assert_int_equal(c.ids[i], total - 50000 - i);

	/* failed ids are 1, 5, 9, ...: newest first, page from the middle */
	list(st, JOB_FAILED, 10000, 20, &c);
	assert_int_equal(c.n, 20);
	for (int i = 0; i < 20; i++)
		assert_int_equal(c.ids[i], 1 + 4 * (total / 4 - 1 - 10000 - i));

	list(st, JOB_SUCCEEDED, 74990, 100, &c); /* the last page */
	assert_int_equal(c.n, 10);
	assert_int_equal(c.ids[9], 2);
	store_close(st);
}

static void test_next_job_selection(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->path);
	struct aura_error err = { 0 };
	int64_t now = 1000000;
	int64_t a = insert_simple(st, JOB_QUEUED, 0, 0);
	int64_t b = insert_simple(st, JOB_QUEUED, 5, 0);
	int64_t c = insert_simple(st, JOB_QUEUED, 5, now);     /* exactly due */
	int64_t d = insert_simple(st, JOB_QUEUED, 9, now + 1); /* backing off */
	insert_simple(st, JOB_RUNNING, 20, 0);
	insert_simple(st, JOB_PAUSED, 20, 0);
	insert_simple(st, JOB_FAILED, 20, 0);

	struct job out;
	assert_int_equal(store_job_next(st, now, &out, &err), 0);
	assert_int_equal(out.id, b); /* highest priority, then lowest id */
	job_clear(&out);
	set_state(st, b, JOB_RUNNING);
	assert_int_equal(store_job_next(st, now, &out, &err), 0);
	assert_int_equal(out.id, c);
	job_clear(&out);
	set_state(st, c, JOB_RUNNING);
	assert_int_equal(store_job_next(st, now, &out, &err), 0);
	assert_int_equal(out.id, a);
	job_clear(&out);
	/* once its backoff has passed, d outranks a */
	assert_int_equal(store_job_next(st, now + 1, &out, &err), 0);
	assert_int_equal(out.id, d);
	job_clear(&out);
	set_state(st, a, JOB_SUCCEEDED);
	assert_int_equal(store_job_next(st, now, &out, &err), 1);
	assert_null(out.name);
	set_state(st, d, JOB_CANCELLED);
	assert_int_equal(store_job_next(st, INT64_MAX, &out, &err), 1);
	store_close(st);
}

/* store_job_next_in: the same order, only within one pool; a job with
 * no pool is in local. */
static void test_next_job_in_pool(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->path);
	struct aura_error err = { 0 };
	int64_t now = 1000000;
	int64_t local = insert_simple(st, JOB_QUEUED, 50, 0); /* pool NULL: local */
	int64_t ids[3];
	int prio[3] = { 1, 7, 7 };
	for (int i = 0; i < 3; i++) {
		struct job j;
		job_init(&j);
		j.kind = JOB_KIND_FFMPEG;
		j.state = JOB_QUEUED;
		j.priority = prio[i];
		j.pool = xstrdup("farm");
		assert_int_equal(store_job_insert(st, &j, &err), 0);
		ids[i] = j.id;
		job_clear(&j);
	}
	struct job out;
	assert_int_equal(store_job_next_in(st, now, "farm", &out, &err), 0);
	assert_int_equal(out.id, ids[1]); /* highest priority in farm, then lowest id */
	assert_string_equal(out.pool, "farm");
	job_clear(&out);
	assert_int_equal(store_job_next_in(st, now, "local", &out, &err), 0);
	assert_int_equal(out.id, local);
	assert_string_equal(out.pool, "local");
	job_clear(&out);
	set_state(st, local, JOB_RUNNING);
	assert_int_equal(store_job_next_in(st, now, "local", &out, &err), 1);
	assert_int_equal(store_job_next_in(st, now, "elsewhere", &out, &err), 1);
	set_state(st, ids[1], JOB_RUNNING);
	assert_int_equal(store_job_next_in(st, now, "farm", &out, &err), 0);
	assert_int_equal(out.id, ids[2]);
	job_clear(&out);
	store_close(st);
}

/* --- stages ------------------------------------------------------------------- */

static void test_stages_upsert_and_list(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->path);
	struct aura_error err = { 0 };
	int64_t id = insert_simple(st, JOB_RUNNING, 0, 0);

	char n_render[] = "render", n_script[] = "script", n_voice[] = "voice";
	struct stage render = { n_render, 2, STAGE_PENDING, 0, 0, 0 };
	struct stage script = { n_script, 0, STAGE_DONE, 1, 100, 200 };
	struct stage voice = { n_voice, 1, STAGE_RUNNING, 0.25, 300, 0 };
	assert_int_equal(store_stage_set(st, id, &render, &err), 0);
	assert_int_equal(store_stage_set(st, id, &script, &err), 0);
	assert_int_equal(store_stage_set(st, id, &voice, &err), 0);

	/* Replace one: same key, new values, no new row. */
	voice.state = STAGE_FAILED;
	voice.progress = 0.5;
	voice.started_ms = 350;
	voice.finished_ms = 400;
	voice.seq = 3; /* now after render */
	assert_int_equal(store_stage_set(st, id, &voice, &err), 0);

	struct stage *v;
	int n;
	assert_int_equal(store_stage_list(st, id, &v, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].name, "script");
	assert_int_equal(v[0].state, STAGE_DONE);
	assert_int_equal(v[0].started_ms, 100);
	assert_int_equal(v[0].finished_ms, 200);
	assert_same_double(v[0].progress, 1);
	assert_string_equal(v[1].name, "render");
	assert_int_equal(v[1].seq, 2);
	assert_int_equal(v[1].state, STAGE_PENDING);
	assert_string_equal(v[2].name, "voice");
	assert_int_equal(v[2].seq, 3);
	assert_int_equal(v[2].state, STAGE_FAILED);
	assert_same_double(v[2].progress, 0.5);
	assert_int_equal(v[2].started_ms, 350);
	assert_int_equal(v[2].finished_ms, 400);
	stage_list_free(v, n);

	/* a job without stages, or a missing job */
	int64_t other = insert_simple(st, JOB_QUEUED, 0, 0);
	assert_int_equal(store_stage_list(st, other, &v, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_null(v);
	assert_int_equal(store_stage_set(st, 999999, &script, &err), -AURA_E_JOB_NOT_FOUND);
	assert_int_equal(err.code, AURA_E_JOB_NOT_FOUND);

	assert_int_equal(store_stage_clear(st, id, &err), 0);
	assert_int_equal(store_stage_list(st, id, &v, &n, &err), 0);
	assert_int_equal(n, 0);
	store_close(st);
}

static void test_stage_state_names(void **state)
{
	(void)state;
	static const char *const names[] = { "pending", "running", "done", "failed", "skipped" };
	for (int i = 0; i < (int)ARRAY_LEN(names); i++) {
		assert_string_equal(stage_state_name((enum stage_state)i), names[i]);
		assert_int_equal(stage_state_parse(names[i]), i);
	}
	assert_string_equal(stage_state_name((enum stage_state)99), "unknown");
	assert_int_equal(stage_state_parse("bogus"), -1);
}

/* --- files, schema, migrations ------------------------------------------------ */

static void test_reopen_keeps_data(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->path);
	struct job in, out;
	full_job(&in);
	assert_int_equal(store_job_insert(st, &in, NULL), 0);
	char n_script[] = "script";
	struct stage sg = { n_script, 0, STAGE_DONE, 1, 1, 2 };
	assert_int_equal(store_stage_set(st, in.id, &sg, NULL), 0);
	store_close(st);

	st = open_ok(f->path);
	assert_int_equal(store_job_get(st, in.id, &out, NULL), 0);
	assert_job_equal(&in, &out);
	job_clear(&out);
	struct stage *v;
	int n;
	assert_int_equal(store_stage_list(st, in.id, &v, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].name, "script");
	stage_list_free(v, n);
	/* AUTOINCREMENT: ids are never reused, even after a delete */
	assert_int_equal(store_job_delete(st, in.id, NULL), 0);
	int64_t next = insert_simple(st, JOB_QUEUED, 0, 0);
	assert_true(next > in.id);
	job_clear(&in);
	store_close(st);
	store_close(NULL);
}

static void test_wal_and_schema(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->path);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);

	sqlite3 *raw = raw_open(f->path);
	char *mode = raw_text(raw, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);
	assert_int_equal(raw_int(raw, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int(raw, "SELECT count(*) FROM sqlite_master WHERE name IN"
				      " ('jobs', 'stages', 'jobs_sched', 'jobs_by_state')"),
			 4);
	/* the CHECK constraints guard states and kinds */
	assert_int_equal(sqlite3_exec(raw,
				      "INSERT INTO jobs (kind, state) VALUES ('ffmpeg', 'bogus')",
				      NULL, NULL, NULL),
			 SQLITE_CONSTRAINT);
	assert_int_equal(sqlite3_exec(raw, "INSERT INTO jobs (kind, state) VALUES ('x', 'queued')",
				      NULL, NULL, NULL),
			 SQLITE_CONSTRAINT);
	/* The indexes serve the scheduler's and the listing's order: no sort
	 * of the whole table (which would make 100 000 rows slow). */
	char *plan =
	    raw_plan(raw, "SELECT id FROM jobs WHERE state = 'queued'"
			  " AND not_before_ms <= 5 ORDER BY priority DESC, id ASC LIMIT 1");
	assert_non_null(strstr(plan, "jobs_sched"));
	assert_null(strstr(plan, "TEMP B-TREE"));
	free(plan);
	plan = raw_plan(raw, "SELECT * FROM jobs WHERE state = 'failed' ORDER BY id DESC"
			     " LIMIT 10 OFFSET 5000");
	assert_non_null(strstr(plan, "jobs_by_state"));
	assert_null(strstr(plan, "TEMP B-TREE"));
	free(plan);
	raw_close(raw);
	store_close(st);
}

static void test_migrate_from_empty_file(void **state)
{
	struct fx *f = *state;
	/* a zero-byte file is an empty database at version 0 */
	int fd = open(f->path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	struct store *st = open_ok(f->path);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	int64_t id = insert_simple(st, JOB_QUEUED, 0, 0);
	store_close(st);
	st = open_ok(f->path);
	struct job out;
	assert_int_equal(store_job_get(st, id, &out, NULL), 0);
	job_clear(&out);
	store_close(st);
}

static void test_migrate_from_version_0(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	struct aura_error err = { 0 };
	assert_int_equal(store_open_at_version(f->path, 0, &st, &err), 0);
	assert_int_equal(store_schema_version(st), 0);
	store_close(st);

	sqlite3 *raw = raw_open(f->path);
	assert_int_equal(raw_int(raw, "PRAGMA user_version"), 0);
	assert_int_equal(raw_int(raw, "SELECT count(*) FROM sqlite_master"), 0);
	raw_close(raw);

	st = open_ok(f->path);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	int64_t id = insert_simple(st, JOB_QUEUED, 3, 0);
	store_close(st);

	/* asking for an older version never downgrades */
	assert_int_equal(store_open_at_version(f->path, 0, &st, &err), 0);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	store_close(st);

	st = open_ok(f->path);
	struct job out;
	assert_int_equal(store_job_get(st, id, &out, NULL), 0);
	assert_int_equal(out.priority, 3);
	job_clear(&out);
	store_close(st);
}

/* A future build adds a column; the data of the older version survives,
 * and this build then refuses the newer file. */
static void test_migrate_forward_keeps_data(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->path);
	struct job in, out;
	full_job(&in);
	assert_int_equal(store_job_insert(st, &in, NULL), 0);
	store_close(st);

	static const char *const extra[] = {
		"ALTER TABLE jobs ADD COLUMN label TEXT NOT NULL DEFAULT 'none';"
		"CREATE TABLE notes (job_id INTEGER REFERENCES jobs (id) ON DELETE CASCADE, body "
		"TEXT);",
	};
	struct aura_error err = { 0 };
	assert_int_equal(store_open_with_extra_steps(f->path, extra, 1, &st, &err), 0);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION + 1);
	assert_int_equal(store_job_get(st, in.id, &out, NULL), 0);
	assert_job_equal(&in, &out);
	job_clear(&out);
	store_close(st);

	sqlite3 *raw = raw_open(f->path);
	char *label = raw_text(raw, "SELECT label FROM jobs");
	assert_string_equal(label, "none");
	free(label);
	raw_close(raw);

	st = NULL;
	assert_int_equal(store_open(f->path, &st, &err), -AURA_E_STORE_TOO_NEW);
	assert_null(st);
	job_clear(&in);
}

/* A step that fails leaves the file at the last good version with none of
 * the failed step's statements applied; a later build migrates on from
 * there without re-running the steps already done. */
static void test_failed_step_rolls_back_and_resumes(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->path);
	int64_t id = insert_simple(st, JOB_QUEUED, 0, 0);
	store_close(st);

	static const char *const broken[] = {
		"CREATE TABLE t2 (x); INSERT INTO t2 VALUES (1);",
		"CREATE TABLE t3 (x); INSERT INTO no_such_table VALUES (1);",
	};
	struct aura_error err = { 0 };
	st = NULL;
	assert_int_equal(store_open_with_extra_steps(f->path, broken, 2, &st, &err),
			 -AURA_E_STORE_OPEN);
	assert_null(st);
	assert_non_null(strstr(err.detail, f->path));
	assert_non_null(strstr(err.detail, "no_such_table"));
	char *want = xasprintf("version %d", STORE_SCHEMA_VERSION + 2);
	assert_non_null(strstr(err.detail, want));
	free(want);

	sqlite3 *raw = raw_open(f->path);
	assert_int_equal(raw_int(raw, "PRAGMA user_version"), STORE_SCHEMA_VERSION + 1);
	assert_int_equal(raw_int(raw, "SELECT count(*) FROM sqlite_master WHERE name = 't2'"), 1);
	assert_int_equal(raw_int(raw, "SELECT count(*) FROM sqlite_master WHERE name = 't3'"), 0);
	raw_close(raw);

	static const char *const fixed[] = {
		"CREATE TABLE t2 (x); INSERT INTO t2 VALUES (1);",
		"CREATE TABLE t3 (x); INSERT INTO t2 VALUES (2);",
	};
	assert_int_equal(store_open_with_extra_steps(f->path, fixed, 2, &st, &err), 0);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION + 2);
	struct job out;
	assert_int_equal(store_job_get(st, id, &out, NULL), 0);
	job_clear(&out);
	store_close(st);

	raw = raw_open(f->path);
	char *rows = raw_text(raw, "SELECT group_concat(x) FROM t2");
	assert_string_equal(rows, "1,2");
	free(rows);
	raw_close(raw);
}

static void assert_refused_untouched(const char *path, int code)
{
	size_t len0, len1;
	char *before = slurp(path, &len0);
	struct store *st = (struct store *)1;
	struct aura_error err = { 0 };
	assert_int_equal(store_open(path, &st, &err), -code);
	assert_null(st);
	assert_int_equal(err.code, code);
	assert_non_null(strstr(err.detail, path));
	char *after = slurp(path, &len1);
	assert_int_equal(len0, len1);
	assert_memory_equal(before, after, len0);
	free(before);
	free(after);
}

static void test_newer_schema_is_refused_untouched(void **state)
{
	struct fx *f = *state;
	/* A WAL file written by the store, then "upgraded" by a newer aura. */
	struct store *st = open_ok(f->path);
	int64_t id = insert_simple(st, JOB_QUEUED, 0, 0);
	store_close(st);
	sqlite3 *raw = raw_open(f->path);
	raw_exec(raw, "PRAGMA user_version = 99");
	raw_close(raw);
	assert_refused_untouched(f->path, AURA_E_STORE_TOO_NEW);

	raw = raw_open(f->path);
	assert_int_equal(raw_int(raw, "PRAGMA user_version"), 99);
	char *sql = xasprintf("SELECT count(*) FROM jobs WHERE id = %lld", (long long)id);
	assert_int_equal(raw_int(raw, sql), 1);
	free(sql);
	raw_close(raw);

	/* A rollback-journal file: even switching it to WAL would change its
	 * header, so this proves nothing is written before the check. */
	char *other = xasprintf("%s/other.db", f->dir);
	raw = raw_open(other);
	raw_exec(raw, "CREATE TABLE future (x); INSERT INTO future VALUES (1);"
		      " PRAGMA user_version = 1000");
	raw_close(raw);
	assert_refused_untouched(other, AURA_E_STORE_TOO_NEW);
	free(other);
}

static void test_not_a_database_is_refused_untouched(void **state)
{
	struct fx *f = *state;
	struct buf b;
	buf_init(&b);
	for (int i = 0; i < 400; i++)
		buf_printf(&b, "line %d: this is not a database, it is someone's notes\n", i);
	write_file(f->path, b.data, b.len);
	buf_free(&b);
	assert_refused_untouched(f->path, AURA_E_STORE_CORRUPT);

	char *wal = xasprintf("%s-wal", f->path);
	char *journal = xasprintf("%s-journal", f->path);
	assert_false(exists(wal));
	assert_false(exists(journal));
	free(wal);
	free(journal);

	/* a short file too */
	write_file(f->path, "hello\n", 6);
	assert_refused_untouched(f->path, AURA_E_STORE_CORRUPT);
}

static void test_damaged_tree_fails_quick_check(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->path);
	assert_int_equal(store_begin(st, NULL), 0);
	for (int i = 0; i < 300; i++) {
		struct job j;
		full_job(&j);
		free(j.key); /* 300 rows, not one row and 299 "already there" */
		j.key = NULL;
		assert_int_equal(store_job_insert(st, &j, NULL), 0);
		job_clear(&j);
	}
	assert_int_equal(store_commit(st, NULL), 0);
	store_close(st);

	sqlite3 *raw = raw_open(f->path);
	int64_t page = raw_int(raw, "PRAGMA page_size");
	int64_t root = raw_int(raw, "SELECT rootpage FROM sqlite_master WHERE name = 'jobs'");
	raw_close(raw);
	assert_true(root > 1);

	/* An invalid b-tree page type on the jobs table's root page. */
	int fd = open(f->path, O_WRONLY);
	assert_true(fd >= 0);
	unsigned char junk = 0x07;
	assert_int_equal(pwrite(fd, &junk, 1, (off_t)((root - 1) * page)), 1);
	close(fd);
	assert_refused_untouched(f->path, AURA_E_STORE_CORRUPT);
}

static void test_integrity_check_finds_orphan_stages(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->path);
	struct aura_error err = { 0 };
	insert_simple(st, JOB_QUEUED, 0, 0);
	assert_int_equal(store_integrity_check(st, &err), 0);

	/* Another program with foreign keys off leaves an orphan stage. */
	sqlite3 *raw = raw_open(f->path);
	raw_exec(raw,
		 "PRAGMA foreign_keys = OFF;"
		 " INSERT INTO stages (job_id, name, seq, state) VALUES (777, 'x', 0, 'done')");
	raw_close(raw);
	assert_int_equal(store_integrity_check(st, &err), -AURA_E_STORE_CORRUPT);
	assert_non_null(strstr(err.detail, "stages"));
	store_close(st);
}

static void test_integrity_check_finds_index_damage(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->path);
	for (int i = 0; i < 20; i++)
		insert_simple(st, cycle[i % 3], i, 0);
	store_close(st);

	/* Redefine an index behind SQLite's back: its entries no longer match
	 * the table. quick_check does not compare indexes with tables, so the
	 * store opens; the full check must find it. */
	sqlite3 *raw = raw_open(f->path);
	int64_t v = raw_int(raw, "PRAGMA schema_version");
	raw_exec(raw, "PRAGMA writable_schema = ON");
	raw_exec(
	    raw,
	    "UPDATE sqlite_master SET sql = 'CREATE INDEX jobs_by_state ON jobs (priority, id)'"
	    " WHERE name = 'jobs_by_state'");
	char *bump = xasprintf("PRAGMA schema_version = %lld", (long long)v + 1);
	raw_exec(raw, bump);
	free(bump);
	raw_close(raw);

	struct aura_error err = { 0 };
	st = open_ok(f->path);
	assert_int_equal(store_integrity_check(st, &err), -AURA_E_STORE_CORRUPT);
	assert_int_equal(err.code, AURA_E_STORE_CORRUPT);
	assert_non_null(strstr(err.detail, f->path));
	store_close(st);
}

static void test_unopenable_path(void **state)
{
	struct fx *f = *state;
	char *path = xasprintf("%s/no/such/dir/aura.db", f->dir);
	struct store *st = NULL;
	struct aura_error err = { 0 };
	assert_int_equal(store_open(path, &st, &err), -AURA_E_STORE_OPEN);
	assert_null(st);
	assert_non_null(strstr(err.detail, path));
	free(path);
}

/* --- locks and transactions ---------------------------------------------------- */

static void test_locked_write_gets_busy(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->path);
	struct aura_error err = { 0 };
	sqlite3 *raw = raw_open(f->path);
	raw_exec(raw,
		 "BEGIN EXCLUSIVE; INSERT INTO jobs (kind, state) VALUES ('ffmpeg', 'queued')");

	/* Each waits out the busy timeout, then gives up: no hang. */
	struct job j;
	job_init(&j);
	assert_int_equal(store_job_insert(st, &j, &err), -AURA_E_STORE_BUSY);
	assert_int_equal(err.code, AURA_E_STORE_BUSY);
	assert_non_null(strstr(err.detail, f->path));
	assert_true(aura_error_transient(AURA_E_STORE_BUSY));
	assert_int_equal(store_begin(st, &err), -AURA_E_STORE_BUSY);
	assert_false(store_in_transaction(st));

	/* Readers are not blocked by a writer in WAL mode. */
	assert_int_equal(store_job_count(st, -1), 0);

	raw_exec(raw, "ROLLBACK");
	raw_close(raw);
	assert_int_equal(store_job_insert(st, &j, &err), 0);
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_commit(st, &err), 0);
	assert_int_equal(store_job_count(st, -1), 1);
	store_close(st);
}

static void test_rollback_discards(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->path);
	struct aura_error err = { 0 };
	int64_t kept = insert_simple(st, JOB_QUEUED, 0, 0);

	assert_int_equal(store_begin(st, &err), 0);
	assert_true(store_in_transaction(st));
	int64_t gone = insert_simple(st, JOB_QUEUED, 0, 0);
	char n_script[] = "script";
	struct stage sg = { n_script, 0, STAGE_PENDING, 0, 0, 0 };
	assert_int_equal(store_stage_set(st, gone, &sg, &err), 0);
	set_state(st, kept, JOB_CANCELLED);
	/* another connection does not see uncommitted work */
	sqlite3 *raw = raw_open(f->path);
	assert_int_equal(raw_int(raw, "SELECT count(*) FROM jobs"), 1);
	store_rollback(st);
	assert_false(store_in_transaction(st));
	store_rollback(st); /* harmless without a transaction */

	struct job out;
	assert_int_equal(store_job_get(st, gone, &out, &err), -AURA_E_JOB_NOT_FOUND);
	assert_int_equal(store_job_get(st, kept, &out, &err), 0);
	assert_int_equal(out.state, JOB_QUEUED);
	job_clear(&out);
	assert_int_equal(raw_int(raw, "SELECT count(*) FROM stages"), 0);

	/* and a commit keeps it, visible to others */
	assert_int_equal(store_begin(st, &err), 0);
	int64_t committed = insert_simple(st, JOB_QUEUED, 0, 0);
	assert_int_equal(store_commit(st, &err), 0);
	assert_false(store_in_transaction(st));
	assert_int_equal(raw_int(raw, "SELECT count(*) FROM jobs"), 2);
	raw_close(raw);

	/* close with a transaction open rolls it back */
	assert_int_equal(store_begin(st, &err), 0);
	insert_simple(st, JOB_QUEUED, 0, 0);
	store_close(st);
	st = open_ok(f->path);
	assert_int_equal(store_job_count(st, -1), 2);
	assert_int_equal(store_job_get(st, committed, &out, &err), 0);
	job_clear(&out);
	store_close(st);
}

/* Group commit: with batching on, writes join one transaction that others
 * see only at store_batch_commit; store_begin commits it first; close
 * commits what is left. */
static void test_batch_commit(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->path);
	struct aura_error err = { 0 };
	sqlite3 *raw = raw_open(f->path);
	store_set_batching(st, true);

	int64_t a = insert_simple(st, JOB_QUEUED, 0, 0);
	set_state(st, a, JOB_RUNNING);
	insert_simple(st, JOB_QUEUED, 0, 0);
	assert_false(store_in_transaction(st)); /* not an explicit one */
	assert_int_equal(raw_int(raw, "SELECT count(*) FROM jobs"), 0);
	struct job out;
	assert_int_equal(store_job_get(st, a, &out, &err), 0); /* we see our own */
	assert_int_equal(out.state, JOB_RUNNING);
	job_clear(&out);
	assert_int_equal(store_batch_commit(st, &err), 0);
	assert_int_equal(raw_int(raw, "SELECT count(*) FROM jobs"), 2);
	assert_int_equal(store_batch_commit(st, &err), 0); /* nothing open: nothing to do */

	/* an explicit transaction first commits the batch */
	insert_simple(st, JOB_QUEUED, 0, 0);
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(raw_int(raw, "SELECT count(*) FROM jobs"), 3);
	insert_simple(st, JOB_QUEUED, 0, 0);
	store_rollback(st);
	assert_int_equal(raw_int(raw, "SELECT count(*) FROM jobs"), 3);

	/* close commits an open batch */
	insert_simple(st, JOB_QUEUED, 0, 0);
	store_close(st);
	assert_int_equal(raw_int(raw, "SELECT count(*) FROM jobs"), 4);
	raw_close(raw);
}

/*
 * The write-behind journal: with batching on, a write the database cannot
 * take (another process holds the write lock) is neither lost nor waited
 * for. It returns at once, the store is "behind", reads show the saved
 * state only, commits fail until the lock goes, then one replays every
 * write (coalesced), and the store is writable again.
 */
static void test_journal_survives_a_held_lock(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->path);
	struct aura_error err = { 0 };
	int64_t a = insert_simple(st, JOB_RUNNING, 0, 0);
	int64_t b = insert_simple(st, JOB_QUEUED, 0, 0);
	int64_t c = insert_simple(st, JOB_FAILED, 0, 0);
	store_set_batching(st, true);

	sqlite3 *raw = raw_open(f->path);
	raw_exec(raw, "BEGIN IMMEDIATE");
	int64_t t0 = time_mono_ms();
	struct job j;
	assert_int_equal(store_job_get(st, a, &j, &err), 0);
	j.state = JOB_SUCCEEDED;
	j.progress = 0.5;
	assert_int_equal(store_job_update(st, &j, &err), 0); /* kept, not refused */
	assert_true(store_behind(st));
	j.progress = 1.0;
	assert_int_equal(store_job_update_progress(st, &j, &err), 0);
	job_clear(&j);
	char n_script[] = "script";
	struct stage sg = { n_script, 0, STAGE_DONE, 1.0, 1, 2 };
	assert_int_equal(store_stage_set(st, a, &sg, &err), 0);
	assert_int_equal(store_job_delete(st, c, &err), 0);
	assert_true(time_mono_ms() - t0 < 1000); /* no busy wait (2 s) happened */

	struct store_status ss;
	store_status(st, &ss);
	assert_true(ss.behind);
	assert_int_equal(ss.code, AURA_E_STORE_BUSY);
	assert_int_equal(ss.pending, 3); /* update+progress coalesced, stage, delete */
	int64_t *ids;
	assert_int_equal(store_pending_ids(st, &ids), 2);
	free(ids);

	/* reads show what is saved; nothing new can be inserted */
	assert_int_equal(store_job_get(st, a, &j, &err), 0);
	assert_int_equal(j.state, JOB_RUNNING);
	job_clear(&j);
	assert_int_equal(store_job_count(st, -1), 3);
	job_init(&j);
	assert_int_equal(store_job_insert(st, &j, &err), -AURA_E_STORE_BUSY);
	assert_int_equal(store_begin(st, &err), -AURA_E_STORE_BUSY);
	assert_int_equal(store_batch_commit(st, &err), -AURA_E_STORE_BUSY);
	assert_true(store_behind(st));

	raw_exec(raw, "ROLLBACK");
	assert_int_equal(store_batch_commit(st, &err), 0);
	assert_false(store_behind(st));
	store_status(st, &ss);
	assert_int_equal(ss.pending, 0);
	char *row = raw_text(raw, "SELECT state || ' ' || progress FROM jobs WHERE id = 1");
	assert_string_equal(row, "succeeded 1.0");
	free(row);
	assert_int_equal(raw_int(raw, "SELECT count(*) FROM jobs"), 2);
	assert_int_equal(raw_int(raw, "SELECT count(*) FROM stages WHERE state = 'done'"), 1);
	(void)b;

	/* a write of a deleted row is skipped at the replay, not fatal */
	raw_exec(raw, "BEGIN IMMEDIATE");
	assert_int_equal(store_job_get(st, b, &j, &err), 0);
	j.state = JOB_CANCELLED;
	assert_int_equal(store_job_update(st, &j, &err), 0);
	assert_int_equal(store_job_delete(st, b, &err), 0);
	j.state = JOB_QUEUED;
	assert_int_equal(store_job_update(st, &j, &err), 0);
	job_clear(&j);
	raw_exec(raw, "ROLLBACK");
	assert_int_equal(store_batch_commit(st, &err), 0);
	assert_int_equal(raw_int(raw, "SELECT count(*) FROM jobs"), 1);
	raw_close(raw);
	store_close(st);
}

/* --- idempotency keys ------------------------------------------------------------ */

static int64_t insert_keyed(struct store *st, const char *key, int want)
{
	struct job j;
	job_init(&j);
	j.kind = JOB_KIND_FFMPEG;
	j.state = JOB_QUEUED;
	j.key = key ? xstrdup(key) : NULL;
	struct aura_error err = { 0 };
	assert_int_equal(store_job_insert(st, &j, &err), want);
	int64_t id = j.id;
	job_clear(&j);
	return id;
}

static void test_key_twice_returns_the_existing_job(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->path);
	struct aura_error err = { 0 };

	int64_t a = insert_keyed(st, "k1", 0);
	assert_int_equal(insert_keyed(st, "k1", STORE_KEY_EXISTS), a);
	/* in the submit's explicit transaction too, with the job's update */
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(insert_keyed(st, "k1", STORE_KEY_EXISTS), a);
	assert_int_equal(store_commit(st, &err), 0);
	assert_int_equal(store_job_count(st, -1), 1);
	/* no id is used up by a key already taken */
	int64_t b = insert_keyed(st, "k2", 0);
	assert_int_equal(b, a + 1);
	assert_int_equal(insert_keyed(st, "K1", 0), b + 1); /* keys are exact */

	/* an update writes every field but the key */
	struct job j;
	assert_int_equal(store_job_get(st, a, &j, &err), 0);
	assert_string_equal(j.key, "k1");
	free(j.key);
	j.key = xstrdup("k2");
	j.state = JOB_FAILED;
	assert_int_equal(store_job_update(st, &j, &err), 0);
	job_clear(&j);
	assert_int_equal(store_job_get(st, a, &j, &err), 0);
	assert_string_equal(j.key, "k1");
	assert_int_equal(j.state, JOB_FAILED);
	job_clear(&j);

	/* a removed job frees its key */
	assert_int_equal(store_job_delete(st, a, &err), 0);
	int64_t c = insert_keyed(st, "k1", 0);
	assert_true(c > a);
	assert_int_equal(insert_keyed(st, "k1", STORE_KEY_EXISTS), c);
	store_close(st);
}

static void test_null_keys_never_collide(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->path);
	int64_t a = insert_keyed(st, NULL, 0);
	int64_t b = insert_keyed(st, NULL, 0);
	int64_t c = insert_keyed(st, NULL, 0);
	assert_true(a < b && b < c);
	assert_int_equal(store_job_count(st, -1), 3);
	struct job j;
	assert_int_equal(store_job_get(st, b, &j, NULL), 0);
	assert_null(j.key);
	job_clear(&j);
	store_close(st);

	sqlite3 *raw = raw_open(f->path);
	assert_int_equal(raw_int(raw, "SELECT count(*) FROM jobs WHERE idem_key IS NULL"), 3);
	/* the unique index itself refuses a second row with a key */
	raw_exec(raw, "INSERT INTO jobs (kind, state, idem_key) VALUES ('ffmpeg', 'queued', 'x')");
	assert_int_equal(sqlite3_exec(raw,
				      "INSERT INTO jobs (kind, state, idem_key)"
				      " VALUES ('ffmpeg', 'queued', 'x')",
				      NULL, NULL, NULL),
			 SQLITE_CONSTRAINT);
	char *plan = raw_plan(raw, "SELECT id FROM jobs WHERE idem_key = 'x'");
	assert_non_null(strstr(plan, "jobs_by_key"));
	free(plan);
	raw_close(raw);
}

/* A store of schema version 1 (before keys) migrates to 2 and keeps its
 * rows, which have no key; keys work at once. */
static void test_migrate_1_to_current_keeps_rows(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	struct aura_error err = { 0 };
	assert_int_equal(store_open_at_version(f->path, 1, &st, &err), 0);
	assert_int_equal(store_schema_version(st), 1);
	store_close(st);
	sqlite3 *raw = raw_open(f->path);
	raw_exec(raw,
		 "INSERT INTO jobs (kind, name, state, priority)"
		 " VALUES ('video', 'old one', 'succeeded', 4);"
		 "INSERT INTO jobs (kind, name, state) VALUES ('ffmpeg', 'old two', 'queued');"
		 "INSERT INTO stages (job_id, name, seq, state) VALUES (1, 'voice', 1, 'done')");
	assert_int_equal(sqlite3_exec(raw, "SELECT idem_key FROM jobs", NULL, NULL, NULL),
			 SQLITE_ERROR);
	raw_close(raw);

	st = open_ok(f->path);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	struct job j;
	assert_int_equal(store_job_get(st, 1, &j, &err), 0);
	assert_string_equal(j.name, "old one");
	assert_int_equal(j.state, JOB_SUCCEEDED);
	assert_int_equal(j.priority, 4);
	assert_null(j.key);
	/* schema 3: an old job runs in the local pool, in no batch */
	assert_string_equal(j.pool, "local");
	assert_int_equal(j.batch_id, 0);
	assert_null(j.cluster_id);
	assert_null(j.substate);
	job_clear(&j);
	assert_int_equal(store_job_count(st, -1), 2);
	struct stage *sg;
	int n;
	assert_int_equal(store_stage_list(st, 1, &sg, &n, &err), 0);
	assert_int_equal(n, 1);
	stage_list_free(sg, n);
	int64_t k = insert_keyed(st, "new", 0);
	assert_int_equal(k, 3);
	assert_int_equal(insert_keyed(st, "new", STORE_KEY_EXISTS), 3);
	store_close(st);

	raw = raw_open(f->path);
	assert_int_equal(raw_int(raw, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(
	    raw_int(raw, "SELECT count(*) FROM sqlite_master WHERE name = 'jobs_by_key'"), 1);
	assert_int_equal(raw_int(raw, "SELECT count(*) FROM sqlite_master WHERE name IN"
				      " ('jobs_sched_pool', 'jobs_by_batch', 'batches')"),
			 3);
	raw_close(raw);
	assert_int_equal(store_integrity_check(st = open_ok(f->path), &err), 0);
	store_close(st);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_roundtrip_every_field),
		T(test_batch_commit),
		T(test_journal_survives_a_held_lock),
		T(test_every_state_and_kind_fits_the_schema),
		T(test_nan_is_not_stored_as_null),
		T(test_update_writes_every_field),
		T(test_progress_update_touches_only_progress),
		T(test_delete_cascades_to_stages),
		T(test_list_order_filter_paging_count),
		T(test_list_sorted),
		T(test_list_100000_rows),
		T(test_next_job_selection),
		T(test_next_job_in_pool),
		T(test_stages_upsert_and_list),
		cmocka_unit_test(test_stage_state_names),
		T(test_reopen_keeps_data),
		T(test_wal_and_schema),
		T(test_migrate_from_empty_file),
		T(test_migrate_from_version_0),
		T(test_migrate_forward_keeps_data),
		T(test_failed_step_rolls_back_and_resumes),
		T(test_newer_schema_is_refused_untouched),
		T(test_not_a_database_is_refused_untouched),
		T(test_damaged_tree_fails_quick_check),
		T(test_integrity_check_finds_orphan_stages),
		T(test_integrity_check_finds_index_damage),
		T(test_unopenable_path),
		T(test_locked_write_gets_busy),
		T(test_rollback_discards),
		T(test_key_twice_returns_the_existing_job),
		T(test_null_keys_never_collide),
		T(test_migrate_1_to_current_keeps_rows),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
