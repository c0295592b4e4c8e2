/*
 * dlg-prompt.c -- the one-line inputs: `/` filters the list by text as
 * it is typed (Enter keeps the filter, Esc puts the old one back), and `s`
 * takes an FFmpeg command line, splits it as a shell would (shsplit) and
 * submits it, run without a shell in the UI's working directory.
 *
 * Must never: run the command through a shell, or keep a filter the user
 * backed out of with Esc.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/shsplit.h"
#include "tui/ui.h"

#define ESC 27

struct prompt {
	struct edit e;
	bool submit;	/* `s` (else `/`) */
	char *old_text; /* the filter before `/`, for Esc */
	char error[256];
};

static void prompt_draw(struct tui *t, struct dialog *d)
{
	struct prompt *p = d->state;
	if (p->submit) {
		ui_dialog_frame(t, d, "Submit an FFmpeg command");
		ui_text(t, d->win, 1, 2, "run without a shell, in:", d->w - 4, ui_attr(t, ST_DIM),
			false);
		ui_text(t, d->win, 1, 27, t->cwd, d->w - 29, ui_attr(t, ST_DIM), false);
		ui_text(t, d->win, 2, 2, "ffmpeg", 6, A_BOLD, false);
		d->cx = 9 + edit_draw(t, &p->e, d->win, 2, 9, d->w - 11, A_UNDERLINE);
		d->cy = 2;
	} else {
		ui_dialog_frame(t, d, "Filter jobs: name, output or #id");
		ui_text(t, d->win, 2, 2, "/", 1, A_BOLD, false);
		d->cx = 4 + edit_draw(t, &p->e, d->win, 2, 4, d->w - 6, A_UNDERLINE);
		d->cy = 2;
	}
	if (p->error[0])
		ui_text(t, d->win, 3, 2, p->error, d->w - 4, ui_attr(t, ST_ERROR), false);
	else
		ui_text(t, d->win, 3, 2,
			p->submit ? "Enter submits, Esc cancels; quote as in a shell"
				  : "the list follows as you type; Enter keeps it, Esc restores",
			d->w - 4, ui_attr(t, ST_DIM), false);
	d->cursor = true;
}

static void apply_filter(struct tui *t, const char *text)
{
	if (jobview_set_filter(&t->v, text, t->v.filter.state))
		ui_dirty(t, PANE_LIST);
}

static int submit_line(struct tui *t, struct prompt *p)
{
	char **argv;
	int argc;
	struct aura_error err;
	aura_error_clear(&err);
	if (shsplit(p->e.buf, &argv, &argc, &err) < 0) {
		str_copy(p->error, err.detail, sizeof(p->error));
		return UI_HANDLED;
	}
	/* "ffmpeg -i ..." reads naturally: the word is dropped, as by submit */
	int first = argc > 0 && strcmp(argv[0], "ffmpeg") == 0 ? 1 : 0;
	if (argc - first <= 0) {
		snprintf(p->error, sizeof(p->error),
			 "type FFmpeg's arguments, e.g. -i in.mkv out.mp4");
		shsplit_free(argv);
		return UI_HANDLED;
	}
	conn_submit(t, argv + first, argc - first);
	shsplit_free(argv);
	return UI_HANDLED | UI_CLOSE;
}

static int prompt_key(struct tui *t, struct dialog *d, int key)
{
	struct prompt *p = d->state;
	if (key == ESC) {
		if (!p->submit)
			apply_filter(t, p->old_text);
		return UI_HANDLED | UI_CLOSE;
	}
	if (key == '\r' || key == '\n' || key == UI_FN(KEY_ENTER)) {
		if (p->submit)
			return submit_line(t, p);
		return UI_HANDLED | UI_CLOSE;
	}
	if (edit_key(&p->e, key)) {
		p->error[0] = '\0';
		if (!p->submit)
			apply_filter(t, p->e.buf);
	}
	return UI_HANDLED;
}

static void prompt_free(struct dialog *d)
{
	struct prompt *p = d->state;
	edit_free(&p->e);
	free(p->old_text);
	free(p);
}

static const struct dialog_ops prompt_ops = {
	.draw = prompt_draw,
	.key = prompt_key,
	.free = prompt_free,
};

static int width_for(struct tui *t)
{
	int w = COLS - 8;
	(void)t;
	return w > 100 ? 100 : w;
}

void dlg_filter_open(struct tui *t)
{
	struct prompt *p = xcalloc(1, sizeof(*p));
	edit_init(&p->e, t->v.filter.text);
	p->old_text = xstrdup(t->v.filter.text);
	ui_dialog_open(t, &prompt_ops, 5, width_for(t), p);
}

void dlg_submit_open(struct tui *t)
{
	struct prompt *p = xcalloc(1, sizeof(*p));
	edit_init(&p->e, NULL);
	p->submit = true;
	ui_dialog_open(t, &prompt_ops, 5, width_for(t), p);
}
