/*
 * test-server.c -- the server's event fan-out with a real loop, store,
 * engine and Unix socket, driven turn by turn: progress is coalesced to
 * the newest value per job for a client that does not read, a job event
 * supersedes a pending progress event, a log flood to a client that asked
 * for logs and does not read ends in one log_gap (it is not dropped) that
 * the job's removal forgets, an
 * event flood drops a client that does not read, and filters hold. Engine events are
 * injected through server_engine_events, as the engine calls them.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "engine/engine.h"
#include "os/loop.h"
#include "base/paths.h"
#include "client/proto.h"
#include "server/server.h"
#include "store/store.h"
#include "base/util.h"
#include "sandbox.h"

struct fx {
	char *dir;
	struct aura_config cfg;
	struct aura_paths paths;
	struct store *st;
	struct loop *loop;
	struct engine *e;
	struct server *s;
};

/* What a client read: its lines, parsed. */
struct got {
	json_t *msgs; /* array */
	bool eof;
	struct buf partial;
};

static int fx_setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	f->dir = sandbox_new("server", &f->paths, &f->st);
	config_defaults(&f->cfg);
	f->cfg.client_buffer = 64 * 1024;
	struct aura_error err = { 0 };
	f->loop = loop_new();
	f->s = server_new(f->loop, f->st, &f->cfg, &f->paths);
	f->e = engine_new(f->loop, f->st, &f->cfg, &f->paths, &server_engine_events, f->s);
	server_set_engine(f->s, f->e);
	assert_int_equal(server_listen(f->s, &err), 0);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	server_unlink_socket(f->s);
	engine_free(f->e);
	server_free(f->s);
	loop_free(f->loop);
	store_close(f->st);
	paths_free(&f->paths);
	config_free(&f->cfg);
	rm_tree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static void turns(struct fx *f, int n)
{
	for (int i = 0; i < n; i++)
		assert_true(loop_run_once(f->loop, 0) >= 0);
}

static int cl_connect(struct fx *f)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	str_copy(sa.sun_path, f->paths.socket_path, sizeof(sa.sun_path));
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(fd_set_nonblock(fd), 0);
	turns(f, 2); /* accepted */
	return fd;
}

static void cl_send(int fd, const char *line)
{
	size_t n = strlen(line);
	assert_int_equal(send(fd, line, n, MSG_NOSIGNAL), (ssize_t)n);
}

static void got_init(struct got *g)
{
	g->msgs = json_array();
	g->eof = false;
	buf_init(&g->partial);
}

static void got_free(struct got *g)
{
	json_decref(g->msgs);
	buf_free(&g->partial);
}

/* Read what is there now; true if anything came. */
static bool cl_read(int fd, struct got *g)
{
	char tmp[65536];
	bool any = false;
	for (;;) {
		ssize_t n = recv(fd, tmp, sizeof(tmp), 0);
		if (n == 0) {
			g->eof = true;
			return any;
		}
		if (n < 0) {
			if (errno == ECONNRESET)
				g->eof = true;
			return any;
		}
		any = true;
		buf_append(&g->partial, tmp, (size_t)n);
		char *nl;
		while ((nl = memchr(g->partial.data, '\n', g->partial.len))) {
			size_t len = (size_t)(nl - g->partial.data);
			json_t *o = json_loadb(g->partial.data, len, 0, NULL);
			assert_non_null(o);
			json_array_append_new(g->msgs, o);
			buf_consume(&g->partial, len + 1);
		}
	}
}

/* Turn the loop and read until nothing more comes for a few turns. */
static void cl_drain(struct fx *f, int fd, struct got *g)
{
	int idle = 0;
	while (idle < 5 && !g->eof) {
		turns(f, 1);
		idle = cl_read(fd, g) ? 0 : idle + 1;
	}
}

static const char *ev_name(json_t *m)
{
	return proto_get_str(m, "event");
}

static void progress(struct fx *f, int64_t id, int64_t out_time_us)
{
	struct job j;
	job_init(&j);
	j.id = id;
	j.state = JOB_RUNNING;
	j.out_time_us = out_time_us;
	j.progress = 0.5;
	server_engine_events.job_progress(&j, f->s);
	job_clear(&j);
}

static int subscribe(struct fx *f, const char *params)
{
	int fd = cl_connect(f);
	char *line = xasprintf("{\"id\":1,\"method\":\"subscribe\",\"params\":%s}\n", params);
	cl_send(fd, line);
	free(line);
	struct got g;
	got_init(&g);
	cl_drain(f, fd, &g);
	assert_int_equal(json_array_size(g.msgs), 2);
	assert_true(proto_get_bool(json_array_get(g.msgs, 0), "ok", false));
	assert_string_equal(ev_name(json_array_get(g.msgs, 1)), "snapshot");
	got_free(&g);
	return fd;
}

/* A client that does not read gets only the newest progress per job once
 * it reads again, and is not dropped for progress alone. */
