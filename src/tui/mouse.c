/*
 * mouse.c -- the mouse, as htop has it: a click on a job selects it, a
 * click on a column header sorts by that column (again: inverted), a
 * click in the detail or log pane focuses it, and the wheel scrolls the
 * pane under the pointer. `M` turns reporting off (the terminal selects
 * text again) and on. The events come as KEY_MOUSE from curses.
 *
 * Must never: act while a dialog is open or the screen is too small, or
 * act on a row the list does not show.
 */
#include "config.h"

#include "tui/ui.h"

#define WHEEL_LINES 3

#if NCURSES_MOUSE_VERSION > 1
#define WHEEL_DOWN BUTTON5_PRESSED
#else
#define WHEEL_DOWN REPORT_MOUSE_POSITION
#endif

void mouse_set(struct tui *t, bool on)
{
	t->mouse = on;
	/* presses act, releases are read and ignored; no click timing */
	mouseinterval(0);
	mousemask(on ? BUTTON1_PRESSED | BUTTON1_RELEASED | BUTTON4_PRESSED | WHEEL_DOWN : 0, NULL);
}

/* The pane at screen (y, x), among the list, detail and log. */
static struct pane *pane_at(struct tui *t, int y, int x, enum pane_id *id)
{
	static const enum pane_id order[] = { PANE_LIST, PANE_DETAIL, PANE_LOG };
	for (size_t i = 0; i < ARRAY_LEN(order); i++) {
		struct pane *p = &t->panes[order[i]];
		if (p->shown && y >= p->y && y < p->y + p->h && x >= p->x && x < p->x + p->w) {
			*id = order[i];
			return p;
		}
	}
	return NULL;
}

static void focus(struct tui *t, enum pane_id id)
{
	if (t->focus == id)
		return;
	t->focus = id;
	ui_dirty(t, PANE_LIST);
	ui_dirty(t, PANE_DETAIL);
	ui_dirty(t, PANE_LOG);
}

static void click_list(struct tui *t, struct pane *p, int row, int col)
{
	struct jobview *v = &t->v;
	if (row == 1) { /* the column headers */
		int c = pane_list_column_at(t, col);
		if (c >= 0)
			sort_by(t, c);
		return;
	}
	int64_t idx = v->top + row - 2;
	if (row < 2 || idx >= v->total || idx >= v->top + pane_list_rows(p->h))
		return;
	if (jobview_move(v, idx - v->sel))
		ui_selection_moved(t);
}

void mouse_key(struct tui *t)
{
	MEVENT ev;
	if (getmouse(&ev) != OK || !t->mouse || t->dlg || t->too_small)
		return;
	enum pane_id id;
	struct pane *p = pane_at(t, ev.y, ev.x, &id);
	if (!p)
		return;
	if (ev.bstate & (BUTTON4_PRESSED | WHEEL_DOWN)) {
		enum ui_action a = ev.bstate & BUTTON4_PRESSED ? A_UP : A_DOWN;
		for (int i = 0; i < WHEEL_LINES && p->ops->key; i++)
			if (p->ops->key(t, p, a) & UI_MOVED)
				ui_selection_moved(t);
		return;
	}
	if (!(ev.bstate & BUTTON1_PRESSED))
		return;
	focus(t, id);
	if (id == PANE_LIST)
		click_list(t, p, ev.y - p->y, ev.x - p->x);
}
