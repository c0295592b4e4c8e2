/*
 * setup-server.c -- after `aura setup` wrote aura.ini: a running server
 * read its configuration when it started and keeps it. Say so, and
 * restart it on request (the wizard asks y/N; --restart in a script):
 * `aura shutdown`'s graceful stop (running jobs stop and are queued
 * again), then the CLI's auto-start brings up a server that reads the new
 * file.
 *
 * Must never: restart a server that runs jobs without saying how many and
 * being told to, or start a server when none was running.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/util.h"
#include "cli/cmd.h"
#include "cli/connect.h"
#include "cli/setup.h"
#include "client/client.h"
#include "client/proto.h"

/* The graceful stop, waited for (as `aura shutdown`), then a new server. */
static int restart(struct cli_ctx *ctx, struct client *cl)
{
	struct aura_error err;
	json_t *res;
	pid_t pid;
	int rc = cli_server_stop(ctx, cl, false, &pid);
	if (rc != 0)
		return rc;
	aura_error_clear(&err);
	if (client_connect(&ctx->paths, "/proc/self/exe", ctx->cli_config, true, &cl, &err) < 0)
		return cli_fail(&err);
	pid = 0;
	if (client_call(cl, "ping", NULL, &res, &err) == 0) {
		pid = (pid_t)proto_get_int(res, "pid", 0);
		json_decref(res);
	}
	client_free(cl);
	printf("Server restarted (pid %d) with the new configuration.\n", (int)pid);
	return 0;
}

int setup_server_after_write(struct cli_ctx *ctx, const struct setup *s)
{
	struct aura_error err;
	struct client *cl = NULL;
	json_t *res;
	pid_t pid = 0;
	int64_t running = 0;
	bool go;

	aura_error_clear(&err);
	if (cli_ctx_load(ctx, false) != 0 ||
	    client_connect(&ctx->paths, "/proc/self/exe", ctx->cli_config, false, &cl, &err) < 0)
		return 0; /* none runs: the next command starts one that reads the file */
	if (client_call(cl, "ping", NULL, &res, &err) == 0) {
		pid = (pid_t)proto_get_int(res, "pid", 0);
		json_decref(res);
	}
	if (client_call(cl, "list", json_pack("{s:s, s:i}", "state", "running", "limit", 1), &res,
			&err) == 0) {
		running = proto_get_int(res, "total", 0);
		json_decref(res);
	}
	printf("\nA server (pid %d) is running and keeps the old configuration until it "
	       "restarts.\n",
	       (int)pid);
	if (running > 0)
		printf("It is running %lld job%s: a restart stops %s and queues %s again.\n",
		       (long long)running, running == 1 ? "" : "s", running == 1 ? "it" : "them",
		       running == 1 ? "it" : "them");
	if (s->interactive)
		go = setup_ask_yes("Restart it now?", false);
	else
		go = s->restart;
	if (!go) {
		client_free(cl);
		printf("Restart it later with `aura shutdown && aura serve --daemon`%s.\n",
		       s->interactive ? "" : " (or run setup with --restart)");
		return 0;
	}
	return restart(ctx, cl);
}
