/*
 * test-captions.c -- UTF-8 decoding and widths, splitting narration into
 * cues (line and cue limits, no split words, hard splits at code point
 * boundaries, balanced lines), timing inside a scene and SRT text (the
 * style and ASS text: test-captions-ass.c).
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

/* ---- helpers --------------------------------------------------------------- */

/* Split text into words the way a reader would: at ASCII whitespace. */
static int split_words(const char *text, char ***out)
{
	char *copy = xstrdup(text);
	char **v = NULL;
	int n = 0;
	for (char *save = NULL, *w = strtok_r(copy, " \t\n", &save); w;
	     w = strtok_r(NULL, " \t\n", &save)) {
		v = xrealloc(v, (size_t)(n + 1) * sizeof(*v));
		v[n++] = xstrdup(w);
	}
	free(copy);
	*out = v;
	return n;
}

static void free_words(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static const char *const long_text =
    "The honey bee is a remarkable insect. A single colony can hold tens of thousands of "
    "workers, each with a job that changes as it ages: cleaning cells, feeding larvae, "
    "building comb, guarding the entrance and, finally, foraging for nectar and pollen far "
    "from the hive. Foragers tell their sisters where the flowers are with a dance! Isn't "
    "that extraordinary? Back in the hive, nectar is passed from mouth to mouth, fanned dry "
    "by beating wings and sealed under wax, where it slowly becomes honey.";

/* ---- utf8 ------------------------------------------------------------------ */

static void test_utf8_decode(void **state)
{
	(void)state;
	uint32_t cp;
	assert_int_equal(utf8_next("A", &cp), 1);
	assert_int_equal(cp, 'A');
	assert_int_equal(utf8_next("\xC3\xA9", &cp), 2); /* é */
	assert_int_equal(cp, 0xE9);
	assert_int_equal(utf8_next("\xE4\xB8\xAD", &cp), 3); /* 中 */
	assert_int_equal(cp, 0x4E2D);
	assert_int_equal(utf8_next("\xF0\x9F\x98\x80", &cp), 4); /* 😀 */
	assert_int_equal(cp, 0x1F600);
	assert_int_equal(utf8_next("", &cp), 0);
	/* malformed: one byte consumed, U+FFFD */
	const char *bad[] = { "\x80", "\xC0\x80", "\xED\xA0\x80", "\xE2\x82", "\xF4\x90\x80\x80",
			      "\xFF", "\xC3" };
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		assert_int_equal(utf8_next(bad[i], &cp), 1);
		assert_int_equal(cp, UTF8_REPLACEMENT);
	}
	size_t off = 99;
	assert_true(utf8_valid("plain \xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80 \xEF\xBF\xBD", &off));
	assert_false(utf8_valid("ab\xC3(", &off));
	assert_int_equal(off, 2);
	assert_int_equal(utf8_length("a\xC3\xA9\xE4\xB8\xAD"), 3);
}

static void test_utf8_width(void **state)
{
	(void)state;
	assert_int_equal(utf8_cp_width('a'), 1);
	assert_int_equal(utf8_cp_width(0xE9), 1);    /* é */
	assert_int_equal(utf8_cp_width(0x0301), 0);  /* combining acute */
	assert_int_equal(utf8_cp_width(0x0663), 1);  /* Arabic-Indic three */
	assert_int_equal(utf8_cp_width(0x064E), 0);  /* Arabic fatha */
	assert_int_equal(utf8_cp_width(0x4E2D), 2);  /* 中 */
	assert_int_equal(utf8_cp_width(0xAC00), 2);  /* 가 */
	assert_int_equal(utf8_cp_width(0xFF21), 2);  /* fullwidth A */
	assert_int_equal(utf8_cp_width(0x1F600), 2); /* 😀 */
	assert_int_equal(utf8_cp_width(0x200D), 0);  /* ZWJ */
	assert_int_equal(utf8_cp_width(0xFE0F), 0);  /* VS16 */
	assert_int_equal(utf8_cp_width('\n'), 0);
	assert_int_equal(utf8_width("ab\xE4\xB8\xAD"
				    "e\xCC\x81"),
			 5);
}

/* ---- splitting ------------------------------------------------------------- */

