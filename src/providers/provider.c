/*
 * provider.c -- the request policy over http.c shared by every provider:
 * attempts, backoff with +-20 % jitter, Retry-After, a circuit breaker per
 * provider, the mapping of HTTP statuses to catalogue codes, and the
 * failure log line (status + clipped, redacted body). The providers by
 * name and the server's set of them are provider-set.c's; decoding and
 * saving an answer's body, provider-body.c's.
 *
 * Must never: put a key or a request header into a log line or an error
 * detail, retry a non-transient failure, call a completion callback from
 * inside provider_call_start, or block.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/errors.h"
#include "base/log.h"
#include "base/metrics.h"
#include "os/loop.h"
#include "providers/provider.h"
#include "base/util.h"

#define CLIP_LOG 300
/* A provider whose policy is quiet (a one-off check) leaves its reporting
 * to the caller. */
#define plog(p, level, ...)                                                                        \
	do {                                                                                       \
		if (!(p)->pol.quiet)                                                               \
			log_msg(level, __VA_ARGS__);                                               \
	} while (0)

struct provider {
	struct loop *loop;
	struct http *http;
	char *name;
	char *base_url;
	char *key;
	struct provider_policy pol;
	enum provider_breaker state;
	int failures;	    /* consecutive transient failures */
	int64_t open_until; /* monotonic ms, while OPEN */
	bool probing;	    /* HALF_OPEN: the one probe is in flight */
	struct provider_call *calls;
};

struct provider_call {
	struct provider *p;
	provider_done_fn cb;
	void *ctx;
	void (*free_ctx)(void *ctx); /* called after cb, or on cancel */
	/* the request, owned */
	char *method, *url, *body, *download;
	size_t body_len;
	char **headers, **ctypes;
	uint64_t max_size;
	int attempts;
	bool probe;
	int64_t http_id; /* in flight, or 0 */
	uint64_t timer;	 /* retry or immediate-failure timer, or 0 */
	int64_t start;
	int64_t attempt_start;		/* of the HTTP request in flight */
	struct provider_result pending; /* an immediate failure to deliver */
	struct provider_call *next;
};

static uint64_t rng_state;

/* xorshift64*: jitter only needs to decorrelate clients, not be secret. */
static double rng_unit(void)
{
	if (rng_state == 0)
		rng_state =
		    (uint64_t)time_now_ms() ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ULL;
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (double)((rng_state * 2685821657736338717ULL) >> 11) / (double)(1ULL << 53);
}

void provider_policy_default(struct provider_policy *pol, int timeout_s)
{
	pol->max_attempts = 3;
	pol->backoff_ms = 1000;
	pol->backoff_max_ms = 16000;
	pol->retry_after_max_ms = 30000;
	pol->breaker_threshold = 5;
	pol->breaker_cooldown_ms = 60000;
	pol->connect_timeout_ms = 10000;
	pol->timeout_ms = (int64_t)(timeout_s > 0 ? timeout_s : 60) * 1000;
	if (pol->connect_timeout_ms > pol->timeout_ms)
		pol->connect_timeout_ms = pol->timeout_ms;
	pol->quiet = false;
}

static char **strv_copy(const char *const *v)
{
	size_t n = 0;
	char **out;

	if (!v)
		return NULL;
	while (v[n])
		n++;
	out = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return out;
}

static void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++) {
		/* headers may hold a key: do not leave it in freed memory */
		memset(*p, 0, strlen(*p));
		free(*p);
	}
	free(v);
}

struct provider *provider_new(struct loop *l, struct http *h, const char *name,
			      const char *base_url, const char *key,
			      const struct provider_policy *pol)
{
	struct provider *p = xcalloc(1, sizeof(*p));
	size_t n;

	p->loop = l;
	p->http = h;
	p->name = xstrdup(name);
	p->base_url = xstrdup(base_url ? base_url : "");
	n = strlen(p->base_url);
	while (n > 0 && p->base_url[n - 1] == '/')
		p->base_url[--n] = '\0';
	if (key && *key) {
		p->key = xstrdup(key);
		log_add_secret(key);
	}
	if (pol)
		p->pol = *pol;
	else
		provider_policy_default(&p->pol, 60);
	if (p->pol.max_attempts < 1)
		p->pol.max_attempts = 1;
	if (p->pol.breaker_threshold < 1)
		p->pol.breaker_threshold = 1;
	return p;
}

