/*
 * log.c -- leveled, redacted, size-rotated logging to one file (normally
 * DATA/logs/aura.log), or to stderr while no file is open.
 *
 * Must never: write a registered secret, fail or abort its caller because
 * the log cannot be written (logging is best effort), call log_msg() from
 * inside itself, or be called from a signal handler (it allocates).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"

/* Shorter secrets would redact ordinary words and numbers everywhere. */
#define LOG_SECRET_MIN 4
#define LOG_REDACTED   "[REDACTED]"
/* A token of letters, digits, _ and - this long is taken for a key even if
 * it was never configured: sk-... / sk_... (OpenAI, ElevenLabs and the
 * like), or anything with upper and lower case letters and digits. */
#define LOG_KEYLIKE_PREFIXED 20
#define LOG_KEYLIKE_RANDOM   32

static struct {
	int fd;		   /* -1: no file (closed, or lost and not reopened) */
	char *path;	   /* NULL: never opened / closed -> stderr */
	uint64_t max_size; /* 0: never rotate */
	int keep;
	enum log_level level;
	bool to_stderr;
	char **secrets;
	size_t nsecrets;
} lg = { .fd = -1, .level = LOG_LEVEL_INFO };

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "ERROR",
	[LOG_LEVEL_WARN] = "WARN",
	[LOG_LEVEL_INFO] = "INFO",
	[LOG_LEVEL_DEBUG] = "DEBUG",
};

static int open_file(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

int log_open(const char *path, uint64_t max_size, int keep)
{
	int fd = open_file(path);
	if (fd < 0)
		return -1;
	log_close();
	lg.fd = fd;
	lg.path = xstrdup(path);
	lg.max_size = max_size;
	lg.keep = keep < 0 ? 0 : keep;
	return 0;
}

void log_close(void)
{
	if (lg.fd >= 0)
		close(lg.fd);
	lg.fd = -1;
	free(lg.path);
	lg.path = NULL;
}

void log_set_level(enum log_level level)
{
	lg.level = level;
}

void log_set_stderr(bool on)
{
	lg.to_stderr = on;
}

void log_add_secret(const char *secret)
{
	if (!secret || strlen(secret) < LOG_SECRET_MIN)
		return;
	for (size_t i = 0; i < lg.nsecrets; i++)
		if (strcmp(lg.secrets[i], secret) == 0)
			return;
	lg.secrets = xrealloc(lg.secrets, (lg.nsecrets + 1) * sizeof(*lg.secrets));
	lg.secrets[lg.nsecrets++] = xstrdup(secret);
}

void log_clear_secrets(void)
{
	for (size_t i = 0; i < lg.nsecrets; i++) {
		/* Don't leave the keys lying in freed heap memory. */
		explicit_bzero(lg.secrets[i], strlen(lg.secrets[i]));
		free(lg.secrets[i]);
	}
	free(lg.secrets);
	lg.secrets = NULL;
	lg.nsecrets = 0;
}

/*
 * A secret can come back from a service in another spelling than the one
 * configured: JSON-escaped (\/ \" \\ \uXXXX, mixed with raw bytes as
 * encoders please) or URL-encoded (%XX in either case, '+' for a space).
 * Rather than list the encodings of every secret, the matcher decodes the
 * text as it compares, in four modes: raw, JSON, URL, and both.
 */
enum { DEC_JSON = 1, DEC_URL = 2, DEC__ALL = 3 };

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The 4 hex digits at s (n bytes left) as a number, or -1. */
static long hex4(const char *s, size_t n)
{
	long v = 0;
	if (n < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int d = hex_digit(s[i]);
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static size_t utf8_put(unsigned char *out, long cp)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | (cp >> 6));
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | (cp >> 12));
		out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | (cp >> 18));
	out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A JSON escape at s (n bytes left, s[0] == '\\'): its bytes into out,
 * returns its length in s; 0 if it is not one. */
