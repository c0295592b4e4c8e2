/*
 * cmd.h -- the CLI verb table (tmux's cmd_entry): one file per verb
 * (src/cli/cmd-NAME.c) defining one `const struct cmd_entry`, listed once in
 * cmd.c. The entry holds the verb's argument template (cli/args.h), which
 * the verb's args_parse() walks argv by. Every verb receives the context of
 * client/ctx.h.
 *
 * Must never: hold server state; verbs are short-lived clients.
 */
#ifndef AURA_CMD_H
#define AURA_CMD_H

#include <stdio.h>

#include "cli/args.h"
#include "client/ctx.h"

enum {
	CMD_NEEDS_CONFIG = 1 << 0, /* resolve paths and read the config first */
	CMD_NEEDS_DATA = 1 << 1,   /* also create the data directories */
	CMD_HIDDEN = 1 << 2,	   /* not in `aura help`'s list (a helper for scripts) */
	CMD_JOB_ARGS = 1 << 3,	   /* positionals are job ids or ranges (completion) */
};

struct cmd_entry {
	const char *name;
	const char *usage; /* usage after the verb, e.g. "[--json] ID..." */
	struct args_template args;
	const char *summary; /* one line for `aura help` */
	const char *help;    /* option list for `aura help VERB`, may be NULL */
	int flags;
	/* argv[0] is the verb; returns the process exit status. It starts
	 * with args_parse(). */
	int (*run)(struct cli_ctx *ctx, int argc, char **argv);
};

extern const struct cmd_entry *const cmd_table[];
const struct cmd_entry *cmd_find(const char *name);

/* Print the verb's help to fp: "usage: aura VERB USAGE", its summary and
 * its option list; what `aura VERB --help` and `aura help VERB` print.
 * Returns 0. */
int cmd_help(const struct cmd_entry *e, FILE *fp);
/* Print "usage: aura VERB ARGS" to stderr and return 2. */
int cmd_usage(const struct cmd_entry *e);
/* A USAGE error whose detail is the printf text: printed as cli_fail does,
 * returns 2. */
int cli_usage_error(const char *fmt, ...) AURA_PRINTF(1, 2);

#endif
