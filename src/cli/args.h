/*
 * args.h -- a verb's argument template (tmux's cmd_entry .args) and the one
 * parser that walks argv by it: the options (getopt_long's short string and
 * long table), how many positional arguments, and whether they are job ids.
 * Every verb's usage errors come from here, worded and numbered alike:
 *
 *   an unknown option, or one missing its value: getopt's own line
 *     ("ls: unrecognized option '--x'"), the template's bad_option hint as
 *     a USAGE error if it has one, then the usage line; exit 2;
 *   too few or too many positional arguments: the usage line; exit 2;
 *   a positional that is no job id (when ids): USAGE "'x' is not a job
 *     id"; exit 2.
 *
 * -h/--help is no option of a template: every verb takes it, and main
 * answers it before the verb runs (args_wants_help, then cmd_help), so a
 * broken config or a missing server never hides a verb's help.
 *
 * A verb that must check an option's value where it stands (before a later
 * option's error, and before the count: the order a user reads them in)
 * gives the template an option hook; otherwise it reads the parsed options
 * afterwards with args_has/args_get.
 *
 * Must never: exit() (the parse returns the status for the verb to
 * return), or allocate (a struct args lives on the verb's stack and points
 * into argv).
 */
#ifndef AURA_CLI_ARGS_H
#define AURA_CLI_ARGS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cmd_entry;

/* A template with more distinct options is a programming error (assert). */
#define ARGS_MAX_OPTIONS 64
/* .max for "any number of positional arguments" */
#define ARGS_ANY (-1)

/* Called for each option as it is met, in argv order; 0, or the exit status
 * that ends the parse (the verb has printed its error). */
typedef int (*args_option_fn)(int code, const char *value, void *ud);

struct args_template {
	/* getopt_long's short-option string ("+" first: stop at the first
	 * positional, as submit must); NULL: the verb takes no options, every
	 * word (even "-x" or "--") is a positional argument. */
	const char *shorts;
	const struct option *longs; /* getopt_long's table, or NULL */
	int min, max;		    /* positional arguments; max may be ARGS_ANY */
	bool ids;		    /* every positional is a job id */
	/* printed as a USAGE error before the usage line when an option is
	 * wrong, or NULL */
	const char *bad_option;
	args_option_fn option; /* or NULL */
};

struct args {
	int argc;    /* the positional arguments */
	char **argv; /* (inside the verb's argv) */
	size_t n;
	struct {
		int code;	   /* what getopt_long returned */
		int count;	   /* times given */
		const char *value; /* the last one given, or NULL */
	} opt[ARGS_MAX_OPTIONS];
};

/* Walk argv (argv[0] is the verb) by e->args; 0 and *a filled, or the exit
 * status for the verb to return (the error is printed). ud goes to the
 * template's option hook. */
int args_parse(const struct cmd_entry *e, int argc, char **argv, struct args *a, void *ud);

/* Does argv (argv[0] is the verb) ask for the verb's help: -h or --help
 * met by the same walk args_parse does, before any wrong option (a verb
 * without options: argv[1] is -h or --help)? Prints nothing. */
bool args_wants_help(const struct cmd_entry *e, int argc, char **argv);

/* Was option `code` given (how many times)? */
int args_count(const struct args *a, int code);
bool args_has(const struct args *a, int code);
/* The value of the last `code` given, or NULL. */
const char *args_get(const struct args *a, int code);
/* Positional i as a job id (only when the template's ids is set). */
int64_t args_id(const struct args *a, int i);

/* A job id: a positive decimal number ("12"; "#12" also accepted). */
bool cli_parse_id(const char *s, int64_t *out);

#endif
