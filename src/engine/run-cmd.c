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
	struct lane *l = ctx;
	progress_tracker_update(&l->tracker, blk, time_mono_ms());
	run_progress(l->r);
}

static void on_fd3(void *ctx, const char *data, size_t n)
{
	struct lane *l = ctx;
	progress_parser_feed(&l->parser, data, n, on_block, l);
}

static void on_stdout(void *ctx, const char *data, size_t n)
{
	struct lane *l = ctx;
	if (l->slurm_pool) { /* srun forwards no fd 3: progress is on stdout */
		progress_parser_feed(&l->parser, data, n, on_block, l);
		return;
	}
	if (!l->cmd.ffmpeg)
		progress_tracker_rebase(&l->tracker, time_mono_ms()); /* output is life */
	if (!l->cmd.capture_stdout)
		return;
	size_t room = STDOUT_CAPTURE_MAX > l->out.len ? STDOUT_CAPTURE_MAX - l->out.len : 0;
	buf_append(&l->out, data, n < room ? n : room);
}

static void err_line_flush(struct lane *l)
{
	if (l->err_line.len == 0)
		return;
	size_t len = l->err_line.len;
	if (l->err_line.data[len - 1] == '\r')
		l->err_line.data[--len] = '\0';
	if (l->cmd.parallel) { /* beside others: the lines say whose they are */
		char *line = xasprintf("[%d] %s", l->cmd.tag, l->err_line.data);
		run_log_line(l->r, line);
		free(line);
	} else {
		run_log_line(l->r, l->err_line.data);
	}
	/* through srun, srun's own lines are not FFmpeg's errors */
	if (l->slurm_pool && !run_slurm_line(l, l->err_line.data)) {
		ffclass_tail_append(&l->tail, l->err_line.data, len);
		ffclass_tail_append(&l->tail, "\n", 1);
	}
	buf_reset(&l->err_line);
}

static void on_stderr(void *ctx, const char *data, size_t n)
{
	struct lane *l = ctx;
	struct run *r = l->r;
	r->batching = true; /* one write for the lines of this read */
	if (!l->slurm_pool)
		ffclass_tail_append(&l->tail, data, n);
	if (!l->cmd.ffmpeg)
		progress_tracker_rebase(&l->tracker, time_mono_ms());
	while (n > 0) {
		const char *nl = memchr(data, '\n', n);
		size_t take = nl ? (size_t)(nl - data) : n;
		if (l->err_line.len + take > STDERR_LINE_MAX)
			take = STDERR_LINE_MAX - l->err_line.len;
		buf_append(&l->err_line, data, take);
		data += take;
		n -= take;
		if (nl && n > 0 && *data == '\n') {
			data++;
			n--;
			err_line_flush(l);
		} else if (l->err_line.len >= STDERR_LINE_MAX) {
			err_line_flush(l);
		}
	}
	r->batching = false;
	run_log_flush(r);
}

/* The lane's command ended well: its share is done. */
static void lane_count_done(struct lane *l)
{
	struct run *r = l->r;
	r->group_done += l->cmd.weight_len;
	if (l->tracker.last.out_time_known && l->tracker.last.out_time_us > 0)
		r->group_out_us += l->tracker.last.out_time_us;
}

/* The lane's command is over: the run's tail is its. */
static void lane_keep_tail(struct lane *l)
{
	l->r->tail = l->tail;
}

