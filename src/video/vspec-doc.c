/*
 * vspec-doc.c -- the options `aura new --from DOC` adds to a video's spec
 * (doc/pipeline.md, "Document -> video"): "document", the document's text
 * as plain sections for an LLM to condense (at most VSPEC_DOCUMENT_MAX
 * bytes), and "doc_images", the local pictures its sections name
 * ([{"heading", "path"}...], absolute .png/.jpg/.jpeg paths).
 *
 * Must never: read the document or a picture (the client sent the text
 * and checked the files; the visuals stage checks them again).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/utf8.h"
#include "base/util.h"
#include "video/vspec.h"

bool vspec_doc_key(const char *key)
{
	return strcmp(key, "document") == 0 || strcmp(key, "doc_images") == 0;
}

bool vspec_doc_image_name(const char *path)
{
	const char *dot = strrchr(path, '.');
	if (!dot || strchr(dot, '/'))
		return false;
	return strcasecmp(dot, ".png") == 0 || strcasecmp(dot, ".jpg") == 0 ||
	       strcasecmp(dot, ".jpeg") == 0;
}

void vspec_doc_image_add(struct vspec *s, const char *heading, const char *path)
{
	s->doc_images =
	    xrealloc(s->doc_images, (size_t)(s->ndoc_images + 1) * sizeof(*s->doc_images));
	s->doc_images[s->ndoc_images].heading = xstrdup(heading);
	s->doc_images[s->ndoc_images].path = xstrdup(path);
	s->ndoc_images++;
}

static void images_free(struct vspec *s)
{
	for (int i = 0; i < s->ndoc_images; i++) {
		free(s->doc_images[i].heading);
		free(s->doc_images[i].path);
	}
	free(s->doc_images);
	s->doc_images = NULL;
	s->ndoc_images = 0;
}

void vspec_doc_free(struct vspec *s)
{
	free(s->document);
	s->document = NULL;
	images_free(s);
}

static int images_set(struct vspec *s, json_t *v, struct aura_error *err)
{
	if (!json_is_array(v) || json_array_size(v) > VSPEC_DOC_IMAGES_MAX)
		return aura_error_set(err, AURA_E_USAGE,
				      "\"doc_images\" must be an array of at most %d pictures",
				      VSPEC_DOC_IMAGES_MAX);
	images_free(s);
	size_t i;
	json_t *e;
	json_array_foreach(v, i, e)
	{
		const char *h = json_string_value(json_object_get(e, "heading"));
		const char *p = json_string_value(json_object_get(e, "path"));
		if (!json_is_object(e) || json_object_size(e) != 2 || !h || !*h || !p)
			return aura_error_set(err, AURA_E_USAGE,
					      "\"doc_images\" item %zu must be {\"heading\": text, "
					      "\"path\": file}",
					      i + 1);
		if (p[0] != '/' || !vspec_doc_image_name(p))
			return aura_error_set(err, AURA_E_USAGE,
					      "\"doc_images\" item %zu: '%s' is not an absolute "
					      ".png, .jpg or .jpeg path",
					      i + 1, p);
		vspec_doc_image_add(s, h, p);
	}
	return 0;
}

int vspec_doc_set(struct vspec *s, const char *key, json_t *v, struct aura_error *err)
{
	if (strcmp(key, "doc_images") == 0)
		return images_set(s, v, err);
	if (!json_is_string(v))
		return aura_error_set(err, AURA_E_USAGE, "\"document\" must be a string");
	size_t len = json_string_length(v);
	if (len == 0 || len > VSPEC_DOCUMENT_MAX)
		return aura_error_set(err, AURA_E_USAGE,
				      "\"document\" is %zu bytes; 1 to %d are accepted", len,
				      VSPEC_DOCUMENT_MAX);
	if (memchr(json_string_value(v), '\0', len))
		return aura_error_set(err, AURA_E_USAGE, "\"document\" holds NUL bytes");
	free(s->document);
	s->document = xstrdup(json_string_value(v));
	return 0;
}

void vspec_doc_to_json(const struct vspec *s, json_t *opts)
{
	if (s->document) {
		char *t = utf8_repair(s->document);
		json_object_set_new(opts, "document", json_string(t));
		free(t);
	}
	if (s->ndoc_images == 0)
		return;
	json_t *arr = json_array();
	for (int i = 0; i < s->ndoc_images; i++) {
		/* the client sends only UTF-8 paths; a heading is repaired */
		char *h = utf8_repair(s->doc_images[i].heading);
		json_t *e = json_pack("{s:s, s:s}", "heading", h, "path", s->doc_images[i].path);
		free(h);
		if (e)
			json_array_append_new(arr, e);
	}
	json_object_set_new(opts, "doc_images", arr);
}
