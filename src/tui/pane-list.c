/*
 * pane-list.c -- the job list pane: a title with the filter and the
 * position, column headers, and one row per visible job (id, name, kind,
 * state, stage, progress bar, %, ETA, age). Only the rows on screen are
 * drawn, from the job view's window.
 *
 * Must never: ask the server for anything (conn.c fetches what the view
 * wants), or draw a row it does not hold as if it were a job.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/format.h"
#include "tui/ui.h"

#define TITLE_LINES 2 /* title + column headers */

struct cols {
	int id, name, kind, state, stage, bar, pct, eta, age;
};

/* The columns after a cell of width w (none when the column is hidden). */
static int adv(int w)
{
	return w ? w + 1 : 0;
}

static struct cols columns(int width)
{
	struct cols c = { 7, 0, 6, 9, 10, width >= 120 ? 16 : 10, 4, 7, 4 };
	if (width >= 160)
		c.bar = 24;
	if (width < UI_MIN_COLS) {
		/* compact: id, name, state, %; the progress line has the rest */
		c.kind = c.stage = c.bar = c.eta = c.age = 0;
	}
	/* one blank at the left edge, one after each shown column but the last */
	int fixed = 1 + adv(c.id) + 1 + adv(c.kind) + adv(c.state) + adv(c.stage) + adv(c.bar) +
		    adv(c.pct) + adv(c.eta) + c.age;
	c.name = width - fixed;
	if (c.name < 8)
		c.name = 8;
	return c;
}

int pane_list_rows(int pane_height)
{
	int n = pane_height - TITLE_LINES;
	return n < 1 ? 1 : n;
}

/* Right-aligned text in a cell. */
static void cell_right(struct tui *t, WINDOW *w, int y, int x, int width, const char *s, attr_t a)
{
	int sw = ui_width(t, s);
	if (sw > width)
		sw = width;
	ui_text(t, w, y, x + width - sw, s, width, a, false);
}

/* The headers, left to right: the sort column each names, right-aligned? */
static const struct head {
	const char *name;
	int sort;
	bool right;
} heads[] = {
	{ "ID", SORT_ID, true },	{ "NAME", SORT_NAME, false },
	{ "KIND", SORT_KIND, false },	{ "STATE", SORT_STATE, false },
	{ "STAGE", SORT_STAGE, false }, { "PROGRESS", SORT_PROGRESS, false },
	{ "%", SORT_PROGRESS, true },	{ "ETA", SORT_ETA, true },
	{ "AGE", SORT_AGE, true },
};

static void widths(const struct cols *c, int *w)
{
	int v[] = { c->id, c->name, c->kind, c->state, c->stage, c->bar, c->pct, c->eta, c->age };
	for (size_t i = 0; i < ARRAY_LEN(heads); i++)
		w[i] = v[i];
}

int pane_list_column_at(const struct tui *t, int x)
{
	int w[ARRAY_LEN(heads)];
	struct cols c = columns(t->panes[PANE_LIST].w);
	widths(&c, w);
	int at = 1;
	for (size_t i = 0; i < ARRAY_LEN(heads); i++) {
		if (w[i] && x >= at && x < at + w[i] + 1)
			return heads[i].sort;
		at += adv(w[i]);
	}
	return -1;
}

/* The headers; the sort column's is highlighted and marked ▲ or ▼ (as
 * htop highlights its sort column). */
static void draw_header(struct tui *t, struct pane *p, const struct cols *c)
{
	WINDOW *w = p->win;
	attr_t a = ui_attr(t, ST_HEADER);
	ui_fill(w, 1, 0, p->w, a);
	int wd[ARRAY_LEN(heads)];
	widths(c, wd);
	int x = 1;
	for (size_t i = 0; i < ARRAY_LEN(heads); i++) {
		if (!wd[i])
			continue;
		bool sorted = heads[i].sort == t->sort_col &&
			      (heads[i].sort != SORT_PROGRESS || heads[i].right == (c->bar == 0));
		char s[32];
		snprintf(s, sizeof(s), "%s%s", heads[i].name,
			 !sorted	? ""
			 : t->sort_desc ? (t->utf8 ? "▼" : "v")
					: (t->utf8 ? "▲" : "^"));
		attr_t ha = sorted ? ui_attr(t, ST_SEL) | A_BOLD : a;
		if (heads[i].right)
			cell_right(t, w, 1, x, wd[i], s, ha);
		else
			ui_text(t, w, 1, x, s, wd[i], ha, false);
		x += adv(wd[i]);
	}
}

