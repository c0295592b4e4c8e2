/*
 * test-metrics.c -- the metrics registry (base/metrics.c): counters by
 * label set, summaries' count, sum and nearest-rank p50/p95 over the
 * bounded window, gauges that are no changes, the label sets' cap, label
 * escaping, and the Prometheus text format.
 */
#include "config.h"

#include <math.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/metrics.h"
#include "base/util.h"

static char *text_of(const struct metrics *m)
{
	struct buf b;
	buf_init(&b);
	metrics_text(m, &b);
	char *s = xstrdup(b.data);
	buf_free(&b);
	return s;
}

static void has(const char *text, const char *line)
{
	char *want = xasprintf("\n%s\n", line);
	char *all = xasprintf("\n%s", text);
	bool found = strstr(all, want) != NULL;
	free(all);
	if (!found)
		fail_msg("no line '%s' in:\n%s", line, text);
	free(want);
}

static void test_quantiles(void **state)
{
	(void)state;
	double v[] = { 5, 1, 4, 2, 3 };
	assert_true(metrics_quantile(v, 5, 0.5) == 3);
	assert_true(metrics_quantile(v, 5, 0.95) == 5);
	double w[100];
	for (int i = 0; i < 100; i++)
		w[i] = 100 - i; /* 100..1 */
	assert_true(metrics_quantile(w, 100, 0.5) == 50);
	assert_true(metrics_quantile(w, 100, 0.95) == 95);
	double one[] = { 7 };
	assert_true(metrics_quantile(one, 1, 0.5) == 7);
	assert_true(metrics_quantile(one, 1, 0.95) == 7);
}

struct got {
	int n;
	struct metrics_point p[8];
};

static void collect(const struct metrics_point *p, void *ctx)
{
	struct got *g = ctx;
	if (g->n < 8)
		g->p[g->n++] = *p;
}

static void test_summary_window(void **state)
{
	(void)state;
	struct metrics *m = metrics_new();
	struct got g = { 0 };
	metrics_each(m, METRIC_RUN_SECONDS, collect, &g);
	assert_int_equal(g.n, 1); /* there from the start */
	assert_true(g.p[0].count == 0 && isnan(g.p[0].p50) && isnan(g.p[0].p95));

	/* 2000 samples: count and sum of all, quantiles of the last 1024
	 * (977..2000) */
	for (int i = 1; i <= 2000; i++)
		metrics_observe(m, METRIC_RUN_SECONDS, NULL, i);
	g.n = 0;
	metrics_each(m, METRIC_RUN_SECONDS, collect, &g);
	assert_true(g.p[0].count == 2000);
	assert_true(g.p[0].sum == 2000.0 * 2001 / 2);
	assert_true(g.p[0].p50 == 977 + 511); /* rank 512 of 1024 */
	assert_true(g.p[0].p95 == 977 + 972); /* rank ceil(0.95 * 1024) = 973 */
	assert_true(metrics_changes(m) == 2000);
	metrics_free(m);
}

static void test_counters_gauges(void **state)
{
	(void)state;
	struct metrics *m = metrics_new();
	metrics_add(NULL, METRIC_RETRIES, NULL, NULL, 1); /* no registry: nothing */
	metrics_add(m, METRIC_RUNS_FAILED, "local", "FFMPEG_FAILED", 1);
	metrics_add(m, METRIC_RUNS_FAILED, "local", "FFMPEG_FAILED", 2);
	metrics_add(m, METRIC_RUNS_FAILED, "farm", "JOB_STALLED", 1);
	metrics_add(m, METRIC_RUNS_FAILED, "farm", "JOB_STALLED", -1); /* ignored */
	metrics_add(m, METRIC_RETRIES, "ignored", NULL, 1);
	struct got g = { 0 };
	metrics_each(m, METRIC_RUNS_FAILED, collect, &g);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.p[0].l0, "local");
	assert_string_equal(g.p[0].l1, "FFMPEG_FAILED");
	assert_true(g.p[0].value == 3);
	assert_true(g.p[1].value == 1);
	g.n = 0;
	metrics_each(m, METRIC_RETRIES, collect, &g);
	assert_int_equal(g.n, 1);
	assert_null(g.p[0].l0);
	assert_true(g.p[0].value == 1);
	uint64_t c = metrics_changes(m);
	assert_true(c == 4);

	/* gauges: set, reset, and no change */
	metrics_set(m, METRIC_JOBS, "local", "queued", 4);
	metrics_set(m, METRIC_JOBS, "local", "queued", 2);
	metrics_set(m, METRIC_PROCESS_FDS, NULL, NULL, 9);
	assert_true(metrics_changes(m) == c);
	g.n = 0;
	metrics_each(m, METRIC_JOBS, collect, &g);
	assert_int_equal(g.n, 1);
	assert_true(g.p[0].value == 2);
	metrics_gauge_reset(m, METRIC_JOBS);
	g.n = 0;
	metrics_each(m, METRIC_JOBS, collect, &g);
	assert_int_equal(g.n, 0);
	/* a counter is not set, a gauge not added to */
	metrics_set(m, METRIC_RETRIES, NULL, NULL, 100);
	metrics_add(m, METRIC_PROCESS_FDS, NULL, NULL, 1);
	g.n = 0;
	metrics_each(m, METRIC_RETRIES, collect, &g);
	assert_true(g.p[0].value == 1);
	metrics_free(m);
	metrics_free(NULL);
}