static void test_split_limits_and_no_split_words(void **state)
{
	(void)state;
	struct caption_list l = { 0 };
	int n = captions_split(long_text, 42, 2, &l);
	assert_int_equal(n, l.n);
	assert_true(n >= 6);
	assert_cue_shape(&l, 42, 2);
	/* the words of the cues, in order, are exactly the narration's */
	char **want, **got;
	int nw = split_words(long_text, &want);
	struct buf all;
	buf_init(&all);
	for (int i = 0; i < l.n; i++) {
		buf_puts(&all, l.cues[i].text);
		buf_puts(&all, "\n");
	}
	int ng = split_words(all.data, &got);
	assert_int_equal(ng, nw);
	for (int i = 0; i < nw; i++)
		assert_string_equal(got[i], want[i]);
	free_words(want, nw);
	free_words(got, ng);
	buf_free(&all);
	caption_list_free(&l);

	/* other limits are honoured too */
	n = captions_split(long_text, 20, 3, &l);
	assert_true(n > 0);
	assert_cue_shape(&l, 20, 3);
	caption_list_free(&l);
}

static void test_split_appends(void **state)
{
	(void)state;
	struct caption_list l = { 0 };
	assert_int_equal(captions_split("First scene.", 42, 2, &l), 1);
	assert_int_equal(captions_split("Second scene.", 42, 2, &l), 1);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.cues[0].text, "First scene.");
	assert_string_equal(l.cues[1].text, "Second scene.");
	assert_int_equal(captions_split("   \t\n ", 42, 2, &l), 0);
	assert_int_equal(captions_split(NULL, 42, 2, &l), 0);
	assert_int_equal(l.n, 2);
	caption_list_free(&l);
	assert_int_equal(l.n, 0);
	assert_null(l.cues);
}

static void test_split_whitespace_is_normalised(void **state)
{
	(void)state;
	struct caption_list l = { 0 };
	captions_split("  one\ttwo\n\nthree   four\r\n", 42, 2, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.cues[0].text, "one two three four");
	caption_list_free(&l);
}

/* A word wider than a line is cut into pieces of at most a line, at code
 * point boundaries, and nothing else is. */
static void check_hard_split(const char *word, int max_cols)
{
	char *text = xasprintf("start %s end", word);
	struct caption_list l = { 0 };
	captions_split(text, max_cols, 2, &l);
	assert_cue_shape(&l, max_cols, 2);
	/* rebuild: "start", the pieces glued together, "end" */
	struct buf b;
	buf_init(&b);
	for (int i = 0; i < l.n; i++) {
		buf_puts(&b, l.cues[i].text);
		buf_puts(&b, "\n");
	}
	char **got;
	int ng = split_words(b.data, &got);
	assert_true(ng >= 3);
	assert_string_equal(got[0], "start");
	assert_string_equal(got[ng - 1], "end");
	struct buf joined;
	buf_init(&joined);
	buf_puts(&joined, "");
	for (int i = 1; i < ng - 1; i++) {
		/* each piece is whole code points (valid on its own) and, but
		 * for the last, fills its line */
		assert_true(utf8_valid(got[i], NULL));
		assert_true(utf8_width(got[i]) <= max_cols);
		if (i < ng - 2)
			assert_true(utf8_width(got[i]) > max_cols - 2);
		uint32_t cp;
		utf8_next(got[i], &cp);
		assert_int_not_equal(utf8_cp_width(cp), 0); /* no piece starts with a mark */
		buf_puts(&joined, got[i]);
	}
	assert_string_equal(joined.data, word);
	free_words(got, ng);
	buf_free(&b);
	buf_free(&joined);
	caption_list_free(&l);
	free(text);
}

static void test_split_long_word(void **state)
{
	(void)state;
	struct buf w;
	buf_init(&w);
	for (int i = 0; i < 100; i++)
		buf_puts(&w, "x");
	check_hard_split(w.data, 42);
	buf_reset(&w);
	for (int i = 0; i < 60; i++)
		buf_puts(&w, "\xC3\xA9"); /* é, two bytes */
	check_hard_split(w.data, 42);
	buf_reset(&w);
	for (int i = 0; i < 50; i++)
		buf_puts(&w, "e\xCC\x81"); /* e + combining acute */
	check_hard_split(w.data, 42);
	buf_reset(&w);
	for (int i = 0; i < 30; i++)
		buf_puts(&w, "\xEA\xB0\x80"); /* 가: two columns, Hangul has spaces */
	check_hard_split(w.data, 42);
	buf_reset(&w);
	for (int i = 0; i < 25; i++)
		buf_puts(&w, "\xF0\x9F\x98\x80"); /* 😀 */
	check_hard_split(w.data, 7);		  /* odd width: 3 emoji a line */
	buf_free(&w);
}

