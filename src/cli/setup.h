/*
 * setup.h -- what `aura setup`'s files share: the answers
 * (src/cli/cmd-setup.c asks for them, src/cli/setup-io.c reads them) and
 * the aura.ini written from them (src/cli/setup-ini.c).
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
	bool restart; /* --restart: restart a running server after writing */
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

/* One line of stdin without its newline; NULL at EOF. */
char *setup_read_line(void);

/* Print prompt and read a line with echo off; Ctrl-C restores the
 * terminal first. */
char *setup_read_secret(const char *prompt);

/* "q [def]: " -> the answer (edited with libedit on a terminal), or def
 * on an empty line; NULL at EOF. */
char *setup_ask(const char *q, const char *def);

/* yes/no with a default; EOF counts as the default. */
bool setup_ask_yes(const char *q, bool def);

/* 0 when dir is a writable directory, 1 when it is missing and create is
 * false, else -AURA_E_OUTPUT_UNWRITABLE naming output_dir. create makes
 * the missing directories (mode 0755). */
int setup_check_dir(const char *dir, bool create, struct aura_error *err);

struct cli_ctx;

/* After aura.ini is written: tell about a running server (it keeps the
 * old configuration) and restart it when told to (the wizard asks;
 * s->restart in a script). 0 or an exit status. */
int setup_server_after_write(struct cli_ctx *ctx, const struct setup *s);

#endif
