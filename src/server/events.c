/*
 * events.c -- the engine's events as protocol events to subscribers, and
 * the commit per loop turn (doc/server.md). A job or removed event about
 * a write of this turn is held until the store has committed it, then
 * delivered; while the store is behind, the catch-up announces the saved
 * states instead. Progress is coalesced: the newest progress line per job
 * is kept once for the whole server, each subscriber only remembers which
 * jobs are "dirty" for it and gets their newest line when its backlog is
 * below a low-water mark. Log lines are never a reason to drop a client:
 * past a high-water mark a log subscriber is sent one `log_gap` for the
 * job and no more of its lines until it has re-read job.log to the end.
 *
 * Must never: tell a client about a write the store has not committed,
 * encode a progress line nobody would read, or send a line past
 * PROTO_MAX_LINE.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/conf.h"
#include "engine/engine.h"
#include "base/log.h"
#include "os/loop.h"
#include "client/proto.h"
#include "server/server.h"
#include "server/server-int.h"
#include "store/store.h"
#include "base/util.h"

/* --- small helpers ------------------------------------------------------ */

static bool has_id(const int64_t *ids, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

static json_t *real_or_null(double v, bool known)
{
	return known && isfinite(v) ? json_real(v) : json_null();
}

/* --- progress table ------------------------------------------------------- */

static struct prog *prog_find(struct server *s, int64_t id)
{
	for (size_t i = 0; i < s->nprogs; i++)
		if (s->progs[i].id == id)
			return &s->progs[i];
	return NULL;
}

void srv_prog_drop(struct server *s, int64_t id)
{
	struct prog *p = prog_find(s, id);
	if (!p)
		return;
	free(p->line);
	*p = s->progs[--s->nprogs];
	if (s->nprogs == 0) {
		free(s->progs);
		s->progs = NULL;
		s->capprogs = 0;
	}
}

static void dirty_add(struct conn *c, int64_t id)
{
	if (has_id(c->dirty, c->ndirty, id))
		return;
	XGROW(c->dirty, c->ndirty + 1, c->capdirty, 4);
	c->dirty[c->ndirty++] = id;
}

static void dirty_del(struct conn *c, int64_t id)
{
	for (size_t i = 0; i < c->ndirty; i++)
		if (c->dirty[i] == id) {
			c->dirty[i] = c->dirty[--c->ndirty];
			return;
		}
}

static bool client_wants(const struct conn *c, int64_t id)
{
	return c->fd >= 0 && c->subscribed && (c->nids == 0 || has_id(c->ids, c->nids, id));
}

/* Queue an encoded job or removed event to every subscriber of job `id`. */
static void deliver(struct server *s, int64_t id, const char *line, size_t len)
{
	for (struct conn *c = s->clients; c; c = c->next) {
		if (!client_wants(c, id))
			continue;
		dirty_del(c, id); /* a job or removed event supersedes progress */
		srv_client_queue(c, line, len);
	}
}

/* A job or removed event about a write of this turn: it waits for the
 * commit (srv_commit). While the store is behind it is not kept at all:
 * the catch-up announces the job's saved state. */
void srv_hold_event(struct server *s, int64_t id, json_t *msg)
{
	size_t len = 0;
	char *line = s->st && store_behind(s->st) ? NULL : proto_encode(msg, &len);
	json_decref(msg);
	if (!line)
		return;
	if (len > PROTO_MAX_LINE) {
		log_error("server: an event for job %lld could not be sent", (long long)id);
		free(line);
		return;
	}
	XGROW(s->held, s->nheld + 1, s->capheld, 8);
	s->held[s->nheld++] = (struct held_event){ id, line, len };
}

void srv_held_drop(struct server *s)
{
	for (size_t i = 0; i < s->nheld; i++)
		free(s->held[i].line);
	s->nheld = 0;
}

void srv_ev_job_progress(const struct job *j, void *ctx)
{
	struct server *s = ctx;
	bool wanted = false;
	for (struct conn *c = s->clients; c && !wanted; c = c->next)
		wanted = c->progress && client_wants(c, j->id);
	if (!wanted) { /* not even encoded: nobody would read it */
		srv_prog_drop(s, j->id);
		return;
	}
	json_t *ev = proto_event("progress");
	json_object_set_new(ev, "id", json_integer(j->id));
	json_object_set_new(ev, "progress", real_or_null(j->progress, true));
	json_object_set_new(ev, "stage", proto_string(j->stage));
	json_object_set_new(ev, "out_time_us", json_integer(j->out_time_us));
	json_object_set_new(ev, "duration_us",
			    j->duration_us > 0 ? json_integer(j->duration_us) : json_null());
	json_object_set_new(ev, "fps", real_or_null(j->fps, true));
	json_object_set_new(ev, "speed", real_or_null(j->speed, true));
	json_object_set_new(ev, "size", json_integer(j->size));
	json_object_set_new(ev, "eta_s", real_or_null(j->eta_s, j->eta_s >= 0));
	size_t len;
	char *line = proto_encode(ev, &len);
	json_decref(ev);
	if (!line)
		return;
	struct prog *p = prog_find(s, j->id);
	if (!p) {
		XGROW(s->progs, s->nprogs + 1, s->capprogs, 4);
		p = &s->progs[s->nprogs++];
		p->id = j->id;
		p->line = NULL;
	}
	free(p->line);
	p->line = line;
	p->len = len;
	for (struct conn *c = s->clients; c; c = c->next)
		if (c->progress && client_wants(c, j->id))
			dirty_add(c, j->id);
}

/*
 * Log gaps. A log subscriber's lines are queued only while its backlog
 * stays under log_hiwat, a quarter of client_buffer (after one more
 * chance for the socket to take bytes). Past it, the client gets one {"event":"log_gap","id":N,
 * "offset":O} (O: where the first line it misses starts in job.log) and
 * no more lines of job N, until one of its `logs` reads of N reaches the
 * end of the file (srv_log_caught_up): every line appended after that
 * read is sent again. So a slow follower is never dropped for a log flood
 * and loses nothing: it reads job.log from O (doc/protocol.md).
 */
static size_t log_hiwat(const struct server *s)
{
	return s->cfg->client_buffer / 4;
}

size_t srv_answer_max(const struct server *s)
{
	size_t m = s->cfg->client_buffer / 2;
	return m < PROTO_MAX_LINE ? m : PROTO_MAX_LINE;
}

void srv_log_caught_up(struct conn *c, int64_t id)
{
	for (size_t i = 0; i < c->ngaps; i++)
		if (c->gaps[i] == id) {
			c->gaps[i] = c->gaps[--c->ngaps];
			return;
		}
}

static void gap_add(struct conn *c, int64_t id)
{
	XGROW(c->gaps, c->ngaps + 1, c->capgaps, 4);
	c->gaps[c->ngaps++] = id;
}

/* Would this log line pass the client's high-water mark? */
static bool log_behind(struct conn *c, size_t len)
{
	size_t hiwat = log_hiwat(c->s);
	if (srv_pending(c) == 0 || srv_pending(c) + len <= hiwat)
		return false;
	srv_client_write(c);
	return c->fd >= 0 && srv_pending(c) > 0 && srv_pending(c) + len > hiwat;
}

void srv_ev_job_log(int64_t id, const char *line, int64_t end, void *ctx)
{
	struct server *s = ctx;
	if (s->nsubscribed == 0)
		return;
	bool any = false;
	for (struct conn *c = s->clients; c && !any; c = c->next)
		any = client_wants(c, id) && c->logs && !has_id(c->gaps, c->ngaps, id);
	if (!any)
		return;
	if (!line) { /* the file grew by more than lines told: read it from `end` */
		json_t *g = proto_event("log_gap");
		json_object_set_new(g, "id", json_integer(id));
		json_object_set_new(g, "offset", json_integer(end));
		size_t glen;
		char *gap = proto_encode(g, &glen);
		json_decref(g);
		for (struct conn *c = s->clients; gap && c; c = c->next) {
			if (!client_wants(c, id) || !c->logs || has_id(c->gaps, c->ngaps, id))
				continue;
			gap_add(c, id);
			srv_client_queue(c, gap, glen);
		}
		free(gap);
		return;
	}
	json_t *ev = proto_event("log");
	json_object_set_new(ev, "id", json_integer(id));
	json_object_set_new(ev, "line", proto_string(line));
	if (end >= 0)
		json_object_set_new(ev, "offset", json_integer(end));
	size_t len, gap_len = 0;
	char *msg = proto_encode(ev, &len), *gap = NULL;
	json_decref(ev);
	if (!msg || len > PROTO_MAX_LINE) {
		log_error("server: a log event for job %lld could not be sent", (long long)id);
		free(msg);
		return;
	}
	for (struct conn *c = s->clients; c; c = c->next) {
		if (!client_wants(c, id) || !c->logs || has_id(c->gaps, c->ngaps, id))
			continue;
		/* without an offset no gap can be told: the line goes as before */
		if (end < 0 || !log_behind(c, len)) {
			srv_client_queue(c, msg, len);
			continue;
		}
		if (c->fd < 0)
			continue;
		if (!gap) {
			json_t *g = proto_event("log_gap");
			json_object_set_new(g, "id", json_integer(id));
			json_object_set_new(g, "offset",
					    json_integer(end - (int64_t)strlen(line) - 1));
			gap = proto_encode(g, &gap_len);
			json_decref(g);
		}
		if (gap) {
			log_debug("client fd %d pid %ld: behind on job %lld's log (%zu bytes "
				  "queued): its lines wait until it reads job.log again",
				  c->fd, c->pid, (long long)id, srv_pending(c));
			gap_add(c, id);
			srv_client_queue(c, gap, gap_len);
		}
	}
	free(gap);
	free(msg);
}

/* --- before sleep: writes and coalesced progress -------------------------- */

/* --- the store's writes -------------------------------------------------- */

#define STORE_RETRY_MIN_MS 100
#define STORE_RETRY_MAX_MS 2000

json_t *srv_store_json(const struct server *s)
{
	struct store_status ss = { 0 };
	if (s->st)
		store_status(s->st, &ss);
	if (!ss.behind)
		return json_pack("{s:b}", "writable", 1);
	return json_pack("{s:b, s:s, s:s, s:o, s:I, s:I}", "writable", 0, "code",
			 aura_error_name(ss.code), "message", aura_error_message(ss.code), "detail",
			 proto_string(ss.detail), "since_ms", (json_int_t)ss.since_ms, "pending",
			 (json_int_t)ss.pending);
}

/* Send ev to every subscriber, and free it. */
void srv_broadcast(struct server *s, json_t *ev)
{
	size_t len;
	char *line = proto_encode(ev, &len);
	json_decref(ev);
	for (struct conn *c = s->clients; line && c; c = c->next)
		if (c->fd >= 0 && c->subscribed)
			srv_client_queue(c, line, len);
	free(line);
}

/* Tell every subscriber the store's state (it changed). */
static void store_event(struct server *s)
{
	json_t *ev = proto_event("store");
	json_object_set_new(ev, "store", srv_store_json(s));
	srv_broadcast(s, ev);
}

static void store_retry_cb(struct loop *l, void *ctx)
{
	struct server *s = ctx;
	(void)l;
	s->store_timer = 0;
	s->store_retry_due = true;
	srv_commit_turn(s);
}

static void store_failed(struct server *s, const struct aura_error *err)
{
	srv_held_drop(s); /* their writes are not saved: never told */
	if (!s->store_bad) {
		s->store_bad = true;
		s->store_retry_ms = STORE_RETRY_MIN_MS;
		log_error("store: cannot write %s (%s: %s); running jobs go on, no job starts and "
			  "no job can be changed until it can; retrying",
			  s->paths->db_file, aura_error_name(err->code), err->detail);
		store_event(s);
	} else if (s->store_retry_ms < STORE_RETRY_MAX_MS) {
		s->store_retry_ms *= 2;
		if (s->store_retry_ms > STORE_RETRY_MAX_MS)
			s->store_retry_ms = STORE_RETRY_MAX_MS;
	}
	if (!s->store_timer)
		s->store_timer = loop_timer_add(s->loop, s->store_retry_ms, store_retry_cb, s);
}

/* The store has every write again: announce the saved state of each job
 * written meanwhile, then the answers that waited for it. */
static void store_caught_up(struct server *s, const int64_t *ids, size_t n, int64_t since_ms)
{
	s->store_bad = false;
	loop_timer_del(s->loop, s->store_timer);
	s->store_timer = 0;
	log_info("store: writable again after %.1f s; %zu job%s saved",
		 (time_now_ms() - since_ms) / 1000.0, n, n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++) {
		struct job j;
		job_init(&j);
		json_t *ev;
		if (engine_get(s->eng, ids[i], &j, NULL) == 0) {
			ev = proto_event("job");
			json_object_set_new(ev, "job", proto_job_to_json(&j, false));
		} else {
			ev = proto_event("removed");
			json_object_set_new(ev, "id", json_integer(ids[i]));
		}
		job_clear(&j);
		size_t len;
		char *line = proto_encode(ev, &len);
		json_decref(ev);
		if (line && len <= PROTO_MAX_LINE)
			deliver(s, ids[i], line, len);
		free(line);
	}
	store_event(s);
	for (struct conn *c = s->clients; c; c = c->next) {
		if (c->fd < 0 || c->held.len == 0)
			continue;
		struct buf held = c->held;
		buf_init(&c->held);
		srv_client_queue(c, held.data, held.len);
		buf_free(&held);
	}
	if (s->eng)
		engine_store_writable(s->eng);
}

/*
 * The turn's writes are saved before anything of them is told: the held
 * events go out only after a successful commit. While the store is behind
 * only the retry timer (or a request, through srv_commit) tries again.
 */
void srv_commit_turn(struct server *s)
{
	if (!s->st || s->committing)
		return;
	struct store_status ss;
	store_status(s->st, &ss);
	if (ss.behind && !s->store_retry_due) {
		if (!s->store_bad) { /* a write failed this turn: the retries begin */
			struct aura_error why;
			aura_error_set(&why, ss.code, "%s", ss.detail ? ss.detail : "");
			store_failed(s, &why);
		}
		return;
	}
	s->committing = true;
	s->store_retry_due = false;
	int64_t *ids = NULL;
	size_t n = ss.behind ? store_pending_ids(s->st, &ids) : 0;
	struct aura_error err = { 0 };
	if (store_batch_commit(s->st, &err) < 0) {
		store_failed(s, &err);
	} else {
		/* the events held from before a failure first: they are older
		 * than the saved states the catch-up announces */
		for (size_t i = 0; i < s->nheld; i++)
			deliver(s, s->held[i].id, s->held[i].line, s->held[i].len);
		srv_held_drop(s);
		if (ss.behind || s->store_bad)
			store_caught_up(s, ids, n, ss.since_ms);
	}
	free(ids);
	s->committing = false;
}

void srv_commit(struct server *s)
{
	if (s->st && store_behind(s->st) && !s->store_timer)
		s->store_retry_due = true; /* no retry pending: try now */
	srv_commit_turn(s);
}

void srv_before_sleep(struct loop *l, void *ctx)
{
	struct server *s = ctx;
	(void)l;
	srv_commit_turn(s);
	srv_metrics_check(s);
	srv_upkeep_turn(s);
	for (struct conn *c = s->clients; c; c = c->next) {
		if (c->fd < 0)
			continue;
		if (c->ndirty > 0 && srv_pending(c) < s->lowat) {
			for (size_t i = 0; i < c->ndirty; i++) {
				struct prog *p = prog_find(s, c->dirty[i]);
				if (p)
					buf_append(&c->out, p->line, p->len);
			}
			c->ndirty = 0;
		}
		if (srv_pending(c) > 0 && !(c->events & LOOP_WRITE))
			srv_client_write(c);
	}
}
