/*
 * test-progress.c -- the -progress parser on real FFmpeg 5.1 output (fed
 * whole, byte by byte and split at every byte), line endings, over-long
 * lines, garbage and N/A; the tracker's monotonic clamped percent, its
 * ETA (unknown, then converging on a steady rate), the stall verdict, and
 * progress_scale.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ff/progress.h"
#include "base/util.h"

/* Captured with:
 *   ffmpeg -hide_banner -f lavfi -i testsrc=d=2:s=64x64:r=10 -f null - \
 *          -progress pipe:1 -nostats            (FFmpeg 5.1.9) */
static const char NULL_RUN[] = "frame=1\n"
			       "fps=0.00\n"
			       "stream_0_0_q=-0.0\n"
			       "bitrate=N/A\n"
			       "total_size=N/A\n"
			       "out_time_us=100000\n"
			       "out_time_ms=100000\n"
			       "out_time=00:00:00.100000\n"
			       "dup_frames=0\n"
			       "drop_frames=0\n"
			       "speed=N/A\n"
			       "progress=continue\n"
			       "frame=20\n"
			       "fps=0.00\n"
			       "stream_0_0_q=-0.0\n"
			       "bitrate=N/A\n"
			       "total_size=N/A\n"
			       "out_time_us=2000000\n"
			       "out_time_ms=2000000\n"
			       "out_time=00:00:02.000000\n"
			       "dup_frames=0\n"
			       "drop_frames=0\n"
			       "speed=3.85e+03x\n"
			       "progress=end\n";

/* Captured with -re, libx264 + aac into out.mp4, -stats_period 0.5: the
 * lookahead holds out_time at 0 for four blocks, values are padded. */
static const char X264_RUN[] = "frame=1\n"
			       "fps=0.00\n"
			       "stream_0_0_q=0.0\n"
			       "bitrate=N/A\n"
			       "total_size=48\n"
			       "out_time_us=0\n"
			       "out_time_ms=0\n"
			       "out_time=00:00:00.000000\n"
			       "dup_frames=0\n"
			       "drop_frames=0\n"
			       "speed=   0x\n"
			       "progress=continue\n"
			       "frame=6\n"
			       "fps=0.00\n"
			       "stream_0_0_q=0.0\n"
			       "bitrate=N/A\n"
			       "total_size=48\n"
			       "out_time_us=0\n"
			       "out_time_ms=0\n"
			       "out_time=00:00:00.000000\n"
			       "dup_frames=0\n"
			       "drop_frames=0\n"
			       "speed=   0x\n"
			       "progress=continue\n"
			       "frame=11\n"
			       "fps=10.91\n"
			       "stream_0_0_q=0.0\n"
			       "bitrate=N/A\n"
			       "total_size=48\n"
			       "out_time_us=0\n"
			       "out_time_ms=0\n"
			       "out_time=00:00:00.000000\n"
			       "dup_frames=0\n"
			       "drop_frames=0\n"
			       "speed=   0x\n"
			       "progress=continue\n"
			       "frame=16\n"
			       "fps=10.54\n"
			       "stream_0_0_q=0.0\n"
			       "bitrate=N/A\n"
			       "total_size=48\n"
			       "out_time_us=0\n"
			       "out_time_ms=0\n"
			       "out_time=00:00:00.000000\n"
			       "dup_frames=0\n"
			       "drop_frames=0\n"
			       "speed=   0x\n"
			       "progress=continue\n"
			       "frame=20\n"
			       "fps=9.91\n"
			       "stream_0_0_q=0.0\n"
			       "bitrate=   0.6kbits/s\n"
			       "total_size=48\n"
			       "out_time_us=603719\n"
			       "out_time_ms=603719\n"
			       "out_time=00:00:00.603719\n"
			       "dup_frames=0\n"
			       "drop_frames=0\n"
			       "speed=0.299x\n"
			       "progress=continue\n"
			       "frame=20\n"
			       "fps=9.79\n"
			       "stream_0_0_q=-1.0\n"
			       "bitrate=  88.9kbits/s\n"
			       "total_size=22451\n"
			       "out_time_us=2020136\n"
			       "out_time_ms=2020136\n"
			       "out_time=00:00:02.020136\n"
			       "dup_frames=0\n"
			       "drop_frames=0\n"
			       "speed=0.989x\n"
			       "progress=end\n";

