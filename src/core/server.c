/*
 * server.c -- the control socket on the loop (doc/server.md): listening,
 * the SO_PEERCRED check, one `struct client` per connection (line reader,
 * outbound buffer, subscription, progress dirty set), the requests of
 * doc/protocol.md forwarded to the engine, and the engine's events turned
 * into protocol events.
 *
 * Writes happen once per loop turn (the before-sleep hook) or when a
 * blocked socket becomes writable, so a burst of events costs one
 * send(). Progress is coalesced: the newest progress line per job is kept
 * once for the whole server, each subscriber only remembers which jobs
 * are "dirty" for it and gets their newest line when its backlog is below
 * a low-water mark.
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

#include "engine.h"
#include "jobview.h"
#include "log.h"
#include "loop.h"
#include "proto.h"
#include "server.h"
#include "store.h"
#include "util.h"
#include "vspec.h"

#define READ_CHUNK	   65536
#define LOGS_CHUNK_MAX	   (256 * 1024) /* log bytes per `logs` answer */
#define SNAPSHOT_MAX	   1000		/* jobs in a subscribe snapshot */
#define PROGRESS_LOWAT_MAX (64 * 1024)	/* progress waits while more is queued */
#define ACCEPT_RETRY_MS	   1000		/* after EMFILE, unless a client leaves first */
#define PAGE_SLACK	   4096		/* room for the envelope around a job list */

struct client {
	struct client *next;
	struct server *s;
	int fd; /* -1 once closed: the struct waits for the deferred reap */
	long pid;
	struct proto_reader rd;
	struct buf out;
	size_t out_off;	 /* bytes of out already sent */
	int events;	 /* what the loop watches now */
	bool subscribed; /* gets events */
	bool logs;	 /* gets log events */
	int64_t *ids;	 /* subscription filter, NULL: every job */
	size_t nids;
	int64_t *dirty; /* jobs whose newest progress is not queued yet */
	size_t ndirty, capdirty;
	bool closing; /* read nothing more, queue nothing more, close when sent */
};

/* The newest progress event of one running job, encoded once. */
struct prog {
	int64_t id;
	char *line;
	size_t len;
};

struct server {
	struct loop *loop;
	struct store *st;
	struct engine *eng;
	const struct aura_config *cfg;
	const struct aura_paths *paths;
	int lfd;
	bool bound;
	dev_t sock_dev;
	ino_t sock_ino;
	bool accept_paused;
	uint64_t accept_timer;
	struct client *clients; /* live and closed-not-yet-reaped */
	int nclients;		/* live ones */
	int nsubscribed;	/* live subscribers (skip encoding when 0) */
	bool reap_pending;
	struct prog *progs;
	size_t nprogs, capprogs;
	size_t lowat;
	void (*on_shutdown)(bool now, void *ctx);
	void (*on_drained)(void *ctx);
	void *handler_ctx;
	bool shutdown_pending, shutdown_now;
	/* server_finish */
	bool finishing, finish_done;
	uint64_t finish_timer;
	void (*done)(void *ctx);
	void *done_ctx;
};

static void client_write(struct client *c);
static void finish_check(struct server *s);

/* --- small helpers ------------------------------------------------------ */

static size_t pending(const struct client *c)
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

static void dirty_add(struct client *c, int64_t id)
{
	if (has_id(c->dirty, c->ndirty, id))
		return;
	if (c->ndirty == c->capdirty) {
		c->capdirty = c->capdirty ? c->capdirty * 2 : 4;
		c->dirty = xrealloc(c->dirty, c->capdirty * sizeof(*c->dirty));
	}
	c->dirty[c->ndirty++] = id;
}

