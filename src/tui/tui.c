/*
 * tui.c -- the terminal UI's frame: the layout and its re-flow on
 * SIGWINCH, dirty flags and the message line, dialogs, key dispatch, and
 * drawing the dirty panes in one frame (run.c calls it at most 20 times a
 * second; term.c owns the terminal itself).
 *
 * Must never: draw from a key or event handler (ui_draw is called once
 * per loop turn, by run.c only).
 */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "tui/tui.h"
#include "tui/ui.h"

/* ---- marks, messages, layout ----------------------------------------------------------- */

void ui_dirty(struct tui *t, enum pane_id p)
{
	if (p == PANE__COUNT) {
		for (int i = 0; i < PANE__COUNT; i++)
			t->panes[i].dirty = true;
	} else {
		t->panes[p].dirty = true;
	}
}

void ui_msg(struct tui *t, enum msg_level lvl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->msg, sizeof(t->msg), fmt, ap);
	va_end(ap);
	t->msg_level = lvl;
	t->msg_job = 0;
	ui_dirty(t, PANE_HINT);
}

void ui_msg_error(struct tui *t, const char *what, const struct aura_error *err)
{
	int code = err->code ? err->code : AURA_E_INTERNAL;
	if (err->detail[0])
		ui_msg(t, MSG_ERROR, "%s: %s: %s (%s)", what, aura_error_name(code),
		       aura_error_message(code), err->detail);
	else
		ui_msg(t, MSG_ERROR, "%s: %s: %s", what, aura_error_name(code),
		       aura_error_message(code));
}

void ui_selection_moved(struct tui *t)
{
	if (t->v.sel_id != t->loaded_id)
		t->sel_changed_ms = time_mono_ms();
	t->panes[PANE_DETAIL].scroll = 0;
	ui_dirty(t, PANE_LIST);
	ui_dirty(t, PANE_DETAIL);
	ui_dirty(t, PANE_LOG);
}

static void place(struct pane *p, int y, int x, int h, int w)
{
	p->y = y;
	p->x = x;
	p->h = h;
	p->w = w;
	p->shown = h > 0 && w > 0;
	if (p->win) {
		delwin(p->win);
		p->win = NULL;
	}
	if (p->shown)
		p->win = newwin(h, w, y, x);
	p->dirty = true;
}

void ui_layout(struct tui *t)
{
	int rows = LINES, cols = COLS;
	t->too_small = rows < UI_COMPACT_ROWS || cols < UI_COMPACT_COLS;
	t->compact = !t->too_small && (rows < UI_MIN_ROWS || cols < UI_MIN_COLS);
	if (t->too_small) {
		for (int i = 0; i < PANE__COUNT; i++)
			place(&t->panes[i], 0, 0, 0, 0);
		t->redraw_all = true;
		return;
	}
	if (t->compact) {
		/* the list alone; the hint pane shows the selected job's
		 * progress above the F-key bar */
		place(&t->panes[PANE_STATUS], 0, 0, 0, 0);
		place(&t->panes[PANE_LIST], 0, 0, rows - 2, cols);
		place(&t->panes[PANE_DETAIL], 0, 0, 0, 0);
		place(&t->panes[PANE_LOG], 0, 0, 0, 0);
		place(&t->panes[PANE_HINT], rows - 2, 0, 2, cols);
		t->focus = PANE_LIST;
	} else {
		int content = rows - 2;
		int list_h = content / 2;
		int bottom = content - list_h;
		int detail_w = 0;
		if (t->show_detail) {
			detail_w = cols * 2 / 5;
			if (detail_w < 36)
				detail_w = 36;
			if (detail_w > 64)
				detail_w = 64;
		}
		place(&t->panes[PANE_STATUS], 0, 0, 1, cols);
		place(&t->panes[PANE_LIST], 1, 0, list_h, cols);
		place(&t->panes[PANE_DETAIL], 1 + list_h, 0, t->show_detail ? bottom : 0, detail_w);
		place(&t->panes[PANE_LOG], 1 + list_h, detail_w, bottom, cols - detail_w);
		place(&t->panes[PANE_HINT], rows - 1, 0, 1, cols);
	}
	for (int i = 0; i < PANE__COUNT; i++) {
		struct pane *p = &t->panes[i];
		if (p->shown && p->ops->resize)
			p->ops->resize(t, p);
	}
	if (t->focus == PANE_DETAIL && !t->show_detail)
		t->focus = PANE_LIST;
	if (t->dlg) {
		/* re-centre the dialog */
		struct dialog *d = t->dlg;
		int h = d->h > rows - 2 ? rows - 2 : d->h;
		int w = d->w > cols - 2 ? cols - 2 : d->w;
		if (d->win)
			delwin(d->win);
		d->win = newwin(h, w, (rows - h) / 2, (cols - w) / 2);
		t->dlg_dirty = true;
	}
	t->redraw_all = true;
}