static void test_split_cjk_width(void **state)
{
	(void)state;
	/* CJK text has no spaces: a line breaks between any two characters */
	struct buf t;
	buf_init(&t);
	for (int i = 0; i < 40; i++)
		buf_puts(&t, "\xE6\x96\x87"); /* 文 */
	struct caption_list l = { 0 };
	captions_split(t.data, 42, 2, &l);
	assert_cue_shape(&l, 42, 2);
	/* 40 wide characters = 80 columns: two balanced lines of 20 */
	assert_int_equal(l.n, 1);
	char *nl = strchr(l.cues[0].text, '\n');
	assert_non_null(nl);
	assert_int_equal(utf8_length(l.cues[0].text) - utf8_length(nl), 20);
	caption_list_free(&l);
	buf_free(&t);
}

static void test_split_sentence_ends_cue(void **state)
{
	(void)state;
	struct caption_list l = { 0 };
	captions_split("This is the first sentence. And here is the second one.", 42, 2, &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.cues[0].text, "This is the first sentence.");
	assert_string_equal(l.cues[1].text, "And here is the second one.");
	caption_list_free(&l);
	/* a very short sentence does not make a cue of its own */
	captions_split("Yes. And then the story goes on.", 42, 2, &l);
	assert_int_equal(l.n, 1);
	caption_list_free(&l);
	/* closing quotes after the stop still end the sentence */
	captions_split("She said \"stop right there.\" Then silence fell.", 42, 2, &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.cues[0].text, "She said \"stop right there.\"");
	caption_list_free(&l);
}

static void test_split_balanced_lines(void **state)
{
	(void)state;
	struct caption_list l = { 0 };
	/* 55 columns: greedy would give 41 + 13; balanced is close to even */
	captions_split("one two three four five six seven eight nine ten eleven", 42, 2, &l);
	assert_int_equal(l.n, 1);
	char *nl = strchr(l.cues[0].text, '\n');
	assert_non_null(nl);
	int w1 = (int)(nl - l.cues[0].text), w2 = (int)strlen(nl + 1);
	assert_true(w1 <= 42 && w2 <= 42);
	assert_true(abs(w1 - w2) <= 8);
	assert_string_equal(l.cues[0].text,
			    "one two three four five six\nseven eight nine ten eleven");
	caption_list_free(&l);
}

/* No cue narrower than a third of a line while the narration is longer:
 * a sentence's last word spilled from a full cue ("honesty.") used to be
 * a cue of its own, timed at the minimum. */
static void assert_no_orphan(const char *text, int max_cols, int max_lines)
{
	struct caption_list l;
	caption_list_init(&l);
	int n = captions_split(text, max_cols, max_lines, &l);
	assert_true(n >= 2);
	assert_cue_shape(&l, max_cols, max_lines);
	for (int i = 0; i < l.n; i++) {
		char *flat = xstrdup(l.cues[i].text);
		for (char *c = flat; *c; c++)
			if (*c == '\n')
				*c = ' ';
		if (utf8_width(flat) < max_cols / 3)
			fail_msg("cue %d \"%s\" is an orphan", i, flat);
		free(flat);
	}
	caption_list_free(&l);
}

static void test_split_no_orphan(void **state)
{
	(void)state;
	/* two full lines, then the sentence's last word */
	assert_no_orphan("What makes good science work is careful measurement, open data "
			 "shared freely, and honesty. The rest follows from that.",
			 CAPTIONS_MAX_COLS, CAPTIONS_MAX_LINES);
	/* the same at the end of the narration */
	assert_no_orphan("Good science rests on careful measurement, on open data, on "
			 "patient peer review and on honesty.",
			 CAPTIONS_MAX_COLS, CAPTIONS_MAX_LINES);
	/* a short tail that fits with the cue before it is merged */
	assert_no_orphan("The honey bee is a remarkable insect. It dances. Hives hold many "
			 "thousands of workers and one queen. Yes.",
			 CAPTIONS_MAX_COLS, CAPTIONS_MAX_LINES);
	/* Chinese: 43 wide characters and a full stop, 21 to a line */
	struct buf b;
	buf_init(&b);
	for (int i = 0; i < 43; i++)
		buf_puts(&b, "\xe7\x81\xab"); /* 火 */
	buf_puts(&b, "\xe3\x80\x82");	      /* 。 */
	assert_no_orphan(b.data, CAPTIONS_MAX_COLS, CAPTIONS_MAX_LINES);
	buf_free(&b);
	/* portrait lines */
	assert_no_orphan("Volcanoes form where molten rock rises through cracks in the crust "
			 "and erupts.",
			 32, 2);
}