static void dirty_del(struct client *c, int64_t id)
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
	struct client **pp = &s->clients;
	while (*pp) {
		struct client *c = *pp;
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
static void client_close(struct client *c, const char *why)
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
	c->out_off = 0;
	free(c->ids);
	c->ids = NULL;
	c->nids = 0;
	free(c->dirty);
	c->dirty = NULL;
	c->ndirty = c->capdirty = 0;
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

static void client_set_events(struct client *c)
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
static void client_set_closing(struct client *c)
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

static void client_write(struct client *c)
{
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
static void client_queue(struct client *c, const char *line, size_t len)
{
	if (c->fd < 0 || c->closing)
		return;
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
static void client_send(struct client *c, json_t *msg)
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

static void reply_err(struct client *c, int64_t id, const struct aura_error *err)
{
	client_send(c, proto_response_err(id, err));
}

static void reply_errf(struct client *c, int64_t id, int code, const char *fmt, ...)
    AURA_PRINTF(4, 5);
static void reply_errf(struct client *c, int64_t id, int code, const char *fmt, ...)
{
	struct aura_error err;
	va_list ap;
	va_start(ap, fmt);
	char *d = xvasprintf(fmt, ap);
	va_end(ap);
	aura_error_set(&err, code, "%s", d);
	free(d);
	reply_err(c, id, &err);
}

/* An answer (result stolen) that passes the cap becomes an error. */
static void reply_ok(struct client *c, int64_t id, json_t *result)
{
	json_t *msg = proto_response_ok(id, result);
	size_t len;
	char *line = proto_encode(msg, &len);
	json_decref(msg);
	if (!line || len > PROTO_MAX_LINE) {
		free(line);
		reply_errf(c, id, AURA_E_INTERNAL, "the answer would pass %d bytes",
			   PROTO_MAX_LINE);
		return;
	}
	client_queue(c, line, len);
	free(line);
}

static bool client_wants(const struct client *c, int64_t id)
{
	return c->fd >= 0 && c->subscribed && (c->nids == 0 || has_id(c->ids, c->nids, id));
}

/* Encode once, queue to every subscriber that wants job `id` (for log
 * events only those that asked for logs). */
static void broadcast(struct server *s, int64_t id, bool is_log, json_t *msg)
{
	char *line = NULL;
	size_t len = 0;
	for (struct client *c = s->clients; c; c = c->next) {
		if (!client_wants(c, id) || (is_log && !c->logs))
			continue;
		if (!is_log)
			dirty_del(c, id); /* a job or removed event supersedes progress */
		if (!line) {
			line = proto_encode(msg, &len);
			if (!line || len > PROTO_MAX_LINE) {
				log_error("server: an event for job %lld could not be sent",
					  (long long)id);
				break;
			}
		}
		client_queue(c, line, len);
	}
	free(line);
	json_decref(msg);
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
	broadcast(s, j->id, false, ev);
}

static void ev_job_progress(const struct job *j, void *ctx)
{
	struct server *s = ctx;
	if (s->nsubscribed == 0) {
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
	for (struct client *c = s->clients; c; c = c->next)
		if (client_wants(c, j->id))
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
	broadcast(s, id, false, ev);
}

static void ev_job_log(int64_t id, const char *line, void *ctx)
{
	struct server *s = ctx;
	if (s->nsubscribed == 0)
		return;
	bool any = false;
	for (struct client *c = s->clients; c && !any; c = c->next)
		any = client_wants(c, id) && c->logs;
	if (!any)
		return;
	json_t *ev = proto_event("log");
	json_object_set_new(ev, "id", json_integer(id));
	json_object_set_new(ev, "line", proto_string(line));
	broadcast(s, id, true, ev);
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

/* --- request parameters --------------------------------------------------- */

static int param_job_id(json_t *params, int64_t *id, struct aura_error *err)
{
	json_t *v = json_object_get(params, "id");
	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "\"id\" must be a positive integer (a job id)");
	*id = json_integer_value(v);
	return 0;
}

/* An optional member: absent or null is fine, else it must pass `is`. */
static int param_opt(json_t *params, const char *key, int (*is)(const json_t *), const char *what,
		     json_t **out, struct aura_error *err)
{
	json_t *v = json_object_get(params, key);
	*out = NULL;
	if (v && json_is_null(v))
		v = NULL;
	if (v && !is(v))
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST, "\"%s\" must be %s", key,
				      what);
	*out = v;
	return 0;
}

static int is_string(const json_t *v)
{
	return json_is_string(v);
}
static int is_integer(const json_t *v)
{
	return json_is_integer(v);
}
static int is_object(const json_t *v)
{
	return json_is_object(v);
}
static int is_array(const json_t *v)
{
	return json_is_array(v);
}
static int is_boolean(const json_t *v)
{
	return json_is_boolean(v);
}

static int param_priority(json_t *params, int *out, struct aura_error *err)
{
	json_t *v;
	int rc = param_opt(params, "priority", is_integer, "an integer", &v, err);
	if (rc < 0)
		return rc;
	*out = 0;
	if (v) {
		json_int_t p = json_integer_value(v);
		if (p < -1000000 || p > 1000000)
			return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
					      "\"priority\" must be between -1000000 and 1000000");
		*out = (int)p;
	}
	return 0;
}

static const char *base_name(const char *p)
{
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		n--;
	const char *s = p + n;
	while (s > p && s[-1] != '/')
		s--;
	return s;
}

/* --- requests ------------------------------------------------------------- */

typedef int (*method_fn)(struct client *c, int64_t id, json_t *params, json_t **result,
			 struct aura_error *err);

static int m_ping(struct client *c, int64_t id, json_t *params, json_t **result,
		  struct aura_error *err)
{
	(void)c, (void)id, (void)params, (void)err;
	*result = json_pack("{s:s, s:I}", "version", PACKAGE_VERSION, "pid", (json_int_t)getpid());
	return 0;
}

static json_t *job_result(const struct job *j)
{
	json_t *r = json_object();
	json_object_set_new(r, "job", proto_job_to_json(j, false));
	return r;
}

static int submit_job(struct client *c, struct job *j, json_t **result, struct aura_error *err)
{
	int rc = engine_submit(c->s->eng, j, err);
	if (rc == 0)
		*result = job_result(j);
	job_clear(j);
	return rc;
}

static int m_submit(struct client *c, int64_t id, json_t *params, json_t **result,
		    struct aura_error *err)
{
	(void)id;
	json_t *kind = NULL, *name = NULL, *argv = NULL, *output = NULL, *cwd = NULL;
	int priority, rc;
	if ((rc = param_opt(params, "kind", is_string, "a string", &kind, err)) < 0 ||
	    (rc = param_opt(params, "name", is_string, "a string", &name, err)) < 0 ||
	    (rc = param_opt(params, "argv", is_array, "an array of strings", &argv, err)) < 0 ||
	    (rc = param_opt(params, "output", is_string, "a string", &output, err)) < 0 ||
	    (rc = param_opt(params, "cwd", is_string, "a string", &cwd, err)) < 0 ||
	    (rc = param_priority(params, &priority, err)) < 0)
		return rc;
	if (kind && strcmp(json_string_value(kind), "ffmpeg") != 0)
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "submit takes \"kind\": \"ffmpeg\" (video jobs use `new`)");
	if (!argv || json_array_size(argv) == 0)
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "\"argv\" must be a non-empty array of strings");
	size_t i;
	json_t *a;
	json_array_foreach(argv, i, a)
	{
		if (!json_is_string(a))
			return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
					      "\"argv\"[%zu] is not a string", i);
	}
	if (!cwd || json_string_value(cwd)[0] != '/')
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "\"cwd\" must be an absolute path");
	const char *out = output ? json_string_value(output) : NULL;
	if (out && !*out)
		out = NULL;
	if (out && out[0] != '/')
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "\"output\" must be an absolute path");

	json_t *spec = json_object();
	json_object_set(spec, "argv", argv);
	json_object_set(spec, "cwd", cwd);
	if (out)
		json_object_set_new(spec, "output", json_string(out));

	struct job j;
	job_init(&j);
	j.kind = JOB_KIND_FFMPEG;
	j.spec = json_dumps(spec, JSON_COMPACT);
	json_decref(spec);
	j.output = xstrdup(out);
	const char *nm = name ? json_string_value(name) : NULL;
	if (!nm || !*nm)
		nm = out && *base_name(out) ? base_name(out) : "ffmpeg";
	j.name = xstrdup(nm);
	j.priority = priority;
	if (!j.spec) {
		job_clear(&j);
		return aura_error_set(err, AURA_E_INTERNAL, "the job's spec could not be encoded");
	}
	return submit_job(c, &j, result, err);
}

