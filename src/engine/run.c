/*
 * run.c -- a run's life: one `struct run` per job holding a slot, from its
 * start (work dir, job.log, task) through its commands to its end:
 * success, failure (retry with backoff or for good), the stop sequence
 * (cancel, stall, time limit, shutdown) and the stall and time limits.
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

#include "base/log.h"
#include "engine/engine-int.h"
#include "ff/locate.h"
#include "os/loop.h"
#include "os/proc.h"
#include "store/store.h"

/* --- the run's life ------------------------------------------------------- */

void run_free(struct run *r)
{
	struct engine *e = r->e;
	for (struct run **pp = &e->runs; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			e->nruns--;
			break;
		}
	}
	loop_timer_del(e->loop, r->timeout_timer);
	loop_timer_del(e->loop, r->advance_timer);
	while (r->lanes)
		lane_free(r->lanes); /* cancels steps, abandons children */
	if (r->task.ops && r->task.ops->free)
		r->task.ops->free(r->task.impl);
	task_cmd_clear(&r->held);
	free(r->fail_detail);
	run_log_finish(r); /* the cut marker and the last lines */
	if (r->log_fd >= 0)
		close(r->log_fd);
	buf_free(&r->log_batch);
	job_clear(&r->job);
	free(r->cwd);
	free(r);
}

void run_count_end(struct run *r, const char *result, int code)
{
	struct metrics *m = r->e->metrics;
	const char *pool = job_pool(&r->job);
	metrics_add(m, METRIC_RUNS_FINISHED, pool, result, 1);
	if (code)
		metrics_add(m, METRIC_RUNS_FAILED, pool, aura_error_name(code), 1);
	/* An interrupted run starts again as the same attempt: its time
	 * would be counted twice. */
	if (strcmp(result, "interrupted") != 0 && r->job.started_ms > 0)
		metrics_observe(m, METRIC_RUN_SECONDS, NULL,
				(double)(time_now_ms() - r->job.started_ms) / 1000.0);
}

/* The run is over: release the slot and look for work. */
static void run_end(struct run *r)
{
	struct engine *e = r->e;
	hook_job_ended(e, &r->job); /* when it ended for good */
	run_free(r);
	schedule(e);
	maybe_drained(e);
}

void run_succeed(struct run *r)
{
	struct job *j = &r->job;
	j->state = JOB_SUCCEEDED;
	j->progress = 1.0;
	j->eta_s = 0;
	j->pid = 0;
	j->finished_ms = time_now_ms();
	job_clear_error(j);
	run_count_end(r, "succeeded", 0);
	run_logf(r, "job succeeded (attempt %d)", j->attempts);
	log_info("job %lld: succeeded", (long long)j->id);
	job_persist(r->e, j);
	run_end(r);
}

/*
 * The job's work failed with code: retry it later if the code is
 * transient and attempts remain, else it has failed for good. Either way
 * partial outputs go first.
 */
