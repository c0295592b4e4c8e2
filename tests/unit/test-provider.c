/*
 * test-provider.c -- http.c and provider.c on a real loop against the
 * loopback fake provider (tests/fakes/fake-provider.py): each fault gives
 * its catalogue code, the right number of attempts and loose timing
 * bounds; Retry-After is honoured; the circuit breaker opens, refuses
 * without a request, half-opens after its cool-down and closes on success;
 * downloads stream to disk with a size cap and a content-type check and
 * leave nothing behind on failure; a hung request never blocks the loop;
 * the key never reaches the log or an error text.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "fakeprov.h"
#include "base/log.h"
#include "providers/provider.h"
#include "providers/services.h"

#define KEY "sk-test-0123456789abcdef"

static struct fakeprov fake;
static struct loop *lp;
static struct http *hp;
static char tmpdir[] = "/tmp/aura-test-provider-XXXXXX";
static char logpath[256];

struct res {
	bool done;
	int code;
	int attempts;
	long status;
	int64_t elapsed;
	char detail[512];
	char *body;
};

static void on_done(const struct provider_result *r, void *ctx)
{
	struct res *x = ctx;
	x->done = true;
	x->code = r->code;
	x->attempts = r->attempts;
	x->status = r->status;
	x->elapsed = r->elapsed_ms;
	str_copy(x->detail, r->detail, sizeof(x->detail));
	x->body = xstrndup(r->body, r->body_len);
}

static struct provider_policy fast_policy(void)
{
	struct provider_policy pol;
	provider_policy_default(&pol, 5);
	pol.backoff_ms = 50;
	pol.backoff_max_ms = 400;
	pol.retry_after_max_ms = 3000;
	pol.breaker_threshold = 100;
	pol.timeout_ms = 2000;
	pol.connect_timeout_ms = 1000;
	return pol;
}

/* One call of path through a provider with policy pol; waits for it. */
static void call(struct provider *p, const char *method, const char *path,
		 const struct http_request *tmpl, struct res *out)
{
	char *url = provider_url(p, path);
	char *auth = xasprintf("Authorization: Bearer %s", KEY);
	const char *hdrs[] = { auth, "Content-Type: application/json", NULL };
	struct http_request req = { 0 };

	if (tmpl)
		req = *tmpl;
	req.method = method;
	req.url = url;
	req.headers = hdrs;
	if (!req.body && strcmp(method, "POST") == 0) {
		req.body = "{}";
		req.body_len = 2;
	}
	memset(out, 0, sizeof(*out));
	provider_call_start(p, &req, on_done, out);
	free(url);
	free(auth);
	assert_true(loop_until(lp, &out->done, 20000));
}

static struct provider *mk(struct provider_policy pol)
{
	return provider_new(lp, hp, "fake", fake.base, KEY, &pol);
}

/* The server's instances (provider_set, what the engine's steps get): one
 * per name, made once and kept, so the breaker is shared by every job;
 * none without HTTP, for an unknown name, or without a key. */
static void test_provider_set(void **state)
{
	(void)state;
	struct aura_config cfg;
	config_defaults(&cfg);
	cfg.pexels.api_key = xstrdup("pexels-key");

	struct provider_set *ps = provider_set_new(lp, hp, &cfg);
	struct provider *p = provider_set_get(ps, "pexels");
	assert_non_null(p);
	assert_ptr_equal(provider_set_get(ps, "pexels"), p);
	assert_string_equal(provider_name(p), "pexels");
	assert_null(provider_set_get(ps, "pixabay")); /* no key */
	assert_null(provider_set_get(ps, "nosuch"));
	assert_null(provider_set_get(ps, NULL));
	assert_null(provider_set_get(NULL, "pexels"));
	provider_set_free(ps);
	provider_set_free(NULL);

	ps = provider_set_new(lp, NULL, &cfg); /* online providers off */
	assert_null(provider_set_get(ps, "pexels"));
	provider_set_free(ps);
	config_free(&cfg);
}

static int group_setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(logpath, sizeof(logpath), "%s/aura.log", tmpdir);
	log_open(logpath, 0, 0);
	log_set_level(LOG_LEVEL_DEBUG);
	lp = loop_new();
	hp = http_new(lp);
	return fakeprov_start(&fake, KEY);
}

static int group_teardown(void **state)
{
	(void)state;
	fakeprov_stop(&fake);
	http_free(hp);
	loop_free(lp);
	log_close();
	rm_tree(tmpdir);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	fakeprov_reset(lp, hp, &fake);
	return 0;
}

static void test_success(void **state)
{
	struct provider *p = mk(fast_policy());
	struct res r;

	(void)state;
	call(p, "GET", "/v1/models", NULL, &r);
	assert_int_equal(r.code, 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.attempts, 1);
	assert_non_null(strstr(r.body, "fake-model"));
	free(r.body);
	provider_free(p);
}

static void test_500_retried_then_fails(void **state)
{
	struct provider *p = mk(fast_policy());
	struct res r;

	(void)state;
	fakeprov_fault(lp, hp, &fake, "/v1/models", "500", -1, 0);
	call(p, "GET", "/v1/models", NULL, &r);
	assert_int_equal(r.code, AURA_E_PROVIDER_UNAVAILABLE);
	assert_int_equal(r.attempts, 3);
	assert_int_equal(fakeprov_count(lp, hp, &fake, "/v1/models"), 3);
	/* two backoffs: 50 ms and 100 ms, each -20 %..+20 % */
	assert_true(r.elapsed >= 120);
	assert_true(r.elapsed < 2000);
	assert_non_null(strstr(r.detail, "HTTP 500"));
	free(r.body);
	provider_free(p);
}

static void test_500_once_then_success(void **state)
{
	struct provider *p = mk(fast_policy());
	struct res r;

	(void)state;
	fakeprov_fault(lp, hp, &fake, "/v1/models", "500", 1, 0);
	call(p, "GET", "/v1/models", NULL, &r);
	assert_int_equal(r.code, 0);
	assert_int_equal(r.attempts, 2);
	free(r.body);
	provider_free(p);
}

