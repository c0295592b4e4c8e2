/*
 * test-client.c -- the client end of the control socket against a small
 * scripted server (a forked child on a real Unix socket): answers matched
 * by id with events queued in between, error mapping, EOF, timeouts,
 * signals during a wait, and auto-start under the spawn lock (this
 * binary doubles as a fake `aura serve --daemon` when run with "serve").
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/client.h"
#include "base/job.h"
#include "client/proto.h"
#include "os/sig.h"

/* ---- the scripted server ---------------------------------------------------- */

static void send_line(int fd, json_t *msg)
{
	size_t len;
	char *line = proto_encode(msg, &len);
	json_decref(msg);
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, line + off, len - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(line);
}

static json_t *event_n(int n)
{
	json_t *ev = proto_event("progress");
	json_object_set_new(ev, "id", json_integer(n));
	return ev;
}

static json_t *job_event(int64_t jid, const char *state)
{
	return json_pack("{s:s,s:{s:I,s:s}}", "event", "job", "job", "id", (json_int_t)jid, "state",
			 state);
}

static json_t *log_event(int64_t jid, const char *line)
{
	return json_pack("{s:s,s:I,s:s}", "event", "log", "id", (json_int_t)jid, "line", line);
}

static json_t *log_event_at(int64_t jid, const char *line, int64_t offset)
{
	return json_pack("{s:s,s:I,s:s,s:I}", "event", "log", "id", (json_int_t)jid, "line", line,
			 "offset", (json_int_t)offset);
}

static json_t *logs_answer(int64_t id, const char *data, int64_t offset)
{
	return proto_response_ok(
	    id, json_pack("{s:s,s:I}", "data", data, "offset", (json_int_t)offset));
}

/*
 * The interleaving `aura logs -f` must get right. job.log grows "a\nb\n",
 * then "c\n", then "d\n"; each line's event is sent after the line is in
 * the file, so events that arrive before an answer repeat what it holds.
 * After the caught-up answer: "d" (new), then the end of the job (5: it
 * succeeds; 7: it is removed; 8: the server stops), then a late line that
 * must not be printed. Events about another job (6) are noise.
 *
 * Job 10 falls behind after "d": the server held "e\nf\n" back and says
 * so with a log_gap at offset 8; the follower reads them from there, and
 * follows again with "g" once a read found no more.
 */
static void serve_logs(int fd, int64_t id, json_t *params)
{
	int64_t jid = proto_get_int(params, "id", 0), off = proto_get_int(params, "offset", -1);
	if (jid == 10 && off == 6) {
		send_line(fd, logs_answer(id, "", 6));
		send_line(fd, log_event_at(jid, "d", 8));
		send_line(fd, json_pack("{s:s,s:I,s:I}", "event", "log_gap", "id", (json_int_t)6,
					"offset", (json_int_t)0)); /* another job's */
		send_line(fd, json_pack("{s:s,s:I,s:I}", "event", "log_gap", "id", (json_int_t)jid,
					"offset", (json_int_t)8));
	} else if (jid == 10 && off == 8) {
		send_line(fd, log_event_at(jid, "f", 12)); /* sent before the read: in it */
		send_line(fd, logs_answer(id, "e\nf\n", 12));
	} else if (jid == 10 && off == 12) {
		send_line(fd, logs_answer(id, "", 12));
		send_line(fd, log_event_at(jid, "g", 14));
		send_line(fd, job_event(jid, "succeeded"));
		send_line(fd, log_event(jid, "too late"));
	} else if (off == 0) {
		send_line(fd, log_event(jid, "a"));
		send_line(fd, log_event(6, "x"));
		send_line(fd, logs_answer(id, "a\nb\n", 4));
	} else if (off == 4) {
		send_line(fd, log_event(jid, "b"));
		send_line(fd, log_event(jid, "c"));
		send_line(fd, logs_answer(id, "c\n", 6));
	} else {
		send_line(fd, logs_answer(id, "", 6));
		send_line(fd, log_event(jid, "d"));
		send_line(fd, log_event(6, "y"));
		send_line(fd, json_pack("{s:s,s:I,s:f}", "event", "progress", "id", (json_int_t)jid,
					"progress", 0.5));
		if (jid == 7)
			send_line(
			    fd, json_pack("{s:s,s:I}", "event", "removed", "id", (json_int_t)jid));
		else if (jid == 8)
			send_line(fd, proto_event("shutdown"));
		else
			send_line(fd, job_event(jid, "succeeded"));
		send_line(fd, log_event(jid, "too late"));
	}
}