static void test_progress_coalesced(void **state)
{
	struct fx *f = *state;
	int fd = subscribe(f, "{}");
	const int n = 40000;
	int64_t last[3] = { 0 };
	for (int i = 1; i <= n; i++) {
		int64_t id = 1 + (i % 2);
		progress(f, id, i);
		last[id] = i;
		if (i % 20 == 0)
			turns(f, 1);
	}
	struct got g;
	got_init(&g);
	cl_drain(f, fd, &g);
	assert_false(g.eof);
	size_t got = json_array_size(g.msgs);
	int64_t seen[3] = { 0 };
	size_t i;
	json_t *m;
	json_array_foreach(g.msgs, i, m)
	{
		assert_string_equal(ev_name(m), "progress");
		int64_t id = proto_get_int(m, "id", 0);
		int64_t t = proto_get_int(m, "out_time_us", 0);
		assert_true(id == 1 || id == 2);
		assert_true(t > seen[id]); /* never an older value after a newer one */
		seen[id] = t;
	}
	/* The socket buffer and the low-water mark take a few hundred; the
	 * rest was coalesced (one per job per turn would be n / 10). */
	assert_true(got > 0 && got < (size_t)n / 20);
	assert_int_equal(seen[1], last[1]);
	assert_int_equal(seen[2], last[2]);
	assert_int_equal(server_client_count(f->s), 1);
	close(fd);
	turns(f, 2);
	assert_int_equal(server_client_count(f->s), 0);
	got_free(&g);
}

/* A job event supersedes the progress still waiting for that job: no
 * stale progress after the final state. */
static void test_job_event_supersedes_progress(void **state)
{
	struct fx *f = *state;
	int fd = subscribe(f, "{}");
	progress(f, 7, 100);
	struct job j;
	job_init(&j);
	j.id = 7;
	j.state = JOB_SUCCEEDED;
	j.progress = 1.0;
	server_engine_events.job_changed(&j, f->s);
	job_clear(&j);
	struct got g;
	got_init(&g);
	cl_drain(f, fd, &g);
	assert_int_equal(json_array_size(g.msgs), 1);
	json_t *m = json_array_get(g.msgs, 0);
	assert_string_equal(ev_name(m), "job");
	assert_string_equal(proto_get_str(json_object_get(m, "job"), "state"), "succeeded");
	/* progress after that is sent again */
	progress(f, 8, 5);
	cl_drain(f, fd, &g);
	assert_int_equal(json_array_size(g.msgs), 2);
	assert_string_equal(ev_name(json_array_get(g.msgs, 1)), "progress");
	close(fd);
	got_free(&g);
}

/* Log events go only to clients that asked, only for their ids. */
static void test_filters(void **state)
{
	struct fx *f = *state;
	int all = subscribe(f, "{}");
	int logs = subscribe(f, "{\"logs\":true,\"ids\":[3]}");
	server_engine_events.job_log(3, "three", 6, f->s);
	server_engine_events.job_log(4, "four", 5, f->s);
	progress(f, 4, 1);
	server_engine_events.job_removed(3, f->s);
	struct got ga, gl;
	got_init(&ga);
	got_init(&gl);
	cl_drain(f, all, &ga);
	cl_drain(f, logs, &gl);
	/* all: no log events; progress for 4 and removed 3 */
	assert_int_equal(json_array_size(ga.msgs), 2);
	assert_string_equal(ev_name(json_array_get(ga.msgs, 0)), "removed");
	assert_string_equal(ev_name(json_array_get(ga.msgs, 1)), "progress");
	/* logs for [3]: its line, then removed 3; nothing of job 4 */
	assert_int_equal(json_array_size(gl.msgs), 2);
	assert_string_equal(ev_name(json_array_get(gl.msgs, 0)), "log");
	assert_string_equal(proto_get_str(json_array_get(gl.msgs, 0), "line"), "three");
	assert_string_equal(ev_name(json_array_get(gl.msgs, 1)), "removed");
	close(all);
	close(logs);
	got_free(&ga);
	got_free(&gl);
}

/* "progress": false: job events, never a progress event. */
static void test_progress_opt_out(void **state)
{
	struct fx *f = *state;
	int quiet = subscribe(f, "{\"progress\":false}");
	int all = subscribe(f, "{}");
	progress(f, 4, 1);
	server_engine_events.job_removed(3, f->s);
	struct got gq, ga;
	got_init(&gq);
	got_init(&ga);
	cl_drain(f, quiet, &gq);
	cl_drain(f, all, &ga);
	assert_int_equal(json_array_size(gq.msgs), 1);
	assert_string_equal(ev_name(json_array_get(gq.msgs, 0)), "removed");
	assert_int_equal(json_array_size(ga.msgs), 2);
	assert_string_equal(ev_name(json_array_get(ga.msgs, 1)), "progress");
	close(all);
	got_free(&ga);
	/* alone, it is sent no progress at all */
	turns(f, 2);
	progress(f, 4, 2);
	json_array_clear(gq.msgs);
	cl_drain(f, quiet, &gq);
	assert_int_equal(json_array_size(gq.msgs), 0);
	close(quiet);
	got_free(&gq);
}

