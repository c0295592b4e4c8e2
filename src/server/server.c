/*
 * server.c -- the control socket on the loop (doc/server.md): listening,
 * the SO_PEERCRED check, one `struct conn` per connection (line reader,
 * outbound buffer, subscription, progress dirty set), the requests of
 * doc/protocol.md forwarded to the engine, and the engine's events turned
 * into protocol events. It also owns the providers' background health
 * (health.c): switched on while video jobs are queued or running by the
 * video kind (video/kind.c, through the engine), shown in the subscribe
 * snapshot, `health` events and the `health` request.
 *
 * Writes happen once per loop turn (the before-sleep hook) or when a
 * blocked socket becomes writable, so a burst of events costs one
 * send(). Progress is coalesced: the newest progress line per job is kept
 * once for the whole server, each subscriber only remembers which jobs
 * are "dirty" for it and gets their newest line when its backlog is below
 * a low-water mark. Log lines are never a reason to drop a client: past a
 * high-water mark a log subscriber is sent one `log_gap` for the job and
 * no more of its lines until it has re-read job.log to the end.
 *
 * Must never: block on a client, read from a peer of another uid, queue
 * past client_buffer (the client is dropped instead), close a connection
 * for a bad request, arm a timer per client, free a client while a
 * callback may still hold it (closing is immediate, the struct is freed
 * from a deferred call), or send a line past PROTO_MAX_LINE.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "base/conf.h"
#include "engine/engine.h"
#include "providers/health.h"
#include "client/jobview.h"
#include "base/log.h"
#include "os/loop.h"
#include "client/proto.h"
#include "server/server.h"
#include "server/server-int.h"
#include "store/store.h"
#include "base/util.h"

#define READ_CHUNK	   65536
#define PROGRESS_LOWAT_MAX (64 * 1024) /* progress waits while more is queued */
#define ACCEPT_RETRY_MS	   1000	       /* after EMFILE, unless a client leaves first */

static void client_write(struct conn *c);
static void commit_turn(struct server *s);
static void finish_check(struct server *s);

/* --- small helpers ------------------------------------------------------ */

static size_t pending(const struct conn *c)
{
	return c->out.len - c->out_off;
}

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

static void prog_drop(struct server *s, int64_t id)
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
	if (c->ndirty == c->capdirty) {
		c->capdirty = c->capdirty ? c->capdirty * 2 : 4;
		c->dirty = xrealloc(c->dirty, c->capdirty * sizeof(*c->dirty));
	}
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

/* --- connections ---------------------------------------------------------- */

static void reap_cb(struct loop *l, void *ctx)
{
	struct server *s = ctx;
	(void)l;
	s->reap_pending = false;
	struct conn **pp = &s->clients;
	while (*pp) {
		struct conn *c = *pp;
		if (c->fd >= 0) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		free(c);
	}
}

static void accept_resume(struct server *s)
{
	if (!s->accept_paused)
		return;
	s->accept_paused = false;
	loop_timer_del(s->loop, s->accept_timer);
	s->accept_timer = 0;
	if (s->lfd >= 0)
		loop_fd_set_events(s->loop, s->lfd, LOOP_READ);
}

/* Close now and free every buffer; the struct itself goes at the start of
 * the next turn, since a caller up the stack may still hold it. */