static void test_split_degenerate_limits(void **state)
{
	(void)state;
	struct caption_list l = { 0 };
	assert_true(captions_split("ab cd", 0, 0, &l) > 0);
	assert_cue_shape(&l, 1, 1);
	caption_list_free(&l);
}

/* ---- timing ---------------------------------------------------------------- */

static void assert_timing(const struct caption_cue *c, int n, int64_t start, int64_t audio,
			  int64_t min)
{
	assert_true(n > 0);
	assert_int_equal(c[0].start_ms, start);
	assert_int_equal(c[n - 1].end_ms, start + audio);
	for (int i = 0; i < n; i++) {
		assert_true(c[i].end_ms >= c[i].start_ms);
		assert_true(c[i].end_ms - c[i].start_ms >= min);
		assert_true(c[i].start_ms >= start && c[i].end_ms <= start + audio);
		if (i)
			assert_int_equal(c[i].start_ms, c[i - 1].end_ms); /* no gap, no overlap */
	}
}

static void test_time_within_scene(void **state)
{
	(void)state;
	struct caption_list l = { 0 };
	captions_split(long_text, 42, 2, &l);
	captions_time(l.cues, l.n, 5000, 30000);
	assert_timing(l.cues, l.n, 5000, 30000, CAPTIONS_MIN_CUE_MS);
	/* proportional: a cue with more characters lasts at least as long */
	for (int i = 0; i < l.n; i++)
		for (int j = 0; j < l.n; j++)
			if (l.cues[i].weight > l.cues[j].weight)
				assert_true(l.cues[i].end_ms - l.cues[i].start_ms >=
					    l.cues[j].end_ms - l.cues[j].start_ms);
	caption_list_free(&l);
}

static void test_time_minimum(void **state)
{
	(void)state;
	struct caption_cue c[3] = {
		{ NULL, 1, 0, 0, 0 },
		{ NULL, 100, 0, 0, 0 },
		{ NULL, 100, 0, 0, 0 },
	};
	captions_time(c, 3, 1000, 3000);
	assert_timing(c, 3, 1000, 3000, CAPTIONS_MIN_CUE_MS);
	assert_int_equal(c[0].end_ms - c[0].start_ms, 800);
	assert_int_equal(c[1].end_ms - c[1].start_ms, 1100);
	assert_int_equal(c[2].end_ms - c[2].start_ms, 1100);

	/* the minimum cannot be kept: an even split, still contiguous */
	struct caption_cue d[5];
	for (int i = 0; i < 5; i++)
		d[i] = (struct caption_cue){ NULL, 10 * (i + 1), 0, 0, 0 };
	captions_time(d, 5, 0, 2002);
	assert_timing(d, 5, 0, 2002, 400);
	for (int i = 0; i < 5; i++)
		assert_true(d[i].end_ms - d[i].start_ms <= 401);

	/* no audio: empty cues at the scene start */
	captions_time(d, 5, 777, 0);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(d[i].start_ms, 777);
		assert_int_equal(d[i].end_ms, 777);
	}
	captions_time(d, 0, 0, 1000); /* nothing to do, no crash */
}

static void test_time_rounding_adds_up(void **state)
{
	(void)state;
	/* awkward weights and an odd duration still end exactly at the end */
	struct caption_cue c[7];
	for (int i = 0; i < 7; i++)
		c[i] = (struct caption_cue){ NULL, 3 + 7 * i, 0, 0, 0 };
	captions_time(c, 7, 123, 9999);
	assert_timing(c, 7, 123, 9999, CAPTIONS_MIN_CUE_MS);
}

/* ---- word timing ----------------------------------------------------------- */

static int syl(const char *w)
{
	return captions_syllables(w, strlen(w));
}

