/*
 * engine.c -- the job engine: the job state x request action table, the
 * scheduler (slots, priorities, retry backoff), one `struct run` per job
 * holding a slot (its task, child or asynchronous step, progress tracker,
 * stderr tail, log file and timers), stall and time limits, the stop
 * sequence, recovery at start and the orderly shutdown; it hands the
 * steps the online providers it is given (engine_set_providers). See
 * doc/engine.md for the rules, doc/pipeline.md for asynchronous steps.
 *
 * Must never: block, arm a timer while no job runs or waits for a backoff,
 * announce a state change before the store has it, wait for a child itself
 * (proc.c reaps), or let one job's error stop the server.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "base/conf.h"
#include "ff/locate.h"
#include "engine/engine.h"
#include "ff/ffclass.h"
#include "engine/joblog.h"
#include "base/log.h"
#include "os/loop.h"
#include "os/proc.h"
#include "ff/progress.h"
#include "store/store.h"
#include "engine/task.h"
#include "base/util.h"

#define STORE_PROGRESS_EVERY_MS 1000	   /* progress rows written at most this often */
#define STDERR_LINE_MAX		8192	   /* a longer stderr line is cut into pieces */
#define STDOUT_CAPTURE_MAX	(4u << 20) /* captured stdout kept for done() */
#define SCHEDULE_MAX_STARTS	256	   /* starts per pass; the rest on the next turn */
#define STDERR_HOLD_MS		200	   /* a child's stderr is read with FFmpeg's
					      progress blocks, else at most this
					      often; at once when it exits */

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
	uint64_t persists; /* job_persist calls so far */
	char *ffmpeg, *ffprobe; /* resolved paths, NULL if not found */
	struct run *runs;
	int nruns;
	bool schedule_pending;
	uint64_t backoff_timer;
	int64_t backoff_at_ms; /* wall ms the backoff timer is armed for */
	int64_t stall_ms, backoff_ms;
	bool shutting_down;
	bool drained_pending, drained_done;
};

/* --- the action table --------------------------------------------------- */

enum eng_req { REQ_CANCEL, REQ_PAUSE, REQ_RESUME, REQ_RETRY, REQ_REMOVE, REQ__COUNT };
enum eng_act {
	ACT_REFUSE = 0,
	ACT_CANCEL_QUEUED,
	ACT_STOP,
	ACT_PAUSE,
	ACT_RESUME,
	ACT_REQUEUE,
	ACT_REMOVE
};

/* What a request does in each state; anything else is JOB_BAD_STATE. */
static const unsigned char actions[JOB_STATE__COUNT][REQ__COUNT] = {
    [JOB_QUEUED] = {[REQ_CANCEL] = ACT_CANCEL_QUEUED, [REQ_REMOVE] = ACT_REMOVE},
    [JOB_RUNNING] = {[REQ_CANCEL] = ACT_STOP, [REQ_PAUSE] = ACT_PAUSE},
    [JOB_PAUSED] = {[REQ_CANCEL] = ACT_STOP, [REQ_RESUME] = ACT_RESUME},
    [JOB_SUCCEEDED] = {[REQ_REMOVE] = ACT_REMOVE},
    [JOB_FAILED] = {[REQ_RETRY] = ACT_REQUEUE, [REQ_REMOVE] = ACT_REMOVE},
    [JOB_CANCELLED] = {[REQ_RETRY] = ACT_REQUEUE, [REQ_REMOVE] = ACT_REMOVE},
};

static const char *const req_names[REQ__COUNT] = {"cancel", "pause", "resume", "retry", "remove"};

/* --- small helpers ------------------------------------------------------ */

static void schedule(struct engine *e);
static void run_advance(struct run *r);

static void set_str(char **dst, const char *src)
{
	char *old = *dst;
	*dst = xstrdup(src);
	free(old);
}

static struct run *run_find(struct engine *e, int64_t id)
{
	for (struct run *r = e->runs; r; r = r->next)
		if (r->job.id == id)
			return r;
	return NULL;
}

/* Write the whole record, then announce it: never the other way round. */
static void job_persist(struct engine *e, struct job *j)
{
	e->persists++;
	struct aura_error err = {0};
	if (store_job_update(e->st, j, &err) < 0)
		log_error("job %lld: cannot save its state (%s): %s", (long long)j->id,
			  aura_error_name(err.code), err.detail);
	if (e->ev.job_changed)
		e->ev.job_changed(j, e->ctx);
}

static void job_clear_error(struct job *j)
{
	set_str(&j->error_code, NULL);
	set_str(&j->error_message, NULL);
	set_str(&j->stderr_tail, NULL);
}

static void job_set_error(struct job *j, int code, const char *detail)
{
	set_str(&j->error_code, aura_error_name(code));
	char *m = detail && *detail ? xasprintf("%s: %s", aura_error_message(code), detail)
				    : xstrdup(aura_error_message(code));
	char *red = log_redact(m);
	free(m);
	free(j->error_message);
	j->error_message = red;
}

static void job_reset_progress(struct job *j)
{
	j->progress = 0;
	j->out_time_us = 0;
	j->fps = 0;
	j->speed = 0;
	j->size = 0;
	j->eta_s = -1;
}

/* --- the job log ---------------------------------------------------------- */

/* One line (no newline) to job.log and to subscribers; redacted. */
/* Write out the job.log lines gathered so far. */
static void run_log_flush(struct run *r)
{
	joblog_write(&r->jlog, r->log_batch.data, r->log_batch.len);
	/* the next lines' offsets follow the file, also after a lost write */
	r->log_end = (int64_t)r->jlog.size;
	buf_reset(&r->log_batch);
}

/* The run's log is complete: the cut marker and the kept last lines go to
 * the file, and followers are told to read them from where they stopped
 * (a line of NULL: a gap at `end`). */
static void run_log_finish(struct run *r)
{
	run_log_flush(r);
	int64_t before = (int64_t)r->jlog.size;
	joblog_finish(&r->jlog);
	bool cut = r->log_cut;
	r->log_cut = false;
	r->log_end = (int64_t)r->jlog.size;
	if (cut && r->log_end > before && r->e->ev.job_log)
		r->e->ev.job_log(r->job.id, NULL, before, r->e->ctx);
}

static void run_log_line(struct run *r, const char *line)
{
	char *red = log_redact(line);
	int64_t end = -1;
	size_t n = strlen(red) + 1;
	if (r->log_fd >= 0) {
		/* Past job_log_max a line waits in the ring until the run ends
		 * (joblog.h): it is not in the file, so no follower is told of
		 * it now; the end of the run tells them to read the file. */
		if (!r->log_cut && !joblog_fits(&r->jlog, r->log_batch.len, n))
			r->log_cut = true;
		buf_puts(&r->log_batch, red);
		buf_puts(&r->log_batch, "\n");
		if (!r->log_cut) {
			r->log_end += (int64_t)n;
			end = r->log_end;
		}
		if (!r->batching)
			run_log_flush(r);
	}
	if (r->e->ev.job_log && !r->log_cut)
		r->e->ev.job_log(r->job.id, red, end, r->e->ctx);
	free(red);
}

