/*
 * services.h -- the entry points of the online services, one file each
 * (provider-openai.c, ...): build a request, run it through provider.c,
 * validate the answer before anything uses it, and hand over a script or a
 * file on disk.
 *
 * Must never: trust an answer's shape without checking it, write an asset
 * anywhere but the path the caller gave, or put a key into a result.
 */
#ifndef AURA_PROVIDERS_SERVICES_H
#define AURA_PROVIDERS_SERVICES_H

#include <stdbool.h>

#include <jansson.h>

#include "base/errors.h"
#include "base/script.h"
#include "providers/provider.h"

/* Outcome of a provider operation: code 0 or a positive catalogue code
 * with a redacted detail. */
struct provider_outcome {
	int code;
	char detail[512];
	char path[1024]; /* stock fetch: the asset in the cache */
	bool cached;	 /* stock fetch: no request was made */
	bool no_more;	 /* stock fetch: the search has no hit at the index asked */
	int attempts;
	int64_t elapsed_ms;
};

/* A script writer's answer: on success s holds the validated scenes (the
 * callee may take them with a struct copy and script_init(s)). */
typedef void (*provider_script_fn)(const struct provider_outcome *o, struct script *s, void *ctx);
/* A file fetched or generated: on success the file is at the path given. */
typedef void (*provider_file_fn)(const struct provider_outcome *o, void *ctx);

/*
 * OpenAI-compatible chat completions (OpenAI, Ollama /v1, LM Studio, vLLM,
 * OpenRouter): a script for topic of about duration_s seconds, asked for
 * with response_format json_schema and validated here (3 to 20 scenes,
 * each with a non-empty heading and narration and a keywords array);
 * lang (NULL: not said) is the language the user prompt asks for.
 */
struct provider_call *openai_script_start(struct provider *p, const char *model, const char *topic,
					  const char *lang, int duration_s, provider_script_fn cb,
					  void *ctx);
/* The same answer for a user's document (plain sections, "# heading"
 * lines): condensed to at most duration_s seconds of narration, the
 * document's facts only, in its order, a scene per section it keeps. */
struct provider_call *openai_doc_script_start(struct provider *p, const char *model,
					      const char *title, const char *document,
					      const char *lang, int duration_s,
					      provider_script_fn cb, void *ctx);
/* Validate a chat completion answer and fill out; 0 or
 * -AURA_E_PROVIDER_BAD_RESPONSE with the reason in err. */
int openai_script_parse(const char *body, size_t len, struct script *out, struct aura_error *err);

/* /audio/speech: text spoken by voice into a WAV file at path. */
struct provider_call *openai_speech_start(struct provider *p, const char *model, const char *voice,
					  const char *text, const char *path, provider_file_fn cb,
					  void *ctx);
/* /images/generations (b64_json): a PNG for prompt at path; portrait or
 * landscape size from the preset. */
struct provider_call *openai_image_start(struct provider *p, const char *model, const char *prompt,
					 bool portrait, const char *path, provider_file_fn cb,
					 void *ctx);

/* Decode an /images/generations answer: the PNG in data[0].b64_json
 * appended to png (caller's buffer); 0 or -AURA_E_PROVIDER_BAD_RESPONSE
 * with the reason in err. Pure: no I/O. */
int openai_image_parse(const char *body, size_t len, struct buf *png, struct aura_error *err);

/* ElevenLabs: text spoken by voice (a voice id; NULL: a stock voice) into
 * an MP3 file at path. */
struct provider_call *elevenlabs_speech_start(struct provider *p, const char *model,
					      const char *voice, const char *text, const char *path,
					      provider_file_fn cb, void *ctx);

/* Stable Diffusion WebUI txt2img: a width x height PNG at path. */
struct provider_call *sdwebui_image_start(struct provider *p, const char *model, const char *prompt,
					  int width, int height, const char *path,
					  provider_file_fn cb, void *ctx);

