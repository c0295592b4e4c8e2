/*
 * jobview.c -- the terminal UI's job list window, selection, scroll math,
 * live updates, and the log tail ring (see jobview.h). Pure data: the TUI
 * draws it, the unit tests drive it.
 *
 * Must never: include curses, do I/O, or guess: an event whose effect on
 * rows it does not hold is uncertain marks the view stale instead.
 *
 * The list is ordered by id, newest first (the server's `list` order), and
 * ids are never reused (unless `sorted`: then only the server places rows). So a job with an id
 * above every id the list ever held is new and belongs at index 0, and a row that leaves the list
 * shifts only the rows after it: the updates below rest on these two facts.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "client/jobview.h"
#include "base/util.h"

/* ---- helpers ------------------------------------------------------------------- */

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static bool filter_active(const struct jobview_filter *f)
{
	return f->text || f->state >= 0 || f->batch_id > 0;
}

/* Case-insensitive (ASCII) substring; UTF-8 bytes compare as they are. */
static bool contains_nocase(const char *hay, const char *needle)
{
	if (!hay)
		return false;
	size_t nl = strlen(needle);
	for (const char *p = hay; *p; p++) {
		size_t i = 0;
		while (i < nl && p[i] &&
		       tolower((unsigned char)p[i]) == tolower((unsigned char)needle[i]))
			i++;
		if (i == nl)
			return true;
	}
	return nl == 0;
}

bool jobview_matches(const struct jobview_filter *f, const struct job *j)
{
	if (f->state >= 0 && (int)j->state != f->state)
		return false;
	if (f->batch_id > 0 && j->batch_id != f->batch_id)
		return false;
	if (!f->text || !*f->text)
		return true;
	/* "12" or "#12" also finds job 12, whatever its name says. */
	const char *t = f->text[0] == '#' ? f->text + 1 : f->text;
	int64_t id;
	if (*t && t[0] != '-' && t[0] != '+' && parse_int64(t, &id) == 0 && id == j->id)
		return true;
	return contains_nocase(j->name, f->text) || contains_nocase(j->output, f->text);
}

void jobview_init(struct jobview *v)
{
	memset(v, 0, sizeof(*v));
	v->total = -1;
	v->height = 1;
	v->margin = 1;
	v->sel = -1;
	v->filter.state = -1;
}

static void clear_rows(struct jobview *v)
{
	for (size_t i = 0; i < v->n_rows; i++)
		job_clear(&v->rows[i]);
	v->n_rows = 0;
}

void jobview_free(struct jobview *v)
{
	clear_rows(v);
	free(v->rows);
	free(v->filter.text);
	memset(v, 0, sizeof(*v));
}

static void reserve(struct jobview *v, size_t n)
{
	XGROW(v->rows, n, v->cap, 64);
}

/* Index into rows[] of job id, or -1. */
static int64_t find_held(const struct jobview *v, int64_t id)
{
	for (size_t i = 0; i < v->n_rows; i++)
		if (v->rows[i].id == id)
			return (int64_t)i;
	return -1;
}

const struct job *jobview_row(const struct jobview *v, int64_t idx)
{
	if (idx < v->held_off || idx >= v->held_off + (int64_t)v->n_rows)
		return NULL;
	return &v->rows[idx - v->held_off];
}

const struct job *jobview_selected(const struct jobview *v)
{
	return v->sel < 0 ? NULL : jobview_row(v, v->sel);
}

static bool visible(const struct jobview *v, int64_t idx)
{
	return idx >= v->top && idx < v->top + v->height;
}

/* The id of the job at sel, 0 when not held (or nothing selected). */
static void sync_sel_id(struct jobview *v)
{
	const struct job *j = jobview_selected(v);
	v->sel_id = j ? j->id : 0;
}

/* Keep sel and top inside the list, and the selection in view. */
static void clamp_view(struct jobview *v)
{
	int64_t total = v->total < 0 ? 0 : v->total;
	if (total == 0) {
		v->sel = -1;
		v->top = 0;
		v->sel_id = 0;
		return;
	}
	if (v->sel < 0)
		v->sel = 0;
	if (v->sel >= total)
		v->sel = total - 1;
	v->top = min64(v->top, max64(0, total - v->height));
	if (v->top < 0)
		v->top = 0;
	if (v->sel < v->top)
		v->top = v->sel;
	if (v->sel >= v->top + v->height)
		v->top = v->sel - v->height + 1;
}

/* After inserts at the head, keep the held rows bounded: drop from the
 * end what lies well past the visible rows. */