/* Our own lines in job.log are marked so they never pass for FFmpeg's. */
static void run_logf(struct run *r, const char *fmt, ...) AURA_PRINTF(2, 3);
static void run_logf(struct run *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	char *line = xasprintf("[aura] %s", text);
	run_log_line(r, line);
	free(line);
	free(text);
	/* the run's last line (its end is set before it is logged): the cut
	 * marker and the kept tail go to the file before the end is announced */
	if (r->job.state != JOB_RUNNING && r->job.state != JOB_PAUSED)
		run_log_finish(r);
}

/* Append to a job's log when no run holds it (recovery, retry). */
static void job_log_append(struct engine *e, const struct job *j, const char *fmt, ...)
    AURA_PRINTF(3, 4);
static void job_log_append(struct engine *e, const struct job *j, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	char *dir = paths_job_dir(e->paths, j->id);
	char *path = xasprintf("%s/job.log", dir);
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	int64_t end = -1;
	if (fd >= 0) {
		char *line = xasprintf("[aura] %s\n", text);
		ssize_t w = write(fd, line, strlen(line));
		off_t at = lseek(fd, 0, SEEK_END);
		if (w == (ssize_t)strlen(line) && at >= 0)
			end = (int64_t)at;
		free(line);
		close(fd);
	}
	if (e->ev.job_log) {
		char *line = xasprintf("[aura] %s", text);
		e->ev.job_log(j->id, line, end, e->ctx);
		free(line);
	}
	free(path);
	free(dir);
	free(text);
}

/* task_env.log */
static void env_log(void *eng_ctx, int64_t job_id, const char *fmt, ...) AURA_PRINTF(3, 4);
static void env_log(void *eng_ctx, int64_t job_id, const char *fmt, ...)
{
	struct engine *e = eng_ctx;
	struct run *r = run_find(e, job_id);
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	if (r)
		run_logf(r, "%s", text);
	else
		log_debug("job %lld: %s", (long long)job_id, text);
	free(text);
}

/* task_env.warn: warnings are a JSON array of {code, message}. */
static void env_warn(void *eng_ctx, int64_t job_id, const char *code, const char *text)
{
	struct engine *e = eng_ctx;
	struct run *r = run_find(e, job_id);
	if (!r)
		return;
	json_error_t jerr;
	json_t *arr = r->job.warnings ? json_loads(r->job.warnings, 0, &jerr) : NULL;
	if (!json_is_array(arr)) {
		json_decref(arr);
		arr = json_array();
	}
	char *red = log_redact(text ? text : "");
	json_array_append_new(
	    arr, json_pack("{s:s, s:s}", "code", code ? code : "WARNING", "message", red));
	char *dump = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	free(r->job.warnings);
	r->job.warnings = dump;
	run_logf(r, "warning: %s", red);
	free(red);
	job_persist(e, &r->job);
}

/* task_async_env.provider: what engine_set_providers handed in. */
static struct provider *env_provider(void *eng_ctx, const char *name)
{
	struct engine *e = eng_ctx;
	if (!e->provider || !name)
		return NULL;
	return e->provider(e->provider_ctx, name);
}

/* --- the run's life ------------------------------------------------------- */

static void run_free(struct run *r)
{
	struct engine *e = r->e;
	for (struct run **pp = &e->runs; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			e->nruns--;
			break;
		}
	}
	loop_timer_del(e->loop, r->stall_timer);
	loop_timer_del(e->loop, r->timeout_timer);
	loop_timer_del(e->loop, r->step_timer);
	if (r->stepping && r->cmd.step.cancel)
		r->cmd.step.cancel(r->cmd.step.arg);
	r->stepping = false;
	if (r->proc)
		proc_abandon(r->proc);
	if (r->task.ops && r->task.ops->free)
		r->task.ops->free(r->task.impl);
	task_cmd_clear(&r->cmd);
	run_log_finish(r); /* the cut marker and the last lines */
	if (r->log_fd >= 0)
		close(r->log_fd);
	buf_free(&r->err_line);
	buf_free(&r->log_batch);
	buf_free(&r->out);
	job_clear(&r->job);
	free(r->cwd);
	free(r);
}

static void drained_cb(struct loop *l, void *ctx)
{
	struct engine *e = ctx;
	(void)l;
	e->drained_pending = false;
	if (e->drained_done || e->nruns > 0)
		return;
	e->drained_done = true;
	log_info("engine: every job is stopped");
	if (e->ev.drained)
		e->ev.drained(e->ctx);
}

static void maybe_drained(struct engine *e)
{
	if (e->shutting_down && e->nruns == 0 && !e->drained_done && !e->drained_pending) {
		e->drained_pending = true;
		loop_defer(e->loop, drained_cb, e);
	}
}

/* The run is over: release the slot and look for work. */
static void run_end(struct run *r)
{
	struct engine *e = r->e;
	run_free(r);
	schedule(e);
	maybe_drained(e);
}

static void run_succeed(struct run *r)
{
	struct job *j = &r->job;
	j->state = JOB_SUCCEEDED;
	j->progress = 1.0;
	j->eta_s = 0;
	j->pid = 0;
	j->finished_ms = time_now_ms();
	job_clear_error(j);
	run_logf(r, "job succeeded (attempt %d)", j->attempts);
	log_info("job %lld: succeeded", (long long)j->id);
	job_persist(r->e, j);
	run_end(r);
}

static int64_t backoff_delay_ms(const struct engine *e, int attempts)
{
	int shift = attempts > 1 ? attempts - 1 : 0;
	if (shift > 20)
		shift = 20;
	int64_t d = e->backoff_ms << shift;
	const int64_t day = 24 * 3600 * 1000LL;
	return d > day ? day : d;
}

/*
 * The job's work failed with code: retry it later if the code is
 * transient and attempts remain, else it has failed for good. Either way
 * partial outputs go first.
 */
static void run_fail(struct run *r, int code, const char *detail)
{
	struct engine *e = r->e;
	struct job *j = &r->job;
	if (code <= 0 || code >= AURA_E__COUNT)
		code = AURA_E_INTERNAL;
	if (r->task.ops && r->task.ops->abort)
		r->task.ops->abort(r->task.impl, j);
	job_set_error(j, code, detail);
	if (r->tail.len > 0) {
		char *tail = ffclass_tail_text(&r->tail);
		char *red = log_redact(tail);
		free(j->stderr_tail);
		j->stderr_tail = red;
		free(tail);
	}
	j->pid = 0;
	j->eta_s = -1;
	if (aura_error_transient(code) && j->attempts < j->max_attempts) {
		int64_t delay = backoff_delay_ms(e, j->attempts);
		j->state = JOB_QUEUED;
		j->not_before_ms = time_now_ms() + delay;
		run_logf(r, "attempt %d of %d failed: %s; retrying in %.1f s", j->attempts,
			 j->max_attempts, j->error_message, delay / 1000.0);
		log_warn("job %lld: attempt %d of %d failed (%s), retry in %.1f s",
			 (long long)j->id, j->attempts, j->max_attempts, j->error_code,
			 delay / 1000.0);
	} else {
		j->state = JOB_FAILED;
		j->finished_ms = time_now_ms();
		run_logf(r, "job failed: %s", j->error_message);
		log_warn("job %lld: failed (%s) after %d attempt%s", (long long)j->id,
			 j->error_code, j->attempts, j->attempts == 1 ? "" : "s");
	}
	job_persist(e, j);
	run_end(r);
}

