/*
 * conn.c -- the UI as a client of the server: connect (auto-start only at
 * the first connect), subscribe, apply the event stream to the job view,
 * fetch the visible window (coalesced), the selected job's detail and log,
 * keep the providers' health the server reports, send the job actions,
 * and reconnect with backoff when the server goes.
 *
 * Order matters: the client library queues the events it reads while it
 * waits for an answer. Those events are older than the answer, so they
 * are applied first (drain_pending), then the answer: an old event can
 * never undo newer state, and a log line that arrived before a `logs`
 * answer is dropped because the file read already holds it.
 *
 * Must never: draw (it marks panes dirty), keep a client pointer past
 * conn_lost (the client is freed there and replaced on reconnect), or
 * start a server on a reconnect (one that was stopped stays stopped).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/proto.h"
#include "client/remote.h"
#include "tui/ui.h"

#define BACKOFF_MIN_MS	     250
#define BACKOFF_MAX_MS	     5000
#define FETCH_ERROR_PAUSE_MS 1000
#define DRAIN_MAX	     4096 /* events per turn, so keys are never starved */
#define LOG_CALLS_MAX	     256  /* 64 MiB of log at 256 KiB per answer */

static void on_event(struct tui *t, json_t *ev);

/* ---- state transitions --------------------------------------------------------- */

static void apply_bits(struct tui *t, int bits)
{
	if (bits & JV_ROWS)
		sort_apply(t); /* a sort the server did not do (a batch's list) */
	if (bits & JV_ROWS)
		ui_dirty(t, PANE_LIST);
	if (bits & JV_SEL)
		ui_selection_moved(t);
}

static void forget_loaded(struct tui *t)
{
	t->loaded_id = 0;
	t->detail_valid = false;
	stage_list_free(t->stages, t->n_stages);
	t->stages = NULL;
	t->n_stages = 0;
}

void conn_lost(struct tui *t, const struct aura_error *err)
{
	if (t->c) {
		client_free(t->c);
		t->c = NULL;
	}
	if (t->conn == CONN_UP) {
		t->backoff_ms = BACKOFF_MIN_MS;
		t->retries = 0;
	}
	t->conn = CONN_DOWN;
	t->subscribed = false;
	str_copy(t->conn_why,
		 err && err->detail[0] ? err->detail
		 : err		       ? aura_error_message(err->code)
				       : "server went away",
		 sizeof(t->conn_why));
	t->retry_at = time_mono_ms() + t->backoff_ms;
	/* Everything shown stays as it was, marked as the last known state;
	 * the log will be read again after the reconnect (lines were missed). */
	t->log.complete = false;
	ui_dirty(t, PANE__COUNT);
}

/* A failed call: the connection is gone, or a request was refused. */
static bool call_failed(struct tui *t, int rc, const struct aura_error *err)
{
	if (rc != -AURA_E_SERVER_UNREACHABLE && rc != -AURA_E_PROTO_TOO_LARGE)
		return false;
	conn_lost(t, err);
	return true;
}

/* Apply the events read while waiting for the last answer (see top). */
static void drain_pending(struct tui *t)
{
	size_t n = t->c ? client_pending_events(t->c) : 0;
	for (size_t i = 0; i < n && t->c; i++) {
		json_t *ev;
		struct aura_error err;
		if (client_next_event(t->c, 0, &ev, &err) != 1)
			break;
		on_event(t, ev);
		json_decref(ev);
	}
}

/* client_call, then the older events; false (and handled) on failure. */
static bool call(struct tui *t, const char *method, json_t *params, json_t **res,
		 struct aura_error *err)
{
	if (!t->c) {
		json_decref(params);
		aura_error_set(err, AURA_E_SERVER_UNREACHABLE, "not connected: %s", t->conn_why);
		return false;
	}
	aura_error_clear(err);
	int rc = client_call(t->c, method, params, res, err);
	if (rc < 0) {
		if (!call_failed(t, rc, err))
			drain_pending(t);
		return false;
	}
	drain_pending(t);
	return true;
}

/* ---- connecting ------------------------------------------------------------------ */

int conn_start(struct tui *t, struct aura_error *err)
{
	int rc = client_open(t->ctx, true, &t->c, err);
	if (rc < 0)
		return rc;
	t->conn = CONN_UP;
	t->backoff_ms = BACKOFF_MIN_MS;
	return 0;
}

