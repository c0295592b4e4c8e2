/*
 * test-jobview.c -- the TUI's data side against a model of the server's
 * `list` (filtered, newest first): ordering of the held window and of
 * live inserts, filtering by text and state (and dropping answers to an
 * older filter), the selection staying on its job across updates,
 * inserts, removals and refetches, the windowing math on 100 000 rows
 * (PgDn sweep, end, home: what is fetched and what is held), when the
 * view must refetch, and the log tail ring (partial lines, capacity,
 * follow and scroll-back).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/job.h"
#include "client/jobview.h"
#include "base/util.h"

/* ---- a model of the server's store ---------------------------------------- */

#define MAX_JOBS 64
static struct job store[MAX_JOBS];
static int n_store;
static int64_t last_id; /* ids are never reused, as in the real store */

static void store_reset(void)
{
	last_id = 0;
	for (int i = 0; i < n_store; i++)
		job_clear(&store[i]);
	n_store = 0;
}

static struct job *store_add(const char *name, enum job_state st)
{
	struct job *j = &store[n_store];
	job_init(j);
	j->id = ++last_id;
	j->name = xstrdup(name);
	j->state = st;
	n_store++;
	return j;
}

static bool store_has(int64_t id, enum job_state st)
{
	for (int i = 0; i < n_store; i++)
		if (store[i].id == id)
			return store[i].state == st;
	return false;
}

static struct job *store_find(int64_t id)
{
	for (int i = 0; i < n_store; i++)
		if (store[i].id == id)
			return &store[i];
	fail_msg("no job %lld in the model store", (long long)id);
	abort();
}

static void store_remove(int64_t id)
{
	for (int i = 0; i < n_store; i++)
		if (store[i].id == id) {
			job_clear(&store[i]);
			memmove(&store[i], &store[i + 1],
				(size_t)(n_store - i - 1) * sizeof(store[0]));
			n_store--;
			return;
		}
}

/* `list`: the filtered store, id DESC, from offset, at most limit. */
static void serve(struct jobview *v)
{
	int64_t off, lim;
	jobview_want(v, &off, &lim);
	struct job out[MAX_JOBS];
	size_t n = 0;
	int64_t total = 0;
	for (int i = n_store - 1; i >= 0; i--) {
		if (!jobview_matches(&v->filter, &store[i]))
			continue;
		if (total >= off && (int64_t)n < lim)
			out[n++] = store[i]; /* shallow: set_window copies */
		total++;
	}
	jobview_set_window(v, v->generation, off, out, n, total);
}

/* The rows held must be exactly the server's list at their indexes. */
static void assert_consistent(struct jobview *v)
{
	int64_t idx = 0;
	for (int i = n_store - 1; i >= 0; i--) {
		if (!jobview_matches(&v->filter, &store[i]))
			continue;
		const struct job *r = jobview_row(v, idx);
		if (r && r->id != store[i].id)
			fail_msg("row %lld holds job %lld, the server lists %lld", (long long)idx,
				 (long long)r->id, (long long)store[i].id);
		idx++;
	}
	assert_int_equal(v->total, idx);
	for (size_t i = 1; i < v->n_rows; i++)
		assert_true(v->rows[i - 1].id > v->rows[i].id);
}

static int teardown(void **state)
{
	(void)state;
	store_reset();
	return 0;
}

static void seed(int n)
{
	static const enum job_state cycle[] = { JOB_SUCCEEDED, JOB_RUNNING, JOB_QUEUED,
						JOB_FAILED };
	for (int i = 0; i < n; i++) {
		char name[32];
		snprintf(name, sizeof(name), "%s-%02d", i % 2 ? "Render" : "transcode", i + 1);
		store_add(name, cycle[i % 4]);
	}
}

/* ---- tests ------------------------------------------------------------------ */

static void test_order_newest_first(void **state)
{
	(void)state;
	struct jobview v;
	jobview_init(&v);
	seed(10);
	jobview_set_height(&v, 4);
	int64_t off, lim;
	assert_true(jobview_want(&v, &off, &lim)); /* nothing known yet */
	assert_int_equal(off, 0);
	assert_int_equal(lim, 8); /* 4 visible + 4 margin below */
	serve(&v);
	assert_int_equal(v.total, 10);
	assert_int_equal(jobview_row(&v, 0)->id, 10);
	assert_int_equal(jobview_row(&v, 7)->id, 3);
	assert_null(jobview_row(&v, 8)); /* not fetched */
	assert_int_equal(v.sel, 0);
	assert_int_equal(v.sel_id, 10);
	assert_false(jobview_want(&v, &off, &lim));

	/* a job created now lands on top, in order, with nothing fetched */
	struct job *j = store_add("new", JOB_QUEUED);
	int r = jobview_job_changed(&v, j);
	assert_true(r & JV_ROWS);
	assert_false(r & JV_STALE);
	assert_int_equal(jobview_row(&v, 0)->id, 11);
	assert_consistent(&v);
	jobview_free(&v);
}

