/*
 * stage-script.c -- the `script` stage: the user's script (--script, sent
 * as text in the spec), else the [providers] script chain walked in order
 * (an OpenAI-compatible writer as an asynchronous step, its answer
 * validated by provider-openai.c), the offline writer ("rulebased")
 * always the last resort; sized for the voice's speaking rate and kept as
 * script.json in the work directory.
 *
 * A --from document comes with its extractive summary as the user's
 * script and its text: with a script provider in the chain, the provider
 * condenses the text into scenes instead (its answer refused when longer
 * than asked for), and the summary is the fallback.
 *
 * Must never: read a file of the user's (the client sent its content),
 * give the same input two different scripts offline (the writer is
 * seeded), or fail the job because a provider failed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "video/stage.h"

enum { S_START, S_CHAIN, S_ONLINE_DONE };

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

/* A --from document with its extractive summary: a script provider
 * condenses the document instead when one answers well. */
static bool has_document(const struct vjob *v)
{
	return v->spec.document != NULL && v->spec.script != NULL;
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
	v->generated = v->spec.script == NULL || has_document(v);
	scenes_alloc(v);
	return true;
}

/* The writer after link k, for the warning: the offline one at the end. */
static const char *next_writer(const struct vjob *v, int k)
{
	if (has_document(v))
		return "the document's extractive summary";
	for (int i = k + 1; i < v->chain.n; i++)
		if (strcmp(v->chain.names[i], "openai") == 0 ||
		    strcmp(v->chain.names[i], "rulebased") == 0)
			return v->chain.names[i];
	return "rulebased";
}

static int script_seconds(const struct vjob *v)
{
	const struct aura_config *cfg = v->env->cfg;
	/* --voice-speed: a faster voice says more words in the same time */
	double speed = v->spec.voice_speed > 0 ? v->spec.voice_speed : 1.0;
	int wpm = (int)(voice_words_per_minute(&v->spec.voice) * speed + 0.5);
	return vjob_script_seconds(v->spec.duration, wpm, cfg ? cfg->scene_gap_ms : 400);
}

/* Walk the chain from the current link: TASK_RUN with a request, or
 * VSTAGE_DONE when the offline writer's turn has come. */
static int chain_walk(struct vjob *v, struct task_cmd *cmd)
{
	const struct aura_config *cfg = v->env->cfg;
	for (; v->link < v->chain.n; v->link++) {
		const char *name = v->chain.names[v->link];
		if (strcmp(name, "rulebased") == 0)
			return VSTAGE_DONE;
		if (strcmp(name, "openai") != 0 || !vjob_provider(v, name))
			continue; /* unknown names were refused by the config */
		struct vcall *c = &v->call;
		vcall_reset(c);
		c->kind = VCALL_SCRIPT;
		c->provider = xstrdup(name);
		c->text = xstrdup(v->spec.topic);
		c->model = cfg && cfg->openai.model ? xstrdup(cfg->openai.model) : NULL;
		c->duration_s = script_seconds(v);
		c->lang = v->spec.lang ? xstrdup(v->spec.lang) : NULL;
		if (has_document(v)) {
			c->document = xstrdup(v->spec.document);
			vjob_log(v, "script: asking %s to condense the document to about %d s",
				 name, c->duration_s);
		} else {
			vjob_log(v, "script: asking %s for a script about %d s long", name,
				 c->duration_s);
		}
		vcall_step(c, cmd);
		cmd->weight_start = 0;
		cmd->weight_len = 1;
		return TASK_RUN;
	}
	return VSTAGE_DONE;
}

static int script_next(struct vjob *v, struct task_cmd *cmd, struct aura_error *err)
{
	int rc;
	bool chain = !v->spec.script || has_document(v);
	if (chain && v->step == S_START) {
		vchain_parse(v->env->cfg ? v->env->cfg->chain_script : NULL, &v->chain);
		v->step = S_CHAIN;
		v->link = 0;
	}
	if (chain && v->step == S_CHAIN) {
		if (chain_walk(v, cmd) == TASK_RUN)
			return TASK_RUN;
	}
	if (v->step == S_ONLINE_DONE) {
		v->generated = true;
		vjob_log(v, "script: %d scenes, %d words, from %s", v->script.n,
			 script_word_count(&v->script), v->call.provider);
		goto keep;
	}
	script_free(&v->script);
	if (v->spec.script) {
		rc = script_parse(v->spec.script, &v->script, err);
		v->generated = has_document(v); /* made for -d: held to it */
		if (rc == 0 && has_document(v))
			vjob_log(v,
				 "script: %d scenes, %d words, the document's extractive summary",
				 v->script.n, script_word_count(&v->script));
	} else {
		int secs = script_seconds(v);
		rc = script_generate(v->spec.topic, secs, v->spec.seed, &v->script, err);
		v->generated = true;
		if (rc == 0)
			vjob_log(v, "script: %d scenes, %d words (written for %d s of this voice)",
				 v->script.n, script_word_count(&v->script), v->spec.duration);
	}
	if (rc < 0)
		return rc;
keep:;
	char *json = script_to_json(&v->script);
	rc = vjob_write(v, "script.json", json, err);
	free(json);
	if (rc < 0)
		return rc;
	scenes_alloc(v);
	return VSTAGE_DONE;
}

/* Only the online writer's step ends here: the offline one runs in next(). */
static int script_done(struct vjob *v, int status, const char *out, size_t out_len,
		       const char *tail, struct aura_error *err)
{
	(void)status;
	(void)out;
	(void)out_len;
	(void)tail;
	(void)err;
	struct vcall *c = &v->call;
	/* a condensed document longer than asked for is refused: its summary
	 * was made to fit */
	int most = script_target_words(c->duration_s) * 5 / 4;
	if (c->out.code == 0 && c->document && script_word_count(&c->script) > most) {
		c->out.code = AURA_E_PROVIDER_BAD_RESPONSE;
		snprintf(c->out.detail, sizeof(c->out.detail),
			 "%s: the script has %d words; at most %d fit", c->provider,
			 script_word_count(&c->script), most);
	}
	if (c->out.code == 0 && c->script.n > 0) {
		script_free(&v->script);
		v->script = c->script;
		script_init(&c->script);
		v->step = S_ONLINE_DONE;
		return 0;
	}
	int code = c->out.code ? c->out.code : AURA_E_PROVIDER_BAD_RESPONSE;
	char *why = vcall_failure(c);
	vjob_warn(v, code, "script: %s; using %s", why, next_writer(v, v->link));
	free(why);
	v->link++;
	return 0;
}

const struct stage_ops stage_script_ops = {
	.name = "script",
	.ready = script_ready,
	.next = script_next,
	.done = script_done,
};
