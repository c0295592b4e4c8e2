/*
 * progress.c -- the progress line of `aura wait` and `aura new --wait`
 * (cli/progress.h): in place and cut to the terminal's width, plain lines
 * on a dumb terminal, nothing off a terminal.
 *
 * Must never: let the line wrap, or send an escape to a dumb terminal.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli/progress.h"
#include "client/format.h"
#include "base/utf8.h"
#include "base/util.h"

static bool term_dumb(void)
{
	const char *t = getenv("TERM");
	return !t || !*t || strcmp(t, "dumb") == 0;
}

void cli_progress_init(struct cli_progress *p, bool wanted)
{
	memset(p, 0, sizeof(*p));
	if (!wanted || !isatty(STDERR_FILENO))
		p->mode = CLI_PROGRESS_OFF;
	else
		p->mode = term_dumb() ? CLI_PROGRESS_PLAIN : CLI_PROGRESS_LINE;
}

/* The terminal's columns now (it may have been resized since the last
 * redraw). */
static size_t term_cols(void)
{
	struct winsize ws;
	int64_t c;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	const char *e = getenv("COLUMNS");
	if (e && parse_int64(e, &c) == 0 && c > 0 && c < 10000)
		return (size_t)c;
	return 80;
}

char *cli_progress_cut(char *out, size_t n, const char *s, size_t cols)
{
	size_t w = 0, at = 0;
	while (s[at]) {
		uint32_t cp;
		size_t len = utf8_next(s + at, &cp);
		if (len == 0)
			break;
		size_t cw = (size_t)fmt_cp_width(cp);
		if (w + cw > cols || at + len >= n)
			break;
		w += cw;
		at += len;
	}
	memcpy(out, s, at);
	out[at] = '\0';
	return out;
}

void cli_progress_show(struct cli_progress *p, const char *text, const char *key)
{
	if (p->mode == CLI_PROGRESS_LINE) {
		char line[512];
		/* one column spare: a line that fills the last column leaves the
		 * cursor waiting to wrap on some terminals */
		size_t cols = term_cols();
		cli_progress_cut(line, sizeof(line), text, cols > 1 ? cols - 1 : 1);
		fprintf(stderr, "\r\033[K%s", line);
		fflush(stderr);
		p->shown = true;
	} else if (p->mode == CLI_PROGRESS_PLAIN) {
		int64_t now = time_mono_ms();
		bool changed = strcmp(key, p->last_key) != 0;
		bool due =
		    strcmp(text, p->last_text) != 0 && now - p->last_ms >= CLI_PROGRESS_PLAIN_MS;
		if (!changed && !due)
			return;
		fprintf(stderr, "%s\n", text);
		fflush(stderr);
		str_copy(p->last_key, key, sizeof(p->last_key));
		str_copy(p->last_text, text, sizeof(p->last_text));
		p->last_ms = now;
	}
}

void cli_progress_clear(struct cli_progress *p)
{
	if (p->mode == CLI_PROGRESS_LINE && p->shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	p->shown = false;
}
