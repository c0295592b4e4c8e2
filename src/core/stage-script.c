/*
 * stage-script.c -- the `script` stage: the user's script (--script, sent
 * as text in the spec) or the offline writer's from the topic, sized for
 * the voice's speaking rate; kept as script.json in the work directory.
 * In-process: no command runs.
 *
 * Must never: read a file of the user's (the client sent its content), or
 * give the same input two different scripts (the writer is seeded).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "stage.h"

static void scenes_alloc(struct vjob *v)
{
	for (int i = 0; i < v->n; i++) {
		free(v->scenes[i].visual);
		free(v->scenes[i].source);
	}
	free(v->scenes);
	v->n = v->script.n;
	v->scenes = xcalloc((size_t)(v->n > 0 ? v->n : 1), sizeof(*v->scenes));
}

static bool script_ready(struct vjob *v)
{
	char *text = vjob_read(v, "script.json");
	if (!text)
		return false;
	script_free(&v->script);
	int rc = script_from_json(text, &v->script, NULL);
	free(text);
	if (rc < 0 || v->script.n < 1)
		return false;
	v->generated = v->spec.script == NULL;
	scenes_alloc(v);
	return true;
}

static int script_next(struct vjob *v, struct task_cmd *cmd, struct aura_error *err)
{
	(void)cmd;
	script_free(&v->script);
	int rc;
	if (v->spec.script) {
		rc = script_parse(v->spec.script, &v->script, err);
		v->generated = false;
	} else {
		const struct aura_config *cfg = v->env->cfg;
		int secs =
		    vjob_script_seconds(v->spec.duration, voice_words_per_minute(&v->spec.voice),
					cfg ? cfg->scene_gap_ms : 400);
		rc = script_generate(v->spec.topic, secs, v->spec.seed, &v->script, err);
		v->generated = true;
		if (rc == 0)
			vjob_log(v, "script: %d scenes, %d words (written for %d s of this voice)",
				 v->script.n, script_word_count(&v->script), v->spec.duration);
	}
	if (rc < 0)
		return rc;
	char *json = script_to_json(&v->script);
	rc = vjob_write(v, "script.json", json, err);
	free(json);
	if (rc < 0)
		return rc;
	scenes_alloc(v);
	return VSTAGE_DONE;
}

static int script_done(struct vjob *v, int status, const char *out, size_t out_len,
		       const char *tail, struct aura_error *err)
{
	(void)v;
	(void)status;
	(void)out;
	(void)out_len;
	(void)tail;
	(void)err;
	return 0; /* runs no command */
}

const struct stage_ops stage_script_ops = {
    .name = "script",
    .ready = script_ready,
    .next = script_next,
    .done = script_done,
};