void conn_retry(struct tui *t)
{
	if (t->conn == CONN_UP || time_mono_ms() < t->retry_at)
		return;
	struct aura_error err;
	aura_error_clear(&err);
	if (client_open(t->ctx, false, &t->c, &err) < 0) {
		t->retries++;
		t->backoff_ms =
		    t->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : t->backoff_ms * 2;
		t->retry_at = time_mono_ms() + t->backoff_ms;
		ui_dirty(t, PANE_STATUS);
		return;
	}
	t->conn = CONN_UP;
	t->retries = 0;
	t->backoff_ms = BACKOFF_MIN_MS;
	t->conn_why[0] = '\0';
	/* Events were missed: nothing held is trusted until fetched again. */
	jobview_invalidate(&t->v);
	t->counts_stale = true;
	forget_loaded(t);
	ui_msg(t, MSG_OK, "reconnected to the server");
	ui_dirty(t, PANE__COUNT);
}

static void subscribe(struct tui *t)
{
	json_t *params = json_pack("{s:b}", "logs", 1);
	json_t *res = NULL;
	struct aura_error err;
	if (!call(t, "subscribe", params, &res, &err)) {
		/* without events the UI would show a frozen state: treat it as
		 * a lost connection, retried with backoff */
		if (t->c)
			conn_lost(t, &err);
		return;
	}
	json_decref(res);
	t->subscribed = true;
}

/* ---- events ------------------------------------------------------------------------ */

/* The job of a `job` event into the view, the detail and the counts. */
static void on_job(struct tui *t, json_t *o)
{
	struct job j;
	if (proto_job_from_json(o, &j) < 0) {
		job_clear(&j);
		return;
	}
	apply_bits(t, jobview_job_changed(&t->v, &j));
	if (j.id == t->loaded_id) {
		t->detail_stale = true; /* stages, error, stderr tail */
		ui_dirty(t, PANE_DETAIL);
	}
	if (j.id == t->msg_job && t->msg[0] && job_state_terminal(j.state))
		ui_msg(t, MSG_OK, "job #%lld: %s", (long long)j.id, job_state_name(j.state));
	if (j.id == t->select_id) {
		/* a job this UI just queued: select it once it is listed */
		for (size_t i = 0; i < t->v.n_rows; i++)
			if (t->v.rows[i].id == j.id) {
				apply_bits(
				    t, jobview_move(&t->v, t->v.held_off + (int64_t)i - t->v.sel));
				t->select_id = 0;
				break;
			}
	}
	t->counts_stale = true;
	job_clear(&j);
}

static void on_progress(struct tui *t, json_t *ev)
{
	struct job p;
	job_init(&p);
	p.id = proto_get_int(ev, "id", 0);
	p.progress = proto_get_real(ev, "progress", 0);
	p.stage = xstrdup(proto_get_str(ev, "stage"));
	p.out_time_us = proto_get_int(ev, "out_time_us", 0);
	p.duration_us = proto_get_int(ev, "duration_us", 0);
	p.fps = proto_get_real(ev, "fps", 0);
	p.speed = proto_get_real(ev, "speed", 0);
	p.size = proto_get_int(ev, "size", 0);
	p.eta_s = proto_get_real(ev, "eta_s", -1);
	apply_bits(t, jobview_job_progress(&t->v, &p));
	if (p.id == t->loaded_id && t->detail_valid) {
		struct job *d = &t->detail;
		free(d->stage);
		d->stage = xstrdup(p.stage);
		d->progress = p.progress;
		d->out_time_us = p.out_time_us;
		d->duration_us = p.duration_us;
		d->fps = p.fps;
		d->speed = p.speed;
		d->size = p.size;
		d->eta_s = p.eta_s;
		ui_dirty(t, PANE_DETAIL);
	}
	job_clear(&p);
}

/* The providers of a snapshot or a `health` event; the status bar is
 * redrawn only when what it shows changed. */
