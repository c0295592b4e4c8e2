/*
 * cmd-serve.c -- `aura serve [--daemon] [--accept-empty-store]`: its
 * arguments. The server's life (lock, start-up, signals, shutdown,
 * teardown, --daemon) is the server layer's: src/server/serve.c.
 *
 * Must never: hold any of the server's state itself.
 */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>

#include "cli/cmd.h"
#include "server/serve.h"

extern const struct cmd_entry cmd_serve_entry;

static const struct option serve_opts[] = {
	{ "daemon", no_argument, NULL, 'd' },
	{ "accept-empty-store", no_argument, NULL, 'E' },
	{ NULL, 0, NULL, 0 },
};

static int cmd_serve_run(struct cli_ctx *ctx, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&cmd_serve_entry, argc, argv, &a, NULL);
	if (rc)
		return rc;
	if ((rc = cli_ctx_local_only(ctx, "aura serve")) != 0)
		return rc;
	bool daemon = args_has(&a, 'd'), accept_empty = args_has(&a, 'E');
	int lrc = cli_ctx_load(ctx, true); /* the data directory, now */
	if (lrc)
		return lrc;

	const struct server_opts o = {
		.cfg = &ctx->cfg,
		.paths = &ctx->paths,
		.daemon = daemon,
		.accept_empty_store = accept_empty,
	};
	return server_run(&o);
}

const struct cmd_entry cmd_serve_entry = {
	.name = "serve",
	.usage = "[--daemon] [--accept-empty-store]",
	.args = { .shorts = "", .longs = serve_opts, .min = 0, .max = 0 },
	.summary = "run the server (foreground; --daemon detaches)",
	.help = "      --daemon   detach from the terminal; return once the server accepts\n"
		"                 connections (or fail with the reason it cannot start)\n"
		"      --accept-empty-store\n"
		"                 start even though aura.db holds no job while DATA/jobs/\n"
		"                 holds work directories (a lost store: see STORE_EMPTY);\n"
		"                 new job ids start after the directories'\n"
		"\n"
		"In the foreground the log goes to stderr and to DATA/logs/aura.log.\n"
		"SIGINT/SIGTERM stop it in order (running jobs are requeued); a second one\n"
		"skips the grace periods. SIGHUP reopens the log file.\n",
	.flags = CMD_NEEDS_DATA,
	.run = cmd_serve_run,
};
