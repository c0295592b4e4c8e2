/*
 * engine.h -- the job engine: job state machine, scheduler (concurrency,
 * priorities, retries with backoff), running tasks' children through
 * proc.c, progress (throttled to the store), stall and time limits, stop
 * sequences, recovery at start and the orderly shutdown of all children.
 *
 * It lives on the server's loop and is driven by its callbacks and the
 * control requests the server forwards; it tells the server what changed
 * through engine_events (the server turns them into protocol events).
 *
 * Must never: block, poll on a timer when no job runs, lose a state change
 * (every transition is written to the store before it is announced).
 */
#ifndef AURA_ENGINE_H
#define AURA_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/conf.h"
#include "base/errors.h"
#include "base/job.h"
#include "base/paths.h"

struct loop;
struct store;
struct engine;
struct provider;
struct json_t;
struct task_env;
struct task;

struct engine_events {
	/* A job was created or changed (state, stage, error, output...). */
	void (*job_changed)(const struct job *j, void *ctx);
	/* Only progress fields changed; may come often: coalesce. */
	void (*job_progress)(const struct job *j, void *ctx);
	void (*job_removed)(int64_t id, void *ctx);
	/* A line was appended to the job's log (no trailing newline); end is
	 * job.log's size once the line and its newline are written (where the
	 * next line starts), -1 when job.log cannot be written. */
	/* line NULL: job.log grew past what was told (the kept last lines of a
	 * run past max_job_log): followers read it from `end`. */
	void (*job_log)(int64_t id, const char *line, int64_t end, void *ctx);
	/* engine_shutdown finished: no child is left. */
	void (*drained)(void *ctx);
};

struct engine *engine_new(struct loop *loop, struct store *st, const struct aura_config *cfg,
			  const struct aura_paths *paths, const struct engine_events *ev,
			  void *ctx);
void engine_free(struct engine *e);

/* The online providers for asynchronous steps: provider(ctx, name) gives
 * the one instance of a provider by name (its circuit breaker shared by
 * every job), or NULL when it cannot be called (task_async_env.provider).
 * What it gives outlives the engine's use of it: free the engine first.
 * Not set, the default: online providers are off and every chain goes
 * straight to its offline provider. */
void engine_set_providers(struct engine *e,
			  struct provider *(*provider)(void *ctx, const char *name), void *ctx);

/* The registry the runs are counted in (doc/metrics.md): starts, ends by
 * result and code, retries, stalls, queue wait, run time, the children's
 * CPU time. m outlives the engine; NULL (the default): nothing counted. */
struct metrics;
void engine_set_metrics(struct engine *e, struct metrics *m);

/*
 * A job kind's hooks, given by the layer that owns the kind (video/kind.c
 * for JOB_KIND_VIDEO), so that what is above the engine needs no knowledge
 * of it. Either hook may be NULL.
 *   prepare -- a new job of the kind from its request's params (kind set,
 *     nothing else yet): check them and fill in what only the kind knows
 *     (the output it will write). An error is the request's answer.
 *   active -- n jobs of the kind are queued or running (a paused one is
 *     not counted); told when that number changes, and 0 once the engine
 *     shuts down. ctx is the one given to engine_set_kind.
 */
struct engine_kind {
	const char *name;
	int (*prepare)(struct json_t *params, const struct aura_config *cfg, struct job *j,
		       struct aura_error *err);
	void (*active)(void *ctx, size_t n_active);
	/* The task of a job of the kind; NULL: the built-in one (task_new).
	 * Lets a test run a task of its own through the real engine. */
	int (*task_new)(const struct task_env *env, struct job *j, struct task *out,
			struct aura_error *err);
};

/* Register kind's hooks (k must outlive the engine); call it before
 * engine_recover, which takes stock of the kind's jobs in the store. */
void engine_set_kind(struct engine *e, enum job_kind kind, const struct engine_kind *k, void *ctx);

/* Let j->kind's prepare hook fill in a new job from params (see
 * engine_kind). -AURA_E_PROTO_BAD_REQUEST when no such kind is served. */
int engine_prepare(struct engine *e, struct job *j, struct json_t *params, struct aura_error *err);

/* At start: requeue jobs left running/paused (attempts+1), kill their
 * recorded pids if still alive and still FFmpeg, then schedule. A job
 * whose attempts are used up fails with SERVER_CRASHED_DURING_JOB. */
int engine_recover(struct engine *e, struct aura_error *err);

/* The store caught up after it could not be written (the server tells):
 * start what waits. While the store is behind, the engine starts no job
 * and refuses every request that would change one. */
void engine_store_writable(struct engine *e);

/* Queue a new job: j has kind, name, spec (JSON), output, priority and
 * maybe key set; on success j->id and the rest are filled in. When a job
 * already has j->key, nothing is queued: j is replaced by that job (live
 * view) and the return is ENGINE_SUBMIT_EXISTING. */
#define ENGINE_SUBMIT_EXISTING 1
/* j's pool by name (NULL: the default pool), set to the pool's own name;
 * -AURA_E_POOL_UNKNOWN naming the pools there are. engine_submit and
 * engine_submit_batch call it; a request's checks may call it first. */