/*
 * Answer requests on fd until the peer leaves or a method says stop.
 * argv (may be NULL) is echoed by "ping". Returns when done.
 */
static void serve_conn(int fd, int argc, char **argv)
{
	struct proto_reader r;
	proto_reader_init(&r);
	for (;;) {
		json_t *m;
		int rc;
		while ((rc = proto_reader_next(&r, &m, NULL)) == 1) {
			int64_t id = proto_get_int(m, "id", -1);
			const char *method = proto_get_str(m, "method");
			json_t *params = json_object_get(m, "params");
			if (!method)
				method = "";
			if (strcmp(method, "ping") == 0) {
				json_t *res = json_object();
				json_object_set_new(res, "pid", json_integer(getpid()));
				json_t *a = json_array();
				for (int i = 0; i < argc; i++)
					json_array_append_new(a, json_string(argv[i]));
				json_object_set_new(res, "argv", a);
				json_object_set(res, "params", params);
				send_line(fd, proto_response_ok(id, res));
			} else if (strcmp(method, "events") == 0) {
				/* events, a stale answer, then ours */
				send_line(fd, event_n(1));
				send_line(fd, event_n(2));
				send_line(fd, proto_response_ok(
						  id - 1, json_pack("{s:s}", "stale", "yes")));
				send_line(fd, event_n(3));
				send_line(fd, proto_response_ok(id, json_pack("{s:b}", "done", 1)));
			} else if (strcmp(method, "slow-split") == 0) {
				/* the answer arrives a byte at a time */
				size_t len;
				json_t *ans =
				    proto_response_ok(id, json_pack("{s:s}", "x", "y\nz"));
				char *line = proto_encode(ans, &len);
				json_decref(ans);
				for (size_t i = 0; i < len; i++) {
					if (write(fd, line + i, 1) != 1)
						break;
					if (i % 8 == 0)
						usleep(1000);
				}
				free(line);
			} else if (strcmp(method, "fail") == 0) {
				struct aura_error e;
				aura_error_set(&e, AURA_E_JOB_NOT_FOUND, "job 99 does not exist");
				send_line(fd, proto_response_err(id, &e));
			} else if (strcmp(method, "fail-bare") == 0) {
				struct aura_error e;
				aura_error_set(&e, AURA_E_JOB_BAD_STATE, NULL);
				send_line(fd, proto_response_err(id, &e));
			} else if (strcmp(method, "fail-future") == 0) {
				send_line(fd, json_pack("{s:I,s:b,s:{s:s,s:s}}", "id",
							(json_int_t)id, "ok", 0, "error", "code",
							"NEW_CODE", "message", "from the future"));
			} else if (strcmp(method, "refuse") == 0) {
				struct aura_error e;
				aura_error_set(&e, AURA_E_PEER_REFUSED, "uid 1234");
				send_line(fd, proto_response_err(PROTO_NO_ID, &e));
			} else if (strcmp(method, "garbage") == 0) {
				/* a bad line from the server is skipped */
				if (write(fd, "not json\n[1]\n", 13) != 13)
					break;
				send_line(fd, proto_response_ok(id, NULL));
			} else if (strcmp(method, "hangup") == 0) {
				goto out; /* EOF instead of an answer */
			} else if (strcmp(method, "reset-on-next") == 0) {
				/* die with the next request unread, as a server
				 * killed by SIGKILL does: the client sees a reset */
				send_line(fd, proto_response_ok(id, NULL));
				struct pollfd next = { .fd = fd, .events = POLLIN };
				(void)poll(&next, 1, 5000);
				goto out;
			} else if (strcmp(method, "event-then-close") == 0) {
				send_line(fd, proto_response_ok(id, NULL));
				usleep(20000);
				send_line(fd, event_n(7));
				goto out;
			} else if (strcmp(method, "subscribe") == 0) {
				send_line(
				    fd, proto_response_ok(id, json_pack("{s:b}", "subscribed", 1)));
				send_line(fd, json_pack("{s:s,s:[{s:i,s:s}]}", "event", "snapshot",
							"jobs", "id", 5, "state", "queued"));
			} else if (strcmp(method, "get") == 0) {
				/* an event older than the answer: the answer wins */
				int64_t jid = proto_get_int(params, "id", 0);
				send_line(fd, job_event(jid, "queued"));
				send_line(fd,
					  proto_response_ok(
					      id, json_pack("{s:{s:I,s:s}}", "job", "id",
							    (json_int_t)jid, "state",
							    jid == 9 ? "succeeded" : "running")));
			} else if (strcmp(method, "logs") == 0) {
				serve_logs(fd, id, params);
			} else if (strcmp(method, "shutdown") == 0) {
				send_line(fd, proto_response_ok(id, NULL));
				json_decref(m);
				proto_reader_free(&r);
				close(fd);
				_exit(0);
			}
			json_decref(m);
		}
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, 10000) <= 0)
			goto out; /* idle: never outlive a failed test */
		char chunk[4096];
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n <= 0)
			goto out;
		proto_reader_feed(&r, chunk, (size_t)n);
	}