/* ---- dialogs ---------------------------------------------------------------------------- */

void ui_dialog_open(struct tui *t, const struct dialog_ops *ops, int h, int w, void *state)
{
	ui_dialog_close(t);
	struct dialog *d = xcalloc(1, sizeof(*d));
	d->ops = ops;
	d->h = h;
	d->w = w;
	d->state = state;
	t->dlg = d;
	int rows = LINES, cols = COLS;
	if (h > rows - 2)
		h = rows - 2;
	if (w > cols - 2)
		w = cols - 2;
	if (h > 0 && w > 0)
		d->win = newwin(h, w, (rows - h) / 2, (cols - w) / 2);
	t->dlg_dirty = true;
}

void ui_dialog_close(struct tui *t)
{
	struct dialog *d = t->dlg;
	if (!d)
		return;
	t->dlg = NULL;
	if (d->ops->free)
		d->ops->free(d);
	if (d->win)
		delwin(d->win);
	free(d);
	/* what the dialog covered must be drawn again */
	ui_dirty(t, PANE__COUNT);
	t->redraw_all = true;
}

void ui_dialog_frame(const struct tui *t, struct dialog *d, const char *title)
{
	int h, w;
	getmaxyx(d->win, h, w);
	werase(d->win);
	wattrset(d->win, A_NORMAL);
	box(d->win, 0, 0);
	char s[128];
	snprintf(s, sizeof(s), " %s ", title);
	ui_text(t, d->win, 0, 2, s, w - 4, A_BOLD, false);
	(void)h;
}

/* ---- drawing ---------------------------------------------------------------------------- */

static void draw_too_small(struct tui *t)
{
	werase(stdscr);
	char s[128];
	snprintf(s, sizeof(s), "aura needs at least %dx%d (this terminal is %dx%d)",
		 UI_COMPACT_COLS, UI_COMPACT_ROWS, COLS, LINES);
	if (ui_width(t, s) > COLS)
		snprintf(s, sizeof(s), "aura needs %dx%d, has %dx%d", UI_COMPACT_COLS,
			 UI_COMPACT_ROWS, COLS, LINES);
	int w = ui_width(t, s);
	if (w > COLS)
		w = COLS; /* cut to the width */
	int y = LINES / 2, x = (COLS - w) / 2;
	ui_text(t, stdscr, y < 0 ? 0 : y, x < 0 ? 0 : x, s, COLS, A_BOLD, false);
	if (LINES > 2)
		ui_text(t, stdscr, y + 1 < LINES ? y + 1 : 0, x < 0 ? 0 : x, "q quits", COLS,
			A_NORMAL, false);
	wnoutrefresh(stdscr);
}

bool ui_any_dirty(const struct tui *t)
{
	if (t->redraw_all || (t->dlg && t->dlg_dirty))
		return true;
	for (int i = 0; i < PANE__COUNT; i++)
		if (t->panes[i].shown && t->panes[i].dirty)
			return true;
	return false;
}

