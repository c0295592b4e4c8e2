/*
 * sandbox.h -- the unit tests' private data directory: a fresh
 * /tmp/aura-NAME-XXXXXX holding DIR/data, resolved into paths and made,
 * and (when st is not NULL) its store opened. Returns DIR (free it; rm_tree
 * it in the teardown). Include after <cmocka.h>.
 */
#ifndef AURA_TEST_SANDBOX_H
#define AURA_TEST_SANDBOX_H

#include <stdlib.h>

#include "base/paths.h"
#include "base/util.h"
#include "store/store.h"

static inline char *sandbox_new(const char *name, struct aura_paths *paths, struct store **st)
{
	char *dir = xasprintf("/tmp/aura-%s-XXXXXX", name);
	assert_non_null(mkdtemp(dir));
	char *data = xasprintf("%s/data", dir);
	struct aura_error err = { 0 };
	assert_int_equal(paths_resolve_data(paths, data, NULL, &err), 0);
	free(data);
	assert_int_equal(paths_ensure(paths, &err), 0);
	if (st)
		assert_int_equal(store_open(paths->db_file, st, &err), 0);
	return dir;
}

#endif
