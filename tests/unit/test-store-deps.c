/*
 * test-store-deps.c -- schema 4 (src/store/deps.c, pools.c): a store of
 * schema 3 with rows migrates and keeps them; dependencies are saved with
 * their job and read back with each one's state (a removed one as -1);
 * store_job_next_in skips a job while a dependency may still succeed and
 * keeps its index (EXPLAIN QUERY PLAN); hooks; the pool controls.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/store.h"
#include "base/util.h"

#define STORE_FX_PREFIX "aura-deps"
#include "store-fixture.h"

static char *raw_plan(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	char *q = xasprintf("EXPLAIN QUERY PLAN %s", sql);
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, q, -1, &s, NULL), SQLITE_OK);
	struct buf b;
	buf_init(&b);
	while (sqlite3_step(s) == SQLITE_ROW)
		buf_printf(&b, "%s\n", (const char *)sqlite3_column_text(s, 3));
	sqlite3_finalize(s);
	sqlite3_close(db);
	free(q);
	return b.data;
}

static int64_t insert(struct store *st, enum job_state state, const int64_t *after, size_t n)
{
	struct job j;
	job_init(&j);
	j.kind = JOB_KIND_FFMPEG;
	j.state = state;
	j.name = xstrdup("j");
	struct aura_error err = { 0 };
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_job_insert(st, &j, &err), 0);
	assert_int_equal(store_deps_add(st, j.id, after, n, &err), 0);
	assert_int_equal(store_commit(st, &err), 0);
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

/* the next job of pool local: its id, or 0 */
static int64_t next(struct store *st)
{
	struct job j;
	int rc = store_job_next_in(st, time_now_ms(), "local", &j, NULL);
	assert_true(rc == 0 || rc == 1);
	int64_t id = rc == 0 ? j.id : 0;
	job_clear(&j);
	return id;
}