static void client_close(struct conn *c, const char *why)
{
	struct server *s = c->s;
	if (c->fd < 0)
		return;
	log_debug("client fd %d pid %ld: closed (%s)", c->fd, c->pid, why);
	loop_fd_del(s->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	proto_reader_free(&c->rd);
	buf_free(&c->out);
	buf_free(&c->held);
	c->out_off = 0;
	free(c->ids);
	c->ids = NULL;
	c->nids = 0;
	free(c->dirty);
	c->dirty = NULL;
	c->ndirty = c->capdirty = 0;
	free(c->gaps);
	c->gaps = NULL;
	c->ngaps = c->capgaps = 0;
	if (c->subscribed)
		s->nsubscribed--;
	c->subscribed = false;
	s->nclients--;
	if (!s->reap_pending) {
		s->reap_pending = true;
		loop_defer(s->loop, reap_cb, s);
	}
	accept_resume(s); /* a descriptor is free again */
	finish_check(s);
}

static void client_set_events(struct conn *c)
{
	if (c->fd < 0)
		return;
	int ev = (c->closing ? 0 : LOOP_READ) | (pending(c) > 0 ? LOOP_WRITE : 0);
	if (ev != c->events) {
		loop_fd_set_events(c->s->loop, c->fd, ev);
		c->events = ev;
	}
}

/* Stop reading; close once what is queued is sent (at once if nothing). */
static void client_set_closing(struct conn *c)
{
	if (c->fd < 0 || c->closing)
		return;
	c->closing = true;
	if (c->subscribed)
		c->s->nsubscribed--;
	c->subscribed = false;
	c->ndirty = 0;
	if (pending(c) == 0)
		client_close(c, "done");
	else
		client_set_events(c);
}

static void client_write(struct conn *c)
{
	/* whatever a client is told, the store has it first (group commit) */
	if (c->fd >= 0 && (pending(c) > 0 || c->s->nheld > 0))
		commit_turn(c->s);
	while (c->fd >= 0 && pending(c) > 0) {
		ssize_t n =
		    send(c->fd, c->out.data + c->out_off, pending(c), MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		client_close(c, n < 0 ? strerror(errno) : "send returned 0");
		return;
	}
	if (c->fd < 0)
		return;
	if (pending(c) == 0) {
		/* Give back what a burst made us hold: memory stays flat. */
		if (c->out.cap > 2 * READ_CHUNK) {
			buf_free(&c->out);
			buf_init(&c->out);
		} else {
			buf_reset(&c->out);
		}
		c->out_off = 0;
		if (c->closing) {
			client_close(c, "done");
			return;
		}
	} else if (c->out_off >= READ_CHUNK && c->out_off >= c->out.len / 2) {
		buf_consume(&c->out, c->out_off);
		c->out_off = 0;
	}
	client_set_events(c);
}

/*
 * Queue one encoded line. A line always fits into an empty backlog (so an
 * answer up to PROTO_MAX_LINE reaches a client that reads); otherwise the
 * backlog may not pass client_buffer: then the socket gets one more chance
 * to take bytes, and a client still past the bound is dropped.
 */
static void client_queue(struct conn *c, const char *line, size_t len)
{
	if (c->fd < 0 || c->closing)
		return;
	if (c->hold) {
		buf_append(&c->held, line, len);
		return;
	}
	uint64_t bound = c->s->cfg->client_buffer;
	if (pending(c) > 0 && pending(c) + len > bound) {
		client_write(c);
		if (c->fd < 0)
			return;
		if (pending(c) > 0 && pending(c) + len > bound) {
			log_warn(
			    "client fd %d pid %ld dropped: it does not read (%zu bytes queued, "
			    "client_buffer %llu)",
			    c->fd, c->pid, pending(c), (unsigned long long)bound);
			client_close(c, "too slow");
			return;
		}
	}
	buf_append(&c->out, line, len);
}

/* Queue a message (stolen). Lines past the cap are not sent; the caller
 * of a possibly large answer checks with encode_fits first. */
void srv_client_send(struct conn *c, json_t *msg)
{
	size_t len;
	char *line = proto_encode(msg, &len);
	json_decref(msg);
	if (!line) {
		log_error("server: a message could not be encoded");
		return;
	}
	if (len > PROTO_MAX_LINE)
		log_error("server: dropped a %zu-byte message to client fd %d", len, c->fd);
	else
		client_queue(c, line, len);
	free(line);
}

void srv_reply_err(struct conn *c, int64_t id, const struct aura_error *err)
{
	srv_client_send(c, proto_response_err(id, err));
}

void srv_reply_errf(struct conn *c, int64_t id, int code, const char *fmt, ...)
{
	struct aura_error err;
	va_list ap;
	va_start(ap, fmt);
	char *d = xvasprintf(fmt, ap);
	va_end(ap);
	aura_error_set(&err, code, "%s", d);
	free(d);
	srv_reply_err(c, id, &err);
}

/* An answer (result stolen) that passes the cap becomes an error. */
void srv_reply_ok(struct conn *c, int64_t id, json_t *result)
{
	json_t *msg = proto_response_ok(id, result);
	size_t len;
	char *line = proto_encode(msg, &len);
	json_decref(msg);
	if (!line || len > PROTO_MAX_LINE) {
		free(line);
		srv_reply_errf(c, id, AURA_E_INTERNAL, "the answer would pass %d bytes",
			       PROTO_MAX_LINE);
		return;
	}
	client_queue(c, line, len);
	free(line);
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
		client_queue(c, line, len);
	}
}

/* A job or removed event about a write of this turn: it waits for the
 * commit (srv_commit). While the store is behind it is not kept at all:
 * the catch-up announces the job's saved state. */
static void hold_event(struct server *s, int64_t id, json_t *msg)
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
	if (s->nheld == s->capheld) {
		s->capheld = s->capheld ? s->capheld * 2 : 8;
		s->held = xrealloc(s->held, s->capheld * sizeof(*s->held));
	}
	s->held[s->nheld++] = (struct held_event){id, line, len};
}

