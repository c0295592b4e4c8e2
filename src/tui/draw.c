/*
 * draw.c -- the drawing helpers every pane uses: styles (colours with a
 * monochrome fallback, NO_COLOR honoured), UTF-8 text measured in columns
 * and cut to fit, progress bars, title lines.
 *
 * Must never: write past the width it is given (a long name or log line
 * must not spill into the next pane), or pass a control character to the
 * terminal (text from jobs and logs is shown, never interpreted).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "client/format.h"
#include "tui/ui.h"

enum {
	PAIR_TITLE = 1,
	PAIR_FOCUS,
	PAIR_BAR,
	PAIR_KEY,
	PAIR_GREEN,
	PAIR_YELLOW,
	PAIR_RED,
	PAIR_CYAN,
	PAIR_MAGENTA,
	PAIR_SEL,
};

void ui_styles_init(struct tui *t)
{
	const char *nc = getenv("NO_COLOR");
	t->color = has_colors() && !(nc && *nc);
	attr_t *a = t->attrs;
	for (int i = 0; i < ST__COUNT; i++)
		a[i] = A_NORMAL;
	if (t->color && start_color() == OK) {
		use_default_colors();
		init_pair(PAIR_TITLE, COLOR_WHITE, COLOR_BLUE);
		init_pair(PAIR_FOCUS, COLOR_BLACK, COLOR_CYAN);
		init_pair(PAIR_BAR, COLOR_BLACK, COLOR_WHITE);
		init_pair(PAIR_KEY, COLOR_BLUE, COLOR_WHITE);
		init_pair(PAIR_GREEN, COLOR_GREEN, -1);
		init_pair(PAIR_YELLOW, COLOR_YELLOW, -1);
		init_pair(PAIR_RED, COLOR_RED, -1);
		init_pair(PAIR_CYAN, COLOR_CYAN, -1);
		init_pair(PAIR_MAGENTA, COLOR_MAGENTA, -1);
		init_pair(PAIR_SEL, COLOR_BLACK, COLOR_CYAN);
		a[ST_TITLE] = COLOR_PAIR(PAIR_TITLE);
		a[ST_TITLE_FOCUS] = COLOR_PAIR(PAIR_FOCUS) | A_BOLD;
		a[ST_HEADER] = A_BOLD;
		a[ST_SEL] = COLOR_PAIR(PAIR_SEL);
		a[ST_DIM] = A_DIM;
		a[ST_BAR] = COLOR_PAIR(PAIR_BAR);
		a[ST_KEY] = COLOR_PAIR(PAIR_KEY) | A_BOLD;
		a[ST_OK] = COLOR_PAIR(PAIR_GREEN);
		a[ST_WARN] = COLOR_PAIR(PAIR_YELLOW);
		a[ST_ERROR] = COLOR_PAIR(PAIR_RED) | A_BOLD;
		a[ST_FILL] = COLOR_PAIR(PAIR_CYAN);
		a[ST_EMPTY] = A_DIM;
		a[ST_Q] = COLOR_PAIR(PAIR_YELLOW);
		a[ST_RUN] = COLOR_PAIR(PAIR_CYAN) | A_BOLD;
		a[ST_PAUSE] = COLOR_PAIR(PAIR_MAGENTA);
		a[ST_DONE] = COLOR_PAIR(PAIR_GREEN);
		a[ST_FAIL] = COLOR_PAIR(PAIR_RED) | A_BOLD;
		a[ST_CANCEL] = A_DIM;
	} else {
		t->color = false;
		/* Monochrome: attributes only, every state still tells apart
		 * where it matters (failed bold, running bold, done plain). */
		a[ST_TITLE] = A_REVERSE;
		a[ST_TITLE_FOCUS] = A_REVERSE | A_BOLD;
		a[ST_HEADER] = A_UNDERLINE;
		a[ST_SEL] = A_REVERSE;
		a[ST_DIM] = A_DIM;
		a[ST_BAR] = A_REVERSE;
		a[ST_KEY] = A_REVERSE | A_BOLD;
		a[ST_ERROR] = A_BOLD;
		a[ST_WARN] = A_BOLD;
		a[ST_RUN] = A_BOLD;
		a[ST_FAIL] = A_BOLD | A_UNDERLINE;
		a[ST_CANCEL] = A_DIM;
	}
}

attr_t ui_attr(const struct tui *t, enum ui_style s)
{
	return (unsigned)s < ST__COUNT ? t->attrs[s] : A_NORMAL;
}

enum ui_style ui_state_style(int st)
{
	switch (st) {
	case JOB_QUEUED:
		return ST_Q;
	case JOB_RUNNING:
		return ST_RUN;
	case JOB_PAUSED:
		return ST_PAUSE;
	case JOB_SUCCEEDED:
		return ST_DONE;
	case JOB_FAILED:
		return ST_FAIL;
	case JOB_CANCELLED:
		return ST_CANCEL;
	default:
		return ST_NORMAL;
	}
}