static void on_exit_cb(void *ctx, int status)
{
	struct lane *l = ctx;
	struct run *r = l->r;
	struct job *j = &r->job;
	int64_t stop_ms;
	enum proc_stop_step step = proc_stop_step(l->proc, &stop_ms);
	int64_t cpu_ms = proc_cpu_ms(l->proc);
	if (cpu_ms > 0)
		metrics_add(r->e->metrics, METRIC_FFMPEG_CPU, NULL, NULL, cpu_ms / 1000.0);
	l->proc = NULL;
	loop_timer_del(r->e->loop, l->stall_timer);
	l->stall_timer = 0;
	err_line_flush(l);
	bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	char *slurm_detail = NULL;
	int slurm_code = l->slurm_pool ? run_slurm_exit(l, ok, &slurm_detail) : 0;
	if (slurm_code)
		ok = false; /* srun exits 0 after a node failure */
	progress_tracker_finish(&l->tracker, ok);
	char *prog = xstrdup(l->cmd.argv[0]);

	if (r->stop != STOP_NONE) {
		if (step != PROC_STOP_NONE)
			run_logf(r, "%s was stopped by %s after %.1f s", prog,
				 proc_stop_step_name(step), stop_ms / 1000.0);
		else
			run_logf(r, "%s had ended before the stop began", prog);
		if (r->stop != STOP_FAIL || !ok)
			lane_keep_tail(l);
		free(slurm_detail);
		free(prog);
		lane_free(l);
		j->pid = run_pid(r);
		if (!r->lanes && !r->stopping)
			run_stopped(r);
		return;
	}
	lane_keep_tail(l);
	if (slurm_code) {
		run_logf(r, "%s failed: %s", prog, slurm_detail);
		lane_free(l);
		j->pid = run_pid(r);
		run_fail_lanes(r, slurm_code, slurm_detail);
		free(slurm_detail);
		free(prog);
		return;
	}
	if (WIFSIGNALED(status))
		run_logf(r, "%s was killed by signal %d", prog, WTERMSIG(status));
	else if (!ok)
		run_logf(r, "%s exited with status %d", prog, WEXITSTATUS(status));
	free(prog);

	struct aura_error err = { 0 };
	char *tail = ffclass_tail_text(&l->tail);
	int rc =
	    r->task.ops->done(r->task.impl, j, l->cmd.tag, status,
			      l->cmd.capture_stdout ? l->out.data : NULL, l->out.len, tail, &err);
	free(tail);
	if (rc >= 0 && ok)
		lane_count_done(l);
	lane_free(l);
	j->pid = run_pid(r);
	if (rc < 0) {
		run_fail_lanes(r, -rc, err.detail);
		return;
	}
	if (ok)
		run_progress(r);
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
static void step_complete(struct lane *l)
{
	struct run *r = l->r;
	struct job *j = &r->job;
	struct aura_error err = { 0 };
	int rc = r->task.ops->done(r->task.impl, j, l->cmd.tag, 0, NULL, 0, "", &err);
	if (rc >= 0)
		lane_count_done(l);
	lane_free(l);
	if (rc < 0) {
		run_fail_lanes(r, -rc, err.detail);
		return;
	}
	run_progress(r);
	run_advance(r);
}

void step_fire(struct loop *lp, void *ctx)
{
	struct lane *l = ctx;
	struct run *r = l->r;
	(void)lp;
	l->step_timer = 0;
	if (r->job.state == JOB_PAUSED) {
		/* A paused job's request was already on the wire: its result
		 * is kept, and the job goes on from it when resumed. */
		l->step_held = true;
		run_logf(r, "the %s step finished while the job is paused: it goes on at resume",
			 r->job.stage ? r->job.stage : "current");
		return;
	}
	step_complete(l);
}

/* task_step_finish_fn: may come from deep inside a provider's callback, so
 * the task's done() and next() run on a clean turn of the loop. */
static void step_finish(void *token)
{
	struct lane *l = token;
	if (!l->stepping)
		return;
	l->stepping = false;
	loop_timer_del(l->r->e->loop, l->step_timer);
	l->step_timer = loop_timer_add(l->r->e->loop, 0, step_fire, l);
}

static int lane_step_start(struct lane *l, struct aura_error *err)
{
	struct run *r = l->r;
	l->stepping = true;
	l->step_held = false;
	int rc = l->cmd.step.start(l->cmd.step.arg, &r->e->aenv, step_finish, l, err);
	if (rc < 0) {
		l->stepping = false;
		return rc;
	}
	job_persist(r->e, &r->job); /* the stage, for show and the TUI */
	return 0;
}

/* --- lanes ----------------------------------------------------------------- */

int run_pid(const struct run *r)
{
	const struct lane *first = NULL;
	for (const struct lane *l = r->lanes; l; l = l->next)
		if (l->proc)
			first = l; /* the list is newest first */
	return first ? (int)proc_pid(first->proc) : 0;
}

void lane_free(struct lane *l)
{
	struct run *r = l->r;
	struct engine *e = r->e;
	for (struct lane **pp = &r->lanes; *pp; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			r->nlanes--;
			if (!l->slurm_name)
				r->nlanes_local--;
			break;
		}
	}
	loop_timer_del(e->loop, l->stall_timer);
	loop_timer_del(e->loop, l->step_timer);
	if (l->stepping && l->cmd.step.cancel)
		l->cmd.step.cancel(l->cmd.step.arg);
	if (l->proc)
		proc_abandon(l->proc);
	task_cmd_clear(&l->cmd);
	run_slurm_free(l);
	buf_free(&l->err_line);
	buf_free(&l->out);
	free(l);
}