static void held_drop(struct server *s)
{
	for (size_t i = 0; i < s->nheld; i++)
		free(s->held[i].line);
	s->nheld = 0;
}

/* --- provider health ------------------------------------------------------ */

json_t *srv_health_json(const struct server *s)
{
	json_t *a = json_array();
	for (size_t i = 0; i < health_count(s->health); i++) {
		const struct health_entry *e = health_entry(s->health, i);
		json_t *err = json_null();
		if (e->state == HEALTH_FAILING) {
			struct aura_error ae;
			aura_error_set(&ae, e->code, "%s", e->detail);
			err = proto_error_to_json(&ae);
		}
		json_array_append_new(
		    a, json_pack("{s:s, s:s, s:o, s:o, s:o}", "name", e->name, "state",
				 health_state_name(e->state), "latency_ms",
				 e->latency_ms >= 0 ? json_integer(e->latency_ms) : json_null(),
				 "error", err, "checked_ms",
				 e->checked_ms > 0 ? json_integer(e->checked_ms) : json_null()));
	}
	return a;
}

/* Health is whole-server news: it goes to subscribers of every job (the
 * UI), not to those watching some ids (`aura logs -f`, `wait`). */
static void on_health_changed(void *ctx)
{
	struct server *s = ctx;
	char *line = NULL;
	size_t len = 0;
	if (s->nsubscribed == 0)
		return;
	for (struct conn *c = s->clients; c; c = c->next) {
		if (c->fd < 0 || !c->subscribed || c->nids > 0)
			continue;
		if (!line) {
			json_t *ev = proto_event("health");
			json_object_set_new(ev, "providers", srv_health_json(s));
			line = proto_encode(ev, &len);
			json_decref(ev);
			if (!line || len > PROTO_MAX_LINE)
				break;
		}
		client_queue(c, line, len);
	}
	free(line);
}

struct health *server_health(struct server *s)
{
	return s->health;
}

/* --- the engine's events -------------------------------------------------- */

static void ev_job_changed(const struct job *j, void *ctx)
{
	struct server *s = ctx;
	if (j->state != JOB_RUNNING && j->state != JOB_PAUSED)
		prog_drop(s, j->id);
	if (s->nsubscribed == 0)
		return;
	json_t *ev = proto_event("job");
	json_object_set_new(ev, "job", proto_job_to_json(j, false));
	hold_event(s, j->id, ev);
}

static void ev_job_progress(const struct job *j, void *ctx)
{
	struct server *s = ctx;
	bool wanted = false;
	for (struct conn *c = s->clients; c && !wanted; c = c->next)
		wanted = c->progress && client_wants(c, j->id);
	if (!wanted) { /* not even encoded: nobody would read it */
		prog_drop(s, j->id);
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
		if (s->nprogs == s->capprogs) {
			s->capprogs = s->capprogs ? s->capprogs * 2 : 4;
			s->progs = xrealloc(s->progs, s->capprogs * sizeof(*s->progs));
		}
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

static void ev_job_removed(int64_t id, void *ctx)
{
	struct server *s = ctx;
	prog_drop(s, id);
	if (s->nsubscribed == 0)
		return;
	json_t *ev = proto_event("removed");
	json_object_set_new(ev, "id", json_integer(id));
	hold_event(s, id, ev);
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
	if (c->ngaps == c->capgaps) {
		c->capgaps = c->capgaps ? c->capgaps * 2 : 4;
		c->gaps = xrealloc(c->gaps, c->capgaps * sizeof(*c->gaps));
	}
	c->gaps[c->ngaps++] = id;
}

/* Would this log line pass the client's high-water mark? */
static bool log_behind(struct conn *c, size_t len)
{
	size_t hiwat = log_hiwat(c->s);
	if (pending(c) == 0 || pending(c) + len <= hiwat)
		return false;
	client_write(c);
	return c->fd >= 0 && pending(c) > 0 && pending(c) + len > hiwat;
}

static void ev_job_log(int64_t id, const char *line, int64_t end, void *ctx)
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
			client_queue(c, gap, glen);
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
			client_queue(c, msg, len);
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
				  c->fd, c->pid, (long long)id, pending(c));
			gap_add(c, id);
			client_queue(c, gap, gap_len);
		}
	}
	free(gap);
	free(msg);
}

