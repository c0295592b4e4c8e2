/*
 * cmd-logs.c -- `aura logs [-f] ID`: a job's log (job.log: what aura did
 * and FFmpeg's stderr), optionally followed until the job ends.
 *
 * Following loses and repeats nothing (doc/protocol.md, "Ordering"), also
 * when it falls behind and the server sends a log_gap instead of lines:
 * the rule lives in client_follow_start/step (src/client/client.c), where
 * the unit tests drive it through the exact interleavings.
 *
 * Must never: print a line twice or skip one; keep following a job that
 * has ended.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/jobs.h"
#include "client/proto.h"
#include "base/util.h"

extern const struct cmd_entry cmd_logs_entry;

static void write_out(const char *data, size_t n, void *ctx)
{
	(void)ctx;
	char *t = cli_text_clean(xstrndup(data, n), true); /* no escape reaches the terminal */
	fputs(t, stdout);
	free(t);
	fflush(stdout); /* `aura logs -f ID | grep` sees lines as they come */
}

static int logs(struct cli_ctx *ctx, int64_t id, bool follow)
{
	struct client *cl;
	struct aura_error err;
	struct client_follow f = { .id = id, .out = write_out };
	int rc = cli_connect(ctx, true, &cl);
	if (rc)
		return rc;
	if (follow)
		watch_begin(cl);

	if (client_follow_start(cl, &f, follow, &err) < 0)
		goto fail;
	while (follow) {
		if (watch_interrupted()) {
			rc = CLI_EXIT_INTERRUPTED;
			goto out;
		}
		int r = client_follow_step(cl, &f, -1, &err);
		if (r < 0)
			goto fail;
		if (r == 1)
			break;
	}
	if (f.removed) {
		aura_error_set(&err, AURA_E_JOB_NOT_FOUND, "job %lld was removed", (long long)id);
		goto fail;
	}
	if (f.shutdown) {
		aura_error_set(&err, AURA_E_SERVER_SHUTTING_DOWN, "stopped following job %lld",
			       (long long)id);
		goto fail;
	}
	rc = 0;
	goto out;
fail:
	fflush(stdout);
	rc = cli_fail(&err);
out:
	if (follow)
		watch_end();
	client_free(cl);
	return rc;
}

static const struct option logs_opts[] = {
	{ "follow", no_argument, NULL, 'f' },
	{ NULL, 0, NULL, 0 },
};

static int cmd_logs_run(struct cli_ctx *ctx, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&cmd_logs_entry, argc, argv, &a, NULL);
	if (rc)
		return rc;
	return logs(ctx, args_id(&a, 0), args_has(&a, 'f'));
}

const struct cmd_entry cmd_logs_entry = {
	.name = "logs",
	.usage = "[-f] ID",
	.args = { .shorts = "f", .longs = logs_opts, .min = 1, .max = 1, .ids = true },
	.summary = "print a job's log, optionally following it",
	.help = "  -f, --follow   keep printing new lines until the job ends (Ctrl-C stops\n"
		"                 watching, exit 130; the job goes on)\n",
	.flags = CMD_NEEDS_DATA,
	.run = cmd_logs_run,
};