static size_t json_unit(const char *s, size_t n, unsigned char *out, size_t *olen)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	if (n < 2)
		return 0;
	const char *e = strchr(from, s[1]);
	if (s[1] && e) {
		out[0] = (unsigned char)to[e - from];
		*olen = 1;
		return 2;
	}
	if (s[1] != 'u')
		return 0;
	long cp = hex4(s + 2, n - 2);
	if (cp < 0)
		return 0;
	if (cp >= 0xd800 && cp < 0xdc00) { /* a surrogate pair */
		long lo = n >= 12 && s[6] == '\\' && s[7] == 'u' ? hex4(s + 8, n - 8) : -1;
		if (lo < 0xdc00 || lo > 0xdfff)
			return 0;
		*olen = utf8_put(out, 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00));
		return 12;
	}
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return 0;
	*olen = utf8_put(out, cp);
	return 6;
}

/*
 * The length of the text at s[i..n) that spells secret k in the given
 * modes, or 0. Each unit of the text (a raw byte or one escape) must stand
 * for the next bytes of k; in URL mode a '+' stands for '+' or a space.
 */
static size_t match_secret(const char *s, size_t n, size_t i, const char *k, size_t kl, int mode)
{
	size_t p = i, j = 0;
	while (j < kl) {
		if (p >= n)
			return 0;
		unsigned char d[4];
		size_t dl = 0, used = 0;
		if ((mode & DEC_JSON) && s[p] == '\\') {
			used = json_unit(s + p, n - p, d, &dl);
		} else if ((mode & DEC_URL) && s[p] == '%' && n - p >= 3 &&
			   hex_digit(s[p + 1]) >= 0 && hex_digit(s[p + 2]) >= 0) {
			d[0] = (unsigned char)(hex_digit(s[p + 1]) * 16 + hex_digit(s[p + 2]));
			dl = 1;
			used = 3;
		}
		if (!used) {
			bool space = (mode & DEC_URL) && s[p] == '+' && k[j] == ' ';
			d[0] = space ? ' ' : (unsigned char)s[p];
			dl = 1;
			used = 1;
		}
		if (dl > kl - j || memcmp(d, k + j, dl) != 0)
			return 0;
		j += dl;
		p += used;
	}
	return p - i;
}

static bool token_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '-';
}

bool log_looks_like_key(const char *s, size_t n)
{
	bool upper = false, lower = false, digit = false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!token_char(c))
			return false;
		upper |= isupper(c) != 0;
		lower |= islower(c) != 0;
		digit |= isdigit(c) != 0;
	}
	if (n >= LOG_KEYLIKE_PREFIXED && (strncmp(s, "sk-", 3) == 0 || strncmp(s, "sk_", 3) == 0))
		return true;
	return n >= LOG_KEYLIKE_RANDOM && upper && lower && digit;
}

/* Mark the key-like tokens of s (maximal runs of letters, digits, _ and -). */
static void mark_keylike(const char *s, size_t n, bool **mask)
{
	for (size_t i = 0; i < n;) {
		if (!token_char((unsigned char)s[i])) {
			i++;
			continue;
		}
		size_t j = i;
		while (j < n && token_char((unsigned char)s[j]))
			j++;
		if (log_looks_like_key(s + i, j - i)) {
			if (!*mask)
				*mask = xcalloc(n, sizeof(**mask));
			memset(*mask + i, 1, (j - i) * sizeof(**mask));
		}
		i = j;
	}
}

/*
 * Mark every byte covered by any occurrence of any secret, in any spelling
 * (overlapping and self-overlapping occurrences included), and every
 * key-like token, then replace each maximal run of marked bytes by one
 * [REDACTED]. Replacing secret by secret instead would leak the tail of a
 * secret that overlaps another one already replaced.
 */
