/*
 * test-serve.c -- the server's whole life through server_run (serve.h),
 * the same wiring `aura serve` runs: a server in a child process on a
 * temporary data directory, a client of the client library, a job run by
 * tests/fixtures/fake-ffmpeg, the commit per loop turn (a write lock held
 * by another SQLite connection makes an answer wait while the loop goes
 * on), a second server refused, and the orderly exit on SIGTERM.
 *
 * Must never: wait without a bound, or assert on timing.
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
#include <jansson.h>
#include <sqlite3.h>

#include "base/conf.h"
#include "base/paths.h"
#include "base/util.h"
#include "client/client.h"
#include "client/proto.h"
#include "server/serve.h"
#include "sandbox.h"

#define WAIT_MS 30000 /* the bound of every wait: only a broken server reaches it */

struct fx {
	char *dir;
	char *fake;
	struct aura_config cfg;
	struct aura_paths paths;
	pid_t server; /* killed by the teardown if a failed test left it */
};

static int fx_setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	f->dir = sandbox_new("serve", &f->paths, NULL);
	const char *bd = getenv("AURA_BUILDDIR");
	f->fake = xasprintf("%s/tests/fixtures/fake-ffmpeg", bd ? bd : ".");
	config_defaults(&f->cfg);
	free(f->cfg.ffmpeg);
	f->cfg.ffmpeg = xstrdup(f->fake);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	if (f->server > 0) {
		kill(f->server, SIGKILL);
		waitpid(f->server, NULL, 0);
	}
	paths_free(&f->paths);
	config_free(&f->cfg);
	rm_tree(f->dir);
	free(f->dir);
	free(f->fake);
	free(f);
	return 0;
}

static void nap(void)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	nanosleep(&ts, NULL);
}

/* server_run in a child process, its stderr in DIR/NAME. */
static pid_t serve_child(struct fx *f, const char *name)
{
	char *errfile = xasprintf("%s/%s", f->dir, name);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(99);
		const struct server_opts o = { .cfg = &f->cfg, .paths = &f->paths };
		_exit(server_run(&o));
	}
	free(errfile);
	return pid;
}

/* The child's exit status (-1: it did not exit by itself in time). */
static int reap(pid_t pid)
{
	int st = 0;
	for (int i = 0; i < WAIT_MS / 10; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		nap();
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

static char *slurp(struct fx *f, const char *name)
{
	char *path = xasprintf("%s/%s", f->dir, name);
	FILE *fp = fopen(path, "r");
	free(path);
	assert_non_null(fp);
	struct buf b;
	buf_init(&b);
	char tmp[4096];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), fp)) > 0)
		buf_append(&b, tmp, n);
	fclose(fp);
	buf_append(&b, "", 1);
	return b.data;
}

static struct client *connect_when_listening(struct fx *f)
{
	struct aura_error err;
	struct client *c = NULL;
	for (int i = 0; i < WAIT_MS / 10; i++) {
		if (client_connect(&f->paths, NULL, NULL, false, &c, &err) == 0)
			return c;
		nap();
	}
	fail_msg("the server never listened: %s", err.detail);
	return NULL;
}

static const char *job_state(json_t *job)
{
	return json_string_value(json_object_get(job, "state"));
}

/* Follow job id until it ends; returns its final state (a static string). */
static const char *await_end(struct client *c, int64_t id)
{
	struct aura_error err;
	assert_int_equal(
	    client_call(c, "subscribe", json_pack("{s:[I]}", "ids", (json_int_t)id), NULL, &err),
	    0);
	static char final[32];
	final[0] = '\0';
	while (!final[0]) {
		json_t *ev = NULL;
		int rc = client_next_event(c, WAIT_MS, &ev, &err);
		assert_int_equal(rc, 1);
		const char *name = json_string_value(json_object_get(ev, "event"));
		json_t *job = NULL;
		if (strcmp(name, "job") == 0) {
			job = json_object_get(ev, "job");
		} else if (strcmp(name, "snapshot") == 0) {
			size_t i;
			json_t *j;
			json_array_foreach(json_object_get(ev, "jobs"), i, j)
			{
				if (json_integer_value(json_object_get(j, "id")) == id)
					job = j;
			}
		}
		const char *s = job ? job_state(job) : NULL;
		if (s && (strcmp(s, "succeeded") == 0 || strcmp(s, "failed") == 0 ||
			  strcmp(s, "cancelled") == 0))
			str_copy(final, s, sizeof(final));
		json_decref(ev);
	}
	return final;
}

/* The job's state as aura.db holds it (NULL: no such row), from a
 * connection of our own. */
