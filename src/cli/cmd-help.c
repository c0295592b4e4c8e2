/*
 * cmd-help.c -- `aura help [VERB]`: the verb list or one verb's options.
 */
#include "config.h"

#include <stdio.h>

#include "cli/cmd.h"

void main_usage(FILE *fp);

static int cmd_help_run(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	if (argc < 2) {
		main_usage(stdout);
		return 0;
	}
	const struct cmd_entry *e = cmd_find(argv[1]);
	if (!e) {
		return cli_usage_error("unknown verb '%s'", argv[1]);
	}
	printf("usage: aura %s %s\n\n%s\n", e->name, e->args, e->summary);
	if (e->help)
		printf("\n%s", e->help);
	return 0;
}

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.args = "[VERB]",
	.summary = "show the verbs, or one verb's options",
	.help = NULL,
	.flags = 0,
	.run = cmd_help_run,
};