static void test_429_honours_retry_after(void **state)
{
	struct provider *p = mk(fast_policy());
	struct res r;

	(void)state;
	fakeprov_fault(lp, hp, &fake, "/v1/models", "429", 1, 1);
	call(p, "GET", "/v1/models", NULL, &r);
	assert_int_equal(r.code, 0);
	assert_int_equal(r.attempts, 2);
	/* backoff alone would be ~50 ms; Retry-After: 1 asks for a second */
	assert_true(r.elapsed >= 950);
	assert_true(r.elapsed < 5000);
	free(r.body);
	provider_free(p);
}

static void test_429_exhausted_is_rate_limited(void **state)
{
	struct provider_policy pol = fast_policy();
	struct provider *p;
	struct res r;

	(void)state;
	pol.max_attempts = 2;
	pol.retry_after_max_ms = 200; /* Retry-After: 1 is capped */
	p = mk(pol);
	fakeprov_fault(lp, hp, &fake, "/v1/models", "429", -1, 1);
	call(p, "GET", "/v1/models", NULL, &r);
	assert_int_equal(r.code, AURA_E_PROVIDER_RATE_LIMITED);
	assert_int_equal(r.attempts, 2);
	assert_true(r.elapsed >= 150);
	assert_true(r.elapsed < 900); /* the cap held */
	free(r.body);
	provider_free(p);
}

static void test_401_not_retried_and_key_redacted(void **state)
{
	struct provider_policy pol = fast_policy();
	struct provider *p = provider_new(lp, hp, "fake", fake.base, "sk-wrong-key-777777", &pol);
	char *url = provider_url(p, "/v1/models");
	const char *hdrs[] = { "Authorization: Bearer sk-wrong-key-777777", NULL };
	struct http_request req = { .url = url, .headers = hdrs };
	struct res r = { 0 };
	FILE *fp;
	char text[65536];
	size_t n;

	(void)state;
	provider_call_start(p, &req, on_done, &r);
	assert_true(loop_until(lp, &r.done, 5000));
	assert_int_equal(r.code, AURA_E_PROVIDER_AUTH);
	assert_int_equal(r.attempts, 1);
	assert_int_equal(fakeprov_count(lp, hp, &fake, "/v1/models"), 1);
	/* the fake echoes the refused key in its answer, as real services do */
	assert_non_null(strstr(r.body, "sk-wrong-key-777777"));
	assert_null(strstr(r.detail, "sk-wrong-key-777777"));
	assert_non_null(strstr(r.detail, "HTTP 401"));
	fp = fopen(logpath, "r");
	assert_non_null(fp);
	n = fread(text, 1, sizeof(text) - 1, fp);
	text[n] = '\0';
	fclose(fp);
	assert_non_null(strstr(text, "PROVIDER_AUTH: HTTP 401"));
	assert_null(strstr(text, "sk-wrong-key-777777"));
	assert_null(strstr(text, KEY));
	free(r.body);
	free(url);
	provider_free(p);
}

static int ticks;
static bool ticking;
static int64_t last_tick, max_gap;
static void tick(struct loop *l, void *ctx)
{
	int64_t now = time_mono_ms();
	(void)ctx;
	if (last_tick && now - last_tick > max_gap)
		max_gap = now - last_tick;
	last_tick = now;
	ticks++;
	if (ticking)
		loop_timer_add(l, 20, tick, NULL);
}

static void test_hang_times_out_and_loop_stays_live(void **state)
{
	struct provider_policy pol = fast_policy();
	struct provider *p;
	struct res r;
	uint64_t t;

	(void)state;
	pol.timeout_ms = 600;
	pol.max_attempts = 1;
	p = mk(pol);
	fakeprov_fault(lp, hp, &fake, "/v1/models", "hang", -1, 0);
	ticks = 0;
	ticking = true;
	last_tick = max_gap = 0;
	t = loop_timer_add(lp, 20, tick, NULL);
	call(p, "GET", "/v1/models", NULL, &r);
	assert_int_equal(r.code, AURA_E_PROVIDER_TIMEOUT);
	assert_true(r.elapsed >= 550 && r.elapsed < 3000);
	/* a 20 ms timer kept firing on time while the request hung */
	assert_true(ticks >= 20);
	assert_true(max_gap < 150);
	free(r.body);
	ticking = false;
	loop_timer_del(lp, t);
	provider_free(p);
}

static void test_trickle_times_out(void **state)
{
	struct provider_policy pol = fast_policy();
	struct provider *p;
	struct res r;

	(void)state;
	pol.timeout_ms = 700;
	pol.max_attempts = 2;
	p = mk(pol);
	fakeprov_fault(lp, hp, &fake, "/v1/models", "trickle", -1, 0);
	call(p, "GET", "/v1/models", NULL, &r);
	assert_int_equal(r.code, AURA_E_PROVIDER_TIMEOUT);
	assert_int_equal(r.attempts, 2); /* a timeout is transient: retried */
	assert_true(r.elapsed >= 1300 && r.elapsed < 5000);
	free(r.body);
	provider_free(p);
}

static void test_truncated_is_bad_response(void **state)
{
	struct provider *p = mk(fast_policy());
	struct res r;

	(void)state;
	fakeprov_fault(lp, hp, &fake, "/v1/chat/completions", "truncated", -1, 0);
	call(p, "POST", "/v1/chat/completions", NULL, &r);
	assert_int_equal(r.code, AURA_E_PROVIDER_BAD_RESPONSE);
	assert_int_equal(r.attempts, 1);
	assert_non_null(strstr(r.detail, "truncated"));
	free(r.body);
	provider_free(p);
}

