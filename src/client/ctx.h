/*
 * ctx.h -- the context of one run of aura as a client, which every CLI
 * verb and the TUI receive: the command line's -c/--data-dir, and the
 * paths and configuration they resolve to (loaded once, on first need).
 * Also how a front end reports a catalogue error before it exits.
 *
 * Must never: hold server state; print anything but the error it is given.
 */
#ifndef AURA_CLIENT_CTX_H
#define AURA_CLIENT_CTX_H

#include <stdbool.h>

#include "base/conf.h"
#include "base/errors.h"
#include "base/paths.h"

struct cli_ctx {
	const char *cli_config;	  /* -c/--config, NULL if not given */
	const char *cli_data_dir; /* --data-dir, NULL if not given */
	struct aura_paths paths;
	struct aura_config cfg;
	bool loaded; /* paths+config resolved */
};

/* Resolve paths, read the config, register secrets with the logger.
 * Prints the error and returns its exit status (3...) on failure, else 0. */
int cli_ctx_load(struct cli_ctx *ctx, bool ensure_dirs);
void cli_ctx_free(struct cli_ctx *ctx);

/* Print an error (catalogue code + detail + hint) and return its exit status. */
int cli_fail(const struct aura_error *err);

#endif