int engine_pool_resolve(struct engine *e, struct job *j, struct aura_error *err);
int engine_submit(struct engine *e, struct job *j, struct aura_error *err);
/* Queue n jobs (as engine_submit, each with its key) and a new batch
 * (name NULL or "": "batch-ID") in one transaction: all or nothing.
 * existing[i] tells that row i's key was taken (jobs[i].id is that job,
 * nothing else of it is filled in). When every row exists no batch is
 * made (*batch_id 0, *batch_name NULL); else *batch_name is allocated.
 * The new jobs are announced after the commit. */
int engine_submit_batch(struct engine *e, struct job *jobs, size_t n, bool *existing,
			const char *name, int64_t *batch_id, char **batch_name,
			struct aura_error *err);

int engine_cancel(struct engine *e, int64_t id, struct aura_error *err);
int engine_pause(struct engine *e, int64_t id, struct aura_error *err);
int engine_resume(struct engine *e, int64_t id, struct aura_error *err);
int engine_retry(struct engine *e, int64_t id, struct aura_error *err);
int engine_remove(struct engine *e, int64_t id, struct aura_error *err);
/* retry, and a succeeded job is queued again too (its stages cleared: it
 * runs from the start). */
int engine_retry_force(struct engine *e, int64_t id, struct aura_error *err);
/* A queued job's priority (the scheduler's next pick sees it); any other
 * state is -AURA_E_JOB_BAD_STATE. */
int engine_set_priority(struct engine *e, int64_t id, int priority, struct aura_error *err);
/* Remove, as engine_remove each, every finished job whose state is in
 * `states` (bits 1 << job_state; queued, running and paused are never
 * touched), finished at or before before_ms (0: any time), of batch
 * batch_id (0: any): the records in one transaction, then their work
 * directories. *ids (allocated, NULL when *n is 0) are the removed ones;
 * with dry_run, those that would be, and nothing is removed. */
int engine_clean(struct engine *e, unsigned states, int64_t before_ms, int64_t batch_id,
		 bool dry_run, int64_t **ids, size_t *n, struct aura_error *err);

/*
 * Retention by hand (`aura clean --retention`, doc/retention.md): the
 * finished jobs whose work directories [retention] prunes now (*prune)
 * and whose records it removes (*records), allocated (NULL when none).
 * Unless dry_run they are queued for the same slices as the automatic
 * pruning (done on the next turns, not when this returns).
 */
int engine_retention(struct engine *e, bool dry_run, int64_t **prune, size_t *nprune,
		     int64_t **records, size_t *nrecords, struct aura_error *err);

/* One job with live progress (out is job_init'ed by the callee). */
int engine_get(struct engine *e, int64_t id, struct job *out, struct aura_error *err);
/* Like store_job_list, with running jobs' live progress overlaid. */
int engine_list(struct engine *e, int state, int64_t offset, int64_t limit,
		int (*fn)(const struct job *j, void *ctx), void *ctx, struct aura_error *err);
/* The same in a store_job_list_sorted order (the order is the stored
 * values'; the live progress is overlaid after). */
int engine_list_sorted(struct engine *e, int state, int sort, bool desc, int64_t offset,
		       int64_t limit, int (*fn)(const struct job *j, void *ctx), void *ctx,
		       struct aura_error *err);

/* Stop every child with the stop sequence; now = skip the graces (second
 * signal). Running jobs go back to queued (attempt kept) so the next start
 * resumes them. Calls ev->drained once nothing runs. Idempotent. */
void engine_shutdown(struct engine *e, bool now);

/* Jobs holding a slot: running ones and paused ones (a paused job keeps
 * its slot, so resuming never oversubscribes max_jobs). */
int engine_running_count(const struct engine *e);
/* Those of one pool (each pool has its own limit: config_pool_max_jobs). */
int engine_pool_running(const struct engine *e, const char *pool);
/*
 * `aura pool` (pool.c): set pool name's max_jobs (> 0; 0: back to
 * aura.ini's; < 0: unchanged) and whether its queue is paused (1, 0; < 0:
 * unchanged); with running, pausing also pauses its running jobs, and
 * resuming resumes those (not the ones paused one by one). Saved in the store (kept over a
 * restart). A raised limit starts more jobs on the next turn; a lowered
 * one stops none. -AURA_E_POOL_UNKNOWN naming the pools.
 */
int engine_pool_set(struct engine *e, const char *name, int max_jobs, int paused, bool running,
		    struct aura_error *err);
int engine_pool_limit(const struct engine *e, const struct pool_config *p);
bool engine_pool_paused(const struct engine *e, const char *pool);

/*
 * Override the stall timeout and the retry backoff base (both taken from
 * cfg in seconds by engine_new) with milliseconds; a negative value keeps
 * the current one. For tests, which cannot wait whole seconds per step.
 */
void engine_set_timing(struct engine *e, int64_t stall_ms, int64_t backoff_ms);

#endif