/* ---- helpers ---------------------------------------------------------------- */

#define MAX_BLOCKS 64

struct blocks {
	int n;
	struct progress b[MAX_BLOCKS];
};

static void collect(const struct progress *blk, void *ctx)
{
	struct blocks *bs = ctx;
	assert_true(bs->n < MAX_BLOCKS);
	bs->b[bs->n++] = *blk;
}

/* Parse text fed in pieces of `step` bytes (0: all at once). */
static void parse(const char *text, size_t len, size_t step, struct blocks *out)
{
	struct progress_parser p;
	progress_parser_init(&p);
	memset(out, 0, sizeof(*out));
	int delivered = 0;
	if (step == 0)
		step = len ? len : 1;
	for (size_t i = 0; i < len; i += step) {
		size_t k = len - i < step ? len - i : step;
		delivered += progress_parser_feed(&p, text + i, k, collect, out);
	}
	assert_int_equal(delivered, out->n);
}

static void parse_str(const char *text, struct blocks *out)
{
	parse(text, strlen(text), 0, out);
}

static void assert_same_block(const struct progress *a, const struct progress *b)
{
	assert_int_equal(a->frame, b->frame);
	assert_true(a->fps == b->fps);
	assert_true(a->bitrate_kbps == b->bitrate_kbps);
	assert_int_equal(a->total_size, b->total_size);
	assert_int_equal(a->out_time_known, b->out_time_known);
	assert_int_equal(a->out_time_us, b->out_time_us);
	assert_int_equal(a->dup_frames, b->dup_frames);
	assert_int_equal(a->drop_frames, b->drop_frames);
	assert_true(a->speed == b->speed);
	assert_int_equal(a->end, b->end);
}

static void assert_same_blocks(const struct blocks *a, const struct blocks *b)
{
	assert_int_equal(a->n, b->n);
	for (int i = 0; i < a->n; i++)
		assert_same_block(&a->b[i], &b->b[i]);
}

/* Replace every "\n" of src by `nl`. */
static char *with_newlines(const char *src, const char *nl)
{
	struct buf b;
	buf_init(&b);
	for (const char *p = src; *p; p++) {
		if (*p == '\n')
			buf_puts(&b, nl);
		else
			buf_append(&b, p, 1);
	}
	return b.data;
}

/* ---- the parser --------------------------------------------------------------- */

static void test_real_null_run(void **state)
{
	(void)state;
	struct blocks bs;
	parse_str(NULL_RUN, &bs);
	assert_int_equal(bs.n, 2);
	const struct progress *a = &bs.b[0], *b = &bs.b[1];
	assert_int_equal(a->frame, 1);
	assert_true(a->fps == 0);
	assert_int_equal(a->total_size, -1); /* N/A */
	assert_true(a->bitrate_kbps < 0);    /* N/A */
	assert_true(a->out_time_known);
	assert_int_equal(a->out_time_us, 100000);
	assert_true(a->speed < 0); /* N/A */
	assert_int_equal(a->dup_frames, 0);
	assert_false(a->end);
	assert_int_equal(b->frame, 20);
	assert_int_equal(b->out_time_us, 2000000);
	assert_true(b->speed == 3850); /* 3.85e+03x */
	assert_true(b->end);
}

static void test_real_x264_run(void **state)
{
	(void)state;
	struct blocks bs;
	parse_str(X264_RUN, &bs);
	assert_int_equal(bs.n, 6);
	for (int i = 0; i < 4; i++) {
		assert_true(bs.b[i].out_time_known);
		assert_int_equal(bs.b[i].out_time_us, 0);
		assert_true(bs.b[i].speed == 0); /* "speed=   0x" */
		assert_int_equal(bs.b[i].total_size, 48);
		assert_false(bs.b[i].end);
	}
	assert_true(bs.b[2].fps == 10.91);
	assert_true(bs.b[4].bitrate_kbps == 0.6); /* "bitrate=   0.6kbits/s" */
	assert_int_equal(bs.b[4].out_time_us, 603719);
	assert_true(bs.b[4].speed == 0.299);
	const struct progress *last = &bs.b[5];
	assert_int_equal(last->frame, 20);
	assert_true(last->bitrate_kbps == 88.9);
	assert_int_equal(last->total_size, 22451);
	assert_int_equal(last->out_time_us, 2020136);
	assert_true(last->speed == 0.989);
	assert_true(last->end);
}