static void call_free(struct provider_call *c)
{
	if (c->free_ctx)
		c->free_ctx(c->ctx);
	free(c->method);
	free(c->url);
	if (c->body)
		memset(c->body, 0, c->body_len);
	free(c->body);
	free(c->download);
	strv_free(c->headers);
	strv_free(c->ctypes);
	free(c);
}

static void call_unlink(struct provider_call *c)
{
	for (struct provider_call **pp = &c->p->calls; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			return;
		}
}

void provider_call_cancel(struct provider_call *c)
{
	if (!c)
		return;
	if (c->http_id)
		http_cancel(c->p->http, c->http_id);
	loop_timer_del(c->p->loop, c->timer);
	if (c->probe)
		c->p->probing = false;
	call_unlink(c);
	call_free(c);
}

void provider_free(struct provider *p)
{
	if (!p)
		return;
	while (p->calls)
		provider_call_cancel(p->calls);
	free(p->name);
	free(p->base_url);
	if (p->key) {
		memset(p->key, 0, strlen(p->key));
		free(p->key);
	}
	free(p);
}

const char *provider_name(const struct provider *p)
{
	return p->name;
}

const char *provider_key(const struct provider *p)
{
	return p->key;
}

char *provider_url(const struct provider *p, const char *path)
{
	return xasprintf("%s%s%s", p->base_url, path[0] == '/' ? "" : "/", path);
}

enum provider_breaker provider_breaker_state(const struct provider *p)
{
	if (p->state == PROVIDER_OPEN && time_mono_ms() >= p->open_until)
		return PROVIDER_HALF_OPEN;
	return p->state;
}

char *provider_clip(const struct provider *p, const char *s, size_t len, size_t max)
{
	struct buf b;
	char *out, *hit;

	buf_init(&b);
	for (size_t i = 0; i < len && i < max; i++) {
		unsigned char ch = (unsigned char)s[i];
		buf_append(&b, ch < 0x20 || ch == 0x7f ? "." : (const char *)&s[i], 1);
	}
	if (len > max)
		buf_puts(&b, "...");
	if (!b.data)
		buf_puts(&b, "");
	/* The log knows every configured secret; our own key is redacted even
	 * if it was never registered there. */
	if (p && p->key && strlen(p->key) >= 4) {
		size_t kl = strlen(p->key);
		while ((hit = strstr(b.data, p->key))) {
			memset(hit, '*', kl);
		}
	}
	out = log_redact(b.data);
	buf_free(&b);
	return out;
}

static void finish(struct provider_call *c, struct provider_result *r)
{
	r->attempts = c->attempts;
	r->elapsed_ms = time_mono_ms() - c->start;
	call_unlink(c);
	c->cb(r, c->ctx);
	call_free(c);
}

static void on_pending(struct loop *l, void *ctx)
{
	struct provider_call *c = ctx;

	(void)l;
	c->timer = 0;
	finish(c, &c->pending);
}

/* Deliver an immediate failure from the loop, never from the caller's stack. */
static void fail_later(struct provider_call *c, int code, const char *fmt, ...) AURA_PRINTF(3, 4);
static void fail_later(struct provider_call *c, int code, const char *fmt, ...)
{
	va_list ap;

	memset(&c->pending, 0, sizeof(c->pending));
	c->pending.code = code;
	c->pending.body = "";
	va_start(ap, fmt);
	vsnprintf(c->pending.detail, sizeof(c->pending.detail), fmt, ap);
	va_end(ap);
	c->timer = loop_timer_add(c->p->loop, 0, on_pending, c);
}

static void on_http_done(const struct http_response *resp, void *ctx);

