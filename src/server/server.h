/*
 * server.h -- the control socket on the loop: listening (runtime dir 0700,
 * socket 0600, stale socket replaced only when nothing answers on it), the
 * peer uid check, one connection per client with its line reader and
 * bounded outbound buffer, the requests of doc/protocol.md forwarded to the
 * engine, and the engine's events turned into protocol events (progress
 * coalesced per client).
 *
 * Must never: block on a client, read a byte from a peer of another uid,
 * let one client's backlog grow past [server] client_buffer, close a
 * connection because of a bad request (only for an over-size line), arm a
 * timer per client, or keep anything of a client after it went away.
 */
#ifndef AURA_SERVER_H
#define AURA_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/conf.h"
#include "engine/engine.h"
#include "base/errors.h"
#include "base/paths.h"

struct loop;
struct store;
struct server;
struct http;
struct health;

/*
 * A server for the loop. The store is read for `get` (stages); cfg and
 * paths must outlive the server. The engine is attached afterwards
 * (server_set_engine), because the engine is created with the server's
 * event table (server_engine_events, ctx = the server).
 */
struct server *server_new(struct loop *l, struct store *st, const struct aura_config *cfg,
			  const struct aura_paths *paths);
void server_set_engine(struct server *s, struct engine *e);

/*
 * The HTTP client for the providers' background health (doc/providers.md,
 * "Health"); h may be NULL (libcurl failed: configured providers are shown
 * failing). Call it once, right after server_new; h must outlive the
 * server. Without this call the server reports no providers.
 */
void server_set_http(struct server *s, struct http *h);

/* The providers' health server_set_http made (NULL before it), for the
 * video kind to switch on and off (video_kind_register); the server owns
 * it. */
struct health *server_health(struct server *s);

/* The engine_events table to pass to engine_new with the server as ctx. */
extern const struct engine_events server_engine_events;

/*
 * What the owner does for the server:
 *   on_shutdown(now) -- a client sent `shutdown` (called from the loop,
 *     after the answer is queued); start the same shutdown as for SIGTERM.
 *   on_drained() -- the engine's drained event: no child is left.
 */
void server_set_handlers(struct server *s, void (*on_shutdown)(bool now, void *ctx),
			 void (*on_drained)(void *ctx), void *ctx);

/*
 * Call it after engine_recover. Create the runtime directory (0700), replace a stale socket (only
 * if connecting to it is refused: the caller must hold the data directory's server lock), bind
 * (0600) and listen. Errors: -AURA_E_SERVER_RUNNING (something answers on the socket),
 * -AURA_E_PATH_TOO_LONG, -AURA_E_DATA_DIR (directory or socket cannot be made).
 */
int server_listen(struct server *s, struct aura_error *err);

/* Stop accepting connections (the socket file stays until
 * server_unlink_socket). Connected clients are still served. */
void server_close_listener(struct server *s);

/* Queue {"event":"shutdown"} to every subscriber; each such connection is
 * closed once that line is written. No event is queued to them after it. */
void server_broadcast_shutdown(struct server *s);

/*
 * The end: stop reading from every client, write what is queued to them
 * (never waiting more than max_wait_ms), close them all, then call
 * done(ctx) from the loop. done is called exactly once.
 */
void server_finish(struct server *s, int64_t max_wait_ms, void (*done)(void *ctx), void *ctx);

/* Remove the socket file if it is still the one we bound. */
void server_unlink_socket(struct server *s);

/*
 * The metrics (doc/metrics.md): m is the registry the engine and the
 * providers count in (it outlives the server); the server shows it with
 * its gauges (`stats`) and keeps [metrics] textfile written. The server's
 * start time is taken here.
 */
struct metrics;
void server_set_metrics(struct server *s, struct metrics *m);
/* Write [metrics] textfile now, if one is set (at start and at shutdown). */
void server_metrics_write(struct server *s);

/* Clients connected now (for tests and logs). */
int server_client_count(const struct server *s);

/* Close every connection and the listener; the socket file is left (see
 * server_unlink_socket). NULL is fine. */
void server_free(struct server *s);

#endif
