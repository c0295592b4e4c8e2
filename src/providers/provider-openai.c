/*
 * provider-openai.c -- any OpenAI-compatible endpoint: scripts from
 * /chat/completions under a strict JSON schema (validated here before use),
 * speech from /audio/speech into a WAV file, pictures from
 * /images/generations (b64_json) into a PNG file.
 *
 * Must never: use an answer that failed validation, put the key anywhere
 * but the Authorization header handed to provider.c, or block.
 */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/services.h"
#include "base/util.h"

#define SCRIPT_ANSWER_MAX (1024 * 1024)
#define IMAGE_ANSWER_MAX  (32 * 1024 * 1024) /* base64 of a large PNG */
#define SPEECH_MAX	  (64 * 1024 * 1024)

struct op {
	provider_script_fn script_cb;
	provider_file_fn file_cb;
	void *ctx;
	char *path;
};

static void op_free(void *v)
{
	struct op *o = v;
	free(o->path);
	free(o);
}

static void outcome_from(struct provider_outcome *o, const struct provider_result *r)
{
	memset(o, 0, sizeof(*o));
	o->code = r->code;
	str_copy(o->detail, r->detail, sizeof(o->detail));
	o->attempts = r->attempts;
	o->elapsed_ms = r->elapsed_ms;
}

static struct provider_call *post_json(struct provider *p, const char *path, json_t *body,
				       uint64_t max, const char *download,
				       const char *const *ctypes, provider_done_fn cb, struct op *o)
{
	char *url = provider_url(p, path);
	char *js = json_dumps(body, JSON_COMPACT);
	char *auth =
	    provider_key(p) ? xasprintf("Authorization: Bearer %s", provider_key(p)) : NULL;
	const char *hdrs[] = { "Content-Type: application/json", auth, NULL };
	struct http_request req = {
		.method = "POST",
		.url = url,
		.headers = hdrs,
		.body = js,
		.body_len = strlen(js),
		.max_size = max,
		.download_path = download,
		.content_types = ctypes,
	};
	struct provider_call *c = provider_call_start_ex(p, &req, cb, o, op_free);

	json_decref(body);
	free(url);
	free(js);
	if (auth) {
		memset(auth, 0, strlen(auth));
		free(auth);
	}
	return c;
}

/* ---- script ------------------------------------------------------------- */

/* The answer's schema; strict mode needs every property required and no
 * additional ones. Scene counts are checked again in openai_script_parse,
 * since local servers may ignore the schema. */
static json_t *scene_schema(void)
{
	static const char schema[] =
	    "{\"type\":\"object\",\"additionalProperties\":false,"
	    "\"required\":[\"title\",\"scenes\"],\"properties\":{"
	    "\"title\":{\"type\":\"string\"},"
	    "\"scenes\":{\"type\":\"array\",\"minItems\":3,\"maxItems\":20,\"items\":{"
	    "\"type\":\"object\",\"additionalProperties\":false,"
	    "\"required\":[\"heading\",\"narration\",\"keywords\"],\"properties\":{"
	    "\"heading\":{\"type\":\"string\"},\"narration\":{\"type\":\"string\"},"
	    "\"keywords\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}}}}}}";
	_Static_assert(SCRIPT_SCENES_MIN == 3 && SCRIPT_SCENES_MAX == 20, "schema bounds");
	json_t *j = json_loads(schema, 0, NULL);
	if (!j)
		abort(); /* a constant: only a broken edit gets here */
	return j;
}

static char *keywords_join(json_t *arr)
{
	struct buf b;
	size_t i;
	json_t *v;

	buf_init(&b);
	json_array_foreach(arr, i, v)
	{
		const char *w = json_string_value(v);
		if (!w || !*w)
			continue;
		if (b.len)
			buf_puts(&b, ",");
		for (const char *c = w; *c; c++)
			buf_append(&b, *c == ',' ? " " : c, 1);
	}
	return b.data ? b.data : xstrdup("");
}

/* Blank as script.c's normalize_space sees it (spaces and control bytes),
 * so an accepted scene never becomes an empty one in script.json. */
static bool blank(const char *s)
{
	for (; s && *s; s++)
		if (*s != ' ' && (unsigned char)*s >= 0x20 && *s != 0x7f)
			return false;
	return true;
}

