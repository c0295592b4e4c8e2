/*
 * render-plan.c -- the render stage's plan (doc/render.md): when the
 * captions change (the ASS events' times mapped onto frames exactly as
 * the subtitles filter maps frames onto times), the segments of the
 * timeline, and the rule that keeps a video in one FFmpeg run.
 *
 * Pure.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "video/render.h"
#include "video/stage.h"

int64_t render_frame_ms(int n)
{
	/* vf_subtitles: time_ms = pts * av_q2d(time_base) * 1000, passed to
	 * ass_render_frame as long long: truncated, with av_q2d's rounding
	 * (frame 3 is drawn at 99 ms, not 100) */
	double t = (double)n * (1.0 / VIDEO_FPS) * 1000;
	return (int64_t)t;
}

int render_first_frame_at(int64_t ms)
{
	if (ms <= 0)
		return 0;
	int n = (int)(ms * VIDEO_FPS / 1000);
	n = n > 2 ? n - 2 : 0;
	while (render_frame_ms(n) < ms)
		n++;
	return n;
}

/* "H:MM:SS.cc" -> ms; -1 if not a time. */
static int64_t ass_time(const char *s, const char **end)
{
	char *e;
	long h = strtol(s, &e, 10);
	if (e == s || *e != ':')
		return -1;
	long m = strtol(e + 1, &e, 10);
	if (*e != ':')
		return -1;
	long sec = strtol(e + 1, &e, 10);
	if (*e != '.')
		return -1;
	const char *c = e + 1;
	long cs = strtol(c, &e, 10);
	if (e - c != 2)
		return -1;
	*end = e;
	return ((int64_t)(h * 60 + m) * 60 + sec) * 1000 + cs * 10;
}