static void on_providers(struct tui *t, json_t *a)
{
	struct ui_provider pv[UI_PROVIDERS_MAX];
	int n = 0;
	if (!json_is_array(a))
		return;
	memset(pv, 0, sizeof(pv));
	for (size_t i = 0; i < json_array_size(a) && n < UI_PROVIDERS_MAX; i++) {
		json_t *o = json_array_get(a, i);
		const char *name = proto_get_str(o, "name");
		const char *state = proto_get_str(o, "state");
		const char *code = proto_get_str(json_object_get(o, "error"), "code");
		struct ui_provider *p = &pv[n];
		if (!name || !state)
			continue;
		str_copy(p->name, name, sizeof(p->name));
		p->state = strcmp(state, "ok") == 0 ? 1 : strcmp(state, "failing") == 0 ? 2 : 0;
		p->latency_ms = p->state == 1 ? proto_get_int(o, "latency_ms", -1) : -1;
		str_copy(p->code, p->state == 2 && code ? code : "", sizeof(p->code));
		n++;
	}
	if (n == t->n_prov && memcmp(pv, t->prov, sizeof(pv)) == 0)
		return;
	memcpy(t->prov, pv, sizeof(pv));
	t->n_prov = n;
	ui_dirty(t, PANE_STATUS);
}

/* The store's state of a snapshot or a `store` event, for the header. */
static void on_store(struct tui *t, json_t *st)
{
	char msg[sizeof(t->store_msg)] = "";
	if (json_is_false(json_object_get(st, "writable"))) {
		const char *code = proto_get_str(st, "code");
		int64_t n = proto_get_int(st, "pending", 0);
		snprintf(msg, sizeof(msg), "store not writable (%s), %lld change%s wait",
			 code ? code : "?", (long long)n, n == 1 ? "" : "s");
	}
	if (strcmp(msg, t->store_msg) == 0)
		return;
	str_copy(t->store_msg, msg, sizeof(t->store_msg));
	ui_dirty(t, PANE_STATUS);
}

static void on_event(struct tui *t, json_t *ev)
{
	const char *name = proto_get_str(ev, "event");
	if (!name)
		return;
	if (strcmp(name, "progress") == 0) {
		on_progress(t, ev);
	} else if (strcmp(name, "job") == 0) {
		on_job(t, json_object_get(ev, "job"));
	} else if (strcmp(name, "log") == 0) {
		int64_t id = proto_get_int(ev, "id", 0);
		const char *line = proto_get_str(ev, "line");
		/* Before the file is read, its lines come with the read. */
		if (line && id == t->log.job_id && t->log.complete) {
			logtail_push(&t->log, line);
			ui_dirty(t, PANE_LOG);
		}
	} else if (strcmp(name, "log_gap") == 0) {
		/* We read too slowly and the server held lines back: read the
		 * log again (its lines flow again once a read reaches the end). */
		if (proto_get_int(ev, "id", 0) == t->log.job_id)
			t->log.complete = false;
	} else if (strcmp(name, "removed") == 0) {
		int64_t id = proto_get_int(ev, "id", 0);
		apply_bits(t, jobview_job_removed(&t->v, id));
		t->counts_stale = true;
	} else if (strcmp(name, "snapshot") == 0) {
		/* Between our first list and the subscription things may have
		 * happened: fetch the window again rather than merge. */
		jobview_invalidate(&t->v);
		t->counts_stale = true;
		t->detail_stale = t->loaded_id != 0;
		on_providers(t, json_object_get(ev, "providers"));
		on_store(t, json_object_get(ev, "store"));
	} else if (strcmp(name, "pools") == 0) {
		bars_pools_text(t, json_object_get(ev, "pools"));
		ui_dirty(t, PANE_STATUS);
	} else if (strcmp(name, "store") == 0) {
		on_store(t, json_object_get(ev, "store"));
	} else if (strcmp(name, "health") == 0) {
		on_providers(t, json_object_get(ev, "providers"));
	} else if (strcmp(name, "shutdown") == 0) {
		struct aura_error err;
		aura_error_set(&err, AURA_E_SERVER_UNREACHABLE, "the server is shutting down");
		conn_lost(t, &err);
	}
}

void conn_drain(struct tui *t)
{
	for (int i = 0; i < DRAIN_MAX && t->c; i++) {
		json_t *ev;
		struct aura_error err;
		aura_error_clear(&err);
		int rc = client_next_event(t->c, 0, &ev, &err);
		if (rc == 0)
			return;
		if (rc < 0) {
			conn_lost(t, &err);
			return;
		}
		on_event(t, ev);
		json_decref(ev);
	}
}

/* ---- fetching ------------------------------------------------------------------------ */

