/*
 * cmd-logs.c -- `aura logs [-f] [--json] ID`: a job's log (job.log: what
 * aura did and FFmpeg's stderr), optionally followed until the job ends.
 * With --json, JSON Lines: one {"job": ID, "line": TEXT} a line of the log
 * (TEXT without its newline, exactly as stored but for bytes that are no
 * UTF-8, which become U+FFFD), printed as each line is complete; a last
 * line without a newline is printed when the log ends.
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
#include "base/utf8.h"
#include "base/util.h"

extern const struct cmd_entry cmd_logs_entry;

/* --json: the bytes of the line not yet ended */
struct json_lines {
	int64_t id;
	struct buf part;
};

static void json_line(struct json_lines *jl, const char *data, size_t n)
{
	char *raw = xstrndup(data, n); /* (a NUL byte ends the line's text) */
	char *text = utf8_repair(raw);
	json_t *o = json_pack("{s:I, s:s}", "job", (json_int_t)jl->id, "line", text);
	json_dumpf(o, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	json_decref(o);
	free(text);
	free(raw);
}

static void write_json(const char *data, size_t n, void *ctx)
{
	struct json_lines *jl = ctx;
	const char *nl;
	while (n > 0 && (nl = memchr(data, '\n', n))) {
		size_t k = (size_t)(nl - data);
		if (jl->part.len) {
			buf_append(&jl->part, data, k);
			json_line(jl, jl->part.data, jl->part.len);
			buf_reset(&jl->part);
		} else {
			json_line(jl, data, k);
		}
		data += k + 1;
		n -= k + 1;
	}
	buf_append(&jl->part, data, n);
	fflush(stdout);
}

static void json_end(struct json_lines *jl)
{
	if (jl->part.len)
		json_line(jl, jl->part.data, jl->part.len);
	fflush(stdout);
	buf_free(&jl->part);
}

static void write_out(const char *data, size_t n, void *ctx)
{
	(void)ctx;
	char *t = cli_text_clean(xstrndup(data, n), true); /* no escape reaches the terminal */
	fputs(t, stdout);
	free(t);
	fflush(stdout); /* `aura logs -f ID | grep` sees lines as they come */
}

static int logs(struct cli_ctx *ctx, int64_t id, bool follow, bool json)
{
	struct client *cl;
	struct aura_error err;
	struct json_lines jl = { .id = id };
	struct client_follow f = { .id = id, .out = write_out };
	if (json) {
		f.out = write_json;
		f.ctx = &jl;
	}
	buf_init(&jl.part);
	int rc = cli_connect(ctx, true, &cl);
	if (rc) {
		buf_free(&jl.part);
		return rc;
	}
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
	json_end(&jl);
	rc = cli_fail(&err);
out:
	json_end(&jl); /* (twice is harmless: the first emptied it) */
	if (follow)
		watch_end();
	client_free(cl);
	return rc;
}

enum { OPT_JSON = 256 };

static const struct option logs_opts[] = {
	{ "follow", no_argument, NULL, 'f' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 },
};

static int cmd_logs_run(struct cli_ctx *ctx, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&cmd_logs_entry, argc, argv, &a, NULL);
	if (rc)
		return rc;
	return logs(ctx, args_id(&a, 0), args_has(&a, 'f'), args_has(&a, OPT_JSON));
}

const struct cmd_entry cmd_logs_entry = {
	.name = "logs",
	.usage = "[-f] [--json] ID",
	.args = { .shorts = "f", .longs = logs_opts, .min = 1, .max = 1, .ids = true },
	.summary = "print a job's log, optionally following it",
	.help = "  -f, --follow   keep printing new lines until the job ends (Ctrl-C stops\n"
		"                 watching, exit 130; the job goes on)\n"
		"      --json     JSON Lines: {\"job\": ID, \"line\": TEXT} for each line (TEXT\n"
		"                 without its newline; bytes that are no UTF-8 become U+FFFD)\n",
	.flags = CMD_NEEDS_DATA,
	.run = cmd_logs_run,
};