/* The child we were stopping is gone: finish what the stop was for. */
static void run_stopped(struct run *r)
{
	struct engine *e = r->e;
	struct job *j = &r->job;
	switch (r->stop) {
	case STOP_STALL:
		run_fail(r, AURA_E_JOB_STALLED,
			 "neither the output time nor the output size advanced in time");
		return;
	case STOP_TIMEOUT:
		run_fail(r, AURA_E_JOB_TIMEOUT, "the job ran past job_timeout");
		return;
	case STOP_CANCEL:
		if (r->task.ops && r->task.ops->abort)
			r->task.ops->abort(r->task.impl, j);
		j->state = JOB_CANCELLED;
		j->finished_ms = time_now_ms();
		j->pid = 0;
		j->eta_s = -1;
		job_set_error(j, AURA_E_JOB_CANCELLED, NULL);
		run_logf(r, "job cancelled");
		log_info("job %lld: cancelled", (long long)j->id);
		job_persist(e, j);
		run_end(r);
		return;
	case STOP_SHUTDOWN:
	case STOP_NONE:
		break;
	}
	/* Shutdown: back to the queue, so the next server start resumes it.
	 * The job did not fail: the interrupted attempt is not counted, so the
	 * next start is this attempt again and never "attempt 3 of 1". */
	if (r->task.ops && r->task.ops->abort)
		r->task.ops->abort(r->task.impl, j);
	j->state = JOB_QUEUED;
	j->pid = 0;
	j->eta_s = -1;
	j->not_before_ms = 0;
	if (j->attempts > 0)
		j->attempts--;
	run_logf(r, "interrupted by shutdown (not counted as an attempt); the job runs again "
		    "when the server starts");
	log_info("job %lld: interrupted by shutdown, queued again", (long long)j->id);
	job_persist(e, j);
	run_end(r);
}

/* Begin stopping the child; on_exit finishes the job. May free r. */
static void run_stop(struct run *r, enum stop_reason why, bool now)
{
	struct engine *e = r->e;
	if (r->stop == STOP_NONE || why == STOP_CANCEL)
		r->stop = why;
	loop_timer_del(e->loop, r->stall_timer);
	r->stall_timer = 0;
	loop_timer_del(e->loop, r->timeout_timer);
	r->timeout_timer = 0;
	if (!r->proc) {
		/* An asynchronous step (or its held result): cancelling it
		 * closes its transfers at once, so the stop is over now. */
		loop_timer_del(e->loop, r->step_timer);
		r->step_timer = 0;
		if (r->stepping && r->cmd.step.cancel) {
			run_logf(r, "the %s step is cancelled",
				 r->job.stage ? r->job.stage : "current");
			r->cmd.step.cancel(r->cmd.step.arg);
		}
		r->stepping = false;
		r->step_held = false;
		run_stopped(r); /* frees r */
		return;
	}
	int q = now ? 0 : e->cfg->quit_grace * 1000;
	int t = now ? 0 : e->cfg->term_grace * 1000;
	proc_stop(r->proc, q, t); /* may call on_exit, which frees r */
}

/* --- stall and time limits ---------------------------------------------- */

static void stall_fire(struct loop *l, void *ctx);

static void stall_arm(struct run *r)
{
	struct engine *e = r->e;
	loop_timer_del(e->loop, r->stall_timer);
	r->stall_timer = 0;
	if (e->stall_ms <= 0 || !r->proc || r->stop != STOP_NONE || r->job.state != JOB_RUNNING)
		return;
	int64_t due = r->tracker.last_advance_ms + e->stall_ms - time_mono_ms();
	r->stall_timer = loop_timer_add(e->loop, due > 0 ? due : 0, stall_fire, r);
}

/* The output size is looked at only here, when the timer fires. */
static void stall_fire(struct loop *l, void *ctx)
{
	struct run *r = ctx;
	(void)l;
	r->stall_timer = 0;
	int64_t now = time_mono_ms();
	struct stat st;
	if (r->cmd.output_path && stat(r->cmd.output_path, &st) == 0) {
		progress_tracker_note_size(&r->tracker, (int64_t)st.st_size, now);
		if (r->job.size < (int64_t)st.st_size)
			r->job.size = (int64_t)st.st_size;
	}
	if (!progress_tracker_stalled(&r->tracker, now, r->e->stall_ms)) {
		stall_arm(r);
		return;
	}
	run_logf(r, "no progress for %.1f s: stopping the job",
		 (now - r->tracker.last_advance_ms) / 1000.0);
	log_warn("job %lld: stalled, stopping it", (long long)r->job.id);
	run_stop(r, STOP_STALL, false);
}

static void timeout_fire(struct loop *l, void *ctx)
{
	struct run *r = ctx;
	(void)l;
	r->timeout_timer = 0;
	run_logf(r, "the job ran past job_timeout (%d s): stopping it", r->e->cfg->job_timeout);
	log_warn("job %lld: job_timeout reached, stopping it", (long long)r->job.id);
	run_stop(r, STOP_TIMEOUT, false);
}

static void timeout_arm(struct run *r)
{
	if (r->timeout_left_ms <= 0)
		return;
	r->timeout_armed_ms = time_mono_ms();
	r->timeout_timer = loop_timer_add(r->e->loop, r->timeout_left_ms, timeout_fire, r);
}

/* Pausing suspends the time limit: a paused job is not using its time. */
static void timeout_suspend(struct run *r)
{
	if (!r->timeout_timer)
		return;
	loop_timer_del(r->e->loop, r->timeout_timer);
	r->timeout_timer = 0;
	r->timeout_left_ms -= time_mono_ms() - r->timeout_armed_ms;
	if (r->timeout_left_ms < 1)
		r->timeout_left_ms = 1;
}

/* --- the child's output ------------------------------------------------- */

