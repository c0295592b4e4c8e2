/*
 * server.c -- the server's control socket and its life (doc/server.md):
 * the socket file (a private runtime directory, a stale socket replaced),
 * the providers' background health (health.c: switched on while video
 * jobs are queued or running by the video kind -- video/kind.c, through
 * the engine -- shown in the subscribe snapshot, `health` events and the
 * `health` request), the engine's events table, and the server's start,
 * shutdown broadcast, finish and free. Each connection's reading and
 * writing is conn.c; the engine's events turned into protocol events,
 * held until the turn's writes are committed, is events.c.
 *
 * Must never: replace a socket file that a live server answers on, make
 * the socket reachable by another uid, or free a client while a callback
 * may still hold it (closing is immediate, the struct is freed from a
 * deferred call).
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

#define PROGRESS_LOWAT_MAX (64 * 1024) /* progress waits while more is queued */

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
		srv_client_queue(c, line, len);
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
	s->mfile_jobs_dirty = true; /* the jobs gauge may have changed */
	if (j->state != JOB_RUNNING && j->state != JOB_PAUSED)
		srv_prog_drop(s, j->id);
	if (s->nsubscribed == 0)
		return;
	json_t *ev = proto_event("job");
	json_t *o = proto_job_to_json(j, false);
	if (j->state == JOB_QUEUED) /* "after", "waiting for #3" */
		srv_job_json_after(s, o, j);
	json_object_set_new(ev, "job", o);
	srv_hold_event(s, j->id, ev);
}

static void ev_job_removed(int64_t id, void *ctx)
{
	struct server *s = ctx;
	s->mfile_jobs_dirty = true;
	srv_prog_drop(s, id);
	/* A removed job writes no more lines: a connection's log gap for it
	 * would be kept (and scanned on every log line) for as long as the
	 * connection lives, one id for each job that ever gapped. */
	for (struct conn *c = s->clients; c; c = c->next)
		srv_log_caught_up(c, id);
	if (s->nsubscribed == 0)
		return;
	json_t *ev = proto_event("removed");
	json_object_set_new(ev, "id", json_integer(id));
	srv_hold_event(s, id, ev);
}

static void ev_drained(void *ctx)
{
	struct server *s = ctx;
	if (s->on_drained)
		s->on_drained(s->handler_ctx);
}

const struct engine_events server_engine_events = {
	.job_changed = ev_job_changed,
	.job_progress = srv_ev_job_progress,
	.job_removed = ev_job_removed,
	.job_log = srv_ev_job_log,
	.drained = ev_drained,
};

/* --- the socket ----------------------------------------------------------- */

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
	if (loop_fd_add(s->loop, fd, LOOP_READ, srv_listener_cb, s) < 0) {
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
	loop_set_before_sleep(l, srv_before_sleep, s);
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
			srv_client_queue(c, line, len);
		srv_client_set_closing(c);
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

void srv_finish_check(struct server *s)
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
			srv_client_close(c, "server exiting");
	srv_finish_check(s);
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
		srv_client_set_closing(c);
		if (c->fd >= 0)
			srv_client_write(c);
	}
	if (!s->finish_done && s->nclients > 0)
		s->finish_timer = loop_timer_add(s->loop, max_wait_ms, finish_timer_cb, s);
	srv_finish_check(s);
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
	srv_held_drop(s);
	free(s->held);
	loop_timer_del(s->loop, s->store_timer);
	loop_timer_del(s->loop, s->mfile_timer);
	loop_timer_del(s->loop, s->upkeep_timer);
	health_free(s->health);
	free(s);
}