static bool m(const char *text, int state, const struct job *j)
{
	struct jobview_filter f = { xstrdup(text), state, 0 };
	bool r = jobview_matches(&f, j);
	free(f.text);
	return r;
}

static bool mb(const char *text, int state, int64_t batch, const struct job *j)
{
	struct jobview_filter f = { xstrdup(text), state, batch };
	bool r = jobview_matches(&f, j);
	free(f.text);
	return r;
}

static void test_matches(void **state)
{
	(void)state;
	struct job j;
	job_init(&j);
	j.id = 12;
	j.name = xstrdup("Ocean Waves 東京");
	j.output = xstrdup("/videos/final-cut.mp4");
	j.state = JOB_RUNNING;

	assert_true(m(NULL, -1, &j));
	assert_true(m("ocean", -1, &j)); /* case-insensitive */
	assert_true(m("WAVES 東京", -1, &j));
	assert_true(m("final-cut", -1, &j)); /* the output path too */
	assert_false(m("desert", -1, &j));
	assert_true(m("12", -1, &j)); /* by id */
	assert_true(m("#12", -1, &j));
	assert_false(m("#1", -1, &j)); /* an id is whole */
	assert_true(m(NULL, JOB_RUNNING, &j));
	assert_false(m(NULL, JOB_QUEUED, &j));
	assert_false(m("ocean", JOB_QUEUED, &j)); /* both must hold */

	/* the batch part: 0 is any batch (and no batch) */
	assert_true(mb(NULL, -1, 0, &j));
	assert_false(mb(NULL, -1, 3, &j)); /* in no batch */
	j.batch_id = 3;
	assert_true(mb(NULL, -1, 3, &j));
	assert_false(mb(NULL, -1, 4, &j));
	assert_true(mb("ocean", JOB_RUNNING, 3, &j)); /* all three hold */
	assert_false(mb("ocean", JOB_QUEUED, 3, &j));
	assert_false(mb("desert", JOB_RUNNING, 3, &j));
	assert_false(mb("ocean", JOB_RUNNING, 4, &j));
	job_clear(&j);
}

/* `b`: the batch filter narrows the list, combines with the state, takes
 * new jobs of its batch only, and 0 brings every job back. */
static void test_filter_batch(void **state)
{
	(void)state;
	struct jobview v;
	jobview_init(&v);
	seed(12);
	for (int i = 0; i < n_store; i++)
		store[i].batch_id = i % 3 == 0 ? 7 : 0; /* ids 1, 4, 7, 10 */
	jobview_set_height(&v, 5);
	serve(&v);
	assert_int_equal(v.total, 12);

	assert_true(jobview_set_batch(&v, 7));
	assert_false(jobview_set_batch(&v, 7)); /* no change */
	assert_true(v.stale);
	serve(&v);
	assert_int_equal(v.total, 4);
	assert_int_equal(jobview_row(&v, 0)->id, 10);
	assert_consistent(&v);

	/* with the state: of ids 1, 4, 7, 10 (succeeded, failed, queued,
	 * running as seeded) only 1 */
	jobview_set_filter(&v, NULL, JOB_SUCCEEDED);
	assert_int_equal(v.filter.batch_id, 7); /* the batch part is kept */
	serve(&v);
	assert_int_equal(v.total, 1);
	assert_int_equal(jobview_row(&v, 0)->id, 1);
	assert_consistent(&v);
	jobview_set_filter(&v, NULL, -1);
	serve(&v);
	assert_int_equal(v.total, 4);

	/* a new job outside the batch is not listed; one inside lands on top */
	struct job *out = store_add("outside", JOB_QUEUED);
	assert_int_equal(jobview_job_changed(&v, out) & JV_ROWS, 0);
	struct job *in = store_add("inside", JOB_QUEUED);
	in->batch_id = 7;
	assert_true(jobview_job_changed(&v, in) & JV_ROWS);
	assert_int_equal(jobview_row(&v, 0)->id, in->id);
	assert_int_equal(v.total, 5);
	assert_consistent(&v);

	/* an older job not held may have joined or left: fetch again */
	jobview_set_height(&v, 1);
	jobview_home(&v);
	serve(&v);
	struct job *old = store_find(1);
	assert_null(jobview_row(&v, v.total - 1));
	old->batch_id = 0; /* (a model of leaving; the server never does it) */
	assert_true(jobview_job_changed(&v, old) & JV_STALE);
	serve(&v);
	assert_int_equal(v.total, 4);
	assert_consistent(&v);
	old->batch_id = 7;

	assert_true(jobview_set_batch(&v, 0));
	serve(&v);
	assert_int_equal(v.total, 14);
	assert_consistent(&v);
	jobview_free(&v);
}

