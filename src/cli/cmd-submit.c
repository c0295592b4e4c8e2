/*
 * cmd-submit.c -- `aura submit [--name N] [-o OUTPUT] [--priority N]
 * [--key K] [--json] -- FFMPEG-ARGS...`: queue a raw FFmpeg job. The
 * server runs it in this shell's working directory, so relative paths
 * mean what they mean here. Prints the new job's id (or the job with
 * --json); with a key already used, the job that has it (and a note).
 *
 * Must never: run FFmpeg itself, or pass the arguments through a shell.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "cli/jobs.h"
#include "client/proto.h"

extern const struct cmd_entry cmd_submit_entry;

static const struct option submit_opts[] = {
	{ "name", required_argument, NULL, 'n' },
	{ "output", required_argument, NULL, 'o' },
	{ "priority", required_argument, NULL, 'p' },
	{ "json", no_argument, NULL, 'j' },
	{ "key", required_argument, NULL, 'k' },
	{ "pool", required_argument, NULL, 'P' },
	{ "after", required_argument, NULL, 'A' },
	{ "on-done", required_argument, NULL, 'D' },
	{ NULL, 0, NULL, 0 },
};

/* each value checked where it stands */
static int submit_option(int code, const char *value, void *ud)
{
	int64_t n;
	(void)ud;
	if (code == 'o' && !*value)
		return cli_usage_error("-o wants a file path, not ''");
	if (code != 'p')
		return 0;
	if (parse_int64(value, &n) < 0)
		return cli_usage_error("--priority wants a whole number, not '%s'", value);
	if (n < -1000000 || n > 1000000)
		return cli_usage_error("--priority %s is out of range: from -1000000 to 1000000",
				       value);
	return 0;
}

static int cmd_submit_run(struct cli_ctx *ctx, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&cmd_submit_entry, argc, argv, &a, NULL);
	if (rc)
		return rc;
	const char *name = args_get(&a, 'n'), *output = args_get(&a, 'o'), *key = args_get(&a, 'k');
	const char *pool = args_get(&a, 'P');
	int64_t priority = 0;
	bool json = args_has(&a, 'j'), have_priority = args_has(&a, 'p');
	if (have_priority)
		parse_int64(args_get(&a, 'p'), &priority); /* checked by submit_option */

	int first = 0;
	/* `aura submit -- ffmpeg -i ...` reads naturally: drop the word. */
	if (first < a.argc && (strcmp(a.argv[first], "ffmpeg") == 0))
		first++;
	if (first >= a.argc) {
		cli_usage_error("no FFmpeg arguments given");
		return cmd_usage(&cmd_submit_entry);
	}

	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd))) {
		struct aura_error err;
		aura_error_set(&err, AURA_E_INTERNAL, "getcwd: %s", strerror(errno));
		return cli_fail(&err);
	}

	json_t *params = json_object();
	json_t *args = json_array();
	for (int i = first; i < a.argc; i++)
		json_array_append_new(args, proto_string(a.argv[i]));
	json_object_set_new(params, "kind", json_string("ffmpeg"));
	json_object_set_new(params, "argv", args);
	/* This shell's directory means nothing on a remote server: there the
	 * job runs in its work directory, and -o must be the server's
	 * absolute path (doc/remote.md). */
	if (ctx->host && output && output[0] != '/') {
		json_decref(params);
		struct aura_error rerr;
		aura_error_set(&rerr, AURA_E_REMOTE_PATH_RELATIVE,
			       "-o %s: paths are the server's with --host", output);
		return cli_fail(&rerr);
	}
	if (!ctx->host)
		json_object_set_new(params, "cwd", proto_string(cwd));
	if (name)
		json_object_set_new(params, "name", proto_string(name));
	if (output) {
		char *abs = output[0] == '/' ? xstrdup(output) : xasprintf("%s/%s", cwd, output);
		json_object_set_new(params, "output", proto_string(abs));
		free(abs);
	}
	if (have_priority)
		json_object_set_new(params, "priority", json_integer(priority));
	if (pool)
		json_object_set_new(params, "pool", proto_string(pool));
	const char *hook = args_get(&a, 'D');
	if (hook && *hook)
		json_object_set_new(params, "on_done", proto_string(hook));
	struct aura_error err;
	if (cli_after_param(params, "--after", args_get(&a, 'A'), &err) < 0 ||
	    cli_key_param(params, key, &err) < 0) {
		json_decref(params);
		return cli_fail(&err);
	}

	json_t *res;
	rc = cli_request_idempotent(ctx, "submit", params, NULL, &res);
	if (rc)
		return rc;
	if (json) {
		cli_print_json(json_object_get(res, "job"));
	} else {
		json_t *job = json_object_get(res, "job");
		printf("%lld\n", (long long)proto_get_int(job, "id", 0));
	}
	json_decref(res);
	return 0;
}

const struct cmd_entry cmd_submit_entry = {
	.name = "submit",
	.usage = "[--name N] [-o OUTPUT] [--priority N] [--pool NAME] [--after ID[,ID]] "
		 "[--on-done CMD] [--key K] [--json] -- FFMPEG-ARGS...",
	/* '+': stop at the first non-option, so FFmpeg's own options after
	 * "--" (or after its first plain word) are never taken as ours. */
	.args = { .shorts = "+n:o:p:",
		  .longs = submit_opts,
		  .min = 0,
		  .max = ARGS_ANY,
		  .bad_option = "put FFmpeg's arguments after --",
		  .option = submit_option },
	.summary = "queue a raw FFmpeg job",
	.help = "  -n, --name N        a name shown by `aura ls` (default: chosen by the server)\n"
		"  -o, --output PATH   the file the job writes (made absolute here)\n"
		"      --priority N    higher runs first (default 0)\n"
		"      --pool NAME     the pool to run in (default: [server] pool, local)\n"
		"      --after ID[,ID] start only once these jobs succeeded (one failed,\n"
		"                      was cancelled or removed: this one fails unrun)\n"
		"      --on-done CMD   run CMD (no shell) when the job ends; see aura.ini's\n"
		"                      [server] on_done for its environment\n"
		"      --key K         an idempotency key: if a job already has K, nothing new\n"
		"                      is queued and that job's id is printed (exit 0)\n"
		"      --json          print the queued job as JSON instead of its id\n"
		"\n"
		"Everything after -- is passed to ffmpeg as it is (a leading \"ffmpeg\" word is\n"
		"dropped). The job runs in the current directory. Prints the job's id.\n"
		"\n"
		"Paths are the server's: FFmpeg runs there. With --host the job runs in its\n"
		"work directory on the server and -o must be an absolute path there\n"
		"(doc/remote.md).\n",
	.flags = CMD_NEEDS_DATA,
	.run = cmd_submit_run,
};
