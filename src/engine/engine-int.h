/*
 * engine-int.h -- what the engine's files share and nothing outside
 * src/engine/ includes: a run (one job holding a slot), the engine itself,
 * and the functions one file of the engine calls in another.
 *
 *   engine.c   the public API and its wiring: life, reading, shutdown,
 *              the job kinds, the task environment
 *   table.c    the job state x request table: submit and the requests
 *   run.c      a run's life: start, end, failure, stop, stall and time limits
 *   run-cmd.c  a run's commands: the child (spawn, output, exit) or the
 *              asynchronous step
 *   run-log.c  job.log and its cap, and the lines to followers
 *   run-slurm.c a Slurm run: srun's lines, scancel in the stop sequence,
 *              pause by scancel --signal, stray jobs at start (slurm.c:
 *              Slurm as text)
 *   sched.c    the scheduler: slots, priorities, backoff, recovery
 */
#ifndef AURA_ENGINE_INT_H
#define AURA_ENGINE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/conf.h"
#include "base/job.h"
#include "base/metrics.h"
#include "base/paths.h"
#include "base/util.h"
#include "engine/engine.h"
#include "engine/joblog.h"
#include "engine/task.h"
#include "ff/ffclass.h"
#include "ff/progress.h"

struct loop;
struct proc;
struct store;

#define STORE_PROGRESS_EVERY_MS 1000	   /* progress rows written at most this often */
#define STDERR_LINE_MAX		8192	   /* a longer stderr line is cut into pieces */
#define STDOUT_CAPTURE_MAX	(4u << 20) /* captured stdout kept for done() */
#define SCHEDULE_MAX_STARTS	256	   /* starts per pass; the rest on the next turn */
/* A child's stderr is read with FFmpeg's progress blocks, else at most
 * this often; at once when it exits. */
#define STDERR_HOLD_MS 200
#define HOOK_LOG_MAX   (64 * 1024) /* bytes of a hook's output kept in job.log */

/* Why the engine is stopping a child; what happens when it is gone. */
enum stop_reason { STOP_NONE, STOP_CANCEL, STOP_STALL, STOP_TIMEOUT, STOP_SHUTDOWN };

/* One job holding a slot (running or paused). */
struct run {
	struct run *next;
	struct engine *e;
	struct job job; /* the live record; the store row follows it */
	struct task task;
	struct task_cmd cmd;
	char *cwd; /* the children's working directory */
	struct proc *proc;
	int log_fd;		  /* job.log, append */
	int64_t log_end;	  /* job.log's size once log_batch is written */
	struct joblog jlog;	  /* its size cap (joblog.h) */
	bool log_cut;		  /* past the cap: lines wait in the ring */
	struct buf err_line;	  /* stderr bytes after the last newline */
	struct buf log_batch;	  /* job.log lines of one stderr read, written at once */
	bool batching;		  /* run_log_line appends to log_batch */
	struct buf out;		  /* captured stdout of the current command */
	struct ffclass_tail tail; /* last 16 KiB of the current command's stderr */
	struct progress_parser parser;
	struct progress_tracker tracker;
	int64_t progress_stored_ms; /* mono ms of the last progress row written */
	uint64_t stall_timer;
	uint64_t timeout_timer;
	int64_t timeout_left_ms; /* job_timeout budget left while paused */
	int64_t timeout_armed_ms;
	enum stop_reason stop;
	/* an asynchronous step (task_step) instead of a child */
	bool stepping;	     /* started, not finished */
	bool step_held;	     /* finished while paused: done() waits for resume */
	uint64_t step_timer; /* the finish, handled on a clean loop turn */
	/* the current command runs through srun (run-slurm.c) */
	const struct pool_config *slurm_pool; /* NULL: a local child */
	char *slurm_name;		      /* aura-SERVERID-JOB-ATTEMPT */
	int slurm_fail;			      /* a failure srun named (catalogue code), 0 */
	char *slurm_fail_line;		      /* its line */
	bool slurm_waiting;		      /* queued by Slurm: no stall timer */
	bool slurm_paused;		      /* the step was sent SIGSTOP */
	uint64_t scancel_timer;		      /* the scancel of the stop sequence */
};

/* A registered job kind and the ids of its jobs queued or running. */
struct kind_slot {
	const struct engine_kind *k; /* NULL: not registered */
	void *ctx;
	int64_t *ids;
	size_t n, cap;
	size_t told; /* the count active() last heard */
};

struct engine {
	struct loop *loop;
	struct store *st;
	const struct aura_config *cfg;
	const struct aura_paths *paths;
	struct engine_events ev;
	void *ctx;
	struct task_env env;
	struct task_async_env aenv;
	/* the online providers by name, from above (NULL: off) */
	struct provider *(*provider)(void *ctx, const char *name);
	void *provider_ctx;
	uint64_t persists;	/* job_persist calls so far */
	char *ffmpeg, *ffprobe; /* resolved paths, NULL if not found */
	struct run *runs;
	int nruns;
	bool schedule_pending;
	uint64_t backoff_timer;
	int64_t backoff_at_ms; /* wall ms the backoff timer is armed for */
	int64_t stall_ms, backoff_ms;
	bool shutting_down;
	bool drained_pending, drained_done;
	struct kind_slot kinds[JOB_KIND__COUNT];
	char *server_id;		    /* names this server's Slurm jobs (doc/cluster.md) */
	struct slurm_child *slurm_children; /* scancel/squeue running */
	uint64_t sweep_timer;
	/* `aura pool`'s controls (pool.c), as the store keeps them */
	struct store_pool_ctl *pctl;
	size_t npctl, npctl_cap;
	struct hook *hooks; /* on_done hooks running (hook.c) */
	int64_t *held;	    /* jobs `aura pool --pause --running` paused */
	size_t nheld, held_cap;
	struct metrics *metrics; /* the server's (doc/metrics.md), or NULL */
	struct retain *retain;	 /* retain.c, NULL until first used */
};

