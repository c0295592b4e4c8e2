/*
 * format.h -- what the CLI and the TUI show the same way: human formats for
 * durations, ages, sizes, times and progress, and the display width of
 * text on the user's terminal (one function, so `aura ls` lines up CJK and
 * emoji names as the TUI does).
 *
 * Must never: print (the front ends do), or keep state between calls.
 */
#ifndef AURA_CLIENT_FORMAT_H
#define AURA_CLIENT_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "base/job.h"

/* Human formats into buf (always terminated); each returns buf. */
const char *fmt_duration(char *buf, size_t n, double seconds);	   /* 1:05, 1:02:03 */
const char *fmt_age(char *buf, size_t n, int64_t since_ms);	   /* 5s, 3m, 2h, 4d */
const char *fmt_size(char *buf, size_t n, int64_t bytes);	   /* 1.2 MiB */
const char *fmt_time(char *buf, size_t n, int64_t ms);		   /* 2024-05-01 12:00:00 */
const char *fmt_percent(char *buf, size_t n, const struct job *j); /* 45%, or - */

/*
 * Columns code point cp takes on the user's terminal, as both front ends
 * show it. A control (C0, DEL, C1) takes 1: the CLI's sanitiser and the TUI
 * show it as '?' (a tab as a space). Otherwise, when the locale's codeset
 * is UTF-8 (what the terminal and curses go by), wcwidth(), and 1 for a
 * code point it does not know (the TUI draws '?'); in any other locale,
 * where wcwidth() knows no non-ASCII but the bytes still reach a UTF-8
 * terminal, the built-in table of utf8_cp_width().
 */
int fmt_cp_width(uint32_t cp);
/* Sum of fmt_cp_width() over the UTF-8 string s, decoded by utf8_next()
 * (an invalid byte is one U+FFFD: one column); 0 for NULL. */
size_t fmt_text_width(const char *s);

#endif
