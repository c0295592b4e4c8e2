/*
 * remote.h -- a client of a server on another machine, through ssh
 * (doc/remote.md): the ssh://[USER@]HOST[:PORT][/DATA_DIR] address, the
 * ssh command line that runs `aura dial-stdio` there, and the one
 * function every front end connects with (local socket or ssh).
 *
 * Must never: run a shell on this machine (ssh is spawned from an argv;
 * the one shell involved is the remote login shell ssh always uses, and
 * every word it gets is single-quoted), put a password or key anywhere,
 * or open a port.
 */
#ifndef AURA_CLIENT_REMOTE_H
#define AURA_CLIENT_REMOTE_H

#include <stdbool.h>

#include "base/errors.h"
#include "client/client.h"
#include "client/ctx.h"

struct remote_url {
	char *user;	/* NULL: ssh's choice (~/.ssh/config, the local user) */
	char *host;	/* a name, an alias of ~/.ssh/config, IPv4, or IPv6 without [] */
	int port;	/* 0: ssh's choice */
	char *data_dir; /* NULL: the remote side's default */
};

/* Parse ssh://[USER@]HOST[:PORT][/DATA_DIR] ("/~/DIR": DIR under the
 * remote home, "/~": the home). -AURA_E_HOST_INVALID with a detail. */
int remote_url_parse(const char *url, struct remote_url *out, struct aura_error *err);
void remote_url_free(struct remote_url *u);

/* word quoted for a POSIX shell: as is when it holds only characters no
 * shell treats specially, else in single quotes ('\'' for a quote).
 * Caller frees. */
char *remote_quote(const char *word);

/*
 * The ssh argv (NULL-terminated, free with remote_argv_free):
 *   SSH_WORDS -T [-p PORT] [-l USER] -- HOST "REMOTE_WORDS [--data-dir DIR] dial-stdio
 * [--no-start]" ssh_cmd and remote_cmd are split as a shell would (shsplit; NULL or empty: "ssh",
 * "aura"); the remote command is one string of quoted words. -AURA_E_HOST_INVALID when one cannot
 * be split.
 */
int remote_argv(const struct remote_url *u, const char *ssh_cmd, const char *remote_cmd,
		bool autostart, char ***argv, struct aura_error *err);
void remote_argv_free(char **argv);

/*
 * Connect to the server at url through ssh: ssh's stdin and stdout are
 * one end of a socketpair, the client keeps the other; its stderr is a
 * pipe whose last line becomes the error's detail. The connection is
 * checked with a `ping` (waiting up to timeout_ms: ssh may be asking for
 * a password on the terminal). Errors: -AURA_E_HOST_INVALID,
 * -AURA_E_SERVER_UNREACHABLE ("ssh HOST: <ssh's or the remote aura's
 * last line>").
 */
int client_connect_remote(const char *url, const char *ssh_cmd, const char *remote_cmd,
			  bool autostart, int timeout_ms, struct client **out,
			  struct aura_error *err);

/* How long a remote connect may take (ssh's handshake, a password). */
#define REMOTE_CONNECT_TIMEOUT_MS 60000

/*
 * The one way a front end connects: to ctx's host through ssh when it has
 * one (cli_ctx_host), else to the local socket of ctx's data directory
 * (client_connect, with the auto-start when asked). ctx must be loaded.
 */
int client_open(const struct cli_ctx *ctx, bool autostart, struct client **out,
		struct aura_error *err);

#endif
