/*
 * serve.h -- the server's whole life, as tmux keeps server_start,
 * server_loop and server_signal in server.c: the data directory's lock
 * and pid file, --daemon detaching, the start-up order (log, store and its
 * checks, loop, signals, HTTP, socket, engine, recovery, commit per loop
 * turn, listen), signals, the orderly shutdown and the teardown. `aura
 * serve` (src/cli/cmd-serve.c) parses its arguments and calls
 * server_run; tests call it to drive the same wiring. See doc/server.md.
 *
 * Must never: run two servers on one data directory, return before every
 * child is stopped (short of a child that ignores SIGKILL), leave the
 * socket or pid file behind after a clean exit, or block the loop.
 */
#ifndef AURA_SERVE_H
#define AURA_SERVE_H

#include <stdbool.h>

#include "base/conf.h"
#include "base/paths.h"

struct server_opts {
	const struct aura_config *cfg;	/* must outlive the call */
	const struct aura_paths *paths; /* its directories exist (paths_ensure) */
	bool daemon;			/* detach; see server_run */
	bool accept_empty_store;	/* --accept-empty-store (STORE_EMPTY) */
};

/*
 * Run a server on o->paths until an orderly shutdown (SIGINT/SIGTERM or
 * the `shutdown` request) has stopped every child, then tear it down.
 * Returns the process's exit status: 0 after a clean run; when it cannot
 * start, the catalogue code's status, the error printed on stderr as any
 * verb prints one; 5 when the loop fails (logged).
 *
 * With o->daemon the calling process runs its own command line again,
 * detached (a grandchild, in a new session, its stdio on /dev/null; the
 * ready pipe as fd 3, named by AURA_SERVE_READY_FD): it returns 0 once the
 * detached server accepts connections (or prints why it cannot start and
 * returns that code's status), while the detached server (that command
 * line's server_run, in "/") runs and returns from its own call when it
 * ends. The caller only passes the status on.
 */
int server_run(const struct server_opts *o);

#endif
