/*
 * provider-health.c -- the cheapest authenticated request per provider, for
 * `aura doctor` and background health: list models (OpenAI-compatible),
 * the account (ElevenLabs), a one-hit search (Pexels, Pixabay), the
 * checkpoints (SD WebUI).
 *
 * Must never: spend quota on generation, or put the key anywhere but the
 * header or query the provider requires.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "providers/http.h"
#include "providers/services.h"
#include "base/util.h"

struct probe {
	provider_file_fn cb;
	void *ctx;
};

static void probe_done(const struct provider_result *r, void *ctx)
{
	struct probe *pr = ctx;
	struct provider_outcome oc = { .code = r->code,
				       .attempts = r->attempts,
				       .elapsed_ms = r->elapsed_ms };

	str_copy(oc.detail, r->detail, sizeof(oc.detail));
	pr->cb(&oc, pr->ctx);
}

struct provider_call *provider_probe_start(struct provider *p, provider_file_fn cb, void *ctx)
{
	const char *name = provider_name(p);
	const char *key = provider_key(p);
	char *url = NULL, *auth = NULL;
	struct probe *pr = xcalloc(1, sizeof(*pr));
	struct provider_call *c;

	if (strcmp(name, "elevenlabs") == 0) {
		url = provider_url(p, "/v1/user");
		auth = key ? xasprintf("xi-api-key: %s", key) : NULL;
	} else if (strcmp(name, "pexels") == 0) {
		url = provider_url(p, "/v1/search?query=nature&per_page=1");
		auth = key ? xasprintf("Authorization: %s", key) : NULL;
	} else if (strcmp(name, "pixabay") == 0) {
		char *ke = http_url_escape(key ? key : "");
		char *rel = xasprintf("/?key=%s&q=nature&per_page=3", ke);
		url = provider_url(p, rel);
		memset(ke, 0, strlen(ke));
		memset(rel, 0, strlen(rel));
		free(ke);
		free(rel);
	} else if (strcmp(name, "sdwebui") == 0) {
		url = provider_url(p, "/sdapi/v1/sd-models");
	} else {
		url = provider_url(p, "/models");
		auth = key ? xasprintf("Authorization: Bearer %s", key) : NULL;
	}
	{
		const char *hdrs[] = { "Accept: application/json", auth, NULL };
		struct http_request req = { .url = url,
					    .headers = hdrs,
					    .max_size = 4 * 1024 * 1024 };
		pr->cb = cb;
		pr->ctx = ctx;
		c = provider_call_start_ex(p, &req, probe_done, pr, free);
	}
	if (auth) {
		memset(auth, 0, strlen(auth));
		free(auth);
	}
	memset(url, 0, strlen(url));
	free(url);
	return c;
}

void provider_probe_wait_done(const struct provider_outcome *o, void *ctx)
{
	struct provider_probe_wait *w = ctx;
	w->done = true;
	w->o = *o;
}
