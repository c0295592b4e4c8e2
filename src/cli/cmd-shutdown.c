/*
 * cmd-shutdown.c -- `aura shutdown [--now]`: ask the server to stop (it
 * stops every job's FFmpeg, requeues them, persists every state), then
 * wait until its process has exited, so the next command starts afresh.
 *
 * Must never: start a server only to stop it, or kill the server itself.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cmd.h"
#include "cli/jobs.h"
#include "client/proto.h"

extern const struct cmd_entry cmd_shutdown_entry;

static bool alive(pid_t pid)
{
	return kill(pid, 0) == 0 || errno == EPERM;
}

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
	if (client_connect(&ctx->paths, "/proc/self/exe", ctx->cli_config, false, &cl, &err) < 0) {
		/* nothing to stop: no error (exit 0), so no catalogue code */
		fprintf(stderr, "no server is running for %s\n", ctx->paths.data_dir);
		return 0;
	}
	json_t *res;
	pid_t pid = 0;
	if (client_call(cl, "ping", NULL, &res, &err) == 0) {
		pid = (pid_t)proto_get_int(res, "pid", 0);
		json_decref(res);
	}
	if (client_call(cl, "shutdown", json_pack("{s:b}", "now", now), NULL, &err) < 0) {
		client_free(cl);
		return cli_fail(&err);
	}
	client_free(cl);

	/* The server may take shutdown_grace to stop its jobs; then it
	 * exits. Wait a little longer than it may take. */
	int64_t limit_ms = (int64_t)(now ? 5 : ctx->cfg.shutdown_grace + 5) * 1000;
	int64_t deadline = time_mono_ms() + limit_ms;
	while (pid > 0 && alive(pid)) {
		if (time_mono_ms() >= deadline) {
			aura_error_set(&err, AURA_E_SERVER_SHUTTING_DOWN,
				       "server %d is still stopping after %lld s", (int)pid,
				       (long long)(limit_ms / 1000));
			return cli_fail(&err);
		}
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
	}
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