static void test_filter_text_and_state(void **state)
{
	(void)state;
	struct jobview v;
	jobview_init(&v);
	seed(12);
	jobview_set_height(&v, 5);
	serve(&v);
	assert_int_equal(v.total, 12);

	/* An answer for the old filter arrives after the change: dropped. */
	uint64_t old_gen = v.generation;
	assert_true(jobview_set_filter(&v, "render", -1));
	assert_false(jobview_set_filter(&v, "render", -1)); /* no change */
	assert_true(v.stale);
	struct job bogus[1];
	job_init(&bogus[0]);
	bogus[0].id = 999;
	assert_int_equal(jobview_set_window(&v, old_gen, 0, bogus, 1, 1), 0);
	assert_int_not_equal(jobview_row(&v, 0)->id, 999);

	serve(&v);
	assert_int_equal(v.total, 6); /* the even ids are "Render-NN" */
	for (int64_t i = 0; i < v.total && jobview_row(&v, i); i++)
		assert_non_null(strstr(jobview_row(&v, i)->name, "Render"));
	assert_consistent(&v);

	/* text and state together; the view's own text may be passed back */
	jobview_set_filter(&v, v.filter.text, JOB_RUNNING);
	assert_string_equal(v.filter.text, "render");
	serve(&v);
	assert_int_equal(v.total, 3);
	assert_consistent(&v);

	/* a held job that stops matching leaves the window at once */
	struct job *j = store_find(jobview_row(&v, 1)->id);
	j->state = JOB_SUCCEEDED;
	int r = jobview_job_changed(&v, j);
	assert_true(r & JV_ROWS);
	assert_int_equal(v.total, 2);
	assert_consistent(&v);

	/* clearing the filter brings every job back */
	jobview_set_filter(&v, "", -1);
	serve(&v);
	assert_int_equal(v.total, 12);
	assert_consistent(&v);
	jobview_free(&v);
}

static void test_selection_follows_its_job(void **state)
{
	(void)state;
	struct jobview v;
	jobview_init(&v);
	seed(20);
	jobview_set_height(&v, 6);
	serve(&v);
	jobview_move(&v, 3);
	assert_int_equal(v.sel, 3);
	int64_t id = v.sel_id;
	assert_int_equal(id, 17);

	/* updates of the selected job and others: same job, same place */
	struct job *j = store_find(17);
	j->state = JOB_RUNNING;
	assert_true(jobview_job_changed(&v, j) & JV_SEL);
	struct job p;
	job_init(&p);
	p.id = 15;
	p.progress = 0.5;
	p.stage = xstrdup("render");
	int r = jobview_job_progress(&v, &p);
	assert_true(r & JV_ROWS);
	assert_false(r & JV_SEL);
	assert_true(jobview_row(&v, 5)->progress == 0.5);
	assert_string_equal(jobview_row(&v, 5)->stage, "render");
	job_clear(&p);
	assert_int_equal(v.sel_id, 17);
	assert_int_equal(v.sel, 3);

	/* two new jobs above: the selection moves down with its job */
	jobview_job_changed(&v, store_add("a", JOB_QUEUED));
	jobview_job_changed(&v, store_add("b", JOB_QUEUED));
	assert_int_equal(v.sel, 5);
	assert_int_equal(v.sel_id, 17);
	assert_consistent(&v);

	/* a job above it is removed: it moves up, still on 17 */
	store_remove(19);
	assert_true(jobview_job_removed(&v, 19) & JV_ROWS);
	assert_int_equal(v.sel, 4);
	assert_int_equal(v.sel_id, 17);
	assert_consistent(&v);

	/* a job below it is removed: nothing moves */
	store_remove(12);
	jobview_job_removed(&v, 12);
	assert_int_equal(v.sel_id, 17);
	assert_consistent(&v);

	/* the server's list changed behind our back (three jobs created
	 * while disconnected): after a refetch the selection is on 17 */
	store_add("x", JOB_QUEUED);
	store_add("y", JOB_QUEUED);
	store_add("z", JOB_QUEUED);
	jobview_invalidate(&v);
	serve(&v);
	assert_int_equal(v.sel_id, 17);
	assert_int_equal(v.sel, 7);
	assert_consistent(&v);

	/* the selected job itself is removed: the next (older) job is */
	store_remove(17);
	r = jobview_job_removed(&v, 17);
	assert_true(r & JV_SEL);
	assert_int_equal(v.sel, 7);
	assert_int_equal(v.sel_id, 16);
	assert_consistent(&v);

	/* a filter that keeps the selected job keeps the selection on it */
	jobview_set_filter(&v, "16", -1);
	serve(&v);
	assert_int_equal(v.total, 1);
	assert_int_equal(v.sel, 0);
	assert_int_equal(v.sel_id, 16);
	jobview_free(&v);
}