static void ev_drained(void *ctx)
{
	struct server *s = ctx;
	if (s->on_drained)
		s->on_drained(s->handler_ctx);
}

const struct engine_events server_engine_events = {
    .job_changed = ev_job_changed,
    .job_progress = ev_job_progress,
    .job_removed = ev_job_removed,
    .job_log = ev_job_log,
    .drained = ev_drained,
};

static void client_read(struct conn *c)
{
	char tmp[READ_CHUNK];
	ssize_t n = recv(c->fd, tmp, sizeof(tmp), MSG_DONTWAIT);
	if (n == 0) {
		client_close(c, "disconnected");
		return;
	}
	if (n < 0) {
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
			client_close(c, strerror(errno));
		return;
	}
	proto_reader_feed(&c->rd, tmp, (size_t)n);
	while (c->fd >= 0 && !c->closing) {
		json_t *msg;
		struct aura_error err;
		aura_error_clear(&err);
		int rc = proto_reader_next(&c->rd, &msg, &err);
		if (rc == 0)
			break;
		if (rc == -AURA_E_PROTO_TOO_LARGE) {
			log_warn("client fd %d pid %ld: a line passed %d bytes; closing it", c->fd,
				 c->pid, PROTO_MAX_LINE);
			srv_reply_err(c, PROTO_NO_ID, &err);
			client_set_closing(c);
			client_write(c); /* best effort, then it is closed */
			if (c->fd >= 0)
				client_close(c, "line too large");
			break;
		}
		if (rc < 0) {
			srv_reply_err(c, PROTO_NO_ID, &err);
			continue;
		}
		srv_handle(c, msg);
		json_decref(msg);
	}
}

static void client_cb(struct loop *l, int fd, int revents, void *ctx)
{
	struct conn *c = ctx;
	(void)l;
	(void)fd;
	if (revents & LOOP_WRITE)
		client_write(c);
	if (c->fd >= 0 && !c->closing && (revents & LOOP_READ))
		client_read(c);
}

/* --- the listener --------------------------------------------------------- */

static void accept_timer_cb(struct loop *l, void *ctx)
{
	struct server *s = ctx;
	(void)l;
	s->accept_timer = 0;
	accept_resume(s);
}

static void refuse_peer(int fd, const struct ucred *cr)
{
	struct aura_error err;
	aura_error_set(&err, AURA_E_PEER_REFUSED, "uid %ld is not the server's uid %ld",
		       (long)cr->uid, (long)geteuid());
	json_t *msg = proto_response_err(PROTO_NO_ID, &err);
	size_t len;
	char *line = proto_encode(msg, &len);
	json_decref(msg);
	if (line) {
		/* best effort: a fresh socket takes one short line */
		ssize_t w = send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)w;
		free(line);
	}
	log_warn("server: refused a connection from uid %ld (pid %ld): not the server's uid",
		 (long)cr->uid, (long)cr->pid);
	close(fd);
}

