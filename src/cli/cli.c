/*
 * cli.c -- what every verb shares: the usage line and the help. (The context and error
 * printing, which the TUI shares too, are src/client/ctx.c.)
 *
 * Must never: exit() (verbs return a status to main).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "cli/cmd.h"

int cmd_help(const struct cmd_entry *e, FILE *fp)
{
	fprintf(fp, "usage: aura %s %s\n\n%s\n", e->name, e->usage, e->summary);
	if (e->help)
		fprintf(fp, "\n%s", e->help);
	return 0;
}

int cmd_usage(const struct cmd_entry *e)
{
	fprintf(stderr, "usage: aura %s %s\n", e->name, e->usage);
	fprintf(stderr, "Try 'aura help %s' for more information.\n", e->name);
	return 2;
}

int cli_usage_error(const char *fmt, ...)
{
	struct aura_error err;
	char detail[sizeof(err.detail)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	aura_error_set(&err, AURA_E_USAGE, "%s", detail);
	return cli_fail(&err);
}
