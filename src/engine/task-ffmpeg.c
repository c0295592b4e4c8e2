/*
 * task-ffmpeg.c -- the raw FFmpeg job kind (`aura submit -- ARGS...`): an
 * optional ffprobe of the first input for the duration (so progress has a
 * percent), then the user's ffmpeg command. Owns the task's steps, how
 * each ended, and the duration estimate (the probed length against -t and
 * -ss). The spec and its arguments are read in task-ffmpeg-args.c; the
 * output's temporary name and its rename are task-ffmpeg-output.c's.
 *
 * Must never: delete or truncate a file it did not create as a temporary,
 * run anything but ffprobe and ffmpeg, or put a shell between us and them.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <jansson.h>

#include "ff/ffclass.h"
#include "engine/task-ffmpeg-int.h"
#include "base/util.h"

static int64_t planned_duration(const struct ffjob *t, int64_t probed_us)
{
	int64_t d = probed_us;
	if (d > 0 && t->in_ss_us > 0)
		d = d > t->in_ss_us ? d - t->in_ss_us : 0;
	if (t->in_t_us > 0 && (d <= 0 || t->in_t_us < d))
		d = t->in_t_us;
	if (t->out_t_us > 0 && (d <= 0 || t->out_t_us < d))
		d = t->out_t_us;
	return d > 0 ? d : 0;
}

static char **argv_from(const char *const *v, size_t n)
{
	char **a = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		a[i] = xstrdup(v[i]);
	return a;
}
static int ff_next(void *impl, struct job *j, struct task_cmd *cmd, struct aura_error *err)
{
	struct ffjob *t = impl;

	if (t->step == STEP_PROBE) {
		int rc = ffjob_prepare_output(t, j, err);
		if (rc < 0)
			return rc;
		/* lavfi sources report no duration to ffprobe: not worth a run */
		bool probe = t->input && !(t->input_fmt && strcmp(t->input_fmt, "lavfi") == 0);
		if (probe && t->env->ffprobe) {
			const char *v[12];
			size_t n = 0;
			v[n++] = "ffprobe";
			v[n++] = "-v";
			v[n++] = "error";
			v[n++] = "-show_entries";
			v[n++] = "format=duration";
			v[n++] = "-of";
			v[n++] = "json";
			if (t->input_fmt) {
				v[n++] = "-f";
				v[n++] = t->input_fmt;
			}
			v[n++] = "-i";
			v[n++] = t->input;
			cmd->argv = argv_from(v, n);
			cmd->capture_stdout = true;
			cmd->weight_start = 0;
			cmd->weight_len = 0;
			return TASK_RUN;
		}
		t->duration_us = planned_duration(t, 0);
		if (probe && t->duration_us <= 0)
			t->env->log(t->env->eng_ctx, j->id,
				    "ffprobe not found: the duration is unknown, progress shows no "
				    "percent");
		t->step = STEP_RUN;
	}
	if (t->step == STEP_RUN) {
		size_t n = 0;
		cmd->argv = xcalloc(t->nargs + 4, sizeof(char *));
		cmd->argv[n++] = xstrdup("ffmpeg");
		/* Without -y/-n ffmpeg would ask on stdin whether to overwrite;
		 * nobody answers a job, so refuse to overwrite instead. */
		if (!t->has_overwrite_flag)
			cmd->argv[n++] = xstrdup("-n");
		for (size_t i = 0; i < t->nargs; i++) {
			const char *a = t->args[i];
			if (t->tmp_abs && t->is_output_arg[i])
				cmd->argv[n++] = str_starts_with(a, "file:")
						     ? xasprintf("file:%s", t->tmp_abs)
						     : xstrdup(t->tmp_abs);
			else
				cmd->argv[n++] = xstrdup(a);
		}
		if (t->output && !t->output_in_args)
			cmd->argv[n++] = xstrdup(t->tmp_abs ? t->tmp_abs : t->output);
		cmd->ffmpeg = true;
		cmd->pool_work = true; /* through srun in a Slurm pool */
		cmd->duration_us = t->duration_us;
		cmd->output_path = xstrdup(t->tmp_abs ? t->tmp_abs : t->output_abs);
		cmd->weight_start = 0;
		cmd->weight_len = 1;
		return TASK_RUN;
	}
	return TASK_FINISHED;
}

