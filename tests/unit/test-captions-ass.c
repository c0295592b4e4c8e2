/*
 * test-captions-ass.c -- how captions look: the caption style of each
 * preset, force_style, the ASS script (escaping, today's look pinned byte
 * for byte, every caption_look field) and the word highlight events.
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
#include "base/utf8.h"

/* ---- style and ASS --------------------------------------------------------- */

static void test_style_per_preset(void **state)
{
	(void)state;
	int n;
	const struct preset *p = preset_list(&n);
	for (int i = 0; i < n; i++) {
		struct caption_style st;
		captions_style(&p[i], &st);
		assert_true(st.font_px >= 20);
		assert_true(st.outline_px >= 2 && st.shadow_px >= 1);
		/* a full line at ~0.55 em a character fits between the margins */
		assert_true(p[i].caption_cols <= CAPTIONS_MAX_COLS);
		assert_true(p[i].caption_cols * st.font_px * 55 / 100 <=
			    p[i].w - 2 * st.margin_lr_px);
		if (preset_is_portrait(&p[i]))
			assert_true(st.margin_v_px >= p[i].h / 5); /* clear of app UI */
		else
			assert_true(st.margin_v_px >= p[i].h / 20);
		/* the font grows with the frame */
		assert_true(st.font_px >= p[i].h * 25 / 1000);
	}
	struct caption_style a, b;
	captions_style(preset_find("landscape-720p"), &a);
	captions_style(preset_find("landscape-1080p"), &b);
	assert_true(b.font_px > a.font_px);
}

static void test_force_style(void **state)
{
	(void)state;
	char *s = captions_force_style(preset_find("landscape-720p"), "DejaVu, Sans");
	/* "Key=Value" pairs separated by commas, the font's comma dropped */
	assert_true(str_starts_with(s, "FontName=DejaVu Sans,FontSize="));
	char *copy = xstrdup(s);
	int pairs = 0;
	for (char *save = NULL, *kv = strtok_r(copy, ",", &save); kv;
	     kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		assert_non_null(eq);
		assert_true(eq > kv && eq[1] != '\0');
		pairs++;
	}
	assert_int_equal(pairs, 12);
	free(copy);
	/* 720p: 39 px on 720 lines is 15.6 on FFmpeg's 288-line SRT script */
	assert_non_null(strstr(s, "FontSize=15.6,"));
	assert_non_null(strstr(s, "Alignment=2"));
	free(s);

	/* portrait keeps its captions higher (margin in 288ths of the height) */
	char *land = captions_force_style(preset_find("landscape-1080p"), NULL);
	char *port = captions_force_style(preset_find("portrait-1080p"), NULL);
	assert_false(str_starts_with(port, "FontName="));
	int mv_land = atoi(strstr(land, "MarginV=") + 8);
	int mv_port = atoi(strstr(port, "MarginV=") + 8);
	assert_true(mv_port > 3 * mv_land);
	free(land);
	free(port);
}

static void test_ass_text_is_escaped(void **state)
{
	(void)state;
	char t1[] = "a{b}c \\N d \\\\h e\\x", t2[] = "line one\nline two";
	struct caption_cue c[2] = {
		{ t1, 10, 0, 1234, 0 },
		{ t2, 10, 1234, 3723450, 0 },
	};
	struct buf b;
	buf_init(&b);
	captions_format_ass(&b, preset_find("portrait-1080p"), NULL, c, 2);
	assert_non_null(strstr(b.data, "PlayResX: 1080\nPlayResY: 1920\n"));
	assert_non_null(strstr(b.data, "\nStyle: Default,DejaVu Sans,"));
	assert_non_null(strstr(b.data, "Dialogue: 0,0:00:00.00,0:00:01.23,Default,,0,0,0,,"
				       "a\\{b\\}c \\\xE2\x81\xA0N d \\\\\xE2\x81\xA0h e\\x\n"));
	assert_non_null(strstr(b.data, "Dialogue: 0,0:00:01.23,1:02:03.45,Default,,0,0,0,,"
				       "line one\\Nline two\n"));
	/* one Dialogue line per cue: no newline leaks from a cue */
	int dialogues = 0;
	for (const char *p = b.data; (p = strstr(p, "\nDialogue:")); p++)
		dialogues++;
	assert_int_equal(dialogues, 2);
	buf_free(&b);
}

