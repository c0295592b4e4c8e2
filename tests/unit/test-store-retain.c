/*
 * test-store-retain.c -- schema 5 and what retention asks of the store
 * (src/store/retain.c, doc/retention.md): a store of schema 4 migrates
 * with its rows and turns auto_vacuum on; the jobs due by age and by
 * count, never a queued, running or paused one, nor one pruned already;
 * the oldest unpruned; the records past keep_records; the idle upkeep
 * hands free pages back in slices and empties the -wal file; and
 * treerm (src/base/treerm.c) removes a tree in slices without following
 * a link or removing the kept file.
 */
#include "config.h"

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
#include "base/treerm.h"
#include "base/util.h"

#define STORE_FX_PREFIX "aura-retain"
#include "store-fixture.h"

static int64_t raw_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static int64_t add(struct store *st, enum job_state state, int64_t finished_ms)
{
	struct job j;
	job_init(&j);
	j.kind = JOB_KIND_FFMPEG;
	j.state = state;
	j.finished_ms = finished_ms;
	assert_int_equal(store_job_insert(st, &j, NULL), 0);
	int64_t id = j.id;
	job_clear(&j);
	return id;
}

static void test_migrate_4_to_5(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	struct aura_error err = { 0 };
	/* a file an older aura made: auto_vacuum off, schema 4, a row */
	path_exec(f->path, "PRAGMA auto_vacuum = NONE; CREATE TABLE t (x); DROP TABLE t");
	assert_int_equal(raw_int(f->path, "PRAGMA auto_vacuum"), 0);
	assert_int_equal(store_open_at_version(f->path, 4, &st, &err), 0);
	store_close(st);
	path_exec(f->path, "INSERT INTO jobs (kind, name, state, finished_ms) VALUES"
			   " ('ffmpeg', 'old', 'succeeded', 5)");
	st = open_ok(f->path);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	struct job j;
	assert_int_equal(store_job_get(st, 1, &j, &err), 0);
	assert_string_equal(j.name, "old");
	assert_int_equal(j.pruned_ms, 0);
	j.pruned_ms = 1234;
	assert_int_equal(store_job_update(st, &j, &err), 0);
	job_clear(&j);
	assert_int_equal(store_job_get(st, 1, &j, &err), 0);
	assert_int_equal(j.pruned_ms, 1234);
	job_clear(&j);
	store_close(st);
	assert_int_equal(raw_int(f->path, "PRAGMA auto_vacuum"), 2); /* incremental */
}

static void test_due_by_count_and_age(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->path);
	int64_t s1 = add(st, JOB_SUCCEEDED, 100);
	int64_t f2 = add(st, JOB_FAILED, 200);
	int64_t c3 = add(st, JOB_CANCELLED, 300);
	int64_t s4 = add(st, JOB_SUCCEEDED, 400);
	/* never these, however old their finished_ms */
	add(st, JOB_QUEUED, 1);
	add(st, JOB_RUNNING, 2);
	add(st, JOB_PAUSED, 3);
	int64_t ids[16];
	size_t n;
	assert_int_equal(store_retain_due(st, 0, 0, ids, 16, &n, NULL), 0);
	assert_int_equal(n, 0); /* no rule: nothing */
	assert_int_equal(store_retain_due(st, 0, 2, ids, 16, &n, NULL), 0);
	assert_int_equal(n, 2); /* the newest two finished stay */
	assert_int_equal(ids[0], s1);
	assert_int_equal(ids[1], f2);
	assert_int_equal(store_retain_due(st, 300, 0, ids, 16, &n, NULL), 0);
	assert_int_equal(n, 3); /* finished at or before 300 */
	assert_int_equal(ids[2], c3);
	assert_int_equal(store_retain_due(st, 100, 2, ids, 16, &n, NULL), 0);
	assert_int_equal(n, 2); /* the later of the two cuts */
	assert_int_equal(store_retain_due(st, 0, 2, ids, 1, &n, NULL), 0);
	assert_int_equal(n, 1); /* at most max */
	assert_int_equal(store_retain_due(st, 0, 10, ids, 16, &n, NULL), 0);
	assert_int_equal(n, 0);

	int64_t oldest = 0;
	assert_int_equal(store_retain_oldest(st, &oldest, NULL), 1);
	assert_int_equal(oldest, 100);
	struct job j;
	assert_int_equal(store_job_get(st, s1, &j, NULL), 0);
	j.pruned_ms = 999;
	assert_int_equal(store_job_update(st, &j, NULL), 0);
	job_clear(&j);
	assert_int_equal(store_retain_oldest(st, &oldest, NULL), 1);
	assert_int_equal(oldest, 200); /* a pruned job no longer counts */
	assert_int_equal(store_retain_due(st, 0, 2, ids, 16, &n, NULL), 0);
	assert_int_equal(n, 1); /* ... nor is it due again, but it still counts as kept */
	assert_int_equal(ids[0], f2);

	/* records: past the newest keep, pruned or not */
	assert_int_equal(store_retain_records(st, 0, ids, 16, &n, NULL), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_retain_records(st, 3, ids, 16, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], s1);
	assert_int_equal(store_retain_records(st, 1, ids, 16, &n, NULL), 0);
	assert_int_equal(n, 3);
	assert_int_equal(ids[2], c3);
	(void)s4;
	store_close(st);
}

