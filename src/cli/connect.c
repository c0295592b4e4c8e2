/*
 * connect.c -- the job verbs' connection: to the data directory's server,
 * starting one when asked (tmux's auto-start), and Ctrl-C while a verb
 * waits on it (SIGINT/SIGTERM read on the client's loop, os/sig.h).
 *
 * Must never: exit(), or install a signal handler (signals are loop events).
 */
#include "config.h"

#include <signal.h>

#include "cli/connect.h"
#include "os/sig.h"

int cli_connect(struct cli_ctx *ctx, bool autostart, struct client **out)
{
	int rc = cli_ctx_load(ctx, true); /* the data directory, now */
	if (rc)
		return rc;
	struct aura_error err;
	aura_error_clear(&err);
	if (client_connect(&ctx->paths, "/proc/self/exe", ctx->cli_config, autostart, out, &err) <
	    0)
		return cli_fail(&err);
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
