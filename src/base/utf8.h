/*
 * utf8.h -- the few UTF-8 facts the script writer and the captions need:
 * decoding one code point, validation, and display width in columns.
 *
 * Must never: depend on the process locale (the server usually runs under
 * systemd's C locale, where glibc's wcwidth() answers -1 for everything
 * that is not ASCII), or read past a string's terminating NUL.
 */
#ifndef AURA_UTF8_H
#define AURA_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UTF8_REPLACEMENT 0xFFFDu

/*
 * Decode the code point at s (NUL-terminated). Returns the bytes consumed
 * (1..4; 0 only at the terminating NUL). A malformed sequence (bad lead or
 * continuation byte, overlong form, surrogate, > U+10FFFF, truncated)
 * yields U+FFFD and consumes exactly one byte.
 */
size_t utf8_next(const char *s, uint32_t *cp);

/* True if all of s is well-formed UTF-8; else *bad_offset (may be NULL)
 * receives the offset of the first bad byte. */
bool utf8_valid(const char *s, size_t *bad_offset);

/* A copy of s that is well-formed UTF-8: each byte utf8_next() refuses
 * becomes U+FFFD, the rest is kept (what the protocol's strings do, for
 * JSON, which must be UTF-8). NULL for NULL. Caller frees. */
char *utf8_repair(const char *s);

/*
 * Columns a code point takes on screen, as wcwidth() would in a UTF-8
 * locale, from a built-in table: 0 for combining marks, zero-width and
 * format characters and variation selectors; 2 for East Asian wide and
 * fullwidth characters and emoji; 1 otherwise (controls count 0).
 */
int utf8_cp_width(uint32_t cp);

/* Sum of utf8_cp_width over s. */
int utf8_width(const char *s);
/* Number of code points in s (malformed bytes count one each). */
size_t utf8_length(const char *s);

#endif