static void on_block(const struct progress *blk, void *ctx)
{
	struct run *r = ctx;
	struct engine *e = r->e;
	struct job *j = &r->job;
	int64_t now = time_mono_ms();

	progress_tracker_update(&r->tracker, blk, now);
	const struct progress *last = &r->tracker.last;
	double frac = progress_tracker_fraction(&r->tracker);
	double overall = progress_scale(frac, r->cmd.weight_start, r->cmd.weight_len);
	if (overall > j->progress)
		j->progress = overall; /* monotonic within an attempt */
	if (last->out_time_known && last->out_time_us > 0)
		j->out_time_us = last->out_time_us;
	if (last->fps >= 0)
		j->fps = last->fps;
	if (last->speed >= 0)
		j->speed = last->speed;
	if (last->total_size >= 0 && last->total_size > j->size)
		j->size = last->total_size;
	j->eta_s = progress_tracker_eta_s(&r->tracker, now);

	if (now - r->progress_stored_ms >= STORE_PROGRESS_EVERY_MS) {
		struct aura_error err = {0};
		if (store_job_update_progress(e->st, j, &err) < 0)
			log_warn("job %lld: cannot save progress: %s", (long long)j->id,
				 err.detail);
		r->progress_stored_ms = now;
	}
	if (e->ev.job_progress)
		e->ev.job_progress(j, e->ctx);
}

static void on_fd3(void *ctx, const char *data, size_t n)
{
	struct run *r = ctx;
	progress_parser_feed(&r->parser, data, n, on_block, r);
}

static void on_stdout(void *ctx, const char *data, size_t n)
{
	struct run *r = ctx;
	if (!r->cmd.ffmpeg)
		progress_tracker_rebase(&r->tracker, time_mono_ms()); /* output is life */
	if (!r->cmd.capture_stdout)
		return;
	size_t room = STDOUT_CAPTURE_MAX > r->out.len ? STDOUT_CAPTURE_MAX - r->out.len : 0;
	buf_append(&r->out, data, n < room ? n : room);
}

static void err_line_flush(struct run *r)
{
	if (r->err_line.len == 0)
		return;
	size_t len = r->err_line.len;
	if (r->err_line.data[len - 1] == '\r')
		r->err_line.data[--len] = '\0';
	run_log_line(r, r->err_line.data);
	buf_reset(&r->err_line);
}

static void on_stderr(void *ctx, const char *data, size_t n)
{
	struct run *r = ctx;
	r->batching = true; /* one write for the lines of this read */
	ffclass_tail_append(&r->tail, data, n);
	if (!r->cmd.ffmpeg)
		progress_tracker_rebase(&r->tracker, time_mono_ms());
	while (n > 0) {
		const char *nl = memchr(data, '\n', n);
		size_t take = nl ? (size_t)(nl - data) : n;
		if (r->err_line.len + take > STDERR_LINE_MAX)
			take = STDERR_LINE_MAX - r->err_line.len;
		buf_append(&r->err_line, data, take);
		data += take;
		n -= take;
		if (nl && n > 0 && *data == '\n') {
			data++;
			n--;
			err_line_flush(r);
		} else if (r->err_line.len >= STDERR_LINE_MAX) {
			err_line_flush(r);
		}
	}
	r->batching = false;
	run_log_flush(r);
}

static void on_exit_cb(void *ctx, int status)
{
	struct run *r = ctx;
	struct job *j = &r->job;
	int64_t stop_ms;
	enum proc_stop_step step = proc_stop_step(r->proc, &stop_ms);
	r->proc = NULL;
	j->pid = 0;
	loop_timer_del(r->e->loop, r->stall_timer);
	r->stall_timer = 0;
	err_line_flush(r);
	bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	progress_tracker_finish(&r->tracker, ok);

	if (r->stop != STOP_NONE) {
		if (step != PROC_STOP_NONE)
			run_logf(r, "%s was stopped by %s after %.1f s", r->cmd.argv[0],
				 proc_stop_step_name(step), stop_ms / 1000.0);
		else
			run_logf(r, "%s had ended before the stop began", r->cmd.argv[0]);
		run_stopped(r);
		return;
	}
	if (WIFSIGNALED(status))
		run_logf(r, "%s was killed by signal %d", r->cmd.argv[0], WTERMSIG(status));
	else if (!ok)
		run_logf(r, "%s exited with status %d", r->cmd.argv[0], WEXITSTATUS(status));

	struct aura_error err = {0};
	char *tail = ffclass_tail_text(&r->tail);
	int rc =
	    r->task.ops->done(r->task.impl, j, status, r->cmd.capture_stdout ? r->out.data : NULL,
			      r->out.len, tail, &err);
	free(tail);
	if (rc < 0) {
		run_fail(r, -rc, err.detail);
		return;
	}
	if (ok) {
		double end = progress_scale(1.0, r->cmd.weight_start, r->cmd.weight_len);
		if (end > j->progress && end < 1.0)
			j->progress = end;
	}
	run_advance(r);
}

static const struct proc_ops run_proc_ops = {
    .on_stdout = on_stdout,
    .on_stderr = on_stderr,
    .on_fd3 = on_fd3,
    .on_exit = on_exit_cb,
};

/* --- running commands ----------------------------------------------------- */

static const char *resolve_program(struct engine *e, const char *name, int *code)
{
	if (strcmp(name, "ffmpeg") == 0) {
		if (!e->ffmpeg) { /* installed since we started? */
			e->ffmpeg = locate_ffmpeg(e->cfg, NULL);
			e->env.ffmpeg = e->ffmpeg;
		}
		*code = AURA_E_FFMPEG_NOT_FOUND;
		return e->ffmpeg;
	}
	if (strcmp(name, "ffprobe") == 0) {
		if (!e->ffprobe) {
			e->ffprobe = locate_ffprobe(e->cfg, e->ffmpeg, NULL);
			e->env.ffprobe = e->ffprobe;
		}
		*code = AURA_E_FFPROBE_NOT_FOUND;
		return e->ffprobe;
	}
	*code = 0;
	return name;
}

/* Shell-style quoting, only for showing a command in the log (it is never
 * run through a shell): a line the user can paste to reproduce it. */
static void buf_put_quoted(struct buf *b, const char *arg)
{
	bool plain = *arg != '\0';
	for (const char *p = arg; *p && plain; p++)
		plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			(*p >= '0' && *p <= '9') || strchr("_-./:=,+@%^", *p);
	if (plain) {
		buf_puts(b, arg);
		return;
	}
	buf_puts(b, "'");
	for (const char *p = arg; *p; p++) {
		if (*p == '\'')
			buf_puts(b, "'\\''");
		else
			buf_append(b, p, 1);
	}
	buf_puts(b, "'");
}

/* --- asynchronous steps ---------------------------------------------------- */

/* The step is over: the task reads its outcome, as a child's exit. */
static void step_complete(struct run *r)
{
	struct engine *e = r->e;
	struct job *j = &r->job;
	struct aura_error err = {0};
	int rc = r->task.ops->done(r->task.impl, j, 0, NULL, 0, "", &err);
	if (rc < 0) {
		run_fail(r, -rc, err.detail);
		return;
	}
	double end = progress_scale(1.0, r->cmd.weight_start, r->cmd.weight_len);
	if (end > j->progress && end < 1.0) {
		j->progress = end;
		if (e->ev.job_progress)
			e->ev.job_progress(j, e->ctx);
	}
	run_advance(r);
}

