/*
 * server-int.h -- what server.c (connections, events, the listener) and
 * the protocol's requests (server-methods.c with the dispatch table,
 * methods-jobs.c, methods-stream.c) share. Internal to the server;
 * nothing else includes it.
 */
#ifndef AURA_SERVER_INT_H
#define AURA_SERVER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "base/errors.h"
#include "client/proto.h"
#include "base/util.h"

/* One connection of a client (not the client library's struct client). */
struct conn {
	struct conn *next;
	struct server *s;
	int fd; /* -1 once closed: the struct waits for the deferred reap */
	long pid;
	struct proto_reader rd;
	struct buf out;
	size_t out_off;	 /* bytes of out already sent */
	int events;	 /* what the loop watches now */
	bool subscribed; /* gets events */
	bool logs;	 /* gets log events */
	bool progress;	 /* gets progress events (unless it said "progress": false) */
	int64_t *ids;	 /* subscription filter, NULL: every job */
	size_t nids;
	int64_t *dirty; /* jobs whose newest progress is not queued yet */
	size_t ndirty, capdirty;
	int64_t *gaps; /* jobs whose log lines are held back until a `logs`
			* read of this client reaches the end of job.log */
	size_t ngaps, capgaps;
	bool closing; /* read nothing more, queue nothing more, close when sent */
	/* Answers to requests whose writes the store could not take yet:
	 * sent once it has caught up (doc/stability.md). */
	struct buf held;
	bool hold;	  /* what is queued now goes to held */
	json_t *err_data; /* set by a request method: its error answer's "data" */
};

/* A job or removed event, encoded, until the turn's writes are committed. */
struct held_event {
	int64_t id;
	char *line;
	size_t len;
};

/* The newest progress event of one running job, encoded once. */
struct prog {
	int64_t id;
	char *line;
	size_t len;
};

struct server {
	struct loop *loop;
	struct store *st;
	struct engine *eng;
	const struct aura_config *cfg;
	const struct aura_paths *paths;
	int lfd;
	bool bound;
	dev_t sock_dev;
	ino_t sock_ino;
	bool accept_paused;
	uint64_t accept_timer;
	struct conn *clients; /* live and closed-not-yet-reaped */
	int nclients;	      /* live ones */
	int nsubscribed;      /* live subscribers (skip encoding when 0) */
	bool reap_pending;
	struct prog *progs;
	size_t nprogs, capprogs;
	size_t lowat;
	/* Provider health: NULL until server_set_http; switched on and off
	 * by the video kind (video/kind.c) through the engine. */
	struct health *health;
	void (*on_shutdown)(bool now, void *ctx);
	void (*on_drained)(void *ctx);
	void *handler_ctx;
	bool shutdown_pending, shutdown_now;
	/* The store's writes: events wait in `held` for the commit of their
	 * turn. While the store is behind, a timer retries (store_retry_ms,
	 * doubling) and events of unsaved writes are dropped: the catch-up
	 * sends every changed job's saved state instead. */
	struct held_event *held;
	size_t nheld, capheld;
	bool committing;
	bool store_bad;	      /* the last commit failed */
	bool store_retry_due; /* the timer fired: try a catch-up */
	uint64_t store_timer;
	int64_t store_retry_ms;
	/* The metrics (stats.c, doc/metrics.md): the registry the engine and
	 * the providers count in, and the [metrics] textfile: written when a
	 * counter (changes) or a job (jobs_dirty) changed, at most every
	 * interval, by a timer armed only then. */
	struct metrics *metrics;
	int64_t start_ms, start_mono_ms;
	uint64_t mfile_changes;	 /* metrics_changes() the file was written at */
	bool mfile_jobs_dirty;	 /* a job changed since */
	bool mfile_failing;	 /* the last write failed (logged once) */
	int64_t mfile_last_mono; /* when it was last written, 0: never */
	uint64_t mfile_timer;
	/* the store's upkeep when idle (upkeep.c) */
	uint64_t upkeep_timer;
	uint64_t upkeep_seen;	 /* store_change_count when last looked */
	int64_t upkeep_first_ms; /* mono ms of the first write of the burst */
	/* server_finish */
	bool finishing, finish_done;
	uint64_t finish_timer;
	void (*done)(void *ctx);
	void *done_ctx;
};

