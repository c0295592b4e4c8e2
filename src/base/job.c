/*
 * job.c -- job record helpers: init/clear/copy, state and kind names.
 *
 * Must never: do I/O.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/job.h"
#include "base/util.h"

static const char *const state_names[JOB_STATE__COUNT] = {
	"queued", "running", "paused", "succeeded", "failed", "cancelled",
};
static const char *const kind_names[JOB_KIND__COUNT] = { "ffmpeg", "video" };

void job_init(struct job *j)
{
	memset(j, 0, sizeof(*j));
	j->eta_s = -1;
}

void job_clear(struct job *j)
{
	free(j->name);
	free(j->spec);
	free(j->output);
	free(j->workdir);
	free(j->stage);
	free(j->error_code);
	free(j->error_message);
	free(j->stderr_tail);
	free(j->warnings);
	free(j->key);
	free(j->pool);
	free(j->cluster_id);
	free(j->substate);
	free(j->after);
	free(j->on_done);
	job_init(j);
}

void job_copy(struct job *dst, const struct job *src)
{
	*dst = *src;
	dst->name = xstrdup(src->name);
	dst->spec = xstrdup(src->spec);
	dst->output = xstrdup(src->output);
	dst->workdir = xstrdup(src->workdir);
	dst->stage = xstrdup(src->stage);
	dst->error_code = xstrdup(src->error_code);
	dst->error_message = xstrdup(src->error_message);
	dst->stderr_tail = xstrdup(src->stderr_tail);
	dst->warnings = xstrdup(src->warnings);
	dst->key = xstrdup(src->key);
	dst->pool = xstrdup(src->pool);
	dst->cluster_id = xstrdup(src->cluster_id);
	dst->substate = xstrdup(src->substate);
	dst->on_done = xstrdup(src->on_done);
	dst->after = NULL;
	if (src->nafter) {
		dst->after = xcalloc(src->nafter, sizeof(*dst->after));
		memcpy(dst->after, src->after, src->nafter * sizeof(*dst->after));
	}
}

void job_copy_progress(struct job *dst, const struct job *src)
{
	if (!dst->stage || !src->stage || strcmp(dst->stage, src->stage) != 0) {
		free(dst->stage);
		dst->stage = src->stage ? xstrdup(src->stage) : NULL;
	}
	dst->progress = src->progress;
	dst->out_time_us = src->out_time_us;
	dst->duration_us = src->duration_us;
	dst->fps = src->fps;
	dst->speed = src->speed;
	dst->size = src->size;
	dst->eta_s = src->eta_s;
}

const char *job_state_name(enum job_state s)
{
	return (unsigned)s < JOB_STATE__COUNT ? state_names[s] : "unknown";
}

int job_state_parse(const char *name)
{
	for (int i = 0; i < JOB_STATE__COUNT; i++)
		if (strcmp(name, state_names[i]) == 0)
			return i;
	return -1;
}

const char *job_kind_name(enum job_kind k)
{
	return (unsigned)k < JOB_KIND__COUNT ? kind_names[k] : "unknown";
}

int job_kind_parse(const char *name)
{
	for (int i = 0; i < JOB_KIND__COUNT; i++)
		if (strcmp(name, kind_names[i]) == 0)
			return i;
	return -1;
}

bool job_state_terminal(enum job_state s)
{
	return s == JOB_SUCCEEDED || s == JOB_FAILED || s == JOB_CANCELLED;
}

static const char *const stage_names[] = { "pending", "running", "done", "failed", "skipped" };

const char *stage_state_name(enum stage_state s)
{
	return (unsigned)s < ARRAY_LEN(stage_names) ? stage_names[s] : "unknown";
}

int stage_state_parse(const char *name)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < ARRAY_LEN(stage_names); i++)
		if (strcmp(name, stage_names[i]) == 0)
			return (int)i;
	return -1;
}

void stage_list_free(struct stage *s, int n)
{
	if (!s)
		return;
	for (int i = 0; i < n; i++)
		free(s[i].name);
	free(s);
}