static int m_new(struct client *c, int64_t id, json_t *params, json_t **result,
		 struct aura_error *err)
{
	(void)id;
	json_t *topic = NULL, *options = NULL, *cwd = NULL, *prio = NULL;
	int rc;
	if ((rc = param_opt(params, "topic", is_string, "a string", &topic, err)) < 0 ||
	    (rc = param_opt(params, "options", is_object, "an object", &options, err)) < 0 ||
	    (rc = param_opt(params, "cwd", is_string, "a string", &cwd, err)) < 0)
		return rc;
	if (!topic || !json_string_value(topic)[0])
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "\"topic\" must be a non-empty string");
	if (cwd && json_string_value(cwd)[0] != '/')
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "\"cwd\" must be an absolute path");
	if (options &&
	    (rc = param_opt(options, "priority", is_integer, "an integer", &prio, err)) < 0)
		return rc;

	/* every option checked now, so a bad one is an error reply, not a
	 * failed job; the output is named now, so `ls` shows it at once */
	struct vspec vs;
	vspec_init(&vs, c->s->cfg);
	if ((rc = vspec_from_json(&vs, params, err)) < 0) {
		vspec_free(&vs);
		return rc;
	}
	struct job j;
	job_init(&j);
	j.kind = JOB_KIND_VIDEO;
	j.name = xstrdup(json_string_value(topic));
	j.output = vs.output ? xstrdup(vs.output) : vspec_default_output(&vs, c->s->cfg);
	vspec_free(&vs);
	j.spec = json_dumps(params, JSON_COMPACT);
	if (prio) {
		json_int_t p = json_integer_value(prio);
		j.priority = p < -1000000 ? -1000000 : p > 1000000 ? 1000000 : (int)p;
	}
	if (!j.spec) {
		job_clear(&j);
		return aura_error_set(err, AURA_E_INTERNAL, "the job's spec could not be encoded");
	}
	return submit_job(c, &j, result, err);
}

