/*
 * test-health.c -- the providers' background health (src/providers/health.c)
 * on a real loop and a real libcurl multi, against a loopback address
 * where nothing listens (every probe fails at once, no network needed):
 * which providers count as configured; no timer and no request while
 * inactive; turning it on probes at once, and the verdict (failing,
 * PROVIDER_UNAVAILABLE, no latency) comes with a change callback; after a
 * round the next one waits for the interval; turning it off leaves the
 * loop with nothing to wake it; turning it on again within the interval
 * waits for the rest of it; without libcurl nothing ever runs.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/errors.h"
#include "providers/health.h"
#include "providers/http.h"
#include "base/log.h"
#include "os/loop.h"
#include "base/util.h"

/* Port 1 on loopback: connections are refused at once. */
#define DEAD "http://127.0.0.1:1"

struct fx {
	struct aura_config cfg;
	struct loop *loop;
	struct http *http;
	int changes;
};

static void on_changed(void *ctx)
{
	struct fx *f = ctx;
	f->changes++;
}

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	config_defaults(&f->cfg);
	f->cfg.health_interval = 60;
	f->loop = loop_new();
	f->http = http_new(f->loop);
	assert_non_null(f->http);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	http_free(f->http);
	loop_free(f->loop);
	config_free(&f->cfg);
	free(f);
	return 0;
}

static void set_str(char **field, const char *v)
{
	free(*field);
	*field = xstrdup(v);
}

/* Turns until the callback counter moves (bounded: 5 s). */
static void run_until_change(struct fx *f, int before)
{
	int64_t end = time_mono_ms() + 5000;
	while (f->changes == before && time_mono_ms() < end)
		assert_true(loop_run_once(f->loop, 100) >= 0);
	assert_int_not_equal(f->changes, before);
}

static void test_nothing_configured_nothing_runs(void **state)
{
	struct fx *f = *state;
	struct health *hl = health_new(f->loop, f->http, &f->cfg, on_changed, f);

	assert_int_equal(health_count(hl), 0);
	health_set_active(hl, true);
	assert_false(health_active(hl));
	assert_int_equal(health_rounds(hl), 0);
	assert_int_equal(loop_next_timeout_ms(f->loop), -1);
	health_free(hl);
}

static void test_which_providers_count(void **state)
{
	struct fx *f = *state;
	/* pexels: an address but no key -> cannot be called; pixabay: a key
	 * -> counts; sdwebui: its own address, no key needed -> counts */
	set_str(&f->cfg.pexels.base_url, DEAD);
	set_str(&f->cfg.pixabay.api_key, "pixabay-key-0123456789");
	set_str(&f->cfg.sdwebui.base_url, DEAD);
	struct health *hl = health_new(f->loop, f->http, &f->cfg, on_changed, f);

	assert_int_equal(health_count(hl), 2);
	assert_string_equal(health_entry(hl, 0)->name, "pixabay");
	assert_string_equal(health_entry(hl, 1)->name, "sdwebui");
	assert_int_equal(health_entry(hl, 0)->state, HEALTH_UNKNOWN);
	assert_int_equal(health_entry(hl, 0)->latency_ms, -1);
	assert_int_equal(health_entry(hl, 0)->checked_ms, 0);
	health_free(hl);
}

