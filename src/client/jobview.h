/*
 * jobview.h -- the terminal UI's data side, with no curses: a virtualised
 * window on the server's job list (newest first, filtered by text and
 * state), the selection kept on a job id, the scroll and fetch math, the
 * live updates from the event stream, and the log tail ring of the
 * selected job.
 *
 * The server holds the list; this holds only the rows around the visible
 * ones (rows[] covers list indexes [held_off, held_off + n_rows)). Events
 * are applied in place when their effect is certain; anything that may
 * move rows the view cannot see marks the view stale, and the owner asks
 * the server again (jobview_want) at a bounded rate.
 *
 * Must never: include curses, do I/O, or hold more than the window.
 */
#ifndef AURA_JOBVIEW_H
#define AURA_JOBVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/job.h"

/* What an update changed: bits returned by the jobview_* updaters, so the
 * owner marks exactly the panes that need drawing. */
enum {
	JV_ROWS = 1 << 0,  /* a visible row (or the row count) changed */
	JV_SEL = 1 << 1,   /* the selected job, or which job is selected, changed */
	JV_STALE = 1 << 2, /* the window may differ from the server's list: fetch */
};

struct jobview_filter {
	char *text;	  /* NULL: none; else a case-insensitive substring of name, or "#ID"/"ID" */
	int state;	  /* -1: any; else an enum job_state */
	int64_t batch_id; /* 0: any; else only the jobs of that batch */
};

struct jobview {
	int64_t total;	  /* rows in the (filtered) list, as the server last said */
	int64_t held_off; /* list index of rows[0] */
	struct job *rows; /* held rows, newest first */
	size_t n_rows, cap;

	int64_t top; /* list index of the first visible row */
	int height;  /* visible rows (>= 1) */
	int margin;  /* rows fetched beyond each edge of the visible ones */

	int64_t sel;	/* selected list index, -1 when the list is empty */
	int64_t sel_id; /* its job id; 0 while its row is not held */

	struct jobview_filter filter;
	bool sorted;	     /* the server lists in another order than id, newest first */
	bool stale;	     /* rows may differ from the server's: fetch again */
	bool locate;	     /* a new order: the next fetch finds the selected job */
	int64_t max_id_seen; /* ids above this are jobs created since */
	uint64_t generation; /* bumped by a filter change: older answers are dropped */
};

void jobview_init(struct jobview *v);
void jobview_free(struct jobview *v);

/* Does j pass the filter f? */
bool jobview_matches(const struct jobview_filter *f, const struct job *j);

/*
 * Set the filter (text copied; NULL or "" for none; state -1 for any).
 * Returns false when nothing changed. Otherwise the view goes back to the
 * top, is marked stale, and generation is bumped: an answer to a fetch
 * made before must be dropped (jobview_set_window checks it). The
 * selection stays on its job if that job is in the first window fetched.
 */
bool jobview_set_filter(struct jobview *v, const char *text, int state);
/* The same for the batch part of the filter (0: any batch); the text and
 * state parts are kept. */
bool jobview_set_batch(struct jobview *v, int64_t batch_id);

/* The list's order changed (`sorted`: another order than id, newest
 * first, asked of the server): the view fetches again, and the selected
 * job is located in the new order (jobview_locate_id, jobview_locate);
 * with no job selected it goes back to the top. While sorted, an event
 * that may move a row (a job created, changed or removed) marks the view
 * stale instead of moving it here: only the server knows where it goes,
 * and the refetch locates the selected job the same way. */
void jobview_set_order(struct jobview *v, bool sorted);

/* The job the next fetch should locate (`list`'s "locate", with no
 * offset: the server places the window around it), or 0 to fetch the
 * window jobview_want names. Not in a batch's list (never sorted there). */
int64_t jobview_locate_id(const struct jobview *v);

/* The answer to a fetch at generation gen that located the selected job:
 * at is its place in the list (-1: the filters leave it out). Call before
 * jobview_set_window with the rows. The job stays selected on the same
 * screen row (as near as the list's ends allow); when it is gone, the
 * view goes to the top. */
void jobview_locate(struct jobview *v, uint64_t gen, int64_t at);

