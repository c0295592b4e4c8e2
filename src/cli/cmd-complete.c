/*
 * cmd-complete.c -- `aura complete WHAT [VERB [OPTION]]`, hidden (not in
 * `aura help`): the candidates the shell completions (contrib/completions)
 * offer, one a line, generated at run time from the verb table, so a new
 * verb or option is completed without touching the scripts:
 *
 *   verbs              the verbs `aura help` lists
 *   options [VERB]     VERB's options (its template: the -h/--help
 *                      table), or the global ones; long forms, and the
 *                      short form of an option that has no long one
 *   value VERB OPTION  what OPTION's value may be: states (--state),
 *                      pools (--pool), styles (--preset), job ids (--after,
 *                      --job); exit 1 when OPTION takes no value
 *   args VERB          VERB's positional arguments: job ids for a verb of
 *                      ids, verbs for help, codes for explain; exit 1 when
 *                      they are file names or free text
 *   jobs [STATE]       the server's job ids, newest first
 *   states             the job states
 *   pools              the pools of aura.ini ("local" first)
 *   styles             the video presets (`new --preset`)
 *
 * Must never: start a server (no server: no job ids, exit 0), print an
 * error (a shell is drawing a prompt: a broken config or an unknown verb
 * is no candidates, exit 0), or wait long on a busy server.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "client/client.h"
#include "client/proto.h"
#include "ff/ffargs.h"

extern const struct cmd_entry cmd_complete_entry;

/* A server that does not answer this soon is no candidates. */
#define COMPLETE_TIMEOUT_MS 1000
/* Job ids offered: the newest this many. */
#define COMPLETE_JOBS 200

static void print_verbs(void)
{
	for (size_t i = 0; cmd_table[i]; i++)
		if (!(cmd_table[i]->flags & CMD_HIDDEN))
			printf("%s\n", cmd_table[i]->name);
}

static const struct option global_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "data-dir", required_argument, NULL, 'D' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Does the long table name short option c? */
static bool has_long(const struct option *longs, int c)
{
	for (size_t i = 0; longs && longs[i].name; i++)
		if (longs[i].val == c)
			return true;
	return false;
}

static void print_options(const struct cmd_entry *e)
{
	const struct option *longs = e ? e->args.longs : global_opts;
	const char *shorts = e ? e->args.shorts : NULL;
	for (size_t i = 0; longs && longs[i].name; i++)
		printf("--%s\n", longs[i].name);
	for (const char *s = shorts; s && *s; s++)
		if (*s != ':' && *s != '+' && !has_long(longs, *s))
			printf("-%c\n", *s);
	printf("--help\n");
}

/* The paths and config, silently; false if they cannot be read. */
static bool load_quiet(struct cli_ctx *ctx)
{
	struct aura_error err;
	aura_error_clear(&err);
	config_defaults(&ctx->cfg);
	if (paths_resolve_config(&ctx->paths, ctx->cli_config, &err) < 0 ||
	    config_load(&ctx->cfg, ctx->paths.config_file, ctx->paths.config_explicit, &err) < 0 ||
	    paths_resolve_data(&ctx->paths, ctx->cli_data_dir, ctx->cfg.data_dir, &err) < 0) {
		config_free(&ctx->cfg);
		paths_free(&ctx->paths);
		return false;
	}
	ctx->loaded = true;
	return true;
}

static void print_jobs(struct cli_ctx *ctx, const char *state)
{
	if (!load_quiet(ctx))
		return;
	struct client *cl;
	json_t *res = NULL;
	if (client_connect_within(ctx->paths.socket_path, COMPLETE_TIMEOUT_MS, &cl, NULL) < 0)
		return; /* no server: never start one */
	json_t *params = json_pack("{s:i, s:i}", "offset", 0, "limit", COMPLETE_JOBS);
	if (state)
		json_object_set_new(params, "state", json_string(state));
	if (client_call_within(cl, "list", params, COMPLETE_TIMEOUT_MS, &res, NULL) == 0) {
		size_t i;
		json_t *j;
		json_array_foreach(json_object_get(res, "jobs"), i, j)
		{
			json_t *id = json_object_get(j, "id");
			if (json_is_integer(id))
				printf("%lld\n", (long long)json_integer_value(id));
		}
	}
	json_decref(res);
	client_free(cl);
}

static void print_states(void)
{
	for (int s = 0; s < JOB_STATE__COUNT; s++)
		printf("%s\n", job_state_name(s));
}

