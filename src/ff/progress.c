/*
 * progress.c -- parses FFmpeg's `-progress` key=value stream into blocks,
 * and turns blocks into percent, ETA and a stall verdict (doc/progress.md).
 *
 * Must never: allocate, read a clock, do I/O, trust a value it did not
 * parse completely, or depend on the locale (FFmpeg always writes '.' as
 * the decimal point; strtod would not read it under a de_DE locale).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ff/progress.h"

/* The three keys that carry the output time, in increasing precedence.
 * out_time_ms is a historical FFmpeg quirk: despite its name it holds
 * microseconds (the same value as out_time_us); it ranks lowest in case a
 * future FFmpeg fixes its unit. out_time is HH:MM:SS.micro. */
enum { RANK_NONE, RANK_MS, RANK_CLOCK, RANK_US };

/* Rate samples closer than this are merged, so that bursts of blocks
 * (FFmpeg flushes several at once after a stall) do not give wild rates. */
#define RATE_MIN_INTERVAL_MS 250
/* Time constant of the rate's moving average: about the last 5 s weigh. */
#define RATE_TAU_MS 5000.0
/* ETA stays unknown until rate samples span this much wall time... */
#define ETA_MIN_SPAN_MS 1000
/* ...and number at least this many. */
#define ETA_MIN_SAMPLES 2
/* Below this rate (media time per wall time) the ETA is meaningless. */
#define RATE_MIN 1e-6

void progress_clear(struct progress *p)
{
	p->frame = -1;
	p->fps = -1;
	p->bitrate_kbps = -1;
	p->total_size = -1;
	p->out_time_us = 0;
	p->out_time_known = false;
	p->dup_frames = -1;
	p->drop_frames = -1;
	p->speed = -1;
	p->end = false;
}

/* ---- locale-independent number parsing ---------------------------------- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A whole signed decimal integer, all n bytes. */
static bool parse_i64(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	bool neg = false;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	if (i == n)
		return false;
	uint64_t v = 0;
	for (; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (v > (uint64_t)INT64_MAX)
		return false;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return true;
}

/*
 * A decimal number with optional fraction and exponent ("0.989",
 * "3.85e+03"), followed by exactly the given suffix ("x", "kbits/s", "").
 * No inf, no nan, no hex: only what FFmpeg prints.
 */
static bool parse_num(const char *s, size_t n, const char *suffix, double *out)
{
	size_t sl = strlen(suffix);
	if (n < sl || memcmp(s + n - sl, suffix, sl) != 0)
		return false;
	n -= sl;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	size_t i = 0;
	bool neg = false;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	uint64_t mant = 0;
	int exp10 = 0, digits = 0, sig = 0;
	for (; i < n && is_digit(s[i]); i++, digits++) {
		if (sig < 18) {
			mant = mant * 10 + (uint64_t)(s[i] - '0');
			if (mant)
				sig++;
		} else {
			exp10++;
		}
	}
	if (i < n && s[i] == '.') {
		for (i++; i < n && is_digit(s[i]); i++, digits++) {
			if (sig < 18) {
				mant = mant * 10 + (uint64_t)(s[i] - '0');
				if (mant)
					sig++;
				exp10--;
			}
		}
	}
	if (digits == 0)
		return false;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		bool eneg = false;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			eneg = s[i++] == '-';
		if (i == n || !is_digit(s[i]))
			return false;
		int e = 0;
		for (; i < n && is_digit(s[i]); i++) {
			if (e < 10000)
				e = e * 10 + (s[i] - '0');
		}
		exp10 += eneg ? -e : e;
	}
	if (i != n)
		return false;
	if (exp10 > 300 || exp10 < -300)
		return mant == 0 ? (*out = 0, true) : false;
	/* one multiplication or division by an exact power of ten rounds
	 * correctly ("0.299" == 0.299); repeated steps would not */
	double v = (double)mant, p10 = 1;
	for (int k = exp10 < 0 ? -exp10 : exp10; k > 0; k--)
		p10 *= 10;
	v = exp10 < 0 ? v / p10 : v * p10;
	if (!isfinite(v))
		return false;
	*out = neg ? -v : v;
	return true;
}

