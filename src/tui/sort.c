/*
 * sort.c -- sorting the job list by a column, as htop does (F6, `<` `>`,
 * `I`, a click on a header). The server sorts: conn.c asks `list` for the
 * column and direction (sort_param), so the whole list is in order and
 * paged as the default one, and the view (jobview_set_order) leaves the
 * placing of a changed row to the next fetch. The default sort (ID,
 * downwards) is the server's plain order. As htop, the selection stays on
 * its job when the order changes and when a refetch moves it: the fetch
 * asks the server to locate the job (`list`'s "locate") and the window
 * comes back around it (sort_list_params, sort_list_answer).
 *
 * A batch's list (`b`) is the exception: the server lists a batch newest
 * first only, so there the sort is done here, over the jobs the view
 * holds: the view loads UI_SORT_SPAN jobs past the page, and every change
 * to the held rows sorts them again (one qsort over precomputed keys),
 * the selection staying on its job.
 *
 * Must never: ask the server for anything (conn.c fetches what the view
 * wants; here only its parameters are chosen), or sort here what the
 * server sorted.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/proto.h"
#include "tui/ui.h"

static const char *const names[SORT__COUNT] = {
	[SORT_ID] = "ID",	[SORT_NAME] = "NAME",	[SORT_KIND] = "KIND",
	[SORT_STATE] = "STATE", [SORT_STAGE] = "STAGE", [SORT_PROGRESS] = "PROGRESS",
	[SORT_ETA] = "ETA",	[SORT_AGE] = "AGE",
};

/* A column's natural direction: downwards for ID (newest first) and
 * progress (the furthest first), upwards for the rest (AGE upwards is
 * the youngest first). */
static bool natural_desc(int col)
{
	return col == SORT_ID || col == SORT_PROGRESS;
}

const char *sort_name(int col)
{
	return col >= 0 && col < SORT__COUNT ? names[col] : "";
}

bool sort_active(const struct tui *t)
{
	return !(t->sort_col == SORT_ID && t->sort_desc);
}

bool sort_by_server(const struct tui *t)
{
	return sort_active(t) && t->v.filter.batch_id == 0;
}

/* `list`'s "sort" for each column (doc/protocol.md); AGE is "age", the
 * youngest first upwards as here. */
static const char *const params[SORT__COUNT] = {
	[SORT_ID] = "id",	[SORT_NAME] = "name",	[SORT_KIND] = "kind",
	[SORT_STATE] = "state", [SORT_STAGE] = "stage", [SORT_PROGRESS] = "progress",
	[SORT_ETA] = "eta",	[SORT_AGE] = "age",
};

const char *sort_param(const struct tui *t)
{
	return sort_by_server(t) ? params[t->sort_col] : NULL;
}

void sort_list_params(const struct tui *t, json_t *req)
{
	if (sort_param(t)) {
		json_object_set_new(req, "sort", json_string(sort_param(t)));
		json_object_set_new(req, "desc", json_boolean(t->sort_desc));
	}
	int64_t id = jobview_locate_id(&t->v);
	if (id) {
		json_object_set_new(req, "locate", json_integer(id));
		json_object_del(req, "offset"); /* the server places the window */
	}
}

void sort_list_answer(struct tui *t, uint64_t gen, json_t *res, int64_t *off)
{
	json_t *at = json_object_get(res, "at");
	if (!at)
		return; /* not located */
	*off = proto_get_int(res, "offset", *off);
	jobview_locate(&t->v, gen, json_is_integer(at) ? json_integer_value(at) : -1);
}

/* ---- keys ---------------------------------------------------------------------- */

struct key {
	int64_t n;	/* numeric columns */
	const char *s;	/* NAME, STAGE; NULL: numeric */
	int64_t id;	/* ties: the newest first */
	uint32_t index; /* the row in v->rows */
};

static int dir = 1; /* 1 upwards, -1 downwards: qsort has no context */

static int cmp_key(const void *pa, const void *pb)
{
	const struct key *a = pa, *b = pb;
	int c;
	if (a->s || b->s)
		c = strcasecmp(a->s ? a->s : "", b->s ? b->s : "");
	else
		c = a->n < b->n ? -1 : a->n > b->n;
	if (c)
		return c * dir;
	return a->id > b->id ? -1 : a->id < b->id;
}