void ui_draw(struct tui *t, int64_t now)
{
	bool all = t->redraw_all;
	if (all) {
		clearok(curscr, TRUE);
		t->redraw_all = false;
	}
	if (t->too_small) {
		draw_too_small(t);
	} else {
		if (all)
			ui_dirty(t, PANE__COUNT);
		/* compact: the progress line follows the list's selection and rows */
		if (t->compact && (t->panes[PANE_LIST].dirty || t->panes[PANE_STATUS].dirty)) {
			ui_dirty(t, PANE_HINT);
			t->panes[PANE_STATUS].dirty =
			    false; /* not shown: its state is in the line */
		}
		bool drew = false;
		for (int i = 0; i < PANE__COUNT; i++) {
			struct pane *p = &t->panes[i];
			if (!p->shown || !p->dirty)
				continue;
			werase(p->win);
			p->ops->draw(t, p);
			wnoutrefresh(p->win);
			p->dirty = false;
			drew = true;
		}
		struct dialog *d = t->dlg;
		if (d && d->win && (drew || t->dlg_dirty)) {
			if (drew)
				touchwin(d->win);
			d->cursor = false;
			d->ops->draw(t, d);
			wnoutrefresh(d->win);
		}
		t->dlg_dirty = false;
		if (d && d->win && d->cursor) {
			curs_set(1);
			wmove(d->win, d->cy, d->cx);
			wnoutrefresh(d->win);
		} else {
			curs_set(0);
		}
	}
	doupdate();
	t->key_seen = false;
	t->frames++;
	t->last_draw_ms = now;
	if (!t->first_frame_ms && t->v.total >= 0)
		t->first_frame_ms = now - t->start_ms;
	int64_t age = pane_list_next_age_change(t);
	t->age_due_ms = age < 0 ? 0 : now + age;
}

/* ---- keys ------------------------------------------------------------------------------- */

static void act_cancel(struct tui *t, int64_t id)
{
	conn_job_action(t, "cancel", id);
}

static void act_delete(struct tui *t, int64_t id)
{
	conn_job_action(t, "rm", id);
}

static void act_shutdown(struct tui *t, int64_t id)
{
	(void)id;
	conn_shutdown(t);
}

/* The selected job, or NULL with a message. */
static const struct job *need_job(struct tui *t)
{
	const struct job *j = jobview_selected(&t->v);
	if (!j)
		ui_msg(t, MSG_INFO, "no job selected");
	return j;
}

static void job_key(struct tui *t, enum ui_action a)
{
	const struct job *j = need_job(t);
	if (!j)
		return;
	char q[256];
	int64_t id = j->id;
	switch (a) {
	case A_CANCEL:
		if (job_state_terminal(j->state)) {
			ui_msg(t, MSG_INFO, "job #%lld is %s: nothing to cancel", (long long)id,
			       job_state_name(j->state));
			return;
		}
		snprintf(q, sizeof(q), "Cancel job #%lld (%s)?", (long long)id,
			 j->name ? j->name : "");
		dlg_confirm_open(t, q, id, act_cancel);
		break;
	case A_DELETE:
		if (j->state == JOB_RUNNING || j->state == JOB_PAUSED) {
			/* the server would refuse: say so before asking */
			struct aura_error err;
			aura_error_set(&err, AURA_E_JOB_BAD_STATE,
				       "job %lld is %s: cancel it first (`aura cancel %lld`)",
				       (long long)id, job_state_name(j->state), (long long)id);
			ui_msg_error(t, "rm", &err);
			return;
		}
		/* what rm removes (cmd-jobctl.c says the same) */
		snprintf(q, sizeof(q),
			 "Delete job #%lld (%s)?\nIts record and work directory go; its output "
			 "is kept.",
			 (long long)id, j->name ? j->name : "");
		dlg_confirm_open(t, q, id, act_delete);
		break;
	case A_PAUSE:
		if (j->state == JOB_PAUSED)
			conn_job_action(t, "resume", id);
		else if (j->state == JOB_RUNNING)
			conn_job_action(t, "pause", id);
		else
			ui_msg(t, MSG_INFO, "job #%lld is %s: only a running job pauses",
			       (long long)id, job_state_name(j->state));
		break;
	case A_RETRY:
		conn_job_action(t, "retry", id);
		break;
	default:
		break;
	}
}

