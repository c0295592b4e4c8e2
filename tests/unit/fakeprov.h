/*
 * fakeprov.h -- test helper: start tests/fakes/fake-provider.py on a
 * loopback port, talk to its control endpoints through http.c on a real
 * loop, and run the loop until a condition holds (bounded).
 *
 * Must never: be linked into aura (tests only), wait without a bound.
 */
#ifndef AURA_TEST_FAKEPROV_H
#define AURA_TEST_FAKEPROV_H

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "providers/http.h"
#include "os/loop.h"
#include "base/util.h"

struct fakeprov {
	pid_t pid;
	int port;
	char base[64]; /* http://127.0.0.1:PORT */
};

/* Start the fake with FAKE_KEY=key; 0 or -1. */
static inline int fakeprov_start(struct fakeprov *f, const char *key)
{
	const char *src = getenv("AURA_SRCDIR");
	char *script = xasprintf("%s/tests/fakes/fake-provider.py", src ? src : ".");
	int pfd[2];
	char line[32] = {0};
	size_t n = 0;

	if (pipe(pfd) < 0)
		return -1;
	f->pid = fork();
	if (f->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		setenv("FAKE_KEY", key ? key : "", 1);
		execlp("python3", "python3", script, (char *)NULL);
		_exit(127);
	}
	free(script);
	close(pfd[1]);
	while (n < sizeof(line) - 1) {
		struct pollfd p = {.fd = pfd[0], .events = POLLIN};
		ssize_t r;
		if (poll(&p, 1, 10000) <= 0)
			break;
		r = read(pfd[0], line + n, 1);
		if (r <= 0 || line[n] == '\n')
			break;
		n++;
	}
	close(pfd[0]);
	f->port = atoi(line);
	if (f->port <= 0)
		return -1;
	snprintf(f->base, sizeof(f->base), "http://127.0.0.1:%d", f->port);
	return 0;
}

static inline void fakeprov_stop(struct fakeprov *f)
{
	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		waitpid(f->pid, NULL, 0);
		f->pid = 0;
	}
}

/* Run turns until *flag or max_ms passed; returns *flag. */
static inline bool loop_until(struct loop *l, const bool *flag, int64_t max_ms)
{
	int64_t end = time_mono_ms() + max_ms;
	while (!*flag && time_mono_ms() < end)
		loop_run_once(l, 20);
	return *flag;
}

/* Run turns for ms milliseconds. */
static inline void loop_for(struct loop *l, int64_t ms)
{
	int64_t end = time_mono_ms() + ms;
	while (time_mono_ms() < end)
		loop_run_once(l, end - time_mono_ms());
}

struct fakeprov_ctl {
	bool done;
	long status;
	char *body;
};

static inline void fakeprov_ctl_done(const struct http_response *r, void *ctx)
{
	struct fakeprov_ctl *c = ctx;
	c->done = true;
	c->status = r->status;
	c->body = xstrndup(r->body, r->body_len);
}

/* A control request; returns the body (caller frees) or NULL. */
static inline char *fakeprov_ctl(struct loop *l, struct http *h, const struct fakeprov *f,
				 const char *method, const char *path, const char *json)
{
	char *url = xasprintf("%s%s", f->base, path);
	struct fakeprov_ctl c = {0};
	struct http_request req = {.method = method,
				   .url = url,
				   .body = json,
				   .body_len = json ? strlen(json) : 0,
				   .timeout_ms = 5000};
	if (http_start(h, &req, fakeprov_ctl_done, &c, NULL) > 0)
		loop_until(l, &c.done, 6000);
	free(url);
	return c.body;
}

static inline void fakeprov_fault(struct loop *l, struct http *h, const struct fakeprov *f,
				  const char *path, const char *fault, int count, int retry_after)
{
	char *js = xasprintf("{\"path\":\"%s\",\"fault\":\"%s\",\"count\":%d,\"retry_after\":%d}",
			     path, fault, count, retry_after);
	free(fakeprov_ctl(l, h, f, "POST", "/_fault", js));
	free(js);
}

static inline void fakeprov_reset(struct loop *l, struct http *h, const struct fakeprov *f)
{
	free(fakeprov_ctl(l, h, f, "POST", "/_reset", "{}"));
}

/* How many requests the fake served on path. */
static inline int fakeprov_count(struct loop *l, struct http *h, const struct fakeprov *f,
				 const char *path)
{
	char *body = fakeprov_ctl(l, h, f, "GET", "/_stats", NULL);
	json_t *j = body ? json_loads(body, 0, NULL) : NULL;
	int n = j ? (int)json_integer_value(json_object_get(j, path)) : -1;
	json_decref(j);
	free(body);
	return n;
}

#endif
