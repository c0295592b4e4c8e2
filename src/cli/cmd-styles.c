/*
 * cmd-styles.c -- `aura styles [--json]`: the styles `--style` can take,
 * built-in first, then the [style NAME] sections of this client's
 * aura.ini, each with its base and every key resolved.
 *
 * Must never: start the server (styles are the client's configuration).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/conf.h"
#include "cli/cmd.h"
#include "client/ctx.h"

extern const struct cmd_entry cmd_styles_entry;

static const struct option styles_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 },
};

static bool is_builtin(size_t i)
{
	return i < 3; /* config_style_name_at: clean, shorts, lecture first */
}

static int cmd_styles_run(struct cli_ctx *ctx, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&cmd_styles_entry, argc, argv, &a, NULL);
	if (rc)
		return rc;
	if ((rc = cli_ctx_local_only(ctx, "aura styles")) != 0)
		return rc;
	const struct aura_config *cfg = &ctx->cfg;
	const char *def = cfg->style ? cfg->style : "clean";
	json_t *arr = args_has(&a, 'j') ? json_array() : NULL;
	for (size_t i = 0; i < config_style_count(cfg); i++) {
		const char *name = config_style_name_at(cfg, i);
		struct style_config s;
		config_style(cfg, name, &s);
		bool user = !is_builtin(i) || s.set;
		json_t *keys = json_object();
		if (!arr)
			printf("%s%s%s%s%s\n", name, strcmp(name, def) == 0 ? " (default)" : "",
			       user ? " [style " : " (built-in)", user ? name : "",
			       user ? "]" : "");
		if (!arr && *s.base && strcmp(s.base, name) != 0)
			printf("  %-22s %s\n", "base", s.base);
		for (size_t k = 0; k < config_style_key_count(); k++) {
			char *v = config_style_value_text(&s, k);
			if (arr)
				json_object_set_new(keys, config_style_key_name(k), json_string(v));
			else
				printf("  %-22s %s\n", config_style_key_name(k), *v ? v : "\"\"");
			free(v);
		}
		if (arr)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:b, s:b, s:o}", "name",
							     name, "base", *s.base ? s.base : name,
							     "builtin", is_builtin(i), "default",
							     strcmp(name, def) == 0, "keys", keys));
		else
			json_decref(keys);
	}
	if (arr) {
		json_t *root = json_pack("{s:o}", "styles", arr);
		char *text = json_dumps(root, JSON_COMPACT);
		puts(text ? text : "{}");
		free(text);
		json_decref(root);
	}
	return 0;
}

const struct cmd_entry cmd_styles_entry = {
	.name = "styles",
	.usage = "[--json]",
	.args = { .shorts = "j", .longs = styles_opts, .min = 0, .max = 0 },
	.summary = "list the styles --style takes, with their settings",
	.help =
	    "  -j, --json   {\"styles\": [{name, base, builtin, default, keys: {KEY: VALUE}}]}\n"
	    "\n"
	    "The built-in styles (clean, shorts, lecture), then the [style NAME] sections\n"
	    "of this aura.ini, each with every key resolved over its base (a section\n"
	    "named like a built-in shows that built-in with its keys changed). Exit 0.\n",
	.flags = CMD_NEEDS_CONFIG,
	.run = cmd_styles_run,
};
