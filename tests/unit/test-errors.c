/*
 * test-errors.c -- the catalogue: every code has text, names round-trip,
 * exit statuses are in the documented set, set/clear behave.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/errors.h"

static void test_every_code_is_complete(void **state)
{
	(void)state;
	for (int i = 1; i < AURA_E__COUNT; i++) {
		const char *name = aura_error_name(i);
		assert_non_null(name);
		assert_true(strlen(name) > 2);
		for (const char *p = name; *p; p++)
			assert_true((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_');
		assert_true(strlen(aura_error_message(i)) > 5);
		assert_true(strlen(aura_error_hint(i)) > 5);
		assert_true(strlen(aura_error_description(i)) > 5);
		int e = aura_error_exit(i);
		assert_true(e >= 1 && e <= 5);
		/* one line each: messages and hints never carry newlines */
		assert_null(strchr(aura_error_message(i), '\n'));
		assert_null(strchr(aura_error_hint(i), '\n'));
	}
}

static void test_names_are_unique_and_round_trip(void **state)
{
	(void)state;
	for (int i = 1; i < AURA_E__COUNT; i++) {
		assert_int_equal(aura_error_lookup(aura_error_name(i)), i);
		for (int j = i + 1; j < AURA_E__COUNT; j++)
			assert_string_not_equal(aura_error_name(i), aura_error_name(j));
	}
	assert_int_equal(aura_error_lookup("ffmpeg_not_found"), AURA_E_FFMPEG_NOT_FOUND);
	assert_int_equal(aura_error_lookup("NO_SUCH_CODE"), 0);
}

static void test_stable_numbers(void **state)
{
	(void)state;
	/* Codes are never renumbered: the first ones are pinned. */
	assert_int_equal(AURA_E_INTERNAL, 1);
	assert_int_equal(AURA_E_USAGE, 2);
	assert_int_equal(AURA_E_CONFIG_UNREADABLE, 3);
}

static void test_documented_exit_classes(void **state)
{
	(void)state;
	assert_int_equal(aura_error_exit(AURA_E_USAGE), 2);
	assert_int_equal(aura_error_exit(AURA_E_CONFIG_BAD_VALUE), 3);
	assert_int_equal(aura_error_exit(AURA_E_SERVER_UNREACHABLE), 4);
	assert_int_equal(aura_error_exit(AURA_E_INTERNAL), 5);
	assert_int_equal(aura_error_exit(AURA_E_JOB_CANCELLED), 1);
	assert_true(aura_error_transient(AURA_E_JOB_STALLED));
	assert_false(aura_error_transient(AURA_E_CONFIG_SYNTAX));
}

static void test_set_and_clear(void **state)
{
	(void)state;
	struct aura_error err;
	assert_int_equal(aura_error_set(&err, AURA_E_DISK_FULL, "at %s", "/x"), -AURA_E_DISK_FULL);
	assert_int_equal(err.code, AURA_E_DISK_FULL);
	assert_string_equal(err.detail, "at /x");
	/* negative codes are accepted too, and NULL err is allowed */
	assert_int_equal(aura_error_set(&err, -AURA_E_USAGE, NULL), -AURA_E_USAGE);
	assert_int_equal(err.code, AURA_E_USAGE);
	assert_string_equal(err.detail, "");
	assert_int_equal(aura_error_set(NULL, AURA_E_USAGE, "x"), -AURA_E_USAGE);
	aura_error_clear(&err);
	assert_int_equal(err.code, 0);
	/* out-of-range codes fall back to INTERNAL rather than crash */
	assert_string_equal(aura_error_name(100000), "INTERNAL");
	assert_string_equal(aura_error_name(-AURA_E_DISK_FULL), "DISK_FULL");
}

static void test_detail_is_bounded(void **state)
{
	(void)state;
	struct aura_error err;
	char big[4096];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	aura_error_set(&err, AURA_E_INTERNAL, "%s", big);
	assert_int_equal(strlen(err.detail), sizeof(err.detail) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_code_is_complete),
		cmocka_unit_test(test_names_are_unique_and_round_trip),
		cmocka_unit_test(test_stable_numbers),
		cmocka_unit_test(test_documented_exit_classes),
		cmocka_unit_test(test_set_and_clear),
		cmocka_unit_test(test_detail_is_bounded),
	};
	return cmocka_run_group_tests_name("errors", tests, NULL, NULL);
}
