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
	const char *cli_host;	  /* --host, NULL if not given ("": this machine) */
	/* resolved by cli_ctx_load: --host, else AURA_HOST, else [client] host;
	 * NULL when the server is this machine's. The ssh and remote
	 * commands: AURA_SSH_COMMAND / AURA_REMOTE_COMMAND, else [client]. */
	const char *host;
	const char *ssh_command, *remote_command;
	struct aura_paths paths;
	struct aura_config cfg;
	bool loaded; /* paths+config resolved */
};

/* Resolve paths, read the config, register secrets with the logger, and
 * which server to talk to (host). ensure_dirs makes the local data
 * directory, unless the server is remote.
 * Prints the error and returns its exit status (3...) on failure, else 0. */
int cli_ctx_load(struct cli_ctx *ctx, bool ensure_dirs);
void cli_ctx_free(struct cli_ctx *ctx);

/* With a remote host: REMOTE_UNSUPPORTED naming what (a verb, an
 * option) printed, and its exit status; 0 on this machine. ctx loaded. */
int cli_ctx_local_only(const struct cli_ctx *ctx, const char *what);

/* Print an error (catalogue code + detail + hint) and return its exit status. */
int cli_fail(const struct aura_error *err);

#endif