static void test_migrate_3_to_4_keeps_rows(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	struct aura_error err = { 0 };
	assert_int_equal(store_open_at_version(f->path, 3, &st, &err), 0);
	assert_int_equal(store_schema_version(st), 3);
	store_close(st);
	path_exec(f->path, "INSERT INTO jobs (kind, name, state, pool) VALUES"
			   " ('ffmpeg', 'old', 'succeeded', 'local'),"
			   " ('video', 'older', 'queued', 'farm');"
			   "INSERT INTO batches (name) VALUES ('b')");
	st = open_ok(f->path);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	assert_true(STORE_SCHEMA_VERSION >= 4);
	struct job j;
	assert_int_equal(store_job_get(st, 2, &j, &err), 0);
	assert_string_equal(j.name, "older");
	assert_string_equal(j.pool, "farm");
	job_clear(&j);
	struct store_dep *d;
	size_t n;
	assert_int_equal(store_deps_of(st, 2, &d, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_null(d);
	struct store_pool_ctl *c;
	assert_int_equal(store_pool_ctl_list(st, &c, &n, &err), 0);
	assert_int_equal(n, 0);
	/* a new job may run after an old one */
	int64_t after = 1;
	int64_t id = insert(st, JOB_QUEUED, &after, 1);
	assert_int_equal(next(st), id);
	assert_int_equal(store_integrity_check(st, &err), 0);
	store_close(st);
}

static void test_deps_block_and_release(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->path);
	int64_t a = insert(st, JOB_RUNNING, NULL, 0);
	int64_t b = insert(st, JOB_QUEUED, NULL, 0);
	int64_t ab[2] = { a, b };
	int64_t c = insert(st, JOB_QUEUED, ab, 2);
	set_state(st, b, JOB_RUNNING);
	assert_int_equal(next(st), 0); /* c waits for a and b */
	struct store_dep *d;
	size_t n;
	assert_int_equal(store_deps_of(st, c, &d, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_int_equal(d[0].id, a);
	assert_int_equal(d[0].state, JOB_RUNNING);
	free(d);
	int64_t *ids;
	assert_int_equal(store_deps_waiting_on(st, a, &ids, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], c);
	free(ids);
	set_state(st, a, JOB_SUCCEEDED);
	assert_int_equal(next(st), 0);
	set_state(st, b, JOB_SUCCEEDED);
	assert_int_equal(next(st), c);
	/* one that failed lets it be read (the scheduler then fails it) */
	set_state(st, b, JOB_FAILED);
	assert_int_equal(next(st), c);
	/* a removed one: state -1 */
	assert_int_equal(store_job_delete(st, a, NULL), 0);
	assert_int_equal(store_deps_of(st, c, &d, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_int_equal(d[0].state, -1);
	free(d);
	/* deleting the dependent deletes its rows */
	assert_int_equal(store_job_delete(st, c, NULL), 0);
	assert_int_equal(store_deps_of(st, c, &d, &n, NULL), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_job_exists(st, c, NULL), 0);
	assert_int_equal(store_job_exists(st, b, NULL), 1);
	store_close(st);

	char *plan =
	    raw_plan(f->path, "SELECT id FROM jobs INDEXED BY jobs_sched_pool"
			      " WHERE state = 'queued' AND pool = 'local' AND not_before_ms <= 1"
			      " AND NOT EXISTS (SELECT 1 FROM job_deps d JOIN jobs a"
			      " ON a.id = d.after WHERE d.job = jobs.id"
			      " AND a.state IN ('queued', 'running', 'paused'))"
			      " ORDER BY priority DESC, id ASC LIMIT 1");
	assert_non_null(strstr(plan, "USING INDEX jobs_sched_pool"));
	assert_non_null(strstr(plan, "SEARCH d USING PRIMARY KEY"));
	assert_null(strstr(plan, "SCAN"));
	assert_null(strstr(plan, "TEMP B-TREE"));
	free(plan);
	plan = raw_plan(f->path, "SELECT d.job FROM job_deps d INDEXED BY job_deps_by_after"
				 " JOIN jobs j ON j.id = d.job WHERE d.after = 1"
				 " AND j.state = 'queued' ORDER BY d.job");
	assert_non_null(strstr(plan, "job_deps_by_after"));
	assert_null(strstr(plan, "SCAN"));
	free(plan);
}

static void test_hooks_and_pool_ctl(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->path);
	int64_t a = insert(st, JOB_QUEUED, NULL, 0);
	char *cmd;
	assert_int_equal(store_hook_get(st, a, &cmd, NULL), 0);
	assert_null(cmd);
	assert_int_equal(store_begin(st, NULL), 0);
	assert_int_equal(store_hook_set(st, a, "notify-send done", NULL), 0);
	assert_int_equal(store_commit(st, NULL), 0);
	assert_int_equal(store_hook_get(st, a, &cmd, NULL), 0);
	assert_string_equal(cmd, "notify-send done");
	free(cmd);
	assert_int_equal(store_pool_queued(st, "local"), 1);

	struct store_pool_ctl set = { (char *)"one", 5, true };
	assert_int_equal(store_pool_ctl_set(st, &set, NULL), 0);
	set = (struct store_pool_ctl){ (char *)"two", 0, true };
	assert_int_equal(store_pool_ctl_set(st, &set, NULL), 0);
	store_close(st);
	st = open_ok(f->path);
	struct store_pool_ctl *c;
	size_t n;
	assert_int_equal(store_pool_ctl_list(st, &c, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_string_equal(c[0].name, "one");
	assert_int_equal(c[0].max_jobs, 5);
	assert_true(c[0].paused);
	assert_int_equal(c[1].max_jobs, 0);
	store_pool_ctl_free(c, n);
	/* back to aura.ini's, not paused: the row goes */
	set = (struct store_pool_ctl){ (char *)"one", 0, false };
	assert_int_equal(store_pool_ctl_set(st, &set, NULL), 0);
	assert_int_equal(store_pool_ctl_list(st, &c, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_string_equal(c[0].name, "two");
	store_pool_ctl_free(c, n);
	store_close(st);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_migrate_3_to_4_keeps_rows),
		T(test_deps_block_and_release),
		T(test_hooks_and_pool_ctl),
	};
	return cmocka_run_group_tests_name("store-deps", tests, NULL, NULL);
}
