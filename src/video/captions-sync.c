/*
 * captions-sync.c -- cue starts moved onto the speech they show: speech
 * onsets read from FFmpeg's silencedetect lines (silence_end), and each
 * cue boundary snapped to the nearest onset its neighbours allow.
 *
 * Must never: make cues overlap, leave their scene, or shorten a cue
 * under CAPTIONS_MIN_CUE_MS. Pure: no I/O.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "video/captions.h"

/* Every "KEY: SECONDS" (silencedetect's log line) or "lavfi.KEY=SECONDS"
 * (its frame metadata, as ametadata prints it) in text, increasing, as
 * ms; at most max. */
static int parse_times(const char *text, const char *key, int64_t *out, int max)
{
	int n = 0;
	const char *p = text ? text : "";
	size_t klen = strlen(key);
	while (n < max && (p = strstr(p, key)) != NULL) {
		p += klen;
		if (*p == ':' || *p == '=')
			p++;
		else
			continue; /* silence_duration, or a longer name */
		char *end;
		double s = strtod(p, &end);
		if (end != p && isfinite(s) && s >= 0 && s < 1e12) {
			int64_t ms = (int64_t)(s * 1000 + 0.5);
			if (n == 0 || ms > out[n - 1])
				out[n++] = ms;
		}
		p = end != p ? end : p + 1;
	}
	return n;
}

int captions_parse_onsets(const char *text, int64_t *out, int max)
{
	return parse_times(text, "silence_end", out, max);
}

int captions_parse_pauses(const char *text, int64_t *out, int max)
{
	return parse_times(text, "silence_start", out, max);
}

void captions_speech_ends(struct caption_cue *cues, int n, const int64_t *onsets, int n_onsets,
			  const int64_t *pauses, int n_pauses)
{
	for (int i = 0; i < n; i++) {
		struct caption_cue *c = &cues[i];
		c->speech_end_ms = 0;
		/* the last pause that starts inside the cue, after its first
		 * word, with no onset after it before the cue ends */
		int64_t best = -1;
		for (int k = 0; k < n_pauses; k++)
			if (pauses[k] > c->start_ms + CAPTIONS_MIN_WORD_MS && pauses[k] < c->end_ms)
				best = pauses[k];
		if (best < 0)
			continue;
		bool again = false;
		for (int k = 0; k < n_onsets && !again; k++)
			again = onsets[k] > best && onsets[k] < c->end_ms;
		if (!again)
			c->speech_end_ms = best;
	}
}

/* The onset in [lo, hi] nearest to want, or -1. */
static int64_t nearest(const int64_t *on, int n, int64_t want, int64_t lo, int64_t hi)
{
	int64_t best = -1;
	for (int i = 0; i < n; i++) {
		if (on[i] < lo || on[i] > hi)
			continue;
		if (best < 0 || llabs(on[i] - want) < llabs(best - want))
			best = on[i];
	}
	return best;
}

void captions_align(struct caption_cue *cues, int n, const int64_t *onsets, int n_onsets)
{
	const int64_t m = CAPTIONS_MIN_CUE_MS;
	if (n <= 0)
		return;
	/* the first cue waits for the first word */
	if (cues[0].end_ms - cues[0].start_ms >= m) {
		int64_t o = nearest(onsets, n_onsets, cues[0].start_ms, cues[0].start_ms,
				    cues[0].end_ms - m);
		if (o > cues[0].start_ms)
			cues[0].start_ms = o;
	}
	/* each later boundary onto the onset nearest to it that keeps both
	 * neighbours at least the minimum long */
	for (int k = 1; k < n; k++) {
		int64_t lo = cues[k - 1].start_ms + m, hi = cues[k].end_ms - m;
		if (lo > hi)
			continue;
		int64_t o = nearest(onsets, n_onsets, cues[k].start_ms, lo, hi);
		if (o >= 0)
			cues[k - 1].end_ms = cues[k].start_ms = o;
	}
}
