/*
 * test-errors.c -- the catalogue: every code has text, names round-trip,
 * exit statuses are in the documented set, every code's number is pinned,
 * set/clear behave.
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
			assert_true((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
				    *p == '_');
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

/* Every code's number, written once from errors.def's order (as curl never
 * renumbers a CURLcode): inserting a code in the middle, removing one or
 * swapping two fails here. A new code goes at the end of errors.def and gets
 * its line at the end of this list. */
/* clang-format off */
#define PIN(name, n) {AURA_E_##name, #name, n}
/* clang-format on */
static const struct {
	int code;
	const char *name;
	int number;
} pinned[] = {
	PIN(INTERNAL, 1),
	PIN(USAGE, 2),
	PIN(CONFIG_UNREADABLE, 3),
	PIN(CONFIG_SYNTAX, 4),
	PIN(CONFIG_UNKNOWN_KEY, 5),
	PIN(CONFIG_BAD_VALUE, 6),
	PIN(CONFIG_INSECURE, 7),
	PIN(DATA_DIR, 8),
	PIN(PATH_TOO_LONG, 9),
	PIN(STORE_OPEN, 10),
	PIN(STORE_CORRUPT, 11),
	PIN(STORE_TOO_NEW, 12),
	PIN(STORE_BUSY, 13),
	PIN(STORE_IO, 14),
	PIN(FFMPEG_NOT_FOUND, 15),
	PIN(FFPROBE_NOT_FOUND, 16),
	PIN(FFMPEG_MISSING_FILTER, 17),
	PIN(FFMPEG_MISSING_ENCODER, 18),
	PIN(FONT_NOT_FOUND, 19),
	PIN(DISK_LOW, 20),
	PIN(DISK_FULL, 21),
	PIN(SERVER_UNREACHABLE, 22),
	PIN(SERVER_RUNNING, 23),
	PIN(SERVER_SHUTTING_DOWN, 24),
	PIN(PROTO_BAD_REQUEST, 25),
	PIN(PROTO_TOO_LARGE, 26),
	PIN(PEER_REFUSED, 27),
	PIN(JOB_NOT_FOUND, 28),
	PIN(JOB_BAD_STATE, 29),
	PIN(JOB_CANCELLED, 30),
	PIN(JOB_STALLED, 31),
	PIN(JOB_TIMEOUT, 32),
	PIN(JOB_INTERRUPTED, 33),
	PIN(SPAWN_FAILED, 34),
	PIN(FFMPEG_FAILED, 35),
	PIN(FFMPEG_UNKNOWN_ENCODER, 36),
	PIN(FFMPEG_INPUT_NOT_FOUND, 37),
	PIN(FFMPEG_PERMISSION, 38),
	PIN(FFMPEG_INVALID_DATA, 39),
	PIN(FFMPEG_BAD_ARGS, 40),
	PIN(FFMPEG_KILLED, 41),
	PIN(OUTPUT_EXISTS, 42),
	PIN(OUTPUT_UNWRITABLE, 43),
	PIN(INPUT_UNREADABLE, 44),
	PIN(TOPIC_INVALID, 45),
	PIN(SCRIPT_INVALID, 46),
	PIN(PROVIDER_AUTH, 47),
	PIN(PROVIDER_RATE_LIMITED, 48),
	PIN(PROVIDER_TIMEOUT, 49),
	PIN(PROVIDER_UNAVAILABLE, 50),
	PIN(PROVIDER_BAD_RESPONSE, 51),
	PIN(PROVIDER_CIRCUIT_OPEN, 52),
	PIN(PROVIDER_NOT_CONFIGURED, 53),
	PIN(DURATION_INVALID, 54),
	PIN(PRESET_UNKNOWN, 55),
	PIN(VOICE_UNKNOWN, 56),
	PIN(VOICE_UNAVAILABLE, 57),
	PIN(VOICE_FAILED, 58),
	PIN(VOICE_SILENT, 59),
	PIN(IMAGE_UNUSABLE, 60),
	PIN(VERIFY_FAILED, 61),
	PIN(PARAM_TOO_LONG, 62),
	PIN(SERVER_CRASHED_DURING_JOB, 63),
	PIN(STORE_EMPTY, 64),
	PIN(FFMPEG_NO_OUTPUT, 65),
	PIN(CONFIG_EXISTS, 66),
	PIN(PARAM_KEY_INVALID, 67),
	PIN(JOB_KEY_EXISTS, 68),
	PIN(POOL_UNKNOWN, 69),
	PIN(SLURM_NOT_FOUND, 70),
	PIN(SLURM_PARTITION_UNKNOWN, 71),
	PIN(SLURM_NOT_SHARED, 72),
	PIN(SLURM_PROBE_FAILED, 73),
	PIN(BATCH_NOT_FOUND, 74),
	PIN(BATCH_FILE_INVALID, 75),
	PIN(SLURM_REJECTED, 76),
	PIN(SLURM_NODE_FAILURE, 77),
	PIN(SLURM_TIME_LIMIT, 78),
	PIN(SLURM_STDOUT, 79),
	PIN(TERMINAL_UNSUPPORTED, 80),
	PIN(CONFIG_CHANGED, 81),
	PIN(KEY_ENV_UNSET, 82),
	PIN(DEPENDENCY_FAILED, 83),
	PIN(LANG_INVALID, 84),
	PIN(STYLE_UNKNOWN, 85),
	PIN(HOST_INVALID, 86),
	PIN(REMOTE_UNSUPPORTED, 87),
	PIN(JOB_PRUNED, 88),
	PIN(REMOTE_PATH_RELATIVE, 89),
};
#undef PIN

static void test_stable_numbers(void **state)
{
	(void)state;
	size_t n = sizeof(pinned) / sizeof(pinned[0]);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(pinned[i].code, pinned[i].number);
		assert_string_equal(aura_error_name(pinned[i].number), pinned[i].name);
		assert_int_equal(aura_error_lookup(pinned[i].name), pinned[i].number);
	}
	/* every code is pinned: one added at the end needs its line above */
	assert_int_equal(AURA_E__COUNT, (int)n + 1);
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
