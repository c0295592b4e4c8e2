/*
 * main.c -- argv to verb dispatch: global options, then the verb's entry.
 *
 * Must never: do a verb's work here.
 */
#include "config.h"

#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "base/log.h"
#include "tui/tui.h"

void main_usage(FILE *fp);

void main_usage(FILE *fp)
{
	fprintf(fp, "usage: aura [-c FILE] [--data-dir DIR] [--host URL] [VERB [ARGS...]]\n"
		    "\n"
		    "aura turns a text brief into a narrated video and runs FFmpeg work as\n"
		    "durable jobs. With no verb it opens the terminal UI.\n"
		    "\n"
		    "Global options:\n"
		    "  -c, --config FILE    configuration file (also AURA_CONFIG)\n"
		    "      --data-dir DIR   data directory (also AURA_DATA_DIR)\n"
		    "      --host URL       drive the server on another machine over ssh:\n"
		    "                       ssh://[USER@]HOST[:PORT][/DATA_DIR] (also AURA_HOST,\n"
		    "                       [client] host; \"\" for this machine)\n"
		    "  -h, --help           show this help\n"
		    "  -V, --version        show the version\n"
		    "\n"
		    "Verbs:\n");
	for (size_t i = 0; cmd_table[i]; i++)
		if (!(cmd_table[i]->flags & CMD_HIDDEN))
			fprintf(fp, "  %-10s %s\n", cmd_table[i]->name, cmd_table[i]->summary);
	fprintf(fp, "\nRun 'aura help VERB' for a verb's options.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "data-dir", required_argument, NULL, 'D' },
		{ "host", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_ctx ctx;
	int c;

	setlocale(LC_ALL, "");
	memset(&ctx, 0, sizeof(ctx));
	ctx.cli_config = NULL;

	/* '+': stop at the verb, its options are its own. */
	while ((c = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			ctx.cli_config = optarg;
			break;
		case 'D':
			ctx.cli_data_dir = optarg;
			break;
		case 'H':
			ctx.cli_host = optarg;
			break;
		case 'h':
			main_usage(stdout);
			return 0;
		case 'V':
			printf("aura %s\n", PACKAGE_VERSION);
			return 0;
		default:
			main_usage(stderr);
			return 2;
		}
	}

	if (optind >= argc) {
		/* No verb: the terminal UI, when there is a terminal to show it
		 * on; piped or scripted, the help (exit 0), as before. */
		if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
			main_usage(stdout);
			return 0;
		}
		int rc = cli_ctx_load(&ctx, true);
		if (rc == 0)
			rc = tui_main(&ctx);
		cli_ctx_free(&ctx);
		log_close();
		return rc;
	}

	const struct cmd_entry *e = cmd_find(argv[optind]);
	if (!e) {
		int rc = cli_usage_error("unknown verb '%s'", argv[optind]);
		main_usage(stderr);
		return rc;
	}

	/* `aura VERB --help`: before the config is read, so that a broken one
	 * hides no help. */
	int vargc = argc - optind;
	char **vargv = argv + optind;
	if (args_wants_help(e, vargc, vargv))
		return cmd_help(e, stdout);

	/* The data directory is made when a verb first needs it (it connects,
	 * or it is the server), after it took its options: a mistyped
	 * option leaves nothing behind. */
	int rc = 0;
	if (e->flags & (CMD_NEEDS_CONFIG | CMD_NEEDS_DATA))
		rc = cli_ctx_load(&ctx, false);
	if (rc == 0) {
		optind = 0; /* reset getopt for the verb (glibc: full reinit) */
		rc = e->run(&ctx, vargc, vargv);
	}
	cli_ctx_free(&ctx);
	log_close();
	return rc;
}