/* ---- the look -------------------------------------------------------------- */

/* Today's captions, byte for byte: the clean style must not change them. */
static const char *const pinned_720p =
    "[Script Info]\n"
    "; written by aura\n"
    "ScriptType: v4.00+\n"
    "PlayResX: 1280\n"
    "PlayResY: 720\n"
    "WrapStyle: 0\n"
    "ScaledBorderAndShadow: yes\n"
    "\n"
    "[V4+ Styles]\n"
    "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
    "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
    "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
    "Style: Default,DejaVu Sans,39,&H00FFFFFF,&H00FFFFFF,&H00000000,&H80000000,0,0,0,0,"
    "100,100,0,0,1,2,1,2,64,64,43,1\n"
    "\n"
    "[Events]\n"
    "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
    "Dialogue: 0,0:00:00.00,0:00:01.50,Default,,0,0,0,,Hello \\{world\\}\\Nsecond line\n"
    "Dialogue: 0,0:00:01.50,0:00:03.00,Default,,0,0,0,,back\\slash \\\xE2\x81\xA0N\n";

static void test_ass_default_look_pinned(void **state)
{
	(void)state;
	char t1[] = "Hello {world}\nsecond line", t2[] = "back\\slash \\N";
	struct caption_cue c[2] = { { t1, 10, 0, 1500, 0 }, { t2, 10, 1500, 3000, 0 } };
	struct caption_look look;
	caption_look_default(&look);
	struct buf a, b;
	buf_init(&a);
	buf_init(&b);
	captions_format_ass(&a, preset_find("landscape-720p"), NULL, c, 2);
	captions_format_ass(&b, preset_find("landscape-720p"), &look, c, 2);
	assert_string_equal(a.data, pinned_720p);
	assert_string_equal(b.data, pinned_720p);
	buf_free(&a);
	buf_free(&b);
}

/* The Style line's fields after "Style: Default,", split at commas. */
static int style_fields(const char *ass, char f[23][64])
{
	const char *s = strstr(ass, "\nStyle: Default,");
	assert_non_null(s);
	s += strlen("\nStyle: ");
	int n = 0;
	while (n < 23) {
		size_t k = strcspn(s, ",\n");
		assert_true(k < 64);
		memcpy(f[n], s, k);
		f[n++][k] = '\0';
		if (s[k] != ',')
			break;
		s += k + 1;
	}
	return n;
}

static char *format_one(const struct caption_look *look, const char *preset, const char *text)
{
	char *t = xstrdup(text);
	struct caption_cue c = { t, 10, 0, 2000, 0 };
	struct buf b;
	buf_init(&b);
	captions_format_ass(&b, preset_find(preset), look, &c, 1);
	free(t);
	return b.data;
}

static void test_ass_look_fields(void **state)
{
	(void)state;
	struct caption_look l;
	caption_look_default(&l);
	l.font = "Noto, Serif";
	l.size_px = 96; /* at 1080 lines: 64 at 720 */
	l.color = 0x112233;
	l.outline_color = 0xAABBCC;
	l.outline_px = 6;
	l.shadow_px = 0;
	l.position = CAPTION_TOP;
	char f[23][64];
	char *s = format_one(&l, "landscape-720p", "hi");
	assert_int_equal(style_fields(s, f), 23);
	assert_string_equal(f[1], "Noto Serif");
	assert_string_equal(f[2], "64");
	assert_string_equal(f[3], "&H00332211");
	assert_string_equal(f[5], "&H00CCBBAA");
	assert_string_equal(f[15], "1"); /* outline, no box */
	assert_string_equal(f[16], "4");
	assert_string_equal(f[17], "0");
	assert_string_equal(f[18], "8"); /* top */
	assert_string_equal(f[21], "43");
	free(s);

	/* centre: no vertical margin; a box: BorderStyle 3, translucent,
	 * padded, no shadow */
	caption_look_default(&l);
	l.position = CAPTION_CENTER;
	l.box = true;
	s = format_one(&l, "portrait-1080p", "hi");
	style_fields(s, f);
	assert_string_equal(f[5], "&H60000000");
	assert_string_equal(f[15], "3");
	assert_true(atoi(f[16]) >= atoi(f[2]) / 5);
	assert_string_equal(f[17], "0");
	assert_string_equal(f[18], "5");
	assert_string_equal(f[21], "0");
	free(s);

	/* a wider line makes the automatic font smaller */
	caption_look_default(&l);
	s = format_one(&l, "landscape-1080p", "hi");
	style_fields(s, f);
	int auto_px = atoi(f[2]);
	free(s);
	l.max_chars = 60;
	s = format_one(&l, "landscape-1080p", "hi");
	style_fields(s, f);
	assert_true(atoi(f[2]) < auto_px);
	free(s);
}