/* A log flood to a client that never reads: it is not dropped; its lines
 * stop at the high-water mark with one log_gap that says where the first
 * line it misses starts, and no more lines of that job come. */
static void test_log_flood_gaps(void **state)
{
	struct fx *f = *state;
	int fd = subscribe(f, "{\"logs\":true}");
	char line[200];
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	const int64_t ll = (int64_t)sizeof(line); /* with its newline */
	for (int i = 1; i <= 20000; i++) {
		server_engine_events.job_log(1, line, i * ll, f->s);
		if (i % 20 == 0)
			turns(f, 1);
	}
	turns(f, 2);
	assert_int_equal(server_client_count(f->s), 1);
	struct got g;
	got_init(&g);
	cl_drain(f, fd, &g);
	assert_false(g.eof);
	size_t n = json_array_size(g.msgs), i;
	assert_true(n > 10 && n < 20000);
	json_t *m;
	int64_t at = 0;
	json_array_foreach(g.msgs, i, m)
	{
		if (i + 1 < n) { /* every line in order, up to the gap */
			assert_string_equal(ev_name(m), "log");
			assert_int_equal(proto_get_int(m, "offset", 0), at + ll);
			at += ll;
		}
	}
	m = json_array_get(g.msgs, n - 1);
	assert_string_equal(ev_name(m), "log_gap");
	assert_int_equal(proto_get_int(m, "id", 0), 1);
	assert_int_equal(proto_get_int(m, "offset", -1), at);
	/* still behind: nothing of job 1 until a read reaches the end */
	server_engine_events.job_log(1, line, 20001 * ll, f->s);
	json_array_clear(g.msgs);
	cl_drain(f, fd, &g);
	assert_int_equal(json_array_size(g.msgs), 0);
	assert_int_equal(server_client_count(f->s), 1);
	close(fd);
	got_free(&g);
}

/* A removed job's log gap is forgotten: a connection that never reads
 * the job's log again (the TUI, following another job) keeps no id of it,
 * and a line of that id is sent again. */
static void test_removed_job_forgets_gap(void **state)
{
	struct fx *f = *state;
	int fd = subscribe(f, "{\"logs\":true}");
	char line[200];
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	const int64_t ll = (int64_t)sizeof(line);
	for (int i = 1; i <= 20000; i++) {
		server_engine_events.job_log(1, line, i * ll, f->s);
		if (i % 20 == 0)
			turns(f, 1);
	}
	turns(f, 2);
	struct got g;
	got_init(&g);
	cl_drain(f, fd, &g);
	size_t n = json_array_size(g.msgs);
	assert_true(n > 0);
	assert_string_equal(ev_name(json_array_get(g.msgs, n - 1)), "log_gap");
	server_engine_events.job_removed(1, f->s);
	turns(f, 2);
	json_array_clear(g.msgs);
	cl_drain(f, fd, &g);
	server_engine_events.job_log(1, "after", 20001 * ll, f->s);
	turns(f, 2);
	json_array_clear(g.msgs);
	cl_drain(f, fd, &g);
	assert_int_equal(json_array_size(g.msgs), 1);
	assert_string_equal(ev_name(json_array_get(g.msgs, 0)), "log");
	assert_string_equal(proto_get_str(json_array_get(g.msgs, 0), "line"), "after");
	close(fd);
	got_free(&g);
}

/* Other events keep the slow-reader rule: a subscriber that never reads
 * while job events pass client_buffer is dropped, and nothing of it is
 * left (fd, client). */
static void test_event_flood_drops(void **state)
{
	struct fx *f = *state;
	int fd = subscribe(f, "{}");
	struct job j;
	job_init(&j);
	j.kind = JOB_KIND_FFMPEG;
	j.state = JOB_QUEUED;
	char name[200];
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	j.name = xstrdup(name);
	for (int i = 0; i < 40000 && server_client_count(f->s) > 0; i++) {
		j.id = 1 + i % 50;
		server_engine_events.job_changed(&j, f->s);
		if (i % 20 == 0)
			turns(f, 1);
	}
	job_clear(&j);
	turns(f, 2);
	assert_int_equal(server_client_count(f->s), 0);
	struct got g;
	got_init(&g);
	for (int i = 0; i < 100 && !g.eof; i++)
		cl_read(fd, &g);
	assert_true(g.eof); /* the server closed its end */
	close(fd);
	got_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_progress_coalesced, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_job_event_supersedes_progress, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_filters, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_progress_opt_out, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_log_flood_gaps, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_event_flood_drops, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_removed_job_forgets_gap, fx_setup,
						fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