static void attempt(struct provider_call *c)
{
	struct provider *p = c->p;
	struct aura_error err;
	int64_t now = time_mono_ms();
	struct http_request req = {
		.method = c->method,
		.url = c->url,
		.headers = (const char *const *)c->headers,
		.body = c->body,
		.body_len = c->body_len,
		.connect_timeout_ms = p->pol.connect_timeout_ms,
		.timeout_ms = p->pol.timeout_ms,
		.max_size = c->max_size,
		.download_path = c->download,
		.content_types = (const char *const *)c->ctypes,
	};
	int64_t id;

	if (p->state == PROVIDER_OPEN) {
		if (now < p->open_until || p->probing) {
			fail_later(c, AURA_E_PROVIDER_CIRCUIT_OPEN,
				   "%s: skipped for %lld s more after %d failures in a row",
				   p->name, (long long)((p->open_until - now + 999) / 1000),
				   p->failures);
			return;
		}
		p->state = PROVIDER_HALF_OPEN;
	}
	if (p->state == PROVIDER_HALF_OPEN) {
		if (p->probing && !c->probe) {
			fail_later(c, AURA_E_PROVIDER_CIRCUIT_OPEN,
				   "%s: a probe request is testing it after %d failures", p->name,
				   p->failures);
			return;
		}
		p->probing = true;
		c->probe = true;
		plog(p, LOG_LEVEL_INFO, "provider %s: cool-down over, probing", p->name);
	}
	aura_error_clear(&err);
	id = http_start(p->http, &req, on_http_done, c, &err);
	if (id < 0) {
		if (c->probe)
			p->probing = false;
		fail_later(c, (int)-id, "%s: %s", p->name, err.detail);
		return;
	}
	c->attempts++;
	c->http_id = id;
	c->attempt_start = time_mono_ms();
}

static void on_retry(struct loop *l, void *ctx)
{
	struct provider_call *c = ctx;

	(void)l;
	c->timer = 0;
	attempt(c);
}

/* HTTP status -> catalogue code; transport failures come coded from http.c. */
static int classify(const struct http_response *resp, bool *transient, const char **why)
{
	long s = resp->status;

	*why = NULL;
	if (resp->code) {
		*transient = resp->retryable;
		return resp->code;
	}
	*transient = false;
	if (s >= 200 && s < 300)
		return 0;
	if (s == 401 || s == 403) {
		*why = "key refused";
		return AURA_E_PROVIDER_AUTH;
	}
	if (s == 429) {
		*transient = true;
		*why = "rate limited";
		return AURA_E_PROVIDER_RATE_LIMITED;
	}
	if (s >= 500) {
		*transient = true;
		*why = "server error";
		return AURA_E_PROVIDER_UNAVAILABLE;
	}
	if (s == 404) {
		*why = "endpoint or model not found (check base_url and model)";
		return AURA_E_PROVIDER_BAD_RESPONSE;
	}
	*why = "request rejected";
	return AURA_E_PROVIDER_BAD_RESPONSE;
}

static int64_t retry_delay(const struct provider *p, int attempts, int64_t retry_after_ms)
{
	int64_t d = p->pol.backoff_ms;

	for (int i = 1; i < attempts && d < p->pol.backoff_max_ms; i++)
		d *= 2;
	if (d > p->pol.backoff_max_ms)
		d = p->pol.backoff_max_ms;
	d = (int64_t)((double)d * (0.8 + 0.4 * rng_unit()));
	if (retry_after_ms >= 0) {
		int64_t ra = retry_after_ms < p->pol.retry_after_max_ms ? retry_after_ms
									: p->pol.retry_after_max_ms;
		if (ra > d)
			d = ra;
	}
	return d;
}