static void draw_row(struct tui *t, struct pane *p, int y, const struct job *j, bool sel,
		     const struct cols *c)
{
	WINDOW *w = p->win;
	bool focus = t->focus == PANE_LIST;
	attr_t base = sel ? ui_attr(t, ST_SEL) | (focus ? A_BOLD : 0) : A_NORMAL;
	if (sel)
		ui_fill(w, y, 0, p->w, base);
	int x = 1;
	char buf[64];
	snprintf(buf, sizeof(buf), "%lld", (long long)j->id);
	cell_right(t, w, y, x, c->id, buf, base);
	x += adv(c->id);
	ui_text(t, w, y, x, j->name ? j->name : "-", c->name, base, false);
	x += adv(c->name);
	ui_text(t, w, y, x, job_kind_name(j->kind), c->kind, base, false);
	x += adv(c->kind);
	attr_t sa = sel ? base : ui_attr(t, ui_state_style((int)j->state));
	ui_text(t, w, y, x, job_state_name(j->state), c->state, sa, false);
	x += adv(c->state);
	ui_text(t, w, y, x, j->stage ? j->stage : "-", c->stage, base, false);
	x += adv(c->stage);
	double frac = j->state == JOB_SUCCEEDED ? 1.0 : j->progress;
	if (j->state == JOB_QUEUED)
		frac = 0;
	ui_bar(t, w, y, x, c->bar, frac);
	x += adv(c->bar);
	fmt_percent(buf, sizeof(buf), j);
	cell_right(t, w, y, x, c->pct, buf, base);
	x += adv(c->pct);
	if (j->state == JOB_RUNNING)
		fmt_duration(buf, sizeof(buf), j->eta_s);
	else
		str_copy(buf, "-", sizeof(buf));
	cell_right(t, w, y, x, c->eta, buf, base);
	x += adv(c->eta);
	fmt_age(buf, sizeof(buf), j->created_ms);
	cell_right(t, w, y, x, c->age, buf, base);
}

/* `batch 3 "lessons": 40 done · 2 failed · 100 total · 1 running · 57
 * queued` (running and queued when there are any; cut if no room). */
static void batch_title(const struct tui *t, char *out, size_t n)
{
	const struct jobview *v = &t->v;
	const char *dot = t->utf8 ? " · " : ", ";
	if (!t->batch_known) {
		snprintf(out, n, "batch %lld", (long long)v->filter.batch_id);
		return;
	}
	const int64_t *c = t->batch_counts;
	int k = snprintf(out, n, "batch %lld \"%s\": %lld done%s%lld failed%s%lld total",
			 (long long)v->filter.batch_id, t->batch_name, (long long)c[JOB_SUCCEEDED],
			 dot, (long long)c[JOB_FAILED], dot, (long long)t->batch_total);
	static const enum job_state more[] = { JOB_RUNNING, JOB_QUEUED, JOB_PAUSED, JOB_CANCELLED };
	for (size_t i = 0; i < ARRAY_LEN(more) && k > 0 && (size_t)k < n; i++)
		if (c[more[i]] > 0)
			k += snprintf(out + k, n - (size_t)k, "%s%lld %s", dot,
				      (long long)c[more[i]], job_state_name(more[i]));
}