static void test_oversized_is_capped(void **state)
{
	struct provider *p = mk(fast_policy());
	struct http_request t = { .max_size = 256 * 1024 };
	struct res r;

	(void)state;
	fakeprov_fault(lp, hp, &fake, "/v1/models", "oversized", -1, 0);
	call(p, "GET", "/v1/models", &t, &r);
	assert_int_equal(r.code, AURA_E_PROVIDER_BAD_RESPONSE);
	assert_int_equal(r.attempts, 1);
	assert_non_null(strstr(r.detail, "too large"));
	free(r.body);
	provider_free(p);
}

static void test_download_streams_to_file(void **state)
{
	struct provider *p = mk(fast_policy());
	char *path = xasprintf("%s/a.png", tmpdir);
	const char *types[] = { "image/", NULL };
	struct http_request t = { .download_path = path, .content_types = types };
	struct res r;
	unsigned char magic[8] = { 0 };
	FILE *fp;
	struct stat st;

	(void)state;
	call(p, "GET", "/files/a.png", &t, &r);
	assert_int_equal(r.code, 0);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(magic, 1, 8, fp), 8);
	fclose(fp);
	assert_memory_equal(magic, "\x89PNG\r\n\x1a\n", 8);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(r.body);
	free(path);
	provider_free(p);
}

static void test_download_wrong_type_leaves_nothing(void **state)
{
	struct provider *p = mk(fast_policy());
	char *path = xasprintf("%s/b.png", tmpdir);
	char *part = xasprintf("%s.part", path);
	const char *types[] = { "image/", NULL };
	struct http_request t = { .download_path = path, .content_types = types };
	struct res r;

	(void)state;
	fakeprov_fault(lp, hp, &fake, "/files/b.png", "ctype", -1, 0);
	call(p, "GET", "/files/b.png", &t, &r);
	assert_int_equal(r.code, AURA_E_PROVIDER_BAD_RESPONSE);
	assert_non_null(strstr(r.detail, "content type"));
	assert_int_not_equal(access(path, F_OK), 0);
	assert_int_not_equal(access(part, F_OK), 0);
	free(r.body);
	free(path);
	free(part);
	provider_free(p);
}

static void test_download_too_large_leaves_nothing(void **state)
{
	struct provider *p = mk(fast_policy());
	char *path = xasprintf("%s/c.bin", tmpdir);
	char *part = xasprintf("%s.part", path);
	struct http_request t = { .download_path = path, .max_size = 100 * 1024 };
	struct res r;

	(void)state;
	fakeprov_fault(lp, hp, &fake, "/files/c.bin", "oversized", -1, 0);
	call(p, "GET", "/files/c.bin", &t, &r);
	assert_int_equal(r.code, AURA_E_PROVIDER_BAD_RESPONSE);
	assert_non_null(strstr(r.detail, "too large"));
	assert_int_not_equal(access(path, F_OK), 0);
	assert_int_not_equal(access(part, F_OK), 0);
	free(r.body);
	free(path);
	free(part);
	provider_free(p);
}

static void test_connection_refused_is_unavailable(void **state)
{
	struct provider_policy pol = fast_policy();
	struct provider *p;
	struct res r;

	(void)state;
	/* port 1 on loopback: nobody listens there */
	p = provider_new(lp, hp, "nobody", "http://127.0.0.1:1", NULL, &pol);
	call(p, "GET", "/v1/models", NULL, &r);
	assert_int_equal(r.code, AURA_E_PROVIDER_UNAVAILABLE);
	assert_int_equal(r.attempts, 3);
	free(r.body);
	provider_free(p);
}

static void test_breaker_opens_half_opens_closes(void **state)
{
	struct provider_policy pol = fast_policy();
	struct provider *p;
	struct res r;

	(void)state;
	pol.max_attempts = 1;
	pol.breaker_threshold = 2;
	pol.breaker_cooldown_ms = 400;
	p = mk(pol);
	fakeprov_fault(lp, hp, &fake, "/v1/models", "500", -1, 0);
	call(p, "GET", "/v1/models", NULL, &r);
	free(r.body);
	assert_int_equal(provider_breaker_state(p), PROVIDER_CLOSED);
	call(p, "GET", "/v1/models", NULL, &r);
	free(r.body);
	assert_int_equal(r.code, AURA_E_PROVIDER_UNAVAILABLE);
	assert_int_equal(provider_breaker_state(p), PROVIDER_OPEN);

	/* open: refused at once, no request reaches the server */
	call(p, "GET", "/v1/models", NULL, &r);
	free(r.body);
	assert_int_equal(r.code, AURA_E_PROVIDER_CIRCUIT_OPEN);
	assert_int_equal(r.attempts, 0);
	assert_true(r.elapsed < 100);
	assert_int_equal(fakeprov_count(lp, hp, &fake, "/v1/models"), 2);

	/* after the cool-down one probe goes through; it fails: open again */
	loop_for(lp, 450);
	assert_int_equal(provider_breaker_state(p), PROVIDER_HALF_OPEN);
	call(p, "GET", "/v1/models", NULL, &r);
	free(r.body);
	assert_int_equal(r.code, AURA_E_PROVIDER_UNAVAILABLE);
	assert_int_equal(provider_breaker_state(p), PROVIDER_OPEN);
	assert_int_equal(fakeprov_count(lp, hp, &fake, "/v1/models"), 3);

	/* the provider recovers: the next probe succeeds and closes it */
	fakeprov_reset(lp, hp, &fake);
	loop_for(lp, 450);
	call(p, "GET", "/v1/models", NULL, &r);
	free(r.body);
	assert_int_equal(r.code, 0);
	assert_int_equal(provider_breaker_state(p), PROVIDER_CLOSED);
	provider_free(p);
}

