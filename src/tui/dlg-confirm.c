/*
 * dlg-confirm.c -- the y/N question before a destructive action (cancel,
 * delete, shutting the server down). Only y or Y says yes; Enter, Esc,
 * n and every other key say no: the default is always No.
 *
 * A question may have a second line (after a '\n'): what the action does.
 *
 * Must never: act on anything but an explicit y.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tui/ui.h"

struct confirm {
	char *question;
	char *detail; /* the second line, or NULL */
	int64_t id;
	void (*act)(struct tui *t, int64_t id);
};

static void confirm_draw(struct tui *t, struct dialog *d)
{
	struct confirm *c = d->state;
	ui_dialog_frame(t, d, "Confirm");
	ui_text(t, d->win, 2, 2, c->question, d->w - 4, A_BOLD, false);
	if (c->detail)
		ui_text(t, d->win, 3, 2, c->detail, d->w - 4, A_NORMAL, false);
	ui_text(t, d->win, 4, 2, "y = yes     any other key = no (the default)", d->w - 4,
		ui_attr(t, ST_DIM), false);
}

static int confirm_key(struct tui *t, struct dialog *d, int key)
{
	struct confirm *c = d->state;
	if (key == 'y' || key == 'Y') {
		/* close first: the action may open another dialog or quit */
		int64_t id = c->id;
		void (*act)(struct tui *, int64_t) = c->act;
		ui_dialog_close(t);
		act(t, id);
		return UI_HANDLED;
	}
	ui_msg(t, MSG_INFO, "not done");
	return UI_HANDLED | UI_CLOSE;
}

static void confirm_free(struct dialog *d)
{
	struct confirm *c = d->state;
	free(c->question);
	free(c->detail);
	free(c);
}

static const struct dialog_ops confirm_ops = {
	.draw = confirm_draw,
	.key = confirm_key,
	.free = confirm_free,
};

void dlg_confirm_open(struct tui *t, const char *question, int64_t id,
		      void (*act)(struct tui *t, int64_t id))
{
	struct confirm *c = xcalloc(1, sizeof(*c));
	const char *nl = strchr(question, '\n');
	int qlen = nl ? (int)(nl - question) : (int)strlen(question);
	c->question = xasprintf("%.*s [y/N]", qlen, question);
	c->detail = nl ? xstrdup(nl + 1) : NULL;
	c->id = id;
	c->act = act;
	int w = ui_width(t, c->question) + 6;
	if (c->detail && ui_width(t, c->detail) + 6 > w)
		w = ui_width(t, c->detail) + 6;
	if (w < 52)
		w = 52;
	ui_dialog_open(t, &confirm_ops, 7, w, c);
}
