/*
 * provider-fuzzer.c -- libFuzzer target for the online providers' answer
 * decoders: the same bytes go to every pure decoder (the OpenAI chat
 * script, the OpenAI image and SD WebUI txt2img answers, the Pexels and
 * Pixabay searches in each mode), to the base64 decoder and to the log
 * clipper. Checks that nothing crashes, leaks or reads out of bounds, that
 * a rejection is PROVIDER_BAD_RESPONSE with a reason, and that whatever is
 * accepted keeps the decoder's promises: 3 to 20 scenes that survive
 * script.json (write, read back) unchanged in count and narration, a PNG
 * signature, an http(s) URL and a credit line.
 *
 * Built only with --enable-fuzzing (clang -fsanitize=fuzzer,address).
 * Must never: do I/O (the decoders are pure; nothing here writes a file).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/errors.h"
#include "providers/services.h"
#include "video/script.h"
#include "base/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_rejection(int rc, const struct aura_error *err)
{
	if (rc > 0)
		abort();
	if (rc < 0 && (rc != -AURA_E_PROVIDER_BAD_RESPONSE ||
		       err->code != AURA_E_PROVIDER_BAD_RESPONSE || !err->detail[0]))
		abort();
}

static bool is_http_url(const char *s)
{
	return s && (str_starts_with(s, "https://") || str_starts_with(s, "http://"));
}

static void fuzz_script(const char *body, size_t len)
{
	struct script s, back;
	struct aura_error err = {0};
	int rc = openai_script_parse(body, len, &s, &err);

	check_rejection(rc, &err);
	if (rc < 0) {
		if (s.n != 0 || s.scenes || s.title)
			abort(); /* a rejection leaves nothing to free */
		return;
	}
	if (s.n < SCRIPT_SCENES_MIN || s.n > SCRIPT_SCENES_MAX)
		abort();
	for (int i = 0; i < s.n; i++)
		if (!s.scenes[i].heading || !s.scenes[i].narration || !s.scenes[i].keywords)
			abort();
	/* The stage writes script.json and a restarted job reads it back: an
	 * answer the decoder accepted must not become a script that fails to
	 * load. */
	char *json = script_to_json(&s);
	if (script_from_json(json, &back, &err) < 0 || back.n != s.n)
		abort();
	free(json);
	script_free(&back);
	script_free(&s);
}

static void fuzz_image(int (*parse)(const char *, size_t, struct buf *, struct aura_error *),
		       const char *body, size_t len)
{
	struct buf png;
	struct aura_error err = {0};

	buf_init(&png);
	int rc = parse(body, len, &png, &err);
	check_rejection(rc, &err);
	if (rc == 0 && (png.len < 8 || memcmp(png.data, "\x89PNG", 4) != 0))
		abort();
	buf_free(&png);
}

static void fuzz_stock(const struct stock_api *api, const char *body, size_t len)
{
	static const struct {
		bool video;
		enum stock_orientation o;
	} modes[] = {{false, STOCK_LANDSCAPE},
		     {false, STOCK_PORTRAIT},
		     {false, STOCK_SQUARE},
		     {true, STOCK_LANDSCAPE},
		     {true, STOCK_PORTRAIT}};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct stock_query q = {
		    .query = "fuzz", .video = modes[i].video, .orientation = modes[i].o};
		struct stock_hit hit;
		struct aura_error err = {0};
		int rc = api->parse(body, len, &q, &hit, &err);
		check_rejection(rc, &err);
		if (rc < 0 && (hit.url || hit.credit))
			abort();
		if (rc == 0 && (!is_http_url(hit.url) || !hit.credit || !hit.credit[0]))
			abort();
		free(hit.url);
		free(hit.credit);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	struct buf b;

	fuzz_script(body, size);
	fuzz_image(openai_image_parse, body, size);
	fuzz_image(sdwebui_image_parse, body, size);
	fuzz_stock(&stock_api_pexels, body, size);
	fuzz_stock(&stock_api_pixabay, body, size);

	/* base64 straight from the input (an answer's field, unwrapped):
	 * never more than 3 bytes out per 4 in. */
	buf_init(&b);
	if (provider_b64_decode(body, size, &b) == 0 && b.len > size / 4 * 3 + 2)
		abort();
	buf_free(&b);

	/* What a failed answer looks like in a log: bounded, no control bytes. */
	char *clip = provider_clip(NULL, body, size, 160);
	if (!clip || strlen(clip) > 160 + 3)
		abort();
	for (const char *c = clip; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			abort();
	free(clip);
	return 0;
}