static void test_auth_failures_do_not_open_breaker(void **state)
{
	struct provider_policy pol = fast_policy();
	struct provider *p;
	struct res r;

	(void)state;
	pol.breaker_threshold = 1;
	p = mk(pol);
	fakeprov_fault(lp, hp, &fake, "/v1/models", "401", -1, 0);
	call(p, "GET", "/v1/models", NULL, &r);
	free(r.body);
	assert_int_equal(r.code, AURA_E_PROVIDER_AUTH);
	assert_int_equal(provider_breaker_state(p), PROVIDER_CLOSED);
	provider_free(p);
}

static void test_cancel_calls_nothing(void **state)
{
	struct provider_policy pol = fast_policy();
	struct provider *p;
	struct provider_call *c;
	char *url;
	struct http_request req = { 0 };
	struct res r = { 0 };

	(void)state;
	p = mk(pol);
	url = provider_url(p, "/v1/models");
	req.url = url;
	fakeprov_fault(lp, hp, &fake, "/v1/models", "hang", -1, 0);
	c = provider_call_start(p, &req, on_done, &r);
	loop_for(lp, 100);
	provider_call_cancel(c);
	assert_int_equal(http_active(hp), 0);
	loop_for(lp, 100);
	assert_false(r.done);
	free(url);
	provider_free(p);
}

/* An OpenAI-compatible base_url ends in /v1, as in aura.ini. */
static struct provider *mk_openai(void)
{
	struct provider_policy pol = fast_policy();
	char *base = xasprintf("%s/v1", fake.base);
	struct provider *p = provider_new(lp, hp, "openai", base, KEY, &pol);
	free(base);
	return p;
}

static void test_url_for_log_drops_query_and_userinfo(void **state)
{
	char *s;

	(void)state;
	s = http_url_for_log("https://u:pw@pixabay.com/api/?key=SECRET&q=bee");
	assert_string_equal(s, "https://pixabay.com/api/?...");
	free(s);
	s = http_url_for_log("http://h/a@b");
	assert_string_equal(s, "http://h/a@b");
	free(s);
}

/* The one check of a generated image, shared by openai and sdwebui. */
static void test_png_decode(void **state)
{
	static const struct {
		const char *b64;
		int want;
	} cases[] = {
		{ "iVBORw0KGgo=", 0 },	 /* the 8-byte PNG signature */
		{ "iVBORw0KGgo", 0 },	 /* without padding */
		{ NULL, -1 },		 /* no field */
		{ "", -1 },		 /* nothing */
		{ "iVBORw==", -1 },	 /* "\x89PNG": too short */
		{ "R0lGODlhLi4=", -1 },	 /* a GIF */
		{ "iVBORw0K!Ggo=", -1 }, /* outside the alphabet */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;
		buf_init(&b);
		assert_int_equal(provider_png_decode(cases[i].b64, &b), cases[i].want);
		buf_free(&b);
	}
}

/* ---- provider-openai.c ---------------------------------------------------- */

struct sres {
	bool done;
	struct provider_outcome o;
	struct script s;
	bool got;
};

static void on_script(const struct provider_outcome *o, struct script *s, void *ctx)
{
	struct sres *x = ctx;
	x->done = true;
	x->o = *o;
	if (s) {
		x->s = *s;
		script_init(s);
		x->got = true;
	}
}

static void run_script(struct sres *x)
{
	struct provider *p = mk_openai();

	memset(x, 0, sizeof(*x));
	script_init(&x->s);
	openai_script_start(p, "fake-model", "how bees make honey", "de", 30, on_script, x);
	assert_true(loop_until(lp, &x->done, 10000));
	provider_free(p);
}

static void test_openai_script_success(void **state)
{
	struct sres x;

	(void)state;
	run_script(&x);
	assert_int_equal(x.o.code, 0);
	assert_true(x.got);
	assert_int_equal(x.s.n, 3);
	assert_string_equal(x.s.scenes[0].heading, "The hive");
	assert_string_equal(x.s.scenes[2].keywords, "honey,honeycomb");
	assert_non_null(strstr(x.s.scenes[1].narration, "nectar"));
	script_free(&x.s);
}

static void test_openai_script_nonjson(void **state)
{
	struct sres x;

	(void)state;
	fakeprov_fault(lp, hp, &fake, "/v1/chat/completions", "nonjson", -1, 0);
	run_script(&x);
	assert_int_equal(x.o.code, AURA_E_PROVIDER_BAD_RESPONSE);
	assert_int_equal(x.o.attempts, 1);
	assert_false(x.got);
	assert_non_null(strstr(x.o.detail, "not JSON"));
}

static void test_openai_script_schema_invalid(void **state)
{
	struct sres x;

	(void)state;
	fakeprov_fault(lp, hp, &fake, "/v1/chat/completions", "schema", -1, 0);
	run_script(&x);
	assert_int_equal(x.o.code, AURA_E_PROVIDER_BAD_RESPONSE);
	assert_false(x.got);
	assert_non_null(strstr(x.o.detail, "schema"));
}

