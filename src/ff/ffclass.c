/*
 * ffclass.c -- classifies FFmpeg failures from the exit status and the
 * stderr tail (patterns taken from real FFmpeg 5.1 runs, see
 * tests/unit/test-ffclass.c), picks the line to show users, and keeps the
 * stderr tail in a fixed ring.
 *
 * Must never: read past the n bytes it is given, allocate for the ring,
 * or turn a non-zero exit into success.
 */
#include "config.h"

#include <string.h>
#include <sys/wait.h>

#include "base/errors.h"
#include "ff/ffclass.h"
#include "base/util.h"

/* ---- the ring ---------------------------------------------------------------- */

void ffclass_tail_init(struct ffclass_tail *t)
{
	t->start = 0;
	t->len = 0;
	t->total = 0;
}

void ffclass_tail_append(struct ffclass_tail *t, const char *data, size_t n)
{
	t->total += n;
	if (n >= FFCLASS_TAIL_MAX) {
		memcpy(t->buf, data + n - FFCLASS_TAIL_MAX, FFCLASS_TAIL_MAX);
		t->start = 0;
		t->len = FFCLASS_TAIL_MAX;
		return;
	}
	size_t w = (t->start + t->len) % FFCLASS_TAIL_MAX;
	size_t first = FFCLASS_TAIL_MAX - w;
	if (first > n)
		first = n;
	memcpy(t->buf + w, data, first);
	memcpy(t->buf, data + first, n - first);
	t->len += n;
	if (t->len > FFCLASS_TAIL_MAX) {
		/* the oldest bytes were overwritten: the start moves past them */
		t->start = (t->start + t->len - FFCLASS_TAIL_MAX) % FFCLASS_TAIL_MAX;
		t->len = FFCLASS_TAIL_MAX;
	}
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned min;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	unsigned cp = c & (0xFF >> (len + 1));
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

/* In place: NUL and every byte outside a valid sequence become '?'. */
static void utf8_sanitize(char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t k = utf8_seq((const unsigned char *)s + i, n - i);
		if (k == 0 || s[i] == '\0') {
			s[i] = '?';
			k = 1;
		}
		i += k;
	}
}

char *ffclass_tail_text(const struct ffclass_tail *t)
{
	char *s = xmalloc(t->len + 1);
	size_t first = FFCLASS_TAIL_MAX - t->start;
	if (first > t->len)
		first = t->len;
	memcpy(s, t->buf + t->start, first);
	memcpy(s + first, t->buf, t->len - first);
	s[t->len] = '\0';
	utf8_sanitize(s, t->len);
	return s;
}

/* ---- the rules -------------------------------------------------------------- */

/* One line of stderr: a slice, not NUL-terminated. */
struct line {
	const char *s;
	size_t n;
};

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive: FFmpeg's wording is stable but its capitals are not
 * ("Could not find codec parameters" vs "could not find ..."). */
static bool has(struct line l, const char *pat)
{
	size_t m = strlen(pat);
	if (m > l.n)
		return false;
	for (size_t i = 0; i + m <= l.n; i++) {
		size_t j = 0;
		while (j < m && lower(l.s[i + j]) == lower(pat[j]))
			j++;
		if (j == m)
			return true;
	}
	return false;
}

static bool has_any(struct line l, const char *const *pats)
{
	for (; *pats; pats++)
		if (has(l, *pats))
			return true;
	return false;
}

/* The line without FFmpeg's "[ctx @ 0x...] " prefix, for prefix tests. */
static struct line body(struct line l)
{
	if (l.n > 0 && l.s[0] == '[') {
		const char *close = memchr(l.s, ']', l.n);
		if (close) {
			size_t k = (size_t)(close - l.s) + 1;
			l.s += k;
			l.n -= k;
		}
	}
	while (l.n > 0 && (*l.s == ' ' || *l.s == '\t')) {
		l.s++;
		l.n--;
	}
	return l;
}

static bool starts(struct line l, const char *pat)
{
	size_t m = strlen(pat);
	if (m > l.n)
		return false;
	for (size_t i = 0; i < m; i++)
		if (lower(l.s[i]) != lower(pat[i]))
			return false;
	return true;
}

static const char *const unknown_encoder[] = {
	"Unknown encoder",
	"Encoder not found",
	"Encoder (codec",
	"Automatic encoder selection failed",
	NULL,
};

static const char *const invalid_data[] = {
	"Invalid data found when processing input",
	"could not find codec parameters",
	"moov atom not found",
	"Decoder (codec",
	"Cannot determine format of input stream",
	"does not contain any stream",
	NULL,
};

