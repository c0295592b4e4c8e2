/*
 * progress.h -- the one progress line of the verbs that watch jobs (`aura
 * wait`, `aura new --wait`), on stderr:
 *
 *   on a terminal: one line redrawn in place ("\r\033[K"), cut to the
 *     terminal's width (TIOCGWINSZ, else COLUMNS, else 80; display width,
 *     wide characters count 2) so that it never wraps: \r returns only to
 *     the start of the last row, and a wrapped line would leave a copy of
 *     itself on every redraw;
 *   on a terminal that cannot move the cursor (TERM unset, "dumb"): plain
 *     lines, never an escape or a \r: one when the line's key (what the
 *     verb calls a state change) changes, else at most one every
 *     CLI_PROGRESS_PLAIN_MS if the text changed;
 *   off a terminal (or with --json): nothing.
 *
 * Must never: write anything but stderr, or an escape in plain mode.
 */
#ifndef AURA_CLI_PROGRESS_H
#define AURA_CLI_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cli_progress_mode {
	CLI_PROGRESS_OFF,
	CLI_PROGRESS_LINE,  /* redrawn in place */
	CLI_PROGRESS_PLAIN, /* a line per change */
};

#define CLI_PROGRESS_PLAIN_MS 5000

struct cli_progress {
	enum cli_progress_mode mode;
	bool shown; /* LINE: a line is on the screen */
	char last_key[128];
	char last_text[256];
	int64_t last_ms;
};

/* The mode for stderr (off when !wanted, e.g. --json). */
void cli_progress_init(struct cli_progress *p, bool wanted);
/* Show text; key is what a plain line is printed for when it changes. */
void cli_progress_show(struct cli_progress *p, const char *text, const char *key);
/* Take a shown line off the screen (before other output). */
void cli_progress_clear(struct cli_progress *p);

/* The longest prefix of s (UTF-8) at most cols columns wide, copied into
 * out (n bytes); a character is never cut in half. Returns out. */
char *cli_progress_cut(char *out, size_t n, const char *s, size_t cols);

#endif