static void test_last_row_removed_and_empty_list(void **state)
{
	(void)state;
	struct jobview v;
	jobview_init(&v);
	seed(3);
	jobview_set_height(&v, 10);
	serve(&v);
	jobview_end(&v);
	assert_int_equal(v.sel_id, 1);
	store_remove(1);
	jobview_job_removed(&v, 1);
	assert_int_equal(v.sel, 1); /* the last row: back one */
	assert_int_equal(v.sel_id, 2);
	store_remove(2);
	jobview_job_removed(&v, 2);
	store_remove(3);
	jobview_job_removed(&v, 3);
	assert_int_equal(v.total, 0);
	assert_int_equal(v.sel, -1);
	assert_null(jobview_selected(&v));
	assert_int_equal(jobview_move(&v, 1), 0);
	/* the first job of an empty list is selected when it comes */
	int r = jobview_job_changed(&v, store_add("first", JOB_QUEUED));
	assert_true(r & JV_SEL);
	assert_int_equal(v.sel_id, 4);
	assert_consistent(&v);
	jobview_free(&v);
}

static void test_when_to_refetch(void **state)
{
	(void)state;
	struct jobview v;
	jobview_init(&v);
	int64_t off, lim;
	/* before any answer every event is "fetch" */
	struct job j;
	job_init(&j);
	j.id = 1;
	assert_int_equal(jobview_job_changed(&v, &j), JV_STALE);

	seed(40);
	jobview_set_height(&v, 5);
	serve(&v);
	/* no filter: an older job changing out of view moves nothing */
	struct job *old = store_find(2);
	old->state = JOB_RUNNING;
	assert_int_equal(jobview_job_changed(&v, old), 0);
	assert_false(jobview_want(&v, &off, &lim));
	/* and a removal below the window only shrinks the total */
	store_remove(2);
	assert_int_equal(jobview_job_removed(&v, 2), JV_ROWS);
	assert_false(jobview_want(&v, &off, &lim));
	assert_consistent(&v);

	/* with a state filter, the same change may add a row: fetch */
	jobview_set_filter(&v, NULL, JOB_RUNNING);
	jobview_set_height(&v, 2);
	serve(&v);
	old = store_find(3);
	old->state = JOB_RUNNING;
	assert_true(jobview_job_changed(&v, old) & JV_STALE);
	assert_true(jobview_want(&v, &off, &lim));
	serve(&v);
	assert_consistent(&v);
	/* a removal out of view under a filter: fetch */
	int64_t far = jobview_row(&v, v.n_rows - 1)->id - 1;
	while (far > 0 && !store_has(far, JOB_RUNNING))
		far--;
	store_remove(far);
	assert_true(jobview_job_removed(&v, far) & JV_STALE);
	serve(&v);
	assert_consistent(&v);

	/* after a reconnect nothing is trusted until the head is fetched */
	jobview_set_filter(&v, NULL, -1);
	serve(&v);
	jobview_move(&v, 30);
	serve(&v);
	assert_true(v.held_off > 0);
	jobview_invalidate(&v);
	serve(&v);
	struct job *n = store_add("late", JOB_QUEUED);
	assert_true(jobview_job_changed(&v, n) & JV_STALE);
	serve(&v);
	assert_consistent(&v);
	jobview_free(&v);
}