/* The job's progress (task.h): the group's start, the shares of its
 * commands that ended well, the running ones' shares times their fraction;
 * monotonic. fps and speed: the running lanes' sum. */
void run_progress(struct run *r)
{
	struct engine *e = r->e;
	struct job *j = &r->job;
	int64_t now = time_mono_ms();
	double overall = r->group_start + r->group_done;
	double fps = -1, speed = -1, eta = -1;
	int64_t out_us = r->group_out_us;
	int running = 0;
	for (struct lane *l = r->lanes; l; l = l->next) {
		if (!l->proc)
			continue;
		running++;
		const struct progress *last = &l->tracker.last;
		double frac = progress_tracker_fraction(&l->tracker);
		if (frac > 0)
			overall += l->cmd.weight_len * frac;
		if (last->out_time_known && last->out_time_us > 0)
			out_us += last->out_time_us;
		if (last->fps >= 0)
			fps = (fps < 0 ? 0 : fps) + last->fps;
		if (last->speed >= 0)
			speed = (speed < 0 ? 0 : speed) + last->speed;
		if (r->nlanes == 1 && last->total_size >= 0 && last->total_size > j->size)
			j->size = last->total_size; /* one output growing */
		double le = progress_tracker_eta_s(&l->tracker, now);
		if (le > eta)
			eta = le; /* the group ends with its slowest lane */
	}
	if (overall > 0.999)
		overall = 0.999; /* 100 % is the job's success */
	if (overall > j->progress)
		j->progress = overall; /* monotonic within an attempt */
	if (out_us > 0)
		j->out_time_us = out_us;
	if (running > 0) {
		if (fps >= 0)
			j->fps = fps;
		if (speed >= 0)
			j->speed = speed;
		j->eta_s = eta;
	}
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

static int lane_spawn(struct lane *l, struct aura_error *err)
{
	struct run *r = l->r;
	struct engine *e = r->e;
	struct task_cmd *c = &l->cmd;
	if (c->step.start)
		return lane_step_start(l, err);
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
	if (run_slurm_pool(r, c)) {
		int rc = run_slurm_argv(l, prog, &sargv, err);
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
	if (c->parallel)
		run_logf(r, "[%d] %s", c->tag, line.data);
	else
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
	progress_parser_init(&l->parser);
	progress_tracker_init(&l->tracker, c->duration_us, now);
	l->proc = proc_spawn(e->loop, &spec, &run_proc_ops, l, err);
	free(argv);
	if (sargv) {
		for (size_t i = 0; sargv[i]; i++)
			free(sargv[i]);
		free(sargv);
	}
	if (!l->proc && l->slurm_pool) {
		l->slurm_pool = NULL;
		if (strstr(err->detail, "No such file") ||
		    strstr(err->detail, "Permission denied")) {
			char d[sizeof(err->detail)];
			snprintf(d, sizeof(d), "%s", err->detail);
			return aura_error_set(err, AURA_E_SLURM_NOT_FOUND, "%s", d);
		}
	}
	if (!l->proc)
		return -AURA_E_SPAWN_FAILED;
	r->job.pid = run_pid(r);
	/* the first progress row a second from now: a short command's last
	 * state is saved with its end, it needs none */
	r->progress_stored_ms = now;
	if (c->duration_us > 0 && !c->parallel)
		r->job.duration_us = c->duration_us;
	job_persist(e, &r->job); /* the pid must be on disk for recovery */
	stall_arm(l);
	return 0;
}

int lane_start(struct run *r, struct task_cmd *cmd, struct aura_error *err)
{
	struct lane *l = xcalloc(1, sizeof(*l));
	l->r = r;
	l->cmd = *cmd;
	memset(cmd, 0, sizeof(*cmd));
	buf_init(&l->err_line);
	buf_init(&l->out);
	ffclass_tail_init(&l->tail);
	l->next = r->lanes;
	r->lanes = l;
	r->nlanes++;
	r->nlanes_local++; /* until run_slurm_argv names it a Slurm lane */
	int rc = lane_spawn(l, err);
	if (rc < 0) {
		lane_keep_tail(l);
		lane_free(l);
	}
	return rc;
}