/* Decode a txt2img answer: the PNG in images[0] appended to png; 0 or
 * -AURA_E_PROVIDER_BAD_RESPONSE with the reason in err. Pure: no I/O. */
int sdwebui_image_parse(const char *body, size_t len, struct buf *png, struct aura_error *err);

/* ---- stock search + download (provider-stock.c, -pexels.c, -pixabay.c) */

enum stock_orientation { STOCK_LANDSCAPE, STOCK_PORTRAIT, STOCK_SQUARE };

struct stock_query {
	const char *query;		    /* keywords */
	bool video;			    /* a clip rather than a photo */
	enum stock_orientation orientation; /* from the preset */
	int width, height;		    /* the output size (0: 1080p for the orientation) */
	const char *cache_dir;		    /* DATA/cache: assets kept by query */
	const char *credits_path;	    /* the job's credits file (appended), or NULL */
	int index;			    /* the hit to take: 0 the first, 1 the next... */
};

/* One search hit: where to download it and whom to credit. */
struct stock_hit {
	char *url;
	char *credit; /* "Photo by NAME on Pexels: PAGE" */
};

/* For the stock decoders (provider-stock.c). */
bool stock_is_http_url(const char *s);
/* Element q->index of the array `key` of a search answer: NULL with err
 * filled when the body is not JSON, has no such array, or it is shorter.
 * *root is what to json_decref (set even on failure). */
json_t *stock_first_hit(const char *body, size_t len, const char *key, const struct stock_query *q,
			json_t **root, struct aura_error *err);
/* Fill out from the hit's file URL and credit ("KIND by WHO on SITE:
 * PAGE"); -PROVIDER_BAD_RESPONSE when the URL is not http(s). */
int stock_hit_set(struct stock_hit *out, const char *url, const char *kind, const char *who,
		  const char *site, const char *page, const char *home, struct aura_error *err);

/* Choosing a video rendition: offer each one; the pick is the smallest that
 * covers the output size (no 4K for a 720p video), else the largest. */
struct stock_pick {
	const char *url;
	long w, h;
};
void stock_pick_offer(struct stock_pick *pk, const struct stock_query *q, const char *url, long w,
		      long h);

/* What differs between stock sites; the flow (cache, search, download,
 * credit) is shared. */
struct stock_api {
	const char *name;
	/* The search URL (it may carry the key: Pixabay); caller frees. */
	char *(*search_url)(const struct provider *p, const struct stock_query *q);
	/* The header carrying the key, or NULL; caller frees. */
	char *(*auth_header)(const struct provider *p);
	/* 0 and out filled (owned by the caller), or -AURA_E_PROVIDER_BAD_RESPONSE. */
	int (*parse)(const char *body, size_t len, const struct stock_query *q,
		     struct stock_hit *out, struct aura_error *err);
};
extern const struct stock_api stock_api_pexels;
extern const struct stock_api stock_api_pixabay;

struct stock_op;
/* Cached asset, else search + download into the cache; the credit line is
 * appended to q->credits_path either way. The callback always comes later
 * from the loop; o->path names the file. */
struct stock_op *stock_fetch_start(struct provider *p, struct loop *l, const struct stock_api *api,
				   const struct stock_query *q, provider_file_fn cb, void *ctx);
/* Abort; no callback. NULL is fine. */
void stock_op_cancel(struct stock_op *op);

/* The cheapest authenticated request for the provider named by
 * provider_name(p) (openai, elevenlabs, pexels, pixabay, sdwebui), for
 * `aura doctor`: 0 on a 2xx, else the failure's code. */
struct provider_call *provider_probe_start(struct provider *p, provider_file_fn cb, void *ctx);

/* For a caller that runs a private loop until its probes answer (doctor,
 * setup): pass provider_probe_wait_done with a struct provider_probe_wait. */
struct provider_probe_wait {
	bool done;
	struct provider_outcome o;
};
void provider_probe_wait_done(const struct provider_outcome *o, void *ctx);

#endif