static void step_fire(struct loop *l, void *ctx)
{
	struct run *r = ctx;
	(void)l;
	r->step_timer = 0;
	if (r->job.state == JOB_PAUSED) {
		/* A paused job's request was already on the wire: its result
		 * is kept, and the job goes on from it when resumed. */
		r->step_held = true;
		run_logf(r, "the %s step finished while the job is paused: it goes on at resume",
			 r->job.stage ? r->job.stage : "current");
		return;
	}
	step_complete(r);
}

/* task_step_finish_fn: may come from deep inside a provider's callback, so
 * the task's done() and next() run on a clean turn of the loop. */
static void step_finish(void *token)
{
	struct run *r = token;
	if (!r->stepping)
		return;
	r->stepping = false;
	loop_timer_del(r->e->loop, r->step_timer);
	r->step_timer = loop_timer_add(r->e->loop, 0, step_fire, r);
}

static int run_step_start(struct run *r, struct aura_error *err)
{
	ffclass_tail_init(&r->tail);
	buf_reset(&r->err_line);
	buf_reset(&r->out);
	r->job.pid = 0;
	r->stepping = true;
	r->step_held = false;
	int rc = r->cmd.step.start(r->cmd.step.arg, &r->e->aenv, step_finish, r, err);
	if (rc < 0) {
		r->stepping = false;
		return rc;
	}
	job_persist(r->e, &r->job); /* the stage, for show and the TUI */
	return 0;
}

static int run_spawn(struct run *r, struct aura_error *err)
{
	struct engine *e = r->e;
	struct task_cmd *c = &r->cmd;
	if (c->step.start)
		return run_step_start(r, err);
	if (!c->argv || !c->argv[0])
		return aura_error_set(err, AURA_E_INTERNAL, "the task gave an empty command");
	int code;
	const char *prog = resolve_program(e, c->argv[0], &code);
	if (!prog)
		return aura_error_set(err, code, "looked in the config, the environment and PATH");

	size_t n = 0;
	while (c->argv[n])
		n++;
	const char **argv = xcalloc(n + 6, sizeof(char *));
	size_t k = 0;
	argv[k++] = prog;
	if (c->ffmpeg) {
		argv[k++] = "-hide_banner";
		argv[k++] = "-nostats";
		argv[k++] = "-progress";
		argv[k++] = "pipe:3";
	}
	for (size_t i = 1; i < n; i++)
		argv[k++] = c->argv[i];
	argv[k] = NULL;

	struct buf line;
	buf_init(&line);
	buf_puts(&line, "running:");
	for (size_t i = 0; i < k; i++) {
		buf_puts(&line, " ");
		buf_put_quoted(&line, argv[i]);
	}
	if (!c->ffmpeg && c->stdin_path) {
		buf_puts(&line, " < ");
		buf_put_quoted(&line, c->stdin_path);
	}
	run_logf(r, "%s", line.data);
	buf_free(&line);

	struct proc_spec spec = {
	    .argv = argv,
	    .cwd = r->cwd,
	    .stdin_mode = c->ffmpeg	     ? PROC_STDIN_PIPE
			  : c->stdin_path ? PROC_STDIN_FILE
					  : PROC_STDIN_NULL,
	    .stdin_path = c->stdin_path,
	    .extra_fd = c->ffmpeg,
	    .stderr_hold_ms = STDERR_HOLD_MS,
	};
	int64_t now = time_mono_ms();
	progress_parser_init(&r->parser);
	progress_tracker_init(&r->tracker, c->duration_us, now);
	ffclass_tail_init(&r->tail);
	buf_reset(&r->err_line);
	buf_reset(&r->out);
	r->proc = proc_spawn(e->loop, &spec, &run_proc_ops, r, err);
	free(argv);
	if (!r->proc)
		return -AURA_E_SPAWN_FAILED;
	r->job.pid = (int)proc_pid(r->proc);
	/* the first progress row a second from now: a short command's last
	 * state is saved with its end, it needs none */
	r->progress_stored_ms = now;
	if (c->duration_us > 0)
		r->job.duration_us = c->duration_us;
	job_persist(e, &r->job); /* the pid must be on disk for recovery */
	stall_arm(r);
	return 0;
}

/* Ask the task what comes next and start it, or finish the job. */
static void run_advance(struct run *r)
{
	struct aura_error err = {0};
	task_cmd_clear(&r->cmd);
	int rc = r->task.ops->next(r->task.impl, &r->job, &r->cmd, &err);
	if (rc == TASK_FINISHED) {
		run_succeed(r);
		return;
	}
	if (rc < 0) {
		run_fail(r, -rc, err.detail);
		return;
	}
	if (r->cmd.stage && (!r->job.stage || strcmp(r->cmd.stage, r->job.stage) != 0)) {
		set_str(&r->job.stage, r->cmd.stage);
		run_logf(r, "stage: %s", r->job.stage);
	}
	if (r->cmd.weight_start > r->job.progress && r->cmd.weight_start < 1.0)
		r->job.progress = r->cmd.weight_start;
	rc = run_spawn(r, &err);
	if (rc < 0)
		run_fail(r, -rc, err.detail);
}

/* The children of ffmpeg jobs start where the user ran `aura submit`. */
static char *job_cwd(const struct job *j)
{
	if (j->kind != JOB_KIND_FFMPEG || !j->spec)
		return xstrdup(j->workdir);
	json_error_t jerr;
	json_t *root = json_loads(j->spec, 0, &jerr);
	json_t *cwd = json_object_get(root, "cwd");
	char *out = json_is_string(cwd) && json_string_value(cwd)[0] == '/'
			? xstrdup(json_string_value(cwd))
			: xstrdup(j->workdir);
	json_decref(root);
	return out;
}