static void test_openai_script_parse_rejects(void **state)
{
	struct script s;
	struct aura_error err;
	const char *bad[] = {
		/* two scenes */
		"{\"choices\":[{\"message\":{\"content\":\"{\\\"scenes\\\":[{\\\"heading\\\":"
		"\\\"a\\\","
		"\\\"narration\\\":\\\"x\\\",\\\"keywords\\\":[]},{\\\"heading\\\":\\\"b\\\","
		"\\\"narration\\\":\\\"y\\\",\\\"keywords\\\":[]}]}\"}}]}",
		/* empty narration in scene 3 */
		"{\"choices\":[{\"message\":{\"content\":\"{\\\"scenes\\\":[{\\\"heading\\\":"
		"\\\"a\\\","
		"\\\"narration\\\":\\\"x\\\",\\\"keywords\\\":[]},{\\\"heading\\\":\\\"b\\\","
		"\\\"narration\\\":\\\"y\\\",\\\"keywords\\\":[]},{\\\"heading\\\":\\\"c\\\","
		"\\\"narration\\\":\\\"  \\\",\\\"keywords\\\":[]}]}\"}}]}",
		/* content is not a string */
		"{\"choices\":[{\"message\":{\"content\":{\"scenes\":[]}}}]}",
		"{\"choices\":[]}",
	};
	const char *good =
	    "{\"choices\":[{\"message\":{\"content\":\"{\\\"title\\\":\\\"T\\\",\\\"scenes\\\":["
	    "{\\\"heading\\\":\\\"a\\\",\\\"narration\\\":\\\"x\\\",\\\"keywords\\\":[\\\"k,1\\\"]}"
	    ","
	    "{\\\"heading\\\":\\\"b\\\",\\\"narration\\\":\\\"y\\\",\\\"keywords\\\":[]},"
	    "{\\\"heading\\\":\\\"c\\\",\\\"narration\\\":\\\"z\\\",\\\"keywords\\\":[]}]}\"}}]}";

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		aura_error_clear(&err);
		assert_int_equal(openai_script_parse(bad[i], strlen(bad[i]), &s, &err),
				 -AURA_E_PROVIDER_BAD_RESPONSE);
		assert_int_equal(s.n, 0);
	}
	assert_int_equal(openai_script_parse(good, strlen(good), &s, &err), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.title, "T");
	assert_string_equal(s.scenes[0].keywords, "k 1"); /* commas stay separators */
	script_free(&s);
}

struct fres {
	bool done;
	struct provider_outcome o;
};

static void on_file(const struct provider_outcome *o, void *ctx)
{
	struct fres *x = ctx;
	x->done = true;
	x->o = *o;
}

static void assert_magic(const char *path, const char *magic, size_t n)
{
	char got[8] = { 0 };
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(got, 1, n, fp), n);
	fclose(fp);
	assert_memory_equal(got, magic, n);
}

static void test_openai_speech_and_image(void **state)
{
	struct provider *p = mk_openai();
	char *wav = xasprintf("%s/voice.wav", tmpdir);
	char *png = xasprintf("%s/pic.png", tmpdir);
	struct fres a = { 0 }, b = { 0 };

	(void)state;
	openai_speech_start(p, NULL, "alloy", "Hello bees.", wav, on_file, &a);
	openai_image_start(p, NULL, "a bee on a flower", true, png, on_file, &b);
	assert_true(loop_until(lp, &a.done, 10000));
	assert_true(loop_until(lp, &b.done, 10000));
	assert_int_equal(a.o.code, 0);
	assert_int_equal(b.o.code, 0);
	assert_magic(wav, "RIFF", 4);
	assert_magic(png, "\x89PNG", 4);
	free(wav);
	free(png);
	provider_free(p);
}

static void test_openai_image_schema_invalid(void **state)
{
	struct provider *p = mk_openai();
	char *png = xasprintf("%s/bad.png", tmpdir);
	struct fres b = { 0 };

	(void)state;
	fakeprov_fault(lp, hp, &fake, "/v1/images/generations", "schema", -1, 0);
	openai_image_start(p, NULL, "x", false, png, on_file, &b);
	assert_true(loop_until(lp, &b.done, 10000));
	assert_int_equal(b.o.code, AURA_E_PROVIDER_BAD_RESPONSE);
	assert_int_not_equal(access(png, F_OK), 0);
	free(png);
	provider_free(p);
}

static void test_cancel_wrapped_call_frees_its_context(void **state)
{
	struct provider *p = mk_openai();
	struct sres x = { 0 };

	(void)state;
	fakeprov_fault(lp, hp, &fake, "/v1/chat/completions", "hang", -1, 0);
	openai_script_start(p, NULL, "bees", NULL, 30, on_script, &x);
	loop_for(lp, 50);
	provider_free(p); /* cancels it; the sanitizer build proves nothing leaks */
	loop_for(lp, 50);
	assert_false(x.done);
}

/* ---- stock sites, ElevenLabs, SD WebUI, health probes --------------------- */

static struct provider *mk_named(const char *name, const char *suffix, const char *key)
{
	struct provider_policy pol = fast_policy();
	char *base = xasprintf("%s%s", fake.base, suffix);
	struct provider *p = provider_new(lp, hp, name, base, key, &pol);
	free(base);
	return p;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	static char text[65536];
	size_t n;

	if (!f)
		return xstrdup("");
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return xstrdup(text);
}

static void fetch_sized(struct provider *p, const struct stock_api *api, const char *query,
			bool video, enum stock_orientation o, int w, int h, struct fres *x)
{
	char *cache = xasprintf("%s/cache", tmpdir);
	char *credits = xasprintf("%s/credits.txt", tmpdir);
	struct stock_query q = { .query = query,
				 .video = video,
				 .orientation = o,
				 .width = w,
				 .height = h,
				 .cache_dir = cache,
				 .credits_path = credits };

	memset(x, 0, sizeof(*x));
	stock_fetch_start(p, lp, api, &q, on_file, x);
	assert_false(x->done); /* never called back from inside the start */
	assert_true(loop_until(lp, &x->done, 10000));
	free(cache);
	free(credits);
}

/* Hit number index of a 1280x720 video search. */
static void fetch_hit(struct provider *p, const struct stock_api *api, const char *query, int index,
		      struct fres *x)
{
	char *cache = xasprintf("%s/cache", tmpdir);
	char *credits = xasprintf("%s/credits.txt", tmpdir);
	struct stock_query q = { .query = query,
				 .video = true,
				 .width = 1280,
				 .height = 720,
				 .cache_dir = cache,
				 .credits_path = credits,
				 .index = index };

	memset(x, 0, sizeof(*x));
	stock_fetch_start(p, lp, api, &q, on_file, x);
	assert_true(loop_until(lp, &x->done, 10000));
	free(cache);
	free(credits);
}

static void fetch(struct provider *p, const struct stock_api *api, const char *query, bool video,
		  enum stock_orientation o, struct fres *x)
{
	fetch_sized(p, api, query, video, o, 0, 0, x);
}