int openai_script_parse(const char *body, size_t len, struct script *out, struct aura_error *err)
{
	json_error_t je;
	json_t *root = json_loadb(body, len, 0, &je), *content_js = NULL, *scenes;
	const char *content;
	size_t n;
	int rc = -AURA_E_PROVIDER_BAD_RESPONSE;

	script_init(out);
	if (!root) {
		aura_error_set(err, AURA_E_PROVIDER_BAD_RESPONSE, "answer is not JSON: %s",
			       je.text);
		goto done;
	}
	content = json_string_value(json_object_get(
	    json_object_get(json_array_get(json_object_get(root, "choices"), 0), "message"),
	    "content"));
	if (!content) {
		aura_error_set(err, AURA_E_PROVIDER_BAD_RESPONSE,
			       "schema: no choices[0].message.content string");
		goto done;
	}
	content_js = json_loads(content, 0, &je);
	if (!content_js) {
		aura_error_set(err, AURA_E_PROVIDER_BAD_RESPONSE, "the script is not JSON: %s",
			       je.text);
		goto done;
	}
	scenes = json_object_get(content_js, "scenes");
	if (!json_is_array(scenes)) {
		aura_error_set(err, AURA_E_PROVIDER_BAD_RESPONSE, "schema: no \"scenes\" array");
		goto done;
	}
	n = json_array_size(scenes);
	if (n < SCRIPT_SCENES_MIN || n > SCRIPT_SCENES_MAX) {
		aura_error_set(err, AURA_E_PROVIDER_BAD_RESPONSE,
			       "schema: %zu scenes, expected %d to %d", n, SCRIPT_SCENES_MIN,
			       SCRIPT_SCENES_MAX);
		goto done;
	}
	out->scenes = xcalloc(n, sizeof(*out->scenes));
	for (size_t i = 0; i < n; i++) {
		json_t *sc = json_array_get(scenes, i);
		const char *h = json_string_value(json_object_get(sc, "heading"));
		const char *t = json_string_value(json_object_get(sc, "narration"));
		json_t *kw = json_object_get(sc, "keywords");
		if (!json_is_object(sc) || !h || !t || blank(t) || !json_is_array(kw)) {
			aura_error_set(err, AURA_E_PROVIDER_BAD_RESPONSE,
				       "schema: scene %zu needs a heading, a non-empty narration "
				       "and a keywords array",
				       i + 1);
			script_free(out);
			goto done;
		}
		out->scenes[i].heading = xstrdup(h);
		out->scenes[i].narration = xstrdup(t);
		out->scenes[i].keywords = keywords_join(kw);
		out->n = (int)i + 1;
	}
	if (json_string_value(json_object_get(content_js, "title")))
		out->title = xstrdup(json_string_value(json_object_get(content_js, "title")));
	rc = 0;
done:
	json_decref(content_js);
	json_decref(root);
	return rc;
}

static void script_done(const struct provider_result *r, void *ctx)
{
	struct op *o = ctx;
	struct provider_outcome oc;
	struct script s;
	struct aura_error err;

	outcome_from(&oc, r);
	script_init(&s);
	if (oc.code == 0) {
		aura_error_clear(&err);
		if (openai_script_parse(r->body, r->body_len, &s, &err) < 0) {
			char *clip = provider_clip(NULL, r->body, r->body_len, 160);
			oc.code = err.code;
			char *d = xasprintf("openai: %s: %s", err.detail, clip);
			str_copy(oc.detail, d, sizeof(oc.detail));
			free(d);
			free(clip);
		}
	}
	o->script_cb(&oc, oc.code == 0 ? &s : NULL, o->ctx);
	script_free(&s);
}

static struct provider_call *script_ask(struct provider *p, const char *model, const char *system,
					const char *user, provider_script_fn cb, void *ctx)
{
	struct op *o = xcalloc(1, sizeof(*o));
	json_t *body =
	    json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s}], s:{s:s, s:{s:s, s:b, s:o}}, s:f}", "model",
		      model && *model ? model : "gpt-4o-mini", "messages", "role", "system",
		      "content", system, "role", "user", "content", user, "response_format", "type",
		      "json_schema", "json_schema", "name", "aura_script", "strict", 1, "schema",
		      scene_schema(), "temperature", 0.7);

	o->script_cb = cb;
	o->ctx = ctx;
	return post_json(p, "/chat/completions", body, SCRIPT_ANSWER_MAX, NULL, NULL, script_done,
			 o);
}

/* "\nWrite the headings and narration in the language with the code XX."
 * or "" */
static char *lang_line(const char *lang)
{
	return lang && *lang ? xasprintf("\nWrite the headings and narration in the language "
					 "with the code %s.",
					 lang)
			     : xstrdup("");
}

struct provider_call *openai_script_start(struct provider *p, const char *model, const char *topic,
					  const char *lang, int duration_s, provider_script_fn cb,
					  void *ctx)
{
	int words = script_target_words(duration_s), scenes = script_target_scenes(duration_s);
	char *ll = lang_line(lang);
	char *user = xasprintf("Topic: %s\nWrite a narrated video script of about %d words in "
			       "%d scenes (%d seconds at 150 words per minute).%s",
			       topic, words, scenes, duration_s, ll);
	struct provider_call *c = script_ask(
	    p, model,
	    "You write scripts for short narrated videos. Each scene has a short heading "
	    "(at most 6 words), one paragraph of plain spoken narration (no markup, no stage "
	    "directions), and 2 to 4 concrete visual keywords for stock footage search. "
	    "Answer only with JSON matching the schema.",
	    user, cb, ctx);
	free(user);
	free(ll);
	return c;
}

