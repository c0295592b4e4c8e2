/*
 * test-captions-scripts.c -- splitting narration in the scripts that are
 * not written with spaces between words (Japanese, Chinese), with
 * multi-code-point characters (ZWJ emoji, flags), and right to left
 * (Arabic, Hebrew): lines within width, kinsoku, nothing lost or
 * reordered, no character cut.
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

#include "video/captions.h"
#include "captions-check.h"
#include "base/utf8.h"

/* The cues' text with line breaks taken out (CJK: no spaces to put back). */
static char *join_cues(const struct caption_list *l, const char *sep)
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "");
	for (int i = 0; i < l->n; i++) {
		if (i > 0)
			buf_puts(&b, sep);
		for (const char *p = l->cues[i].text; *p; p++)
			if (*p == '\n')
				buf_puts(&b, sep);
			else
				buf_append(&b, p, 1);
	}
	return b.data;
}

/* No line of any cue starts with "、" "。" "」" "っ" or ends with "「". */
static void assert_kinsoku(const struct caption_list *l)
{
	static const char *const no_start[] = { "\xE3\x80\x81", "\xE3\x80\x82", "\xE3\x80\x8D",
						"\xE3\x81\xA3", "\xEF\xBC\x8C" };
	for (int i = 0; i < l->n; i++) {
		char *copy = xstrdup(l->cues[i].text);
		char *save = NULL;
		for (char *line = strtok_r(copy, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			for (size_t k = 0; k < sizeof(no_start) / sizeof(no_start[0]); k++)
				assert_false(str_starts_with(line, no_start[k]));
			size_t n = strlen(line);
			assert_false(n >= 3 && strcmp(line + n - 3, "\xE3\x80\x8C") == 0);
		}
		free(copy);
	}
}

static void test_split_japanese(void **state)
{
	(void)state;
	/* 今日は晴れです。明日は雨が降るでしょう。週末には「山」へ行きたいと思っ
	 * ています。 */
	const char *ja = "\xE4\xBB\x8A\xE6\x97\xA5\xE3\x81\xAF\xE6\x99\xB4\xE3\x82\x8C\xE3\x81"
			 "\xA7\xE3\x81\x99\xE3\x80\x82\xE6\x98\x8E\xE6\x97\xA5\xE3\x81\xAF\xE9"
			 "\x9B\xA8\xE3\x81\x8C\xE9\x99\x8D\xE3\x82\x8B\xE3\x81\xA7\xE3\x81\x97"
			 "\xE3\x82\x87\xE3\x81\x86\xE3\x80\x82\xE9\x80\xB1\xE6\x9C\xAB\xE3\x81"
			 "\xAB\xE3\x81\xAF\xE3\x80\x8C\xE5\xB1\xB1\xE3\x80\x8D\xE3\x81\xB8\xE8"
			 "\xA1\x8C\xE3\x81\x8D\xE3\x81\x9F\xE3\x81\x84\xE3\x81\xA8\xE6\x80\x9D"
			 "\xE3\x81\xA3\xE3\x81\xA6\xE3\x81\x84\xE3\x81\xBE\xE3\x81\x99\xE3\x80"
			 "\x82";
	for (int cols = 8; cols <= 42; cols += 2) {
		struct caption_list l = { 0 };
		captions_split(ja, cols, 2, &l);
		assert_cue_shape(&l, cols, 2);
		assert_kinsoku(&l);
		/* nothing lost, nothing added, the order kept */
		char *back = join_cues(&l, "");
		assert_string_equal(back, ja);
		free(back);
		caption_list_free(&l);
	}
	/* a cue ends at "。" when it holds enough: the first sentence alone */
	struct caption_list l = { 0 };
	captions_split(ja, 20, 2, &l);
	assert_true(l.n >= 3);
	assert_string_equal(l.cues[0].text, "\xE4\xBB\x8A\xE6\x97\xA5\xE3\x81\xAF\xE6\x99\xB4"
					    "\xE3\x82\x8C\xE3\x81\xA7\xE3\x81\x99\xE3\x80\x82");
	/* and each cue is weighed by its characters */
	assert_int_equal(l.cues[0].weight, 8);
	caption_list_free(&l);
}

static void test_split_chinese_and_mixed(void **state)
{
	(void)state;
	/* 火山是地球内部的岩浆喷出地表形成的，它们可以改变整个地区的气候。 and
	 * a Latin word inside: 这是 FFmpeg 的例子。 */
	const char *zh = "\xE7\x81\xAB\xE5\xB1\xB1\xE6\x98\xAF\xE5\x9C\xB0\xE7\x90\x83\xE5\x86"
			 "\x85\xE9\x83\xA8\xE7\x9A\x84\xE5\xB2\xA9\xE6\xB5\x86\xE5\x96\xB7\xE5"
			 "\x87\xBA\xE5\x9C\xB0\xE8\xA1\xA8\xE5\xBD\xA2\xE6\x88\x90\xE7\x9A\x84"
			 "\xEF\xBC\x8C\xE5\xAE\x83\xE4\xBB\xAC\xE5\x8F\xAF\xE4\xBB\xA5\xE6\x94"
			 "\xB9\xE5\x8F\x98\xE6\x95\xB4\xE4\xB8\xAA\xE5\x9C\xB0\xE5\x8C\xBA\xE7"
			 "\x9A\x84\xE6\xB0\x94\xE5\x80\x99\xE3\x80\x82";
	for (int cols = 6; cols <= 42; cols += 3) {
		struct caption_list l = { 0 };
		captions_split(zh, cols, 2, &l);
		assert_cue_shape(&l, cols, 2);
		assert_kinsoku(&l);
		char *back = join_cues(&l, "");
		assert_string_equal(back, zh);
		free(back);
		caption_list_free(&l);
	}
	/* Latin words between CJK keep their spaces and are not cut */
	struct caption_list l = { 0 };
	captions_split("\xE8\xBF\x99\xE6\x98\xAF FFmpeg \xE7\x9A\x84\xE4\xBE\x8B\xE5\xAD\x90"
		       "\xE3\x80\x82",
		       8, 2, &l);
	assert_cue_shape(&l, 8, 2);
	char *back = join_cues(&l, " ");
	assert_non_null(strstr(back, " FFmpeg "));
	free(back);
	caption_list_free(&l);
}

static void test_split_graphemes(void **state)
{
	(void)state;
	/* 👩‍🔬 (woman, ZWJ, microscope: 4 columns) and flags (two regional
	 * indicators each) are never cut, even where a line is full */
	struct buf w;
	buf_init(&w);
	for (int i = 0; i < 9; i++)
		buf_puts(&w, "\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x94\xAC");
	buf_puts(&w, " ");
	for (int i = 0; i < 9; i++)
		buf_puts(&w, "\xF0\x9F\x87\xAF\xF0\x9F\x87\xB5"); /* 🇯🇵 */
	for (int cols = 5; cols <= 13; cols++) {
		struct caption_list l = { 0 };
		captions_split(w.data, cols, 2, &l);
		assert_cue_shape(&l, cols, 2);
		for (int i = 0; i < l.n; i++) {
			char *copy = xstrdup(l.cues[i].text);
			char *save = NULL;
			for (char *line = strtok_r(copy, "\n", &save); line;
			     line = strtok_r(NULL, "\n", &save)) {
				/* a line starts with a whole sequence */
				assert_true(str_starts_with(line, "\xF0\x9F\x91\xA9") ||
					    str_starts_with(line, "\xF0\x9F\x87\xAF"));
				size_t n = strlen(line);
				assert_false(n >= 3 && strcmp(line + n - 3, "\xE2\x80\x8D") == 0);
				/* whole flags: J P J P ... */
				int ri = 0;
				for (const char *p = line; (p = strstr(p, "\xF0\x9F\x87")); p += 4)
					ri++;
				assert_true(ri % 2 == 0);
			}
			free(copy);
		}
		caption_list_free(&l);
	}
	buf_free(&w);
}

static void test_split_rtl(void **state)
{
	(void)state;
	/* Arabic with vowel marks, and Arabic's own question mark: the text
	 * stays in logical order (libass with fribidi shapes and orders it),
	 * the marks stay on their letters, "؟" ends a sentence. */
	const char *ar = "\xD9\x87\xD9\x8E\xD9\x84\x20\xD8\xAA\xD9\x8E\xD8\xB9\xD9\x92\xD8\xB1"
			 "\xD9\x90\xD9\x81\xD9\x8F\x20\xD8\xA7\xD9\x84\xD8\xA8\xD8\xB1\xD8\xA7"
			 "\xD9\x83\xD9\x8A\xD9\x86\xD8\x9F\x20\xD8\xA5\xD9\x86\xD9\x87\xD8\xA7"
			 "\x20\xD8\xAC\xD8\xA8\xD8\xA7\xD9\x84\x20\xD8\xAA\xD9\x82\xD8\xB0\xD9"
			 "\x81\x20\xD8\xA7\xD9\x84\xD8\xB5\xD8\xAE\xD8\xB1\x20\xD8\xA7\xD9\x84"
			 "\xD9\x85\xD9\x86\xD8\xB5\xD9\x87\xD8\xB1\x2E";
	struct caption_list l = { 0 };
	captions_split(ar, 42, 2, &l);
	assert_int_equal(l.n, 2);
	assert_true(str_starts_with(l.cues[1].text, "\xD8\xA5\xD9\x86\xD9\x87\xD8\xA7"));
	char *back = join_cues(&l, " ");
	assert_string_equal(back, ar);
	free(back);
	caption_list_free(&l);
	for (int cols = 10; cols <= 30; cols += 4) {
		captions_split(ar, cols, 2, &l);
		assert_cue_shape(&l, cols, 2);
		back = join_cues(&l, " ");
		assert_string_equal(back, ar);
		free(back);
		for (int i = 0; i < l.n; i++) {
			uint32_t cp;
			utf8_next(l.cues[i].text, &cp);
			assert_int_not_equal(utf8_cp_width(cp), 0);
		}
		caption_list_free(&l);
	}
	/* Hebrew: שלום עולם. מה שלומך היום? */
	const char *he = "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D \xD7\xA2\xD7\x95\xD7\x9C\xD7\x9D. "
			 "\xD7\x9E\xD7\x94 \xD7\xA9\xD7\x9C\xD7\x95\xD7\x9E\xD7\x9A "
			 "\xD7\x94\xD7\x99\xD7\x95\xD7\x9D?";
	captions_split(he, 12, 1, &l);
	assert_cue_shape(&l, 12, 1);
	back = join_cues(&l, " ");
	assert_string_equal(back, he);
	free(back);
	caption_list_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_japanese),
		cmocka_unit_test(test_split_chinese_and_mixed),
		cmocka_unit_test(test_split_graphemes),
		cmocka_unit_test(test_split_rtl),
	};
	return cmocka_run_group_tests_name("captions-scripts", tests, NULL, NULL);
}
