/*
 * cmd-stats.c -- `aura stats [--json|--prometheus]`: the server's metrics
 * (the `stats` request, doc/metrics.md): jobs by pool and state, runs and
 * their failures by code, retries, stalls, queue wait and run time, the
 * children's CPU time, the providers' requests, and the server's memory,
 * fds, uptime and store size; as a readable summary, as JSON, or in
 * Prometheus' text format.
 *
 * Must never: compute a figure itself: every number is the server's.
 */
#include "config.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/job.h"
#include "cli/cmd.h"
#include "cli/connect.h"
#include "cli/jobs.h"
#include "client/format.h"
#include "client/proto.h"

extern const struct cmd_entry cmd_stats_entry;

enum { OPT_JSON = 1000, OPT_PROM };

static const struct option stats_opts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "prometheus", no_argument, NULL, OPT_PROM },
	{ NULL, 0, NULL, 0 },
};

static double num(json_t *o, const char *key)
{
	json_t *v = key ? json_object_get(o, key) : o;
	return json_is_number(v) ? json_number_value(v) : 0;
}

/* The sum of a counter's values over its first label ({"local": 3, ...}),
 * or over both ({"local": {"X": 1}}). */
static double total(json_t *fam)
{
	double t = 0;
	const char *k;
	json_t *v;
	json_object_foreach(fam, k, v)
	{
		t += json_is_object(v) ? total(v) : num(v, NULL);
	}
	return t;
}

/* {"local": {"X": 1}, "farm": {"X": 2}} -> X's sum over the first label */
static double total_of(json_t *fam, const char *inner)
{
	double t = 0;
	const char *k;
	json_t *v;
	json_object_foreach(fam, k, v)
	{
		t += num(v, inner);
	}
	return t;
}

static const char *secs(char *b, size_t n, json_t *v)
{
	if (!json_is_number(v))
		return "-";
	double s = json_number_value(v);
	if (s < 10)
		snprintf(b, n, "%.3g s", s);
	else
		fmt_duration(b, n, s);
	return b;
}

static void print_summary(const char *title, json_t *s)
{
	char a[32], b[32];
	int64_t count = proto_get_int(s, "count", 0);
	printf("%-13s %lld run%s", title, (long long)count, count == 1 ? "" : "s");
	if (count > 0)
		printf(", p50 %s, p95 %s", secs(a, sizeof(a), json_object_get(s, "p50")),
		       secs(b, sizeof(b), json_object_get(s, "p95")));
	printf("\n");
}

/* "CODE N, CODE N" of {"CODE": N} summed over every pool. */
static void print_codes(json_t *failed)
{
	json_t *by = json_object();
	const char *pool, *code;
	json_t *codes, *v;
	json_object_foreach(failed, pool, codes)
	{
		json_object_foreach(codes, code, v)
		{
			json_object_set_new(by, code, json_real(num(by, code) + num(v, NULL)));
		}
	}
	const char *sep = "";
	json_object_foreach(by, code, v)
	{
		printf("%s%s %.0f", sep, code, num(v, NULL));
		sep = ", ";
	}
	json_decref(by);
}

static void print_jobs(json_t *jobs)
{
	printf("%-13s %-16s", "jobs", "POOL");
	for (int st = 0; st < JOB_STATE__COUNT; st++)
		printf(" %9s", job_state_name(st));
	printf("\n");
	const char *pool;
	json_t *states;
	json_object_foreach(jobs, pool, states)
	{
		printf("%-13s ", "");
		print_cell(pool, 16);
		for (int st = 0; st < JOB_STATE__COUNT; st++)
			printf(" %9.0f", num(states, job_state_name(st)));
		printf("\n");
	}
}

