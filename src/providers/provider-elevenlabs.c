/*
 * provider-elevenlabs.c -- ElevenLabs text-to-speech: POST
 * /v1/text-to-speech/VOICE with the key in the xi-api-key header, the MP3
 * answer streamed to a file (size cap, audio content type).
 *
 * Must never: put the key anywhere but that header, or block.
 */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "providers/services.h"
#include "base/util.h"

#define ELEVENLABS_VOICE_DEFAULT "21m00Tcm4TlvDq8ikWAM" /* "Rachel", in every account */
#define ELEVENLABS_MODEL_DEFAULT "eleven_multilingual_v2"
#define SPEECH_MAX		 (64 * 1024 * 1024)

struct el_op {
	provider_file_fn cb;
	void *ctx;
};

static void el_done(const struct provider_result *r, void *ctx)
{
	struct el_op *o = ctx;
	struct provider_outcome oc = { .code = r->code,
				       .attempts = r->attempts,
				       .elapsed_ms = r->elapsed_ms };

	str_copy(oc.detail, r->detail, sizeof(oc.detail));
	o->cb(&oc, o->ctx);
}

struct provider_call *elevenlabs_speech_start(struct provider *p, const char *model,
					      const char *voice, const char *text, const char *path,
					      provider_file_fn cb, void *ctx)
{
	static const char *const audio[] = { "audio/", "application/octet-stream", NULL };
	struct el_op *o = xcalloc(1, sizeof(*o));
	const char *v = voice && *voice ? voice : ELEVENLABS_VOICE_DEFAULT;
	char *escaped = NULL;
	char *rel, *url, *auth, *js;
	json_t *body = json_pack("{s:s, s:s}", "text", text, "model_id",
				 model && *model ? model : ELEVENLABS_MODEL_DEFAULT);
	struct provider_call *c;

	/* A voice id is [A-Za-z0-9]; anything else would change the path. */
	for (const char *s = v; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9'))) {
			escaped = xstrdup(ELEVENLABS_VOICE_DEFAULT);
			break;
		}
	rel = xasprintf("/v1/text-to-speech/%s", escaped ? escaped : v);
	url = provider_url(p, rel);
	auth = provider_key(p) ? xasprintf("xi-api-key: %s", provider_key(p)) : NULL;
	js = json_dumps(body, JSON_COMPACT);
	{
		const char *hdrs[] = { "Content-Type: application/json", "Accept: audio/mpeg", auth,
				       NULL };
		struct http_request req = { .method = "POST",
					    .url = url,
					    .headers = hdrs,
					    .body = js,
					    .body_len = strlen(js),
					    .max_size = SPEECH_MAX,
					    .download_path = path,
					    .content_types = audio };
		o->cb = cb;
		o->ctx = ctx;
		c = provider_call_start_ex(p, &req, el_done, o, free);
	}
	json_decref(body);
	free(js);
	free(escaped);
	free(rel);
	free(url);
	if (auth) {
		memset(auth, 0, strlen(auth));
		free(auth);
	}
	return c;
}