static void test_pexels_photo_cached_and_credited(void **state)
{
	struct provider *p = mk_named("pexels", "", KEY);
	char *credits = xasprintf("%s/credits.txt", tmpdir);
	struct fres a, b;
	char *text;

	(void)state;
	unlink(credits);
	fetch(p, &stock_api_pexels, "honey bee", false, STOCK_PORTRAIT, &a);
	assert_int_equal(a.o.code, 0);
	assert_false(a.o.cached);
	assert_non_null(strstr(a.o.path, "/cache/pexels/"));
	assert_non_null(strstr(a.o.path, ".png")); /* named by its magic bytes */
	assert_magic(a.o.path, "\x89PNG", 4);
	assert_int_equal(fakeprov_count(lp, hp, &fake, "/files/pexels-101-portrait.png"), 1);

	/* the same query again: from the cache, no request at all */
	fetch(p, &stock_api_pexels, "honey bee", false, STOCK_PORTRAIT, &b);
	assert_int_equal(b.o.code, 0);
	assert_true(b.o.cached);
	assert_int_equal(b.o.attempts, 0);
	assert_string_equal(a.o.path, b.o.path);
	assert_int_equal(fakeprov_count(lp, hp, &fake, "/v1/search"), 1);

	text = slurp(credits);
	/* credited once per use, also from the cache */
	assert_non_null(strstr(text, "Photo by Fake Photographer on Pexels: "
				     "https://www.pexels.com/photo/101/\nPhoto by Fake"));
	free(text);
	free(credits);
	provider_free(p);
}

static void test_pexels_video_picks_hd(void **state)
{
	struct provider *p = mk_named("pexels", "", KEY);
	struct fres a;

	(void)state;
	fetch(p, &stock_api_pexels, "bees flying", true, STOCK_LANDSCAPE, &a);
	assert_int_equal(a.o.code, 0);
	assert_non_null(strstr(a.o.path, ".mp4"));
	assert_int_equal(fakeprov_count(lp, hp, &fake, "/files/pexels-303-hd.mp4"), 1);
	assert_int_equal(fakeprov_count(lp, hp, &fake, "/files/pexels-303-4k.mp4"), 0);
	provider_free(p);
}

static void test_stock_pick_covers_the_output(void **state)
{
	struct stock_query q720 = { .width = 1280, .height = 720 };
	struct stock_query qp = { .orientation = STOCK_PORTRAIT, .width = 1080, .height = 1920 };
	struct stock_query q4k = { .width = 3840, .height = 2160 };
	struct stock_pick a = { 0 }, b = { 0 }, c = { 0 };
	static const struct {
		const char *url;
		long w, h;
	} r[] = { { "https://x/4k", 3840, 2160 }, { "https://x/sd", 640, 360 },
		  { "https://x/hd", 1920, 1080 }, { "https://x/720", 1280, 720 },
		  { "https://x/p", 1080, 1920 },  { "ftp://x/no", 1280, 720 } };

	(void)state;
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		stock_pick_offer(&a, &q720, r[i].url, r[i].w, r[i].h);
		stock_pick_offer(&b, &qp, r[i].url, r[i].w, r[i].h);
		stock_pick_offer(&c, &q4k, r[i].url, r[i].w, r[i].h);
	}
	assert_string_equal(a.url, "https://x/720"); /* never 4K for a 720p video */
	assert_string_equal(b.url, "https://x/p");   /* the portrait one covers */
	assert_string_equal(c.url, "https://x/4k");
	/* nothing covers: the largest */
	struct stock_pick d = { 0 };
	stock_pick_offer(&d, &q4k, "https://x/sd", 640, 360);
	stock_pick_offer(&d, &q4k, "https://x/hd", 1920, 1080);
	stock_pick_offer(&d, &q4k, "https://x/720", 1280, 720);
	assert_string_equal(d.url, "https://x/hd");
}

static void test_stock_video_rendition_cache_credit(void **state)
{
	struct provider *p = mk_named("pexels", "", KEY);
	struct provider *px = mk_named("pixabay", "/api", KEY);
	char *credits = xasprintf("%s/credits.txt", tmpdir);
	struct fres a, b, c, d;
	char *text;

	(void)state;
	unlink(credits);
	fetch_sized(p, &stock_api_pexels, "clip 720", true, STOCK_LANDSCAPE, 1280, 720, &a);
	assert_int_equal(a.o.code, 0);
	assert_false(a.o.cached);
	assert_non_null(strstr(a.o.path, ".mp4"));
	{
		/* a real clip: an ftyp box, more than a header */
		unsigned char m[8] = { 0 };
		FILE *f = fopen(a.o.path, "rb");
		assert_non_null(f);
		assert_int_equal(fread(m, 1, 8, f), 8);
		fclose(f);
		assert_memory_equal(m + 4, "ftyp", 4);
		struct stat st;
		assert_int_equal(stat(a.o.path, &st), 0);
		assert_true(st.st_size > 2000);
	}
	assert_int_equal(fakeprov_count(lp, hp, &fake, "/files/pexels-303-720.mp4"), 1);
	assert_int_equal(fakeprov_count(lp, hp, &fake, "/files/pexels-303-4k.mp4"), 0);
	assert_int_equal(fakeprov_count(lp, hp, &fake, "/files/pexels-303-hd.mp4"), 0);

	/* the same query and size: the cache, no request */
	fetch_sized(p, &stock_api_pexels, "clip 720", true, STOCK_LANDSCAPE, 1280, 720, &b);
	assert_int_equal(b.o.code, 0);
	assert_true(b.o.cached);
	assert_string_equal(a.o.path, b.o.path);
	assert_int_equal(fakeprov_count(lp, hp, &fake, "/videos/search"), 1);
	assert_int_equal(fakeprov_count(lp, hp, &fake, "/files/pexels-303-720.mp4"), 1);

	/* portrait 1080p takes the portrait rendition */
	fetch_sized(p, &stock_api_pexels, "clip 720", true, STOCK_PORTRAIT, 1080, 1920, &c);
	assert_int_equal(c.o.code, 0);
	assert_int_equal(fakeprov_count(lp, hp, &fake, "/files/pexels-303-p1080.mp4"), 1);

	/* Pixabay: 854x480 takes "small" (960x540), not large */
	fetch_sized(px, &stock_api_pixabay, "clip 480", true, STOCK_LANDSCAPE, 854, 480, &d);
	assert_int_equal(d.o.code, 0);
	assert_int_equal(fakeprov_count(lp, hp, &fake, "/files/pixabay-404-s.mp4"), 1);
	assert_int_equal(fakeprov_count(lp, hp, &fake, "/files/pixabay-404.mp4"), 0);

	text = slurp(credits);
	assert_non_null(strstr(text,
			       "Video by Fake Videographer on Pexels: "
			       "https://www.pexels.com/video/303/\nVideo by Fake Videographer"));
	assert_non_null(
	    strstr(text, "Video by fakevideo on Pixabay: https://pixabay.com/videos/404/"));
	free(text);
	free(credits);
	provider_free(px);
	provider_free(p);
}