/* 100 000 rows, synthesised: index i is job 100000 - i. */
#define BIG 100000
static void serve_big(struct jobview *v, int *fetches)
{
	int64_t off, lim;
	if (!jobview_want(v, &off, &lim))
		return;
	(*fetches)++;
	if (off + lim > BIG)
		lim = BIG - off;
	struct job *out = xcalloc((size_t)(lim > 0 ? lim : 1), sizeof(*out));
	for (int64_t i = 0; i < lim; i++) {
		job_init(&out[i]);
		out[i].id = BIG - (off + i);
	}
	jobview_set_window(v, v->generation, off, out, (size_t)(lim > 0 ? lim : 0), BIG);
	free(out);
}

static void test_windowing_100k(void **state)
{
	(void)state;
	struct jobview v;
	jobview_init(&v);
	const int h = 35;
	int fetches = 0;
	jobview_set_height(&v, h);
	serve_big(&v, &fetches);
	assert_int_equal(fetches, 1);
	assert_int_equal(v.total, BIG);
	assert_true(v.n_rows <= (size_t)(h + 2 * v.margin));

	/* a full PgDn sweep: always the visible rows held after a fetch, a
	 * bounded window, a fetch at most every other page */
	int pages = 0;
	while (v.sel < BIG - 1) {
		int64_t before = v.top;
		assert_true(jobview_move(&v, h) != 0);
		pages++;
		assert_true(v.top >= before);
		serve_big(&v, &fetches);
		for (int64_t i = v.top; i < v.top + h; i++)
			assert_non_null(jobview_row(&v, i));
		assert_true(v.n_rows <= (size_t)(h + 2 * v.margin));
		assert_true(v.sel >= v.top && v.sel < v.top + h);
		if (pages > BIG)
			fail_msg("the sweep does not end");
	}
	assert_int_equal(pages, (BIG - 1 + h - 1) / h);
	assert_true(fetches <= pages / 2 + 2);
	assert_int_equal(v.top, BIG - h);
	assert_int_equal(v.sel_id, 1);
	assert_int_equal(jobview_move(&v, h), 0); /* at the end: nothing moves */

	/* home, end and what they fetch */
	jobview_home(&v);
	int64_t off, lim;
	assert_true(jobview_want(&v, &off, &lim));
	assert_int_equal(off, 0);
	assert_int_equal(lim, 2 * h);
	serve_big(&v, &fetches);
	assert_int_equal(v.sel_id, BIG);
	jobview_end(&v);
	assert_int_equal(v.sel, BIG - 1);
	assert_int_equal(v.top, BIG - h);
	assert_true(jobview_want(&v, &off, &lim));
	assert_int_equal(off, BIG - 2 * h);
	serve_big(&v, &fetches);
	assert_int_equal(v.sel_id, 1);

	/* PgUp from the end keeps the selection on its screen row */
	jobview_move(&v, -3);
	int64_t row = v.sel - v.top;
	jobview_move(&v, -h);
	assert_int_equal(v.sel - v.top, row);

	/* a resize keeps the selection in view */
	jobview_set_height(&v, 10);
	assert_true(v.sel >= v.top && v.sel < v.top + 10);
	jobview_free(&v);
}

static void test_logtail_lines(void **state)
{
	(void)state;
	struct logtail t;
	logtail_init(&t, 4);
	logtail_reset(&t, 7);
	assert_int_equal(t.job_id, 7);
	/* bytes cut anywhere: only whole lines appear, CRLF trimmed */
	logtail_feed(&t, "one\ntw", 6);
	assert_int_equal(t.n, 1);
	logtail_feed(&t, "o\r\nthr", 6);
	assert_int_equal(t.n, 2);
	assert_string_equal(logtail_line(&t, 1), "two");
	logtail_feed(&t, "ee\n", 3);
	assert_string_equal(logtail_line(&t, 2), "three");
	logtail_push(&t, "four");
	logtail_push(&t, "five"); /* the ring is full: "one" falls off */
	assert_int_equal(t.n, 4);
	assert_int_equal(t.dropped, 1);
	assert_string_equal(logtail_line(&t, 0), "two");
	assert_string_equal(logtail_line(&t, 3), "five");
	assert_null(logtail_line(&t, 4));
	logtail_feed(&t, "\n", 1); /* an empty line is a line */
	assert_string_equal(logtail_line(&t, 3), "");
	logtail_reset(&t, 8);
	assert_int_equal(t.n, 0);
	assert_null(t.partial);
	logtail_free(&t);
}