struct provider_call *openai_doc_script_start(struct provider *p, const char *model,
					      const char *title, const char *document,
					      const char *lang, int duration_s,
					      provider_script_fn cb, void *ctx)
{
	int words = script_target_words(duration_s);
	char *ll = lang_line(lang);
	char *user = xasprintf("Title: %s\nCondense the document below into a narrated video "
			       "script of at most %d words (%d seconds at 150 words per "
			       "minute).%s\n\nDocument:\n%s",
			       title, words, duration_s, ll, document);
	struct provider_call *c = script_ask(
	    p, model,
	    "You condense a user's document into the script of a short narrated video. Use "
	    "only the document's facts, say nothing it does not say, and keep its order. "
	    "Make one scene per section of the document (a line starting with \"# \" begins "
	    "one), its heading the section's heading as written; leave out the least "
	    "important sections when time is short, but keep at least 3 scenes and at most "
	    "20. Each scene has one paragraph of plain spoken narration (no markup, no stage "
	    "directions) and 2 to 4 concrete visual keywords for stock footage search. "
	    "Answer only with JSON matching the schema.",
	    user, cb, ctx);
	free(user);
	free(ll);
	return c;
}

/* ---- speech --------------------------------------------------------------- */

static void file_done(const struct provider_result *r, void *ctx)
{
	struct op *o = ctx;
	struct provider_outcome oc;

	outcome_from(&oc, r);
	o->file_cb(&oc, o->ctx);
}

struct provider_call *openai_speech_start(struct provider *p, const char *model, const char *voice,
					  const char *text, const char *path, provider_file_fn cb,
					  void *ctx)
{
	static const char *const audio[] = { "audio/", "application/octet-stream", NULL };
	struct op *o = xcalloc(1, sizeof(*o));
	json_t *body =
	    json_pack("{s:s, s:s, s:s, s:s}", "model", model && *model ? model : "tts-1", "voice",
		      voice && *voice ? voice : "alloy", "input", text, "response_format", "wav");

	o->file_cb = cb;
	o->ctx = ctx;
	return post_json(p, "/audio/speech", body, SPEECH_MAX, path, audio, file_done, o);
}

/* ---- images --------------------------------------------------------------- */

int openai_image_parse(const char *body, size_t len, struct buf *png, struct aura_error *err)
{
	json_t *root = json_loadb(body, len, 0, NULL);
	const char *b64 = json_string_value(
	    json_object_get(json_array_get(json_object_get(root, "data"), 0), "b64_json"));
	int rc = 0;

	if (!root)
		rc = aura_error_set(err, AURA_E_PROVIDER_BAD_RESPONSE, "image answer is not JSON");
	else if (provider_png_decode(b64, png) < 0)
		rc = aura_error_set(err, AURA_E_PROVIDER_BAD_RESPONSE,
				    "schema: no PNG in data[0].b64_json");
	json_decref(root);
	return rc;
}

static void image_done(const struct provider_result *r, void *ctx)
{
	struct op *o = ctx;
	struct provider_outcome oc;
	struct buf png;
	struct aura_error err;

	outcome_from(&oc, r);
	buf_init(&png);
	aura_error_clear(&err);
	if (oc.code == 0 && (openai_image_parse(r->body, r->body_len, &png, &err) < 0 ||
			     provider_write_file(o->path, png.data, png.len, &err) < 0)) {
		char *d = xasprintf("openai: %s", err.detail);
		oc.code = err.code;
		str_copy(oc.detail, d, sizeof(oc.detail));
		free(d);
	}
	buf_free(&png);
	o->file_cb(&oc, o->ctx);
}

struct provider_call *openai_image_start(struct provider *p, const char *model, const char *prompt,
					 bool portrait, const char *path, provider_file_fn cb,
					 void *ctx)
{
	struct op *o = xcalloc(1, sizeof(*o));
	json_t *body =
	    json_pack("{s:s, s:s, s:i, s:s, s:s}", "model", model && *model ? model : "dall-e-3",
		      "prompt", prompt, "n", 1, "size", portrait ? "1024x1792" : "1792x1024",
		      "response_format", "b64_json");

	o->file_cb = cb;
	o->ctx = ctx;
	o->path = xstrdup(path);
	return post_json(p, "/images/generations", body, IMAGE_ANSWER_MAX, NULL, NULL, image_done,
			 o);
}