/* More clips for one scene: the next hits of the same query, each cached
 * under its number and credited; past the last hit, no_more. */
static void test_stock_video_next_hits(void **state)
{
	struct provider *p = mk_named("pexels", "", KEY);
	struct provider *px = mk_named("pixabay", "/api", KEY);
	char *credits = xasprintf("%s/credits.txt", tmpdir);
	struct fres a, b, c, d, e, f;
	char *text;

	(void)state;
	unlink(credits);
	fetch_hit(p, &stock_api_pexels, "next hits", 0, &a);
	fetch_hit(p, &stock_api_pexels, "next hits", 1, &b);
	assert_int_equal(a.o.code, 0);
	assert_int_equal(b.o.code, 0);
	assert_string_not_equal(a.o.path, b.o.path);
	assert_int_equal(fakeprov_count(lp, hp, &fake, "/files/pexels-303-720.mp4"), 1);
	assert_int_equal(fakeprov_count(lp, hp, &fake, "/files/pexels-304-720.mp4"), 1);
	/* hit 2 again: its own cache entry, no request */
	fetch_hit(p, &stock_api_pexels, "next hits", 1, &c);
	assert_true(c.o.cached);
	assert_string_equal(b.o.path, c.o.path);
	assert_int_equal(fakeprov_count(lp, hp, &fake, "/videos/search"), 2);
	/* the fake answers 3 hits: a 4th is "no more", not a broken answer */
	fetch_hit(p, &stock_api_pexels, "next hits", 3, &d);
	assert_int_equal(d.o.code, AURA_E_PROVIDER_BAD_RESPONSE);
	assert_true(d.o.no_more);
	fetch_hit(px, &stock_api_pixabay, "next hits", 2, &e);
	assert_int_equal(e.o.code, 0);
	assert_int_equal(fakeprov_count(lp, hp, &fake, "/files/pixabay-406-m.mp4"), 1);
	/* an empty answer for the first hit is not "no more" */
	fakeprov_fault(lp, hp, &fake, "/videos/search", "schema", -1, 0);
	fetch_hit(p, &stock_api_pexels, "other hits", 1, &f);
	assert_int_not_equal(f.o.code, 0);
	assert_false(f.o.no_more);

	text = slurp(credits);
	assert_non_null(strstr(text, "Video by Fake Videographer on Pexels: "
				     "https://www.pexels.com/video/303/\n"
				     "Video by Fake Videographer on Pexels: "
				     "https://www.pexels.com/video/304/\n"));
	assert_non_null(
	    strstr(text, "Video by fakevideo on Pixabay: https://pixabay.com/videos/406/"));
	free(text);
	free(credits);
	provider_free(px);
	provider_free(p);
}

static void test_pixabay_photo_and_video_key_in_query_not_logged(void **state)
{
	const char *pkey = "pixabay-secret-4242";
	struct provider *p = mk_named("pixabay", "/api", pkey);
	struct fres a, v, f;
	char *text;

	(void)state;
	/* the fake checks ?key= for Pixabay: a wrong one would be a 401 */
	p = (provider_free(p), mk_named("pixabay", "/api", KEY));
	fetch(p, &stock_api_pixabay, "flower meadow", false, STOCK_LANDSCAPE, &a);
	assert_int_equal(a.o.code, 0);
	assert_magic(a.o.path, "\x89PNG", 4);
	fetch(p, &stock_api_pixabay, "flower meadow", true, STOCK_LANDSCAPE, &v);
	assert_int_equal(v.o.code, 0);
	assert_non_null(strstr(v.o.path, ".mp4"));
	provider_free(p);

	/* a failing search with the key in its URL: logged without the query */
	p = mk_named("pixabay", "/api", pkey);
	fakeprov_fault(lp, hp, &fake, "/api/", "500", -1, 0);
	fetch(p, &stock_api_pixabay, "unique query 77", false, STOCK_LANDSCAPE, &f);
	assert_int_equal(f.o.code, AURA_E_PROVIDER_UNAVAILABLE);
	assert_null(strstr(f.o.detail, pkey));
	text = slurp(logpath);
	assert_non_null(strstr(text, "/api/?..."));
	assert_null(strstr(text, pkey));
	free(text);
	provider_free(p);
}