/* The batch filter's batch and its counts by state, from a list answer. */
static void batch_text(struct tui *t, uint64_t gen, json_t *b)
{
	if (gen != t->v.generation || !json_is_object(b) ||
	    proto_get_int(b, "id", 0) != t->v.filter.batch_id)
		return;
	const char *name = proto_get_str(b, "name");
	str_copy(t->batch_name, name ? name : "", sizeof(t->batch_name));
	t->batch_total = proto_get_int(b, "total", 0);
	for (int s = 0; s < JOB_STATE__COUNT; s++)
		t->batch_counts[s] = proto_get_int(b, job_state_name((enum job_state)s), 0);
	t->batch_known = true;
	ui_dirty(t, PANE_LIST);
}

static void fetch_window(struct tui *t, int64_t off, int64_t lim, int64_t now)
{
	json_t *params = json_pack("{s:I, s:I, s:b}", "offset", (json_int_t)off, "limit",
				   (json_int_t)lim, "counts", 1);
	if (t->v.filter.state >= 0)
		json_object_set_new(params, "state",
				    json_string(job_state_name((enum job_state)t->v.filter.state)));
	if (t->v.filter.text)
		json_object_set_new(params, "text", proto_string(t->v.filter.text));
	if (t->v.filter.batch_id > 0)
		json_object_set_new(params, "batch_id", json_integer(t->v.filter.batch_id));
	sort_list_params(t, params);
	uint64_t gen = t->v.generation;
	json_t *res = NULL;
	struct aura_error err;
	t->last_fetch_ms = now;
	t->fetches++;
	if (!call(t, "list", params, &res, &err)) {
		if (t->c) {
			ui_msg_error(t, "listing jobs", &err);
			t->fetch_error_ms = now;
		}
		return;
	}
	t->fetch_error_ms = 0;
	json_t *jobs = json_object_get(res, "jobs");
	size_t n = json_array_size(jobs);
	struct job *js = xcalloc(n ? n : 1, sizeof(*js));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (proto_job_from_json(json_array_get(jobs, i), &js[k]) == 0)
			k++;
		else
			job_clear(&js[k]);
	}
	int64_t total = proto_get_int(res, "total", (int64_t)k);
	sort_list_answer(t, gen, res, &off);
	apply_bits(t, jobview_set_window(&t->v, gen, off, js, k, total));
	for (size_t i = 0; i < k; i++)
		job_clear(&js[i]);
	free(js);

	batch_text(t, gen, json_object_get(res, "batch"));
	json_t *counts = json_object_get(res, "counts");
	if (json_is_object(counts)) {
		for (int s = 0; s < JOB_STATE__COUNT; s++)
			t->counts[s] = proto_get_int(counts, job_state_name((enum job_state)s), 0);
		t->counts_known = true;
		t->counts_stale = false;
		bars_pools_text(t, json_object_get(res, "pools"));
		ui_dirty(t, PANE_STATUS);
	}
	json_decref(res);
	ui_dirty(t, PANE_LIST);
}

static void fetch_detail(struct tui *t, int64_t id)
{
	json_t *res = NULL;
	struct aura_error err;
	t->detail_stale = false;
	if (!call(t, "get", json_pack("{s:I}", "id", (json_int_t)id), &res, &err)) {
		if (t->c && err.code != AURA_E_JOB_NOT_FOUND)
			ui_msg_error(t, "reading the job", &err);
		return;
	}
	if (id != t->loaded_id) { /* an event during the call moved on */
		json_decref(res);
		return;
	}
	job_clear(&t->detail);
	t->detail_valid = proto_job_from_json(json_object_get(res, "job"), &t->detail) == 0;
	stage_list_free(t->stages, t->n_stages);
	t->stages = NULL;
	t->n_stages = 0;
	json_t *st = json_object_get(res, "stages");
	size_t n = json_array_size(st);
	if (n) {
		t->stages = xcalloc(n, sizeof(*t->stages));
		for (size_t i = 0; i < n; i++) {
			json_t *o = json_array_get(st, i);
			struct stage *s = &t->stages[t->n_stages];
			const char *name = proto_get_str(o, "name");
			const char *state = proto_get_str(o, "state");
			if (!name)
				continue;
			s->name = xstrdup(name);
			s->seq = (int)proto_get_int(o, "seq", (int64_t)i);
			int ss = state ? stage_state_parse(state) : -1;
			s->state = ss < 0 ? STAGE_PENDING : (enum stage_state)ss;
			s->progress = proto_get_real(o, "progress", 0);
			s->started_ms = proto_get_int(o, "started_ms", 0);
			s->finished_ms = proto_get_int(o, "finished_ms", 0);
			t->n_stages++;
		}
	}
	json_decref(res);
	ui_dirty(t, PANE_DETAIL);
}

