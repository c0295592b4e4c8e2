/*
 * cmd-help.c -- `aura help [VERB]`: the verb list or one verb's options (the
 * same text as `aura VERB --help`: cmd_help in cli.c).
 */
#include "config.h"

#include <stdio.h>

#include "cli/cmd.h"

void main_usage(FILE *fp);

extern const struct cmd_entry cmd_help_entry;

static int cmd_help_run(struct cli_ctx *ctx, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&cmd_help_entry, argc, argv, &a, NULL);
	(void)ctx;
	if (rc)
		return rc;
	if (a.argc == 0) {
		main_usage(stdout);
		return 0;
	}
	const struct cmd_entry *e = cmd_find(a.argv[0]);
	if (!e) {
		return cli_usage_error("unknown verb '%s'", a.argv[0]);
	}
	return cmd_help(e, stdout);
}

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.usage = "[VERB]",
	/* no options: `aura help --x` asks about a verb named "--x" */
	.args = { .shorts = NULL, .min = 0, .max = ARGS_ANY },
	.summary = "show the verbs, or one verb's options",
	.help = NULL,
	.flags = 0,
	.run = cmd_help_run,
};
