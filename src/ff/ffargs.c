/*
 * ffargs.c -- FFmpeg argv building, filtergraph escaping, presets.
 *
 * The escaping follows FFmpeg's "Quoting and escaping" rules (ffmpeg-utils
 * and ffmpeg-filters): av_get_token() takes a backslash as "the next byte
 * is literal" and trims unescaped whitespace at both ends, once for the
 * filter's option list (level 1) and once for the graph (level 2).
 *
 * Must never: run anything, or let a caller's string reach a filtergraph
 * unescaped.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ff/ffargs.h"

/* ---- argv ----------------------------------------------------------------- */

void ffargs_init(struct ffargs *a)
{
	a->argv = NULL;
	a->n = 0;
	a->cap = 0;
}

static void push(struct ffargs *a, char *owned)
{
	XGROW(a->argv, (size_t)a->n + 2, a->cap, 16);
	a->argv[a->n++] = owned;
	a->argv[a->n] = NULL;
}

void ffargs_add(struct ffargs *a, const char *s)
{
	push(a, xstrdup(s ? s : ""));
}

void ffargs_addf(struct ffargs *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	push(a, xvasprintf(fmt, ap));
	va_end(ap);
}

void ffargs_addv_(struct ffargs *a, ...)
{
	va_list ap;
	va_start(ap, a);
	for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
		ffargs_add(a, s);
	va_end(ap);
}

char **ffargs_steal(struct ffargs *a)
{
	if (!a->argv)
		a->argv = xcalloc(1, sizeof(*a->argv)); /* empty, still NULL-terminated */
	char **v = a->argv;
	ffargs_init(a);
	return v;
}

void ffargs_free(struct ffargs *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->argv[i]);
	free(a->argv);
	ffargs_init(a);
}

static bool display_safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("_@%+=:,./-", c) != NULL;
}

char *ffargs_quote_display(const char *arg)
{
	struct buf b;
	buf_init(&b);
	bool safe = *arg != '\0', ctrl = false;
	for (const unsigned char *p = (const unsigned char *)arg; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			ctrl = true;
		if (!display_safe(*p))
			safe = false;
	}
	if (safe) {
		buf_puts(&b, arg);
	} else if (ctrl) {
		/* bash's $'...': keeps the log line on one line */
		buf_puts(&b, "$'");
		for (const unsigned char *p = (const unsigned char *)arg; *p; p++) {
			switch (*p) {
			case '\n':
				buf_puts(&b, "\\n");
				break;
			case '\t':
				buf_puts(&b, "\\t");
				break;
			case '\r':
				buf_puts(&b, "\\r");
				break;
			case '\\':
				buf_puts(&b, "\\\\");
				break;
			case '\'':
				buf_puts(&b, "\\'");
				break;
			default:
				if (*p < 0x20 || *p == 0x7f)
					buf_printf(&b, "\\x%02x", *p);
				else
					buf_append(&b, p, 1);
			}
		}
		buf_puts(&b, "'");
	} else {
		buf_puts(&b, "'");
		for (const char *p = arg; *p; p++) {
			if (*p == '\'')
				buf_puts(&b, "'\\''");
			else
				buf_append(&b, p, 1);
		}
		buf_puts(&b, "'");
	}
	return b.data ? b.data : xstrdup("");
}

char *ffargs_to_display(const struct ffargs *a)
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "");
	for (int i = 0; i < a->n; i++) {
		char *q = ffargs_quote_display(a->argv[i]);
		if (i)
			buf_puts(&b, " ");
		buf_puts(&b, q);
		free(q);
	}
	return b.data;
}

/* ---- escaping ------------------------------------------------------------- */

/* av_get_token()'s WHITESPACES */
static bool is_ws(char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

/*
 * One level: a backslash before every byte in `special`, and before the
 * whitespace of the leading and trailing runs, which av_get_token() would
 * otherwise trim. Backslashes rather than '...' quoting: a quote inside a
 * quoted string cannot be escaped, so quoting needs splicing anyway.
 */
static char *escape_level(const char *s, const char *special)
{
	size_t len = strlen(s), lead = 0, trail = len;
	while (lead < len && is_ws(s[lead]))
		lead++;
	while (trail > lead && is_ws(s[trail - 1]))
		trail--;
	struct buf b;
	buf_init(&b);
	buf_reserve(&b, len + 8);
	buf_puts(&b, "");
	for (size_t i = 0; i < len; i++) {
		bool at_end = i < lead || i >= trail;
		if (strchr(special, s[i]) || (at_end && is_ws(s[i])))
			buf_append(&b, "\\", 1);
		buf_append(&b, &s[i], 1);
	}
	return b.data;
}

#define LEVEL1_SPECIAL "\\':"
#define LEVEL2_SPECIAL "\\'[],;"

char *ffargs_escape_filter_value(const char *s)
{
	char *l1 = escape_level(s ? s : "", LEVEL1_SPECIAL);
	char *l2 = escape_level(l1, LEVEL2_SPECIAL);
	free(l1);
	return l2;
}

char *ffargs_escape_drawtext(const char *s)
{
	/* drawtext's expand_text(): "\x" is x, "%" starts %{...} */
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "");
	for (const char *p = s ? s : ""; *p; p++) {
		if (*p == '\\' || *p == '%')
			buf_append(&b, "\\", 1);
		buf_append(&b, p, 1);
	}
	char *out = ffargs_escape_filter_value(b.data);
	buf_free(&b);
	return out;
}

