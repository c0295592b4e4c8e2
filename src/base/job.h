/*
 * job.h -- the job record shared by the store, the engine, the protocol and
 * the clients: states, kinds, progress, error. Plain data, no I/O.
 *
 * Must never: know about SQLite, sockets or processes.
 */
#ifndef AURA_JOB_H
#define AURA_JOB_H

#include <stdbool.h>
#include <stdint.h>

enum job_state {
	JOB_QUEUED,
	JOB_RUNNING,
	JOB_PAUSED,
	JOB_SUCCEEDED,
	JOB_FAILED,
	JOB_CANCELLED,
	JOB_STATE__COUNT
};

enum job_kind { JOB_KIND_FFMPEG, JOB_KIND_VIDEO, JOB_KIND__COUNT };

/*
 * Size limits of a job's parameters, checked at submit (doc/protocol.md,
 * "Limits"), so that no record can outgrow a protocol line: bytes of a
 * name, of a topic, of a path (output, cwd, --images, --music), and of the
 * whole spec as compact JSON (the FFmpeg arguments, or a video's options
 * with its script).
 */
#define JOB_NAME_MAX  1024
#define JOB_TOPIC_MAX 4096
#define JOB_PATH_MAX  4096
#define JOB_SPEC_MAX  (256 * 1024)
#define JOB_KEY_MAX   200 /* bytes of an idempotency key (at least 1) */
#define JOB_POOL_MAX  64  /* bytes of a pool name */

struct job {
	int64_t id;
	enum job_kind kind;
	char *name;
	enum job_state state;
	int priority;  /* higher runs first */
	char *spec;    /* JSON text: {"argv":[...]} or the video options */
	char *output;  /* final output path, NULL if unknown */
	char *workdir; /* DATA/jobs/ID */
	int64_t created_ms, started_ms, finished_ms, updated_ms;
	int attempts; /* attempts started so far */
	int max_attempts;
	int64_t not_before_ms; /* retry backoff: do not start before this */
	char *stage;	       /* current stage name (video), NULL for ffmpeg */
	double progress;       /* 0..1 overall, monotonic within an attempt */
	int64_t out_time_us;   /* from -progress */
	int64_t duration_us;   /* known total, 0 if unknown */
	double fps, speed;
	int64_t size;	     /* output bytes so far */
	double eta_s;	     /* seconds, < 0 unknown */
	int pid;	     /* running child's pid (its pgid too), 0 if none */
	char *error_code;    /* catalogue name, NULL when none */
	char *error_message; /* message + detail */
	char *stderr_tail;   /* last 16 KiB of stderr on failure */
	char *warnings;	     /* JSON array text of warnings, NULL if none */
	char *key;	     /* idempotency key (unique among jobs), NULL if none */
	char *pool;	     /* the pool it runs in ([pool NAME], "local"); NULL: the default */
	int64_t batch_id;    /* the batch it was queued with, 0 if none */
	char *cluster_id;    /* the cluster's job id of the current run (Slurm), NULL if none */
	char *substate;	     /* what a running job waits for ("waiting for cluster"), NULL */
	int64_t pruned_ms;   /* wall ms retention removed its work directory, 0 if not */
	/* Only at submit (kept in tables of their own, not read back with
	 * the job): the jobs it runs after (--after), its --on-done hook. */
	int64_t *after;
	size_t nafter;
	char *on_done;
};

/* Stages of a video job, in order; ffmpeg jobs have none. */
enum stage_state { STAGE_PENDING, STAGE_RUNNING, STAGE_DONE, STAGE_FAILED, STAGE_SKIPPED };

struct stage {
	char *name;
	int seq;
	enum stage_state state;
	double progress; /* 0..1 within the stage */
	int64_t started_ms, finished_ms;
};

void job_init(struct job *j);			       /* zeroes, eta_s = -1 */
void job_clear(struct job *j);			       /* frees owned strings, then job_init */
void job_copy(struct job *dst, const struct job *src); /* deep copy; dst uninitialised ok */
/* Only the live progress fields: stage, progress, out_time_us, duration_us,
 * fps, speed, size, eta_s (what a progress event or row carries). */
void job_copy_progress(struct job *dst, const struct job *src);

const char *job_state_name(enum job_state s);
int job_state_parse(const char *name); /* -1 if unknown */
const char *job_kind_name(enum job_kind k);
int job_kind_parse(const char *name);		  /* -1 if unknown */
bool job_state_terminal(enum job_state s);	  /* succeeded, failed, cancelled */
const char *stage_state_name(enum stage_state s); /* "unknown" if out of range */
int stage_state_parse(const char *name);	  /* -1 if unknown */
void stage_list_free(struct stage *s, int n);	  /* names and array; NULL ok */

#endif
