/*
 * test-render-plan.c -- the render stage's plan (doc/render.md): frame
 * times as the subtitles filter sees them, the ASS events read back, the
 * caption states as frame intervals, the segments of a timeline and the
 * rule that keeps a video in one run.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#include <cmocka.h>

#include "video/render.h"

static void test_frame_ms(void **state)
{
	(void)state;
	assert_int_equal(render_frame_ms(0), 0);
	assert_int_equal(render_frame_ms(1), 33);
	assert_int_equal(render_frame_ms(2), 66);
	assert_int_equal(render_frame_ms(3), 100);
	/* pts * av_q2d(1/30) * 1000 in doubles, truncated: frame 111 is
	 * drawn at 3699 ms, not 3700 (an event starting at 3.70 s shows
	 * from frame 112) */
	assert_int_equal(render_frame_ms(111), 3699);
	assert_int_equal(render_first_frame_at(3700), 112);
	assert_int_equal(render_frame_ms(30), 1000);
	/* the first frame at or after a time: brute force agrees */
	for (int64_t ms = 0; ms < 5000; ms += 10) {
		int n = render_first_frame_at(ms);
		assert_true(render_frame_ms(n) >= ms);
		assert_true(n == 0 || render_frame_ms(n - 1) < ms);
	}
	assert_int_equal(render_first_frame_at(100), 3);
	assert_int_equal(render_first_frame_at(1000), 30);
}

static const char ass[] = "[Script Info]\n"
			  "PlayResY: 720\n\n"
			  "[Events]\n"
			  "Format: Layer, Start, End, Style, Name, MarginL, MarginR, "
			  "MarginV, Effect, Text\n"
			  "Dialogue: 0,0:00:00.00,0:00:01.00,Default,,0,0,0,,one\n"
			  "Dialogue: 0,0:00:01.00,0:00:02.50,Default,,0,0,0,,two, three\n"
			  "Comment: 0,0:00:03.00,0:00:04.00,Default,,0,0,0,,not shown\n"
			  "Dialogue: 1,0:00:02.00,0:00:02.10,Default,,0,0,0,,{\\c}hi\n"
			  "Dialogue: 0,0:00:04.00,0:00:05.00,Default,,0,0,0,,four\n"
			  "Dialogue: 0,1:00:00.00,bad,Default,,0,0,0,,broken\n";

static void test_events(void **state)
{
	(void)state;
	struct render_event *ev;
	int n = render_parse_ass_events(ass, &ev);
	assert_int_equal(n, 4);
	assert_int_equal(ev[0].start_ms, 0);
	assert_int_equal(ev[0].end_ms, 1000);
	assert_int_equal(ev[1].start_ms, 1000);
	assert_int_equal(ev[1].end_ms, 2500);
	assert_int_equal(ev[2].start_ms, 2000);
	assert_int_equal(ev[2].end_ms, 2100);
	assert_int_equal(ev[3].start_ms, 4000);
	free(ev);
}

/* The cue images' script: each cue's events, in file order, timed to
 * show on its frame of the canvas alone; every cue's set is the same as
 * on the timeline. */
static void test_cues_ass(void **state)
{
	(void)state;
	struct render_event *ev;
	int n = render_parse_ass_events(ass, &ev);
	struct render_cue *c;
	int nc = render_cue_intervals(ev, n, 140, &c);
	char *out = render_cues_ass(ass, c, nc);
	/* the header is kept, the broken line is not copied */
	assert_non_null(strstr(out, "[Events]"));
	assert_null(strstr(out, "broken"));
	struct render_event *cev;
	int cn = render_parse_ass_events(out, &cev);
	/* cue 0: one; 1: two; 2: two and hi; 3: two; 4: four */
	assert_int_equal(cn, 6);
	assert_non_null(strstr(out, "Dialogue: 1,0:00:00.06,0:00:00.10,Default,,0,0,0,,{\\c}hi\n"));
	for (int k = 0; k < nc; k++) {
		int64_t t = render_frame_ms(k);
		int on = 0;
		for (int i = 0; i < cn; i++) {
			bool shows = cev[i].start_ms <= t && t < cev[i].end_ms;
			on += shows;
			/* and not on the frame before */
			if (k > 0)
				assert_false(cev[i].start_ms <= render_frame_ms(k - 1) &&
					     render_frame_ms(k - 1) < cev[i].end_ms && shows);
		}
		assert_int_equal(on, k == 2 ? 2 : 1);
	}
	free(cev);
	free(out);
	free(c);
	free(ev);
}

