/*
 * pipeline.c -- PLACEHOLDER for the video job kind (task_video_new). The
 * pipeline helper replaces this whole file with the staged pipeline; until
 * then a video job fails at once with a clear error instead of failing to
 * link.
 *
 * Must never: pretend to render anything.
 */
#include "config.h"

#include "task.h"

int task_video_new(const struct task_env *env, struct job *j, struct task *out,
		   struct aura_error *err)
{
	(void)env;
	(void)out;
	return aura_error_set(err, AURA_E_INTERNAL, "job %lld: video jobs arrive with the pipeline",
			      (long long)j->id);
}
