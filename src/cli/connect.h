/*
 * connect.h -- the job verbs' connection to the server (with auto-start)
 * and Ctrl-C while they wait on it.
 *
 * Must never: exit() (verbs return a status).
 */
#ifndef AURA_CLI_CONNECT_H
#define AURA_CLI_CONNECT_H

#include <stdbool.h>

#include "client/client.h"
#include "client/ctx.h"

/* The exit status of a watch ended by Ctrl-C (128 + SIGINT, as a shell). */
#define CLI_EXIT_INTERRUPTED 130

/* Connect to the data directory's server, starting one when autostart
 * (through /proc/self/exe, so argv[0] does not matter). 0, or the error
 * is printed and its exit status returned. */
int cli_connect(struct cli_ctx *ctx, bool autostart, struct client **out);

/*
 * Ctrl-C while watching: watch_begin() blocks SIGINT and SIGTERM and
 * watches them (sig_init_set) on the loop the client waits on
 * (client_loop), so a signal ends the client's wait and none slips between
 * a check and a wait; watch_interrupted() says if one came; watch_end()
 * restores the mask.
 */
void watch_begin(struct client *c);
bool watch_interrupted(void);
void watch_end(void);

#endif
