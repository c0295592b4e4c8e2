/*
 * store-fixture.h -- what the store's unit tests share: a private
 * directory with the store's path in it per test (STORE_FX_PREFIX names
 * it), removed afterwards, a store opened there or the test fails, and
 * SQL run on the file behind the store's back (path_exec).
 * Define STORE_FX_PREFIX, then include after <cmocka.h>.
 */
#ifndef AURA_TEST_STORE_FIXTURE_H
#define AURA_TEST_STORE_FIXTURE_H

#include <stdlib.h>

#include <sqlite3.h>

#include "base/util.h"
#include "store/store.h"

struct fx {
	char *dir;
	char *path;
};

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct fx *f = xcalloc(1, sizeof(*f));
	f->dir = xasprintf("%s/" STORE_FX_PREFIX "-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir))
		return -1;
	f->path = xasprintf("%s/aura.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	rm_tree(f->dir);
	free(f->path);
	free(f->dir);
	free(f);
	return 0;
}

static struct store *open_ok(const char *path)
{
	struct store *st = NULL;
	struct aura_error err = { 0 };
	int rc = store_open(path, &st, &err);
	if (rc)
		fail_msg("store_open: %s: %s", aura_error_name(rc), err.detail);
	assert_non_null(st);
	return st;
}

/* Run sql on the file at path with a connection of its own, or fail. */
static inline void path_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

#endif
