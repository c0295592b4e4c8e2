/*
 * connect.h -- the job verbs' connection to the server (with auto-start)
 * and Ctrl-C while they wait on it.
 *
 * Must never: exit() (verbs return a status).
 */
#ifndef AURA_CLI_CONNECT_H
#define AURA_CLI_CONNECT_H

#include <stdbool.h>

#include <jansson.h>

#include "client/client.h"
#include <sys/types.h>

#include "client/ctx.h"

/* The exit status of a watch ended by Ctrl-C (128 + SIGINT, as a shell). */
#define CLI_EXIT_INTERRUPTED 130

/* Connect to the data directory's server, starting one when autostart
 * (through /proc/self/exe, so argv[0] does not matter). 0, or the error
 * is printed and its exit status returned. */
int cli_connect(struct cli_ctx *ctx, bool autostart, struct client **out);

/*
 * A request that queues jobs (`new`, `submit`, a future `batch`) sent so
 * that it is carried out exactly once: params (stolen) get an idempotency
 * key when they have none (cli_auto_key), then the request is sent on a
 * new connection (auto-starting a server, as cli_connect). When that
 * connection drops before the answer (client_lost: the server died or was
 * killed, with or without our job committed), the same request is sent
 * again on a new connection (a new server started if needed), at most
 * CLI_RESEND_TIMES times within CLI_RESEND_WITHIN_MS, waiting
 * CLI_RESEND_FIRST_MS, then twice as long each time: the key makes the
 * server answer a resend whose first try was committed with that job
 * ("existing": true), so the user gets one job either way. The
 * JOB_KEY_EXISTS note is printed only when the user's own key named a job
 * made before this request (cli_note_existing).
 * 0 with *result (the answer's result, the caller's) and, when clp is not
 * NULL, *clp the connection it came on (the caller frees it); else the
 * error is printed and its exit status returned.
 */
#define CLI_RESEND_TIMES     5
#define CLI_RESEND_WITHIN_MS 30000
#define CLI_RESEND_FIRST_MS  100
int cli_request_idempotent(struct cli_ctx *ctx, const char *method, json_t *params,
			   struct client **clp, json_t **result);

/* Ask the server on cl to stop in order (`shutdown`, now or with its
 * grace periods) and wait until its process has exited, so that the next
 * command starts a new one (`aura shutdown`, `aura setup --restart`).
 * Frees cl. 0 with *pid the server's pid (0: it did not say), or the
 * error printed and its exit status returned. */
int cli_server_stop(struct cli_ctx *ctx, struct client *cl, bool now, pid_t *pid);

/* A fresh key for a request the user gave none: "cli:" and 32 hex digits
 * from getrandom(). Caller frees. */
#define CLI_AUTO_KEY_PREFIX "cli:"
char *cli_auto_key(void);

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