/* Queue one message (server.c); the client may be dropped for it. */
void srv_client_send(struct conn *c, json_t *msg);
void srv_reply_ok(struct conn *c, int64_t id, json_t *result);
void srv_reply_err(struct conn *c, int64_t id, const struct aura_error *err);
void srv_reply_errf(struct conn *c, int64_t id, int code, const char *fmt, ...) AURA_PRINTF(4, 5);
/* After the turn's commit: rows were written, so arm the idle upkeep
 * (upkeep.c), unless it is armed already. */
void srv_upkeep_turn(struct server *s);
/* Commit the turn's writes (or, while behind and due, catch up); what was
 * held for them is released on success. */
void srv_commit(struct server *s);
/* The store's state as the protocol shows it (a new reference):
 * {"writable": bool, "code", "message", "detail", "since_ms", "pending"}. */
json_t *srv_store_json(const struct server *s);
/* A `logs` read of this client reached the end of job `id`'s log: its
 * log events flow again (server.c, "log gaps"). */
void srv_log_caught_up(struct conn *c, int64_t id);
/* The largest answer a client is sent: below client_buffer with room for
 * the log events held before it (server.c). */
size_t srv_answer_max(const struct server *s);
/* The providers' health as the protocol shows it (a new reference). */
json_t *srv_health_json(const struct server *s);
/* [{"name", "executor", "max_jobs", "running"}...]: every pool, local first
 * (in a `list` answer with "counts"). */
json_t *srv_pools_json(struct server *s);
/* methods-pool.c: `pool` (aura pool); a pool's "queued", "paused" and
 * "ini_max_jobs" members in o; a job's "after" (and, while it waits, its
 * "waiting for #3, #5" substate) in o. */
int srv_m_pool(struct conn *c, int64_t id, json_t *params, json_t **result, struct aura_error *err);
struct pool_config;
void srv_pool_json_more(struct server *s, json_t *o, const struct pool_config *p);
void srv_job_json_after(struct server *s, json_t *o, const struct job *j);
#define SRV_AFTER_MAX 256 /* jobs one job may run after */
int srv_param_after(json_t *params, struct job *j, struct aura_error *err);
/* One request line, parsed (server-methods.c). */
void srv_handle(struct conn *c, json_t *msg);

/* The requests (methods-jobs.c, methods-stream.c), as server-methods.c's
 * table calls them: 0 and *result set, or a negative code and err set. */
typedef int (*method_fn)(struct conn *c, int64_t id, json_t *params, json_t **result,
			 struct aura_error *err);
int srv_m_submit(struct conn *c, int64_t id, json_t *params, json_t **result,
		 struct aura_error *err);
int srv_m_new(struct conn *c, int64_t id, json_t *params, json_t **result, struct aura_error *err);
int srv_m_list(struct conn *c, int64_t id, json_t *params, json_t **result, struct aura_error *err);
int srv_m_get(struct conn *c, int64_t id, json_t *params, json_t **result, struct aura_error *err);
int srv_m_cancel(struct conn *c, int64_t id, json_t *params, json_t **result,
		 struct aura_error *err);
int srv_m_pause(struct conn *c, int64_t id, json_t *params, json_t **result,
		struct aura_error *err);
int srv_m_resume(struct conn *c, int64_t id, json_t *params, json_t **result,
		 struct aura_error *err);
int srv_m_retry(struct conn *c, int64_t id, json_t *params, json_t **result,
		struct aura_error *err);
int srv_m_rm(struct conn *c, int64_t id, json_t *params, json_t **result, struct aura_error *err);
int srv_m_clean(struct conn *c, int64_t id, json_t *params, json_t **result,
		struct aura_error *err);
int srv_m_priority(struct conn *c, int64_t id, json_t *params, json_t **result,
		   struct aura_error *err);
int srv_m_logs(struct conn *c, int64_t id, json_t *params, json_t **result, struct aura_error *err);
int srv_m_subscribe(struct conn *c, int64_t id, json_t *params, json_t **result,
		    struct aura_error *err);
/* The checks of `submit` and `new` (methods-jobs.c): a job from a
 * request's params (j job_init'ed by the callee, cleared again on error)
 * and its key (inside params, NULL if none); `batch` checks each row with
 * them. */
