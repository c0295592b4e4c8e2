/*
 * client.c -- the client end of the control socket: connect (with the
 * tmux-style auto-start under a lock), request/answer matching by id, an
 * event queue for what arrives in between.
 *
 * Must never: run inside the server (everything here blocks), spawn a
 * server without holding the spawn lock, or leave the lock or a socket
 * fd to the spawned server (both are close-on-exec).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client/client.h"
#include "client/errtail.h"
#include "os/loop.h"
#include "base/job.h"
#include "client/proto.h"
#include "os/proc.h"
#include "base/util.h"

struct client {
	int fd;
	struct proto_reader rd;
	int64_t last_id;
	json_t **queue; /* events read while waiting for an answer */
	size_t q_head, q_len, q_cap;
	struct loop *loop; /* the waits' loop (client_loop), made on first use */
	bool readable;	   /* set by the fd watcher during a turn */
	bool lost;	   /* the connection dropped: EOF, a reset, a broken pipe */
	/* a remote client (client_new_child): its ssh, and ssh's stderr */
	pid_t child;
	struct errtail child_err; /* the end of what ssh wrote on stderr */
};

/* ---- connecting and auto-start -------------------------------------------- */

/* A connected socket, or -1 with errno set. */
static int try_connect(const char *path)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	str_copy(sa.sun_path, path, sizeof(sa.sun_path));

	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int rc;
	do
		rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	while (rc < 0 && errno == EINTR);
	if (rc < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The server's first process, detached (proc_spawn_detached): its own
 * process group so a Ctrl-C aimed at this client cannot hit a server
 * still starting up, stdin and stdout on /dev/null, stderr ours (so it
 * can say why it cannot start), run by the real path of exe when that is
 * /proc/self/exe so the server is called "aura" in ps and top. */
static pid_t spawn_server(const struct aura_paths *p, const char *exe, const char *cli_config)
{
	const char *argv[8];
	int n = 0;
	argv[n++] = "aura";
	if (cli_config) {
		argv[n++] = "-c";
		argv[n++] = cli_config;
	}
	argv[n++] = "--data-dir";
	argv[n++] = p->data_dir;
	argv[n++] = "serve";
	argv[n++] = "--daemon";
	argv[n] = NULL;
	return proc_spawn_detached(exe, argv, -1, NULL, 0);
}

static int start_and_connect(const struct aura_paths *p, const char *exe, const char *cli_config,
			     int *fdp, struct aura_error *err)
{
	const char *path = p->socket_path;
	int lock = open(p->spawn_lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0)
		return aura_error_set(err, AURA_E_SERVER_UNREACHABLE,
				      "%s: cannot start a server: %s: %s", path, p->spawn_lock,
				      strerror(errno));
	int rc;
	do
		rc = flock(lock, LOCK_EX);
	while (rc < 0 && errno == EINTR);
	if (rc < 0) {
		rc = aura_error_set(err, AURA_E_SERVER_UNREACHABLE, "%s: cannot lock %s: %s", path,
				    p->spawn_lock, strerror(errno));
		close(lock);
		return rc;
	}

	/* Another client may have started one while we waited for the lock. */
	int fd = try_connect(path);
	if (fd >= 0)
		goto done;

	pid_t pid = spawn_server(p, exe, cli_config);
	if (pid < 0) {
		rc = aura_error_set(err, AURA_E_SERVER_UNREACHABLE,
				    "%s: cannot start a server: fork: %s", path, strerror(errno));
		goto out;
	}

	int64_t deadline = time_mono_ms() + CLIENT_START_TIMEOUT_MS;
	int last_errno = ENOENT;
	bool reaped = false;
	for (;;) {
		fd = try_connect(path);
		if (fd >= 0)
			break;
		last_errno = errno;
		int status;
		if (!reaped && waitpid(pid, &status, WNOHANG) == pid) {
			reaped = true;
			/* `serve --daemon` returns 0 once it listens; anything
			 * else means no server is coming. */
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				if (WIFEXITED(status))
					rc =
					    aura_error_set(err, AURA_E_SERVER_UNREACHABLE,
							   "%s: the server could not start (`aura "
							   "serve --daemon` exited with status %d)",
							   path, WEXITSTATUS(status));
				else
					rc =
					    aura_error_set(err, AURA_E_SERVER_UNREACHABLE,
							   "%s: the server could not start (killed "
							   "by signal %d)",
							   path, WTERMSIG(status));
				goto out;
			}
		}
		if (time_mono_ms() >= deadline) {
			rc = aura_error_set(err, AURA_E_SERVER_UNREACHABLE,
					    "%s: a server was started but did not listen within "
					    "%d s: %s",
					    path, CLIENT_START_TIMEOUT_MS / 1000,
					    strerror(last_errno));
			goto out;
		}
		sleep_ms(50);
	}
done:
	*fdp = fd;
	rc = 0;
out:
	close(lock); /* releases the flock */
	return rc;
}