/* `b`: only the selected job's batch; again, every job. */
static void batch_key(struct tui *t)
{
	if (t->v.filter.batch_id > 0) {
		jobview_set_batch(&t->v, 0);
		sort_margin(t); /* the server sorts again */
		t->batch_known = false;
		ui_msg(t, MSG_INFO, "showing every batch's jobs");
		ui_dirty(t, PANE_LIST);
		return;
	}
	const struct job *j = need_job(t);
	if (!j)
		return;
	if (j->batch_id <= 0) {
		ui_msg(t, MSG_INFO, "job #%lld is in no batch", (long long)j->id);
		return;
	}
	jobview_set_batch(&t->v, j->batch_id);
	sort_margin(t); /* a batch's list is sorted here */
	t->batch_known = false;
	t->counts_stale = true;
	ui_dirty(t, PANE_LIST);
}

void ui_key(struct tui *t, int key)
{
	if (t->msg[0]) {
		t->msg[0] = '\0';
		ui_dirty(t, PANE_HINT);
	}
	if (key == UI_FN(KEY_RESIZE)) {
		/* resizeterm() queues this itself: the size is already known,
		 * calling it again would queue another, for ever */
		ui_layout(t);
		return;
	}
	if (key == UI_CTRL('z')) {
		term_suspend(t);
		return;
	}
	if (key == UI_FN(KEY_MOUSE)) {
		mouse_key(t);
		return;
	}
	if (t->dlg) {
		t->dlg_dirty = true;
		if (key == UI_CTRL('c')) {
			ui_dialog_close(t);
			return;
		}
		struct dialog *d = t->dlg;
		int r = d->ops->key(t, d, key);
		/* a handler may have closed d itself (and opened another) */
		if ((r & UI_CLOSE) && t->dlg == d)
			ui_dialog_close(t);
		if (r & UI_QUIT)
			t->quit = true;
		return;
	}
	if (key == UI_CTRL('c')) {
		t->quit = true;
		return;
	}
	enum ui_action a = (enum ui_action)keys_action(key);
	if (t->too_small && a != A_QUIT && a != A_SHUTDOWN && a != A_REDRAW)
		return;
	switch (a) {
	case A_QUIT:
		t->quit = true;
		return;
	case A_SHUTDOWN:
		dlg_confirm_open(t, "Shut the server down? Running jobs stop and are queued again.",
				 0, act_shutdown);
		return;
	case A_HELP:
		dlg_help_open(t);
		return;
	case A_REDRAW:
		t->redraw_all = true;
		return;
	case A_NEW:
		dlg_new_open(t);
		return;
	case A_SUBMIT:
		dlg_submit_open(t);
		return;
	case A_FILTER:
		dlg_filter_open(t);
		return;
	case A_STATE:
		dlg_state_open(t);
		return;
	case A_COMMAND:
		dlg_cmdline_open(t);
		return;
	case A_BATCH:
		batch_key(t);
		return;
	case A_SORT:
		dlg_sort_open(t);
		return;
	case A_SORT_LEFT:
	case A_SORT_RIGHT:
		sort_step(t, a == A_SORT_LEFT ? -1 : 1);
		return;
	case A_SORT_INVERT:
		sort_set(t, t->sort_col, !t->sort_desc);
		return;
	case A_MOUSE:
		mouse_set(t, !t->mouse);
		ui_msg(t, MSG_INFO, "mouse %s", t->mouse ? "on" : "off");
		return;
	case A_CANCEL:
	case A_DELETE:
	case A_PAUSE:
	case A_RETRY:
		job_key(t, a);
		return;
	case A_FOLLOW:
		logtail_set_follow(&t->log, !(t->log.follow && t->log.scroll == 0));
		ui_msg(t, MSG_INFO, "log: %s",
		       t->log.follow ? "following the tail" : "not following");
		ui_dirty(t, PANE_LOG);
		return;
	case A_DETAIL:
		t->show_detail = !t->show_detail;
		ui_layout(t);
		return;
	case A_NEXT_PANE:
		do
			t->focus = t->focus == PANE_LIST     ? PANE_DETAIL
				   : t->focus == PANE_DETAIL ? PANE_LOG
							     : PANE_LIST;
		while (!t->panes[t->focus].shown);
		ui_dirty(t, PANE_LIST);
		ui_dirty(t, PANE_DETAIL);
		ui_dirty(t, PANE_LOG);
		return;
	default:
		break;
	}
	struct pane *p = &t->panes[t->focus];
	if (p->ops->key) {
		int r = p->ops->key(t, p, a);
		if (r & UI_MOVED)
			ui_selection_moved(t);
		/* w and Left/Right are the log's wherever the focus is */
		p = &t->panes[PANE_LOG];
		if (r == UI_IGNORED && (a == A_WRAP || a == A_SCROLL_LEFT || a == A_SCROLL_RIGHT) &&
		    p->shown)
			p->ops->key(t, p, a);
	}
}