static void test_syllables(void **state)
{
	(void)state;
	assert_int_equal(syl("the"), 1);
	assert_int_equal(syl("time"), 1); /* silent e */
	assert_int_equal(syl("make"), 1);
	assert_int_equal(syl("table"), 2); /* -le is spoken */
	assert_int_equal(syl("free"), 1);
	assert_int_equal(syl("honesty."), 3);
	assert_int_equal(syl("Volcanoes"), 3);
	assert_int_equal(syl("rhythm"), 1);
	assert_int_equal(syl("extraordinary"), 5);
	assert_int_equal(syl("caf\xc3\xa9"), 2);			  /* café */
	assert_int_equal(syl("42"), 1);					  /* at least one */
	assert_int_equal(syl("\xe2\x80\x94"), 1);			  /* a dash */
	assert_int_equal(syl("\xe7\x81\xab\xe5\xb1\xb1\xe3\x80\x82"), 3); /* 火山。 */
	assert_int_equal(captions_syllables("time", 2), 1); /* "ti": len is honoured */
}

static void test_word_times(void **state)
{
	(void)state;
	struct caption_word w[8];
	int n = captions_word_times("The table\nis  free.", 1000, 2000, w, 8);
	assert_int_equal(n, 4);
	assert_int_equal(w[1].len, 5);
	assert_memory_equal(w[1].s, "table", 5);
	/* 1 + 2 + 1 + 1 units over 1000 ms */
	assert_int_equal(w[0].start_ms, 1000);
	assert_int_equal(w[0].end_ms, 1200);
	assert_int_equal(w[1].end_ms, 1600);
	assert_int_equal(w[2].end_ms, 1800);
	assert_int_equal(w[3].end_ms, 2000);
	for (int i = 1; i < n; i++)
		assert_int_equal(w[i].start_ms, w[i - 1].end_ms);
	/* awkward numbers still add up; max is honoured; blank text */
	n = captions_word_times("a b c", 0, 1001, w, 8);
	assert_int_equal(n, 3);
	assert_int_equal(w[2].end_ms, 1001);
	assert_int_equal(captions_word_times("one two three", 0, 900, w, 2), 2);
	assert_int_equal(captions_word_times("  ", 0, 900, w, 8), 0);
	assert_int_equal(captions_word_times(NULL, 0, 900, w, 8), 0);
	/* an empty cue: every word empty, none before start */
	n = captions_word_times("x y", 500, 500, w, 8);
	assert_int_equal(w[1].start_ms, 500);
	assert_int_equal(w[1].end_ms, 500);
}

/* ---- speech onsets --------------------------------------------------------- */

static void test_parse_onsets(void **state)
{
	(void)state;
	const char *err = "[silencedetect @ 0x5581] silence_start: 0\n"
			  "[silencedetect @ 0x5581] silence_end: 0.25 | silence_duration: 0.25\n"
			  "size=N/A time=00:00:03.00 bitrate=N/A\n"
			  "[silencedetect @ 0x5581] silence_start: 1.9\n"
			  "[silencedetect @ 0x5581] silence_end: 2.3405 | silence_duration: 0.44\n"
			  "[silencedetect @ 0x5581] silence_end: nan | silence_duration: 0\n"
			  "[silencedetect @ 0x5581] silence_end: 1.0 | out of order\n";
	int64_t on[8];
	assert_int_equal(captions_parse_onsets(err, on, 8), 2);
	assert_int_equal(on[0], 250);
	assert_int_equal(on[1], 2341);
	assert_int_equal(captions_parse_onsets(err, on, 1), 1);
	assert_int_equal(captions_parse_onsets("", on, 8), 0);
	assert_int_equal(captions_parse_onsets(NULL, on, 8), 0);
	assert_int_equal(captions_parse_onsets("silence_end: ", on, 8), 0);
	/* the frame metadata ametadata prints: the whole video's, in a file */
	const char *meta = "frame:45   pts:1092880 pts_time:1.09288\n"
			   "lavfi.silence_start=0.999955\n"
			   "frame:50   pts:1500000 pts_time:1.5\n"
			   "lavfi.silence_end=1.50007\n"
			   "lavfi.silence_duration=0.500113\n";
	assert_int_equal(captions_parse_onsets(meta, on, 8), 1);
	assert_int_equal(on[0], 1500);
	assert_int_equal(captions_parse_pauses(meta, on, 8), 1);
	assert_int_equal(on[0], 1000);
	assert_int_equal(captions_parse_pauses(err, on, 8), 2);
	assert_int_equal(on[1], 1900);
}