char *log_redact(const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s);
	if (n == 0)
		return xstrdup(s);

	bool *mask = NULL;
	for (size_t k = 0; k < lg.nsecrets; k++) {
		const char *sec = lg.secrets[k];
		size_t sl = strlen(sec);
		for (size_t i = 0; i < n; i++) {
			for (int mode = 0; mode <= DEC__ALL; mode++) {
				size_t len = match_secret(s, n, i, sec, sl, mode);
				if (!len)
					continue;
				if (!mask)
					mask = xcalloc(n, sizeof(*mask));
				memset(mask + i, 1, len * sizeof(*mask));
			}
		}
	}
	mark_keylike(s, n, &mask);
	if (!mask)
		return xstrdup(s);

	struct buf b;
	buf_init(&b);
	buf_reserve(&b, n);
	for (size_t i = 0; i < n;) {
		if (!mask[i]) {
			size_t j = i;
			while (j < n && !mask[j])
				j++;
			buf_append(&b, s + i, j - i);
			i = j;
		} else {
			while (i < n && mask[i])
				i++;
			buf_puts(&b, LOG_REDACTED);
		}
	}
	free(mask);
	return b.data;
}

/* Write all of p, retrying on EINTR and short writes; give up otherwise. */
static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static char *numbered(const char *path, int i)
{
	return xasprintf("%s.%d", path, i);
}

/* aura.log.(keep-1) -> .keep ... aura.log -> .1, then a fresh aura.log. */
static void rotate(void)
{
	close(lg.fd);
	lg.fd = -1;
	if (lg.keep == 0) {
		unlink(lg.path);
	} else {
		char *oldest = numbered(lg.path, lg.keep);
		unlink(oldest);
		free(oldest);
		for (int i = lg.keep - 1; i >= 1; i--) {
			char *from = numbered(lg.path, i);
			char *to = numbered(lg.path, i + 1);
			rename(from, to); /* a gap in the series is fine */
			free(from);
			free(to);
		}
		char *first = numbered(lg.path, 1);
		rename(lg.path, first);
		free(first);
	}
	lg.fd = open_file(lg.path);
}

/*
 * Make lg.fd ready for a line of len bytes: reopen the file if it was lost
 * or deleted behind our back (so the log does not vanish into an unlinked
 * inode), and rotate first if the line would push it past max_size. The
 * size is taken from fstat, not a counter, because several aura processes
 * (server, CLI clients) append to the same file.
 */
static void prepare_file(size_t len)
{
	struct stat st;
	if (lg.fd >= 0 && (fstat(lg.fd, &st) < 0 || st.st_nlink == 0)) {
		close(lg.fd);
		lg.fd = -1;
	}
	if (lg.fd < 0) {
		lg.fd = open_file(lg.path);
		if (lg.fd < 0 || fstat(lg.fd, &st) < 0)
			return;
	}
	/* An empty file is never rotated: a line longer than max_size still
	 * gets written, once, rather than rotating every file away. */
	if (lg.max_size > 0 && st.st_size > 0 && (uint64_t)st.st_size + len > lg.max_size)
		rotate();
}

/* Control characters other than \n and \t would corrupt a terminal or the
 * line structure a reader greps for; show them as \xNN. */
static void append_escaped(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == '\n')
		n--; /* the line's own newline is added by the caller */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
			char esc[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
			buf_append(b, esc, sizeof(esc));
		} else {
			buf_append(b, &s[i], 1);
		}
	}
}

static void format_time(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t len = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + len, n - len, ".%03dZ", (int)(ts.tv_nsec / 1000000) % 1000);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level > lg.level || (unsigned)level >= ARRAY_LEN(level_names))
		return;

	int saved_errno = errno; /* callers log and then report errno */
	va_list ap;
	va_start(ap, fmt);
	char *raw = xvasprintf(fmt, ap);
	va_end(ap);
	char *clean = log_redact(raw);
	explicit_bzero(raw, strlen(raw));
	free(raw);

	char ts[64];
	format_time(ts, sizeof(ts));
	struct buf line;
	buf_init(&line);
	buf_printf(&line, "%s %s [%ld] ", ts, level_names[level], (long)getpid());
	append_escaped(&line, clean);
	buf_puts(&line, "\n");
	free(clean);

	if (lg.path) {
		prepare_file(line.len);
		if (lg.fd >= 0)
			write_all(lg.fd, line.data, line.len);
	}
	if (!lg.path || lg.to_stderr)
		write_all(STDERR_FILENO, line.data, line.len);
	buf_free(&line);
	errno = saved_errno;
}