static void trim(struct jobview *v)
{
	size_t max_hold = (size_t)(2 * (v->height + 2 * v->margin));
	if (v->n_rows <= max_hold)
		return;
	int64_t keep_to = max64(v->top + v->height + v->margin, v->held_off + (int64_t)max_hold);
	while (v->n_rows > 0 && v->held_off + (int64_t)v->n_rows > keep_to)
		job_clear(&v->rows[--v->n_rows]);
}

/* ---- filter, size, moving ------------------------------------------------------------ */

void jobview_invalidate(struct jobview *v)
{
	v->stale = true;
	v->max_id_seen = 0;
	v->generation++;
}

/* A new filter: a new list, fetched from its top. */
static void filter_changed(struct jobview *v)
{
	v->generation++;
	v->stale = true;
	v->max_id_seen = 0; /* the head of the new list is not known yet */
	v->top = 0;
	v->sel = v->total > 0 ? 0 : -1;
	/* sel_id is kept: the selection returns to its job if the first
	 * window of the new list holds it. */
}

void jobview_set_order(struct jobview *v, bool sorted)
{
	v->sorted = sorted;
	if (!v->sel_id) {
		filter_changed(v);
		return;
	}
	v->generation++; /* an answer in the old order must not land */
	v->stale = true;
	v->max_id_seen = 0;
	v->locate = true; /* sel and top stay until the job is found */
}

int64_t jobview_locate_id(const struct jobview *v)
{
	if (v->filter.batch_id || !(v->locate || (v->sorted && v->stale)))
		return 0;
	return v->sel_id;
}

void jobview_locate(struct jobview *v, uint64_t gen, int64_t at)
{
	if (gen != v->generation)
		return;
	if (at < 0) {
		v->top = 0;
		v->sel = 0;
		v->sel_id = 0; /* jobview_set_window selects the first row */
		return;
	}
	int64_t row = max64(0, min64(v->sel - v->top, v->height - 1));
	v->sel = at;
	v->top = at - row;
}

bool jobview_set_filter(struct jobview *v, const char *text, int state)
{
	if (text && !*text)
		text = NULL;
	bool same_text = (!text && !v->filter.text) ||
			 (text && v->filter.text && strcmp(text, v->filter.text) == 0);
	if (same_text && state == v->filter.state)
		return false;
	char *copy = xstrdup(text); /* text may be v->filter.text itself */
	free(v->filter.text);
	v->filter.text = copy;
	v->filter.state = state;
	filter_changed(v);
	return true;
}

bool jobview_set_batch(struct jobview *v, int64_t batch_id)
{
	if (batch_id < 0)
		batch_id = 0;
	if (batch_id == v->filter.batch_id)
		return false;
	v->filter.batch_id = batch_id;
	filter_changed(v);
	return true;
}

void jobview_set_height(struct jobview *v, int height)
{
	v->height = height < 1 ? 1 : height;
	v->margin = v->height;
	clamp_view(v);
}

static int move_to(struct jobview *v, int64_t sel, int64_t top)
{
	if (v->total <= 0)
		return 0;
	if (v->locate) {
		/* A move before a new order's first answer (G just after a
		 * sort key): a place in the new order, not the old rows' job
		 * -- and the answer on its way, placed around the job selected
		 * before, must not move the selection back to it. */
		v->locate = false;
		v->generation++;
		v->sel = sel;
		v->top = top;
		clamp_view(v);
		v->sel_id = 0; /* the job at sel once the new rows are here */
		return JV_ROWS | JV_SEL;
	}
	int64_t old_sel = v->sel, old_top = v->top;
	v->sel = sel;
	v->top = top;
	clamp_view(v);
	sync_sel_id(v);
	return v->sel == old_sel && v->top == old_top ? 0 : JV_ROWS | JV_SEL;
}

int jobview_move(struct jobview *v, int64_t delta)
{
	if (v->total <= 0)
		return 0;
	int64_t sel = v->sel < 0 ? 0 : v->sel;
	int64_t top = v->top;
	sel = max64(0, min64(v->total - 1, sel + delta));
	/* A page move scrolls the page too, so the selection keeps its place
	 * on screen (as less and htop do); small moves scroll the least. */
	if (delta >= v->height || -delta >= v->height)
		top += delta;
	return move_to(v, sel, top);
}

int jobview_home(struct jobview *v)
{
	return move_to(v, 0, 0);
}

int jobview_end(struct jobview *v)
{
	return v->total > 0 ? move_to(v, v->total - 1, v->total - v->height) : 0;
}

/* ---- fetching ----------------------------------------------------------------------- */

bool jobview_want(const struct jobview *v, int64_t *offset, int64_t *limit)
{
	int64_t off = max64(0, v->top - v->margin);
	*offset = off;
	*limit = v->top + v->height + v->margin - off;
	if (v->total < 0 || v->stale)
		return true;
	int64_t lo = v->top, hi = min64(v->total, v->top + v->height);
	if (hi <= lo)
		return false;
	return lo < v->held_off || hi > v->held_off + (int64_t)v->n_rows;
}