static void test_align(void **state)
{
	(void)state;
	/* a scene 1000..7000: three cues timed by weight, speech starting at
	 * 1200, the second sentence at 3600, the third at 5100 */
	struct caption_cue c[3] = {
		{ NULL, 10, 1000, 3000, 0 },
		{ NULL, 10, 3000, 5000, 0 },
		{ NULL, 10, 5000, 7000, 0 },
	};
	const int64_t on[] = { 1200, 2000, 3600, 5100, 6800 };
	captions_align(c, 3, on, 5);
	assert_int_equal(c[0].start_ms, 1200);
	assert_int_equal(c[0].end_ms, 3600);
	assert_int_equal(c[1].start_ms, 3600);
	assert_int_equal(c[1].end_ms, 5100);
	assert_int_equal(c[2].start_ms, 5100);
	assert_int_equal(c[2].end_ms, 7000);

	/* an onset that would leave a neighbour under the minimum is not used */
	struct caption_cue d[2] = { { NULL, 1, 0, 1000, 0 }, { NULL, 1, 1000, 2000, 0 } };
	const int64_t near[] = { 300, 1500 };
	captions_align(d, 2, near, 2);
	assert_int_equal(d[0].start_ms, 0); /* 300 would leave 700 ms */
	assert_int_equal(d[1].start_ms, 1000);
	assert_int_equal(d[0].end_ms, 1000);
	for (int i = 0; i < 2; i++)
		assert_true(d[i].end_ms - d[i].start_ms >= CAPTIONS_MIN_CUE_MS);

	/* no onsets, or none in the scene: unchanged */
	captions_align(c, 3, NULL, 0);
	assert_int_equal(c[1].start_ms, 3600);
	const int64_t far[] = { 90000 };
	captions_align(c, 3, far, 1);
	assert_int_equal(c[2].start_ms, 5100);
	assert_int_equal(c[2].end_ms, 7000);
	captions_align(c, 0, on, 5); /* nothing to do, no crash */
}

/* ---- SRT ------------------------------------------------------------------- */

static void test_srt_exact(void **state)
{
	(void)state;
	char t[32];
	captions_format_srt_time(0, t);
	assert_string_equal(t, "00:00:00,000");
	captions_format_srt_time(3723004, t);
	assert_string_equal(t, "01:02:03,004");
	captions_format_srt_time(360000000, t);
	assert_string_equal(t, "100:00:00,000");
	captions_format_srt_time(-5, t);
	assert_string_equal(t, "00:00:00,000");

	struct caption_list l = { 0 };
	captions_split(
	    "Hello there, and welcome. This is a caption test with two lines of text in it.", 42, 2,
	    &l);
	assert_int_equal(l.n, 2);
	captions_time(l.cues, l.n, 61500, 4000);
	struct buf b;
	buf_init(&b);
	captions_format_srt(&b, l.cues, l.n, 7);
	assert_string_equal(b.data, "7\n"
				    "00:01:01,500 --> 00:01:02,897\n"
				    "Hello there, and welcome.\n"
				    "\n"
				    "8\n"
				    "00:01:02,897 --> 00:01:05,500\n"
				    "This is a caption test with\n"
				    "two lines of text in it.\n"
				    "\n");

	/* the FILE writer writes the same bytes */
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);
	assert_non_null(f);
	assert_int_equal(captions_write_srt(f, l.cues, l.n, 7), 0);
	fclose(f);
	assert_string_equal(mem, b.data);
	free(mem);
	buf_free(&b);
	caption_list_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_decode),
		cmocka_unit_test(test_utf8_width),
		cmocka_unit_test(test_split_limits_and_no_split_words),
		cmocka_unit_test(test_split_appends),
		cmocka_unit_test(test_split_whitespace_is_normalised),
		cmocka_unit_test(test_split_long_word),
		cmocka_unit_test(test_split_cjk_width),
		cmocka_unit_test(test_split_sentence_ends_cue),
		cmocka_unit_test(test_split_balanced_lines),
		cmocka_unit_test(test_split_no_orphan),
		cmocka_unit_test(test_split_degenerate_limits),
		cmocka_unit_test(test_time_within_scene),
		cmocka_unit_test(test_time_minimum),
		cmocka_unit_test(test_time_rounding_adds_up),
		cmocka_unit_test(test_syllables),
		cmocka_unit_test(test_word_times),
		cmocka_unit_test(test_parse_onsets),
		cmocka_unit_test(test_align),
		cmocka_unit_test(test_srt_exact),
	};
	return cmocka_run_group_tests_name("captions", tests, NULL, NULL);
}