static void on_http_done(const struct http_response *resp, void *ctx)
{
	struct provider_call *c = ctx;
	struct provider *p = c->p;
	struct provider_result r = { 0 };
	bool transient;
	const char *why;
	char *clip, *url;
	int code;

	c->http_id = 0;
	code = classify(resp, &transient, &why);
	/* Each HTTP request is counted where it ends (doc/metrics.md). */
	struct metrics *m = http_metrics(p->http);
	metrics_add(m, METRIC_PROVIDER_REQUESTS, p->name, NULL, 1);
	metrics_observe(m, METRIC_PROVIDER_SECONDS, p->name,
			(double)(time_mono_ms() - c->attempt_start) / 1000.0);
	if (code)
		metrics_add(m, METRIC_PROVIDER_FAILURES, p->name, aura_error_name(code), 1);
	r.status = resp->status;
	r.body = resp->body;
	r.body_len = resp->body_len;
	r.content_type = resp->content_type;

	if (code == 0) {
		if (c->probe || p->state != PROVIDER_CLOSED)
			plog(p, LOG_LEVEL_INFO, "provider %s: answered again, breaker closed",
			     p->name);
		p->state = PROVIDER_CLOSED;
		p->failures = 0;
		p->probing = false;
		c->probe = false;
		finish(c, &r);
		return;
	}

	r.code = code;
	clip = provider_clip(p, resp->body, resp->body_len, CLIP_LOG);
	url = http_url_for_log(c->url);
	if (resp->code)
		snprintf(r.detail, sizeof(r.detail), "%s: %s", p->name, resp->detail);
	else
		snprintf(r.detail, sizeof(r.detail), "%s: HTTP %ld (%s): %s", p->name, resp->status,
			 why, clip);
	plog(p, LOG_LEVEL_WARN, "provider %s: %s %s: attempt %d/%d: %s: HTTP %ld: %s: %s", p->name,
	     c->method ? c->method : "GET", url, c->attempts, p->pol.max_attempts,
	     aura_error_name(code), resp->status, resp->code ? resp->detail : why, clip);
	free(url);
	free(clip);

	if (transient) {
		p->failures++;
		if (c->probe ||
		    (p->state == PROVIDER_CLOSED && p->failures >= p->pol.breaker_threshold)) {
			p->state = PROVIDER_OPEN;
			p->open_until = time_mono_ms() + p->pol.breaker_cooldown_ms;
			plog(p, LOG_LEVEL_WARN,
			     "provider %s: %d failures in a row, breaker open for %lld s", p->name,
			     p->failures, (long long)(p->pol.breaker_cooldown_ms / 1000));
		}
	}
	if (c->probe) {
		p->probing = false;
		c->probe = false;
	}
	if (transient && c->attempts < p->pol.max_attempts && p->state == PROVIDER_CLOSED) {
		int64_t d = retry_delay(p, c->attempts, resp->retry_after_ms);
		plog(p, LOG_LEVEL_INFO, "provider %s: retry %d/%d in %lld ms", p->name,
		     c->attempts + 1, p->pol.max_attempts, (long long)d);
		c->timer = loop_timer_add(p->loop, d, on_retry, c);
		return;
	}
	finish(c, &r);
}

struct provider_call *provider_call_start(struct provider *p, const struct http_request *req,
					  provider_done_fn cb, void *ctx)
{
	return provider_call_start_ex(p, req, cb, ctx, NULL);
}

struct provider_call *provider_call_start_ex(struct provider *p, const struct http_request *req,
					     provider_done_fn cb, void *ctx,
					     void (*free_ctx)(void *ctx))
{
	struct provider_call *c = xcalloc(1, sizeof(*c));

	c->p = p;
	c->cb = cb;
	c->ctx = ctx;
	c->free_ctx = free_ctx;
	c->method = xstrdup(req->method ? req->method : "GET");
	c->url = xstrdup(req->url);
	if (req->body) {
		c->body = xmalloc(req->body_len + 1);
		memcpy(c->body, req->body, req->body_len);
		c->body[req->body_len] = '\0';
		c->body_len = req->body_len;
	}
	c->download = xstrdup(req->download_path);
	c->headers = strv_copy(req->headers);
	c->ctypes = strv_copy(req->content_types);
	c->max_size = req->max_size;
	c->start = time_mono_ms();
	c->next = p->calls;
	p->calls = c;
	attempt(c);
	return c;
}