static void test_any_split_equals_whole(void **state)
{
	(void)state;
	const char *runs[] = { NULL_RUN, X264_RUN };
	for (size_t r = 0; r < ARRAY_LEN(runs); r++) {
		size_t len = strlen(runs[r]);
		struct blocks whole, piece;
		parse(runs[r], len, 0, &whole);
		assert_true(whole.n >= 2);
		/* byte at a time, and odd chunk sizes */
		for (size_t step = 1; step <= 17; step++) {
			parse(runs[r], len, step, &piece);
			assert_same_blocks(&whole, &piece);
		}
		/* two feeds, split at every byte */
		for (size_t cut = 0; cut <= len; cut++) {
			struct progress_parser p;
			progress_parser_init(&p);
			memset(&piece, 0, sizeof(piece));
			progress_parser_feed(&p, runs[r], cut, collect, &piece);
			progress_parser_feed(&p, runs[r] + cut, len - cut, collect, &piece);
			assert_same_blocks(&whole, &piece);
		}
	}
}

static void test_crlf_and_lone_cr(void **state)
{
	(void)state;
	struct blocks whole;
	parse_str(X264_RUN, &whole);
	const char *endings[] = { "\r\n", "\r", "\n\n", "\r\r\n" };
	for (size_t e = 0; e < ARRAY_LEN(endings); e++) {
		char *text = with_newlines(X264_RUN, endings[e]);
		struct blocks bs;
		parse_str(text, &bs);
		assert_same_blocks(&whole, &bs);
		/* \r\n split between two feeds is still one line ending */
		parse(text, strlen(text), 1, &bs);
		assert_same_blocks(&whole, &bs);
		free(text);
	}
	/* a value is never polluted by a \r left at its end */
	struct blocks bs;
	parse_str("total_size=123\r\nprogress=end\r\n", &bs);
	assert_int_equal(bs.n, 1);
	assert_int_equal(bs.b[0].total_size, 123);
	assert_true(bs.b[0].end);
}

static void test_huge_lines_are_dropped_with_bounded_memory(void **state)
{
	(void)state;
	/* the parser holds at most one capped line: no allocation at all */
	assert_true(sizeof(struct progress_parser) < PROGRESS_LINE_MAX + 512);

	size_t big = 1 << 20;
	char *junk = xmalloc(big);
	memset(junk, 'a', big);
	/* 1 MiB without a newline, fed in chunks, then a good block: the
	 * junk line is dropped, and the lines after it parse */
	struct progress_parser p;
	struct blocks bs;
	memset(&bs, 0, sizeof(bs));
	progress_parser_init(&p);
	progress_parser_feed(&p, "frame=", 6, collect, &bs);
	for (size_t i = 0; i < big; i += 4099)
		progress_parser_feed(&p, junk, big - i < 4099 ? big - i : 4099, collect, &bs);
	const char *good = "\nframe=5\nprogress=continue\n";
	progress_parser_feed(&p, good, strlen(good), collect, &bs);
	assert_int_equal(bs.n, 1);
	assert_int_equal(bs.b[0].frame, 5);

	/* a huge digit string would overflow anyway: dropped, not misread */
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "total_size=");
	for (int i = 0; i < 5000; i++)
		buf_puts(&b, "9");
	buf_puts(&b, "\nprogress=continue\n");
	parse_str(b.data, &bs);
	assert_int_equal(bs.n, 1);
	assert_int_equal(bs.b[0].total_size, -1);
	buf_free(&b);

	/* the cap is exact: PROGRESS_LINE_MAX bytes are kept, one more is not */
	for (int extra = 0; extra <= 1; extra++) {
		buf_init(&b);
		buf_puts(&b, "frame=7");
		while (b.len < PROGRESS_LINE_MAX + (size_t)extra)
			buf_puts(&b, " "); /* trailing blanks are trimmed */
		buf_puts(&b, "\nprogress=continue\n");
		parse(b.data, b.len, 1, &bs);
		assert_int_equal(bs.n, 1);
		assert_int_equal(bs.b[0].frame, extra ? -1 : 7);
		buf_free(&b);
	}
	free(junk);
}