/* {"format": {"duration": "12.345"}} -> microseconds, or 0. */
static int64_t probe_duration(const char *out, size_t len)
{
	json_error_t jerr;
	json_t *root = json_loadb(out, len, 0, &jerr);
	int64_t us = 0;
	json_t *d = json_object_get(json_object_get(root, "format"), "duration");
	if (json_is_string(d)) {
		int64_t v;
		if (ffjob_parse_duration(json_string_value(d), &v) == 0 && v > 0)
			us = v;
	} else if (json_is_number(d) && json_number_value(d) > 0) {
		us = (int64_t)(json_number_value(d) * 1e6);
	}
	json_decref(root);
	return us;
}

static int ff_done(void *impl, struct job *j, int tag, int wait_status, const char *out,
		   size_t out_len, const char *stderr_tail, struct aura_error *err)
{
	struct ffjob *t = impl;
	(void)tag; /* one command at a time */
	bool ok = WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;

	if (t->step == STEP_PROBE) {
		int64_t d = ok && out ? probe_duration(out, out_len) : 0;
		t->duration_us = planned_duration(t, d);
		if (t->duration_us <= 0)
			t->env->log(t->env->eng_ctx, j->id,
				    "ffprobe could not tell the duration of %s: progress shows no "
				    "percent",
				    t->input);
		t->step = STEP_RUN;
		return 0;
	}
	if (t->step == STEP_RUN) {
		/* Classified even on exit 0: FFmpeg exits 0 after some failed
		 * writes (ENOSPC), leaving a truncated file. */
		size_t n = stderr_tail ? strlen(stderr_tail) : 0;
		int code = ffclass_classify(wait_status, stderr_tail, n, false);
		if (code == 0) {
			int rc = ffjob_finish_output(t, j, err);
			if (rc < 0)
				return rc;
			t->step = STEP_DONE;
			return 0;
		}
		char *summary = stderr_tail ? ffclass_summary(stderr_tail) : NULL;
		int rc;
		if (summary)
			rc = aura_error_set(err, code, "%s", summary);
		else if (WIFSIGNALED(wait_status))
			rc =
			    aura_error_set(err, code, "killed by signal %d", WTERMSIG(wait_status));
		else
			rc = aura_error_set(err, code, "exit status %d", WEXITSTATUS(wait_status));
		free(summary);
		return rc;
	}
	return 0;
}

/* Only our temporary is removed, never the real name. */
static void ff_abort(void *impl, struct job *j)
{
	struct ffjob *t = impl;
	if (t->step == STEP_DONE)
		return;
	if (t->tmp_abs) {
		if (unlink(t->tmp_abs) == 0)
			t->env->log(t->env->eng_ctx, j->id, "removed the partial output %s",
				    t->tmp_abs);
		return;
	}
	if (t->not_one_file)
		t->env->log(t->env->eng_ctx, j->id,
			    "the output %s is %s: left as it is, whatever FFmpeg wrote there",
			    t->output, t->not_one_file);
}

static void ff_free(void *impl)
{
	struct ffjob *t = impl;
	if (!t)
		return;
	if (t->args)
		for (size_t i = 0; i < t->nargs; i++)
			free(t->args[i]);
	free(t->args);
	free(t->cwd);
	free(t->output);
	free(t->output_abs);
	free(t->tmp_abs);
	free(t->is_file_arg);
	free(t->is_output_arg);
	free(t->file_fmt);
	free(t);
}

static const struct task_ops ff_ops = {
	.next = ff_next,
	.done = ff_done,
	.abort = ff_abort,
	.free = ff_free,
};

int task_ffmpeg_new(const struct task_env *env, struct job *j, struct task *out,
		    struct aura_error *err)
{
	struct ffjob *t = xcalloc(1, sizeof(*t));
	t->env = env;
	t->job_id = j->id;
	t->in_t_us = t->in_ss_us = t->out_t_us = -1;
	int rc = ffjob_parse_spec(t, j, err);
	if (rc < 0) {
		ff_free(t);
		return rc;
	}
	t->is_file_arg = xcalloc(t->nargs + 1, sizeof(bool));
	t->is_output_arg = xcalloc(t->nargs + 1, sizeof(bool));
	t->file_fmt = xcalloc(t->nargs + 1, sizeof(char *));
	ffjob_scan_args(t);
	ffjob_resolve_output(t);
	ffjob_load_preexisted(t, j);
	ffjob_choose_tmp(t);
	/* Guessed from the arguments: record it, so `aura show` names it. */
	if (!j->output && t->output_abs)
		j->output = xstrdup(t->output_abs);
	out->ops = &ff_ops;
	out->impl = t;
	return 0;
}