char *ffargs_escape_subtitles_path(const char *path)
{
	if (!path)
		path = "";
	const char *colon = strchr(path, ':');
	const char *slash = strchr(path, '/');
	char *fixed;
	if (path[0] != '/' && colon && (!slash || colon < slash))
		fixed = xasprintf("./%s", path);
	else
		fixed = xstrdup(path);
	char *out = ffargs_escape_filter_value(fixed);
	free(fixed);
	return out;
}

int ffargs_write_textfile(const char *path, const char *text, struct aura_error *err)
{
	char *tmp = xasprintf("%s.XXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		int e = errno;
		free(tmp);
		return aura_error_set(err, e == ENOSPC ? AURA_E_DISK_FULL : AURA_E_DATA_DIR,
				      "%s: %s", path, strerror(e));
	}
	size_t len = strlen(text), off = 0;
	int e = 0;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			e = errno;
			break;
		}
		off += (size_t)w;
	}
	if (close(fd) < 0 && !e)
		e = errno;
	if (!e && rename(tmp, path) < 0)
		e = errno;
	if (e) {
		unlink(tmp);
		free(tmp);
		return aura_error_set(
		    err, e == ENOSPC || e == EDQUOT ? AURA_E_DISK_FULL : AURA_E_DATA_DIR, "%s: %s",
		    path, strerror(e));
	}
	free(tmp);
	return 0;
}

/* ---- presets -------------------------------------------------------------- */

/*
 * caption_cols: 42 columns is the broadcast norm for a landscape line; a
 * 1080-pixel-wide frame would need a small font to fit 42, so square and
 * portrait use shorter lines and a larger font (see captions_style()).
 */
static const struct preset presets[] = {
	{ "landscape-720p", 1280, 720, 23, "medium", 160, 42, "1280x720 landscape (default)" },
	{ "landscape-1080p", 1920, 1080, 22, "medium", 192, 42, "1920x1080 landscape" },
	{ "portrait-1080p", 1080, 1920, 22, "medium", 192, 32,
	  "1080x1920 portrait: Shorts, Reels, TikTok" },
	{ "square-1080p", 1080, 1080, 22, "medium", 192, 36, "1080x1080 square" },
	{ "draft-480p", 854, 480, 28, "veryfast", 96, 42, "854x480 quick draft" },
};

const struct preset *preset_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < ARRAY_LEN(presets); i++)
		if (strcmp(presets[i].name, name) == 0)
			return &presets[i];
	return NULL;
}

const struct preset *preset_list(int *n)
{
	if (n)
		*n = (int)ARRAY_LEN(presets);
	return presets;
}

bool preset_is_portrait(const struct preset *p)
{
	return p->h > p->w;
}

char *preset_fit_filter(const struct preset *p)
{
	return xasprintf("scale=%d:%d:force_original_aspect_ratio=decrease,"
			 "pad=%d:%d:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=%d",
			 p->w, p->h, p->w, p->h, FFARGS_FPS);
}

void ffargs_add_encode(struct ffargs *a, const struct preset *p)
{
	ffargs_addv(a, "-c:v", "libx264", "-preset", p->x264_preset);
	ffargs_add(a, "-crf");
	ffargs_addf(a, "%d", p->crf);
	ffargs_addv(a, "-pix_fmt", "yuv420p");
	/* an output rate makes the mp4 muxer's automatic vsync duplicate or
	 * drop frames to constant frame rate */
	ffargs_add(a, "-r");
	ffargs_addf(a, "%d", FFARGS_FPS);
	ffargs_addv(a, "-c:a", "aac", "-b:a");
	ffargs_addf(a, "%dk", p->audio_kbps);
	ffargs_add(a, "-ar");
	ffargs_addf(a, "%d", FFARGS_AUDIO_RATE);
	ffargs_add(a, "-ac");
	ffargs_addf(a, "%d", FFARGS_AUDIO_CHANNELS);
	ffargs_addv(a, "-movflags", "+faststart");
}
