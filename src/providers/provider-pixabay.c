/*
 * provider-pixabay.c -- Pixabay search (photos: BASE/?key=..., videos:
 * BASE/videos/?key=...). Pixabay takes the key only in the query string,
 * so the URL is a secret: http.c logs URLs without their query.
 *
 * Must never: log or return the search URL, or accept a hit without a
 * download URL.
 */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "providers/http.h"
#include "providers/services.h"
#include "base/util.h"

static char *pixabay_search_url(const struct provider *p, const struct stock_query *q)
{
	const char *key = provider_key(p);
	char *ke = http_url_escape(key ? key : "");
	char *qe = http_url_escape(q->query);
	/* Pixabay knows horizontal and vertical only; square takes either. */
	const char *o = q->orientation == STOCK_PORTRAIT    ? "vertical"
			: q->orientation == STOCK_LANDSCAPE ? "horizontal"
							    : "all";
	char *rel =
	    xasprintf("%s?key=%s&q=%s&orientation=%s&per_page=3&safesearch=true%s",
		      q->video ? "/videos/" : "/", ke, qe, o, q->video ? "" : "&image_type=photo");
	char *url = provider_url(p, rel);

	memset(ke, 0, strlen(ke));
	memset(rel, 0, strlen(rel));
	free(ke);
	free(qe);
	free(rel);
	return url;
}

static int pixabay_parse(const char *body, size_t len, const struct stock_query *q,
			 struct stock_hit *out, struct aura_error *err)
{
	json_t *root;
	const char *url = NULL, *page, *who;
	int rc = -AURA_E_PROVIDER_BAD_RESPONSE;

	memset(out, 0, sizeof(*out));
	json_t *hit = stock_first_hit(body, len, "hits", q, &root, err);
	if (!hit)
		goto done;
	if (q->video) {
		/* the smallest rendition covering the output (stock_pick_offer) */
		static const char *const sizes[] = { "large", "medium", "small", "tiny", NULL };
		json_t *v = json_object_get(hit, "videos");
		struct stock_pick pk = { 0 };
		for (const char *const *sz = sizes; *sz; sz++) {
			json_t *r = json_object_get(v, *sz);
			stock_pick_offer(&pk, q, json_string_value(json_object_get(r, "url")),
					 (long)json_integer_value(json_object_get(r, "width")),
					 (long)json_integer_value(json_object_get(r, "height")));
		}
		url = pk.url;
	} else {
		url = json_string_value(json_object_get(hit, "largeImageURL"));
		if (!stock_is_http_url(url))
			url = json_string_value(json_object_get(hit, "webformatURL"));
	}
	who = json_string_value(json_object_get(hit, "user"));
	page = json_string_value(json_object_get(hit, "pageURL"));
	rc = stock_hit_set(out, url, q->video ? "Video" : "Image", who, "Pixabay", page,
			   "https://pixabay.com", err);
done:
	json_decref(root);
	return rc;
}

const struct stock_api stock_api_pixabay = {
	.name = "pixabay",
	.search_url = pixabay_search_url,
	.auth_header = NULL,
	.parse = pixabay_parse,
};