int client_connect(const struct aura_paths *p, const char *exe, const char *cli_config,
		   bool autostart, struct client **out, struct aura_error *err)
{
	struct sockaddr_un sa;
	*out = NULL;
	if (strlen(p->socket_path) >= sizeof(sa.sun_path))
		return aura_error_set(err, AURA_E_PATH_TOO_LONG, "socket path %s", p->socket_path);

	int fd = try_connect(p->socket_path);
	if (fd < 0) {
		int e = errno;
		/* Only "nobody listens" is cured by starting a server; EACCES
		 * and the like would fail the same way after it. */
		if (!autostart || (e != ENOENT && e != ECONNREFUSED))
			return aura_error_set(err, AURA_E_SERVER_UNREACHABLE, "%s: %s",
					      p->socket_path, strerror(e));
		int rc = start_and_connect(p, exe, cli_config, &fd, err);
		if (rc < 0)
			return rc;
	}

	*out = client_new_fd(fd);
	return 0;
}

int client_connect_within(const char *path, int timeout_ms, struct client **out,
			  struct aura_error *err)
{
	struct sockaddr_un sa;
	*out = NULL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return aura_error_set(err, AURA_E_PATH_TOO_LONG, "socket path %s", path);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	str_copy(sa.sun_path, path, sizeof(sa.sun_path));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int rc = fd < 0 ? -1 : 0;
	if (rc == 0) {
		struct timeval tv = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000L };
		rc = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	if (rc == 0) {
		do
			rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		while (rc < 0 && errno == EINTR);
	}
	if (rc < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		rc = aura_error_set(err, AURA_E_SERVER_UNREACHABLE, "%s: %s", path, strerror(e));
		errno = e;
		return rc;
	}
	*out = client_new_fd(fd);
	return 0;
}

struct client *client_new_fd(int fd)
{
	struct client *c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->child_err.fd = -1;
	proto_reader_init(&c->rd);
	return c;
}

void client_set_child(struct client *c, pid_t pid, int err_fd)
{
	c->child = pid;
	errtail_init(&c->child_err, err_fd);
}

bool client_is_remote(const struct client *c)
{
	return c->child > 0;
}

const char *client_child_said(struct client *c, int wait_ms)
{
	return c->child_err.fd < 0 ? NULL : errtail_last_line(&c->child_err, wait_ms);
}

void client_free(struct client *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	if (c->child > 0) /* our end closed: ssh sees EOF and leaves */
		proc_end_child(c->child, CLIENT_CHILD_GRACE_MS);
	if (c->child_err.fd >= 0)
		close(c->child_err.fd);
	proto_reader_free(&c->rd);
	loop_free(c->loop);
	for (size_t i = 0; i < c->q_len; i++)
		json_decref(c->queue[(c->q_head + i) % c->q_cap]);
	free(c->queue);
	free(c);
}

bool client_lost(const struct client *c)
{
	return c->lost;
}

int client_fd(const struct client *c)
{
	return c->fd;
}

static void on_readable(struct loop *l, int fd, int revents, void *ctx)
{
	struct client *c = ctx;
	(void)l;
	(void)fd;
	(void)revents;
	c->readable = true;
}