static const char *const bad_args[] = {
	"Unrecognized option",
	"Option not found",
	"Missing argument for option",
	"Error splitting the argument list",
	"Trailing option(s) found",
	"Error parsing filterchain",
	"Error parsing filter",
	"Error parsing options",
	"No such filter",
	"Error initializing filter",
	"Error initializing complex filters",
	"Error reinitializing filters",
	"Invalid frame size",
	"Invalid duration specification",
	"Invalid stream specifier",
	"matches no streams",
	"Unable to parse option value",
	"Error setting option",
	"incorrect parameters",
	"incorrect codec parameters",
	"Unable to find a suitable output format",
	"Unable to choose an output format",
	"At least one output file must be specified",
	"Unknown input format",
	"Unknown decoder",
	"Could not find tag for codec",
	"Error opening output",
	/* the filter graph parser */
	"Mismatched '['",
	"Bad (empty?) label",
	"has an unconnected output",
	"Cannot find a matching stream for unlabeled input pad",
	"Invalid file index",
	NULL,
};

/* FFmpeg caught SIGINT/SIGTERM/SIGQUIT itself and exited 255. */
static const char *const caught_signal[] = {
	"Exiting normally, received signal",
	"system signals, hard exiting",
	NULL,
};

/* FFmpeg names filter instances "Parsed_NAME_N" in its log prefixes. */
static bool about_filters(struct line l)
{
	return has(l, "filter") || has(l, "[Parsed_");
}

/* A bare "Invalid argument" outside a filter context: a weak hint only. */
#define WEAK_EINVAL (-1)

/* The code one line points to, 0 if none. Order: the errno texts first
 * (they are the cause even inside a wrapper line), then the messages. */
static int line_code(struct line l)
{
	if (has(l, "No space left on device"))
		return AURA_E_DISK_FULL;
	if (has(l, "Permission denied") || has(l, "Operation not permitted"))
		return AURA_E_FFMPEG_PERMISSION;
	if (has(l, "No such file or directory")) {
		/* FFmpeg >= 6 says which side failed; a missing directory for
		 * the output is a bad output path, not a missing input */
		if (has(l, "Error opening output"))
			return AURA_E_FFMPEG_BAD_ARGS;
		return AURA_E_FFMPEG_INPUT_NOT_FOUND;
	}
	if (has_any(l, unknown_encoder))
		return AURA_E_FFMPEG_UNKNOWN_ENCODER;
	if (has_any(l, invalid_data))
		return AURA_E_FFMPEG_INVALID_DATA;
	if (has_any(l, bad_args))
		return AURA_E_FFMPEG_BAD_ARGS;
	if (has(l, "Invalid argument"))
		return about_filters(l) ? AURA_E_FFMPEG_BAD_ARGS : WEAK_EINVAL;
	return 0;
}

/* Iterate lines from the end: \n and \r both end a line, because FFmpeg's
 * stats line ends in \r and an error may follow it directly. */
static bool prev_line(const char *s, size_t *end, struct line *out)
{
	size_t e = *end;
	while (e > 0 && (s[e - 1] == '\n' || s[e - 1] == '\r'))
		e--;
	if (e == 0)
		return false;
	size_t b = e;
	while (b > 0 && s[b - 1] != '\n' && s[b - 1] != '\r')
		b--;
	out->s = s + b;
	out->n = e - b;
	*end = b;
	return true;
}

int ffclass_classify_text(const char *tail, size_t n)
{
	if (!tail)
		return 0;
	bool weak = false, filters = false;
	struct line l;
	size_t end = n;
	/* the last lines first: the tail ends with the real error, while
	 * earlier lines may be warnings FFmpeg survived */
	while (prev_line(tail, &end, &l)) {
		int c = line_code(l);
		if (c > 0)
			return c;
		if (c == WEAK_EINVAL)
			weak = true;
		if (about_filters(l))
			filters = true;
	}
	return weak && filters ? AURA_E_FFMPEG_BAD_ARGS : 0;
}

static bool any_line(const char *tail, size_t n, const char *const *pats)
{
	struct line l;
	size_t end = n;
	while (prev_line(tail, &end, &l))
		if (has_any(l, pats))
			return true;
	return false;
}

int ffclass_classify(int st, const char *tail, size_t n, bool stopped_by_us)
{
	static const char *const enospc[] = { "No space left on device", NULL };
	if (!tail)
		n = 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return n && any_line(tail, n, enospc) ? AURA_E_DISK_FULL : 0;
	/* a death we did not cause: OOM killer, a crash, someone's kill;
	 * checked before the text, which may hold warnings of a good run */
	if (!stopped_by_us) {
		if (WIFSIGNALED(st))
			return AURA_E_FFMPEG_KILLED;
		if (n && any_line(tail, n, caught_signal))
			return AURA_E_FFMPEG_KILLED;
	}
	int c = ffclass_classify_text(tail, n);
	return c > 0 ? c : AURA_E_FFMPEG_FAILED;
}

/* ---- the summary ------------------------------------------------------------ */