out:
	proto_reader_free(&r);
	close(fd);
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	str_copy(sa.sun_path, path, sizeof(sa.sun_path));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Accept connections and serve each in turn until idle. */
static void serve_forever(int lfd, int argc, char **argv)
{
	/* a client that leaves mid-answer must not kill the server */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	for (;;) {
		struct pollfd pfd = { .fd = lfd, .events = POLLIN };
		if (poll(&pfd, 1, 10000) <= 0)
			return;
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			serve_conn(fd, argc, argv);
	}
}

/*
 * The fake `aura [-c F] --data-dir D serve --daemon`: D/mode "fail" makes
 * it exit 3 at once; otherwise it records its start in D/spawns, takes a
 * while (to widen any race between clients), listens on D/s.sock from a
 * detached child and exits 0 once the socket accepts, as the real one.
 */
static int fake_daemon(int argc, char **argv)
{
	const char *data = NULL;
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "--data-dir") == 0)
			data = argv[i + 1];
	if (!data)
		return 2;
	char *mode = xasprintf("%s/mode", data);
	bool fail = access(mode, F_OK) == 0;
	free(mode);
	if (fail) {
		fprintf(stderr, "fake server: refusing to start\n");
		return 3;
	}
	char *spawns = xasprintf("%s/spawns", data);
	int sf = open(spawns, O_WRONLY | O_CREAT | O_APPEND, 0600);
	free(spawns);
	if (sf >= 0) {
		if (write(sf, "x\n", 2) != 2)
			return 5;
		close(sf);
	}
	usleep(200000);

	/* replace a stale socket, as the real server does */
	char *sock = xasprintf("%s/s.sock", data);
	unlink(sock);
	int lfd = listen_on(sock);
	free(sock);
	if (lfd < 0)
		return 4;
	pid_t pid = fork();
	if (pid < 0)
		return 5;
	if (pid == 0) {
		setsid();
		serve_forever(lfd, argc, argv);
		_exit(0);
	}
	return 0; /* listening: the client may connect now */
}

/* ---- fixtures ---------------------------------------------------------------- */

struct fixture {
	char dir[64];
	struct aura_paths paths;
	pid_t server; /* the forked scripted server, 0 if none */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	str_copy(f->dir, "/tmp/aura-tc.XXXXXX", sizeof(f->dir));
	if (!mkdtemp(f->dir))
		return -1;
	f->paths.data_dir = xstrdup(f->dir);
	f->paths.socket_path = xasprintf("%s/s.sock", f->dir);
	f->paths.spawn_lock = xasprintf("%s/spawn.lock", f->dir);
	*state = f;
	return 0;
}

static void rm_rf(const char *dir)
{
	const char *names[] = { "s.sock", "spawn.lock", "spawns", "mode" };
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		char *p = xasprintf("%s/%s", dir, names[i]);
		unlink(p);
		free(p);
	}
	rmdir(dir);
}

