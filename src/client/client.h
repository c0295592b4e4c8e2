/*
 * client.h -- the client side of the control socket: connect (starting a
 * server when none runs, as tmux does), call a method and wait for its
 * answer, read events. Blocking I/O: clients are short-lived processes.
 *
 * Must never: be used inside the server (it blocks), start two servers
 * for one data directory (the spawn lock serialises auto-starts), or run
 * a shell.
 */
#ifndef AURA_CLIENT_H
#define AURA_CLIENT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "base/errors.h"
#include "base/paths.h"

struct client;

/* How long client_connect waits for a server it started to listen. */
#define CLIENT_START_TIMEOUT_MS 10000
/* How long client_call waits for an answer before giving up. */
#define CLIENT_CALL_TIMEOUT_MS 60000

/*
 * Connect to p->socket_path. If nothing listens and autostart is set:
 * take the exclusive lock p->spawn_lock, try once more (another client
 * may have started a server meanwhile), else run
 *   exe [-c CLI_CONFIG] --data-dir DATA serve --daemon
 * (exe is executed directly, no shell; argv[0] is "aura"), and wait up to
 * CLIENT_START_TIMEOUT_MS for the socket to accept. If that command exits
 * with a failure first, the wait ends at once. cli_config may be NULL.
 * Errors: -AURA_E_SERVER_UNREACHABLE (detail: socket path, reason),
 * -AURA_E_PATH_TOO_LONG.
 */
int client_connect(const struct aura_paths *p, const char *exe, const char *cli_config,
		   bool autostart, struct client **out, struct aura_error *err);

/*
 * Send `method` with params (stolen; NULL for none) and wait for the
 * answer carrying the same id. Events read meanwhile are queued for
 * client_next_event(); answers to other ids are dropped. On success
 * *result (may be NULL if the caller does not want it) is the result
 * object, owned by the caller. An `ok: false` answer becomes the
 * catalogue code named by error.code (detail: error.detail, else
 * error.message). The server going away: -AURA_E_SERVER_UNREACHABLE.
 */
int client_call(struct client *c, const char *method, json_t *params, json_t **result,
		struct aura_error *err);
/* client_call waiting at most timeout_ms (> 0) for the answer. */
int client_call_within(struct client *c, const char *method, json_t *params, int timeout_ms,
		       json_t **result, struct aura_error *err);

/*
 * Connect to the socket at path, never starting a server, waiting at most
 * timeout_ms (> 0) for a listener whose backlog is full (SO_SNDTIMEO,
 * which also bounds every later write). Errors: -AURA_E_PATH_TOO_LONG,
 * -AURA_E_SERVER_UNREACHABLE with errno left as connect() set it
 * (ENOENT: nobody; ECONNREFUSED: a stale socket; EAGAIN: the deadline).
 */
int client_connect_within(const char *path, int timeout_ms, struct client **out,
			  struct aura_error *err);

/*
 * The next event: 1 with *ev (owned by the caller), 0 when timeout_ms
 * passed (-1: no limit) or another watcher of client_loop() was called
 * (a signal: the caller checks its flag), negative on error (EOF: -AURA_E_SERVER_UNREACHABLE
 * "server went away"; -AURA_E_PROTO_TOO_LARGE).
 */
int client_next_event(struct client *c, int timeout_ms, json_t **ev, struct aura_error *err);

/* Events already read and queued (received before the last answer). */
size_t client_pending_events(const struct client *c);

/*
 * The loop every wait of c runs (one loop_run_once turn at a time) and
 * that watches c's socket; owned by c. A caller may watch more on it
 * (sig_init_set for SIGINT/SIGTERM): a wait of client_next_event then ends
 * (returns 0) on a turn that called another watcher, so a signal that came
 * before or during the wait ends it with no race between checking a flag
 * and sleeping. client_call keeps waiting for its answer.
 */
struct loop *client_loop(struct client *c);

/*
 * Following a job's log without losing or repeating a line (the rule in
 * doc/protocol.md, "Ordering"): subscribe to the job with logs, `get` its
 * state, read job.log with `logs` calls until one returns no data, drop
 * the log events that arrived before that answer (their lines were in the
 * file), then hand out every later log event's line. A log_gap (the
 * server held lines back: we read too slowly) is the same catch-up from
 * its offset. Events and answers are applied in arrival order, so an old
 * event never undoes a newer state. out() receives log bytes (each event
 * line with its "\n").
 */
struct client_follow {
	int64_t id;
	void (*out)(const char *data, size_t n, void *ctx);
	void *ctx;
	int state;	/* the job's last known enum job_state, -1 unknown */
	bool removed;	/* the job was removed meanwhile */
	bool shutdown;	/* the server announced its shutdown */
	int64_t offset; /* bytes of job.log handed to out() */
};

/* Print (via out) the log from offset 0 until caught up. With subscribe,
 * first subscribe and learn the job's state, ready for follow_step. */
int client_follow_start(struct client *c, struct client_follow *f, bool subscribe,
			struct aura_error *err);
/*
 * Wait up to timeout_ms (-1: no limit) for one event and apply it.
 * 1: following is over (the job ended, was removed, or the server is
 * stopping: see f); 0: go on (also after a signal); negative: error.
 */
int client_follow_step(struct client *c, struct client_follow *f, int timeout_ms,
		       struct aura_error *err);

/*
 * Whether c's connection dropped (EOF, ECONNRESET, EPIPE: "server went
 * away") rather than failing in another way: a request sent on it may or
 * may not have been carried out, so only a request with an idempotency
 * key may be sent again (cli_request_idempotent, src/cli/connect.c).
 */
bool client_lost(const struct client *c);

int client_fd(const struct client *c);

/* ---- the transport under a client (src/client/remote.c) ---- */

/* How long client_free lets a remote client's ssh leave by itself (its
 * stdin closed) before it is stopped. */
#define CLIENT_CHILD_GRACE_MS 2000

/* A client on a connected stream socket fd (owned by the client). */
struct client *client_new_fd(int fd);
/* The process at the other end of c's fd (a remote client's ssh) and its
 * stderr's pipe (both owned by c: client_free closes the fd, lets the
 * child leave or stops it, and reaps it). */
void client_set_child(struct client *c, pid_t pid, int err_fd);
/* Whether c talks to its server through a child (ssh). */
bool client_is_remote(const struct client *c);
/* The last line the child wrote on stderr (waiting up to wait_ms for its
 * EOF, when it is leaving), or NULL; valid until the next call on c. */
const char *client_child_said(struct client *c, int wait_ms);
void client_free(struct client *c);

#endif
