/*
 * progress-fuzzer.c -- libFuzzer target for the -progress parser and the
 * tracker: any input, split at any points, gives the same blocks as when
 * fed whole; the tracker's fraction stays in range and never decreases;
 * the ETA is -1 or a finite non-negative number.
 *
 * Input: byte 0 picks the chunk size, the rest is the stream.
 * Must never: depend on anything but the input (no clock, no files).
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ff/progress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	size_t n, cap;
	struct progress *b;
};

static void keep(const struct progress *blk, void *ctx)
{
	struct seen *s = ctx;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->b = realloc(s->b, s->cap * sizeof(*s->b));
		if (!s->b)
			abort();
	}
	s->b[s->n++] = *blk;
}

static bool same(const struct progress *a, const struct progress *b)
{
	return a->frame == b->frame && a->fps == b->fps && a->bitrate_kbps == b->bitrate_kbps &&
	       a->total_size == b->total_size && a->out_time_known == b->out_time_known &&
	       a->out_time_us == b->out_time_us && a->dup_frames == b->dup_frames &&
	       a->drop_frames == b->drop_frames && a->speed == b->speed && a->end == b->end;
}

static bool sane(double v)
{
	return isfinite(v) && (v == -1 || v >= 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t step = (size_t)data[0] + 1;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;

	static struct progress_parser p;
	struct seen whole = {0}, pieces = {0};
	progress_parser_init(&p);
	if ((size_t)progress_parser_feed(&p, text, len, keep, &whole) != whole.n)
		abort();
	progress_parser_init(&p);
	for (size_t i = 0; i < len; i += step)
		progress_parser_feed(&p, text + i, len - i < step ? len - i : step, keep, &pieces);
	if (whole.n != pieces.n)
		abort();

	struct progress_tracker t;
	progress_tracker_init(&t, (int64_t)step * 1000000, 0);
	double prev = 0;
	int64_t now = 0;
	for (size_t i = 0; i < whole.n; i++) {
		const struct progress *b = &whole.b[i];
		if (!same(b, &pieces.b[i]))
			abort();
		if (!sane(b->fps) || !sane(b->speed) || !sane(b->bitrate_kbps))
			abort();
		now += (int64_t)(i % 7) * 100;
		progress_tracker_update(&t, b, now);
		double f = progress_tracker_fraction(&t);
		if (!(f >= prev && f <= PROGRESS_FRACTION_CAP))
			abort();
		prev = f;
		double eta = progress_tracker_eta_s(&t, now + 50);
		if (!sane(eta))
			abort();
		(void)progress_tracker_stalled(&t, now, 1000);
	}
	progress_tracker_finish(&t, true);
	if (progress_tracker_percent(&t) != 100)
		abort();
	free(whole.b);
	free(pieces.b);
	return 0;
}