/* Stop the fake daemon (if any) through its own protocol. */
static void stop_daemon(struct fixture *f)
{
	struct client *c;
	if (client_connect(&f->paths, "/nonexistent", NULL, false, &c, NULL) == 0) {
		client_call(c, "shutdown", NULL, NULL, NULL);
		client_free(c);
	}
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	stop_daemon(f);
	if (f->server > 0) {
		kill(f->server, SIGKILL);
		waitpid(f->server, NULL, 0);
	}
	rm_rf(f->dir);
	paths_free(&f->paths);
	free(f);
	return 0;
}

/* Start the scripted server in a child; the socket listens before fork,
 * so connecting cannot race it. */
static void start_server(struct fixture *f)
{
	int lfd = listen_on(f->paths.socket_path);
	assert_true(lfd >= 0);
	f->server = fork();
	assert_true(f->server >= 0);
	if (f->server == 0) {
		serve_forever(lfd, 0, NULL);
		_exit(0);
	}
	close(lfd);
}

static struct client *connect_ok(struct fixture *f)
{
	struct client *c = NULL;
	struct aura_error err;
	int rc = client_connect(&f->paths, "/nonexistent", NULL, false, &c, &err);
	if (rc < 0)
		fail_msg("connect: %s", err.detail);
	assert_non_null(c);
	assert_true(client_fd(c) >= 0);
	return c;
}

/* ---- tests ---------------------------------------------------------------------- */

static void test_call_matches_id_and_queues_events(void **state)
{
	struct fixture *f = *state;
	start_server(f);
	struct client *c = connect_ok(f);
	struct aura_error err;
	json_t *res, *ev;

	/* a first call, so "events" has an id whose predecessor is stale */
	assert_int_equal(client_call(c, "ping", json_pack("{s:i}", "n", 5), &res, &err), 0);
	assert_int_equal(proto_get_int(json_object_get(res, "params"), "n", 0), 5);
	assert_int_equal(proto_get_int(res, "pid", 0), f->server);
	json_decref(res);
	assert_int_equal(client_pending_events(c), 0);

	assert_int_equal(client_call(c, "events", NULL, &res, &err), 0);
	/* ours, not the stale answer to the previous id */
	assert_true(proto_get_bool(res, "done", false));
	assert_null(json_object_get(res, "stale"));
	json_decref(res);

	/* the three events that came in between, in order */
	assert_int_equal(client_pending_events(c), 3);
	for (int i = 1; i <= 3; i++) {
		assert_int_equal(client_next_event(c, 0, &ev, &err), 1);
		assert_string_equal(proto_get_str(ev, "event"), "progress");
		assert_int_equal(proto_get_int(ev, "id", 0), i);
		json_decref(ev);
	}
	assert_int_equal(client_pending_events(c), 0);

	/* an answer split into single bytes, with an escaped newline */
	assert_int_equal(client_call(c, "slow-split", NULL, &res, &err), 0);
	assert_string_equal(proto_get_str(res, "x"), "y\nz");
	json_decref(res);

	/* bad lines from the server are skipped, the answer still found */
	assert_int_equal(client_call(c, "garbage", NULL, NULL, &err), 0);
	client_free(c);
}

static void test_error_mapping(void **state)
{
	struct fixture *f = *state;
	start_server(f);
	struct client *c = connect_ok(f);
	struct aura_error err;
	json_t *res = (json_t *)1;

	assert_int_equal(client_call(c, "fail", NULL, &res, &err), -AURA_E_JOB_NOT_FOUND);
	assert_null(res);
	assert_int_equal(err.code, AURA_E_JOB_NOT_FOUND);
	assert_string_equal(err.detail, "job 99 does not exist");
	assert_int_equal(aura_error_exit(err.code), 2);

	assert_int_equal(client_call(c, "fail-bare", NULL, NULL, &err), -AURA_E_JOB_BAD_STATE);
	assert_string_equal(err.detail, "");

	assert_int_equal(client_call(c, "fail-future", NULL, NULL, &err), -AURA_E_INTERNAL);
	assert_non_null(strstr(err.detail, "NEW_CODE"));
	assert_non_null(strstr(err.detail, "from the future"));

	/* an error with a null id (the server refusing us) ends the call */
	assert_int_equal(client_call(c, "refuse", NULL, NULL, &err), -AURA_E_PEER_REFUSED);
	assert_string_equal(err.detail, "uid 1234");

	/* still usable afterwards */
	assert_int_equal(client_call(c, "ping", NULL, NULL, &err), 0);
	client_free(c);
}

