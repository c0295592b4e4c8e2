/*
 * connect.c -- the job verbs' connection: to the data directory's server,
 * starting one when asked (tmux's auto-start), a request that queues
 * jobs sent so that it is carried out once (its idempotency key, sent
 * again on a new connection when the first one drops), and Ctrl-C while a
 * verb waits on it (SIGINT/SIGTERM read on the client's loop, os/sig.h).
 *
 * Must never: exit(), install a signal handler (signals are loop events),
 * or send a request again that has no key.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "cli/connect.h"
#include "cli/jobs.h"
#include "client/proto.h"
#include "client/remote.h"
#include "os/loop.h"
#include "os/proc.h"
#include "os/sig.h"
#include "base/util.h"

int cli_connect(struct cli_ctx *ctx, bool autostart, struct client **out)
{
	int rc = cli_ctx_load(ctx, true); /* the data directory, now */
	if (rc)
		return rc;
	struct aura_error err;
	aura_error_clear(&err);
	if (client_open(ctx, autostart, out, &err) < 0)
		return cli_fail(&err);
	return 0;
}

/* ---- a request sent until it is answered, once --------------------------- */

int cli_server_stop(struct cli_ctx *ctx, struct client *cl, bool now, pid_t *pid)
{
	struct aura_error err;
	json_t *res;
	aura_error_clear(&err);
	*pid = 0;
	if (client_call(cl, "ping", NULL, &res, &err) == 0) {
		*pid = (pid_t)proto_get_int(res, "pid", 0);
		json_decref(res);
	}
	int rc = client_call(cl, "shutdown", json_pack("{s:b}", "now", now), NULL, &err);
	if (client_is_remote(cl))
		*pid = 0; /* not a process of this machine: nothing to wait for here */
	client_free(cl);
	if (rc < 0)
		return cli_fail(&err);
	/* The server may take shutdown_grace to stop its jobs; then it
	 * exits. Wait a little longer than it may take. */
	int64_t limit_ms = (int64_t)(now ? 5 : ctx->cfg.shutdown_grace + 5) * 1000;
	if (*pid > 0 && !proc_wait_gone(*pid, limit_ms)) {
		aura_error_set(&err, AURA_E_SERVER_SHUTTING_DOWN,
			       "server %d is still stopping after %lld s", (int)*pid,
			       (long long)(limit_ms / 1000));
		return cli_fail(&err);
	}
	return 0;
}

char *cli_auto_key(void)
{
	unsigned char r[16];
	size_t got = 0;
	while (got < sizeof(r)) {
		ssize_t n = getrandom(r + got, sizeof(r) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got < sizeof(r)) {
		/* no getrandom (an old kernel): unique enough for one machine */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t x[2] = { (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec,
				  ((uint64_t)getpid() << 32) ^ (uint64_t)time_mono_ms() };
		memcpy(r, x, sizeof(r));
	}
	char hex[2 * sizeof(r) + 1];
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(hex + 2 * i, 3, "%02x", r[i]);
	return xasprintf("%s%s", CLI_AUTO_KEY_PREFIX, hex);
}

static void on_backoff(struct loop *l, void *ctx)
{
	(void)l;
	*(bool *)ctx = true;
}

/* Wait ms on a loop's timer (the client's waits are loop turns too). */
static void backoff(int ms)
{
	struct loop *l = loop_new();
	bool done = false;
	loop_timer_add(l, ms, on_backoff, &done);
	while (!done)
		if (loop_run_once(l, -1) < 0 && errno != EINTR)
			break;
	loop_free(l);
}

int cli_request_idempotent(struct cli_ctx *ctx, const char *method, json_t *params,
			   struct client **clp, json_t **result)
{
	struct aura_error err;
	aura_error_clear(&err);
	*result = NULL;
	if (clp)
		*clp = NULL;
	const char *user_key = proto_get_str(params, "key");
	bool own_key = user_key != NULL;
	if (!own_key) {
		char *k = cli_auto_key();
		json_object_set_new(params, "key", json_string(k));
		free(k);
	}
	int rc = cli_ctx_load(ctx, true);
	if (rc) {
		json_decref(params);
		return rc;
	}

	int64_t sent_ms = time_now_ms(), deadline = 0;
	int delay = CLI_RESEND_FIRST_MS;
	struct client *cl = NULL;
	json_t *res = NULL;
	int attempt;
	for (attempt = 0;; attempt++) {
		rc = client_open(ctx, true, &cl, &err);
		if (rc == 0) {
			rc = client_call(cl, method, json_incref(params), &res, &err);
			if (rc == 0)
				break;
		}
		/* Send again only what may have been lost on the way: a
		 * connection that dropped, or (once resending) one that could
		 * not be made while a server restarts. Anything else is the
		 * answer, and the first connect failing is today's error. */
		bool again = rc < 0 && cl ? client_lost(cl) : attempt > 0;
		client_free(cl);
		cl = NULL;
		if (attempt == 0)
			deadline = time_mono_ms() + CLI_RESEND_WITHIN_MS;
		if (!again || attempt >= CLI_RESEND_TIMES || time_mono_ms() >= deadline) {
			json_decref(params);
			return cli_fail(&err);
		}
		backoff(delay);
		delay *= 2;
	}
	json_decref(params);

	/* "existing" with the user's key: another job has it -- when the
	 * first try answered (another client, an earlier run), or when a
	 * resend answered with a job made before we first sent (a job made
	 * since may be our own lost first try: no note); with a key of ours:
	 * always our own first try */
	json_t *job = json_object_get(res, "job");
	if (own_key && (attempt == 0 || proto_get_int(job, "created_ms", 0) < sent_ms))
		cli_note_existing(res);
	if (clp)
		*clp = cl;
	else
		client_free(cl);
	*result = res;
	return 0;
}

/* ---- Ctrl-C while watching ---------------------------------------------- */

static bool interrupted;
static bool watching;

static void on_interrupt(struct loop *l, int signo, void *ctx)
{
	(void)l;
	(void)signo;
	(void)ctx;
	interrupted = true;
}

void watch_begin(struct client *c)
{
	static const int sigs[] = { SIGINT, SIGTERM };
	struct aura_error err;

	interrupted = false;
	/* without the signalfd, Ctrl-C keeps its default: the verb ends */
	watching = sig_init_set(client_loop(c), sigs, 2, on_interrupt, NULL, &err) == 0;
}

bool watch_interrupted(void)
{
	return interrupted;
}

void watch_end(void)
{
	if (watching)
		sig_fini();
	watching = false;
}
