/*
 * dlg-help.c -- `?`: every key action with its keys and what it does,
 * read from keys.c, so the help can never disagree with the bindings.
 * j/k scroll when the screen is short; any other key closes.
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

static void help_draw(struct tui *t, struct dialog *d)
{
	struct help *h = d->state;
	ui_dialog_frame(t, d, "Keys");
	int rows = d->h - 2;
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
}

static int help_key(struct tui *t, struct dialog *d, int key)
{
	struct help *h = d->state;
	int max = A__COUNT - 1 + HELP_EXTRA - (d->h - 2);
	(void)t;
	if (key == 'j' || key == UI_FN(KEY_DOWN)) {
		if (h->scroll < max)
			h->scroll++;
		return UI_HANDLED;
	}
	if (key == 'k' || key == UI_FN(KEY_UP)) {
		if (h->scroll > 0)
			h->scroll--;
		return UI_HANDLED;
	}
	return UI_HANDLED | UI_CLOSE;
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
	ui_dialog_open(t, &help_ops, A__COUNT - 1 + HELP_EXTRA + 2, 76,
		       xcalloc(1, sizeof(struct help)));
}
