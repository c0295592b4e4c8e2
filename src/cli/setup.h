/*
 * setup.h -- what `aura setup`'s two files share: the answers
 * (src/cli/cmd-setup.c asks for them) and the aura.ini written from them
 * (src/cli/setup-ini.c).
 *
 * Must never: print a key, or keep one after setup_free.
 */
#ifndef AURA_CLI_SETUP_H
#define AURA_CLI_SETUP_H

#include <stdbool.h>

#include "base/errors.h"

#define SETUP_NPROV 5

struct choice {
	bool use;
	char *base_url; /* NULL: the default */
	char *key_env;	/* api_key_env, or NULL */
	char *key;	/* inline key (secret), or NULL */
};

struct setup {
	bool interactive;
	bool test;
	bool force;
	char *ffmpeg;
	char *data_dir;
	char *output_dir;
	struct choice prov[SETUP_NPROV]; /* in provider_names order */
};

/* The index of a provider name in provider_names, or -1. */
int setup_prov_index(const char *name);

/* aura.ini's text for s (the caller frees it). */
char *setup_render_ini(const struct setup *s);

/* Write text to a temporary file beside path (0600), check that aura
 * accepts it, then rename over path. 0 or a negative catalogue code. */
int setup_write_config(const char *path, const char *text, struct aura_error *err);

#endif
