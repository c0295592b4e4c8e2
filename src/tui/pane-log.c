/*
 * pane-log.c -- the selected job's log: the tail of job.log, following
 * new lines as they come (l turns following off and on), scrollable back
 * through the lines kept (UI_LOG_LINES) when it has the focus. A long line
 * is cut with an ellipsis and the view scrolls sideways (Left/Right), or
 * it is wrapped (w) at the pane's width in display columns (a wide
 * character never split); scrolling stays by whole lines.
 *
 * Must never: show a line of another job (the ring is reset when the
 * selection's log is loaded), or pass log bytes to the terminal unfiltered.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "tui/ui.h"

#define HSCROLL_STEP 8

/* Rows a line takes when wrapped at width columns (1 at least). */
static int wrapped_rows(const struct tui *t, const char *s, int width)
{
	int rows = 0;
	do {
		size_t n = ui_fit(t, s, width, NULL);
		if (n == 0 && *s) /* a character wider than the pane: skip it */
			n = 1;
		s += n;
		rows++;
	} while (*s);
	return rows;
}

/* Draw line from screen row y on, wrapped: its first skip rows are not
 * shown (the top line may be cut); returns the rows used. */
static int draw_wrapped(struct tui *t, struct pane *p, int y, const char *s, int skip)
{
	int width = p->w - 2, used = 0;
	do {
		size_t n = ui_fit(t, s, width, NULL);
		if (n == 0 && *s)
			n = 1;
		if (skip > 0) {
			skip--;
		} else if (y + used < p->h) {
			char *chunk = xstrndup(s, n);
			ui_text(t, p->win, y + used, 1, chunk, width, A_NORMAL, false);
			free(chunk);
			used++;
		}
		s += n;
	} while (*s);
	return used;
}

/* Draw line cut at the pane's width, p->hscroll columns scrolled away. */
static void draw_cut(struct tui *t, struct pane *p, int y, const char *s)
{
	int x = 1, used;
	s += ui_fit(t, s, p->hscroll, &used);
	if (used < p->hscroll && *s) {
		/* a wide character across the left edge: a blank for its half */
		uint32_t cp;
		size_t n = utf8_next(s, &cp);
		s += n ? n : 1;
		x++;
	}
	ui_text(t, p->win, y, x, s, p->w - 1 - x, A_NORMAL, false);
}

/* The lines of a view of rows rows ending at the line `last`, wrapped:
 * the first line to draw and how many of its rows are above the view. */
static size_t wrapped_first(struct tui *t, struct pane *p, size_t last, int rows, int *skip)
{
	size_t i = last + 1;
	int need = rows;
	*skip = 0;
	while (i > 0 && need > 0) {
		i--;
		const char *line = logtail_line(&t->log, i);
		need -= wrapped_rows(t, line ? line : "", p->w - 2);
	}
	if (need < 0)
		*skip = -need;
	return i;
}

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
	if (p->hscroll > 0 && !p->wrap && right[0]) {
		size_t k = strlen(right);
		snprintf(right + k, sizeof(right) - k, ", from col %d", p->hscroll + 1);
	}
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
	if (p->wrap) {
		/* the same bottom line as unwrapped; fill the rows upwards */
		size_t last = first + (size_t)rows - 1;
		if (last >= lt->n)
			last = lt->n - 1;
		int skip;
		size_t i = wrapped_first(t, p, last, rows, &skip);
		for (int y = 1; i <= last && y < p->h; i++, skip = 0)
			y += draw_wrapped(t, p, y, logtail_line(lt, i), skip);
		return;
	}
	for (int i = 0; i < rows; i++) {
		const char *line = logtail_line(lt, first + (size_t)i);
		if (!line)
			break;
		draw_cut(t, p, 1 + i, line);
	}
}

/* The widest line in view, to stop scrolling right past it. */
static int widest_shown(struct tui *t, struct pane *p)
{
	int rows = p->h - 1, w = 0;
	size_t first = logtail_first_visible(&t->log, rows);
	for (int i = 0; i < rows; i++) {
		const char *line = logtail_line(&t->log, first + (size_t)i);
		if (!line)
			break;
		int lw = ui_width(t, line);
		if (lw > w)
			w = lw;
	}
	return w;
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
	case A_WRAP:
		p->wrap = !p->wrap;
		p->hscroll = 0;
		ui_msg(t, MSG_INFO, "log: %s", p->wrap ? "long lines wrapped" : "long lines cut");
		break;
	case A_SCROLL_LEFT:
	case A_SCROLL_RIGHT: {
		if (p->wrap) {
			ui_msg(t, MSG_INFO, "log: lines are wrapped (w cuts them again)");
			return UI_HANDLED;
		}
		int max = widest_shown(t, p) - (p->w - 2) + 1;
		int h = p->hscroll + (a == A_SCROLL_LEFT ? -HSCROLL_STEP : HSCROLL_STEP);
		if (h > max)
			h = max;
		p->hscroll = h < 0 ? 0 : h;
		break;
	}
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