static void print_human(json_t *m)
{
	char a[64], b[64];
	double up = num(m, "aura_uptime_seconds");
	printf("%-13s %s (since %s)\n", "uptime", fmt_duration(a, sizeof(a), up),
	       fmt_time(b, sizeof(b), (int64_t)num(m, "process_start_time_seconds") * 1000));
	printf("%-13s %s resident, %.0f open fds\n", "memory",
	       fmt_size(a, sizeof(a), (int64_t)num(m, "process_resident_memory_bytes")),
	       num(m, "process_open_fds"));
	printf("%-13s %s\n", "store", fmt_size(a, sizeof(a), (int64_t)num(m, "aura_store_bytes")));
	print_jobs(json_object_get(m, "aura_jobs"));

	json_t *fin = json_object_get(m, "aura_runs_finished_total");
	printf("%-13s started %.0f, succeeded %.0f, failed %.0f, cancelled %.0f, interrupted "
	       "%.0f\n",
	       "runs", total(json_object_get(m, "aura_runs_started_total")),
	       total_of(fin, "succeeded"), total_of(fin, "failed"), total_of(fin, "cancelled"),
	       total_of(fin, "interrupted"));
	json_t *failed = json_object_get(m, "aura_runs_failed_total");
	if (json_object_size(failed) > 0) {
		printf("%-13s ", "failures");
		print_codes(failed);
		printf("\n");
	}
	printf("%-13s retries %.0f, stalls %.0f, child CPU %.1f s\n", "",
	       num(m, "aura_retries_total"), num(m, "aura_stalls_total"),
	       num(m, "aura_ffmpeg_cpu_seconds_total"));
	print_summary("queue wait", json_object_get(m, "aura_queue_wait_seconds"));
	print_summary("run time", json_object_get(m, "aura_run_seconds"));

	json_t *req = json_object_get(m, "aura_provider_requests_total");
	json_t *fails = json_object_get(m, "aura_provider_failures_total");
	json_t *lat = json_object_get(m, "aura_provider_request_seconds");
	const char *name;
	json_t *v;
	bool first = true;
	json_object_foreach(req, name, v)
	{
		json_t *l = json_object_get(lat, name);
		json_t *f = json_object_get(fails, name);
		printf("%-13s %s: %.0f requests, %.0f failed", first ? "providers" : "", name,
		       num(v, NULL), total(f));
		if (json_object_size(f) > 0) {
			json_t *wrap = json_pack("{s:O}", name, f);
			printf(" (");
			print_codes(wrap);
			printf(")");
			json_decref(wrap);
		}
		printf(", p50 %s, p95 %s\n", secs(a, sizeof(a), json_object_get(l, "p50")),
		       secs(b, sizeof(b), json_object_get(l, "p95")));
		first = false;
	}
	if (first)
		printf("%-13s none called\n", "providers");
}

static int cmd_stats_run(struct cli_ctx *ctx, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&cmd_stats_entry, argc, argv, &a, NULL);
	if (rc)
		return rc;
	bool json = args_has(&a, OPT_JSON), prom = args_has(&a, OPT_PROM);
	if (json && prom)
		return cli_usage_error("--json and --prometheus together: give one");

	struct client *cl;
	if ((rc = cli_connect(ctx, true, &cl)) != 0)
		return rc;
	struct aura_error err;
	json_t *res;
	json_t *params = json_pack("{s:s}", "format", prom ? "prometheus" : "json");
	if (client_call(cl, "stats", params, &res, &err) < 0) {
		client_free(cl);
		return cli_fail(&err);
	}
	client_free(cl);
	if (prom)
		fputs(proto_get_str(res, "text") ? proto_get_str(res, "text") : "", stdout);
	else if (json)
		cli_print_json(res);
	else
		print_human(res);
	json_decref(res);
	return 0;
}

const struct cmd_entry cmd_stats_entry = {
	.name = "stats",
	.usage = "[--json|--prometheus]",
	.args = { .shorts = "", .longs = stats_opts, .min = 0, .max = 0 },
	.summary = "show the server's metrics: jobs, runs, failures, timings, providers, memory",
	.help = "      --json         print them as JSON, one member per metric\n"
		"      --prometheus   print them in Prometheus' text format\n"
		"\n"
		"Counters count since the server started; the jobs, memory, fds and store\n"
		"size are read when asked. [metrics] textfile keeps the same figures in a\n"
		"file for node_exporter's textfile collector (doc/metrics.md).\n",
	.flags = CMD_NEEDS_DATA,
	.run = cmd_stats_run,
};