static void test_logtail_follow_and_scroll(void **state)
{
	(void)state;
	struct logtail t;
	logtail_init(&t, 100);
	char line[16];
	for (int i = 0; i < 20; i++) {
		snprintf(line, sizeof(line), "l%d", i);
		logtail_push(&t, line);
	}
	/* following: the view shows the newest lines */
	assert_true(t.follow);
	assert_int_equal(logtail_first_visible(&t, 5), 15);
	logtail_push(&t, "l20");
	assert_int_equal(logtail_first_visible(&t, 5), 16);

	/* scrolled back: new lines do not move the view */
	logtail_scroll(&t, 3, 5);
	assert_false(t.follow);
	assert_int_equal(logtail_first_visible(&t, 5), 13);
	logtail_push(&t, "l21");
	logtail_push(&t, "l22");
	assert_int_equal(logtail_first_visible(&t, 5), 13);
	/* scrolling stops at the top */
	logtail_scroll(&t, 1000, 5);
	assert_int_equal(logtail_first_visible(&t, 5), 0);
	/* back down to the bottom resumes following */
	logtail_scroll(&t, -1000, 5);
	assert_true(t.follow);
	assert_int_equal(logtail_first_visible(&t, 5), 18);
	/* follow off at the bottom: the view stays as lines come */
	logtail_set_follow(&t, false);
	logtail_push(&t, "l23");
	assert_int_equal(logtail_first_visible(&t, 5), 18);
	logtail_set_follow(&t, true);
	assert_int_equal(logtail_first_visible(&t, 5), 19);
	/* fewer lines than rows: from the first */
	logtail_reset(&t, 1);
	logtail_push(&t, "only");
	assert_int_equal(logtail_first_visible(&t, 5), 0);
	logtail_free(&t);
}

/* `list` with "locate" in another order (oldest first): the window
 * around job id, as the server places it (at: -1 when gone). */
static void serve_located(struct jobview *v, int64_t id, bool gone)
{
	int64_t off, lim;
	jobview_want(v, &off, &lim);
	int64_t total = n_store, at = -1;
	for (int i = 0; i < n_store; i++)
		if (store[i].id == id && !gone)
			at = i;
	off = at < 0 ? 0 : at - lim / 2;
	if (off > total - lim)
		off = total - lim;
	if (off < 0)
		off = 0;
	struct job out[MAX_JOBS];
	size_t n = 0;
	for (int64_t i = off; i < total && (int64_t)n < lim; i++)
		out[n++] = store[i];
	jobview_locate(v, v->generation, at);
	jobview_set_window(v, v->generation, off, out, n, total);
}