/* Collects JOB objects while they fit into one line. */
struct page {
	json_t *jobs;
	size_t bytes;
	size_t cap;
	bool truncated;
};

static int page_add(const struct job *j, void *ctx)
{
	struct page *p = ctx;
	json_t *o = proto_job_to_json(j, false);
	size_t n = json_dumpb(o, NULL, 0, JSON_COMPACT) + 1;
	if (p->bytes + n > p->cap) {
		json_decref(o);
		p->truncated = true;
		return 1;
	}
	p->bytes += n;
	json_array_append_new(p->jobs, o);
	return 0;
}

static void page_init(struct page *p)
{
	p->jobs = json_array();
	p->bytes = 0;
	p->cap = PROTO_MAX_LINE - PAGE_SLACK;
	p->truncated = false;
}

/* `list` with "text": every job of the state is matched (jobview_matches,
 * the same test the TUI applies to live updates), counted, and the page
 * [off, off + lim) of the matches kept. */
struct text_page {
	struct page *p;
	struct jobview_filter f;
	int64_t off, lim, seen;
};

static int text_add(const struct job *j, void *ctx)
{
	struct text_page *tp = ctx;
	if (!jobview_matches(&tp->f, j))
		return 0;
	if (tp->seen >= tp->off && (tp->lim <= 0 || tp->seen < tp->off + tp->lim) &&
	    !tp->p->truncated)
		page_add(j, tp->p);
	tp->seen++;
	return 0; /* on to the end: the total counts every match */
}

static int m_list(struct client *c, int64_t id, json_t *params, json_t **result,
		  struct aura_error *err)
{
	(void)id;
	json_t *state = NULL, *offset = NULL, *limit = NULL, *text = NULL, *counts = NULL;
	int rc;
	if ((rc = param_opt(params, "state", is_string, "a string", &state, err)) < 0 ||
	    (rc = param_opt(params, "offset", is_integer, "an integer", &offset, err)) < 0 ||
	    (rc = param_opt(params, "limit", is_integer, "an integer", &limit, err)) < 0 ||
	    (rc = param_opt(params, "text", is_string, "a string", &text, err)) < 0 ||
	    (rc = param_opt(params, "counts", is_boolean, "true or false", &counts, err)) < 0)
		return rc;
	int st = -1;
	if (state && (st = job_state_parse(json_string_value(state))) < 0)
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST, "unknown state '%s'",
				      json_string_value(state));
	int64_t off = offset ? json_integer_value(offset) : 0;
	int64_t lim = limit ? json_integer_value(limit) : 0;
	if (off < 0)
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST, "\"offset\" must be >= 0");
	const char *txt = text && json_string_value(text)[0] ? json_string_value(text) : NULL;

	struct page p;
	page_init(&p);
	int64_t total;
	if (txt) {
		struct text_page tp = {&p, {(char *)txt, st}, off, lim, 0};
		rc = engine_list(c->s->eng, st, 0, 0, text_add, &tp, err);
		total = tp.seen;
	} else {
		total = store_job_count(c->s->st, st);
		if (total < 0) {
			json_decref(p.jobs);
			return aura_error_set(err, (int)-total, "counting jobs failed");
		}
		rc = engine_list(c->s->eng, st, off, lim, page_add, &p, err);
	}
	if (rc < 0) {
		json_decref(p.jobs);
		return rc;
	}
	*result = json_object();
	json_object_set_new(*result, "jobs", p.jobs);
	json_object_set_new(*result, "total", json_integer(total));
	if (counts && json_is_true(counts)) {
		json_t *cnt = json_object();
		for (int s = 0; s < JOB_STATE__COUNT; s++) {
			int64_t n = store_job_count(c->s->st, s);
			json_object_set_new(cnt, job_state_name((enum job_state)s),
					    json_integer(n < 0 ? 0 : n));
		}
		json_object_set_new(*result, "counts", cnt);
	}
	return 0;
}