static void test_intervals(void **state)
{
	(void)state;
	struct render_event *ev;
	int n = render_parse_ass_events(ass, &ev);
	struct render_cue *c;
	int nc = render_cue_intervals(ev, n, 140, &c);
	/* [0,30) one; [30,60) two; [60,63) two+hi; [63,75) two; [120,140) four
	 * (cut at the end of the video) */
	assert_int_equal(nc, 5);
	int want[5][2] = { { 0, 30 }, { 30, 60 }, { 60, 63 }, { 63, 75 }, { 120, 140 } };
	for (int k = 0; k < nc; k++) {
		assert_int_equal(c[k].start, want[k][0]);
		assert_int_equal(c[k].end, want[k][1]);
		assert_int_equal(c[k].image, k);
	}
	/* every frame agrees with the rule start <= t(n) < end */
	for (int f = 0; f < 140; f++) {
		int64_t t = render_frame_ms(f);
		int shown = 0, in = 0;
		for (int i = 0; i < n; i++)
			shown |= ev[i].start_ms <= t && t < ev[i].end_ms;
		for (int k = 0; k < nc; k++)
			in |= c[k].start <= f && f < c[k].end;
		assert_int_equal(shown, in);
	}
	free(c);
	free(ev);
	/* an empty event (start == end) shows nothing */
	struct render_event e0 = { 500, 500 };
	assert_int_equal(render_cue_intervals(&e0, 1, 100, &c), 0);
	free(c);
}

static void test_segments(void **state)
{
	(void)state;
	int frames[3] = { 90, 120, 60 }, starts[3] = { 0, 90, 210 };
	struct render_seg *s;
	/* as many lanes as scenes: a segment a scene */
	int n = render_plan_segments(frames, starts, 3, 15, 3, &s);
	assert_int_equal(n, 3);
	assert_int_equal(s[0].start, 0);
	assert_int_equal(s[0].frames, 90);
	assert_int_equal(s[0].nscenes, 1);
	assert_int_equal(s[0].xfade, 15);
	assert_int_equal(s[1].start, 90);
	assert_int_equal(s[2].start, 210);
	assert_int_equal(s[2].xfade, 0); /* the last scene fades into nothing */
	int sum = 0;
	for (int i = 0; i < n; i++)
		sum += s[i].frames;
	assert_int_equal(sum, 270);
	free(s);
	/* more lanes than scenes: still a segment a scene */
	assert_int_equal(render_plan_segments(frames, starts, 3, 15, 8, &s), 3);
	free(s);
	/* 2 lanes: [90] [120 60], the longest 180 (not [90 120] [60], 210) */
	assert_int_equal(render_plan_segments(frames, starts, 3, 15, 2, &s), 2);
	assert_int_equal(s[0].nscenes, 1);
	assert_int_equal(s[0].xfade, 15);
	assert_int_equal(s[1].scene, 1);
	assert_int_equal(s[1].nscenes, 2);
	assert_int_equal(s[1].start, 90);
	assert_int_equal(s[1].frames, 180);
	assert_int_equal(s[1].xfade, 0);
	free(s);
	/* aura's 60 s video (7 cards) on 2 lanes: 4 scenes and 3 */
	int f7[7] = { 213, 297, 218, 265, 231, 334, 242 }, s7[7];
	for (int i = 0, at = 0; i < 7; at += f7[i++])
		s7[i] = at;
	assert_int_equal(render_plan_segments(f7, s7, 7, 15, 2, &s), 2);
	assert_int_equal(s[0].nscenes, 4);
	assert_int_equal(s[0].frames, 993);
	assert_int_equal(s[1].start, 993);
	assert_int_equal(s[1].frames, 807);
	free(s);
	/* one lane: one segment */
	assert_int_equal(render_plan_segments(f7, s7, 7, 15, 1, &s), 1);
	assert_int_equal(s[0].frames, 1800);
	free(s);
}

static void test_split_rule(void **state)
{
	(void)state;
	assert_true(render_split(false, 3, 2, 600));
	assert_false(render_split(true, 3, 2, 600));  /* segments = off */
	assert_false(render_split(false, 1, 8, 600)); /* one scene */
	assert_false(render_split(false, 3, 1, 600)); /* one lane */
	assert_false(render_split(false, 3, 8, RENDER_SPLIT_MIN_FRAMES - 1));
	assert_true(render_split(false, 3, 8, RENDER_SPLIT_MIN_FRAMES));
}

static void test_seg_threads(void **state)
{
	(void)state;
	assert_int_equal(render_seg_threads(2, 2), 1); /* a core each */
	assert_int_equal(render_seg_threads(2, 4), 1); /* never 0 */
	assert_int_equal(render_seg_threads(8, 3), 2); /* the CPUs shared out */
	assert_int_equal(render_seg_threads(8, 2), 4);
	assert_int_equal(render_seg_threads(0, 2), 0); /* a Slurm pool: x264's choice */
	assert_int_equal(render_seg_threads(4, 1), 0); /* one left: x264's choice */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_ms),    cmocka_unit_test(test_events),
		cmocka_unit_test(test_intervals),   cmocka_unit_test(test_cues_ass),
		cmocka_unit_test(test_segments),    cmocka_unit_test(test_split_rule),
		cmocka_unit_test(test_seg_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