int jobview_set_window(struct jobview *v, uint64_t gen, int64_t offset, const struct job *jobs,
		       size_t n, int64_t total)
{
	if (gen != v->generation)
		return 0;
	clear_rows(v);
	reserve(v, n);
	for (size_t i = 0; i < n; i++)
		job_copy(&v->rows[i], &jobs[i]);
	v->n_rows = n;
	v->held_off = offset;
	v->total = total < 0 ? 0 : total;
	v->stale = false;
	v->locate = false;
	/* The head tells which ids are new from now on; a window further
	 * down says nothing about the ids above it. */
	if (offset == 0 && !v->sorted)
		v->max_id_seen = n ? v->rows[0].id : 0;

	int64_t i = v->sel_id ? find_held(v, v->sel_id) : -1;
	if (i >= 0)
		v->sel = offset + i;
	else if (v->sel < 0 && v->total > 0)
		v->sel = 0;
	clamp_view(v);
	sync_sel_id(v);
	return JV_ROWS | JV_SEL;
}

/* ---- live updates ------------------------------------------------------------------- */

/* Insert a copy of j at list index 0 (it is newer than every listed job). */
static int insert_head(struct jobview *v, const struct job *j)
{
	bool was_empty = v->total == 0;
	if (v->held_off == 0) {
		reserve(v, v->n_rows + 1);
		memmove(&v->rows[1], &v->rows[0], v->n_rows * sizeof(*v->rows));
		job_copy(&v->rows[0], j);
		v->n_rows++;
	} else {
		v->held_off++;
	}
	v->total++;
	if (was_empty) {
		v->sel = 0;
		v->top = 0;
	} else {
		/* Rows after the new one shift down: the selection stays on
		 * its job, the page on its rows unless it shows the head. */
		if (v->sel >= 0)
			v->sel++;
		if (v->top > 0)
			v->top++;
	}
	clamp_view(v);
	sync_sel_id(v);
	trim(v);
	return JV_ROWS | (was_empty ? JV_SEL : 0);
}

/* Remove held row i (list index held_off + i). */
static int remove_held(struct jobview *v, int64_t i)
{
	int64_t idx = v->held_off + i;
	bool was_sel = idx == v->sel;
	job_clear(&v->rows[i]);
	memmove(&v->rows[i], &v->rows[i + 1], (v->n_rows - (size_t)i - 1) * sizeof(*v->rows));
	v->n_rows--;
	v->total--;
	if (idx < v->sel)
		v->sel--;
	/* A removed selected row hands the selection to the next job. */
	clamp_view(v);
	sync_sel_id(v);
	/* JV_ROWS even for a row out of view: the count in the title changed */
	return JV_ROWS | (was_sel ? JV_SEL : 0);
}

int jobview_job_changed(struct jobview *v, const struct job *j)
{
	if (v->total < 0)
		return JV_STALE;
	bool match = jobview_matches(&v->filter, j);
	int64_t i = find_held(v, j->id);
	if (i >= 0) {
		if (!match)
			return remove_held(v, i);
		job_clear(&v->rows[i]);
		job_copy(&v->rows[i], j);
		int64_t idx = v->held_off + i;
		if (v->sorted) /* its place may have changed: the server says */
			v->stale = true;
		return (visible(v, idx) ? JV_ROWS : 0) | (idx == v->sel ? JV_SEL : 0) |
		       (v->sorted ? JV_STALE : 0);
	}
	if (v->sorted) {
		v->stale = true;
		return JV_STALE;
	}
	bool head_known = v->max_id_seen > 0 || (v->held_off == 0 && !v->stale);
	if (head_known && j->id > v->max_id_seen) {
		v->max_id_seen = j->id;
		return match ? insert_head(v, j) : 0;
	}
	/* An older job that is not held: without a filter the list keeps
	 * its members and order; with one, it may have joined or left. */
	if (!filter_active(&v->filter) && head_known)
		return 0;
	v->stale = true;
	return JV_STALE;
}

int jobview_job_progress(struct jobview *v, const struct job *p)
{
	int64_t i = find_held(v, p->id);
	if (i < 0)
		return 0;
	job_copy_progress(&v->rows[i], p);
	int64_t idx = v->held_off + i;
	return (visible(v, idx) ? JV_ROWS : 0) | (idx == v->sel ? JV_SEL : 0);
}

