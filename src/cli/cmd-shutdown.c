/*
 * cmd-shutdown.c -- `aura shutdown [--now]`: ask the server to stop (it
 * stops every job's FFmpeg, requeues them, persists every state), then
 * wait until its process has exited, so the next command starts afresh.
 *
 * Must never: start a server only to stop it, or kill the server itself.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "client/remote.h"
#include "cli/cmd.h"
#include "cli/connect.h"
#include "cli/jobs.h"
#include "client/proto.h"

extern const struct cmd_entry cmd_shutdown_entry;

static const struct option shutdown_opts[] = {
	{ "now", no_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 },
};

static int cmd_shutdown_run(struct cli_ctx *ctx, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&cmd_shutdown_entry, argc, argv, &a, NULL);
	if (rc)
		return rc;
	bool now = args_has(&a, 'n');

	struct client *cl;
	struct aura_error err;
	aura_error_clear(&err);
	if (client_open(ctx, false, &cl, &err) < 0) {
		if (ctx->host) /* ssh, or the remote aura, says what went wrong */
			return cli_fail(&err);
		/* nothing to stop: no error (exit 0), so no catalogue code */
		fprintf(stderr, "no server is running for %s\n", ctx->paths.data_dir);
		return 0;
	}
	pid_t pid;
	if ((rc = cli_server_stop(ctx, cl, now, &pid)) != 0)
		return rc;
	if (pid > 0)
		printf("server %d stopped\n", (int)pid);
	return 0;
}

const struct cmd_entry cmd_shutdown_entry = {
	.name = "shutdown",
	.usage = "[--now]",
	.args = { .shorts = "", .longs = shutdown_opts, .min = 0, .max = 0 },
	.summary = "stop the server in order (running jobs are requeued)",
	.help = "      --now   skip the grace periods: stop FFmpeg at once\n"
		"\n"
		"Returns once the server process has exited. With no server running it\n"
		"says so and exits 0.\n",
	.flags = CMD_NEEDS_DATA,
	.run = cmd_shutdown_run,
};