struct loop *client_loop(struct client *c)
{
	if (!c->loop) {
		c->loop = loop_new();
		if (loop_fd_add(c->loop, c->fd, LOOP_READ, on_readable, c) < 0)
			abort(); /* a fresh loop watches nothing yet */
	}
	return c->loop;
}

size_t client_pending_events(const struct client *c)
{
	return c->q_len;
}

/* ---- the event queue (a ring) ------------------------------------------------ */

static void queue_push(struct client *c, json_t *ev)
{
	if (c->q_len == c->q_cap) {
		size_t cap = c->q_cap ? c->q_cap * 2 : 16;
		json_t **q = xmalloc(cap * sizeof(*q));
		for (size_t i = 0; i < c->q_len; i++)
			q[i] = c->queue[(c->q_head + i) % c->q_cap];
		free(c->queue);
		c->queue = q;
		c->q_cap = cap;
		c->q_head = 0;
	}
	c->queue[(c->q_head + c->q_len) % c->q_cap] = ev;
	c->q_len++;
}

static json_t *queue_pop(struct client *c)
{
	if (!c->q_len)
		return NULL;
	json_t *ev = c->queue[c->q_head];
	c->q_head = (c->q_head + 1) % c->q_cap;
	c->q_len--;
	return ev;
}

/* ---- reading and writing -------------------------------------------------------- */

/*
 * Wait up to timeout_ms (-1: forever) for bytes and feed them to the
 * reader: one turn of client_loop(), so a signal set the caller watches on
 * that loop ends the wait too. 1: bytes read; 0: timeout, or another
 * watcher of the loop (a signal) was called; negative: EOF or error.
 */
static int read_some(struct client *c, int timeout_ms, struct aura_error *err)
{
	struct loop *l = client_loop(c);
	c->readable = false;
	if (loop_run_once(l, timeout_ms) < 0)
		return aura_error_set(err, AURA_E_SERVER_UNREACHABLE, "poll: %s", strerror(errno));
	if (c->child_err.fd >= 0)
		errtail_drain(&c->child_err); /* ssh never blocks on a full stderr pipe */
	if (!c->readable)
		return 0;

	char chunk[65536];
	ssize_t n;
	do
		n = read(c->fd, chunk, sizeof(chunk));
	while (n < 0 && errno == EINTR);
	/* A server killed with our request still unread resets the
	 * connection instead of closing it: the same thing to the user. */
	if (n == 0 || (n < 0 && errno == ECONNRESET)) {
		c->lost = true;
		const char *said = client_child_said(c, 1000);
		if (said)
			return aura_error_set(err, AURA_E_SERVER_UNREACHABLE,
					      "server went away: %s", said);
		return aura_error_set(err, AURA_E_SERVER_UNREACHABLE, "server went away");
	}
	if (n < 0)
		return aura_error_set(err, AURA_E_SERVER_UNREACHABLE, "read: %s", strerror(errno));
	proto_reader_feed(&c->rd, chunk, (size_t)n);
	return 1;
}

static int write_all(struct client *c, const char *p, size_t n, struct aura_error *err)
{
	while (n > 0) {
		/* MSG_NOSIGNAL: a server that died gives EPIPE, not SIGPIPE. */
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EPIPE || errno == ECONNRESET))
			c->lost = true;
		if (w < 0)
			return aura_error_set(err, AURA_E_SERVER_UNREACHABLE, "%s",
					      errno == EPIPE || errno == ECONNRESET
						  ? "server went away"
						  : strerror(errno));
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The next complete message, skipping lines the server should never have
 * sent (a bad line from the peer is not worth dropping the connection). */
static int next_message(struct client *c, json_t **msg, struct aura_error *err)
{
	for (;;) {
		int rc = proto_reader_next(&c->rd, msg, err);
		if (rc != -AURA_E_PROTO_BAD_REQUEST)
			return rc;
	}
}

static int remaining_ms(int64_t deadline)
{
	if (deadline < 0)
		return -1;
	int64_t left = deadline - time_mono_ms();
	return left < 0 ? 0 : (int)left;
}