static void test_garbage_and_na(void **state)
{
	(void)state;
	static const char text[] = "no equals sign here\n"
				   "=5\n"
				   "frame=\n"
				   "fps=nan\n"
				   "bitrate=inf\n"
				   "dup_frames=12abc\n"
				   "drop_frames=0x10\n"
				   "speed=fastx\n"
				   "total_size=-5\n"
				   "out_time_us=N/A\n"
				   "out_time_ms=N/A\n"
				   "out_time=N/A\n"
				   "frame=99999999999999999999999\n"
				   "unknown_key=1\n"
				   "stream_0_0_q=28.0\n"
				   "\x01\x02\xff=\xfe\n"
				   "progress=continue\n"
				   "  frame =  42  \n"
				   "fps=1,5\n"
				   "out_time=12:34\n"
				   "speed=1.5\n" /* no x: not FFmpeg's format */
				   "progress=bogus\n"
				   "progress=end\n";
	struct blocks bs;
	parse_str(text, &bs);
	assert_int_equal(bs.n, 3);
	const struct progress *a = &bs.b[0];
	assert_int_equal(a->frame, -1);
	assert_true(a->fps < 0);
	assert_true(a->bitrate_kbps < 0);
	assert_int_equal(a->dup_frames, -1);
	assert_int_equal(a->drop_frames, -1);
	assert_true(a->speed < 0);
	assert_int_equal(a->total_size, -1);
	assert_false(a->out_time_known);
	assert_false(a->end);
	/* blanks around key and value are tolerated, the rest is rejected */
	assert_int_equal(bs.b[1].frame, 42);
	assert_true(bs.b[1].fps < 0);
	assert_false(bs.b[1].out_time_known);
	assert_true(bs.b[1].speed < 0);
	assert_false(bs.b[1].end); /* an unknown progress= value continues */
	/* each block starts fresh: nothing leaks from the previous one */
	assert_int_equal(bs.b[2].frame, -1);
	assert_true(bs.b[2].end);

	/* NUL bytes inside a line do not cut it short or crash */
	static const char nul[] = "frame=3\0junk\nframe=4\nprogress=continue\n";
	parse(nul, sizeof(nul) - 1, 0, &bs);
	assert_int_equal(bs.n, 1);
	assert_int_equal(bs.b[0].frame, 4);
}

static void test_out_time_keys(void **state)
{
	(void)state;
	struct blocks bs;
	/* out_time_ms is microseconds too (FFmpeg's historical quirk) */
	parse_str("out_time_ms=1500000\nprogress=continue\n", &bs);
	assert_true(bs.b[0].out_time_known);
	assert_int_equal(bs.b[0].out_time_us, 1500000);
	/* the clock form, hours beyond a day, fraction shorter than 6 digits */
	parse_str("out_time=125:01:02.5\nprogress=continue\n", &bs);
	assert_int_equal(bs.b[0].out_time_us, ((125LL * 60 + 1) * 60 + 2) * 1000000 + 500000);
	parse_str("out_time=00:00:07\nprogress=continue\n", &bs);
	assert_int_equal(bs.b[0].out_time_us, 7000000);
	/* out_time_us wins over the others, in whatever order they come */
	parse_str("out_time_us=5\nout_time=00:00:01.000000\nout_time_ms=9\nprogress=continue\n"
		  "out_time_ms=9\nout_time=00:00:01.000000\nout_time_us=5\nprogress=continue\n"
		  "out_time_ms=9\nout_time=00:00:01.000000\nprogress=continue\n",
		  &bs);
	assert_int_equal(bs.n, 3);
	assert_int_equal(bs.b[0].out_time_us, 5);
	assert_int_equal(bs.b[1].out_time_us, 5);
	assert_int_equal(bs.b[2].out_time_us, 1000000);
	/* N/A in the preferred key does not hide a good lower one */
	parse_str("out_time_us=N/A\nout_time_ms=300\nprogress=continue\n", &bs);
	assert_true(bs.b[0].out_time_known);
	assert_int_equal(bs.b[0].out_time_us, 300);
	/* AAC priming: slightly negative at the start, in both forms */
	parse_str("out_time_us=-21333\nprogress=continue\n"
		  "out_time=-00:00:00.021333\nprogress=continue\n",
		  &bs);
	assert_int_equal(bs.b[0].out_time_us, -21333);
	assert_int_equal(bs.b[1].out_time_us, -21333);
	/* malformed clocks are rejected */
	const char *bad[] = { "out_time=00:61:00.0\nprogress=continue\n",
			      "out_time=00:00:00.\nprogress=continue\n",
			      "out_time=1:2\nprogress=continue\n",
			      "out_time=00:00:00.5x\nprogress=continue\n" };
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		parse_str(bad[i], &bs);
		assert_false(bs.b[0].out_time_known);
	}
}

