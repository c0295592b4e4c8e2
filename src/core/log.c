/*
 * log.c -- leveled, redacted, size-rotated logging to one file (normally
 * DATA/logs/aura.log), or to stderr while no file is open.
 *
 * Must never: write a registered secret, fail or abort its caller because
 * the log cannot be written (logging is best effort), call log_msg() from
 * inside itself, or be called from a signal handler (it allocates).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* Shorter secrets would redact ordinary words and numbers everywhere. */
#define LOG_SECRET_MIN 4
#define LOG_REDACTED "[REDACTED]"

static struct {
	int fd;             /* -1: no file (closed, or lost and not reopened) */
	char *path;         /* NULL: never opened / closed -> stderr */
	uint64_t max_size;  /* 0: never rotate */
	int keep;
	enum log_level level;
	bool to_stderr;
	char **secrets;
	size_t nsecrets;
} lg = {.fd = -1, .level = LOG_LEVEL_INFO};

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
 * Mark every byte covered by any occurrence of any secret (overlapping and
 * self-overlapping occurrences included), then replace each maximal run of
 * marked bytes by one [REDACTED]. Replacing secret by secret instead would
 * leak the tail of a secret that overlaps another one already replaced.
 */
char *log_redact(const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s);
	if (lg.nsecrets == 0 || n == 0)
		return xstrdup(s);

	bool *mask = NULL;
	for (size_t i = 0; i < lg.nsecrets; i++) {
		size_t sl = strlen(lg.secrets[i]);
		const char *p = s;
		while ((size_t)(p - s) + sl <= n &&
		       (p = memmem(p, n - (size_t)(p - s), lg.secrets[i], sl)) != NULL) {
			if (!mask)
				mask = xcalloc(n, sizeof(*mask));
			memset(mask + (p - s), 1, sl * sizeof(*mask));
			p++;
		}
	}
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
			char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
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