static void test_eof(void **state)
{
	struct fixture *f = *state;
	start_server(f);
	struct aura_error err;
	json_t *ev;

	/* EOF while waiting for an answer */
	struct client *c = connect_ok(f);
	assert_false(client_lost(c));
	assert_int_equal(client_call(c, "hangup", NULL, NULL, &err), -AURA_E_SERVER_UNREACHABLE);
	assert_non_null(strstr(err.detail, "went away"));
	assert_true(client_lost(c)); /* a request that may be sent again */
	client_free(c);

	/* an event before EOF is delivered, then EOF is reported */
	c = connect_ok(f);
	assert_int_equal(client_call(c, "event-then-close", NULL, NULL, &err), 0);
	assert_int_equal(client_next_event(c, 5000, &ev, &err), 1);
	assert_int_equal(proto_get_int(ev, "id", 0), 7);
	json_decref(ev);
	assert_int_equal(client_next_event(c, 5000, &ev, &err), -AURA_E_SERVER_UNREACHABLE);
	assert_string_equal(err.detail, "server went away");
	assert_int_equal(aura_error_exit(err.code), 4);

	/* writing to a closed connection is an error, not SIGPIPE */
	assert_int_equal(client_call(c, "ping", NULL, NULL, &err), -AURA_E_SERVER_UNREACHABLE);
	client_free(c);

	/* a server that dies with our request unread resets the connection:
	 * that is the server going away too, not a read error */
	c = connect_ok(f);
	assert_int_equal(client_call(c, "reset-on-next", NULL, NULL, &err), 0);
	assert_int_equal(client_call(c, "ping", NULL, NULL, &err), -AURA_E_SERVER_UNREACHABLE);
	assert_string_equal(err.detail, "server went away");
	assert_true(client_lost(c));
	client_free(c);
}

static void test_event_timeout(void **state)
{
	struct fixture *f = *state;
	start_server(f);
	struct client *c = connect_ok(f);
	struct aura_error err;
	json_t *ev = (json_t *)1;

	int64_t t0 = time_mono_ms();
	assert_int_equal(client_next_event(c, 150, &ev, &err), 0);
	int64_t dt = time_mono_ms() - t0;
	assert_null(ev);
	assert_true(dt >= 140 && dt < 3000);
	client_free(c);
}

static int got_usr1;
static void on_usr1(struct loop *l, int signo, void *ctx)
{
	(void)l;
	(void)ctx;
	if (signo == SIGUSR1)
		got_usr1 = 1;
}

static void test_signal_interrupts_wait(void **state)
{
	struct fixture *f = *state;
	start_server(f);
	struct client *c = connect_ok(f);
	struct aura_error err;
	json_t *ev;

	/* the waiting verb's way: its signals watched on the client's loop */
	static const int sigs[] = { SIGUSR1 };
	assert_int_equal(sig_init_set(client_loop(c), sigs, 1, on_usr1, NULL, &err), 0);

	/* The signal arrives before the wait starts (it stays pending while
	 * blocked): the wait must still end at once, not sleep forever. */
	got_usr1 = 0;
	raise(SIGUSR1);
	assert_int_equal(got_usr1, 0);
	int64_t t0 = time_mono_ms();
	assert_int_equal(client_next_event(c, 10000, &ev, &err), 0);
	assert_true(time_mono_ms() - t0 < 5000);
	assert_int_equal(got_usr1, 1);

	sig_fini();
	client_free(c);
}

static void collect(const char *data, size_t n, void *ctx)
{
	buf_append(ctx, data, n);
}