static int m_get(struct client *c, int64_t id, json_t *params, json_t **result,
		 struct aura_error *err)
{
	(void)id;
	int64_t jid;
	int rc = param_job_id(params, &jid, err);
	if (rc < 0)
		return rc;
	struct job j;
	job_init(&j);
	if ((rc = engine_get(c->s->eng, jid, &j, err)) < 0) {
		job_clear(&j);
		return rc;
	}
	struct stage *stages = NULL;
	int n = 0;
	rc = store_stage_list(c->s->st, jid, &stages, &n, err);
	if (rc < 0) {
		job_clear(&j);
		return rc;
	}
	json_t *arr = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(arr, proto_stage_to_json(&stages[i]));
	store_stages_free(stages, n);
	*result = json_object();
	json_object_set_new(*result, "job", proto_job_to_json(&j, true));
	json_object_set_new(*result, "stages", arr);
	job_clear(&j);
	return 0;
}

static int job_action(struct client *c, json_t *params, json_t **result, struct aura_error *err,
		      int (*fn)(struct engine *, int64_t, struct aura_error *))
{
	int64_t jid;
	int rc = param_job_id(params, &jid, err);
	if (rc < 0 || (rc = fn(c->s->eng, jid, err)) < 0)
		return rc;
	struct job j;
	job_init(&j);
	rc = engine_get(c->s->eng, jid, &j, err);
	if (rc == 0)
		*result = job_result(&j);
	job_clear(&j);
	return rc;
}

static int m_cancel(struct client *c, int64_t id, json_t *params, json_t **result,
		    struct aura_error *err)
{
	(void)id;
	return job_action(c, params, result, err, engine_cancel);
}

static int m_pause(struct client *c, int64_t id, json_t *params, json_t **result,
		   struct aura_error *err)
{
	(void)id;
	return job_action(c, params, result, err, engine_pause);
}

static int m_resume(struct client *c, int64_t id, json_t *params, json_t **result,
		    struct aura_error *err)
{
	(void)id;
	return job_action(c, params, result, err, engine_resume);
}

static int m_retry(struct client *c, int64_t id, json_t *params, json_t **result,
		   struct aura_error *err)
{
	(void)id;
	return job_action(c, params, result, err, engine_retry);
}

static int m_rm(struct client *c, int64_t id, json_t *params, json_t **result,
		struct aura_error *err)
{
	(void)id;
	int64_t jid;
	int rc = param_job_id(params, &jid, err);
	if (rc < 0 || (rc = engine_remove(c->s->eng, jid, err)) < 0)
		return rc;
	*result = json_pack("{s:I}", "id", (json_int_t)jid);
	return 0;
}

/*
 * Up to LOGS_CHUNK_MAX bytes of job.log from offset, ending after a newline
 * when the chunk holds one; halved (again at a newline) while the answer's
 * JSON would pass the line cap (escaping can make it up to 6x larger).
 */
