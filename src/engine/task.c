/*
 * task.c -- the task factory: picks the implementation of a job's work by
 * its kind (task-ffmpeg.c for raw FFmpeg jobs, pipeline.c for videos), and
 * the helper that releases a task_cmd.
 *
 * Must never: know how a kind does its work, spawn, or block.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "engine/task.h"

void task_cmd_clear(struct task_cmd *c)
{
	if (c->argv) {
		for (char **a = c->argv; *a; a++)
			free(*a);
		free(c->argv);
	}
	free(c->output_path);
	free(c->stdin_path);
	free(c->stage);
	memset(c, 0, sizeof(*c));
}

int task_new(const struct task_env *env, struct job *j, struct task *out, struct aura_error *err)
{
	memset(out, 0, sizeof(*out));
	switch (j->kind) {
	case JOB_KIND_FFMPEG:
		return task_ffmpeg_new(env, j, out, err);
	case JOB_KIND_VIDEO:
		return task_video_new(env, j, out, err);
	case JOB_KIND__COUNT:
		break;
	}
	return aura_error_set(err, AURA_E_INTERNAL, "job %lld has an unknown kind %d",
			      (long long)j->id, (int)j->kind);
}
