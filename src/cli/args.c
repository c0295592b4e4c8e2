/*
 * args.c -- the one walk of a verb's argv by its template (cli/args.h):
 * the only getopt loop of the verbs, and the only check that a positional
 * argument is a job id.
 *
 * Must never: exit(), or word an error differently for one verb than for
 * another.
 */
#include "config.h"

#include <assert.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cmd.h"
#include "base/util.h"

bool cli_parse_id(const char *s, int64_t *out)
{
	int64_t v;
	if (s[0] == '#')
		s++;
	if (!*s || *s == '-' || *s == '+' || parse_int64(s, &v) < 0 || v <= 0)
		return false;
	*out = v;
	return true;
}

static void note(struct args *a, int code, const char *value)
{
	size_t i = 0;
	while (i < a->n && a->opt[i].code != code)
		i++;
	if (i == a->n) {
		assert(a->n < ARGS_MAX_OPTIONS);
		a->opt[a->n++].code = code;
	}
	a->opt[i].count++;
	a->opt[i].value = value;
}

static int bad_usage(const struct cmd_entry *e)
{
	if (e->args.bad_option)
		cli_usage_error("%s", e->args.bad_option);
	return cmd_usage(e);
}

int args_parse(const struct cmd_entry *e, int argc, char **argv, struct args *a, void *ud)
{
	const struct args_template *t = &e->args;
	int first = 1;

	memset(a, 0, sizeof(*a));
	if (t->shorts) {
		static const struct option none[] = { { NULL, 0, NULL, 0 } };
		int c;
		optind = 0; /* a fresh scan (glibc: full reinit) */
		while ((c = getopt_long(argc, argv, t->shorts, t->longs ? t->longs : none, NULL)) !=
		       -1) {
			if (c == '?' || c == ':')
				return bad_usage(e);
			note(a, c, optarg);
			if (t->option) {
				int rc = t->option(c, optarg, ud);
				if (rc)
					return rc;
			}
		}
		first = optind;
	}
	a->argc = argc - first;
	a->argv = argv + first;
	if (a->argc < t->min || (t->max != ARGS_ANY && a->argc > t->max))
		return cmd_usage(e);
	for (int i = 0; t->ids && i < a->argc; i++) {
		int64_t id;
		if (!cli_parse_id(a->argv[i], &id))
			return cli_usage_error("'%s' is not a job id", a->argv[i]);
	}
	return 0;
}

bool args_wants_help(const struct cmd_entry *e, int argc, char **argv)
{
	const struct args_template *t = &e->args;
	bool help = false;

	if (!t->shorts)
		return argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0);

	/* The verb's own tables with -h/--help added, walked silently: the
	 * same walk args_parse does, so an error before --help stays the
	 * error, and submit's "--" (or its "+": the first positional) ends
	 * the search as it ends the options. */
	char shorts[64];
	struct option longs[64];
	size_t n = 0;
	int c;
	assert(strlen(t->shorts) + 2 <= sizeof(shorts));
	snprintf(shorts, sizeof(shorts), "%sh", t->shorts);
	for (; t->longs && t->longs[n].name; n++) {
		assert(n + 2 < sizeof(longs) / sizeof(longs[0]));
		longs[n] = t->longs[n];
	}
	longs[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	longs[n] = (struct option){ NULL, 0, NULL, 0 };

	int saved_opterr = opterr;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		if (c == 'h') {
			help = true;
			break;
		}
		if (c == '?' || c == ':')
			break;
	}
	opterr = saved_opterr;
	optind = 0; /* the verb's args_parse starts afresh */
	return help;
}

int args_count(const struct args *a, int code)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->opt[i].code == code)
			return a->opt[i].count;
	return 0;
}

bool args_has(const struct args *a, int code)
{
	return args_count(a, code) > 0;
}

const char *args_get(const struct args *a, int code)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->opt[i].code == code)
			return a->opt[i].value;
	return NULL;
}

int64_t args_id(const struct args *a, int i)
{
	int64_t id = 0;
	assert(i >= 0 && i < a->argc);
	cli_parse_id(a->argv[i], &id);
	return id;
}
