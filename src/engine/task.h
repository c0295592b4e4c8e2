/*
 * task.h -- a job's work as a sequence of steps that the engine runs one
 * at a time: the interface between the engine (scheduling, processes,
 * progress, stall, stop) and the job kinds (task-ffmpeg.c for raw FFmpeg
 * jobs, pipeline.c for videos). A step is a child process, or an
 * in-process asynchronous operation on the loop (an online provider's
 * request: task_step).
 *
 * A task never spawns, waits or sleeps itself: it says what to run next
 * (task_ops.next) and hears how it ended (task_ops.done). Quick in-process
 * work (writing a script or an SRT file) may happen inside next().
 *
 * Must never: block, keep a pointer to the engine's job across calls.
 */
#ifndef AURA_TASK_H
#define AURA_TASK_H

#include <stdbool.h>
#include <stdint.h>

#include "base/conf.h"
#include "base/errors.h"
#include "base/job.h"
#include "base/paths.h"

struct store;
struct loop;
struct provider;

/*
 * What an asynchronous step may use while it runs (valid until it
 * finishes or is cancelled). provider() gives the server's one instance of
 * an online provider by name (its circuit breaker is shared by every job),
 * or NULL when the provider cannot be called: online providers are off
 * (no HTTP), the name is unknown, or it has no key / no base_url.
 */
struct task_async_env {
	struct loop *loop;
	struct provider *(*provider)(void *eng_ctx, const char *name);
	void *eng_ctx;
};

/* The step is over (its outcome is in the task's own state). Call it once,
 * from a loop callback, never from inside start(). */
typedef void (*task_step_finish_fn)(void *token);

/*
 * An in-process asynchronous operation run instead of a child (a provider
 * call). The engine calls start() once; the step calls finish(token) once
 * when it is over, whatever the outcome, and the engine then calls
 * task_ops.done with wait_status 0 (no output): the task reads the outcome
 * from arg. cancel() aborts a started step that has not finished: no
 * finish() afterwards, transfers closed, partial files removed. arg
 * belongs to the task (the engine never frees it). No stall detection
 * applies: providers have their own timeouts.
 */
struct task_step {
	int (*start)(void *arg, const struct task_async_env *ae, task_step_finish_fn finish,
		     void *token, struct aura_error *err);
	void (*cancel)(void *arg);
	void *arg;
};

/* One command to run. The engine frees argv (each string and the array),
 * output_path and stdin_path after the command ends (task_cmd_clear). */
struct task_cmd {
	char **argv;	       /* NULL-terminated; argv[0] is looked up in PATH */
	bool ffmpeg;	       /* an FFmpeg run: the engine adds -progress pipe:3
				  -nostats, gives it a stdin pipe for 'q' and
				  parses progress */
	bool pool_work;	       /* heavy work that runs in the job's pool (through
				  srun in a Slurm pool); false: always here */
	bool capture_stdout;   /* hand stdout to done() (e.g. ffprobe JSON) */
	char *stdin_path;      /* NULL: stdin is /dev/null (a pipe for FFmpeg);
				  else this file (relative to the job's
				  directory) is the command's stdin */
	int64_t duration_us;   /* the output duration this run should reach,
				  for percent; 0 if unknown */
	char *output_path;     /* file whose growth counts as progress for the
				  stall detector; NULL if none */
	char *stage;	       /* stage name shown to users (NULL: unchanged) */
	double weight_start;   /* overall progress = weight_start + */
	double weight_len;     /*   weight_len * (this command's fraction) */
	struct task_step step; /* step.start set: run it instead of argv
				  (argv stays NULL) */
	bool parallel;	       /* may run beside other parallel commands of
				  the same job (doc/render.md): the engine
				  asks next() for another while it has a
				  lane free */
	int tag;	       /* the task's name for this command, handed
				  back to done() */
};
void task_cmd_clear(struct task_cmd *c);

/* Everything a task may use; valid for the task's whole life. */
struct task_env {
	const struct aura_config *cfg;
	const struct aura_paths *paths;
	struct store *store; /* stage records (store_stage_set) */
	const char *ffmpeg;  /* resolved paths */
	const char *ffprobe;
	/* Append a line to the job's log (job.log) and to subscribers. */
	void (*log)(void *eng_ctx, int64_t job_id, const char *fmt, ...) AURA_PRINTF(3, 4);
	/* Record a non-fatal warning on the job (shown by show/TUI). */
	void (*warn)(void *eng_ctx, int64_t job_id, const char *code, const char *text);
	/* The server's online provider by name, NULL if it cannot be called
	 * (as task_async_env.provider): for next() to walk a chain. */
	struct provider *(*provider)(void *eng_ctx, const char *name);
	/* How many of the job's pool-work commands may run at once (its
	 * lanes: a Slurm pool's slots, else the local lanes); 1 when the job
	 * has no run. */
	int (*lanes)(void *eng_ctx, int64_t job_id);
	/* The CPUs the job's pool-work commands share: this machine's online
	 * CPUs when they run here, 0 when they run elsewhere (a Slurm pool:
	 * each srun has its node's CPUs, which the encoder finds itself). */
	int (*lane_cpus)(void *eng_ctx, int64_t job_id);
	void *eng_ctx;
};

/*
 * TASK_WAIT: nothing can start until a running command ends (only while
 * a parallel command of the job runs; next() is asked again after each
 * done()).
 */
enum task_next { TASK_RUN = 0, TASK_FINISHED = 1, TASK_WAIT = 2 };

struct task_ops {
	/* Fill cmd with the next command and return TASK_RUN; return
	 * TASK_FINISHED when the job's work is complete (outputs in place);
	 * or a negative catalogue code (err filled) to fail the job. */
	int (*next)(void *t, struct job *j, struct task_cmd *cmd, struct aura_error *err);
	/* The command given tag ended (waitpid status). out/out_len: its
	 * stdout if capture_stdout. stderr_tail: its last 16 KiB of stderr.
	 * Return 0 to go on (next() is called again) or a negative code to
	 * fail the job. */
	int (*done)(void *t, struct job *j, int tag, int wait_status, const char *out,
		    size_t out_len, const char *stderr_tail, struct aura_error *err);
	/* The job is being stopped for good (cancel, failure, shutdown):
	 * remove partial outputs (e.g. NAME.part.mp4). Finished artifacts
	 * needed for resume stay. */
	void (*abort)(void *t, struct job *j);
	void (*free)(void *t);
};

struct task {
	const struct task_ops *ops;
	void *impl;
};

/*
 * Create the task for a job, by kind. On a retry or after a crash the
 * task resumes from what the job's work directory and stage records say
 * is finished. Returns 0 or a negative code.
 */
int task_new(const struct task_env *env, struct job *j, struct task *out, struct aura_error *err);
int task_ffmpeg_new(const struct task_env *env, struct job *j, struct task *out,
		    struct aura_error *err);
/*
 * A name for a raw FFmpeg job from its arguments (without "ffmpeg"), read
 * as the task reads them: the base name of the output FFmpeg will write,
 * else of the first input; NULL when neither is a file. The caller frees.
 */
char *task_ffmpeg_name(const char *const *args, size_t nargs);
int task_video_new(const struct task_env *env, struct job *j, struct task *out,
		   struct aura_error *err);

#endif