static int m_logs(struct client *c, int64_t id, json_t *params, json_t **result,
		  struct aura_error *err)
{
	int64_t jid;
	json_t *offset = NULL;
	int rc;
	if ((rc = param_job_id(params, &jid, err)) < 0 ||
	    (rc = param_opt(params, "offset", is_integer, "an integer", &offset, err)) < 0)
		return rc;
	int64_t off = offset ? json_integer_value(offset) : 0;
	if (off < 0)
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST, "\"offset\" must be >= 0");
	struct job j;
	job_init(&j);
	rc = engine_get(c->s->eng, jid, &j, err);
	job_clear(&j);
	if (rc < 0)
		return rc;

	char *dir = paths_job_dir(c->s->paths, jid);
	char *path = xasprintf("%s/job.log", dir);
	free(dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 && errno != ENOENT) {
		rc = aura_error_set(err, AURA_E_INTERNAL, "%s: %s", path, strerror(errno));
		free(path);
		return rc;
	}
	char *data = xmalloc(LOGS_CHUNK_MAX);
	size_t n = 0;
	while (fd >= 0 && n < LOGS_CHUNK_MAX) {
		ssize_t r = pread(fd, data + n, LOGS_CHUNK_MAX - n, (off_t)(off + (int64_t)n));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = aura_error_set(err, AURA_E_INTERNAL, "%s: %s", path, strerror(errno));
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (fd >= 0)
		close(fd);
	free(path);
	if (rc < 0) {
		free(data);
		return rc;
	}
	for (;;) {
		const char *nl = n ? memrchr(data, '\n', n) : NULL;
		if (nl)
			n = (size_t)(nl - data) + 1;
		json_t *res = json_object();
		json_object_set_new(res, "data", proto_stringn(data, n));
		json_object_set_new(res, "offset", json_integer(off + (int64_t)n));
		json_t *probe = proto_response_ok(id, json_incref(res));
		size_t len = json_dumpb(probe, NULL, 0, JSON_COMPACT) + 1;
		json_decref(probe);
		if (len <= PROTO_MAX_LINE || n == 0) {
			*result = res;
			break;
		}
		json_decref(res);
		n /= 2;
	}
	free(data);
	return 0;
}

static int m_subscribe(struct client *c, int64_t id, json_t *params, json_t **result,
		       struct aura_error *err)
{
	(void)id;
	json_t *ids = NULL, *logs = NULL;
	int rc;
	if ((rc = param_opt(params, "ids", is_array, "an array of job ids", &ids, err)) < 0 ||
	    (rc = param_opt(params, "logs", is_boolean, "true or false", &logs, err)) < 0)
		return rc;
	if (c->s->shutdown_pending)
		return aura_error_set(err, AURA_E_SERVER_SHUTTING_DOWN, "no new subscriptions");
	size_t n = ids ? json_array_size(ids) : 0;
	int64_t *v = n ? xmalloc(n * sizeof(*v)) : NULL;
	for (size_t i = 0; i < n; i++) {
		json_t *x = json_array_get(ids, i);
		if (!json_is_integer(x) || json_integer_value(x) <= 0) {
			free(v);
			return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
					      "\"ids\"[%zu] is not a job id", i);
		}
		v[i] = json_integer_value(x);
	}
	free(c->ids);
	c->ids = v;
	c->nids = n;
	c->logs = logs && json_is_true(logs);
	if (!c->subscribed)
		c->s->nsubscribed++;
	c->subscribed = true;
	c->ndirty = 0;
	*result = json_pack("{s:b}", "subscribed", 1);
	return 0;
}

/* After the subscribe answer: the snapshot, newest first, within the cap. */
static void send_snapshot(struct client *c)
{
	struct page p;
	page_init(&p);
	if (c->nids == 0) {
		struct aura_error err = {0};
		if (engine_list(c->s->eng, -1, 0, SNAPSHOT_MAX, page_add, &p, &err) < 0)
			log_error("server: snapshot for client fd %d: %s: %s", c->fd,
				  aura_error_name(err.code), err.detail);
	} else {
		for (size_t i = 0; i < c->nids && !p.truncated; i++) {
			struct job j;
			job_init(&j);
			if (engine_get(c->s->eng, c->ids[i], &j, NULL) == 0)
				page_add(&j, &p);
			job_clear(&j);
		}
	}
	if (p.truncated)
		log_info("server: snapshot for client fd %d cut at %zu jobs (line cap)", c->fd,
			 json_array_size(p.jobs));
	json_t *ev = proto_event("snapshot");
	json_object_set_new(ev, "jobs", p.jobs);
	client_send(c, ev);
}

static void shutdown_cb(struct loop *l, void *ctx)
{
	struct server *s = ctx;
	(void)l;
	if (s->on_shutdown)
		s->on_shutdown(s->shutdown_now, s->handler_ctx);
}

static int m_shutdown(struct client *c, int64_t id, json_t *params, json_t **result,
		      struct aura_error *err)
{
	(void)id;
	json_t *now = NULL;
	int rc = param_opt(params, "now", is_boolean, "true or false", &now, err);
	if (rc < 0)
		return rc;
	c->s->shutdown_now = now && json_is_true(now);
	*result = json_pack("{s:b}", "shutting_down", 1);
	return 0;
}

