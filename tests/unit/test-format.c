/*
 * test-format.c -- what both front ends show the same way (client/format.c):
 * the display width `aura ls` and the TUI measure text with (wide CJK and
 * emoji, zero-width marks, controls as the '?' they are shown as, invalid
 * bytes one column each), in the C locale (the built-in table) and in a
 * UTF-8 one (wcwidth); and the human formats.
 */
#include "config.h"

#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/job.h"
#include "client/format.h"

/* What every locale agrees on: these code points have the same width in
 * the built-in table and in glibc's wcwidth(). */
static void check_widths(void)
{
	assert_int_equal(fmt_text_width(NULL), 0);
	assert_int_equal(fmt_text_width(""), 0);
	assert_int_equal(fmt_text_width("plain"), 5);
	assert_int_equal(fmt_text_width("漢字テスト"), 10);	      /* five wide */
	assert_int_equal(fmt_text_width("\xF0\x9F\x8E\xAC clip"), 7); /* U+1F3AC, wide */
	assert_int_equal(fmt_text_width("cafe\xCC\x81"), 4);	      /* e + U+0301 */
	assert_int_equal(fmt_text_width("\xEF\xBC\xA1"), 2);	      /* U+FF21 fullwidth A */
	/* controls: one '?' each (a tab one space), as the sanitiser shows them */
	assert_int_equal(fmt_text_width("a\tb"), 3);
	assert_int_equal(fmt_text_width("\x1B[31mred"), 8);
	assert_int_equal(fmt_text_width("\x7F"), 1);
	assert_int_equal(fmt_text_width("\xC2\x9B\x32J"), 3); /* C1 CSI, "2J" */
	/* invalid bytes: one column each */
	assert_int_equal(fmt_text_width("\xFF\xFE"), 2);
	assert_int_equal(fmt_text_width("x\xE6\xBC"), 3); /* truncated sequence */
	assert_int_equal(fmt_text_width("\xC0\xAF"), 2);  /* overlong '/' */
	assert_int_equal(fmt_cp_width(0x6F22), 2);
	assert_int_equal(fmt_cp_width(0x0301), 0);
	assert_int_equal(fmt_cp_width('\n'), 1);
}

static void test_width_c_locale(void **state)
{
	(void)state;
	assert_non_null(setlocale(LC_ALL, "C"));
	check_widths();
}

static void test_width_utf8_locale(void **state)
{
	(void)state;
	if (!setlocale(LC_ALL, "C.UTF-8") && !setlocale(LC_ALL, "en_US.UTF-8"))
		skip();
	check_widths();
	setlocale(LC_ALL, "C");
}

static void test_formats(void **state)
{
	(void)state;
	char b[64];
	assert_string_equal(fmt_duration(b, sizeof(b), 65), "1:05");
	assert_string_equal(fmt_duration(b, sizeof(b), 3723), "1:02:03");
	assert_string_equal(fmt_duration(b, sizeof(b), -1), "-");
	assert_string_equal(fmt_size(b, sizeof(b), 512), "512 B");
	assert_string_equal(fmt_size(b, sizeof(b), 1258291), "1.2 MiB");
	assert_string_equal(fmt_age(b, sizeof(b), 0), "-");
	assert_string_equal(fmt_time(b, sizeof(b), 0), "-");

	struct job j;
	job_init(&j);
	j.state = JOB_QUEUED;
	assert_string_equal(fmt_percent(b, sizeof(b), &j), "-");
	j.state = JOB_RUNNING;
	j.progress = 0.456;
	assert_string_equal(fmt_percent(b, sizeof(b), &j), "46%");
	j.progress = 0.999; /* never 100% before it has finished */
	assert_string_equal(fmt_percent(b, sizeof(b), &j), "99%");
	j.state = JOB_SUCCEEDED;
	assert_string_equal(fmt_percent(b, sizeof(b), &j), "100%");
	job_clear(&j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_width_c_locale),
		cmocka_unit_test(test_width_utf8_locale),
		cmocka_unit_test(test_formats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