int jobview_job_removed(struct jobview *v, int64_t id)
{
	if (v->total < 0)
		return JV_STALE;
	int64_t i = find_held(v, id);
	if (i >= 0)
		return remove_held(v, i);
	if (filter_active(&v->filter) || v->n_rows == 0 || v->sorted) {
		/* whether it was in the filtered list is not known here */
		v->stale = true;
		return JV_STALE;
	}
	if (id > v->rows[0].id) {
		if (v->held_off == 0) {
			/* above a held head: we never saw it, so it was not listed */
			v->stale = true;
			return JV_STALE;
		}
		/* it was above the window: everything held moves up one */
		v->held_off--;
		v->total--;
		if (v->sel > 0)
			v->sel--;
		if (v->top > 0)
			v->top--;
		clamp_view(v);
		sync_sel_id(v);
		return JV_ROWS;
	}
	if (id < v->rows[v->n_rows - 1].id) {
		v->total--;
		clamp_view(v);
		sync_sel_id(v);
		return JV_ROWS;
	}
	/* Between two held rows but not held: our window is out of date. */
	v->stale = true;
	return JV_STALE;
}

/* ---- the log tail ring -------------------------------------------------------------------- */

void logtail_init(struct logtail *t, size_t cap)
{
	memset(t, 0, sizeof(*t));
	t->cap = cap ? cap : 1;
	t->ring = xcalloc(t->cap, sizeof(*t->ring));
	t->follow = true;
}

static void logtail_clear(struct logtail *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->ring[(t->head + i) % t->cap]);
	t->n = 0;
	t->head = 0;
	t->dropped = 0;
	free(t->partial);
	t->partial = NULL;
	t->partial_len = 0;
	t->scroll = 0;
	t->complete = false;
}

void logtail_free(struct logtail *t)
{
	if (!t->ring)
		return;
	logtail_clear(t);
	free(t->ring);
	memset(t, 0, sizeof(*t));
}

void logtail_reset(struct logtail *t, int64_t job_id)
{
	logtail_clear(t);
	t->job_id = job_id;
}

static void push_owned(struct logtail *t, char *line)
{
	if (t->n == t->cap) {
		free(t->ring[t->head]);
		t->ring[t->head] = line;
		t->head = (t->head + 1) % t->cap;
		t->dropped++;
	} else {
		t->ring[(t->head + t->n) % t->cap] = line;
		t->n++;
	}
	/* A reader scrolled back keeps looking at the same lines. */
	if (!t->follow && t->scroll + 1 < t->n)
		t->scroll++;
}

void logtail_push(struct logtail *t, const char *line)
{
	push_owned(t, xstrdup(line));
}

void logtail_feed(struct logtail *t, const char *data, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		if (data[i] != '\n')
			continue;
		size_t len = i - start;
		size_t total = t->partial_len + len;
		char *line = xmalloc(total + 1);
		if (t->partial_len)
			memcpy(line, t->partial, t->partial_len);
		memcpy(line + t->partial_len, data + start, len);
		if (total && line[total - 1] == '\r')
			total--;
		line[total] = '\0';
		free(t->partial);
		t->partial = NULL;
		t->partial_len = 0;
		push_owned(t, line);
		start = i + 1;
	}
	if (start < n) {
		size_t len = n - start;
		t->partial = xrealloc(t->partial, t->partial_len + len + 1);
		memcpy(t->partial + t->partial_len, data + start, len);
		t->partial_len += len;
		t->partial[t->partial_len] = '\0';
	}
}

const char *logtail_line(const struct logtail *t, size_t i)
{
	return i < t->n ? t->ring[(t->head + i) % t->cap] : NULL;
}

static size_t max_scroll(const struct logtail *t, int height)
{
	size_t h = height < 1 ? 1 : (size_t)height;
	return t->n > h ? t->n - h : 0;
}

size_t logtail_first_visible(const struct logtail *t, int height)
{
	size_t h = height < 1 ? 1 : (size_t)height;
	size_t s = t->scroll;
	if (s > max_scroll(t, height))
		s = max_scroll(t, height);
	size_t bottom = t->n - s;
	return bottom > h ? bottom - h : 0;
}

void logtail_scroll(struct logtail *t, int64_t delta, int height)
{
	int64_t s = (int64_t)t->scroll;
	if (s > (int64_t)max_scroll(t, height))
		s = (int64_t)max_scroll(t, height);
	s += delta;
	if (s < 0)
		s = 0;
	if (s > (int64_t)max_scroll(t, height))
		s = (int64_t)max_scroll(t, height);
	t->scroll = (size_t)s;
	if (delta > 0)
		t->follow = false;
	else if (t->scroll == 0)
		t->follow = true;
}

void logtail_set_follow(struct logtail *t, bool follow)
{
	t->follow = follow;
	if (follow)
		t->scroll = 0;
}
