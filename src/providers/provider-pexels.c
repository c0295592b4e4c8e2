/*
 * provider-pexels.c -- Pexels search (photos: /v1/search, videos:
 * /videos/search) with the key in a plain Authorization header; picks the
 * rendition that fits the preset's orientation and credits the author.
 *
 * Must never: put the key in the URL, or accept a hit without a download
 * URL.
 */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "providers/http.h"
#include "providers/services.h"
#include "base/util.h"

static const char *orientation_word(enum stock_orientation o)
{
	return o == STOCK_PORTRAIT ? "portrait" : o == STOCK_SQUARE ? "square" : "landscape";
}

static char *pexels_search_url(const struct provider *p, const struct stock_query *q)
{
	char *qe = http_url_escape(q->query);
	char *rel = xasprintf("%s?query=%s&per_page=5&orientation=%s",
			      q->video ? "/videos/search" : "/v1/search", qe,
			      orientation_word(q->orientation));
	char *url = provider_url(p, rel);

	free(qe);
	free(rel);
	return url;
}

static char *pexels_auth(const struct provider *p)
{
	return provider_key(p) ? xasprintf("Authorization: %s", provider_key(p)) : NULL;
}

/* The smallest MP4 rendition covering the output size (stock_pick_offer). */
static const char *pick_video_file(json_t *files, const struct stock_query *q)
{
	size_t i;
	json_t *f;
	struct stock_pick pk = { 0 };

	json_array_foreach(files, i, f)
	{
		const char *type = json_string_value(json_object_get(f, "file_type"));
		if (!type || strcmp(type, "video/mp4") != 0)
			continue;
		stock_pick_offer(&pk, q, json_string_value(json_object_get(f, "link")),
				 (long)json_integer_value(json_object_get(f, "width")),
				 (long)json_integer_value(json_object_get(f, "height")));
	}
	return pk.url;
}

static int pexels_parse(const char *body, size_t len, const struct stock_query *q,
			struct stock_hit *out, struct aura_error *err)
{
	json_t *root;
	const char *url = NULL, *page, *who;
	int rc = -AURA_E_PROVIDER_BAD_RESPONSE;

	memset(out, 0, sizeof(*out));
	json_t *hit = stock_first_hit(body, len, q->video ? "videos" : "photos", q, &root, err);
	if (!hit)
		goto done;
	if (q->video) {
		url = pick_video_file(json_object_get(hit, "video_files"), q);
		who = json_string_value(json_object_get(json_object_get(hit, "user"), "name"));
	} else {
		json_t *src = json_object_get(hit, "src");
		url = json_string_value(
		    json_object_get(src, q->orientation == STOCK_PORTRAIT    ? "portrait"
					 : q->orientation == STOCK_LANDSCAPE ? "landscape"
									     : "large2x"));
		if (!stock_is_http_url(url))
			url = json_string_value(json_object_get(src, "large2x"));
		who = json_string_value(json_object_get(hit, "photographer"));
	}
	page = json_string_value(json_object_get(hit, "url"));
	rc = stock_hit_set(out, url, q->video ? "Video" : "Photo", who, "Pexels", page,
			   "https://www.pexels.com", err);
done:
	json_decref(root);
	return rc;
}

const struct stock_api stock_api_pexels = {
	.name = "pexels",
	.search_url = pexels_search_url,
	.auth_header = pexels_auth,
	.parse = pexels_parse,
};