static void test_active_probes_then_waits_then_stops(void **state)
{
	struct fx *f = *state;
	set_str(&f->cfg.openai.base_url, DEAD "/v1");
	set_str(&f->cfg.openai.api_key, "sk-test-health-unit-42");
	struct health *hl = health_new(f->loop, f->http, &f->cfg, on_changed, f);
	assert_int_equal(health_count(hl), 1);
	assert_int_equal(health_interval_s(hl), 60);

	/* inactive: no timer, no request, however long */
	assert_int_equal(loop_next_timeout_ms(f->loop), -1);
	assert_int_equal(http_active(f->http), 0);

	/* on: a round at once */
	health_set_active(hl, true);
	assert_true(health_active(hl));
	assert_int_equal(health_rounds(hl), 1);
	assert_int_equal(http_active(f->http), 1);
	run_until_change(f, 0);
	const struct health_entry *e = health_entry(hl, 0);
	assert_int_equal(e->state, HEALTH_FAILING);
	assert_int_equal(e->code, AURA_E_PROVIDER_UNAVAILABLE);
	assert_int_equal(e->latency_ms, -1);
	assert_true(e->checked_ms > 0);
	assert_null(strstr(e->detail, "sk-test-health-unit-42"));

	/* between rounds: one timer, due in about the interval */
	for (int i = 0; i < 5 && http_active(f->http) > 0; i++)
		loop_run_once(f->loop, 10);
	assert_int_equal(http_active(f->http), 0);
	int64_t due = loop_next_timeout_ms(f->loop);
	assert_true(due > 55000 && due <= 60000);
	assert_int_equal(health_rounds(hl), 1);

	/* off: nothing left to wake the loop */
	health_set_active(hl, false);
	assert_int_equal(loop_next_timeout_ms(f->loop), -1);

	/* on again within the interval: no new round, the rest of it */
	health_set_active(hl, true);
	assert_int_equal(health_rounds(hl), 1);
	due = loop_next_timeout_ms(f->loop);
	assert_true(due > 55000 && due <= 60000);

	/* the same verdict again is no change */
	health_set_active(hl, false);
	assert_int_equal(f->changes, 1);
	health_free(hl);
}

static void test_off_during_a_round_arms_nothing(void **state)
{
	struct fx *f = *state;
	set_str(&f->cfg.openai.base_url, DEAD "/v1");
	struct health *hl = health_new(f->loop, f->http, &f->cfg, on_changed, f);
	assert_int_equal(health_count(hl), 1); /* a loopback openai needs no key */

	health_set_active(hl, true);
	health_set_active(hl, false);
	run_until_change(f, 0); /* the round in flight completes */
	for (int i = 0; i < 5 && http_active(f->http) > 0; i++)
		loop_run_once(f->loop, 10);
	assert_int_equal(loop_next_timeout_ms(f->loop), -1);
	assert_int_equal(health_rounds(hl), 1);
	health_free(hl);
}

static void test_free_cancels_a_round(void **state)
{
	struct fx *f = *state;
	set_str(&f->cfg.openai.base_url, DEAD "/v1");
	struct health *hl = health_new(f->loop, f->http, &f->cfg, on_changed, f);

	health_set_active(hl, true);
	assert_int_equal(http_active(f->http), 1);
	health_free(hl); /* no callback may come after this */
	assert_int_equal(http_active(f->http), 0);
	for (int i = 0; i < 3; i++)
		loop_run_once(f->loop, 10);
	assert_int_equal(f->changes, 0);
}

static void test_no_http_reports_and_never_runs(void **state)
{
	struct fx *f = *state;
	set_str(&f->cfg.openai.base_url, DEAD "/v1");
	struct health *hl = health_new(f->loop, NULL, &f->cfg, on_changed, f);

	assert_int_equal(health_count(hl), 1);
	assert_int_equal(health_entry(hl, 0)->state, HEALTH_FAILING);
	assert_int_equal(health_entry(hl, 0)->code, AURA_E_INTERNAL);
	health_set_active(hl, true);
	assert_int_equal(health_rounds(hl), 0);
	assert_int_equal(loop_next_timeout_ms(f->loop), -1);
	health_free(hl);
}

int main(void)
{
	log_set_level(LOG_LEVEL_ERROR);
	/* the keys of this environment must not make providers configured */
	unsetenv("OPENAI_API_KEY");
	unsetenv("ELEVENLABS_API_KEY");
	unsetenv("PEXELS_API_KEY");
	unsetenv("PIXABAY_API_KEY");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nothing_configured_nothing_runs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_which_providers_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_active_probes_then_waits_then_stops, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_off_during_a_round_arms_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_free_cancels_a_round, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_http_reports_and_never_runs, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