static void test_ass_rtl_direction(void **state)
{
	(void)state;
	char f[23][64];
	char *s = format_one(NULL, "landscape-720p", "hello");
	style_fields(s, f);
	assert_string_equal(f[22], "1");
	free(s);
	/* Arabic and Hebrew: libass finds each line's direction; the text
	 * stays in logical order in the file */
	const char *ar = "\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7 \xD8\xA8\xD9\x83\xD9\x85";
	s = format_one(NULL, "landscape-720p", ar);
	style_fields(s, f);
	assert_string_equal(f[22], "-1");
	assert_non_null(strstr(s, ar));
	free(s);
	s = format_one(NULL, "landscape-720p", "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D");
	style_fields(s, f);
	assert_string_equal(f[22], "-1");
	free(s);
}

/* ---- highlight ------------------------------------------------------------- */

static int64_t ass_ms(const char *t)
{
	int h, m, sec, cs;
	assert_int_equal(sscanf(t, "%d:%d:%d.%d", &h, &m, &sec, &cs), 4);
	return (((int64_t)h * 60 + m) * 60 + sec) * 1000 + cs * 10;
}

struct event {
	int64_t start, end;
	const char *text; /* into the script */
};

static int dialogues(const char *ass, struct event *ev, int max)
{
	int n = 0;
	for (const char *p = ass; (p = strstr(p, "\nDialogue: 0,")) && n < max; p++) {
		const char *t = p + strlen("\nDialogue: 0,");
		ev[n].start = ass_ms(t);
		ev[n].end = ass_ms(strchr(t, ',') + 1);
		ev[n].text = strstr(t, ",Default,,0,0,0,,") + strlen(",Default,,0,0,0,,");
		n++;
	}
	return n;
}

static void test_ass_highlight(void **state)
{
	(void)state;
	char t[] = "Volcanoes form where molten rock rises through cracks in the crust,\n"
		   "and a {single} eruption can reshape an entire landscape in days";
	struct caption_cue c[2] = { { t, 60, 1000, 9000, 0 }, { t, 60, 9000, 9000, 0 } };
	struct caption_look l;
	caption_look_default(&l);
	l.highlight = true;
	l.highlight_color = 0xFFD400;
	struct buf b;
	buf_init(&b);
	captions_format_ass(&b, preset_find("portrait-1080p"), &l, c, 2);
	struct event ev[64];
	int n = dialogues(b.data, ev, 64);
	/* one event per word with time; the empty cue writes none */
	assert_int_equal(n, 22);
	assert_int_equal(ev[0].start, 1000);
	assert_int_equal(ev[n - 1].end, 9000);
	for (int i = 0; i < n; i++) {
		assert_true(ev[i].end > ev[i].start);
		if (i > 0)
			assert_int_equal(ev[i].start, ev[i - 1].end); /* contiguous */
		/* the highlighted word changes at least once a second */
		assert_true(ev[i].end - ev[i].start <= 1000);
		/* the whole cue, one word marked */
		const char *tag = strstr(ev[i].text, "{\\1c&H00D4FF&}");
		assert_non_null(tag);
		assert_non_null(strstr(tag, "{\\r}"));
		assert_true(strstr(ev[i].text, "days") < strchr(ev[i].text, '\n'));
	}
	assert_true(str_starts_with(ev[0].text, "{\\1c&H00D4FF&}Volcanoes{\\r} form"));
	/* braces in a word stay escaped, inside the highlight too */
	assert_non_null(strstr(b.data, "{\\1c&H00D4FF&}\\{single\\}{\\r} eruption"));
	assert_non_null(strstr(b.data, "crust,\\Nand a \\{single\\} eruption"));
	buf_free(&b);

	/* a backslash ending a word cannot pair with the highlight's brace */
	char u[] = "ends with\\ here";
	struct caption_cue d = { u, 10, 0, 3000, 0 };
	buf_init(&b);
	captions_format_ass(&b, preset_find("portrait-1080p"), &l, &d, 1);
	assert_non_null(strstr(b.data, "{\\1c&H00D4FF&}with\\\xE2\x81\xA0{\\r} here"));
	assert_null(strstr(b.data, "with\\{"));
	buf_free(&b);
}