static void key_of(int col, const struct job *j, struct key *k)
{
	k->s = NULL;
	k->n = 0;
	k->id = j->id;
	switch (col) {
	case SORT_ID:
		k->n = j->id;
		break;
	case SORT_NAME:
		k->s = j->name ? j->name : "";
		break;
	case SORT_KIND:
		k->n = j->kind;
		break;
	case SORT_STATE:
		k->n = j->state;
		break;
	case SORT_STAGE:
		k->s = j->stage ? j->stage : "";
		break;
	case SORT_PROGRESS: {
		/* as the bar shows it */
		double f = j->state == JOB_SUCCEEDED ? 1.0
			   : j->state == JOB_QUEUED  ? 0
						     : j->progress;
		k->n = (int64_t)(f * 1e6);
		break;
	}
	case SORT_ETA:
		/* only a running job has one: the others after, either way */
		k->n = j->state == JOB_RUNNING && j->eta_s >= 0 ? (int64_t)j->eta_s
		       : dir > 0				? INT64_MAX
								: INT64_MIN;
		break;
	case SORT_AGE:
		k->n = -j->created_ms;
		break;
	default:
		break;
	}
}

/* Sort the held rows by the current column, whatever it is. */
static void sort_rows(struct tui *t)
{
	struct jobview *v = &t->v;
	size_t n = v->n_rows;
	if (n < 2)
		return;
	dir = t->sort_desc ? -1 : 1;
	struct key *keys = xcalloc(n, sizeof(*keys));
	for (size_t i = 0; i < n; i++) {
		key_of(t->sort_col, &v->rows[i], &keys[i]);
		keys[i].index = (uint32_t)i;
	}
	qsort(keys, n, sizeof(*keys), cmp_key);
	struct job *tmp = xcalloc(n, sizeof(*tmp));
	for (size_t i = 0; i < n; i++)
		tmp[i] = v->rows[keys[i].index]; /* moved: the strings go with it */
	memcpy(v->rows, tmp, n * sizeof(*tmp));
	free(tmp);
	free(keys);

	/* the selection stays on its job, in view */
	for (size_t i = 0; v->sel_id && i < n; i++)
		if (v->rows[i].id == v->sel_id) {
			v->sel = v->held_off + (int64_t)i;
			break;
		}
	if (v->sel >= 0 && v->sel < v->top)
		v->top = v->sel;
	if (v->sel >= v->top + v->height)
		v->top = v->sel - v->height + 1;
	ui_dirty(t, PANE_LIST);
}

void sort_apply(struct tui *t)
{
	if (sort_active(t) && !sort_by_server(t))
		sort_rows(t);
}

void sort_margin(struct tui *t)
{
	if (sort_active(t) && !sort_by_server(t))
		t->v.margin = UI_SORT_SPAN;
	else
		t->v.margin = t->v.height;
	t->v.sorted = sort_by_server(t);
}

void sort_set(struct tui *t, int col, bool desc)
{
	if (col < 0 || col >= SORT__COUNT)
		return;
	bool was_server = t->v.sorted;
	t->sort_col = col;
	t->sort_desc = desc;
	sort_margin(t);
	if (was_server || t->v.sorted) {
		/* a new order of the whole list: fetched around the selected
		 * job, which stays selected (from the top when none is) */
		jobview_set_order(&t->v, t->v.sorted);
	} else {
		/* a batch's list: what is held shows in the new order at
		 * once, and the view loads the span the sort needs */
		sort_rows(t);
		t->v.stale = true;
	}
	ui_dirty(t, PANE_LIST);
}

void sort_by(struct tui *t, int col)
{
	if (col == t->sort_col)
		sort_set(t, col, !t->sort_desc);
	else
		sort_set(t, col, natural_desc(col));
}

void sort_step(struct tui *t, int delta)
{
	int col = (t->sort_col + delta + SORT__COUNT) % SORT__COUNT;
	sort_set(t, col, natural_desc(col));
}