/* The whole log file, then the events after it (see top). */
static void fetch_log(struct tui *t, int64_t id)
{
	logtail_reset(&t->log, id);
	int64_t offset = 0;
	for (int calls = 0; calls < LOG_CALLS_MAX && t->c; calls++) {
		json_t *res = NULL;
		struct aura_error err;
		json_t *params =
		    json_pack("{s:I, s:I}", "id", (json_int_t)id, "offset", (json_int_t)offset);
		if (!call(t, "logs", params, &res, &err)) {
			if (t->c && err.code == AURA_E_JOB_PRUNED) { /* said in the pane */
				static const char gone[] =
				    "(job.log was removed by retention with the work directory)\n";
				logtail_feed(&t->log, gone, sizeof(gone) - 1);
				t->log.complete = true;
				ui_dirty(t, PANE_LOG);
			} else if (t->c && err.code != AURA_E_JOB_NOT_FOUND) {
				ui_msg_error(t, "reading the log", &err);
			}
			return;
		}
		if (t->log.job_id != id) { /* reset by an event meanwhile */
			json_decref(res);
			return;
		}
		json_t *data = json_object_get(res, "data");
		size_t n = json_string_length(data);
		if (n)
			logtail_feed(&t->log, json_string_value(data), n);
		offset = proto_get_int(res, "offset", offset + (int64_t)n);
		json_decref(res);
		if (n == 0)
			break;
	}
	t->log.complete = true;
	ui_dirty(t, PANE_LOG);
}

/* Are the rows on screen all held? */
static bool visible_held(const struct jobview *v)
{
	if (v->total < 0)
		return false;
	if (v->total == 0)
		return true;
	int64_t last = v->top + v->height < v->total ? v->top + v->height : v->total;
	return jobview_row(v, v->top) && jobview_row(v, last - 1);
}

void conn_sync(struct tui *t, int64_t now)
{
	if (!t->c)
		return;
	if (!t->subscribed && t->frames > 0)
		subscribe(t);

	int64_t off, lim;
	for (int round = 0; round < 3 && t->c; round++) {
		bool want = jobview_want(&t->v, &off, &lim) || t->counts_stale;
		if (!want)
			break;
		if (t->fetch_error_ms && now - t->fetch_error_ms < FETCH_ERROR_PAUSE_MS)
			break;
		/* What is on screen is missing: now. A refresh for events
		 * (stale rows, counts): at most one per UI_REFRESH_MS. */
		bool covered = visible_held(&t->v);
		if (covered && now - t->last_fetch_ms < UI_REFRESH_MS)
			break;
		fetch_window(t, off, lim, now);
		if (covered)
			break;
	}

	if (!t->c)
		return;
	int64_t sel = t->v.sel_id;
	if (sel && sel != t->loaded_id && now - t->sel_changed_ms >= UI_SETTLE_MS) {
		forget_loaded(t);
		t->loaded_id = sel;
		fetch_detail(t, sel);
		if (t->c && t->loaded_id == sel)
			fetch_log(t, sel);
		ui_dirty(t, PANE_DETAIL);
		ui_dirty(t, PANE_LOG);
	} else if (sel == 0 && t->v.total == 0 && t->loaded_id) {
		forget_loaded(t);
		logtail_reset(&t->log, 0);
		ui_dirty(t, PANE_DETAIL);
		ui_dirty(t, PANE_LOG);
	} else if (t->detail_stale && t->loaded_id && now - t->last_detail_ms >= UI_REFRESH_MS) {
		t->last_detail_ms = now;
		fetch_detail(t, t->loaded_id);
	}
	if (t->c && t->loaded_id && !t->log.complete && t->log.job_id == t->loaded_id)
		fetch_log(t, t->loaded_id);
	/* The read that brought an answer may have brought the events behind
	 * it too (the snapshot right after the subscribe answer): they wait
	 * in the client's buffer, where poll() cannot see them. They are
	 * newer than every answer applied above, so now is their turn. */
	if (t->c)
		conn_drain(t);
}