/* The silence at a cue's end: the words share the speech before it, and
 * the cue stays up over the pause without a highlight. */
static void test_ass_highlight_speech_end(void **state)
{
	(void)state;
	char t[] = "Worth remembering.";
	struct caption_cue c = { t, 17, 5330, 6590, 0 };
	/* speech from 5.33 s, a pause from 6.10 s to the cue's end */
	const char *sd = "[silencedetect @ 0x1] silence_end: 5.33 | silence_duration: 0.4\n"
			 "[silencedetect @ 0x1] silence_start: 6.1\n";
	int64_t on[4], pa[4];
	int non = captions_parse_onsets(sd, on, 4), npa = captions_parse_pauses(sd, pa, 4);
	assert_int_equal(npa, 1);
	assert_int_equal(pa[0], 6100);
	captions_speech_ends(&c, 1, on, non, pa, npa);
	assert_int_equal(c.speech_end_ms, 6100);
	struct caption_look l;
	caption_look_default(&l);
	l.highlight = true;
	struct buf b;
	buf_init(&b);
	captions_format_ass(&b, preset_find("portrait-1080p"), &l, &c, 1);
	struct event ev[8];
	int n = dialogues(b.data, ev, 8);
	assert_int_equal(n, 3);
	assert_int_equal(ev[1].end, 6100);
	assert_int_equal(ev[2].start, 6100); /* contiguous */
	assert_int_equal(ev[2].end, 6590);
	assert_null(strstr(ev[2].text, "\\1c"));
	assert_memory_equal(ev[2].text, "Worth remembering.\n", 19);
	for (int i = 0; i < 2; i++)
		assert_true(ev[i].end - ev[i].start <= 1000);
	buf_free(&b);

	/* speech again after the pause: it does not end the cue's speech */
	const char *sd2 = "silence_start: 5.8\nsilence_end: 6.0\n";
	non = captions_parse_onsets(sd2, on, 4);
	npa = captions_parse_pauses(sd2, pa, 4);
	captions_speech_ends(&c, 1, on, non, pa, npa);
	assert_int_equal(c.speech_end_ms, 0);
	/* a pause right at the start is no end of speech */
	const char *sd3 = "silence_start: 5.4\n";
	npa = captions_parse_pauses(sd3, pa, 4);
	captions_speech_ends(&c, 1, NULL, 0, pa, npa);
	assert_int_equal(c.speech_end_ms, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_style_per_preset),
		cmocka_unit_test(test_force_style),
		cmocka_unit_test(test_ass_text_is_escaped),
		cmocka_unit_test(test_ass_default_look_pinned),
		cmocka_unit_test(test_ass_look_fields),
		cmocka_unit_test(test_ass_rtl_direction),
		cmocka_unit_test(test_ass_highlight),
		cmocka_unit_test(test_ass_highlight_speech_end),
	};
	return cmocka_run_group_tests_name("captions-ass", tests, NULL, NULL);
}
