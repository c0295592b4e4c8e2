/*
 * engine-int.h -- what the engine's files share and nothing outside
 * src/engine/ includes: a run (one job holding a slot), the engine itself,
 * and the functions one file of the engine calls in another.
 *
 *   engine.c   the public API and its wiring: life, reading, shutdown,
 *              the job kinds, the task environment
 *   table.c    the job state x request table: submit and the requests
 *   run.c      a run's life: start, end, failure, stop, stall and time limits
 *   run-lanes.c which of the task's commands start when: one alone, or
 *              the parallel ones at once up to the run's lanes
 *   run-cmd.c  a run's commands, one lane each: the child (spawn, output,
 *              exit) or the asynchronous step
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

/* Why the engine is stopping a child; what happens when it is gone.
 * STOP_FAIL: a lane failed (run.fail_code) while others ran. */
enum stop_reason { STOP_NONE, STOP_CANCEL, STOP_STALL, STOP_TIMEOUT, STOP_SHUTDOWN, STOP_FAIL };

struct run;

/* One command of a run and its child or step: a run holds one lane, or
 * several while the task's parallel commands run at once. */
struct lane {
	struct lane *next;
	struct run *r;
	struct task_cmd cmd;
	struct proc *proc;
	struct buf err_line;	  /* stderr bytes after the last newline */
	struct buf out;		  /* captured stdout of the command */
	struct ffclass_tail tail; /* last 16 KiB of the command's stderr */
	struct progress_parser parser;
	struct progress_tracker tracker;
	uint64_t stall_timer;
	/* an asynchronous step (task_step) instead of a child */
	bool stepping;	     /* started, not finished */
	bool step_held;	     /* finished while paused: done() waits for resume */
	uint64_t step_timer; /* the finish, handled on a clean loop turn */
	/* the command runs through srun (run-slurm.c) */
	const struct pool_config *slurm_pool; /* NULL: a local child */
	char *slurm_name;		      /* aura-SERVERID-JOB-ATTEMPT[-lTAG] */
	char *cluster_id;		      /* its Slurm job id once heard */
	int slurm_fail;			      /* a failure srun named (catalogue code), 0 */
	char *slurm_fail_line;		      /* its line */
	bool slurm_waiting;		      /* queued by Slurm: no stall timer */
	bool slurm_paused;		      /* the step was sent SIGSTOP */
	uint64_t scancel_timer;		      /* the scancel of the stop sequence */
};

/* One job holding a slot (running or paused). */
struct run {
	struct run *next;
	struct engine *e;
	struct job job; /* the live record; the store row follows it */
	struct task task;
	char *cwd;		/* the children's working directory */
	struct lane *lanes;	/* the commands running (or held finished) */
	int nlanes;		/* of them */
	int nlanes_local;	/* of them, children here or steps */
	int lanes_local_max;	/* local lanes at once ([server] lanes, CPUs) */
	int lanes_slurm_max;	/* Slurm lanes at once (the pool's slots), 0 */
	struct task_cmd held;	/* a command next() gave that waits for a lane */
	bool has_held;		/* held is set */
	bool advance_held;	/* a lane ended while paused: next() at resume */
	uint64_t advance_timer; /* run_advance_later */
	bool stopping;		/* inside run_stop's walk over the lanes */
	/* progress of a group of parallel commands (task.h) */
	bool group_parallel;  /* the group is of parallel commands */
	double group_start;   /* its weight_start */
	double group_done;    /* weight_len of its commands that ended well */
	int64_t group_out_us; /* out_time of those */
	int fail_code;	      /* STOP_FAIL: the failure, its detail */
	char *fail_detail;
	int log_fd;		    /* job.log, append */
	int64_t log_end;	    /* job.log's size once log_batch is written */
	struct joblog jlog;	    /* its size cap (joblog.h) */
	bool log_cut;		    /* past the cap: lines wait in the ring */
	struct buf log_batch;	    /* job.log lines of one stderr read, written at once */
	bool batching;		    /* run_log_line appends to log_batch */
	struct ffclass_tail tail;   /* the stderr tail of the command that ended last
				       (or failed) */
	int64_t progress_stored_ms; /* mono ms of the last progress row written */
	uint64_t timeout_timer;
	int64_t timeout_left_ms; /* job_timeout budget left while paused */
	int64_t timeout_armed_ms;
	enum stop_reason stop;
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
void run_succeed(struct run *r);
void run_fail(struct run *r, int code, const char *detail);
void run_stopped(struct run *r);
void run_stop(struct run *r, enum stop_reason why, bool now);
/* A lane failed: fail the job now, or stop the other lanes first. */
void run_fail_lanes(struct run *r, int code, const char *detail);
void stall_arm(struct lane *l);
void timeout_arm(struct run *r);
void timeout_suspend(struct run *r);

/* run-lanes.c */
/* This machine's online CPUs (at least 1): the local lanes' default. */
int run_online_cpus(void);
/* The run's lanes at once: [server] lanes (else the online CPUs) here, the
 * pool's slots in a Slurm pool. */
void run_lanes_init(struct run *r);
/* Start what the task has next while a lane is free, or finish the job. */
void run_advance(struct run *r);
/* The same on the next loop turn (resume). */
void run_advance_later(struct run *r);
/* SIGSTOP (pause) or SIGCONT every lane's child, scancel --signal for
 * Slurm lanes; the stall timers stop at pause. 0, or -1 with errno (a
 * failed pause is undone). */
int lanes_pause(struct run *r, bool pause);

/* run-cmd.c */
/* Start cmd (moved into a new lane of r). */
int lane_start(struct run *r, struct task_cmd *cmd, struct aura_error *err);
void lane_free(struct lane *l);
void step_fire(struct loop *l, void *ctx);
/* The job's progress from its lanes (task.h's rule), told and saved. */
void run_progress(struct run *r);
/* The pid the job shows: its first lane's child, 0. */
int run_pid(const struct run *r);

/* run-slurm.c */
/* The Slurm pool command cmd of run r runs in, NULL: it runs here. */
const struct pool_config *run_slurm_pool(const struct run *r, const struct task_cmd *cmd);
/* The srun command line of the lane's command (run_slurm_pool set). */
int run_slurm_argv(struct lane *l, const char *ffmpeg, char ***argv, struct aura_error *err);
/* One stderr line: true if it was srun's own (handled), false if FFmpeg's. */
bool run_slurm_line(struct lane *l, const char *line);
/* srun ended: cluster_id and substate cleared, the Slurm job cancelled
 * unless it ended well; returns the failure srun named (0 if none) and its
 * line in *detail (caller frees). */
int run_slurm_exit(struct lane *l, bool ok, char **detail);
/* The stop sequence began (q at 0, SIGTERM at quit_ms, SIGKILL at
 * quit_ms + term_ms): scancel in between. */
void run_slurm_stop(struct lane *l, int quit_ms, int term_ms);
/* Pause or resume a Slurm lane's step: 0, or 1 if the lane is not one. */
int run_slurm_pause(struct lane *l, bool pause);
void run_slurm_free(struct lane *l);
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