int64_t conn_next_due(const struct tui *t, int64_t now)
{
	if (t->conn == CONN_DOWN)
		return t->retry_at > now ? t->retry_at - now : 0;
	if (!t->c)
		return -1;
	if (client_pending_events(t->c) || (!t->subscribed && t->frames > 0))
		return 0;
	int64_t due = -1;
#define DUE(ms)                                                                                    \
	do {                                                                                       \
		int64_t d_ = (ms) < 0 ? 0 : (ms);                                                  \
		if (due < 0 || d_ < due)                                                           \
			due = d_;                                                                  \
	} while (0)
	int64_t off, lim;
	if (jobview_want(&t->v, &off, &lim) || t->counts_stale) {
		if (t->fetch_error_ms && now - t->fetch_error_ms < FETCH_ERROR_PAUSE_MS)
			DUE(t->fetch_error_ms + FETCH_ERROR_PAUSE_MS - now);
		else
			DUE(t->last_fetch_ms + UI_REFRESH_MS - now);
	}
	if (t->v.sel_id && t->v.sel_id != t->loaded_id)
		DUE(t->sel_changed_ms + UI_SETTLE_MS - now);
	if (t->detail_stale && t->loaded_id)
		DUE(t->last_detail_ms + UI_REFRESH_MS - now);
#undef DUE
	return due;
}

/* ---- requests ---------------------------------------------------------------------------- */

void conn_job_action(struct tui *t, const char *method, int64_t id)
{
	json_t *res = NULL;
	struct aura_error err;
	if (!call(t, method, json_pack("{s:I}", "id", (json_int_t)id), &res, &err)) {
		ui_msg_error(t, method, &err);
		return;
	}
	json_decref(res);
	static const struct {
		const char *method, *done;
	} said[] = {
		{ "cancel", "cancelling" },  { "pause", "paused" }, { "resume", "resumed" },
		{ "retry", "queued again" }, { "rm", "deleted" },
	};
	for (size_t i = 0; i < ARRAY_LEN(said); i++)
		if (strcmp(said[i].method, method) == 0)
			ui_msg(t, MSG_OK, "job #%lld: %s", (long long)id, said[i].done);
	if (strcmp(method, "cancel") == 0) /* its `job` event says when it ended */
		t->msg_job = id;
	for (size_t i = 0; i < t->v.n_rows && t->msg_job; i++)
		if (t->v.rows[i].id == id && job_state_terminal(t->v.rows[i].state))
			ui_msg(t, MSG_OK, "job #%lld: %s", (long long)id,
			       job_state_name(t->v.rows[i].state)); /* it came first */
	t->counts_stale = true;
}

/* A job was queued: say so and select it when it is listed. */
static void queued(struct tui *t, json_t *res)
{
	int64_t id = proto_get_int(json_object_get(res, "job"), "id", 0);
	ui_msg(t, MSG_OK, "queued job #%lld", (long long)id);
	t->select_id = id;
	/* Its `job` event usually came before the answer: look now. */
	for (size_t i = 0; i < t->v.n_rows; i++)
		if (t->v.rows[i].id == id) {
			apply_bits(t, jobview_move(&t->v, t->v.held_off + (int64_t)i - t->v.sel));
			t->select_id = 0;
			break;
		}
	t->counts_stale = true;
}

void conn_submit(struct tui *t, char **argv, int argc)
{
	json_t *args = json_array();
	for (int i = 0; i < argc; i++)
		json_array_append_new(args, proto_string(argv[i]));
	json_t *params = json_pack("{s:s, s:o}", "kind", "ffmpeg", "argv", args);
	json_object_set_new(params, "cwd", proto_string(t->cwd));
	json_t *res = NULL;
	struct aura_error err;
	if (!call(t, "submit", params, &res, &err)) {
		ui_msg_error(t, "submit", &err);
		return;
	}
	queued(t, res);
	json_decref(res);
}

bool conn_new(struct tui *t, json_t *params, struct aura_error *err)
{
	json_t *res = NULL;
	if (!call(t, "new", params, &res, err))
		return false;
	queued(t, res);
	json_decref(res);
	return true;
}

void conn_shutdown(struct tui *t)
{
	json_t *res = NULL;
	struct aura_error err;
	if (!call(t, "shutdown", json_object(), &res, &err)) {
		ui_msg_error(t, "shutdown", &err);
		return;
	}
	json_decref(res);
	t->quit = true;
}
