/*
 * cmd-submit.c -- `aura submit [--name N] [-o OUTPUT] [--priority N]
 * [--json] -- FFMPEG-ARGS...`: queue a raw FFmpeg job. The server runs it
 * in this shell's working directory, so relative paths mean what they
 * mean here. Prints the new job's id (or the job with --json).
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

static int cmd_submit_run(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"name", required_argument, NULL, 'n'},
		{"output", required_argument, NULL, 'o'},
		{"priority", required_argument, NULL, 'p'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	const char *name = NULL, *output = NULL;
	int64_t priority = 0;
	bool json = false, have_priority = false;
	int c;

	/* '+': stop at the first non-option, so FFmpeg's own options after
	 * "--" (or after its first plain word) are never taken as ours. */
	while ((c = getopt_long(argc, argv, "+n:o:p:", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'o':
			if (!*optarg) {
				return cli_usage_error("-o wants a file path, not ''");
			}
			output = optarg;
			break;
		case 'p':
			if (parse_int64(optarg, &priority) < 0) {
				return cli_usage_error("--priority wants a whole number, not '%s'",
						       optarg);
			}
			if (priority < -1000000 || priority > 1000000) {
				return cli_usage_error(
				    "--priority %s is out of range: from -1000000 to 1000000",
				    optarg);
			}
			have_priority = true;
			break;
		case 'j':
			json = true;
			break;
		default:
			cli_usage_error("put FFmpeg's arguments after --");
			return cmd_usage(&cmd_submit_entry);
		}
	}
	int first = optind;
	/* `aura submit -- ffmpeg -i ...` reads naturally: drop the word. */
	if (first < argc && (strcmp(argv[first], "ffmpeg") == 0))
		first++;
	if (first >= argc) {
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
	for (int i = first; i < argc; i++)
		json_array_append_new(args, proto_string(argv[i]));
	json_object_set_new(params, "kind", json_string("ffmpeg"));
	json_object_set_new(params, "argv", args);
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

	struct client *cl;
	int rc = cli_connect(ctx, true, &cl);
	if (rc) {
		json_decref(params);
		return rc;
	}
	struct aura_error err;
	json_t *res;
	if (client_call(cl, "submit", params, &res, &err) < 0) {
		client_free(cl);
		return cli_fail(&err);
	}
	client_free(cl);

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
	.args = "[--name N] [-o OUTPUT] [--priority N] [--json] -- FFMPEG-ARGS...",
	.summary = "queue a raw FFmpeg job",
	.help = "  -n, --name N        a name shown by `aura ls` (default: chosen by the server)\n"
		"  -o, --output PATH   the file the job writes (made absolute here)\n"
		"      --priority N    higher runs first (default 0)\n"
		"      --json          print the queued job as JSON instead of its id\n"
		"\n"
		"Everything after -- is passed to ffmpeg as it is (a leading \"ffmpeg\" word is\n"
		"dropped). The job runs in the current directory. Prints the job's id.\n",
	.flags = CMD_NEEDS_DATA,
	.run = cmd_submit_run,
};
