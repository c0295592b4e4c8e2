/*
 * http.h -- HTTP transfers on the server's poll loop: one libcurl multi
 * handle whose sockets and timer are loop watchers, one share (DNS,
 * connections, TLS sessions) reused by every request. Bodies are kept in
 * memory or streamed to a file, both under a size cap.
 *
 * Must never: block (no curl_easy_perform, no thread), turn TLS
 * verification off, log a request header (the Authorization header holds a
 * key), or call a completion callback from inside a libcurl callback.
 * This module maps transport failures only; what an HTTP status means is
 * provider.c's business.
 */
#ifndef AURA_HTTP_H
#define AURA_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/errors.h"

struct loop;
struct http;

struct http_request {
	const char *method; /* "GET" (default when NULL) or "POST" */
	const char *url;
	const char *const *headers; /* NULL-terminated "Name: value", or NULL */
	const char *body;	    /* POST body (copied), or NULL */
	size_t body_len;
	int64_t connect_timeout_ms; /* <= 0: 10 s */
	int64_t timeout_ms;	    /* total; <= 0: 60 s */
	uint64_t max_size;	    /* body cap in bytes; 0: 8 MiB */
	/* Download mode: a 2xx body is streamed to download_path (created
	 * 0600, removed on any failure); other bodies stay in memory. */
	const char *download_path;
	/* Accepted Content-Type prefixes of a 2xx answer ("image/",
	 * "application/json"); NULL: any. */
	const char *const *content_types;
};

struct http_response {
	int code;	  /* 0, or a positive catalogue code for a transport
			     failure: PROVIDER_TIMEOUT, PROVIDER_UNAVAILABLE,
			     PROVIDER_BAD_RESPONSE, DISK_FULL, INTERNAL */
	bool retryable;	  /* the transport failure may pass on a retry */
	char detail[256]; /* transport failure text (never a header) */
	long status;	  /* HTTP status, 0 if none was received */
	char *body;	  /* NUL-terminated; in download mode only a
			     non-2xx body. Owned by the response. */
	size_t body_len;
	char *content_type;	/* or NULL */
	int64_t retry_after_ms; /* Retry-After in ms, -1 when absent */
	uint64_t bytes;		/* body bytes received (also when streamed) */
	int64_t elapsed_ms;
};

/* Called once per started request, from the loop, never from inside
 * http_start(); resp is valid during the call only. The callback may start
 * or cancel requests. */
typedef void (*http_done_fn)(const struct http_response *resp, void *ctx);

/* Bind to a loop. Returns NULL if libcurl cannot be initialised. */
struct http *http_new(struct loop *l);
/* Cancel every request (no callback) and free. NULL is fine. Never from
 * inside a completion callback. */
void http_free(struct http *h);
/* The registry the providers on h count their requests in
 * (provider.c; doc/metrics.md); m outlives h. NULL, the default: none. */
struct metrics;
void http_set_metrics(struct http *h, struct metrics *m);
struct metrics *http_metrics(const struct http *h); /* NULL h: NULL */

/*
 * Start a request. Returns its id (> 0) or a negative catalogue code
 * (err filled) when it cannot even start (bad URL, unusable download path).
 */
int64_t http_start(struct http *h, const struct http_request *req, http_done_fn cb, void *ctx,
		   struct aura_error *err);
/* Abort a request without calling its callback; unknown ids are ignored. */
void http_cancel(struct http *h, int64_t id);

/* Requests in flight. */
size_t http_active(const struct http *h);

/* s percent-encoded for a URL query value (curl_easy_escape). Caller frees. */
char *http_url_escape(const char *s);

/* The URL without its query string and user info, for logs: keys travel
 * in queries (Pixabay). Caller frees. */
char *http_url_for_log(const char *url);

#endif