/* ---- calls and events --------------------------------------------------------------- */

/* The answer to our request: result out, or the error it carries. */
static int take_answer(json_t *msg, json_t **result, struct aura_error *err)
{
	json_t *ok = json_object_get(msg, "ok");
	if (json_is_true(ok)) {
		if (result) {
			json_t *r = json_object_get(msg, "result");
			*result = r ? json_incref(r) : json_object();
		}
		return 0;
	}
	json_t *e = json_object_get(msg, "error");
	if (!json_is_object(e))
		return aura_error_set(err, AURA_E_INTERNAL, "the server answered without a result");
	return proto_error_from_json(e, err);
}

int client_call(struct client *c, const char *method, json_t *params, json_t **result,
		struct aura_error *err)
{
	return client_call_within(c, method, params, CLIENT_CALL_TIMEOUT_MS, result, err);
}

int client_call_within(struct client *c, const char *method, json_t *params, int timeout_ms,
		       json_t **result, struct aura_error *err)
{
	int64_t id = ++c->last_id;
	size_t len;

	if (result)
		*result = NULL;
	json_t *req = proto_request(id, method, params);
	char *line = proto_encode(req, &len);
	json_decref(req);
	if (!line)
		return aura_error_set(err, AURA_E_INTERNAL, "cannot encode a %s request", method);
	if (len > PROTO_MAX_LINE) {
		free(line);
		return aura_error_set(err, AURA_E_PROTO_TOO_LARGE, "the %s request is %zu bytes",
				      method, len);
	}
	int rc = write_all(c, line, len, err);
	free(line);
	if (rc < 0)
		return rc;

	int64_t deadline = time_mono_ms() + timeout_ms;
	for (;;) {
		json_t *msg;
		rc = next_message(c, &msg, err);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			int left = remaining_ms(deadline);
			if (left == 0)
				return aura_error_set(err, AURA_E_SERVER_UNREACHABLE,
						      "no answer to `%s` within %d s", method,
						      (timeout_ms + 999) / 1000);
			rc = read_some(c, left, err);
			if (rc < 0)
				return rc;
			continue;
		}
		if (json_object_get(msg, "event")) {
			queue_push(c, msg);
			continue;
		}
		json_t *mid = json_object_get(msg, "id");
		/* An error with a null id is the server refusing the
		 * connection itself (PEER_REFUSED) or a request it could not
		 * read: it concerns us. */
		bool ours = (json_is_integer(mid) && json_integer_value(mid) == id) ||
			    (json_is_null(mid) && json_is_false(json_object_get(msg, "ok")));
		if (ours) {
			rc = take_answer(msg, result, err);
			json_decref(msg);
			return rc;
		}
		json_decref(msg);
	}
}

int client_next_event(struct client *c, int timeout_ms, json_t **ev, struct aura_error *err)
{
	int64_t deadline = timeout_ms < 0 ? -1 : time_mono_ms() + timeout_ms;

	*ev = queue_pop(c);
	if (*ev)
		return 1;
	for (;;) {
		json_t *msg;
		int rc = next_message(c, &msg, err);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			if (json_object_get(msg, "event")) {
				*ev = msg;
				return 1;
			}
			json_decref(msg); /* a late answer nobody waits for */
			continue;
		}
		rc = read_some(c, remaining_ms(deadline), err);
		if (rc <= 0)
			return rc;
	}
}

/* ---- following a job's log ------------------------------------------------------- */

static void follow_state(struct client_follow *f, json_t *job)
{
	const char *st = proto_get_str(job, "state");
	if (st && proto_get_int(job, "id", 0) == f->id)
		f->state = job_state_parse(st);
}

/* Apply one event. A log_gap for our job (the server held lines back: we
 * fell behind) returns where job.log must be read from; else -1. */