struct counted {
	int n;
	double sum;
	bool other;
};

static void count_points(const struct metrics_point *p, void *ctx)
{
	struct counted *c = ctx;
	c->n++;
	c->sum += p->value;
	if (strcmp(p->l0, "other") == 0)
		c->other = true;
}

static void test_series_cap(void **state)
{
	(void)state;
	struct metrics *m = metrics_new();
	for (int i = 0; i < METRICS_SERIES_MAX + 50; i++) {
		char name[32];
		snprintf(name, sizeof(name), "p%d", i);
		metrics_add(m, METRIC_PROVIDER_REQUESTS, name, NULL, 1);
	}
	struct counted c = { 0 };
	metrics_each(m, METRIC_PROVIDER_REQUESTS, count_points, &c);
	assert_int_equal(c.n, METRICS_SERIES_MAX + 1); /* bounded: and "other" */
	assert_true(c.other);
	assert_true(c.sum == METRICS_SERIES_MAX + 50); /* nothing lost */
	metrics_free(m);
}

static void test_escape_and_text(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	metrics_escape_label(&b, "a\"b\\c\nd");
	assert_string_equal(b.data, "a\\\"b\\\\c\\nd");
	buf_free(&b);

	struct metrics *m = metrics_new();
	metrics_add(m, METRIC_RUNS_STARTED, "local", NULL, 3);
	metrics_add(m, METRIC_PROVIDER_FAILURES, "we\"ird", "PROVIDER_AUTH", 1);
	metrics_observe(m, METRIC_QUEUE_WAIT, NULL, 0.25);
	metrics_observe(m, METRIC_QUEUE_WAIT, NULL, 0.75);
	metrics_observe(m, METRIC_PROVIDER_SECONDS, "openai", 1.5);
	metrics_set(m, METRIC_JOBS, "local", "running", 1);
	metrics_add(m, METRIC_FFMPEG_CPU, NULL, NULL, 0.125);
	char *t = text_of(m);
	has(t, "# HELP aura_jobs Jobs in the store by pool and state.");
	has(t, "# TYPE aura_jobs gauge");
	has(t, "aura_jobs{pool=\"local\",state=\"running\"} 1");
	has(t, "# TYPE aura_runs_started_total counter");
	has(t, "aura_runs_started_total{pool=\"local\"} 3");
	has(t, "aura_provider_failures_total{provider=\"we\\\"ird\",code=\"PROVIDER_AUTH\"} 1");
	has(t, "# TYPE aura_queue_wait_seconds summary");
	has(t, "aura_queue_wait_seconds{quantile=\"0.5\"} 0.25");
	has(t, "aura_queue_wait_seconds{quantile=\"0.95\"} 0.75");
	has(t, "aura_queue_wait_seconds_sum 1");
	has(t, "aura_queue_wait_seconds_count 2");
	has(t, "aura_provider_request_seconds{provider=\"openai\",quantile=\"0.5\"} 1.5");
	has(t, "aura_provider_request_seconds_count{provider=\"openai\"} 1");
	has(t, "aura_run_seconds{quantile=\"0.5\"} NaN"); /* no sample yet */
	has(t, "aura_run_seconds_count 0");
	has(t, "aura_retries_total 0");
	has(t, "aura_ffmpeg_cpu_seconds_total 0.125");
	/* every family has its HELP and TYPE, once */
	for (int id = 0; id < METRIC__COUNT; id++) {
		char *h = xasprintf("\n# TYPE %s ", metrics_name(id));
		char *help = xasprintf("# HELP %s ", metrics_name(id));
		if (!strstr(t, h) || !strstr(t, help))
			fail_msg("no HELP or TYPE of %s", metrics_name(id));
		const char *first = strstr(t, h);
		if (strstr(first + 1, h))
			fail_msg("two TYPE lines of %s", metrics_name(id));
		free(h);
		free(help);
	}
	assert_true(t[strlen(t) - 1] == '\n');
	free(t);
	metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantiles),	cmocka_unit_test(test_summary_window),
		cmocka_unit_test(test_counters_gauges), cmocka_unit_test(test_series_cap),
		cmocka_unit_test(test_escape_and_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
