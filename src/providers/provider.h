/*
 * provider.h -- the request policy every online provider shares, over
 * http.c: retries with exponential backoff and jitter on transient failures
 * only, Retry-After honoured (capped), a per-provider circuit breaker, and
 * one catalogue code for every failure, logged with the status and a
 * clipped, redacted body.
 *
 * Must never: log, return or put into an error text a key or a request
 * header; retry a failure that cannot pass by itself (401/403, a bad
 * answer); block.
 */
#ifndef AURA_PROVIDER_H
#define AURA_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/conf.h"
#include "providers/http.h"
#include "base/util.h"

struct loop;

struct provider_policy {
	int max_attempts;	     /* per call, first try included (>= 1) */
	int64_t backoff_ms;	     /* delay before the first retry; doubles */
	int64_t backoff_max_ms;	     /* cap of one delay */
	int64_t retry_after_max_ms;  /* a longer Retry-After is cut to this */
	int breaker_threshold;	     /* consecutive transient failures that open it */
	int64_t breaker_cooldown_ms; /* open time before one probe is let through */
	int64_t connect_timeout_ms;
	int64_t timeout_ms; /* total, per attempt */
	bool quiet;	    /* log nothing: the caller reports the outcome (doctor, setup) */
};

/* The defaults documented in doc/providers.md; timeout_s is the
 * provider's `timeout` key (seconds). */
void provider_policy_default(struct provider_policy *pol, int timeout_s);

enum provider_breaker { PROVIDER_CLOSED, PROVIDER_OPEN, PROVIDER_HALF_OPEN };

struct provider;
struct provider_call;

/*
 * A provider named name ("openai") at base_url (a trailing '/' is
 * dropped) with key (NULL: none; copied and registered with the log's
 * redaction). h and l outlive it.
 */
struct provider *provider_new(struct loop *l, struct http *h, const char *name,
			      const char *base_url, const char *key,
			      const struct provider_policy *pol);
/* Cancel every call (no callbacks) and free. NULL is fine. */
void provider_free(struct provider *p);

const char *provider_name(const struct provider *p);
const char *provider_key(const struct provider *p); /* NULL if none */
/* base_url + path; caller frees. */
char *provider_url(const struct provider *p, const char *path);
enum provider_breaker provider_breaker_state(const struct provider *p);

struct provider_result {
	int code;	  /* 0, or a positive catalogue code */
	char detail[512]; /* the failure, redacted; "" on success */
	long status;	  /* last HTTP status, 0 if none */
	const char *body; /* last answer (2xx: the payload; download
			     mode: empty); valid during the callback */
	size_t body_len;
	const char *content_type; /* or NULL */
	int attempts;		  /* HTTP requests made (0: none, breaker open) */
	int64_t elapsed_ms;	  /* since provider_call_start */
};

/* Called once; the call is freed when it returns (do not cancel it). */
typedef void (*provider_done_fn)(const struct provider_result *r, void *ctx);

/*
 * Run req (copied) under the policy. The callback always comes later from
 * the loop, also for an immediate failure (breaker open, bad URL).
 */
struct provider_call *provider_call_start(struct provider *p, const struct http_request *req,
					  provider_done_fn cb, void *ctx);
/* The same, with a destructor for ctx: called after cb, or when the call
 * is cancelled (also by provider_free), so wrappers never leak. */
struct provider_call *provider_call_start_ex(struct provider *p, const struct http_request *req,
					     provider_done_fn cb, void *ctx,
					     void (*free_ctx)(void *ctx));
/* Abort a call that has not completed; no callback. NULL is fine. */
void provider_call_cancel(struct provider_call *c);

/* Text safe for logs and errors: at most max bytes of s, control bytes as
 * '.', the provider's key and every registered secret redacted. Caller frees. */
char *provider_clip(const struct provider *p, const char *s, size_t len, size_t max);

/* ---- from the configuration ---- */

/* The online providers, in the order of aura.ini: openai, elevenlabs,
 * pexels, pixabay, sdwebui. */
extern const char *const provider_names[];
/* The [name] section of cfg, or NULL for an unknown (or offline) name. */
const struct provider_config *provider_config_for(const struct aura_config *cfg, const char *name);
/* base_url if set, else the public default from the key table (cfg NULL:
 * the default). */
const char *provider_base_url(const struct aura_config *cfg, const char *name);
/* Whether the provider can be called: a key, or no key needed (sdwebui;
 * openai pointed at a local base_url such as Ollama's). */
bool provider_usable(const struct aura_config *cfg, const char *name);
/* The user asked for it: a key, a base_url of its own (a local server) or
 * a chain naming it. What doctor checks and health probes. */
bool provider_mentioned(const struct aura_config *cfg, const char *name);
/* A provider built from cfg with the default policy and its timeout;
 * NULL for an unknown name. */
struct provider *provider_from_config(struct loop *l, struct http *h, const struct aura_config *cfg,
				      const char *name);

/* The server's instances of the online providers, one per name, made on
 * first use and shared by every job (so is the breaker state). h NULL:
 * online providers are off. cfg and h outlive the set; free the set
 * before h, after whatever holds its providers (the engine's runs). */
struct provider_set;
struct provider_set *provider_set_new(struct loop *l, struct http *h,
				      const struct aura_config *cfg);
/* The instance for name, NULL if it cannot be called: no HTTP, an unknown
 * name, no key and no base_url (provider_usable). ps is a struct
 * provider_set (the shape of task_async_env.provider). */
struct provider *provider_set_get(void *ps, const char *name);
void provider_set_free(struct provider_set *ps); /* NULL is fine */

/* Decode base64 (standard or URL-safe, '=' padding and newlines ok) onto
 * out; 0, or -1 on a character outside the alphabet. */
int provider_b64_decode(const char *in, size_t len, struct buf *out);
/* A generated image's base64 (b64 may be NULL) decoded onto png: 0 when
 * it decodes to something that starts as a PNG, else -1. */
int provider_png_decode(const char *b64, struct buf *png);

/* Write data to path atomically (path.part, then rename), mode 0600.
 * 0 or -AURA_E_DISK_FULL / -AURA_E_DATA_DIR. */
int provider_write_file(const char *path, const void *data, size_t len, struct aura_error *err);

#endif
