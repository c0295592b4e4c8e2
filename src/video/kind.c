/*
 * kind.c -- the video job kind's hooks for the engine: prepare checks a
 * `new` request's options (vspec.c), so a bad one is an error reply and not
 * a failed job, names the output at once, so `ls` shows it, and writes
 * the resolved style's keys into the request (the stored spec), after the
 * files a remote client named were read here (new-remote.c); active
 * turns the providers' background health on while video jobs are queued or
 * running, off when none is (or the server stops).
 */
#include "config.h"

#include <stdlib.h>

#include <jansson.h>

#include "base/paths.h"
#include "base/util.h"
#include "engine/engine.h"
#include "providers/health.h"
#include "video/kind.h"
#include "video/new-input.h"
#include "video/vspec.h"

static int video_prepare(json_t *params, const struct aura_config *cfg, struct job *j,
			 struct aura_error *err)
{
	struct vspec vs;
	vspec_init(&vs, cfg);
	int rc = new_input_on_server(params, cfg, err);
	if (rc == 0)
		rc = vspec_from_json(&vs, params, err);
	if (rc == 0 && vs.output)
		rc = paths_check_output(vs.output, err);
	if (rc == 0) {
		/* the look resolved into the request, so the stored spec keeps it
		 * whatever aura.ini says later (a batch row names only a style) */
		json_t *o = json_object_get(params, "options");
		if (!json_is_object(o)) {
			o = json_object();
			json_object_set_new(params, "options", o);
		}
		vspec_style_to_json(&vs, o);
		free(j->output);
		j->output = vs.output ? xstrdup(vs.output) : vspec_default_output(&vs, cfg);
	}
	vspec_free(&vs);
	return rc;
}

static void video_active(void *ctx, size_t n_active)
{
	health_set_active(ctx, n_active > 0);
}

static const struct engine_kind video_kind = {
	.name = "video",
	.prepare = video_prepare,
	.active = video_active,
};

void video_kind_register(struct engine *e, struct health *h)
{
	engine_set_kind(e, JOB_KIND_VIDEO, &video_kind, h);
}
