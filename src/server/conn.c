/*
 * conn.c -- the server's connections (doc/server.md): accepting on the
 * listener (the SO_PEERCRED check, EMFILE backoff), one `struct conn` per
 * connection, its line reader (requests to server-methods.c), its
 * outbound backlog and the answers queued to it, a held answer, closing.
 *
 * Writes happen once per loop turn (the before-sleep hook, events.c) or
 * when a blocked socket becomes writable, so a burst of events costs one
 * send(); whatever a client is told, the store has it first.
 *
 * Must never: block on a client, read from a peer of another uid, queue
 * past client_buffer (the client is dropped instead), close a connection
 * for a bad request, arm a timer per client, free a client while a
 * callback may still hold it (closing is immediate, the struct is freed
 * from a deferred call), or send a line past PROTO_MAX_LINE.
 */
#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "base/conf.h"
#include "base/log.h"
#include "os/loop.h"
#include "client/proto.h"
#include "server/server.h"
#include "server/server-int.h"
#include "base/util.h"

#define READ_CHUNK	65536
#define TRIM_AFTER_LINE (64 * 1024) /* bytes of a request line after which malloc_trim */
#define ACCEPT_RETRY_MS 1000	    /* after EMFILE, unless a client leaves first */

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
void srv_client_close(struct conn *c, const char *why)
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
	srv_finish_check(s);
}

static void client_set_events(struct conn *c)
{
	if (c->fd < 0)
		return;
	int ev = (c->closing ? 0 : LOOP_READ) | (srv_pending(c) > 0 ? LOOP_WRITE : 0);
	if (ev != c->events) {
		loop_fd_set_events(c->s->loop, c->fd, ev);
		c->events = ev;
	}
}

/* Stop reading; close once what is queued is sent (at once if nothing). */
void srv_client_set_closing(struct conn *c)
{
	if (c->fd < 0 || c->closing)
		return;
	c->closing = true;
	if (c->subscribed)
		c->s->nsubscribed--;
	c->subscribed = false;
	c->ndirty = 0;
	if (srv_pending(c) == 0)
		srv_client_close(c, "done");
	else
		client_set_events(c);
}

void srv_client_write(struct conn *c)
{
	/* whatever a client is told, the store has it first (group commit) */
	if (c->fd >= 0 && (srv_pending(c) > 0 || c->s->nheld > 0))
		srv_commit_turn(c->s);
	while (c->fd >= 0 && srv_pending(c) > 0) {
		ssize_t n = send(c->fd, c->out.data + c->out_off, srv_pending(c),
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		srv_client_close(c, n < 0 ? strerror(errno) : "send returned 0");
		return;
	}
	if (c->fd < 0)
		return;
	if (srv_pending(c) == 0) {
		/* Give back what a burst made us hold: memory stays flat. */
		if (c->out.cap > 2 * READ_CHUNK) {
			buf_free(&c->out);
			buf_init(&c->out);
		} else {
			buf_reset(&c->out);
		}
		c->out_off = 0;
		if (c->closing) {
			srv_client_close(c, "done");
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
void srv_client_queue(struct conn *c, const char *line, size_t len)
{
	if (c->fd < 0 || c->closing)
		return;
	if (c->hold) {
		buf_append(&c->held, line, len);
		return;
	}
	uint64_t bound = c->s->cfg->client_buffer;
	if (srv_pending(c) > 0 && srv_pending(c) + len > bound) {
		srv_client_write(c);
		if (c->fd < 0)
			return;
		if (srv_pending(c) > 0 && srv_pending(c) + len > bound) {
			log_warn(
			    "client fd %d pid %ld dropped: it does not read (%zu bytes queued, "
			    "client_buffer %llu)",
			    c->fd, c->pid, srv_pending(c), (unsigned long long)bound);
			srv_client_close(c, "too slow");
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
		srv_client_queue(c, line, len);
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
	srv_client_queue(c, line, len);
	free(line);
}

static void client_read(struct conn *c)
{
	char tmp[READ_CHUNK];
	ssize_t n = recv(c->fd, tmp, sizeof(tmp), MSG_DONTWAIT);
	if (n == 0) {
		srv_client_close(c, "disconnected");
		return;
	}
	if (n < 0) {
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
			srv_client_close(c, strerror(errno));
		return;
	}
	proto_reader_feed(&c->rd, tmp, (size_t)n);
	while (c->fd >= 0 && !c->closing) {
		json_t *msg;
		struct aura_error err;
		aura_error_clear(&err);
		size_t at = c->rd.pos;
		int rc = proto_reader_next(&c->rd, &msg, &err);
		size_t line = c->rd.pos > at ? c->rd.pos - at : 0;
		if (rc == 0)
			break;
		if (rc == -AURA_E_PROTO_TOO_LARGE) {
			log_warn("client fd %d pid %ld: a line passed %d bytes; closing it", c->fd,
				 c->pid, PROTO_MAX_LINE);
			srv_reply_err(c, PROTO_NO_ID, &err);
			srv_client_set_closing(c);
			srv_client_write(c); /* best effort, then it is closed */
			if (c->fd >= 0)
				srv_client_close(c, "line too large");
			break;
		}
		if (rc < 0) {
			srv_reply_err(c, PROTO_NO_ID, &err);
			continue;
		}
		srv_handle(c, msg);
		json_decref(msg);
		/* A big request (a batch of a thousand rows) took megabytes of
		 * small blocks that are free again: hand them back, so that the
		 * server's size follows its jobs, not its largest request. */
		if (line >= TRIM_AFTER_LINE)
			malloc_trim(0);
	}
}

static void client_cb(struct loop *l, int fd, int revents, void *ctx)
{
	struct conn *c = ctx;
	(void)l;
	(void)fd;
	if (revents & LOOP_WRITE)
		srv_client_write(c);
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

void srv_listener_cb(struct loop *l, int lfd, int revents, void *ctx)
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