int render_parse_ass_events(const char *ass, struct render_event **out)
{
	int n = 0, cap = 0;
	struct render_event *ev = NULL;
	for (const char *p = ass; p && *p;) {
		const char *nl = strchr(p, '\n');
		if (strncmp(p, "Dialogue:", 9) == 0) {
			/* Dialogue: Layer,Start,End,... */
			const char *c = strchr(p, ',');
			const char *e;
			int64_t a = c ? ass_time(c + 1, &e) : -1;
			int64_t z = a >= 0 && *e == ',' ? ass_time(e + 1, &e) : -1;
			if (a >= 0 && z >= 0) {
				if (n == cap) {
					cap = cap ? 2 * cap : 64;
					ev = xrealloc(ev, (size_t)cap * sizeof(*ev));
				}
				ev[n].start_ms = a;
				ev[n].end_ms = z;
				n++;
			}
		}
		p = nl ? nl + 1 : NULL;
	}
	*out = ev;
	return n;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

int render_cue_intervals(const struct render_event *ev, int nev, int total_frames,
			 struct render_cue **out)
{
	/* every frame where some event starts or ends is a change */
	int *at = xmalloc(((size_t)nev * 2 + 2) * sizeof(*at));
	int *fs = xmalloc(((size_t)nev + 1) * sizeof(*fs));
	int *fe = xmalloc(((size_t)nev + 1) * sizeof(*fe));
	int nat = 0;
	for (int i = 0; i < nev; i++) {
		fs[i] = render_first_frame_at(ev[i].start_ms);
		fe[i] = render_first_frame_at(ev[i].end_ms);
		if (fe[i] > total_frames)
			fe[i] = total_frames;
		if (fs[i] >= fe[i])
			continue;
		at[nat++] = fs[i];
		at[nat++] = fe[i];
	}
	qsort(at, (size_t)nat, sizeof(*at), cmp_int);
	struct render_cue *c = xmalloc(((size_t)nat + 1) * sizeof(*c));
	int n = 0;
	for (int k = 0; k + 1 < nat; k++) {
		int a = at[k], z = at[k + 1];
		if (a == z)
			continue;
		bool any = false;
		for (int i = 0; i < nev && !any; i++)
			any = fs[i] <= a && a < fe[i];
		if (!any)
			continue;
		c[n].start = a;
		c[n].end = z;
		c[n].image = n;
		n++;
	}
	free(at);
	free(fs);
	free(fe);
	*out = c;
	return n;
}

/* ms as an ASS time, truncated to centiseconds. */
static void ass_time_put(struct buf *b, int64_t ms)
{
	int64_t cs = ms / 10;
	buf_printf(b, "%d:%02d:%02d.%02d", (int)(cs / 360000), (int)(cs / 6000 % 60),
		   (int)(cs / 100 % 60), (int)(cs % 100));
}

char *render_cues_ass(const char *ass, const struct render_cue *cues, int ncues)
{
	struct buf b;
	buf_init(&b);
	const char *first = strstr(ass, "\nDialogue:");
	size_t head = first ? (size_t)(first - ass) + 1 : strlen(ass);
	buf_append(&b, ass, head);
	for (int k = 0; k < ncues; k++) {
		/* frame k is drawn at render_frame_ms(k): an event from its
		 * centisecond to frame k + 1's shows on frame k alone */
		for (const char *p = first ? first + 1 : NULL; p && *p;) {
			const char *nl = strchr(p, '\n');
			size_t len = nl ? (size_t)(nl - p) : strlen(p);
			const char *c = strncmp(p, "Dialogue:", 9) == 0 ? strchr(p, ',') : NULL;
			const char *e = NULL;
			int64_t a = c ? ass_time(c + 1, &e) : -1;
			int64_t z = a >= 0 && *e == ',' ? ass_time(e + 1, &e) : -1;
			if (z >= 0 && render_first_frame_at(a) <= cues[k].start &&
			    cues[k].start < render_first_frame_at(z)) {
				buf_append(&b, p, (size_t)(c + 1 - p));
				ass_time_put(&b, render_frame_ms(k));
				buf_puts(&b, ",");
				ass_time_put(&b, render_frame_ms(k + 1));
				buf_append(&b, e, len - (size_t)(e - p));
				buf_puts(&b, "\n");
			}
			p = nl ? nl + 1 : NULL;
		}
	}
	char *out = xstrdup(b.data ? b.data : "");
	buf_free(&b);
	return out;
}

/* The groups of contiguous scenes of at most cap frames each, greedily;
 * starts[g] receives each group's first scene when non-NULL. */
static int groups_under(const int *frames, int n, int cap, int *first)
{
	int g = 0, sum = 0;
	for (int i = 0; i < n; i++) {
		if (i == 0 || sum + frames[i] > cap) {
			if (first)
				first[g] = i;
			g++;
			sum = 0;
		}
		sum += frames[i];
	}
	return g;
}

int render_plan_segments(const int *frames, const int *starts, int n, int xfade, int lanes,
			 struct render_seg **out)
{
	/* the smallest longest segment that needs at most `lanes` of them */
	int lo = 0, hi = 0;
	for (int i = 0; i < n; i++) {
		lo = frames[i] > lo ? frames[i] : lo;
		hi += frames[i];
	}
	if (lanes < 1)
		lanes = 1;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (groups_under(frames, n, mid, NULL) <= lanes)
			hi = mid;
		else
			lo = mid + 1;
	}
	int *first = xmalloc(((size_t)n + 1) * sizeof(*first));
	int k = n > 0 ? groups_under(frames, n, lo, first) : 0;
	struct render_seg *s = xmalloc(((size_t)k + 1) * sizeof(*s));
	for (int g = 0; g < k; g++) {
		int a = first[g], z = g + 1 < k ? first[g + 1] : n;
		s[g].scene = a;
		s[g].nscenes = z - a;
		s[g].start = starts[a];
		s[g].frames = 0;
		for (int i = a; i < z; i++)
			s[g].frames += frames[i];
		s[g].xfade = z < n ? xfade : 0;
	}
	free(first);
	*out = s;
	return k;
}

bool render_split(bool off, int nsegs, int lanes, int total_frames)
{
	return !off && nsegs >= 2 && lanes >= 2 && total_frames >= RENDER_SPLIT_MIN_FRAMES;
}

int render_seg_threads(int cpus, int nsegs)
{
	if (cpus <= 0 || nsegs < 2)
		return 0;
	return cpus / nsegs > 1 ? cpus / nsegs : 1;
}