/* [-]H:MM:SS[.ffffff] into microseconds. */
static bool parse_clock(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	bool neg = false;
	if (i < n && s[i] == '-') {
		neg = true;
		i++;
	}
	int64_t part[3] = { 0, 0, 0 };
	for (int k = 0; k < 3; k++) {
		size_t start = i;
		/* hours: up to 9 digits keeps the product far from overflow */
		size_t maxd = k == 0 ? 9 : 2;
		for (; i < n && is_digit(s[i]) && i - start < maxd; i++)
			part[k] = part[k] * 10 + (s[i] - '0');
		if (i == start)
			return false;
		if (k < 2) {
			if (i == n || s[i] != ':')
				return false;
			i++;
		}
	}
	if (part[1] > 59 || part[2] > 59)
		return false;
	int64_t us = 0;
	if (i < n && s[i] == '.') {
		i++;
		int scale = 100000, nd = 0;
		for (; i < n && is_digit(s[i]); i++, nd++) {
			us += (s[i] - '0') * scale;
			scale /= 10;
		}
		if (nd == 0)
			return false;
	}
	if (i != n)
		return false;
	int64_t v = ((part[0] * 60 + part[1]) * 60 + part[2]) * 1000000 + us;
	*out = neg ? -v : v;
	return true;
}

/* ---- the parser ----------------------------------------------------------- */

void progress_parser_init(struct progress_parser *p)
{
	memset(p, 0, sizeof(*p));
	progress_clear(&p->cur);
	p->out_time_rank = RANK_NONE;
}

static bool key_is(const char *k, size_t kn, const char *name)
{
	return strlen(name) == kn && memcmp(k, name, kn) == 0;
}

static void set_out_time(struct progress_parser *p, int rank, bool ok, int64_t us)
{
	if (!ok || rank < p->out_time_rank)
		return;
	p->cur.out_time_us = us;
	p->cur.out_time_known = true;
	p->out_time_rank = rank;
}

static void nonneg_i64(const char *v, size_t vn, int64_t *field)
{
	int64_t x;
	if (parse_i64(v, vn, &x) && x >= 0)
		*field = x;
}

static void nonneg_num(const char *v, size_t vn, const char *suffix, double *field)
{
	double x;
	if (parse_num(v, vn, suffix, &x) && x >= 0)
		*field = x;
}