static void test_upkeep_in_slices(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->path);
	store_set_batching(st, true);
	char *big = xcalloc(1, 8000);
	memset(big, 'x', 7999);
	assert_int_equal(store_begin(st, NULL), 0);
	for (int i = 0; i < 400; i++) {
		struct job j;
		job_init(&j);
		j.kind = JOB_KIND_FFMPEG;
		j.state = JOB_SUCCEEDED;
		j.stderr_tail = xstrdup(big);
		assert_int_equal(store_job_insert(st, &j, NULL), 0);
		job_clear(&j);
	}
	assert_int_equal(store_commit(st, NULL), 0);
	free(big);
	uint64_t c0 = store_change_count(st);
	for (int64_t id = 1; id <= 400; id++)
		assert_int_equal(store_job_delete(st, id, NULL), 0);
	assert_true(store_change_count(st) > c0);
	assert_int_equal(store_batch_commit(st, NULL), 0);
	assert_true(raw_int(f->path, "PRAGMA freelist_count") > 200);
	char *wal = xasprintf("%s-wal", f->path);
	struct stat sb;
	assert_int_equal(stat(wal, &sb), 0);
	assert_true(sb.st_size > 0);

	struct store_upkeep_info info;
	int slices = 0, more;
	while ((more = store_upkeep(st, 64, true, &info)) == 1) {
		assert_true(info.freed > 0 && info.freed <= 64);
		slices++;
	}
	assert_int_equal(more, 0);
	assert_true(slices >= 3); /* 64 pages a slice, never all at once */
	assert_true(info.checkpointed);
	assert_true(info.optimized);
	assert_int_equal(raw_int(f->path, "PRAGMA freelist_count"), 0);
	assert_int_equal(stat(wal, &sb), 0);
	assert_int_equal(sb.st_size, 0);
	free(wal);
	store_close(st);
}

static void put(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void test_treerm_slices(void **state)
{
	struct fx *f = *state;
	char *root = xasprintf("%s/jobs/7", f->dir);
	char *outside = xasprintf("%s/outside", f->dir);
	assert_int_equal(mkdir_p(root, 0700), 0);
	assert_int_equal(mkdir_p(outside, 0700), 0);
	char *precious = xasprintf("%s/precious", outside);
	put(precious, "keep me");
	char *p = xasprintf("%s/a/b/c", root);
	assert_int_equal(mkdir_p(p, 0700), 0);
	free(p);
	for (int i = 0; i < 50; i++) {
		p = xasprintf("%s/a/b/c/f%d", root, i);
		put(p, "x");
		free(p);
	}
	char *keep = xasprintf("%s/a/out.mkv", root);
	put(keep, "the output");
	p = xasprintf("%s/link", root);
	assert_int_equal(symlink(precious, p), 0);
	free(p);
	p = xasprintf("%s/linkdir", root);
	assert_int_equal(symlink(outside, p), 0);
	free(p);

	struct treerm t;
	treerm_start(&t, root, keep);
	int steps = 0;
	while (!treerm_step(&t, 8))
		steps++;
	assert_true(steps >= 6); /* 50+ entries, 8 a step */
	treerm_end(&t);
	struct stat sb;
	assert_int_equal(stat(keep, &sb), 0);	  /* the kept file and its folders stay */
	assert_int_equal(stat(precious, &sb), 0); /* a link's target is never touched */
	p = xasprintf("%s/a/b", root);
	assert_int_not_equal(stat(p, &sb), 0); /* everything else is gone */
	free(p);
	p = xasprintf("%s/link", root);
	assert_int_not_equal(lstat(p, &sb), 0);
	free(p);

	/* without the kept file: the whole tree; a missing one: done at once */
	treerm_start(&t, root, NULL);
	while (!treerm_step(&t, 1))
		;
	treerm_end(&t);
	assert_int_not_equal(stat(root, &sb), 0);
	treerm_start(&t, root, NULL);
	assert_true(treerm_done(&t));
	assert_true(treerm_step(&t, 1));
	treerm_end(&t);
	/* a link as the root is not followed */
	assert_int_equal(symlink(outside, root), 0);
	treerm_start(&t, root, NULL);
	assert_true(treerm_step(&t, 100));
	treerm_end(&t);
	assert_int_equal(stat(precious, &sb), 0);
	free(keep);
	free(precious);
	free(outside);
	free(root);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_migrate_4_to_5),
		T(test_due_by_count_and_age),
		T(test_upkeep_in_slices),
		T(test_treerm_slices),
	};
	return cmocka_run_group_tests_name("store-retain", tests, NULL, NULL);
}
