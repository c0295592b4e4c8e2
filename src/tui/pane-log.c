/*
 * pane-log.c -- the selected job's log: the tail of job.log, following
 * new lines as they come (l turns following off and on), scrollable back
 * through the lines kept (UI_LOG_LINES) when it has the focus.
 *
 * Must never: show a line of another job (the ring is reset when the
 * selection's log is loaded), or pass log bytes to the terminal unfiltered.
 */
#include "config.h"

#include <stdio.h>

#include "tui/ui.h"

static void log_draw(struct tui *t, struct pane *p)
{
	struct logtail *lt = &t->log;
	int rows = p->h - 1;
	char title[96], right[96];
	if (lt->job_id)
		snprintf(title, sizeof(title), "Log #%lld", (long long)lt->job_id);
	else
		snprintf(title, sizeof(title), "Log");
	if (!lt->job_id || !lt->n)
		right[0] = '\0';
	else if (lt->follow && lt->scroll == 0)
		snprintf(right, sizeof(right), "following");
	else
		snprintf(right, sizeof(right), "%zu lines below, l follows", lt->scroll);
	ui_title(t, p->win, p->w, title, right, t->focus == PANE_LOG);
	if (!lt->job_id) {
		ui_text(t, p->win, 1, 1, t->v.total > 0 ? "…" : "", p->w - 2, ui_attr(t, ST_DIM),
			false);
		return;
	}
	if (lt->n == 0) {
		ui_text(t, p->win, 1, 1, lt->complete ? "(the log is empty)" : "…", p->w - 2,
			ui_attr(t, ST_DIM), false);
		return;
	}
	size_t first = logtail_first_visible(lt, rows);
	for (int i = 0; i < rows; i++) {
		const char *line = logtail_line(lt, first + (size_t)i);
		if (!line)
			break;
		ui_text(t, p->win, 1 + i, 1, line, p->w - 2, A_NORMAL, false);
	}
}

static int log_key(struct tui *t, struct pane *p, enum ui_action a)
{
	struct logtail *lt = &t->log;
	int rows = p->h - 1;
	switch (a) {
	case A_DOWN:
		logtail_scroll(lt, -1, rows);
		break;
	case A_UP:
		logtail_scroll(lt, 1, rows);
		break;
	case A_PGDN:
		logtail_scroll(lt, -rows, rows);
		break;
	case A_PGUP:
		logtail_scroll(lt, rows, rows);
		break;
	case A_HOME:
		logtail_scroll(lt, (int64_t)lt->n, rows);
		break;
	case A_END:
		logtail_set_follow(lt, true);
		break;
	default:
		return UI_IGNORED;
	}
	ui_dirty(t, PANE_LOG);
	return UI_HANDLED;
}

const struct pane_ops pane_log_ops = {
	.name = "log",
	.draw = log_draw,
	.key = log_key,
	.resize = NULL,
};