/* One complete line (terminator stripped). Returns 1 if it closed a block. */
static int parse_line(struct progress_parser *p, const char *s, size_t n,
		      void (*on_block)(const struct progress *blk, void *ctx), void *ctx)
{
	const char *eq = memchr(s, '=', n);
	if (!eq)
		return 0;
	const char *k = s, *v = eq + 1;
	size_t kn = (size_t)(eq - s), vn = n - kn - 1;
	while (kn > 0 && (*k == ' ' || *k == '\t'))
		k++, kn--;
	while (kn > 0 && (k[kn - 1] == ' ' || k[kn - 1] == '\t'))
		kn--;
	/* FFmpeg pads some values: "speed=   0x", "bitrate=  88.9kbits/s" */
	while (vn > 0 && (*v == ' ' || *v == '\t'))
		v++, vn--;
	while (vn > 0 && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
		vn--;

	struct progress *c = &p->cur;
	int64_t x = 0;
	if (key_is(k, kn, "progress")) {
		c->end = vn == 3 && memcmp(v, "end", 3) == 0;
		on_block(c, ctx);
		progress_clear(c);
		p->out_time_rank = RANK_NONE;
		return 1;
	} else if (key_is(k, kn, "frame")) {
		nonneg_i64(v, vn, &c->frame);
	} else if (key_is(k, kn, "fps")) {
		nonneg_num(v, vn, "", &c->fps);
	} else if (key_is(k, kn, "bitrate")) {
		nonneg_num(v, vn, "kbits/s", &c->bitrate_kbps);
	} else if (key_is(k, kn, "total_size")) {
		nonneg_i64(v, vn, &c->total_size);
	} else if (key_is(k, kn, "out_time_us")) {
		bool ok = parse_i64(v, vn, &x);
		set_out_time(p, RANK_US, ok, x);
	} else if (key_is(k, kn, "out_time_ms")) {
		bool ok = parse_i64(v, vn, &x);
		set_out_time(p, RANK_MS, ok, x);
	} else if (key_is(k, kn, "out_time")) {
		bool ok = parse_clock(v, vn, &x);
		set_out_time(p, RANK_CLOCK, ok, x);
	} else if (key_is(k, kn, "dup_frames")) {
		nonneg_i64(v, vn, &c->dup_frames);
	} else if (key_is(k, kn, "drop_frames")) {
		nonneg_i64(v, vn, &c->drop_frames);
	} else if (key_is(k, kn, "speed")) {
		nonneg_num(v, vn, "x", &c->speed);
	}
	return 0;
}

int progress_parser_feed(struct progress_parser *p, const char *data, size_t n,
			 void (*on_block)(const struct progress *blk, void *ctx), void *ctx)
{
	int blocks = 0;
	size_t i = 0;
	while (i < n) {
		/* the span up to the next terminator (or the end of data) */
		size_t j = i;
		while (j < n && data[j] != '\n' && data[j] != '\r')
			j++;
		size_t span = j - i;
		if (!p->discarding) {
			if (span > PROGRESS_LINE_MAX - p->len) {
				p->discarding = true;
				p->len = 0;
			} else {
				memcpy(p->line + p->len, data + i, span);
				p->len += span;
			}
		}
		if (j == n)
			break;
		/* a terminator: \n, \r, and \r\n alike (the empty line between
		 * \r and \n is ignored like any empty line) */
		if (!p->discarding && p->len > 0)
			blocks += parse_line(p, p->line, p->len, on_block, ctx);
		p->discarding = false;
		p->len = 0;
		i = j + 1;
	}
	return blocks;
}

/* ---- the tracker ------------------------------------------------------------ */

void progress_tracker_init(struct progress_tracker *t, int64_t duration_us, int64_t now_ms)
{
	memset(t, 0, sizeof(*t));
	t->duration_us = duration_us > 0 ? duration_us : 0;
	progress_clear(&t->last);
	t->max_size = -1;
	t->last_advance_ms = now_ms;
	t->base_ms = -1;
	t->first_rate_ms = -1;
	t->eta_s = -1;
}

void progress_tracker_note_size(struct progress_tracker *t, int64_t size, int64_t now_ms)
{
	if (size > t->max_size) {
		t->max_size = size;
		t->last_advance_ms = now_ms;
	}
}

void progress_tracker_rebase(struct progress_tracker *t, int64_t now_ms)
{
	t->last_advance_ms = now_ms;
	t->base_ms = -1;
	t->eta_s = -1;
}

static void update_rate(struct progress_tracker *t, int64_t ot, int64_t now_ms)
{
	if (t->base_ms < 0 || now_ms < t->base_ms || ot < t->base_out_us) {
		/* first point, or the clock or out_time went back: rebase */
		t->base_ms = now_ms;
		t->base_out_us = ot;
		if (t->first_rate_ms < 0)
			t->first_rate_ms = now_ms;
		return;
	}
	int64_t dt = now_ms - t->base_ms;
	if (dt < RATE_MIN_INTERVAL_MS)
		return;
	double r = (double)(ot - t->base_out_us) / ((double)dt * 1000.0);
	if (t->rate_samples == 0) {
		t->rate = r;
	} else {
		/* dt/(dt+tau) approximates 1-exp(-dt/tau): an EMA whose weight
		 * follows wall time, whatever the block period */
		double a = (double)dt / ((double)dt + RATE_TAU_MS);
		t->rate = a * r + (1 - a) * t->rate;
	}
	t->rate_samples++;
	t->base_ms = now_ms;
	t->base_out_us = ot;

	t->eta_s = -1;
	if (t->duration_us <= 0 || t->rate_samples < ETA_MIN_SAMPLES ||
	    now_ms - t->first_rate_ms < ETA_MIN_SPAN_MS || t->rate < RATE_MIN)
		return;
	int64_t left = t->duration_us - t->max_out_time_us;
	t->eta_s = left > 0 ? (double)left / t->rate / 1e6 : 0;
	t->eta_at_ms = now_ms;
}

void progress_tracker_update(struct progress_tracker *t, const struct progress *blk, int64_t now_ms)
{
	struct progress *l = &t->last;
	if (blk->frame >= 0)
		l->frame = blk->frame;
	if (blk->fps >= 0)
		l->fps = blk->fps;
	if (blk->bitrate_kbps >= 0)
		l->bitrate_kbps = blk->bitrate_kbps;
	if (blk->total_size >= 0)
		l->total_size = blk->total_size;
	if (blk->dup_frames >= 0)
		l->dup_frames = blk->dup_frames;
	if (blk->drop_frames >= 0)
		l->drop_frames = blk->drop_frames;
	if (blk->speed >= 0)
		l->speed = blk->speed;
	l->end = blk->end;
	if (blk->end)
		t->end = true;

	if (blk->total_size >= 0)
		progress_tracker_note_size(t, blk->total_size, now_ms);

	if (!blk->out_time_known)
		return;
	l->out_time_us = blk->out_time_us;
	l->out_time_known = true;
	/* encoders with priming (AAC) start slightly below zero: that never
	 * exceeds the maximum, which starts at 0, nor feeds the rate */
	int64_t ot = blk->out_time_us;
	if (ot > t->max_out_time_us) {
		t->max_out_time_us = ot;
		t->last_advance_ms = now_ms;
	}
	if (t->duration_us > 0) {
		double f = (double)t->max_out_time_us / (double)t->duration_us;
		if (f > PROGRESS_FRACTION_CAP)
			f = PROGRESS_FRACTION_CAP;
		if (f > t->fraction)
			t->fraction = f;
	}
	/* the rate starts with real output: x264's lookahead holds out_time
	 * at 0 for a while, which says nothing about the speed to come */
	if (ot > 0)
		update_rate(t, ot, now_ms);
}

void progress_tracker_finish(struct progress_tracker *t, bool succeeded)
{
	t->finished = true;
	t->succeeded = succeeded;
	if (succeeded)
		t->fraction = 1;
}

double progress_tracker_fraction(const struct progress_tracker *t)
{
	if (t->finished && t->succeeded)
		return 1;
	if (t->duration_us <= 0)
		return -1;
	return t->fraction;
}

double progress_tracker_percent(const struct progress_tracker *t)
{
	double f = progress_tracker_fraction(t);
	return f < 0 ? -1 : f * 100;
}

double progress_tracker_eta_s(const struct progress_tracker *t, int64_t now_ms)
{
	if (t->finished)
		return t->succeeded ? 0 : -1;
	if (t->eta_s < 0)
		return -1;
	double e = t->eta_s;
	if (now_ms > t->eta_at_ms)
		e -= (double)(now_ms - t->eta_at_ms) / 1000.0;
	return e > 0 ? e : 0;
}

bool progress_tracker_stalled(const struct progress_tracker *t, int64_t now_ms, int64_t stall_ms)
{
	if (t->finished || stall_ms <= 0)
		return false;
	return now_ms - t->last_advance_ms >= stall_ms;
}

double progress_scale(double stage_fraction, double stage_start, double stage_weight)
{
	/* written so that NaN fails every comparison and lands on 0 */
	double f = stage_fraction > 0 ? stage_fraction : 0;
	if (f > 1)
		f = 1;
	double s = stage_start > 0 ? stage_start : 0;
	double w = stage_weight > 0 ? stage_weight : 0;
	double v = s + w * f;
	if (!(v > 0))
		return 0;
	return v > 1 ? 1 : v;
}
