/*
 * utf8.c -- UTF-8 decoding, validation and display width.
 *
 * The width table is a deliberate approximation of Unicode's East Asian
 * Width and emoji data (what wcwidth() gives in a UTF-8 locale), kept
 * small and locale-free so that captions wrap the same way under any
 * LANG. Characters it gets wrong are rare symbols, off by one column.
 *
 * Must never: consult the locale, or read past the terminating NUL.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "base/util.h"

size_t utf8_next(const char *str, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char c = s[0];
	if (c == 0) {
		*cp = 0;
		return 0;
	}
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t n;
	uint32_t v, min;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2, v = c & 0x1F, min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3, v = c & 0x0F, min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4, v = c & 0x07, min = 0x10000;
	} else {
		*cp = UTF8_REPLACEMENT;
		return 1;
	}
	/* stops at a NUL too: 0x00 is not a continuation byte */
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*cp = UTF8_REPLACEMENT;
			return 1;
		}
		v = (v << 6) | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
		*cp = UTF8_REPLACEMENT;
		return 1;
	}
	*cp = v;
	return n;
}

bool utf8_valid(const char *s, size_t *bad_offset)
{
	size_t off = 0;
	while (s[off]) {
		uint32_t cp;
		size_t n = utf8_next(s + off, &cp);
		/* a real U+FFFD takes three bytes; a replacement for a bad byte one */
		if (cp == UTF8_REPLACEMENT && n == 1) {
			if (bad_offset)
				*bad_offset = off;
			return false;
		}
		off += n;
	}
	return true;
}

char *utf8_repair(const char *s)
{
	if (!s)
		return NULL;
	/* at most three bytes for each one: U+FFFD is EF BF BD */
	char *out = xmalloc(strlen(s) * 3 + 1), *o = out;
	while (*s) {
		uint32_t cp;
		size_t n = utf8_next(s, &cp);
		if (cp == UTF8_REPLACEMENT && n == 1) {
			memcpy(o, "\xEF\xBF\xBD", 3);
			o += 3;
		} else {
			memcpy(o, s, n);
			o += n;
		}
		s += n;
	}
	*o = '\0';
	return out;
}

struct range {
	uint32_t lo, hi;
};

/* Combining marks, zero-width and format characters, variation
 * selectors, emoji skin-tone modifiers (they merge with the emoji before
 * them), Hangul medial and final jamo. */
/* the range tables read best four to a line */
/* clang-format off */
static const struct range zero_width[] = {
	{0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x05BF, 0x05BF},
	{0x05C1, 0x05C2}, {0x05C4, 0x05C5}, {0x05C7, 0x05C7}, {0x0610, 0x061A},
	{0x061C, 0x061C}, {0x064B, 0x065F}, {0x0670, 0x0670}, {0x06D6, 0x06DC},
	{0x06DF, 0x06E4}, {0x06E7, 0x06E8}, {0x06EA, 0x06ED}, {0x0711, 0x0711},
	{0x0730, 0x074A}, {0x07A6, 0x07B0}, {0x0900, 0x0902}, {0x093A, 0x093A},
	{0x093C, 0x093C}, {0x0941, 0x0948}, {0x094D, 0x094D}, {0x0951, 0x0957},
	{0x0962, 0x0963}, {0x0981, 0x0981}, {0x09BC, 0x09BC}, {0x09C1, 0x09C4},
	{0x09CD, 0x09CD}, {0x0E31, 0x0E31}, {0x0E34, 0x0E3A}, {0x0E47, 0x0E4E},
	{0x1160, 0x11FF}, {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF}, {0x200B, 0x200F},
	{0x202A, 0x202E}, {0x2060, 0x2064}, {0x20D0, 0x20FF}, {0xFE00, 0xFE0F},
	{0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF}, {0x1F3FB, 0x1F3FF}, {0xE0000, 0xE007F},
	{0xE0100, 0xE01EF},
};

/* East Asian Wide and Fullwidth, and emoji with emoji presentation. */
static const struct range wide[] = {
	{0x1100, 0x115F}, {0x231A, 0x231B}, {0x2329, 0x232A}, {0x23E9, 0x23EC},
	{0x23F0, 0x23F0}, {0x23F3, 0x23F3}, {0x25FD, 0x25FE}, {0x2614, 0x2615},
	{0x2648, 0x2653}, {0x267F, 0x267F}, {0x2693, 0x2693}, {0x26A1, 0x26A1},
	{0x26AA, 0x26AB}, {0x26BD, 0x26BE}, {0x26C4, 0x26C5}, {0x26CE, 0x26CE},
	{0x26D4, 0x26D4}, {0x26EA, 0x26EA}, {0x26F2, 0x26F3}, {0x26F5, 0x26F5},
	{0x26FA, 0x26FA}, {0x26FD, 0x26FD}, {0x2705, 0x2705}, {0x270A, 0x270B},
	{0x2728, 0x2728}, {0x274C, 0x274C}, {0x274E, 0x274E}, {0x2753, 0x2755},
	{0x2757, 0x2757}, {0x2795, 0x2797}, {0x27B0, 0x27B0}, {0x27BF, 0x27BF},
	{0x2B1B, 0x2B1C}, {0x2B50, 0x2B50}, {0x2B55, 0x2B55}, {0x2E80, 0x303E},
	{0x3041, 0x33FF}, {0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xA000, 0xA4CF},
	{0xA960, 0xA97F}, {0xAC00, 0xD7A3}, {0xF900, 0xFAFF}, {0xFE10, 0xFE19},
	{0xFE30, 0xFE6F}, {0xFF00, 0xFF60}, {0xFFE0, 0xFFE6}, {0x16FE0, 0x16FE4},
	{0x17000, 0x18AFF}, {0x1B000, 0x1B2FF}, {0x1F004, 0x1F004}, {0x1F0CF, 0x1F0CF},
	{0x1F18E, 0x1F18E}, {0x1F191, 0x1F19A}, {0x1F200, 0x1F251}, {0x1F300, 0x1F64F},
	{0x1F680, 0x1F6FF}, {0x1F7E0, 0x1F7EB}, {0x1F900, 0x1F9FF}, {0x1FA70, 0x1FAFF},
	{0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
};
/* clang-format on */

static bool in_table(uint32_t cp, const struct range *t, size_t n)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (cp < t[mid].lo)
			hi = mid;
		else if (cp > t[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

int utf8_cp_width(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
		return 0;
	if (cp < 0x300)
		return 1;
	if (in_table(cp, zero_width, sizeof(zero_width) / sizeof(zero_width[0])))
		return 0;
	if (in_table(cp, wide, sizeof(wide) / sizeof(wide[0])))
		return 2;
	return 1;
}

int utf8_width(const char *s)
{
	int w = 0;
	uint32_t cp;
	for (size_t n; (n = utf8_next(s, &cp)) > 0; s += n)
		w += utf8_cp_width(cp);
	return w;
}

size_t utf8_length(const char *s)
{
	size_t len = 0;
	uint32_t cp;
	for (size_t n; (n = utf8_next(s, &cp)) > 0; s += n)
		len++;
	return len;
}