void run_fail(struct run *r, int code, const char *detail)
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
	run_count_end(r, "failed", code);
	if (aura_error_transient(code) && j->attempts < j->max_attempts) {
		int64_t delay = backoff_delay_ms(e, j->attempts);
		metrics_add(e->metrics, METRIC_RETRIES, NULL, NULL, 1);
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
void run_stopped(struct run *r)
{
	struct engine *e = r->e;
	struct job *j = &r->job;
	switch (r->stop) {
	case STOP_FAIL:
		run_fail(r, r->fail_code, r->fail_detail);
		return;
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
		run_count_end(r, "cancelled", 0);
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
	run_count_end(r, "interrupted", 0);
	run_logf(r, "interrupted by shutdown (not counted as an attempt); the job runs again "
		    "when the server starts");
	log_info("job %lld: interrupted by shutdown, queued again", (long long)j->id);
	job_persist(e, j);
	run_end(r);
}

/* Begin stopping every lane's child; on_exit of the last finishes the
 * job. May free r. */
void run_stop(struct run *r, enum stop_reason why, bool now)
{
	struct engine *e = r->e;
	if (r->stop == STOP_NONE || why == STOP_CANCEL)
		r->stop = why;
	loop_timer_del(e->loop, r->timeout_timer);
	r->timeout_timer = 0;
	task_cmd_clear(&r->held); /* nothing more starts */
	r->has_held = false;
	r->advance_held = false;
	int q = now ? 0 : e->cfg->quit_grace * 1000;
	int t = now ? 0 : e->cfg->term_grace * 1000;
	/* run_stopped waits for the walk: a lane may end inside it */
	r->stopping = true;
	struct lane *next;
	for (struct lane *l = r->lanes; l; l = next) {
		next = l->next;
		loop_timer_del(e->loop, l->stall_timer);
		l->stall_timer = 0;
		if (!l->proc) {
			/* An asynchronous step (or its held result): cancelling
			 * it closes its transfers at once. */
			if (l->stepping && l->cmd.step.cancel)
				run_logf(r, "the %s step is cancelled",
					 r->job.stage ? r->job.stage : "current");
			lane_free(l); /* cancels the step */
			continue;
		}
		run_slurm_stop(l, q, t);
		proc_stop(l->proc, q, t); /* a later, shorter stop shortens it */
	}
	r->stopping = false;
	if (!r->lanes)
		run_stopped(r); /* frees r */
}

/* A lane failed with code: with no other lane running the job fails now,
 * else the others are stopped first and it fails when they are gone. */
void run_fail_lanes(struct run *r, int code, const char *detail)
{
	if (!r->lanes) {
		run_fail(r, code, detail);
		return;
	}
	if (r->stop == STOP_NONE) {
		r->fail_code = code;
		set_str(&r->fail_detail, detail);
		run_logf(r, "stopping the %d other command%s of the job", r->nlanes,
			 r->nlanes == 1 ? "" : "s");
	}
	run_stop(r, STOP_FAIL, false);
}

/* --- stall and time limits ---------------------------------------------- */

static void stall_fire(struct loop *lp, void *ctx);

void stall_arm(struct lane *l)
{
	struct run *r = l->r;
	struct engine *e = r->e;
	loop_timer_del(e->loop, l->stall_timer);
	l->stall_timer = 0;
	if (e->stall_ms <= 0 || !l->proc || r->stop != STOP_NONE || r->job.state != JOB_RUNNING ||
	    l->slurm_waiting)
		return;
	int64_t due = l->tracker.last_advance_ms + e->stall_ms - time_mono_ms();
	l->stall_timer = loop_timer_add(e->loop, due > 0 ? due : 0, stall_fire, l);
}

/* The output size is looked at only here, when the timer fires. Each lane
 * has its own: one stalled lane stops them all. */
static void stall_fire(struct loop *lp, void *ctx)
{
	struct lane *l = ctx;
	struct run *r = l->r;
	(void)lp;
	l->stall_timer = 0;
	int64_t now = time_mono_ms();
	struct stat st;
	if (l->cmd.output_path && stat(l->cmd.output_path, &st) == 0) {
		progress_tracker_note_size(&l->tracker, (int64_t)st.st_size, now);
		if (r->nlanes == 1 && r->job.size < (int64_t)st.st_size)
			r->job.size = (int64_t)st.st_size;
	}
	if (!progress_tracker_stalled(&l->tracker, now, r->e->stall_ms)) {
		stall_arm(l);
		return;
	}
	if (l->cmd.parallel)
		run_logf(r, "[%d] no progress for %.1f s: stopping the job", l->cmd.tag,
			 (now - l->tracker.last_advance_ms) / 1000.0);
	else
		run_logf(r, "no progress for %.1f s: stopping the job",
			 (now - l->tracker.last_advance_ms) / 1000.0);
	log_warn("job %lld: stalled, stopping it", (long long)r->job.id);
	metrics_add(r->e->metrics, METRIC_STALLS, NULL, NULL, 1);
	r->tail = l->tail;
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

void timeout_arm(struct run *r)
{
	if (r->timeout_left_ms <= 0)
		return;
	r->timeout_armed_ms = time_mono_ms();
	r->timeout_timer = loop_timer_add(r->e->loop, r->timeout_left_ms, timeout_fire, r);
}

/* Pausing suspends the time limit: a paused job is not using its time. */
void timeout_suspend(struct run *r)
{
	if (!r->timeout_timer)
		return;
	loop_timer_del(r->e->loop, r->timeout_timer);
	r->timeout_timer = 0;
	r->timeout_left_ms -= time_mono_ms() - r->timeout_armed_ms;
	if (r->timeout_left_ms < 1)
		r->timeout_left_ms = 1;
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
void job_start(struct engine *e, struct job *queued)
{
	struct run *r = xcalloc(1, sizeof(*r));
	r->e = e;
	r->log_fd = -1;
	r->jlog.fd = -1;
	/* Queued since its last write: its submit, its automatic retry's
	 * failure (the backoff included), a retry by hand, or a change while
	 * it waited (priority, pause). */
	int64_t queued_ms =
	    queued->updated_ms > queued->created_ms ? queued->updated_ms : queued->created_ms;
	r->job = *queued;
	job_init(queued);
	buf_init(&r->log_batch);
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
	set_str(&j->substate, NULL);
	set_str(&j->cluster_id, NULL);
	job_clear_error(j);
	job_reset_progress(j);
	r->cwd = job_cwd(j);
	metrics_add(e->metrics, METRIC_RUNS_STARTED, job_pool(j), NULL, 1);
	if (queued_ms > 0 && j->started_ms >= queued_ms)
		metrics_observe(e->metrics, METRIC_QUEUE_WAIT, NULL,
				(double)(j->started_ms - queued_ms) / 1000.0);
	r->timeout_left_ms = e->cfg->job_timeout > 0 ? e->cfg->job_timeout * 1000LL : 0;
	run_lanes_init(r);

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

	struct aura_error err = { 0 };
	const struct engine_kind *k = e->kinds[j->kind].k;
	memset(&r->task, 0, sizeof(r->task));
	int rc = k && k->task_new ? k->task_new(&e->env, j, &r->task, &err)
				  : task_new(&e->env, j, &r->task, &err);
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