/* Lines that only wrap or repeat the cause printed above them. */
static const char *const wrappers[] = {
	"Failed to inject frame into filter network",
	"Error while processing the decoded data",
	"Error while filtering",
	"Error reinitializing filters",
	"Error initializing complex filters",
	"Error marking filters as finished",
	"Error splitting the argument list",
	"Error initializing output stream",
	"Error opening output files",
	"Error opening input files",
	"Conversion failed",
	"To ignore this",
	"Invalid argument",
	NULL,
};

/* Lines that name the file or thing that could not be opened. */
static const char *const pointers[] = {
	"Unable to open",
	"Impossible to open",
	"Could not open",
	"Cannot open",
	/* FFmpeg >= 6; the plural forms are wrappers */
	"Error opening input file ",
	"Error opening output file ",
	NULL,
};

/* Progress and report chatter, never worth showing. */
static const char *const noise[] = {
	"frame=", "size=", "video:", "Press [q]", "Stream mapping", "Input #", "Output #", NULL,
};

static bool starts_any(struct line l, const char *const *pats)
{
	for (; *pats; pats++)
		if (starts(l, *pats))
			return true;
	return false;
}

/* Trimmed copy, "[ctx @ 0x55...]" -> "[ctx]", controls blanked, capped. */
static char *clean_line(struct line l)
{
	struct buf b;
	buf_init(&b);
	while (l.n > 0 && (*l.s == ' ' || *l.s == '\t'))
		l.s++, l.n--;
	while (l.n > 0 && (l.s[l.n - 1] == ' ' || l.s[l.n - 1] == '\t'))
		l.n--;
	size_t i = 0;
	if (l.n > 0 && l.s[0] == '[') {
		const char *close = memchr(l.s, ']', l.n);
		const char *at = close ? memchr(l.s, '@', (size_t)(close - l.s)) : NULL;
		/* "[libx264 @ 0x55d…] msg" -> "[libx264] msg"; a name longer
		 * than any FFmpeg context name is left as it is (and cut). */
		if (at && at - l.s <= 64) {
			size_t name = (size_t)(at - l.s);
			while (name > 1 && l.s[name - 1] == ' ')
				name--;
			buf_append(&b, l.s, name);
			buf_puts(&b, "] ");
			i = (size_t)(close - l.s) + 1;
			while (i < l.n && (l.s[i] == ' ' || l.s[i] == '\t'))
				i++;
		}
	}
	size_t keep = l.n - i;
	bool cut = false;
	if (b.len + keep > FFCLASS_SUMMARY_MAX) {
		keep = FFCLASS_SUMMARY_MAX > b.len ? FFCLASS_SUMMARY_MAX - b.len : 0;
		/* do not split a UTF-8 character */
		while (keep > 0 && ((unsigned char)l.s[i + keep] & 0xC0) == 0x80)
			keep--;
		cut = true;
	}
	buf_append(&b, l.s + i, keep);
	for (size_t k = 0; k < b.len; k++)
		if ((unsigned char)b.data[k] < 0x20 || b.data[k] == 0x7F)
			b.data[k] = ' ';
	utf8_sanitize(b.data, b.len);
	if (cut)
		buf_puts(&b, "...");
	return b.data;
}

char *ffclass_summary(const char *tail)
{
	if (!tail)
		return NULL;
	size_t n = strlen(tail);
	int code = ffclass_classify_text(tail, n);
	struct line l;
	size_t end = n;

	/* 1: the last line that names the cause: it points to the code and
	 * is not a wrapper, or names what could not be opened. If a pointer
	 * line stands right above it, that one says more ("Impossible to
	 * open 'a.mp4'" above "list.txt: No such file or directory"). */
	while (code && prev_line(tail, &end, &l)) {
		struct line bl = body(l);
		bool ptr = starts_any(bl, pointers);
		if (!ptr && (starts_any(bl, wrappers) || line_code(l) != code))
			continue;
		struct line above;
		size_t e2 = end;
		if (!ptr && prev_line(tail, &e2, &above) && starts_any(body(above), pointers))
			l = above;
		return clean_line(l);
	}
	/* 2: any line a rule matched that is not a wrapper */
	end = n;
	while (prev_line(tail, &end, &l))
		if (line_code(l) > 0 && !starts_any(body(l), wrappers))
			return clean_line(l);
	/* 3: the last line that is not chatter or a wrapper */
	end = n;
	while (prev_line(tail, &end, &l)) {
		struct line bl = body(l);
		if (bl.n == 0 || starts_any(bl, noise) || starts_any(bl, wrappers) || l.s[0] == ' ')
			continue;
		return clean_line(l);
	}
	/* 4: the last line with something on it */
	end = n;
	while (prev_line(tail, &end, &l))
		if (body(l).n > 0)
			return clean_line(l);
	return NULL;
}