static void follow_one(struct fixture *f, int64_t jid, bool subscribe, struct buf *out,
		       struct client_follow *fl)
{
	struct client *c = connect_ok(f);
	struct aura_error err;
	memset(fl, 0, sizeof(*fl));
	fl->id = jid;
	fl->out = collect;
	fl->ctx = out;
	assert_int_equal(client_follow_start(c, fl, subscribe, &err), 0);
	if (subscribe) {
		/* the answer to `get` (running) is newer than the event queued
		 * before it (queued) and than the snapshot */
		if (jid != 9)
			assert_int_equal(fl->state, JOB_RUNNING);
		int rc, steps = 0;
		while ((rc = client_follow_step(c, fl, 5000, &err)) == 0)
			assert_true(++steps < 100);
		assert_int_equal(rc, 1);
	}
	client_free(c);
}

static void test_follow_loses_and_repeats_nothing(void **state)
{
	struct fixture *f = *state;
	struct client_follow fl;
	struct buf out;
	start_server(f);
	buf_init(&out);

	follow_one(f, 5, true, &out, &fl);
	assert_string_equal(out.data, "a\nb\nc\nd\n");
	assert_int_equal(fl.state, JOB_SUCCEEDED);
	assert_false(fl.removed);
	assert_false(fl.shutdown);
	assert_int_equal(fl.offset, 6);

	buf_reset(&out);
	follow_one(f, 7, true, &out, &fl);
	assert_string_equal(out.data, "a\nb\nc\nd\n");
	assert_true(fl.removed);

	buf_reset(&out);
	follow_one(f, 8, true, &out, &fl);
	assert_string_equal(out.data, "a\nb\nc\nd\n");
	assert_true(fl.shutdown);

	/* a job that has ended already: the file, and no waiting */
	buf_reset(&out);
	follow_one(f, 9, true, &out, &fl);
	assert_string_equal(out.data, "a\nb\nc\n");
	assert_int_equal(fl.state, JOB_SUCCEEDED);

	/* a follower that fell behind reads the held-back lines from the
	 * gap's offset, then follows again: nothing lost, nothing twice */
	buf_reset(&out);
	follow_one(f, 10, true, &out, &fl);
	assert_string_equal(out.data, "a\nb\nc\nd\ne\nf\ng\n");
	assert_int_equal(fl.state, JOB_SUCCEEDED);
	assert_int_equal(fl.offset, 14);

	/* without following: the file only */
	buf_reset(&out);
	follow_one(f, 5, false, &out, &fl);
	assert_string_equal(out.data, "a\nb\nc\n");
	buf_free(&out);
}

static void test_no_server_no_autostart(void **state)
{
	struct fixture *f = *state;
	struct client *c = (struct client *)1;
	struct aura_error err;

	assert_int_equal(client_connect(&f->paths, "/proc/self/exe", NULL, false, &c, &err),
			 -AURA_E_SERVER_UNREACHABLE);
	assert_null(c);
	assert_non_null(strstr(err.detail, f->paths.socket_path));
	assert_non_null(strstr(err.detail, strerror(ENOENT)));
	/* nothing was started */
	char *spawns = xasprintf("%s/spawns", f->dir);
	assert_int_equal(access(spawns, F_OK), -1);
	free(spawns);

	/* a socket path longer than sun_path */
	struct aura_paths p = f->paths;
	char longp[200];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	p.socket_path = longp;
	assert_int_equal(client_connect(&p, "/proc/self/exe", NULL, true, &c, &err),
			 -AURA_E_PATH_TOO_LONG);
}

static int count_lines(const char *path)
{
	FILE *fp = fopen(path, "r");
	int n = 0, ch;
	if (!fp)
		return 0;
	while ((ch = fgetc(fp)) != EOF)
		n += ch == '\n';
	fclose(fp);
	return n;
}