static void test_locate_keeps_the_selection(void **state)
{
	(void)state;
	struct jobview v;
	jobview_init(&v);
	jobview_set_height(&v, 5);
	seed(40);
	serve(&v);
	for (int i = 0; i < 3; i++)
		jobview_move(&v, 4); /* index 12: job 28, on the last screen row */
	jobview_move(&v, -2);	     /* index 10: job 30, the third row */
	serve(&v);
	assert_int_equal(v.sel_id, 30);
	assert_int_equal(v.sel - v.top, 2);
	assert_int_equal(jobview_locate_id(&v), 0); /* nothing to find */

	/* a new order: the job is found, selected on its screen row */
	uint64_t gen = v.generation;
	jobview_set_order(&v, true);
	assert_true(v.generation > gen);
	assert_int_equal(jobview_locate_id(&v), 30);
	serve_located(&v, 30, false);
	assert_int_equal(v.sel, 29); /* oldest first: job 30 is the 30th */
	assert_int_equal(v.sel_id, 30);
	assert_int_equal(v.sel - v.top, 2);
	assert_int_equal(jobview_locate_id(&v), 0);
	assert_non_null(jobview_row(&v, v.top));
	assert_non_null(jobview_row(&v, v.top + v.height - 1));

	/* an answer in the old order is dropped */
	jobview_set_order(&v, true);
	jobview_locate(&v, gen, 3);
	assert_int_equal(v.sel, 29);

	serve_located(&v, 30, false);

	/* near the end: as near the row as the list allows */
	jobview_move(&v, -2); /* index 27 (job 28), the top row */
	assert_int_equal(v.sel - v.top, 0);
	assert_int_equal(v.sel_id, 28);
	/* a refetch of a sorted list: the job moved to the end (index 39) */
	struct job moved = *store_find(28);
	memmove(&store[27], &store[28], (size_t)(n_store - 28) * sizeof(store[0]));
	store[n_store - 1] = moved;
	v.stale = true;
	assert_int_equal(jobview_locate_id(&v), 28);
	serve_located(&v, 28, false);
	assert_int_equal(v.sel, 39);
	assert_int_equal(v.top, 35);
	assert_int_equal(v.sel_id, 28);
	struct job changed = *store_find(12);
	jobview_job_changed(&v, &changed); /* sorted: where it goes is the server's */
	assert_true(v.stale);
	assert_int_equal(jobview_locate_id(&v), 28);
	/* gone from the list: the top */
	serve_located(&v, 28, true);
	assert_int_equal(v.top, 0);
	assert_int_equal(v.sel, 0);
	assert_int_equal(v.sel_id, store[0].id);

	/* no job selected: a new order starts at the top */
	jobview_move(&v, 20);
	v.sel_id = 0;
	jobview_set_order(&v, false);
	assert_int_equal(v.top, 0);
	assert_int_equal(v.sel, 0);
	assert_int_equal(jobview_locate_id(&v), 0);
	/* never in a batch's list */
	serve(&v);
	jobview_set_batch(&v, 7);
	v.sorted = true;
	v.stale = true;
	assert_int_equal(jobview_locate_id(&v), 0);
	jobview_free(&v);
}

/* The window at the view's offset in the store's order (oldest first: a
 * sorted list). */
static void serve_sorted(struct jobview *v)
{
	int64_t off, lim;
	jobview_want(v, &off, &lim);
	struct job out[MAX_JOBS];
	size_t n = 0;
	for (int64_t i = off; i < n_store && (int64_t)n < lim; i++)
		out[n++] = store[i];
	jobview_set_window(v, v->generation, off, out, n, n_store);
}

/* G pressed right after a sort key, before the new order's first answer:
 * the last job of the new order is selected, and the answer located
 * around the job selected before does not pull the selection back (the
 * TUI's sort.sh saw "605/605" and then the old job selected). */
static void test_move_before_the_new_order(void **state)
{
	(void)state;
	struct jobview v;
	jobview_init(&v);
	jobview_set_height(&v, 5);
	seed(40);
	serve(&v);
	jobview_move(&v, 3); /* job 37 */
	assert_int_equal(v.sel_id, 37);
	uint64_t gen = v.generation;
	jobview_set_order(&v, true);
	assert_int_equal(jobview_locate_id(&v), 37);
	uint64_t asked = v.generation; /* the locate request's */
	assert_true(asked > gen);
	assert_true(jobview_end(&v) != 0);
	assert_int_equal(v.sel, 39);
	assert_true(v.generation > asked);
	/* the located answer comes back: dropped */
	jobview_locate(&v, asked, 36);
	assert_int_equal(v.sel, 39);
	struct job none[1];
	assert_int_equal(jobview_set_window(&v, asked, 0, none, 0, 40), 0);
	/* the next fetch is by offset, no job to find */
	assert_int_equal(jobview_locate_id(&v), 0);
	serve_sorted(&v);
	assert_int_equal(v.sel, 39);
	assert_int_equal(v.sel_id, store[39].id); /* the last of the new order */
	assert_non_null(jobview_selected(&v));
	jobview_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_order_newest_first, teardown),
		cmocka_unit_test(test_matches),
		cmocka_unit_test_teardown(test_filter_text_and_state, teardown),
		cmocka_unit_test_teardown(test_filter_batch, teardown),
		cmocka_unit_test_teardown(test_selection_follows_its_job, teardown),
		cmocka_unit_test_teardown(test_last_row_removed_and_empty_list, teardown),
		cmocka_unit_test_teardown(test_when_to_refetch, teardown),
		cmocka_unit_test(test_windowing_100k),
		cmocka_unit_test_teardown(test_locate_keeps_the_selection, teardown),
		cmocka_unit_test_teardown(test_move_before_the_new_order, teardown),
		cmocka_unit_test(test_logtail_lines),
		cmocka_unit_test(test_logtail_follow_and_scroll),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