static void list_draw(struct tui *t, struct pane *p)
{
	struct jobview *v = &t->v;
	char right[160], left[200], batch[200] = "";
	const char *st =
	    v->filter.state >= 0 ? job_state_name((enum job_state)v->filter.state) : NULL;
	if (v->filter.text && st)
		snprintf(left, sizeof(left), "Jobs  filter \"%s\", %s", v->filter.text, st);
	else if (v->filter.text)
		snprintf(left, sizeof(left), "Jobs  filter \"%s\"", v->filter.text);
	else if (st)
		snprintf(left, sizeof(left), "Jobs  %s", st);
	else
		snprintf(left, sizeof(left), "Jobs");
	if (sort_active(t)) {
		size_t k = strlen(left);
		snprintf(left + k, sizeof(left) - k, "  by %s%s", sort_name(t->sort_col),
			 t->sort_desc ? (t->utf8 ? "▼" : " v") : (t->utf8 ? "▲" : " ^"));
	}
	if (v->filter.batch_id > 0) {
		/* the batch first: its counts matter more than the other filters */
		batch_title(t, batch, sizeof(batch));
		char *both = xasprintf("Jobs  %s%s%s", batch, left[4] ? "," : "", left + 4);
		str_copy(left, both, sizeof(left));
		free(both);
	}
	if (v->total > 0)
		snprintf(right, sizeof(right), "%lld/%lld", (long long)(v->sel + 1),
			 (long long)v->total);
	else
		right[0] = '\0';
	ui_title(t, p->win, p->w, left, right, t->focus == PANE_LIST);

	struct cols c = columns(p->w);
	draw_header(t, p, &c);
	int rows = p->h - TITLE_LINES;
	if (v->total < 0) {
		ui_text(t, p->win, TITLE_LINES, 2,
			t->conn == CONN_UP ? "loading…" : "not connected to the server", p->w - 4,
			ui_attr(t, ST_DIM), false);
		return;
	}
	if (v->total == 0) {
		const char *s = v->filter.text || v->filter.state >= 0 || v->filter.batch_id > 0
				    ? "No job matches the filter (/, f and b change it)."
				    : "No jobs yet: n queues a video, s an FFmpeg command.";
		ui_text(t, p->win, TITLE_LINES, 2, s, p->w - 4, ui_attr(t, ST_DIM), false);
		return;
	}
	for (int i = 0; i < rows; i++) {
		int64_t idx = v->top + i;
		if (idx >= v->total)
			break;
		const struct job *j = jobview_row(v, idx);
		if (!j) {
			ui_text(t, p->win, TITLE_LINES + i, 2, "…", 1, ui_attr(t, ST_DIM), false);
			continue;
		}
		draw_row(t, p, TITLE_LINES + i, j, idx == v->sel, &c);
	}
}

int64_t pane_list_next_age_change(const struct tui *t)
{
	const struct jobview *v = &t->v;
	int64_t now = time_now_ms(), best = -1;
	for (int64_t idx = v->top; idx < v->top + v->height; idx++) {
		const struct job *j = jobview_row(v, idx);
		if (!j || j->created_ms <= 0)
			continue;
		int64_t age = now - j->created_ms;
		if (age < 0)
			age = 0;
		int64_t unit = age < 60000	? 1000
			       : age < 3600000	? 60000
			       : age < 86400000 ? 3600000
						: 86400000;
		int64_t due = unit - age % unit;
		if (best < 0 || due < best)
			best = due;
	}
	return best;
}

static int list_key(struct tui *t, struct pane *p, enum ui_action a)
{
	struct jobview *v = &t->v;
	int r;
	switch (a) {
	case A_DOWN:
		r = jobview_move(v, 1);
		break;
	case A_UP:
		r = jobview_move(v, -1);
		break;
	case A_PGDN:
		r = jobview_move(v, v->height);
		break;
	case A_PGUP:
		r = jobview_move(v, -v->height);
		break;
	case A_HOME:
		r = jobview_home(v);
		break;
	case A_END:
		r = jobview_end(v);
		break;
	default:
		return UI_IGNORED;
	}
	(void)p;
	return UI_HANDLED | (r ? UI_MOVED : 0);
}

static void list_resize(struct tui *t, struct pane *p)
{
	jobview_set_height(&t->v, pane_list_rows(p->h));
	sort_margin(t);
}

const struct pane_ops pane_list_ops = {
	.name = "list",
	.draw = list_draw,
	.key = list_key,
	.resize = list_resize,
};