static const struct method {
	const char *name;
	method_fn fn;
} methods[] = {
    {"ping", m_ping},	      {"submit", m_submit}, {"new", m_new},	{"list", m_list},
    {"get", m_get},	      {"cancel", m_cancel}, {"pause", m_pause}, {"resume", m_resume},
    {"retry", m_retry},	      {"rm", m_rm},	    {"logs", m_logs},	{"subscribe", m_subscribe},
    {"shutdown", m_shutdown},
};

static void handle(struct client *c, json_t *msg)
{
	json_t *jid = json_object_get(msg, "id");
	if (!json_is_integer(jid)) {
		reply_errf(c, PROTO_NO_ID, AURA_E_PROTO_BAD_REQUEST,
			   "a request needs an integer \"id\"");
		return;
	}
	int64_t id = json_integer_value(jid);
	if (id == PROTO_NO_ID) {
		reply_errf(c, PROTO_NO_ID, AURA_E_PROTO_BAD_REQUEST, "\"id\" is out of range");
		return;
	}
	const char *name = proto_get_str(msg, "method");
	if (!name) {
		reply_errf(c, id, AURA_E_PROTO_BAD_REQUEST, "a request needs a \"method\" string");
		return;
	}
	json_t *params = json_object_get(msg, "params");
	if (params && json_is_null(params))
		params = NULL;
	if (params && !json_is_object(params)) {
		reply_errf(c, id, AURA_E_PROTO_BAD_REQUEST, "\"params\" must be an object");
		return;
	}
	const struct method *m = NULL;
	for (size_t i = 0; i < ARRAY_LEN(methods) && !m; i++)
		if (strcmp(methods[i].name, name) == 0)
			m = &methods[i];
	if (!m) {
		reply_errf(c, id, AURA_E_PROTO_BAD_REQUEST, "unknown method '%.64s'", name);
		return;
	}
	json_t *empty = params ? NULL : json_object();
	struct aura_error err;
	aura_error_clear(&err);
	json_t *result = NULL;
	int rc = m->fn(c, id, params ? params : empty, &result, &err);
	json_decref(empty);
	if (rc < 0) {
		if (!err.code)
			aura_error_set(&err, -rc, "%s", name);
		reply_err(c, id, &err);
		return;
	}
	reply_ok(c, id, result);
	if (m->fn == m_subscribe) {
		send_snapshot(c);
	} else if (m->fn == m_shutdown) {
		/* Answer first; the shutdown itself starts from the loop. */
		loop_defer(c->s->loop, shutdown_cb, c->s);
	}
}

static void client_read(struct client *c)
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
			reply_err(c, PROTO_NO_ID, &err);
			client_set_closing(c);
			client_write(c); /* best effort, then it is closed */
			if (c->fd >= 0)
				client_close(c, "line too large");
			break;
		}
		if (rc < 0) {
			reply_err(c, PROTO_NO_ID, &err);
			continue;
		}
		handle(c, msg);
		json_decref(msg);
	}
}

static void client_cb(struct loop *l, int fd, int revents, void *ctx)
{
	struct client *c = ctx;
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
		struct client *c = xcalloc(1, sizeof(*c));
		c->s = s;
		c->fd = fd;
		c->pid = (long)cr.pid;
		proto_reader_init(&c->rd);
		buf_init(&c->out);
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

static void before_sleep(struct loop *l, void *ctx)
{
	struct server *s = ctx;
	(void)l;
	for (struct client *c = s->clients; c; c = c->next) {
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
	for (struct client *c = s->clients; c; c = c->next) {
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
	for (struct client *c = s->clients; c; c = c->next)
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
	for (struct client *c = s->clients; c; c = c->next) {
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
	struct client *c = s->clients;
	while (c) {
		struct client *next = c->next;
		if (c->fd >= 0) {
			loop_fd_del(s->loop, c->fd);
			close(c->fd);
			proto_reader_free(&c->rd);
			buf_free(&c->out);
			free(c->ids);
			free(c->dirty);
		}
		free(c);
		c = next;
	}
	for (size_t i = 0; i < s->nprogs; i++)
		free(s->progs[i].line);
	free(s->progs);
	free(s);
}