static void test_autostart(void **state)
{
	struct fixture *f = *state;
	struct client *c;
	struct aura_error err;
	json_t *res;

	assert_int_equal(client_connect(&f->paths, "/proc/self/exe", "/x/aura.ini", true, &c, &err),
			 0);
	assert_int_equal(client_call(c, "ping", NULL, &res, &err), 0);
	/* the exact command line: config and data directory passed on */
	json_t *want = json_pack("[s,s,s,s,s,s,s]", "aura", "-c", "/x/aura.ini", "--data-dir",
				 f->dir, "serve", "--daemon");
	assert_true(json_equal(json_object_get(res, "argv"), want));
	json_decref(want);
	json_decref(res);
	client_free(c);

	/* a second client finds it running and starts nothing */
	assert_int_equal(client_connect(&f->paths, "/proc/self/exe", NULL, true, &c, &err), 0);
	client_free(c);
	char *spawns = xasprintf("%s/spawns", f->dir);
	assert_int_equal(count_lines(spawns), 1);

	/* without -c, none is passed */
	stop_daemon(f);
	unlink(f->paths.socket_path);
	unlink(spawns);
	assert_int_equal(client_connect(&f->paths, "/proc/self/exe", NULL, true, &c, &err), 0);
	assert_int_equal(client_call(c, "ping", NULL, &res, &err), 0);
	want = json_pack("[s,s,s,s,s]", "aura", "--data-dir", f->dir, "serve", "--daemon");
	assert_true(json_equal(json_object_get(res, "argv"), want));
	json_decref(want);
	json_decref(res);
	client_free(c);
	free(spawns);
}

static void test_autostart_race_starts_one(void **state)
{
	struct fixture *f = *state;
	enum { N = 4 };
	pid_t kids[N];

	/* A stale socket file (a crashed server's) makes connect fail with
	 * ECONNREFUSED: that too must lead to one start. */
	int lfd = listen_on(f->paths.socket_path);
	assert_true(lfd >= 0);
	close(lfd);

	for (int i = 0; i < N; i++) {
		kids[i] = fork();
		assert_true(kids[i] >= 0);
		if (kids[i] == 0) {
			struct client *c;
			json_t *res;
			if (client_connect(&f->paths, "/proc/self/exe", NULL, true, &c, NULL) < 0)
				_exit(10);
			if (client_call(c, "ping", NULL, &res, NULL) < 0)
				_exit(11);
			json_decref(res);
			client_free(c);
			_exit(0);
		}
	}
	for (int i = 0; i < N; i++) {
		int st;
		assert_int_equal(waitpid(kids[i], &st, 0), kids[i]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	char *spawns = xasprintf("%s/spawns", f->dir);
	/* each start replaces the socket, so two starts would both have
	 * succeeded: only the lock keeps it to one */
	assert_int_equal(count_lines(spawns), 1);
	free(spawns);
}

static void test_autostart_failure_is_quick(void **state)
{
	struct fixture *f = *state;
	struct client *c;
	struct aura_error err;

	char *mode = xasprintf("%s/mode", f->dir);
	int fd = open(mode, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	free(mode);

	int64_t t0 = time_mono_ms();
	assert_int_equal(client_connect(&f->paths, "/proc/self/exe", NULL, true, &c, &err),
			 -AURA_E_SERVER_UNREACHABLE);
	/* the start command's failure ends the wait, not the 10 s limit */
	assert_true(time_mono_ms() - t0 < CLIENT_START_TIMEOUT_MS / 2);
	assert_non_null(strstr(err.detail, "status 3"));

	/* a program that does not exist: exit 127 from the child */
	assert_int_equal(client_connect(&f->paths, "/nonexistent/aura", NULL, true, &c, &err),
			 -AURA_E_SERVER_UNREACHABLE);
	assert_non_null(strstr(err.detail, "status 127"));

	/* the spawn lock cannot be created: no start at all */
	struct aura_paths p = f->paths;
	p.spawn_lock = (char *)"/nonexistent/dir/spawn.lock";
	assert_int_equal(client_connect(&p, "/proc/self/exe", NULL, true, &c, &err),
			 -AURA_E_SERVER_UNREACHABLE);
	assert_non_null(strstr(err.detail, "spawn.lock"));
}

int main(int argc, char **argv)
{
	/* Run as `... serve --daemon` by client_connect: be the fake server. */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "serve") == 0)
			return fake_daemon(argc, argv);

	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_call_matches_id_and_queues_events, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_error_mapping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eof, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signal_interrupts_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(test_follow_loses_and_repeats_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_server_no_autostart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_autostart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_autostart_race_starts_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_autostart_failure_is_quick, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