static int64_t follow_apply(struct client_follow *f, json_t *ev, bool print_logs)
{
	const char *name = proto_get_str(ev, "event");
	if (!name)
		return -1;
	if (strcmp(name, "log") == 0) {
		json_t *line = json_object_get(ev, "line");
		if (print_logs && proto_get_int(ev, "id", 0) == f->id && json_is_string(line)) {
			f->out(json_string_value(line), json_string_length(line), f->ctx);
			f->out("\n", 1, f->ctx);
			f->offset = proto_get_int(ev, "offset", f->offset);
		}
	} else if (strcmp(name, "log_gap") == 0) {
		if (proto_get_int(ev, "id", 0) == f->id)
			return proto_get_int(ev, "offset", f->offset);
	} else if (strcmp(name, "job") == 0) {
		follow_state(f, json_object_get(ev, "job"));
	} else if (strcmp(name, "snapshot") == 0) {
		json_t *jobs = json_object_get(ev, "jobs");
		for (size_t i = 0; i < json_array_size(jobs); i++)
			follow_state(f, json_array_get(jobs, i));
	} else if (strcmp(name, "removed") == 0) {
		if (proto_get_int(ev, "id", 0) == f->id)
			f->removed = true;
	} else if (strcmp(name, "shutdown") == 0) {
		f->shutdown = true;
	}
	return -1;
}

/* Apply what arrived before the last answer, in order; log lines among
 * it are in the file the answers read, so they are not printed, and a
 * log_gap among it is over too (the server sends lines again after a
 * read that reached the end of the file, and the reads go on to there). */
static void follow_apply_queued(struct client *c, struct client_follow *f)
{
	json_t *ev;
	while ((ev = queue_pop(c)) != NULL) {
		follow_apply(f, ev, false);
		json_decref(ev);
	}
}

/* Read job.log from f->offset with `logs` calls until one returns no data. */
static int follow_read(struct client *c, struct client_follow *f, bool subscribed,
		       struct aura_error *err)
{
	int rc;
	json_t *res;
	for (;;) {
		json_t *params = json_pack("{s:I,s:I}", "id", (json_int_t)f->id, "offset",
					   (json_int_t)f->offset);
		if ((rc = client_call(c, "logs", params, &res, err)) < 0)
			return rc;
		if (subscribed)
			follow_apply_queued(c, f);
		json_t *data = json_object_get(res, "data");
		size_t n = json_string_length(data);
		if (n)
			f->out(json_string_value(data), n, f->ctx);
		int64_t next = proto_get_int(res, "offset", f->offset);
		json_decref(res);
		/* no data, or an offset that does not move: caught up */
		if (n == 0 || next <= f->offset)
			return 0;
		f->offset = next;
	}
}

int client_follow_start(struct client *c, struct client_follow *f, bool subscribe,
			struct aura_error *err)
{
	int rc;
	json_t *res;

	f->state = -1;
	f->removed = f->shutdown = false;
	f->offset = 0;
	if (subscribe) {
		json_t *params = json_pack("{s:[I],s:b}", "ids", (json_int_t)f->id, "logs", 1);
		if ((rc = client_call(c, "subscribe", params, NULL, err)) < 0)
			return rc;
		follow_apply_queued(c, f);
		rc = client_call(c, "get", json_pack("{s:I}", "id", (json_int_t)f->id), &res, err);
		if (rc < 0)
			return rc;
		follow_apply_queued(c, f);
		follow_state(f, json_object_get(res, "job"));
		json_decref(res);
	}
	return follow_read(c, f, subscribe, err);
}

static bool follow_over(const struct client_follow *f)
{
	return f->removed || f->shutdown || (f->state >= 0 && job_state_terminal(f->state));
}

int client_follow_step(struct client *c, struct client_follow *f, int timeout_ms,
		       struct aura_error *err)
{
	if (follow_over(f))
		return 1;
	json_t *ev;
	int rc = client_next_event(c, timeout_ms, &ev, err);
	if (rc <= 0)
		return rc;
	int64_t gap = follow_apply(f, ev, true);
	json_decref(ev);
	if (gap >= 0) { /* we fell behind: the rest is in the file */
		f->offset = gap;
		if ((rc = follow_read(c, f, true, err)) < 0)
			return rc;
	}
	return follow_over(f) ? 1 : 0;
}