static void write_stats(const struct tui *t)
{
	const char *path = getenv("AURA_TUI_STATS");
	if (!path || !*path)
		return;
	FILE *f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f, "first_frame_ms=%lld\nframes=%llu\nfetches=%llu\ntotal=%lld\n",
		(long long)t->first_frame_ms, (unsigned long long)t->frames,
		(unsigned long long)t->fetches, (long long)t->v.total);
	fclose(f);
}

int tui_main(struct cli_ctx *ctx)
{
	struct tui t;
	memset(&t, 0, sizeof(t));
	t.ctx = ctx;
	t.start_ms = time_mono_ms();
	t.show_detail = true;
	t.sort_col = SORT_ID;
	t.sort_desc = true;
	t.focus = PANE_LIST;
	t.conn = CONN_DOWN;
	jobview_init(&t.v);
	logtail_init(&t.log, UI_LOG_LINES);
	job_init(&t.detail);
	buf_init(&t.ffhealth_buf);
	t.panes[PANE_STATUS].ops = &pane_status_ops;
	t.panes[PANE_LIST].ops = &pane_list_ops;
	t.panes[PANE_DETAIL].ops = &pane_detail_ops;
	t.panes[PANE_LOG].ops = &pane_log_ops;
	t.panes[PANE_HINT].ops = &pane_hint_ops;
	char cwd[PATH_MAX];
	t.cwd = xstrdup(getcwd(cwd, sizeof(cwd)) ? cwd : "/");

	/* A terminal the UI cannot draw on is said first, on the terminal,
	 * before a server is started for nothing. */
	struct aura_error err;
	aura_error_clear(&err);
	int status;
	if (term_check(&err) < 0) {
		status = cli_fail(&err);
		goto out;
	}
	/* Connect before taking the screen: a server that cannot start
	 * says why on a normal terminal. */
	if (conn_start(&t, &err) < 0) {
		status = cli_fail(&err);
		goto out;
	}
	if (run_main(&t, &err) < 0) {
		status = cli_fail(&err);
		goto out;
	}
	write_stats(&t);
	status = t.exit_status;
out:
	client_free(t.c);
	jobview_free(&t.v);
	logtail_free(&t.log);
	job_clear(&t.detail);
	stage_list_free(t.stages, t.n_stages);
	buf_free(&t.ffhealth_buf);
	json_decref(t.pool_list);
	free(t.cwd);
	return status;
}