static void listener_cb(struct loop *l, int lfd, int revents, void *ctx)
{
	struct server *s = ctx;
	(void)revents;
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			/* Out of descriptors or memory: stop polling the listener
			 * (it would wake us on every turn) until a client leaves
			 * or a second passes. */
			log_warn("server: accept: %s; pausing new connections", strerror(errno));
			if (!s->accept_paused) {
				s->accept_paused = true;
				loop_fd_set_events(l, lfd, 0);
				s->accept_timer =
				    loop_timer_add(l, ACCEPT_RETRY_MS, accept_timer_cb, s);
			}
			return;
		}
		/* Who is it? Before a single byte is read. */
		struct ucred cr;
		socklen_t crlen = sizeof(cr);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) < 0) {
			log_warn("server: SO_PEERCRED: %s; connection closed", strerror(errno));
			close(fd);
			continue;
		}
		if (cr.uid != geteuid()) {
			refuse_peer(fd, &cr);
			continue;
		}
		struct conn *c = xcalloc(1, sizeof(*c));
		c->s = s;
		c->fd = fd;
		c->pid = (long)cr.pid;
		proto_reader_init(&c->rd);
		buf_init(&c->out);
		buf_init(&c->held);
		c->events = LOOP_READ;
		if (loop_fd_add(l, fd, LOOP_READ, client_cb, c) < 0) {
			log_error("server: cannot watch client fd %d: %s", fd, strerror(errno));
			proto_reader_free(&c->rd);
			close(fd);
			free(c);
			continue;
		}
		c->next = s->clients;
		s->clients = c;
		s->nclients++;
		log_debug("client fd %d pid %ld: connected", fd, c->pid);
		/* A client writes its request right after connect: it is often
		 * here already, and read now saves a wake-up (EAGAIN if not). */
		client_read(c);
	}
}