/* Events were missed (a reconnect): fetch again, and trust nothing about
 * which ids are new until the head of the list is fetched. */
void jobview_invalidate(struct jobview *v);

/* The number of visible rows; keeps the selection visible. */
void jobview_set_height(struct jobview *v, int height);

/*
 * Moving: by delta rows (negative is up; PgDn is +height), to the first
 * (home) or last (end) row. The view scrolls the least needed to keep the
 * selection visible. Returns JV_ROWS | JV_SEL if anything moved, else 0.
 */
int jobview_move(struct jobview *v, int64_t delta);
int jobview_home(struct jobview *v);
int jobview_end(struct jobview *v);

/*
 * What to fetch: true when the visible rows are not all held or the view
 * is stale; then *offset and *limit name the window to ask for (the
 * visible rows plus margin on each side, clamped at 0). While the total
 * is unknown (never fetched) the answer is the first window.
 */
bool jobview_want(const struct jobview *v, int64_t *offset, int64_t *limit);

/*
 * The server's answer to a fetch made at generation gen: n jobs (copied)
 * from list index offset, and the list's total. Returns 0 and ignores it
 * when gen is not current. Re-finds the selected job by id in the new
 * rows (the selection follows its job when rows above it came or went);
 * when the job is gone, the selection stays at its index (the next job)
 * and takes that job's id. Clamps top and sel to the new total.
 */
int jobview_set_window(struct jobview *v, uint64_t gen, int64_t offset, const struct job *jobs,
		       size_t n, int64_t total);

/*
 * Live updates from the event stream. A created or changed job j (copied)
 * is updated in place when held, inserted at the top when it is new and
 * the list's head is held; the rest, when it may change which jobs the
 * list holds where, marks the view stale. progress copies only the
 * progress fields of p (stage, progress, out_time_us, duration_us, fps,
 * speed, size, eta_s) into a held job p->id.
 */
int jobview_job_changed(struct jobview *v, const struct job *j);
int jobview_job_progress(struct jobview *v, const struct job *p);
int jobview_job_removed(struct jobview *v, int64_t id);

/* The held job at list index idx, or NULL when it is not held. */
const struct job *jobview_row(const struct jobview *v, int64_t idx);
/* The selected job when held, else NULL. */
const struct job *jobview_selected(const struct jobview *v);

/* ---- the log tail ring ------------------------------------------------------ */

/*
 * The last `cap` lines of one job's log, fed from `logs` answers (bytes,
 * split into lines here, a trailing fragment kept until its newline) and
 * from `log` events (whole lines). Scrolling counts lines up from the
 * bottom; following keeps the bottom in view as lines arrive.
 */
struct logtail {
	int64_t job_id; /* whose log this is, 0 none */
	char **ring;	/* cap lines, the oldest at head */
	size_t cap, head, n;
	uint64_t dropped; /* lines that fell off the ring's top */
	char *partial;	  /* bytes after the last newline of the fed data */
	size_t partial_len;
	bool follow;   /* keep the newest line in view */
	size_t scroll; /* lines between the bottom of the view and the newest line */
	bool complete; /* the file's existing content has been read */
};

void logtail_init(struct logtail *t, size_t cap);
void logtail_free(struct logtail *t);
/* Forget everything and start on job_id (0: none); follow is kept. */
void logtail_reset(struct logtail *t, int64_t job_id);
/* Raw log bytes: whole lines are added, a trailing fragment waits. */
void logtail_feed(struct logtail *t, const char *data, size_t n);
/* One whole line (no newline) from a `log` event. */
void logtail_push(struct logtail *t, const char *line);
/* The i-th held line, 0 the oldest; NULL past the end. */
const char *logtail_line(const struct logtail *t, size_t i);
/*
 * The index of the first line to show in a view of `height` rows, given
 * the scroll position; and scrolling by delta lines (positive goes back
 * in time). Scrolling back stops following; reaching the bottom again,
 * or logtail_set_follow(true), resumes it.
 */
size_t logtail_first_visible(const struct logtail *t, int height);
void logtail_scroll(struct logtail *t, int64_t delta, int height);
void logtail_set_follow(struct logtail *t, bool follow);

#endif