static char *db_state(struct fx *f, int64_t id)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(f->paths.db_file, &db, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	sqlite3_busy_timeout(db, WAIT_MS);
	sqlite3_stmt *q;
	assert_int_equal(
	    sqlite3_prepare_v2(db, "SELECT state FROM jobs WHERE id = ?", -1, &q, NULL), SQLITE_OK);
	sqlite3_bind_int64(q, 1, id);
	char *s = NULL;
	if (sqlite3_step(q) == SQLITE_ROW)
		s = xstrdup((const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	sqlite3_close(db);
	return s;
}

/* The store's journal as `ping` shows it. */
static json_int_t store_pending(struct client *c)
{
	struct aura_error err;
	json_t *res = NULL;
	assert_int_equal(client_call(c, "ping", NULL, &res, &err), 0);
	json_int_t n =
	    json_integer_value(json_object_get(json_object_get(res, "store"), "pending"));
	json_decref(res);
	return n;
}

/* A raw connection: a request whose answer we read later. */
static int raw_connect(struct fx *f)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	str_copy(sa.sun_path, f->paths.socket_path, sizeof(sa.sun_path));
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static json_t *raw_answer(int fd)
{
	struct proto_reader rd;
	proto_reader_init(&rd);
	json_t *msg = NULL;
	struct aura_error err;
	while (!msg) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		assert_int_equal(poll(&p, 1, WAIT_MS), 1);
		char tmp[4096];
		ssize_t n = recv(fd, tmp, sizeof(tmp), 0);
		assert_true(n > 0);
		proto_reader_feed(&rd, tmp, (size_t)n);
		assert_true(proto_reader_next(&rd, &msg, &err) >= 0);
	}
	proto_reader_free(&rd);
	return msg;
}

static void test_serve_life(void **state)
{
	struct fx *f = *state;
	struct aura_error err;
	pid_t pid = serve_child(f, "serve.err");
	f->server = pid;
	struct client *c = connect_when_listening(f);

	/* A job runs; when the client is told it ended, aura.db says so. */
	json_t *res = NULL;
	json_t *params = json_pack("{s:s, s:[s,s], s:s}", "kind", "ffmpeg", "argv", "--duration-ms",
				   "100", "cwd", f->dir);
	assert_int_equal(client_call(c, "submit", params, &res, &err), 0);
	int64_t id = json_integer_value(json_object_get(json_object_get(res, "job"), "id"));
	json_decref(res);
	assert_true(id > 0);
	assert_string_equal(await_end(c, id), "succeeded");
	char *s = db_state(f, id);
	assert_non_null(s);
	assert_string_equal(s, "succeeded");
	free(s);
	client_free(c);

	/* The commit per loop turn: while another connection holds aura.db's
	 * write lock, a request that writes is kept in the journal and its
	 * answer waits; the loop goes on answering others meanwhile. Without
	 * batching the server would wait in SQLite's busy handler instead. */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->paths.db_file, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, WAIT_MS);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	int fd = raw_connect(f);
	char *line = xasprintf("{\"id\": 7, \"method\": \"rm\", \"params\": {\"id\": %lld}}\n",
			       (long long)id);
	assert_int_equal(send(fd, line, strlen(line), MSG_NOSIGNAL), (ssize_t)strlen(line));
	free(line);
	c = connect_when_listening(f);
	bool journaled = false;
	for (int i = 0; i < WAIT_MS / 10 && !journaled; i++) {
		journaled = store_pending(c) > 0;
		if (!journaled)
			nap();
	}
	assert_true(journaled);
	char tmp[1];
	assert_int_equal(recv(fd, tmp, 1, MSG_DONTWAIT), -1); /* no answer yet */
	assert_int_equal(errno, EAGAIN);
	s = db_state(f, id); /* a reader sees the last commit: still there */
	assert_non_null(s);
	free(s);
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	json_t *ans = raw_answer(fd); /* once the journal is saved */
	assert_true(json_is_true(json_object_get(ans, "ok")));
	assert_int_equal(json_integer_value(json_object_get(ans, "id")), 7);
	json_decref(ans);
	close(fd);
	assert_null(db_state(f, id));
	client_free(c);

	/* A second server on the same data directory is refused: exit 3. */
	pid_t second = serve_child(f, "second.err");
	assert_int_equal(reap(second), 3);
	char *text = slurp(f, "second.err");
	assert_non_null(strstr(text, "aura: SERVER_RUNNING"));
	free(text);

	/* SIGTERM: an orderly exit, nothing left behind. */
	assert_int_equal(kill(pid, SIGTERM), 0);
	f->server = 0;
	assert_int_equal(reap(pid), 0);
	assert_int_equal(access(f->paths.pid_file, F_OK), -1);
	assert_int_equal(access(f->paths.socket_path, F_OK), -1);
	text = slurp(f, "serve.err");
	assert_non_null(strstr(text, "server started"));
	assert_non_null(strstr(text, "shutdown: SIGTERM"));
	assert_non_null(strstr(text, "server stopped"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_serve_life, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