/* Take a queued job (moved into the run) and start its first command. */
static void job_start(struct engine *e, struct job *queued)
{
	struct run *r = xcalloc(1, sizeof(*r));
	r->e = e;
	r->log_fd = -1;
	r->jlog.fd = -1;
	r->job = *queued;
	job_init(queued);
	buf_init(&r->err_line);
	buf_init(&r->log_batch);
	buf_init(&r->out);
	ffclass_tail_init(&r->tail);
	r->next = e->runs;
	e->runs = r;
	e->nruns++;

	struct job *j = &r->job;
	if (!j->workdir)
		j->workdir = paths_job_dir(e->paths, j->id);
	j->attempts++;
	j->state = JOB_RUNNING;
	j->started_ms = time_now_ms();
	j->finished_ms = 0;
	j->not_before_ms = 0;
	j->pid = 0;
	job_clear_error(j);
	job_reset_progress(j);
	r->cwd = job_cwd(j);
	r->timeout_left_ms = e->cfg->job_timeout > 0 ? e->cfg->job_timeout * 1000LL : 0;

	if (mkdir_p(j->workdir, 0700) < 0) {
		int code = errno == ENOSPC ? AURA_E_DISK_FULL : AURA_E_DATA_DIR;
		char detail[512];
		snprintf(detail, sizeof(detail), "%s: %s", j->workdir, strerror(errno));
		job_persist(e, j);
		run_fail(r, code, detail);
		return;
	}
	char *logpath = xasprintf("%s/job.log", j->workdir);
	r->log_fd = open(logpath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	struct stat lst;
	if (r->log_fd >= 0 && fstat(r->log_fd, &lst) == 0)
		r->log_end = (int64_t)lst.st_size; /* earlier attempts' lines */
	if (r->log_fd < 0)
		log_warn("job %lld: cannot open %s: %s", (long long)j->id, logpath,
			 strerror(errno));
	free(logpath);
	joblog_init(&r->jlog, r->log_fd, e->cfg->job_log_max);

	run_logf(r, "attempt %d of %d started", j->attempts, j->max_attempts);
	log_info("job %lld: started (%s, attempt %d of %d)", (long long)j->id,
		 job_kind_name(j->kind), j->attempts, j->max_attempts);

	struct aura_error err = {0};
	int rc = task_new(&e->env, j, &r->task, &err);
	if (rc < 0) {
		r->task.ops = NULL;
		run_fail(r, -rc, err.detail);
		return;
	}
	timeout_arm(r);
	/*
	 * The running state, with what the task added to the job (the output
	 * it guessed, facts for a later attempt), is saved by the first step:
	 * a spawn saves it with the child's pid, in the same turn, one write
	 * instead of two; a finish, a failure or an in-process step save it
	 * too. Only if none did (r is alive then) is it saved here. A server
	 * killed between the spawn and that write leaves the job queued, and
	 * its child dies with it (PDEATHSIG) long before FFmpeg has opened
	 * an output.
	 */
	uint64_t before = e->persists;
	run_advance(r);
	if (e->persists == before)
		job_persist(e, j);
}

/* --- the scheduler -------------------------------------------------------- */

static void backoff_fire(struct loop *l, void *ctx)
{
	struct engine *e = ctx;
	(void)l;
	e->backoff_timer = 0;
	schedule(e);
}

struct earliest {
	int64_t now, min;
};

static int earliest_cb(const struct job *j, void *ctx)
{
	struct earliest *x = ctx;
	if (j->not_before_ms > x->now && (x->min == 0 || j->not_before_ms < x->min))
		x->min = j->not_before_ms;
	return 0;
}

/* One timer for the earliest backoff, only while a slot is free. */
static void backoff_rearm(struct engine *e, bool slots_free)
{
	int64_t at = 0;
	if (slots_free && !e->shutting_down) {
		struct earliest x = {.now = time_now_ms(), .min = 0};
		struct aura_error err = {0};
		if (store_job_list(e->st, JOB_QUEUED, 0, 0, earliest_cb, &x, &err) < 0)
			log_warn("engine: cannot list queued jobs: %s", err.detail);
		at = x.min;
	}
	if (at == e->backoff_at_ms && (at == 0) == (e->backoff_timer == 0))
		return;
	loop_timer_del(e->loop, e->backoff_timer);
	e->backoff_timer = 0;
	e->backoff_at_ms = at;
	if (at > 0)
		/* +1: the monotonic timer must not fire before the wall clock
		 * passed not_before, or the job would not be due yet. */
		e->backoff_timer = loop_timer_add(e->loop, at - time_now_ms() + 1, backoff_fire, e);
}

static void schedule_cb(struct loop *l, void *ctx)
{
	struct engine *e = ctx;
	(void)l;
	e->schedule_pending = false;
	if (e->shutting_down)
		return;
	if (store_behind(e->st)) {
		/* The queue as read now may be stale, and a start could not be
		 * saved: start nothing until the store has caught up
		 * (engine_store_writable). */
		loop_timer_del(e->loop, e->backoff_timer);
		e->backoff_timer = 0;
		e->backoff_at_ms = 0;
		return;
	}
	int starts = 0;
	while (e->nruns < e->cfg->max_jobs) {
		if (starts++ >= SCHEDULE_MAX_STARTS) {
			schedule(e); /* a burst of jobs failing at start: yield */
			return;
		}
		struct job j;
		struct aura_error err = {0};
		job_init(&j);
		int rc = store_job_next(e->st, time_now_ms(), &j, &err);
		if (rc != 0) {
			if (rc < 0)
				log_error("engine: cannot read the queue: %s", err.detail);
			job_clear(&j);
			break;
		}
		job_start(e, &j);
		job_clear(&j);
	}
	backoff_rearm(e, e->nruns < e->cfg->max_jobs);
}

/* Start queued jobs on the next turn: never from inside a callback that
 * may be in the middle of changing the run list. */
static void schedule(struct engine *e)
{
	if (e->schedule_pending || e->shutting_down)
		return;
	e->schedule_pending = true;
	loop_defer(e->loop, schedule_cb, e);
}

void engine_store_writable(struct engine *e)
{
	schedule(e);
}

/* --- public: life --------------------------------------------------------- */

struct engine *engine_new(struct loop *loop, struct store *st, const struct aura_config *cfg,
			  const struct aura_paths *paths, const struct engine_events *ev, void *ctx)
{
	struct engine *e = xcalloc(1, sizeof(*e));
	e->loop = loop;
	e->st = st;
	e->cfg = cfg;
	e->paths = paths;
	if (ev)
		e->ev = *ev;
	e->ctx = ctx;
	e->stall_ms = cfg->stall_timeout * 1000LL;
	e->backoff_ms = cfg->retry_backoff * 1000LL;
	e->ffmpeg = locate_ffmpeg(cfg, NULL);
	e->ffprobe = locate_ffprobe(cfg, e->ffmpeg, NULL);
	if (!e->ffmpeg)
		log_warn(
		    "engine: ffmpeg was not found; FFmpeg jobs will fail with FFMPEG_NOT_FOUND");
	else
		log_info("engine: ffmpeg %s, ffprobe %s", e->ffmpeg,
			 e->ffprobe ? e->ffprobe : "(none)");
	e->env = (struct task_env){
	    .cfg = cfg,
	    .paths = paths,
	    .store = st,
	    .ffmpeg = e->ffmpeg,
	    .ffprobe = e->ffprobe,
	    .log = env_log,
	    .warn = env_warn,
	    .provider = env_provider,
	    .eng_ctx = e,
	};
	e->aenv = (struct task_async_env){
	    .loop = loop,
	    .provider = env_provider,
	    .eng_ctx = e,
	};
	return e;
}

void engine_set_providers(struct engine *e, struct provider *(*provider)(void *ctx, const char *name),
			  void *ctx)
{
	e->provider = provider;
	e->provider_ctx = ctx;
}

void engine_set_timing(struct engine *e, int64_t stall_ms, int64_t backoff_ms)
{
	if (stall_ms >= 0)
		e->stall_ms = stall_ms;
	if (backoff_ms >= 0)
		e->backoff_ms = backoff_ms;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	while (e->runs)
		run_free(e->runs); /* abandons children: SIGKILL, no callbacks */
	proc_kill_leftovers(); /* and what finished runs left behind */
	loop_timer_del(e->loop, e->backoff_timer);
	free(e->ffmpeg);
	free(e->ffprobe);
	free(e);
}

int engine_running_count(const struct engine *e)
{
	return e->nruns;
}

/* --- public: recovery ----------------------------------------------------- */

struct stale {
	struct job *jobs;
	size_t n, cap;
};

static int stale_cb(const struct job *j, void *ctx)
{
	struct stale *s = ctx;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->jobs = xrealloc(s->jobs, s->cap * sizeof(*s->jobs));
	}
	job_copy(&s->jobs[s->n++], j);
	return 0;
}

