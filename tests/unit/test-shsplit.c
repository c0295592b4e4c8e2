/*
 * test-shsplit.c -- the shell-like splitter: words as sh(1) would make
 * them (blanks, quotes, backslashes, concatenation, empty words, comments,
 * ~), UTF-8 kept intact, and every construct a shell would read
 * differently refused with the column that names it.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/errors.h"
#include "base/shsplit.h"

/* Split line and compare with the expected words (NULL-terminated). */
static void expect_words(const char *line, const char *const *want)
{
	char **argv;
	int argc;
	struct aura_error err;
	aura_error_clear(&err);
	int rc = shsplit(line, &argv, &argc, &err);
	if (rc != 0)
		fail_msg("shsplit(%s) failed: %s", line, err.detail);
	int n = 0;
	while (want[n])
		n++;
	if (argc != n)
		fail_msg("shsplit(%s): %d words, want %d", line, argc, n);
	for (int i = 0; i < n; i++)
		assert_string_equal(argv[i], want[i]);
	assert_null(argv[argc]);
	shsplit_free(argv);
}

/* Split line, expect a USAGE error whose detail contains `what`. */
static void expect_error(const char *line, const char *what)
{
	char **argv = (char **)1;
	int argc = -1;
	struct aura_error err;
	aura_error_clear(&err);
	int rc = shsplit(line, &argv, &argc, &err);
	if (rc != -AURA_E_USAGE)
		fail_msg("shsplit(%s) = %d, want -USAGE", line, rc);
	assert_null(argv);
	assert_int_equal(argc, 0);
	if (!strstr(err.detail, what))
		fail_msg("shsplit(%s): detail '%s' lacks '%s'", line, err.detail, what);
}

static void test_blanks(void **state)
{
	(void)state;
	expect_words("ffmpeg -i in.mp4 out.mkv",
		     (const char *const[]){ "ffmpeg", "-i", "in.mp4", "out.mkv", NULL });
	expect_words("  a \t\t b   ", (const char *const[]){ "a", "b", NULL });
	expect_words("", (const char *const[]){ NULL });
	expect_words("   \t ", (const char *const[]){ NULL });
}

static void test_single_quotes(void **state)
{
	(void)state;
	/* everything literal inside, backslashes and $ included */
	expect_words(
	    "-vf 'scale=1280:-2, drawtext=text=a\\b $HOME'",
	    (const char *const[]){ "-vf", "scale=1280:-2, drawtext=text=a\\b $HOME", NULL });
	expect_words("'\"'", (const char *const[]){ "\"", NULL });
}

static void test_double_quotes(void **state)
{
	(void)state;
	/* \ escapes only $ ` " \ and newline; other backslashes stay */
	expect_words("\"a \\\"b\\\" \\\\ \\$ \\n\"",
		     (const char *const[]){ "a \"b\" \\ $ \\n", NULL });
	expect_words("\"it's\"", (const char *const[]){ "it's", NULL });
	/* a $ that would expand nothing stays, as in sh */
	expect_words("\"5$\" \"$ x\"", (const char *const[]){ "5$", "$ x", NULL });
}

static void test_backslashes(void **state)
{
	(void)state;
	expect_words("a\\ b c\\'d \\\"e\\\\", (const char *const[]){ "a b", "c'd", "\"e\\", NULL });
	/* backslash-newline continues the line and leaves nothing */
	expect_words("-i in.mp4 \\\n out.mp4",
		     (const char *const[]){ "-i", "in.mp4", "out.mp4", NULL });
	expect_words("ab\\\ncd", (const char *const[]){ "abcd", NULL });
	expect_words("\"ab\\\ncd\"", (const char *const[]){ "abcd", NULL });
}

static void test_concatenation_and_empty(void **state)
{
	(void)state;
	expect_words("'a'\"b\"c", (const char *const[]){ "abc", NULL });
	expect_words("x '' \"\" y", (const char *const[]){ "x", "", "", "y", NULL });
	expect_words("-metadata title='My '\"Film\"",
		     (const char *const[]){ "-metadata", "title=My Film", NULL });
}

static void test_comments_and_literals(void **state)
{
	(void)state;
	expect_words("-i a.mp4 # the rest is ignored | > ;",
		     (const char *const[]){ "-i", "a.mp4", NULL });
	/* # inside a word, and glob characters, are plain text */
	expect_words("color=c=#ff0000 *.png img?.jpg [ab]",
		     (const char *const[]){ "color=c=#ff0000", "*.png", "img?.jpg", "[ab]", NULL });
	/* quoted operators pass through */
	expect_words("'a|b' \"x>y\" \\;", (const char *const[]){ "a|b", "x>y", ";", NULL });
}

static void test_utf8(void **state)
{
	(void)state;
	expect_words("-metadata title=\"Café 東京 🎬\" 'ñ'",
		     (const char *const[]){ "-metadata", "title=Café 東京 🎬", "ñ", NULL });
}

static void test_tilde(void **state)
{
	(void)state;
	setenv("HOME", "/home/tester", 1);
	expect_words("~ ~/v/out.mp4 a~b '~/x' \"~\" \\~",
		     (const char *const[]){ "/home/tester", "/home/tester/v/out.mp4", "a~b", "~/x",
					    "~", "~", NULL });
	expect_error("-o ~bob/x.mp4", "column 4: ~user");
}

static void test_refusals(void **state)
{
	(void)state;
	expect_error("-i 'in.mp4", "column 4: the single quote is not closed");
	expect_error("a \"b", "column 3: the double quote is not closed");
	expect_error("a \\", "column 3: a backslash ends the line");
	expect_error("-i in.mp4 > out.txt", "column 11: '>' is a shell operator");
	expect_error("a | b", "'|' is a shell operator");
	expect_error("a;b", "column 2: ';'");
	expect_error("a & b", "'&'");
	expect_error("< in", "'<'");
	expect_error("(a)", "'('");
	expect_error("-o $HOME/x.mp4", "column 4: variables are not expanded");
	expect_error("-o ${OUT}", "variables are not expanded");
	expect_error("\"$HOME\"", "column 2: $ and ` are not expanded");
	expect_error("\"`date`\"", "$ and ` are not expanded");
	expect_error("`date`", "column 1: command substitution");
	expect_error("a\nb", "column 2: a newline");
	/* columns count characters, not bytes */
	expect_error("é | x", "column 3:");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blanks),
		cmocka_unit_test(test_single_quotes),
		cmocka_unit_test(test_double_quotes),
		cmocka_unit_test(test_backslashes),
		cmocka_unit_test(test_concatenation_and_empty),
		cmocka_unit_test(test_comments_and_literals),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_tilde),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
