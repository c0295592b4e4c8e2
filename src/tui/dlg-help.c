/*
 * dlg-help.c -- `?`: every key action with its keys and what it does,
 * read from keys.c, so the help can never disagree with the bindings.
 * When the screen is shorter than the help, it scrolls (j/k, arrows,
 * PgUp/PgDn, g/G) and the frame says "more" where lines are hidden; any
 * other key closes.
 *
 * Must never: list a key that keys.c does not bind.
 */
#include "config.h"

#include <stdlib.h>

#include "tui/ui.h"

struct help {
	int scroll;
};

#define HELP_EXTRA 3 /* the lines after the actions */
#define HELP_LINES (A__COUNT - 1 + HELP_EXTRA)

/* The lines the window shows (it is clipped to the screen). */
static int help_rows(const struct dialog *d)
{
	int h = 0, w = 0;
	if (d->win)
		getmaxyx(d->win, h, w);
	(void)w;
	return h > 2 ? h - 2 : 1;
}

static int help_max_scroll(const struct dialog *d)
{
	int max = HELP_LINES - help_rows(d);
	return max > 0 ? max : 0;
}

static void help_draw(struct tui *t, struct dialog *d)
{
	struct help *h = d->state;
	ui_dialog_frame(t, d, "Keys");
	int rows = help_rows(d);
	/* the screen may have grown since the last key */
	if (h->scroll > help_max_scroll(d))
		h->scroll = help_max_scroll(d);
	int line = 0;
	for (int a = 1; a < A__COUNT; a++, line++) {
		int y = line - h->scroll;
		if (y < 0 || y >= rows)
			continue;
		ui_text(t, d->win, 1 + y, 2, keys_label((enum ui_action)a), 10, ui_attr(t, ST_KEY),
			false);
		ui_text(t, d->win, 1 + y, 14, keys_help((enum ui_action)a), d->w - 16, A_NORMAL,
			false);
	}
	static const char *const extra[HELP_EXTRA] = {
		"",
		"In forms and prompts: Tab/arrows move, Enter accepts, Esc cancels.",
		"Ctrl-C closes a dialog, or quits; Ctrl-Z suspends.",
	};
	for (int i = 0; i < HELP_EXTRA; i++, line++) {
		int y = line - h->scroll;
		if (y >= 0 && y < rows)
			ui_text(t, d->win, 1 + y, 2, extra[i], d->w - 4, ui_attr(t, ST_DIM), false);
	}
	/* lines hidden above or below: say so on the frame */
	int wh, ww;
	getmaxyx(d->win, wh, ww);
	const char *up = t->utf8 ? " ↑ more " : " ^ more ";
	const char *down = t->utf8 ? " ↓ more (j/k, PgDn) " : " v more (j/k, PgDn) ";
	if (h->scroll > 0)
		ui_text(t, d->win, 0, ww - 2 - ui_width(t, up), up, ui_width(t, up), A_BOLD, false);
	if (h->scroll < help_max_scroll(d)) {
		int dw = ui_width(t, down);
		if (dw > ww - 4)
			dw = ww - 4;
		ui_text(t, d->win, wh - 1, ww - 2 - dw, down, dw, A_BOLD, false);
	}
}

static int help_key(struct tui *t, struct dialog *d, int key)
{
	struct help *h = d->state;
	int max = help_max_scroll(d), page = help_rows(d);
	(void)t;
	switch (keys_action(key)) {
	case A_DOWN:
		h->scroll++;
		break;
	case A_UP:
		h->scroll--;
		break;
	case A_PGDN:
		h->scroll += page;
		break;
	case A_PGUP:
		h->scroll -= page;
		break;
	case A_HOME:
		h->scroll = 0;
		break;
	case A_END:
		h->scroll = max;
		break;
	default:
		return UI_HANDLED | UI_CLOSE;
	}
	if (h->scroll > max)
		h->scroll = max;
	if (h->scroll < 0)
		h->scroll = 0;
	return UI_HANDLED;
}

static void help_free(struct dialog *d)
{
	free(d->state);
}

static const struct dialog_ops help_ops = {
	.draw = help_draw,
	.key = help_key,
	.free = help_free,
};

void dlg_help_open(struct tui *t)
{
	ui_dialog_open(t, &help_ops, HELP_LINES + 2, 76, xcalloc(1, sizeof(struct help)));
}
