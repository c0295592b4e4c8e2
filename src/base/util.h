/*
 * util.h -- allocation that aborts on failure, a growable byte buffer,
 * time and small string helpers shared by every module.
 *
 * Must never: return NULL from an x*() allocator, or touch curses.
 */
#ifndef AURA_UTIL_H
#define AURA_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AURA_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define ARRAY_LEN(a)	  (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s); /* xstrdup(NULL) returns NULL */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) AURA_PRINTF(1, 2);
char *xvasprintf(const char *fmt, va_list ap) AURA_PRINTF(1, 0);

/*
 * The growable array: make room for at least need elements of size bytes
 * in p, whose capacity is *cap elements. When it must grow, the capacity
 * doubles, starting at first (>= 1), until it holds need; aborts like
 * xrealloc on overflow or no memory. Returns the (maybe moved) array; new
 * elements are not cleared. Use it through XGROW:
 *	XGROW(v->items, v->n + 1, v->cap, 16);
 *	v->items[v->n++] = item;
 */
void *xgrow(void *p, size_t *cap, size_t need, size_t size, size_t first);
#define XGROW(p, need, cap, first) ((p) = xgrow((p), &(cap), (need), sizeof(*(p)), (first)))

/* Growable byte buffer; data is always NUL-terminated (not counted in len). */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};
void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) AURA_PRINTF(2, 3);
void buf_consume(struct buf *b, size_t n); /* drop n bytes from the front */
void buf_reset(struct buf *b);

/* Wall clock in milliseconds since the epoch; monotonic clock in ms. */
int64_t time_now_ms(void);
int64_t time_mono_ms(void);

/* fd helpers: set O_NONBLOCK / FD_CLOEXEC. Return 0 or -1 (errno set). */
int fd_set_nonblock(int fd);
int fd_set_cloexec(int fd);

/* Parse a size such as "10M", "512K", "2G", "1000" into bytes. 0 or -1. */
int parse_size(const char *s, uint64_t *out);
/* Parse a whole decimal number, all of s; 0 or -1. */
int parse_int64(const char *s, int64_t *out);

/* Create a directory and its parents with mode; existing is fine. 0/-1. */
int mkdir_p(const char *path, unsigned mode);
/* Remove a directory and what is in it, never following links; a missing
 * or non-directory path is left alone. */
void rm_tree(const char *dir);

/* Copy at most n-1 bytes and always terminate (like strlcpy). */
size_t str_copy(char *dst, const char *src, size_t n);
bool str_starts_with(const char *s, const char *prefix);

#endif