static void print_pools(struct cli_ctx *ctx)
{
	if (!load_quiet(ctx))
		return;
	for (size_t i = 0; i < config_pool_count(&ctx->cfg); i++)
		printf("%s\n", config_pool_at(&ctx->cfg, i)->name);
}

static void print_styles(void)
{
	int n;
	const struct preset *p = preset_list(&n);
	for (int i = 0; i < n; i++)
		printf("%s\n", p[i].name);
}

/* The option of e named by word ("--state", "--state=x", "-s"); NULL if none. */
static const struct option *find_option(const struct cmd_entry *e, const char *word)
{
	const struct option *longs = e->args.longs;
	if (strncmp(word, "--", 2) == 0) {
		size_t n = strcspn(word + 2, "=");
		for (size_t i = 0; longs && longs[i].name; i++)
			if (strlen(longs[i].name) == n && strncmp(longs[i].name, word + 2, n) == 0)
				return &longs[i];
		return NULL;
	}
	if (word[0] != '-' || !word[1] || word[2])
		return NULL;
	for (size_t i = 0; longs && longs[i].name; i++)
		if (longs[i].val == word[1])
			return &longs[i];
	return NULL;
}

/* 0 and the candidates of OPTION's value (none: any text or a file), or 1
 * when it takes none. */
static int print_value(struct cli_ctx *ctx, const struct cmd_entry *e, const char *word)
{
	const struct option *o = find_option(e, word);
	if (!o) {
		/* a short option without a long name: does the template give
		 * it a value ("s:")? */
		const char *s = e->args.shorts ? strchr(e->args.shorts, word[1]) : NULL;
		return word[0] == '-' && word[1] && word[1] != '-' && !word[2] && s && s[1] == ':'
			   ? 0
			   : 1;
	}
	if (o->has_arg == no_argument)
		return 1;
	if (strcmp(o->name, "state") == 0)
		print_states();
	else if (strcmp(o->name, "pool") == 0)
		print_pools(ctx);
	else if (strcmp(o->name, "preset") == 0 || strcmp(o->name, "style") == 0)
		print_styles();
	else if (strcmp(o->name, "after") == 0 || strcmp(o->name, "job") == 0)
		print_jobs(ctx, NULL);
	return 0;
}

/* 0 and the candidates of e's positional arguments, or 1: file names. */
static int print_args(struct cli_ctx *ctx, const struct cmd_entry *e)
{
	extern const struct cmd_entry cmd_help_entry;
	extern const struct cmd_entry cmd_explain_entry;
	if (e->args.ids || (e->flags & CMD_JOB_ARGS))
		print_jobs(ctx, NULL);
	else if (e == &cmd_help_entry)
		print_verbs();
	else if (e == &cmd_explain_entry)
		for (int i = 1; i < AURA_E__COUNT; i++)
			printf("%s\n", aura_error_name(i));
	else if (e->args.max != 0)
		return 1;
	return 0;
}

static int cmd_complete_run(struct cli_ctx *ctx, int argc, char **argv)
{
	/* no args_parse: the words are a shell's, never a usage error */
	const char *what = argc > 1 ? argv[1] : "";
	const struct cmd_entry *e = argc > 2 ? cmd_find(argv[2]) : NULL;
	if (strcmp(what, "verbs") == 0)
		print_verbs();
	else if (strcmp(what, "options") == 0) {
		if (argc <= 2 || e)
			print_options(e);
	} else if (strcmp(what, "value") == 0) {
		if (!e || argc < 4)
			return 1;
		return print_value(ctx, e, argv[3]);
	} else if (strcmp(what, "args") == 0) {
		if (!e)
			return 0;
		return print_args(ctx, e);
	} else if (strcmp(what, "jobs") == 0)
		print_jobs(ctx, argc > 2 ? argv[2] : NULL);
	else if (strcmp(what, "states") == 0)
		print_states();
	else if (strcmp(what, "pools") == 0)
		print_pools(ctx);
	else if (strcmp(what, "styles") == 0)
		print_styles();
	return 0;
}

const struct cmd_entry cmd_complete_entry = {
	.name = "complete",
	.usage = "verbs | options [VERB] | value VERB OPTION | args VERB | jobs [STATE] | "
		 "states | pools | styles",
	.args = { .shorts = NULL, .min = 0, .max = ARGS_ANY },
	.summary = "print completion candidates, one a line (for the shell completions)",
	.help = NULL,
	.flags = CMD_HIDDEN,
	.run = cmd_complete_run,
};