int srv_job_from_submit(struct conn *c, json_t *params, struct job *j, const char **key,
			struct aura_error *err);
int srv_job_from_new(struct conn *c, json_t *params, struct job *j, const char **key,
		     struct aura_error *err);
/* methods-batch.c: `batch`, and list/cancel/retry of a "batch" (ref: its
 * id or name); cancel acts on the queued, running and paused jobs, retry
 * on the failed and cancelled ones. */
int srv_m_batch(struct conn *c, int64_t id, json_t *params, json_t **result,
		struct aura_error *err);
int srv_batch_list(struct conn *c, json_t *ref, json_t **result, struct aura_error *err);
int srv_batch_action(struct conn *c, json_t *ref, bool retry, json_t **result,
		     struct aura_error *err);
/* The window [off, off + lim) (lim 0: to the end) of batch bid's jobs
 * that pass f (newest first) into p, *total the number that pass, and
 * *batch its {"id", "name", "total", a count per state} (new reference).
 * Served from the batch's job ids, never from every job of the store;
 * -AURA_E_BATCH_NOT_FOUND when no batch has that id. */
struct page;
struct jobview_filter;
int srv_batch_window(struct conn *c, int64_t bid, const struct jobview_filter *f, int64_t off,
		     int64_t lim, struct page *p, int64_t *total, json_t **batch,
		     struct aura_error *err);
/* After the subscribe answer: the snapshot (methods-stream.c). */
void srv_send_snapshot(struct conn *c);

/* methods-jobs.c: collects JOB objects while they fit into one line. */
struct page {
	json_t *jobs;
	size_t bytes;
	size_t cap;
	bool truncated;
	struct server *srv; /* when set, each job says its "after" */
};
void srv_page_init(struct page *p);
/* An engine_list callback (ctx: the page); 1 once a job no longer fits. */
int srv_page_add(const struct job *j, void *ctx);

/* What a connection has queued and not yet sent. */
static inline size_t srv_pending(const struct conn *c)
{
	return c->out.len - c->out_off;
}

/* conn.c: a connection's backlog, its writing and its closing. */
/* Queue one encoded line; past client_buffer the client is dropped. */
void srv_client_queue(struct conn *c, const char *line, size_t len);
/* Send what is queued (committing the turn's writes first). */
void srv_client_write(struct conn *c);
/* Close now; the struct is freed at the start of the next turn. */
void srv_client_close(struct conn *c, const char *why);
/* Stop reading; close once what is queued is sent (at once if nothing). */
void srv_client_set_closing(struct conn *c);
/* The listener's callback: accept and check each peer. */
void srv_listener_cb(struct loop *l, int lfd, int revents, void *ctx);

/* events.c: the engine's events and the commit per loop turn. */
void srv_ev_job_progress(const struct job *j, void *ctx);
/* Send ev (an event) to every subscriber, and free it (events.c). */
void srv_broadcast(struct server *s, json_t *ev);
/* The batch a request's "batch" param (its id or name) names (methods-batch.c). */
int srv_batch_ref(struct conn *c, json_t *ref, int64_t *bid, char **bname, struct aura_error *err);
void srv_ev_job_log(int64_t id, const char *line, int64_t end, void *ctx);
/* Forget job id's newest progress line. */
void srv_prog_drop(struct server *s, int64_t id);
/* Hold a job or removed event (msg stolen) until the turn's commit. */
void srv_hold_event(struct server *s, int64_t id, json_t *msg);
void srv_held_drop(struct server *s);
/* Commit the turn's writes, then deliver what was held. */
void srv_commit_turn(struct server *s);
/* The loop's before-sleep hook: commit, coalesced progress, writes. */
void srv_before_sleep(struct loop *l, void *ctx);

/* stats.c: the `stats` request; from the before-sleep hook, the textfile's
 * timer armed when something changed and none is. */
int srv_m_stats(struct conn *c, int64_t id, json_t *params, json_t **result,
		struct aura_error *err);
void srv_metrics_check(struct server *s);

/* server.c: once finishing and no client is left, call done() next turn. */
void srv_finish_check(struct server *s);

#endif