/* ---- the tracker --------------------------------------------------------------- */

static struct progress at(int64_t out_time_us, int64_t size, bool end)
{
	struct progress p;
	progress_clear(&p);
	p.out_time_us = out_time_us;
	p.out_time_known = true;
	p.total_size = size;
	p.end = end;
	return p;
}

static void test_percent_monotonic_and_clamped(void **state)
{
	(void)state;
	struct progress_tracker t;
	progress_tracker_init(&t, 10000000, 0);
	assert_true(progress_tracker_percent(&t) == 0);
	struct progress p = at(-21333, -1, false); /* AAC priming */
	progress_tracker_update(&t, &p, 100);
	assert_true(progress_tracker_percent(&t) == 0);
	p = at(2000000, -1, false);
	progress_tracker_update(&t, &p, 600);
	assert_float_equal(progress_tracker_percent(&t), 20.0, 1e-9);
	/* out_time going backwards never lowers the percent */
	p = at(1000000, -1, false);
	progress_tracker_update(&t, &p, 1100);
	assert_float_equal(progress_tracker_percent(&t), 20.0, 1e-9);
	p = at(5000000, -1, false);
	progress_tracker_update(&t, &p, 1600);
	assert_float_equal(progress_tracker_percent(&t), 50.0, 1e-9);
	/* past the duration (the estimate was short): held below 100 */
	p = at(12000000, -1, false);
	progress_tracker_update(&t, &p, 2100);
	assert_float_equal(progress_tracker_percent(&t), PROGRESS_FRACTION_CAP * 100, 1e-9);
	assert_true(progress_tracker_percent(&t) < 99.5); /* no rounding to 100 */
	/* progress=end is recorded, but is not success */
	p = at(12000000, -1, true);
	progress_tracker_update(&t, &p, 2600);
	assert_true(t.end);
	assert_true(progress_tracker_percent(&t) < 100);
	struct progress_tracker failed = t;
	progress_tracker_finish(&failed, false);
	assert_true(progress_tracker_percent(&failed) < 100);
	assert_true(progress_tracker_eta_s(&failed, 3000) < 0);
	progress_tracker_finish(&t, true);
	assert_true(progress_tracker_percent(&t) == 100);
	assert_true(progress_tracker_fraction(&t) == 1);
	assert_true(t.fraction == 1);
	assert_true(progress_tracker_eta_s(&t, 3000) == 0);

	/* unknown duration: no percent until success */
	progress_tracker_init(&t, 0, 0);
	p = at(5000000, -1, false);
	progress_tracker_update(&t, &p, 500);
	assert_true(progress_tracker_percent(&t) < 0);
	assert_true(progress_tracker_eta_s(&t, 500) < 0);
	progress_tracker_finish(&t, true);
	assert_true(progress_tracker_percent(&t) == 100);
}

static void test_last_values_carry_over_unknowns(void **state)
{
	(void)state;
	struct blocks bs;
	parse_str(X264_RUN, &bs);
	struct progress_tracker t;
	progress_tracker_init(&t, 2000000, 0);
	for (int i = 0; i < bs.n; i++)
		progress_tracker_update(&t, &bs.b[i], 500 * (i + 1));
	assert_int_equal(t.last.total_size, 22451);
	assert_true(t.last.fps == 9.79);
	assert_true(t.last.speed == 0.989);
	assert_true(t.end);
	/* a block with N/A fields keeps the last known ones */
	struct progress na;
	progress_clear(&na);
	progress_tracker_update(&t, &na, 4000);
	assert_int_equal(t.last.total_size, 22451);
	assert_int_equal(t.last.out_time_us, 2020136);
	assert_true(t.last.fps == 9.79);
}

