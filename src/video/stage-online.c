/*
 * stage-online.c -- what the stages share to use the online providers: a
 * provider request run as the engine's asynchronous step (struct vcall as
 * a task_step: start, cancel, the outcome kept for the stage's done()),
 * and the fallback chains of the configuration ([providers] script, voice,
 * visuals) read into lists. Rules: doc/providers.md, "Chains in the
 * pipeline".
 *
 * Must never: call a provider that is not configured, call back into the
 * engine from inside start(), leave a partial download behind on cancel,
 * or put a key into a log line or a warning (outcomes are redacted by
 * provider.c; everything shown also goes through the log's redaction).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "providers/services.h"
#include "video/stage.h"
#include "base/util.h"

/* --- chains ------------------------------------------------------------------- */

void vchain_parse(const char *text, struct vchain *out)
{
	memset(out, 0, sizeof(*out));
	const char *p = text ? text : "";
	while (*p && out->n < VCHAIN_MAX) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		const char *end = p;
		while (*end && *end != ',')
			end++;
		const char *last = end;
		while (last > p && (last[-1] == ' ' || last[-1] == '\t'))
			last--;
		if (last > p) {
			char *name = xstrndup(p, (size_t)(last - p));
			bool dup = false;
			for (int i = 0; i < out->n; i++)
				dup = dup || strcmp(out->names[i], name) == 0;
			if (dup)
				free(name);
			else
				out->names[out->n++] = name;
		}
		p = end;
	}
}

void vchain_free(struct vchain *c)
{
	for (int i = 0; i < c->n; i++)
		free(c->names[i]);
	memset(c, 0, sizeof(*c));
}

struct provider *vjob_provider(const struct vjob *v, const char *name)
{
	const struct task_env *env = v->env;
	if (!env->provider)
		return NULL;
	struct provider *p = env->provider(env->eng_ctx, name);
	if (!p)
		log_debug("job %lld: %s is not configured (no key or base_url, or online "
			  "providers are off): skipped",
			  (long long)v->id, name);
	return p;
}

/* --- the asynchronous step ------------------------------------------------------- */

void vcall_reset(struct vcall *c)
{
	free(c->provider);
	free(c->text);
	free(c->document);
	free(c->voice);
	free(c->lang);
	free(c->model);
	free(c->path);
	free(c->cache_dir);
	free(c->credits);
	script_free(&c->script);
	memset(c, 0, sizeof(*c));
	script_init(&c->script);
}

static void vcall_file_done(const struct provider_outcome *o, void *ctx)
{
	struct vcall *c = ctx;
	c->pcall = NULL; /* freed by provider.c when this returns */
	c->sop = NULL;
	c->out = *o;
	c->finished = true;
	c->finish(c->token);
}

static void vcall_script_done(const struct provider_outcome *o, struct script *s, void *ctx)
{
	struct vcall *c = ctx;
	c->pcall = NULL;
	c->out = *o;
	script_free(&c->script);
	if (o->code == 0 && s) {
		c->script = *s;
		script_init(s);
	}
	c->finished = true;
	c->finish(c->token);
}

static int vcall_start(void *arg, const struct task_async_env *ae, task_step_finish_fn finish,
		       void *token, struct aura_error *err)
{
	struct vcall *c = arg;
	struct provider *p = ae->provider ? ae->provider(ae->eng_ctx, c->provider) : NULL;
	if (!p)
		return aura_error_set(err, AURA_E_INTERNAL, "%s became unusable", c->provider);
	c->finish = finish;
	c->token = token;
	c->finished = false;
	memset(&c->out, 0, sizeof(c->out));
	switch (c->kind) {
	case VCALL_SCRIPT:
		if (c->document)
			c->pcall =
			    openai_doc_script_start(p, c->model, c->text, c->document, c->lang,
						    c->duration_s, vcall_script_done, c);
		else
			c->pcall = openai_script_start(p, c->model, c->text, c->lang, c->duration_s,
						       vcall_script_done, c);
		break;
	case VCALL_SPEECH:
		if (strcmp(c->provider, "elevenlabs") == 0)
			c->pcall = elevenlabs_speech_start(p, c->model, c->voice, c->text, c->path,
							   vcall_file_done, c);
		else
			c->pcall = openai_speech_start(p, c->model, c->voice, c->text, c->path,
						       vcall_file_done, c);
		break;
	case VCALL_IMAGE:
		if (strcmp(c->provider, "sdwebui") == 0)
			c->pcall = sdwebui_image_start(p, c->model, c->text, c->width, c->height,
						       c->path, vcall_file_done, c);
		else
			c->pcall = openai_image_start(p, c->model, c->text, c->height > c->width,
						      c->path, vcall_file_done, c);
		break;
	case VCALL_STOCK: {
		struct stock_query q = {
			.query = c->text,
			.video = c->video,
			.orientation = c->height > c->width    ? STOCK_PORTRAIT
				       : c->height == c->width ? STOCK_SQUARE
							       : STOCK_LANDSCAPE,
			.width = c->width,
			.height = c->height,
			.cache_dir = c->cache_dir,
			.credits_path = c->credits,
			.index = c->index,
		};
		const struct stock_api *api =
		    strcmp(c->provider, "pixabay") == 0 ? &stock_api_pixabay : &stock_api_pexels;
		c->sop = stock_fetch_start(p, ae->loop, api, &q, vcall_file_done, c);
		break;
	}
	}
	if (!c->pcall && !c->sop)
		return aura_error_set(err, AURA_E_INTERNAL, "%s: the request could not start",
				      c->provider);
	return 0;
}

static void vcall_cancel(void *arg)
{
	struct vcall *c = arg;
	provider_call_cancel(c->pcall);
	stock_op_cancel(c->sop);
	c->pcall = NULL;
	c->sop = NULL;
	/* not finished: whatever is at the target is not a whole answer */
	if (c->path && !c->finished) {
		char *part = xasprintf("%s.part", c->path);
		unlink(part);
		unlink(c->path);
		free(part);
	}
}

char *vcall_failure(const struct vcall *c)
{
	const char *why = c->out.detail[0] ? c->out.detail : aura_error_name(c->out.code);
	if (c->out.attempts == 0) /* the breaker is open: nothing was sent */
		return xasprintf("%s was not asked (%s)", c->provider, why);
	return xasprintf("%s failed after %d request%s (%s)", c->provider, c->out.attempts,
			 c->out.attempts == 1 ? "" : "s", why);
}

void vcall_step(struct vcall *c, struct task_cmd *cmd)
{
	cmd->step.start = vcall_start;
	cmd->step.cancel = vcall_cancel;
	cmd->step.arg = c;
}

void vcall_cancel_now(struct vcall *c)
{
	if (c->pcall || c->sop)
		vcall_cancel(c);
}