static void test_stock_bad_answers(void **state)
{
	struct provider *p = mk_named("pexels", "", KEY);
	struct fres a, b;

	(void)state;
	fakeprov_fault(lp, hp, &fake, "/v1/search", "schema", -1, 0);
	fetch(p, &stock_api_pexels, "schema q", false, STOCK_LANDSCAPE, &a);
	assert_int_equal(a.o.code, AURA_E_PROVIDER_BAD_RESPONSE);
	assert_non_null(strstr(a.o.detail, "schema"));
	fakeprov_reset(lp, hp, &fake);
	fakeprov_fault(lp, hp, &fake, "/files/", "ctype", -1, 0);
	fetch(p, &stock_api_pexels, "ctype q", false, STOCK_LANDSCAPE, &b);
	assert_int_equal(b.o.code, AURA_E_PROVIDER_BAD_RESPONSE);
	assert_non_null(strstr(b.o.detail, "content type"));
	/* nothing half-written stays in the cache to be "hit" next time */
	fakeprov_reset(lp, hp, &fake);
	fetch(p, &stock_api_pexels, "ctype q", false, STOCK_LANDSCAPE, &b);
	assert_int_equal(b.o.code, 0);
	assert_false(b.o.cached);
	provider_free(p);
}

static void test_elevenlabs_and_sdwebui(void **state)
{
	struct provider *el = mk_named("elevenlabs", "", KEY);
	struct provider *sd = mk_named("sdwebui", "", NULL);
	char *mp3 = xasprintf("%s/el.mp3", tmpdir);
	char *png = xasprintf("%s/sd.png", tmpdir);
	struct fres a = { 0 }, b = { 0 };

	(void)state;
	elevenlabs_speech_start(el, NULL, NULL, "Hello.", mp3, on_file, &a);
	sdwebui_image_start(sd, NULL, "a bee", 768, 432, png, on_file, &b);
	assert_true(loop_until(lp, &a.done, 10000));
	assert_true(loop_until(lp, &b.done, 10000));
	assert_int_equal(a.o.code, 0);
	assert_int_equal(b.o.code, 0);
	assert_int_equal(fakeprov_count(lp, hp, &fake, "/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM"),
			 1);
	assert_magic(png, "\x89PNG", 4);
	assert_int_equal(access(mp3, F_OK), 0);
	free(mp3);
	free(png);
	provider_free(el);
	provider_free(sd);
}

static void test_probes(void **state)
{
	static const struct {
		const char *name, *suffix, *path;
	} all[] = {
		{ "openai", "/v1", "/v1/models" },	  { "elevenlabs", "", "/v1/user" },
		{ "pexels", "", "/v1/search" },		  { "pixabay", "/api", "/api/" },
		{ "sdwebui", "", "/sdapi/v1/sd-models" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(all); i++) {
		struct provider *p = mk_named(all[i].name, all[i].suffix, KEY);
		struct provider *bad = mk_named(all[i].name, all[i].suffix, "sk-nope-nope");
		struct fres a = { 0 }, b = { 0 };
		provider_probe_start(p, on_file, &a);
		provider_probe_start(bad, on_file, &b);
		assert_true(loop_until(lp, &a.done, 10000));
		assert_true(loop_until(lp, &b.done, 10000));
		assert_int_equal(a.o.code, 0);
		assert_int_equal(fakeprov_count(lp, hp, &fake, all[i].path), 2);
		/* SD WebUI has no key: the fake's key check does not apply to it */
		if (strcmp(all[i].name, "sdwebui") != 0)
			assert_int_equal(b.o.code, AURA_E_PROVIDER_AUTH);
		fakeprov_reset(lp, hp, &fake);
		provider_free(p);
		provider_free(bad);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_success, setup),
		cmocka_unit_test(test_provider_set),
		cmocka_unit_test_setup(test_500_retried_then_fails, setup),
		cmocka_unit_test_setup(test_500_once_then_success, setup),
		cmocka_unit_test_setup(test_429_honours_retry_after, setup),
		cmocka_unit_test_setup(test_429_exhausted_is_rate_limited, setup),
		cmocka_unit_test_setup(test_401_not_retried_and_key_redacted, setup),
		cmocka_unit_test_setup(test_hang_times_out_and_loop_stays_live, setup),
		cmocka_unit_test_setup(test_trickle_times_out, setup),
		cmocka_unit_test_setup(test_truncated_is_bad_response, setup),
		cmocka_unit_test_setup(test_oversized_is_capped, setup),
		cmocka_unit_test_setup(test_download_streams_to_file, setup),
		cmocka_unit_test_setup(test_download_wrong_type_leaves_nothing, setup),
		cmocka_unit_test_setup(test_download_too_large_leaves_nothing, setup),
		cmocka_unit_test_setup(test_connection_refused_is_unavailable, setup),
		cmocka_unit_test_setup(test_breaker_opens_half_opens_closes, setup),
		cmocka_unit_test_setup(test_auth_failures_do_not_open_breaker, setup),
		cmocka_unit_test_setup(test_cancel_calls_nothing, setup),
		cmocka_unit_test(test_url_for_log_drops_query_and_userinfo),
		cmocka_unit_test(test_png_decode),
		cmocka_unit_test_setup(test_openai_script_success, setup),
		cmocka_unit_test_setup(test_openai_script_nonjson, setup),
		cmocka_unit_test_setup(test_openai_script_schema_invalid, setup),
		cmocka_unit_test(test_openai_script_parse_rejects),
		cmocka_unit_test_setup(test_openai_speech_and_image, setup),
		cmocka_unit_test_setup(test_openai_image_schema_invalid, setup),
		cmocka_unit_test_setup(test_cancel_wrapped_call_frees_its_context, setup),
		cmocka_unit_test_setup(test_pexels_photo_cached_and_credited, setup),
		cmocka_unit_test_setup(test_pexels_video_picks_hd, setup),
		cmocka_unit_test(test_stock_pick_covers_the_output),
		cmocka_unit_test_setup(test_stock_video_rendition_cache_credit, setup),
		cmocka_unit_test_setup(test_stock_video_next_hits, setup),
		cmocka_unit_test_setup(test_pixabay_photo_and_video_key_in_query_not_logged, setup),
		cmocka_unit_test_setup(test_stock_bad_answers, setup),
		cmocka_unit_test_setup(test_elevenlabs_and_sdwebui, setup),
		cmocka_unit_test_setup(test_probes, setup),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