/* engine.c */
void set_str(char **dst, const char *src);
struct run *run_find(struct engine *e, int64_t id);
/* Write the whole record, then announce it: never the other way round. */
void job_persist(struct engine *e, struct job *j);
void job_clear_error(struct job *j);
void job_set_error(struct job *j, int code, const char *detail);
void job_reset_progress(struct job *j);
void maybe_drained(struct engine *e);
/* A job was created or changed / removed: its kind's count follows, then
 * the server is told (ev.job_changed / ev.job_removed). */
void job_announce(struct engine *e, const struct job *j);
void job_announce_removed(struct engine *e, enum job_kind kind, int64_t id);
/* Take stock of the registered kinds' jobs queued or running in the store. */
void kinds_scan(struct engine *e);

/* table.c: a request refused while the store cannot be written */
int refuse_while_behind(struct engine *e, const char *what, struct aura_error *err);

/* retain.c: retention's work (doc/retention.md). retain_kick: look for
 * what is due on the next turn (at start, when a job ends); retain_forget:
 * job id is about to change hands (retry, rm, clean): drop it from the
 * queue, and finish a half-removed directory of it now. */
void retain_kick(struct engine *e);
void retain_forget(struct engine *e, int64_t id);
void retain_free(struct engine *e);

/* run-log.c */
void run_log_flush(struct run *r);
void run_log_finish(struct run *r);
void run_log_line(struct run *r, const char *line);
void run_logf(struct run *r, const char *fmt, ...) AURA_PRINTF(2, 3);
void job_log_append(struct engine *e, const struct job *j, const char *fmt, ...) AURA_PRINTF(3, 4);

/* run.c */
/* A run ended: result "succeeded", "failed" (with code), "cancelled" or
 * "interrupted" (shutdown), counted with its run time (doc/metrics.md). */
void run_count_end(struct run *r, const char *result, int code);
void job_start(struct engine *e, struct job *queued);
void run_free(struct run *r);
void run_advance(struct run *r);
void run_fail(struct run *r, int code, const char *detail);
void run_stopped(struct run *r);
void run_stop(struct run *r, enum stop_reason why, bool now);
void stall_arm(struct run *r);
void timeout_arm(struct run *r);
void timeout_suspend(struct run *r);

/* run-cmd.c */
int run_spawn(struct run *r, struct aura_error *err);
void step_fire(struct loop *l, void *ctx);

/* run-slurm.c */
/* The Slurm pool the current command runs in, NULL: it runs here. */
const struct pool_config *run_slurm_pool(const struct run *r);
/* The srun command line of the current command (run_slurm_pool set). */
int run_slurm_argv(struct run *r, const char *ffmpeg, char ***argv, struct aura_error *err);
/* One stderr line: true if it was srun's own (handled), false if FFmpeg's. */
bool run_slurm_line(struct run *r, const char *line);
/* srun ended: cluster_id and substate cleared, the Slurm job cancelled
 * unless it ended well; returns the failure srun named (0 if none) and its
 * line in *detail (caller frees). */
int run_slurm_exit(struct run *r, bool ok, char **detail);
/* The stop sequence began (q at 0, SIGTERM at quit_ms, SIGKILL at
 * quit_ms + term_ms): scancel in between. */
void run_slurm_stop(struct run *r, int quit_ms, int term_ms);
/* Pause or resume a Slurm run's step: 0, or 1 if the run is not one. */
int run_slurm_pause(struct run *r, bool pause);
void run_slurm_free(struct run *r);
/* List this server's Slurm jobs on the first loop turn and cancel those
 * no run owns. */
void slurm_sweep_start(struct engine *e);
/* engine_free: kill scancel/squeue still running. */
void slurm_children_abandon(struct engine *e);

/* sched.c */
void schedule(struct engine *e);
const char *job_pool(const struct job *j); /* its pool's name ("local" when NULL) */
bool slots_free(const struct engine *e);   /* some pool has a slot free */
int pool_running(const struct engine *e, const char *pool);
void backoff_rearm(struct engine *e, bool slots_free);

/* pool.c: a pool's limit now (`aura pool --max-jobs`, else aura.ini's),
 * whether its queue is paused; the controls read from the store. */
int pool_limit(const struct engine *e, const struct pool_config *p);
bool pool_paused(const struct engine *e, const char *pool);
int pool_ctl_load(struct engine *e, struct aura_error *err);

/* hook.c: a job that ended (succeeded, failed, cancelled; any other state
 * does nothing) announces the queued jobs that run after it again and runs
 * its on_done hook, if it or aura.ini has one;
 * hooks_abandon kills those still running (engine_free). */
void hook_job_ended(struct engine *e, const struct job *j);
void deps_settle(struct engine *e, int64_t id);
/* 1 (and j failed with DEPENDENCY_FAILED, saved, announced) when one of
 * queued job j's dependencies failed, was cancelled or was removed. */
int deps_failed(struct engine *e, struct job *j);
void hooks_abandon(struct engine *e);
int64_t backoff_delay_ms(const struct engine *e, int attempts);

#endif