static void test_eta_unknown_then_converges(void **state)
{
	(void)state;
	const int64_t dur = 120 * 1000000LL;
	struct progress_tracker t;
	progress_tracker_init(&t, dur, 0);
	int64_t now = 0, ot = 0;
	struct progress p;
	assert_true(progress_tracker_eta_s(&t, now) < 0);
	/* a start-up phase: out_time stuck at 0 (encoder lookahead) */
	for (int i = 0; i < 6; i++) {
		now += 500;
		p = at(0, 48, false);
		progress_tracker_update(&t, &p, now);
		assert_true(progress_tracker_eta_s(&t, now) < 0);
	}
	/* slow at first: 0.5x; too early for an ETA during the first second */
	now += 500;
	ot += 250000;
	p = at(ot, -1, false);
	progress_tracker_update(&t, &p, now);
	assert_true(progress_tracker_eta_s(&t, now) < 0);
	now += 500;
	ot += 250000;
	p = at(ot, -1, false);
	progress_tracker_update(&t, &p, now);
	assert_true(progress_tracker_eta_s(&t, now) < 0);
	for (int i = 0; i < 4; i++) {
		now += 500;
		ot += 250000;
		p = at(ot, -1, false);
		progress_tracker_update(&t, &p, now);
	}
	double early = progress_tracker_eta_s(&t, now);
	assert_true(early > 0);
	/* then a steady 2x: the ETA converges on (dur - ot) / 2 */
	double err_first = -1, err = -1;
	for (int i = 0; i < 80; i++) {
		now += 500;
		ot += 1000000;
		p = at(ot, -1, false);
		progress_tracker_update(&t, &p, now);
		double truth = (double)(dur - ot) / 2e6;
		double eta = progress_tracker_eta_s(&t, now);
		assert_true(eta >= 0);
		err = eta > truth ? eta - truth : truth - eta;
		if (i == 0)
			err_first = err / truth;
		err /= truth;
	}
	assert_true(err_first > 0.2); /* it had a wrong idea of the speed... */
	assert_true(err < 0.01);      /* ...and learned the real one */
	/* between blocks the ETA counts down with the wall clock */
	double e0 = progress_tracker_eta_s(&t, now);
	assert_float_equal(progress_tracker_eta_s(&t, now + 3000), e0 - 3.0, 1e-9);
	assert_true(progress_tracker_eta_s(&t, now + 10000000) == 0);
	/* blocks in a burst (closer than the sampling interval) do not
	 * produce a wild rate */
	double before = t.rate;
	p = at(ot + 3000000, -1, false);
	progress_tracker_update(&t, &p, now + 1);
	assert_true(t.rate == before);
}

static void test_eta_needs_a_second_of_samples(void **state)
{
	(void)state;
	/* blocks every 300 ms: two samples span only 600 ms, too early */
	struct progress_tracker t;
	progress_tracker_init(&t, 60000000, 0);
	struct progress p;
	int64_t now = 0;
	for (int i = 1; i <= 5; i++) {
		now += 300;
		p = at(i * 300000LL, -1, false);
		progress_tracker_update(&t, &p, now);
		/* the first block is the baseline (300 ms); samples follow */
		bool known = progress_tracker_eta_s(&t, now) >= 0;
		assert_int_equal(known, now - 300 >= 1000);
	}
	assert_float_equal(progress_tracker_eta_s(&t, now), (60.0 - 1.5) / 1.0, 1e-6);
}