/* The socket's directory: ours, a directory, 0700. */
static int ensure_runtime_dir(const char *dir, struct aura_error *err)
{
	if (mkdir_p(dir, 0700) < 0)
		return aura_error_set(err, AURA_E_DATA_DIR, "%s: %s", dir, strerror(errno));
	struct stat st;
	if (lstat(dir, &st) < 0)
		return aura_error_set(err, AURA_E_DATA_DIR, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return aura_error_set(err, AURA_E_DATA_DIR, "%s is not a directory", dir);
	if (st.st_uid != geteuid())
		return aura_error_set(
		    err, AURA_E_DATA_DIR,
		    "%s belongs to uid %ld, not to us: the socket would not be private", dir,
		    (long)st.st_uid);
	if ((st.st_mode & 0777) != 0700 && chmod(dir, 0700) < 0)
		return aura_error_set(err, AURA_E_DATA_DIR, "chmod 0700 %s: %s", dir,
				      strerror(errno));
	return 0;
}

/* A socket file is there: remove it only if it is a socket nobody answers
 * on (the server lock, held by our caller, keeps another of us away). */
static int replace_stale(const struct sockaddr_un *sa, struct aura_error *err)
{
	const char *path = sa->sun_path;
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT
			   ? 0
			   : aura_error_set(err, AURA_E_DATA_DIR, "%s: %s", path, strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return aura_error_set(err, AURA_E_DATA_DIR,
				      "%s exists and is not a socket; remove it", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return aura_error_set(err, AURA_E_INTERNAL, "socket: %s", strerror(errno));
	int rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	int e = errno;
	close(fd);
	if (rc == 0 || e == EAGAIN || e == EINPROGRESS)
		return aura_error_set(err, AURA_E_SERVER_RUNNING,
				      "a server answers on %s (not one holding this data "
				      "directory's lock)",
				      path);
	if (e != ECONNREFUSED && e != ENOENT)
		return aura_error_set(err, AURA_E_DATA_DIR, "connect %s: %s", path, strerror(e));
	if (unlink(path) < 0 && errno != ENOENT)
		return aura_error_set(err, AURA_E_DATA_DIR, "removing the stale socket %s: %s",
				      path, strerror(errno));
	log_info("server: replaced the stale socket %s", path);
	return 0;
}

int server_listen(struct server *s, struct aura_error *err)
{
	const char *path = s->paths->socket_path;
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return aura_error_set(err, AURA_E_PATH_TOO_LONG,
				      "socket path %s (%zu bytes, at most %zu)", path, strlen(path),
				      sizeof(sa.sun_path) - 1);
	str_copy(sa.sun_path, path, sizeof(sa.sun_path));
	int rc = ensure_runtime_dir(s->paths->runtime_dir, err);
	if (rc < 0 || (rc = replace_stale(&sa, err)) < 0)
		return rc;

	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return aura_error_set(err, AURA_E_INTERNAL, "socket: %s", strerror(errno));
	/* umask makes the socket 0600 from its birth; chmod in case a
	 * file system ignores it. */
	mode_t old = umask(0177);
	rc = bind(fd, (const struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	umask(old);
	if (rc < 0) {
		close(fd);
		return aura_error_set(err, AURA_E_DATA_DIR, "bind %s: %s", path, strerror(e));
	}
	struct stat st;
	if (chmod(path, 0600) < 0 || stat(path, &st) < 0 || listen(fd, SOMAXCONN) < 0) {
		e = errno;
		close(fd);
		unlink(path);
		return aura_error_set(err, AURA_E_DATA_DIR, "%s: %s", path, strerror(e));
	}
	if (loop_fd_add(s->loop, fd, LOOP_READ, listener_cb, s) < 0) {
		e = errno;
		close(fd);
		unlink(path);
		return aura_error_set(err, AURA_E_INTERNAL, "watching the listener: %s",
				      strerror(e));
	}
	s->lfd = fd;
	s->bound = true;
	s->sock_dev = st.st_dev;
	s->sock_ino = st.st_ino;
	return 0;
}

void server_close_listener(struct server *s)
{
	if (s->lfd < 0)
		return;
	loop_fd_del(s->loop, s->lfd);
	close(s->lfd);
	s->lfd = -1;
	loop_timer_del(s->loop, s->accept_timer);
	s->accept_timer = 0;
	s->accept_paused = false;
}

void server_unlink_socket(struct server *s)
{
	if (!s->bound)
		return;
	struct stat st;
	const char *path = s->paths->socket_path;
	if (lstat(path, &st) == 0 && st.st_dev == s->sock_dev && st.st_ino == s->sock_ino)
		unlink(path);
	s->bound = false;
}

/* --- before sleep: writes and coalesced progress -------------------------- */

/* --- the store's writes -------------------------------------------------- */

#define STORE_RETRY_MIN_MS 100
#define STORE_RETRY_MAX_MS 2000

json_t *srv_store_json(const struct server *s)
{
	struct store_status ss = {0};
	if (s->st)
		store_status(s->st, &ss);
	if (!ss.behind)
		return json_pack("{s:b}", "writable", 1);
	return json_pack("{s:b, s:s, s:s, s:o, s:I, s:I}", "writable", 0, "code",
			 aura_error_name(ss.code), "message", aura_error_message(ss.code),
			 "detail", proto_string(ss.detail), "since_ms", (json_int_t)ss.since_ms,
			 "pending", (json_int_t)ss.pending);
}

/* Tell every subscriber the store's state (it changed). */
static void store_event(struct server *s)
{
	json_t *ev = proto_event("store");
	json_object_set_new(ev, "store", srv_store_json(s));
	size_t len;
	char *line = proto_encode(ev, &len);
	json_decref(ev);
	for (struct conn *c = s->clients; line && c; c = c->next)
		if (c->fd >= 0 && c->subscribed)
			client_queue(c, line, len);
	free(line);
}

static void store_retry_cb(struct loop *l, void *ctx)
{
	struct server *s = ctx;
	(void)l;
	s->store_timer = 0;
	s->store_retry_due = true;
	commit_turn(s);
}

static void store_failed(struct server *s, const struct aura_error *err)
{
	held_drop(s); /* their writes are not saved: never told */
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
		client_queue(c, held.data, held.len);
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
static void commit_turn(struct server *s)
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
	struct aura_error err = {0};
	if (store_batch_commit(s->st, &err) < 0) {
		store_failed(s, &err);
	} else {
		/* the events held from before a failure first: they are older
		 * than the saved states the catch-up announces */
		for (size_t i = 0; i < s->nheld; i++)
			deliver(s, s->held[i].id, s->held[i].line, s->held[i].len);
		held_drop(s);
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
	commit_turn(s);
}

static void before_sleep(struct loop *l, void *ctx)
{
	struct server *s = ctx;
	(void)l;
	commit_turn(s);
	for (struct conn *c = s->clients; c; c = c->next) {
		if (c->fd < 0)
			continue;
		if (c->ndirty > 0 && pending(c) < s->lowat) {
			for (size_t i = 0; i < c->ndirty; i++) {
				struct prog *p = prog_find(s, c->dirty[i]);
				if (p)
					buf_append(&c->out, p->line, p->len);
			}
			c->ndirty = 0;
		}
		if (pending(c) > 0 && !(c->events & LOOP_WRITE))
			client_write(c);
	}
}

/* --- life ----------------------------------------------------------------- */

struct server *server_new(struct loop *l, struct store *st, const struct aura_config *cfg,
			  const struct aura_paths *paths)
{
	struct server *s = xcalloc(1, sizeof(*s));
	s->loop = l;
	s->st = st;
	s->cfg = cfg;
	s->paths = paths;
	s->lfd = -1;
	s->lowat = cfg->client_buffer / 4;
	if (s->lowat > PROGRESS_LOWAT_MAX)
		s->lowat = PROGRESS_LOWAT_MAX;
	loop_set_before_sleep(l, before_sleep, s);
	return s;
}

void server_set_engine(struct server *s, struct engine *e)
{
	s->eng = e;
}

void server_set_http(struct server *s, struct http *h)
{
	health_free(s->health);
	s->health = health_new(s->loop, h, s->cfg, on_health_changed, s);
}

void server_set_handlers(struct server *s, void (*on_shutdown)(bool now, void *ctx),
			 void (*on_drained)(void *ctx), void *ctx)
{
	s->on_shutdown = on_shutdown;
	s->on_drained = on_drained;
	s->handler_ctx = ctx;
}

void server_broadcast_shutdown(struct server *s)
{
	s->shutdown_pending = true;
	json_t *ev = proto_event("shutdown");
	size_t len;
	char *line = proto_encode(ev, &len);
	json_decref(ev);
	for (struct conn *c = s->clients; c; c = c->next) {
		if (c->fd < 0 || !c->subscribed)
			continue;
		if (line)
			client_queue(c, line, len);
		client_set_closing(c);
	}
	free(line);
}

static void done_cb(struct loop *l, void *ctx)
{
	struct server *s = ctx;
	(void)l;
	s->finish_timer = 0;
	if (s->done)
		s->done(s->done_ctx);
}

static void finish_check(struct server *s)
{
	if (!s->finishing || s->finish_done || s->nclients > 0)
		return;
	s->finish_done = true;
	loop_timer_del(s->loop, s->finish_timer);
	/* A timer, not loop_defer: done() may call loop_stop(), which a
	 * deferred call cannot use (that turn would still sleep in poll). */
	s->finish_timer = loop_timer_add(s->loop, 0, done_cb, s);
}

static void finish_timer_cb(struct loop *l, void *ctx)
{
	struct server *s = ctx;
	(void)l;
	s->finish_timer = 0;
	for (struct conn *c = s->clients; c; c = c->next)
		if (c->fd >= 0)
			client_close(c, "server exiting");
	finish_check(s);
}

void server_finish(struct server *s, int64_t max_wait_ms, void (*done)(void *ctx), void *ctx)
{
	if (s->finishing)
		return;
	s->finishing = true;
	s->done = done;
	s->done_ctx = ctx;
	server_close_listener(s);
	for (struct conn *c = s->clients; c; c = c->next) {
		if (c->fd < 0)
			continue;
		client_set_closing(c);
		if (c->fd >= 0)
			client_write(c);
	}
	if (!s->finish_done && s->nclients > 0)
		s->finish_timer = loop_timer_add(s->loop, max_wait_ms, finish_timer_cb, s);
	finish_check(s);
}

int server_client_count(const struct server *s)
{
	return s->nclients;
}

void server_free(struct server *s)
{
	if (!s)
		return;
	server_close_listener(s);
	loop_set_before_sleep(s->loop, NULL, NULL);
	loop_timer_del(s->loop, s->finish_timer);
	s->finishing = false; /* no done() from here */
	struct conn *c = s->clients;
	while (c) {
		struct conn *next = c->next;
		if (c->fd >= 0) {
			loop_fd_del(s->loop, c->fd);
			close(c->fd);
			proto_reader_free(&c->rd);
			buf_free(&c->out);
			buf_free(&c->held);
			free(c->ids);
			free(c->dirty);
			free(c->gaps);
		}
		free(c);
		c = next;
	}
	for (size_t i = 0; i < s->nprogs; i++)
		free(s->progs[i].line);
	free(s->progs);
	held_drop(s);
	free(s->held);
	loop_timer_del(s->loop, s->store_timer);
	health_free(s->health);
	free(s);
}