static const char *base_name(const char *p)
{
	const char *s = p ? strrchr(p, '/') : NULL;
	return s ? s + 1 : p;
}

/* Kill what a dead server left running, if it is still FFmpeg. */
static int kill_leftover(struct engine *e, pid_t pid)
{
	const char *names[] = {"ffmpeg", "ffprobe", base_name(e->ffmpeg), base_name(e->ffprobe)};
	for (size_t i = 0; i < ARRAY_LEN(names); i++)
		if (names[i] && proc_kill_stale(pid, names[i]) == 1)
			return 1;
	return 0;
}

int engine_recover(struct engine *e, struct aura_error *err)
{
	struct stale s = {0};
	int rc = store_job_list(e->st, JOB_RUNNING, 0, 0, stale_cb, &s, err);
	if (rc == 0)
		rc = store_job_list(e->st, JOB_PAUSED, 0, 0, stale_cb, &s, err);
	for (size_t i = 0; i < s.n; i++) {
		struct job *j = &s.jobs[i];
		if (rc == 0) {
			if (j->pid > 0) {
				if (kill_leftover(e, j->pid))
					log_warn("job %lld: killed the leftover process %d of a "
						 "previous server",
						 (long long)j->id, j->pid);
				else
					log_info("job %lld: its process %d is gone (or is not "
						 "FFmpeg: left alone)",
						 (long long)j->id, j->pid);
			}
			enum job_state was = j->state;
			j->pid = 0;
			j->not_before_ms = 0;
			j->eta_s = -1;
			if (j->attempts >= j->max_attempts) {
				/* A job that takes the server down with it must not
				 * loop forever: its crashes count as attempts. */
				j->state = JOB_FAILED;
				j->finished_ms = time_now_ms();
				job_set_error(j, AURA_E_SERVER_CRASHED_DURING_JOB,
					      "the server stopped during its last attempt");
				job_log_append(e, j,
					       "the server stopped while the job was %s, in attempt "
					       "%d of %d: failed",
					       job_state_name(was), j->attempts, j->max_attempts);
				log_warn("job %lld: recovered (%s) with no attempts left: failed",
					 (long long)j->id, job_state_name(was));
			} else {
				j->state = JOB_QUEUED;
				job_log_append(e, j,
					       "the server stopped while the job was %s; queued "
					       "again",
					       job_state_name(was));
				log_info("job %lld: recovered (%s), queued again",
					 (long long)j->id, job_state_name(was));
			}
			struct aura_error uerr = {0};
			if (store_job_update(e->st, j, &uerr) < 0) {
				rc = -uerr.code;
				if (err)
					*err = uerr;
			} else if (e->ev.job_changed) {
				e->ev.job_changed(j, e->ctx);
			}
		}
		job_clear(j);
	}
	free(s.jobs);
	schedule(e);
	return rc;
}

/* --- public: requests ----------------------------------------------------- */

/* While the store cannot be written, no request changes a job: its
 * answer could not be kept (doc/stability.md). */
static int refuse_while_behind(struct engine *e, const char *what, struct aura_error *err)
{
	struct store_status ss;
	store_status(e->st, &ss);
	return aura_error_set(err, ss.code,
			      "%s: the store cannot be written now (%s); nothing was changed; "
			      "try again when `aura ls` no longer reports it",
			      what, ss.detail ? ss.detail : "no detail");
}

int engine_submit(struct engine *e, struct job *j, struct aura_error *err)
{
	if (e->shutting_down)
		return aura_error_set(err, AURA_E_SERVER_SHUTTING_DOWN, "no new jobs are accepted");
	if ((unsigned)j->kind >= JOB_KIND__COUNT)
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST, "unknown job kind %d",
				      (int)j->kind);
	if (store_behind(e->st))
		return refuse_while_behind(e, "submit", err);
	j->state = JOB_QUEUED;
	j->attempts = 0;
	if (j->max_attempts <= 0)
		j->max_attempts = e->cfg->max_attempts;
	j->created_ms = time_now_ms();
	j->started_ms = j->finished_ms = 0;
	j->not_before_ms = 0;
	j->pid = 0;
	job_reset_progress(j);
	j->duration_us = 0;
	job_clear_error(j);
	set_str(&j->workdir, NULL);
	/* the row and its work dir (named by the id) in one transaction */
	int rc = store_begin(e->st, err);
	if (rc == 0)
		rc = store_job_insert(e->st, j, err);
	if (rc == 0) {
		j->workdir = paths_job_dir(e->paths, j->id);
		rc = store_job_update(e->st, j, err);
	}
	if (rc == 0)
		rc = store_commit(e->st, err);
	else
		store_rollback(e->st);
	if (rc < 0)
		return rc;
	log_info("job %lld: queued (%s, priority %d)", (long long)j->id, job_kind_name(j->kind),
		 j->priority);
	if (e->ev.job_changed)
		e->ev.job_changed(j, e->ctx);
	schedule(e);
	return 0;
}

/* Remove DATA/jobs/ID and what is in it (never following links). */
static void remove_workdir(struct engine *e, int64_t id)
{
	char *dir = paths_job_dir(e->paths, id);
	rm_tree(dir);
	free(dir);
}