static void test_stall_detection(void **state)
{
	(void)state;
	struct progress_tracker t;
	progress_tracker_init(&t, 10000000, 1000);
	struct progress p;
	/* time passes, FFmpeg keeps reporting the same point: stalled */
	for (int64_t now = 1500; now <= 7000; now += 500) {
		p = at(0, 48, false);
		progress_tracker_update(&t, &p, now);
		/* the first block's size (48) was the last advance */
		assert_int_equal(progress_tracker_stalled(&t, now, 5000), now - 1500 >= 5000);
	}
	assert_true(progress_tracker_stalled(&t, 7000, 5000));
	assert_false(progress_tracker_stalled(&t, 7000, 0)); /* disabled */

	/* out_time flat but the output grows (a long GOP being muxed): not
	 * stalled */
	progress_tracker_init(&t, 10000000, 0);
	for (int64_t now = 500, size = 1000; now <= 20000; now += 500, size += 4096) {
		p = at(3000000, size, false);
		progress_tracker_update(&t, &p, now);
		assert_false(progress_tracker_stalled(&t, now, 2000));
	}
	/* size measured by the caller (total_size=N/A) counts the same */
	progress_tracker_init(&t, 10000000, 0);
	for (int64_t now = 500, size = 1; now <= 20000; now += 500, size *= 2) {
		p = at(3000000, -1, false);
		progress_tracker_update(&t, &p, now);
		progress_tracker_note_size(&t, size, now);
		assert_false(progress_tracker_stalled(&t, now, 2000));
	}
	/* a shrinking size (a rewrite) is not progress either */
	progress_tracker_note_size(&t, 10, 21000);
	assert_true(progress_tracker_stalled(&t, 22000, 2000));
	/* out_time advancing alone is enough */
	progress_tracker_init(&t, 10000000, 0);
	for (int64_t now = 500; now <= 20000; now += 500) {
		p = at(now * 100, -1, false);
		progress_tracker_update(&t, &p, now);
		assert_false(progress_tracker_stalled(&t, now, 2000));
	}
	/* going backwards is not advancing */
	p = at(5, -1, false);
	progress_tracker_update(&t, &p, 21000);
	assert_true(progress_tracker_stalled(&t, 22000, 2000));
	/* after a pause (SIGSTOP...SIGCONT) the stall clock restarts */
	progress_tracker_rebase(&t, 60000);
	assert_false(progress_tracker_stalled(&t, 61000, 2000));
	assert_true(progress_tracker_stalled(&t, 62000, 2000));
	/* a finished process is never stalled */
	progress_tracker_finish(&t, false);
	assert_false(progress_tracker_stalled(&t, 99000, 2000));
}

static void test_scale(void **state)
{
	(void)state;
	assert_float_equal(progress_scale(0.5, 0.2, 0.4), 0.4, 1e-12);
	assert_float_equal(progress_scale(0, 0.2, 0.4), 0.2, 1e-12);
	assert_float_equal(progress_scale(1, 0.2, 0.4), 0.6, 1e-12);
	assert_float_equal(progress_scale(7, 0.2, 0.4), 0.6, 1e-12);  /* clamped */
	assert_float_equal(progress_scale(-1, 0.2, 0.4), 0.2, 1e-12); /* unknown */
	assert_float_equal(progress_scale(NAN, 0.2, 0.4), 0.2, 1e-12);
	assert_float_equal(progress_scale(1, 0.8, 0.5), 1.0, 1e-12); /* overall <= 1 */
	assert_float_equal(progress_scale(0.5, -3, 0.5), 0.25, 1e-12);
	/* stages chained in order give a non-decreasing overall fraction */
	double prev = 0;
	for (int stage = 0; stage < 4; stage++)
		for (double f = 0; f <= 1.0; f += 0.125) {
			double v = progress_scale(f, stage * 0.25, 0.25);
			assert_true(v >= prev);
			prev = v;
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_null_run),
		cmocka_unit_test(test_real_x264_run),
		cmocka_unit_test(test_any_split_equals_whole),
		cmocka_unit_test(test_crlf_and_lone_cr),
		cmocka_unit_test(test_huge_lines_are_dropped_with_bounded_memory),
		cmocka_unit_test(test_garbage_and_na),
		cmocka_unit_test(test_out_time_keys),
		cmocka_unit_test(test_percent_monotonic_and_clamped),
		cmocka_unit_test(test_last_values_carry_over_unknowns),
		cmocka_unit_test(test_eta_unknown_then_converges),
		cmocka_unit_test(test_eta_needs_a_second_of_samples),
		cmocka_unit_test(test_stall_detection),
		cmocka_unit_test(test_scale),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
