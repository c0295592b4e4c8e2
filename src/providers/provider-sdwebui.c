/*
 * provider-sdwebui.c -- a local Stable Diffusion WebUI (started with --api):
 * POST /sdapi/v1/txt2img, the first base64 PNG of "images" decoded,
 * checked and written to a file.
 *
 * Must never: write anything but a PNG that decoded, or block.
 */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/services.h"
#include "base/util.h"

#define TXT2IMG_ANSWER_MAX (48 * 1024 * 1024)

struct sd_op {
	provider_file_fn cb;
	void *ctx;
	char *path;
};

static void sd_free(void *v)
{
	struct sd_op *o = v;
	free(o->path);
	free(o);
}

int sdwebui_image_parse(const char *body, size_t len, struct buf *png, struct aura_error *err)
{
	json_t *root = json_loadb(body, len, 0, NULL);
	const char *b64 = json_string_value(json_array_get(json_object_get(root, "images"), 0));
	int rc = 0;

	if (!root)
		rc = aura_error_set(err, AURA_E_PROVIDER_BAD_RESPONSE, "answer is not JSON");
	else if (provider_png_decode(b64, png) < 0)
		rc = aura_error_set(err, AURA_E_PROVIDER_BAD_RESPONSE,
				    "schema: no PNG in images[0]");
	json_decref(root);
	return rc;
}

static void sd_done(const struct provider_result *r, void *ctx)
{
	struct sd_op *o = ctx;
	struct provider_outcome oc = { .code = r->code,
				       .attempts = r->attempts,
				       .elapsed_ms = r->elapsed_ms };
	struct buf png;
	struct aura_error err;

	str_copy(oc.detail, r->detail, sizeof(oc.detail));
	buf_init(&png);
	aura_error_clear(&err);
	if (oc.code == 0 && (sdwebui_image_parse(r->body, r->body_len, &png, &err) < 0 ||
			     provider_write_file(o->path, png.data, png.len, &err) < 0)) {
		char *d = xasprintf("sdwebui: %s", err.detail);
		oc.code = err.code;
		str_copy(oc.detail, d, sizeof(oc.detail));
		free(d);
	}
	buf_free(&png);
	o->cb(&oc, o->ctx);
}

struct provider_call *sdwebui_image_start(struct provider *p, const char *model, const char *prompt,
					  int width, int height, const char *path,
					  provider_file_fn cb, void *ctx)
{
	struct sd_op *o = xcalloc(1, sizeof(*o));
	char *url = provider_url(p, "/sdapi/v1/txt2img");
	json_t *body =
	    json_pack("{s:s, s:s, s:i, s:i, s:i}", "prompt", prompt, "negative_prompt",
		      "text, watermark, logo", "width", width, "height", height, "steps", 20);
	char *js;
	const char *hdrs[] = { "Content-Type: application/json", NULL };
	struct provider_call *c;

	if (model && *model)
		json_object_set_new(body, "override_settings",
				    json_pack("{s:s}", "sd_model_checkpoint", model));
	js = json_dumps(body, JSON_COMPACT);
	{
		struct http_request req = { .method = "POST",
					    .url = url,
					    .headers = hdrs,
					    .body = js,
					    .body_len = strlen(js),
					    .max_size = TXT2IMG_ANSWER_MAX };
		o->cb = cb;
		o->ctx = ctx;
		o->path = xstrdup(path);
		c = provider_call_start_ex(p, &req, sd_done, o, sd_free);
	}
	json_decref(body);
	free(js);
	free(url);
	return c;
}