static int engine_request(struct engine *e, int64_t id, enum eng_req req, struct aura_error *err)
{
	if (store_behind(e->st)) {
		char what[64];
		snprintf(what, sizeof(what), "%s job %lld", req_names[req], (long long)id);
		return refuse_while_behind(e, what, err);
	}
	struct run *r = run_find(e, id);
	struct job stored;
	job_init(&stored);
	struct job *j = &stored;
	if (r) {
		j = &r->job;
	} else {
		int rc = store_job_get(e->st, id, &stored, err);
		if (rc < 0)
			return rc;
	}

	enum eng_act act =
	    (unsigned)j->state < JOB_STATE__COUNT ? actions[j->state][req] : ACT_REFUSE;
	int rc = 0;
	if (!r && (act == ACT_STOP || act == ACT_PAUSE || act == ACT_RESUME)) {
		/* The store says running or paused, yet no run holds it: never
		 * act on a run that does not exist (recovery settles it). */
		log_error("job %lld: %s without a run in this server", (long long)id,
			  job_state_name(j->state));
		rc = aura_error_set(err, AURA_E_JOB_BAD_STATE,
				    "job %lld is %s in the store but not running here", (long long)id,
				    job_state_name(j->state));
		goto out;
	}
	if (r && r->stop != STOP_NONE) {
		/* Being stopped: a cancel takes over the reason, the rest waits. */
		if (req == REQ_CANCEL) {
			run_logf(r, "cancel requested");
			run_stop(r, STOP_CANCEL, false);
			return 0;
		}
		return aura_error_set(err, AURA_E_JOB_BAD_STATE, "job %lld is being stopped",
				      (long long)id);
	}
	if (act != ACT_REFUSE && e->shutting_down && (act == ACT_REQUEUE || act == ACT_RESUME)) {
		rc = aura_error_set(err, AURA_E_SERVER_SHUTTING_DOWN, "cannot %s job %lld now",
				    req_names[req], (long long)id);
		goto out;
	}

	switch (act) {
	case ACT_REFUSE:
		rc = aura_error_set(err, AURA_E_JOB_BAD_STATE, "job %lld is %s", (long long)id,
				    job_state_name(j->state));
		break;
	case ACT_CANCEL_QUEUED:
		j->state = JOB_CANCELLED;
		j->finished_ms = time_now_ms();
		j->not_before_ms = 0;
		job_set_error(j, AURA_E_JOB_CANCELLED, NULL);
		job_persist(e, j);
		job_log_append(e, j, "cancelled while queued");
		log_info("job %lld: cancelled while queued", (long long)id);
		backoff_rearm(e, e->nruns < e->cfg->max_jobs);
		break;
	case ACT_STOP:
		run_logf(r, "cancel requested");
		run_stop(r, STOP_CANCEL, false); /* may free r */
		break;
	case ACT_PAUSE:
		if (r->proc && proc_pause(r->proc) < 0) {
			rc = aura_error_set(err, AURA_E_JOB_BAD_STATE, "job %lld cannot pause: %s",
					    (long long)id, strerror(errno));
			break;
		}
		loop_timer_del(e->loop, r->stall_timer);
		r->stall_timer = 0;
		timeout_suspend(r);
		j->state = JOB_PAUSED;
		j->eta_s = -1;
		run_logf(r, "paused");
		log_info("job %lld: paused", (long long)id);
		job_persist(e, j);
		break;
	case ACT_RESUME:
		if (r->proc && proc_resume(r->proc) < 0) {
			rc = aura_error_set(err, AURA_E_JOB_BAD_STATE, "job %lld cannot resume: %s",
					    (long long)id, strerror(errno));
			break;
		}
		j->state = JOB_RUNNING;
		progress_tracker_rebase(&r->tracker, time_mono_ms());
		stall_arm(r);
		timeout_arm(r);
		run_logf(r, "resumed");
		log_info("job %lld: resumed", (long long)id);
		job_persist(e, j);
		if (r->step_held) {
			r->step_held = false;
			loop_timer_del(e->loop, r->step_timer);
			r->step_timer = loop_timer_add(e->loop, 0, step_fire, r);
		}
		break;
	case ACT_REQUEUE:
		j->state = JOB_QUEUED;
		j->finished_ms = 0;
		j->not_before_ms = 0;
		j->pid = 0;
		/* A retry by hand gets a fresh budget of automatic retries. */
		j->max_attempts = j->attempts + e->cfg->max_attempts;
		job_clear_error(j);
		job_reset_progress(j);
		job_persist(e, j);
		job_log_append(e, j, "retry requested");
		log_info("job %lld: queued again by retry", (long long)id);
		schedule(e);
		break;
	case ACT_REMOVE:
		rc = store_job_delete(e->st, id, err);
		if (rc < 0)
			break;
		remove_workdir(e, id);
		log_info("job %lld: removed", (long long)id);
		if (e->ev.job_removed)
			e->ev.job_removed(id, e->ctx);
		if (j->state == JOB_QUEUED)
			backoff_rearm(e, e->nruns < e->cfg->max_jobs);
		break;
	}
out:
	job_clear(&stored);
	return rc;
}

int engine_cancel(struct engine *e, int64_t id, struct aura_error *err)
{
	return engine_request(e, id, REQ_CANCEL, err);
}

int engine_pause(struct engine *e, int64_t id, struct aura_error *err)
{
	return engine_request(e, id, REQ_PAUSE, err);
}

int engine_resume(struct engine *e, int64_t id, struct aura_error *err)
{
	return engine_request(e, id, REQ_RESUME, err);
}

int engine_retry(struct engine *e, int64_t id, struct aura_error *err)
{
	return engine_request(e, id, REQ_RETRY, err);
}

int engine_remove(struct engine *e, int64_t id, struct aura_error *err)
{
	return engine_request(e, id, REQ_REMOVE, err);
}

/* --- public: reading ------------------------------------------------------ */

/* What a client sees is the stored row; only the live progress of a run
 * (written to the store at most once a second) is newer. */
static void overlay_live(struct job *out, const struct run *r)
{
	if (out->state != JOB_RUNNING && out->state != JOB_PAUSED)
		return;
	job_copy_progress(out, &r->job);
}

int engine_get(struct engine *e, int64_t id, struct job *out, struct aura_error *err)
{
	int rc = store_job_get(e->st, id, out, err);
	struct run *r = rc == 0 ? run_find(e, id) : NULL;
	if (r)
		overlay_live(out, r);
	return rc;
}

struct overlay {
	struct engine *e;
	int (*fn)(const struct job *j, void *ctx);
	void *ctx;
};

static int overlay_cb(const struct job *j, void *ctx)
{
	struct overlay *o = ctx;
	struct run *r = run_find(o->e, j->id);
	if (!r)
		return o->fn(j, o->ctx);
	struct job live;
	job_copy(&live, j);
	overlay_live(&live, r);
	int stop = o->fn(&live, o->ctx);
	job_clear(&live);
	return stop;
}

int engine_list(struct engine *e, int state, int64_t offset, int64_t limit,
		int (*fn)(const struct job *j, void *ctx), void *ctx, struct aura_error *err)
{
	struct overlay o = {.e = e, .fn = fn, .ctx = ctx};
	return store_job_list(e->st, state, offset, limit, overlay_cb, &o, err);
}

/* --- public: shutdown ----------------------------------------------------- */

void engine_shutdown(struct engine *e, bool now)
{
	if (!e->shutting_down)
		log_info("engine: shutting down, stopping %d job%s%s", e->nruns,
			 e->nruns == 1 ? "" : "s", now ? " now" : "");
	else if (now)
		log_info("engine: stopping every job now");
	e->shutting_down = true;
	loop_timer_del(e->loop, e->backoff_timer);
	e->backoff_timer = 0;
	e->backoff_at_ms = 0;
	struct run *next;
	for (struct run *r = e->runs; r; r = next) {
		next = r->next;
		if (r->stop == STOP_NONE)
			run_logf(r, "stopping: the server is shutting down");
		run_stop(r, r->stop == STOP_NONE ? STOP_SHUTDOWN : r->stop, now); /* may free r */
	}
	maybe_drained(e);
}
