/*
 * dlg-menu.c -- the short menus: `f` filters the list by state (any state,
 * then each state with its count when known; j/k or arrows and Enter, or
 * the first letter of a state), F6 sorts it by a column (the sorted one
 * marked; choosing it again inverts the order). Esc leaves things as
 * they were.
 *
 * Must never: change the text filter (only the state part).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "tui/ui.h"

#define ESC   27
#define ITEMS (1 + JOB_STATE__COUNT) /* "any", then each state */

struct menu {
	int cur;
	bool sort; /* F6's menu, else f's */
};

static int items(const struct menu *m)
{
	return m->sort ? SORT__COUNT : ITEMS;
}

static void sort_draw(struct tui *t, struct dialog *d)
{
	struct menu *m = d->state;
	ui_dialog_frame(t, d, "Sort by");
	for (int i = 0; i < SORT__COUNT; i++) {
		bool active = t->sort_col == i;
		const char *mark = !active	  ? " "
				   : t->sort_desc ? (t->utf8 ? "▼" : "v")
						  : (t->utf8 ? "▲" : "^");
		attr_t a = i == m->cur ? ui_attr(t, ST_SEL) : A_NORMAL;
		ui_fill(d->win, 1 + i, 1, d->w - 2, a);
		ui_text(t, d->win, 1 + i, 2, mark, 1, a, false);
		ui_text(t, d->win, 1 + i, 4, sort_name(i), d->w - 6, a, false);
	}
}

static void menu_draw(struct tui *t, struct dialog *d)
{
	struct menu *m = d->state;
	if (m->sort) {
		sort_draw(t, d);
		return;
	}
	ui_dialog_frame(t, d, "Show jobs in state");
	for (int i = 0; i < ITEMS; i++) {
		char line[64];
		if (i == 0)
			snprintf(line, sizeof(line), "any state");
		else if (t->counts_known)
			snprintf(line, sizeof(line), "%-10s %6lld",
				 job_state_name((enum job_state)(i - 1)),
				 (long long)t->counts[i - 1]);
		else
			snprintf(line, sizeof(line), "%s", job_state_name((enum job_state)(i - 1)));
		bool active = t->v.filter.state == i - 1;
		attr_t a = i == m->cur ? ui_attr(t, ST_SEL) : A_NORMAL;
		ui_fill(d->win, 1 + i, 1, d->w - 2, a);
		ui_text(t, d->win, 1 + i, 2, active ? "*" : " ", 1, a, false);
		ui_text(t, d->win, 1 + i, 4, line, d->w - 6, a, false);
	}
}

static int choose(struct tui *t, const struct menu *m, int item)
{
	if (m->sort) {
		sort_by(t, item);
		return UI_HANDLED | UI_CLOSE;
	}
	if (jobview_set_filter(&t->v, t->v.filter.text, item - 1))
		ui_dirty(t, PANE_LIST);
	return UI_HANDLED | UI_CLOSE;
}

static int menu_key(struct tui *t, struct dialog *d, int key)
{
	struct menu *m = d->state;
	int n = items(m);
	switch (key) {
	case ESC:
		return UI_HANDLED | UI_CLOSE;
	case 'j':
	case UI_FN(KEY_DOWN):
		m->cur = (m->cur + 1) % n;
		return UI_HANDLED;
	case 'k':
	case UI_FN(KEY_UP):
		m->cur = (m->cur + n - 1) % n;
		return UI_HANDLED;
	case '\r':
	case '\n':
	case UI_FN(KEY_ENTER):
		return choose(t, m, m->cur);
	default:
		break;
	}
	if (m->sort)
		return UI_HANDLED;
	if (key == 'a')
		return choose(t, m, 0);
	/* the first letter of a state: q(ueued) r p s f c */
	for (int s = 0; s < JOB_STATE__COUNT; s++)
		if (key == job_state_name((enum job_state)s)[0])
			return choose(t, m, s + 1);
	return UI_HANDLED;
}

static void menu_free(struct dialog *d)
{
	free(d->state);
}

static const struct dialog_ops menu_ops = {
	.draw = menu_draw,
	.key = menu_key,
	.free = menu_free,
};

void dlg_state_open(struct tui *t)
{
	struct menu *m = xcalloc(1, sizeof(*m));
	m->cur = t->v.filter.state + 1;
	ui_dialog_open(t, &menu_ops, ITEMS + 2, 30, m);
}

void dlg_sort_open(struct tui *t)
{
	struct menu *m = xcalloc(1, sizeof(*m));
	m->sort = true;
	m->cur = t->sort_col;
	ui_dialog_open(t, &menu_ops, SORT__COUNT + 2, 24, m);
}
