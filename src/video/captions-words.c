/*
 * captions-words.c -- word timing inside a cue when the voice gives none:
 * each word's share of the cue is its estimated syllables (for the
 * `shorts` style, which shows the word being spoken).
 *
 * Must never: let words overlap, leave the cue, or give a word no units.
 * Pure: no I/O.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "video/captions.h"
#include "base/utf8.h"

static bool is_vowel(uint32_t cp)
{
	if (cp < 0x80)
		return strchr("aeiouy", tolower((int)cp)) != NULL && cp != 0;
	/* Latin-1 and Latin Extended-A letters: the accented vowels */
	return (cp >= 0xC0 && cp <= 0xC6) || (cp >= 0xC8 && cp <= 0xCF) ||
	       (cp >= 0xD2 && cp <= 0xD6) || (cp >= 0xD8 && cp <= 0xDD) ||
	       (cp >= 0xE0 && cp <= 0xE6) || (cp >= 0xE8 && cp <= 0xEF) ||
	       (cp >= 0xF2 && cp <= 0xF6) || (cp >= 0xF8 && cp <= 0xFD) || cp == 0xFF;
}

static bool is_letter(uint32_t cp)
{
	return (cp < 0x80 && isalpha((int)cp)) || (cp >= 0xC0 && cp != 0xD7 && cp != 0xF7);
}

int captions_syllables(const char *word, size_t len)
{
	int groups = 0, wide = 0, letters = 0;
	bool in_vowel = false;
	uint32_t prev = 0, prev2 = 0, cp;
	size_t off = 0;
	while (off < len) {
		size_t n = utf8_next(word + off, &cp);
		if (n == 0)
			break;
		off += n;
		if (utf8_cp_width(cp) == 2) {
			wide++; /* CJK: a character is a syllable */
			in_vowel = false;
			continue;
		}
		if (!is_letter(cp)) {
			in_vowel = false;
			continue;
		}
		letters++;
		bool v = is_vowel(cp);
		if (v && !in_vowel)
			groups++;
		in_vowel = v;
		prev2 = prev;
		prev = cp;
	}
	/* a final silent e ("make", "time"), but not "-le" ("table") */
	if (groups > 1 && letters > 2 && tolower((int)(prev & 0x7F)) == 'e' && prev < 0x80 &&
	    !(prev2 < 0x80 && tolower((int)prev2) == 'l') && !(prev2 < 0x80 && is_vowel(prev2)))
		groups--;
	int units = groups + wide;
	return units > 0 ? units : 1;
}

int captions_word_times(const char *text, int64_t start_ms, int64_t end_ms,
			struct caption_word *out, int max)
{
	int n = 0, total = 0;
	const char *p = text ? text : "";
	while (*p && n < max) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		const char *s = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			p++;
		if (p == s)
			break;
		out[n].s = s;
		out[n].len = (size_t)(p - s);
		out[n].units = captions_syllables(s, out[n].len);
		total += out[n].units;
		n++;
	}
	int64_t span = end_ms > start_ms ? end_ms - start_ms : 0;
	int acc = 0;
	for (int i = 0; i < n; i++) {
		/* cumulative rounding: contiguous, and the last ends at end_ms */
		out[i].start_ms = start_ms + span * acc / total;
		acc += out[i].units;
		out[i].end_ms = start_ms + span * acc / total;
	}
	return n;
}
