/*
 * run-cmd.c -- a run's current command: its child (the argv shown in the
 * log, spawned through proc.c; FFmpeg's -progress blocks, stdout captured,
 * stderr to job.log and its tail kept, the exit) or an asynchronous step
 * (started, finished on a clean loop turn, held while the job is paused).
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
		struct aura_error err = { 0 };
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
	if (r->slurm_pool) { /* srun forwards no fd 3: progress is on stdout */
		progress_parser_feed(&r->parser, data, n, on_block, r);
		return;
	}
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
	/* through srun, srun's own lines are not FFmpeg's errors */
	if (r->slurm_pool && !run_slurm_line(r, r->err_line.data)) {
		ffclass_tail_append(&r->tail, r->err_line.data, len);
		ffclass_tail_append(&r->tail, "\n", 1);
	}
	buf_reset(&r->err_line);
}

static void on_stderr(void *ctx, const char *data, size_t n)
{
	struct run *r = ctx;
	r->batching = true; /* one write for the lines of this read */
	if (!r->slurm_pool)
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
	int64_t cpu_ms = proc_cpu_ms(r->proc);
	if (cpu_ms > 0)
		metrics_add(r->e->metrics, METRIC_FFMPEG_CPU, NULL, NULL, cpu_ms / 1000.0);
	r->proc = NULL;
	j->pid = 0;
	loop_timer_del(r->e->loop, r->stall_timer);
	r->stall_timer = 0;
	err_line_flush(r);
	bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	char *slurm_detail = NULL;
	int slurm_code = r->slurm_pool ? run_slurm_exit(r, ok, &slurm_detail) : 0;
	if (slurm_code)
		ok = false; /* srun exits 0 after a node failure */
	progress_tracker_finish(&r->tracker, ok);

	if (r->stop != STOP_NONE) {
		if (step != PROC_STOP_NONE)
			run_logf(r, "%s was stopped by %s after %.1f s", r->cmd.argv[0],
				 proc_stop_step_name(step), stop_ms / 1000.0);
		else
			run_logf(r, "%s had ended before the stop began", r->cmd.argv[0]);
		free(slurm_detail);
		run_stopped(r);
		return;
	}
	if (slurm_code) {
		run_logf(r, "%s failed: %s", r->cmd.argv[0], slurm_detail);
		run_fail(r, slurm_code, slurm_detail);
		free(slurm_detail);
		return;
	}
	if (WIFSIGNALED(status))
		run_logf(r, "%s was killed by signal %d", r->cmd.argv[0], WTERMSIG(status));
	else if (!ok)
		run_logf(r, "%s exited with status %d", r->cmd.argv[0], WEXITSTATUS(status));

	struct aura_error err = { 0 };
	char *tail = ffclass_tail_text(&r->tail);
	int rc =
	    r->task.ops->done(r->task.impl, j, r->cmd.tag, status,
			      r->cmd.capture_stdout ? r->out.data : NULL, r->out.len, tail, &err);
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
	struct aura_error err = { 0 };
	int rc = r->task.ops->done(r->task.impl, j, r->cmd.tag, 0, NULL, 0, "", &err);
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

void step_fire(struct loop *l, void *ctx)
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

int run_spawn(struct run *r, struct aura_error *err)
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
	char **sargv = NULL;
	if (run_slurm_pool(r)) {
		int rc = run_slurm_argv(r, prog, &sargv, err);
		if (rc < 0)
			return rc;
		n = 0;
		while (sargv[n])
			n++;
	}
	const char **argv = xcalloc(n + 6, sizeof(char *));
	size_t k = 0;
	if (sargv) {
		for (size_t i = 0; i < n; i++)
			argv[k++] = sargv[i];
		n = 0; /* the loop below adds nothing */
	} else {
		argv[k++] = prog;
	}
	if (c->ffmpeg && !sargv) {
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
		.stdin_mode = c->ffmpeg	      ? PROC_STDIN_PIPE
			      : c->stdin_path ? PROC_STDIN_FILE
					      : PROC_STDIN_NULL,
		.stdin_path = c->stdin_path,
		.extra_fd = c->ffmpeg && !sargv,
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
	if (sargv) {
		for (size_t i = 0; sargv[i]; i++)
			free(sargv[i]);
		free(sargv);
	}
	if (!r->proc && r->slurm_pool) {
		r->slurm_pool = NULL;
		if (strstr(err->detail, "No such file") ||
		    strstr(err->detail, "Permission denied")) {
			char d[sizeof(err->detail)];
			snprintf(d, sizeof(d), "%s", err->detail);
			return aura_error_set(err, AURA_E_SLURM_NOT_FOUND, "%s", d);
		}
	}
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