/* One displayable character for code point cp and its width: the width
 * is fmt_cp_width()'s, the one `aura ls` uses too (client/format.c). */
static wchar_t shown(const struct tui *t, uint32_t cp, int *width)
{
	*width = 1;
	if (cp == '\t')
		return L' ';
	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
		return L'?';
	if (!t->utf8 && cp > 0x7e)
		return L'?';
	if (wcwidth((wchar_t)cp) < 0)
		return L'?'; /* nothing curses could draw */
	*width = fmt_cp_width(cp);
	return (wchar_t)cp;
}

int ui_width(const struct tui *t, const char *s)
{
	if (!s)
		return 0;
	/* outside UTF-8, every non-ASCII code point is drawn as one '?' */
	return (int)(t->utf8 ? fmt_text_width(s) : utf8_length(s));
}

size_t ui_fit(const struct tui *t, const char *s, int cols, int *used)
{
	size_t off = 0, n;
	int u = 0;
	uint32_t cp;
	while (s && (n = utf8_next(s + off, &cp)) > 0) {
		int cw;
		shown(t, cp, &cw);
		if (u + cw > cols)
			break;
		u += cw;
		off += n;
	}
	if (used)
		*used = u;
	return off;
}

int ui_text(const struct tui *t, WINDOW *w, int y, int x, const char *s, int width, attr_t a,
	    bool pad)
{
	if (width <= 0)
		return 0;
	if (!s)
		s = "";
	int total = ui_width(t, s);
	bool cut = total > width;
	int room = cut ? width - 1 : width; /* keep a column for the ellipsis */
	wchar_t stack[512];
	size_t cap = ARRAY_LEN(stack);
	wchar_t *buf = stack;
	size_t len = strlen(s) + 2;
	if (len > cap) {
		buf = xmalloc(len * sizeof(*buf));
		cap = len;
	}
	size_t k = 0;
	int used = 0;
	uint32_t cp;
	size_t n;
	while ((n = utf8_next(s, &cp)) > 0 && k + 2 < cap) {
		int cw;
		wchar_t c = shown(t, cp, &cw);
		if (used + cw > room)
			break;
		/* a combining mark with nothing before it would attach to
		 * whatever the screen holds there */
		if (cw == 0 && k == 0) {
			s += n;
			continue;
		}
		buf[k++] = c;
		used += cw;
		s += n;
	}
	if (cut) {
		buf[k++] = t->utf8 ? L'\u2026' : L'~';
		used++;
	}
	buf[k] = 0;
	wattrset(w, a);
	if (k)
		mvwaddnwstr(w, y, x, buf, (int)k);
	if (pad && used < width)
		ui_fill(w, y, x + used, width - used, a);
	wattrset(w, A_NORMAL);
	if (buf != stack)
		free(buf);
	return used;
}

void ui_fill(WINDOW *w, int y, int x, int width, attr_t a)
{
	if (width <= 0)
		return;
	wattrset(w, a);
	mvwhline(w, y, x, ' ', width);
	wattrset(w, A_NORMAL);
}

void ui_bar(const struct tui *t, WINDOW *w, int y, int x, int width, double frac)
{
	if (width <= 0)
		return;
	if (!(frac >= 0)) /* unknown, or NaN */
		frac = 0;
	if (frac > 1)
		frac = 1;
	/* eighths of a cell in UTF-8, whole cells otherwise */
	int steps = t->utf8 ? 8 : 1;
	int filled = (int)(frac * width * steps + 0.5);
	int full = filled / steps, part = filled % steps;
	static const wchar_t eighths[] = L" \u258f\u258e\u258d\u258c\u258b\u258a\u2589";
	wattrset(w, ui_attr(t, ST_FILL));
	for (int i = 0; i < full; i++)
		mvwaddnwstr(w, y, x + i, t->utf8 ? L"\u2588" : L"#", 1);
	int pos = full;
	if (part && pos < width) {
		mvwaddnwstr(w, y, x + pos, &eighths[part], 1);
		pos++;
	}
	wattrset(w, ui_attr(t, ST_EMPTY));
	for (; pos < width; pos++)
		mvwaddnwstr(w, y, x + pos, t->utf8 ? L"\u00b7" : L".", 1);
	wattrset(w, A_NORMAL);
}

void ui_title(const struct tui *t, WINDOW *w, int width, const char *left, const char *right,
	      bool focus)
{
	attr_t a = ui_attr(t, focus ? ST_TITLE_FOCUS : ST_TITLE);
	ui_fill(w, 0, 0, width, a);
	int rw = right ? ui_width(t, right) : 0;
	if (rw > width / 2)
		rw = width / 2;
	int lw = ui_text(t, w, 0, 1, left, width - 2 - (rw ? rw + 2 : 0), a, false);
	(void)lw;
	if (rw)
		ui_text(t, w, 0, width - 1 - rw, right, rw, a, false);
}
