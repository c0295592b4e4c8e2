/*
 * metrics.c -- the registry of metrics.h: the table of families (name,
 * type, labels, help: the one place a metric is named, doc/metrics.md
 * follows it), their label sets, the summaries' windows, and the
 * Prometheus text format.
 *
 * Must never: allocate per sample (a summary's window is allocated once,
 * with its label set), or write a label value unescaped.
 */
#include "config.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/metrics.h"
#include "base/util.h"

static const struct family {
	const char *name;
	enum metric_type type;
	const char *label[2];
	const char *help;
} families[METRIC__COUNT] = {
	[METRIC_JOBS] = { "aura_jobs",
			  METRIC_GAUGE,
			  { "pool", "state" },
			  "Jobs in the store by pool and state." },
	[METRIC_RUNS_STARTED] = { "aura_runs_started_total",
				  METRIC_COUNTER,
				  { "pool", NULL },
				  "Runs (attempts of a job) started." },
	[METRIC_RUNS_FINISHED] = { "aura_runs_finished_total",
				   METRIC_COUNTER,
				   { "pool", "result" },
				   "Runs ended, by result: succeeded, failed, cancelled, "
				   "interrupted (by a shutdown)." },
	[METRIC_RUNS_FAILED] = { "aura_runs_failed_total",
				 METRIC_COUNTER,
				 { "pool", "code" },
				 "Failed runs by error code (a retried attempt counts too)." },
	[METRIC_RETRIES] = { "aura_retries_total",
			     METRIC_COUNTER,
			     { NULL, NULL },
			     "Failed runs queued again for an automatic retry." },
	[METRIC_STALLS] = { "aura_stalls_total",
			    METRIC_COUNTER,
			    { NULL, NULL },
			    "Runs stopped because their output stopped advancing." },
	[METRIC_QUEUE_WAIT] = { "aura_queue_wait_seconds",
				METRIC_SUMMARY,
				{ NULL, NULL },
				"Time from a job's queueing to the start of its run." },
	[METRIC_RUN_SECONDS] = { "aura_run_seconds",
				 METRIC_SUMMARY,
				 { NULL, NULL },
				 "Time from a run's start to its end." },
	[METRIC_FFMPEG_CPU] = { "aura_ffmpeg_cpu_seconds_total",
				METRIC_COUNTER,
				{ NULL, NULL },
				"User and system CPU time of the runs' child processes." },
	[METRIC_PROVIDER_REQUESTS] = { "aura_provider_requests_total",
				       METRIC_COUNTER,
				       { "provider", NULL },
				       "HTTP requests made to online providers." },
	[METRIC_PROVIDER_FAILURES] = { "aura_provider_failures_total",
				       METRIC_COUNTER,
				       { "provider", "code" },
				       "HTTP requests to online providers that failed, by error "
				       "code." },
	[METRIC_PROVIDER_SECONDS] = { "aura_provider_request_seconds",
				      METRIC_SUMMARY,
				      { "provider", NULL },
				      "Duration of one HTTP request to an online provider." },
	[METRIC_STORE_BYTES] = { "aura_store_bytes",
				 METRIC_GAUGE,
				 { NULL, NULL },
				 "Size of the store: aura.db and its write-ahead log." },
	[METRIC_UPTIME] = { "aura_uptime_seconds",
			    METRIC_GAUGE,
			    { NULL, NULL },
			    "Seconds since the server started." },
	[METRIC_PROCESS_RSS] = { "process_resident_memory_bytes",
				 METRIC_GAUGE,
				 { NULL, NULL },
				 "Resident memory size of the server in bytes." },
	[METRIC_PROCESS_FDS] = { "process_open_fds",
				 METRIC_GAUGE,
				 { NULL, NULL },
				 "Open file descriptors of the server." },
	[METRIC_PROCESS_START_TIME] = { "process_start_time_seconds",
					METRIC_GAUGE,
					{ NULL, NULL },
					"Start time of the server since the epoch in seconds." },
};

struct series {
	char *l0, *l1;
	double value;
	uint64_t count;
	double sum;
	double *win; /* summaries: METRICS_WINDOW samples, a ring */
};

struct fam_data {
	struct series *s;
	size_t n, cap;
};

struct metrics {
	struct fam_data f[METRIC__COUNT];
	uint64_t changes;
};

static int nlabels(enum metric_id id)
{
	return families[id].label[0] ? (families[id].label[1] ? 2 : 1) : 0;
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static struct series *series_add(struct fam_data *fd, enum metric_id id, const char *l0,
				 const char *l1)
{
	XGROW(fd->s, fd->n + 1, fd->cap, 4);
	struct series *s = &fd->s[fd->n++];
	memset(s, 0, sizeof(*s));
	s->l0 = xstrdup(l0);
	s->l1 = xstrdup(l1);
	if (families[id].type == METRIC_SUMMARY)
		s->win = xcalloc(METRICS_WINDOW, sizeof(*s->win));
	return s;
}

/* The label set (l0, l1) of the family, made when new. Values of labels
 * the family does not have are ignored; a missing value is "". */
static struct series *series_get(struct metrics *m, enum metric_id id, const char *l0,
				 const char *l1)
{
	int nl = nlabels(id);
	if (nl < 1)
		l0 = NULL;
	else if (!l0)
		l0 = "";
	if (nl < 2)
		l1 = NULL;
	else if (!l1)
		l1 = "";
	struct fam_data *fd = &m->f[id];
	for (size_t i = 0; i < fd->n; i++)
		if (same(fd->s[i].l0, l0) && same(fd->s[i].l1, l1))
			return &fd->s[i];
	if (fd->n >= METRICS_SERIES_MAX) {
		/* Label values come from bounded sets (pools, codes,
		 * providers); should one not be, the rest is still counted. */
		const char *o0 = nl >= 1 ? "other" : NULL, *o1 = nl >= 2 ? "other" : NULL;
		for (size_t i = 0; i < fd->n; i++)
			if (same(fd->s[i].l0, o0) && same(fd->s[i].l1, o1))
				return &fd->s[i];
		return series_add(fd, id, o0, o1); /* the one past the cap */
	}
	return series_add(fd, id, l0, l1);
}

struct metrics *metrics_new(void)
{
	struct metrics *m = xcalloc(1, sizeof(*m));
	/* A family without labels shows its one point from the start (a
	 * counter at 0 is a fact, and Prometheus needs it for rate()). */
	for (int id = 0; id < METRIC__COUNT; id++)
		if (nlabels(id) == 0)
			series_get(m, id, NULL, NULL);
	return m;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	for (int id = 0; id < METRIC__COUNT; id++) {
		for (size_t i = 0; i < m->f[id].n; i++) {
			free(m->f[id].s[i].l0);
			free(m->f[id].s[i].l1);
			free(m->f[id].s[i].win);
		}
		free(m->f[id].s);
	}
	free(m);
}

void metrics_add(struct metrics *m, enum metric_id id, const char *l0, const char *l1, double delta)
{
	if (!m || families[id].type != METRIC_COUNTER || !(delta >= 0))
		return;
	series_get(m, id, l0, l1)->value += delta;
	m->changes++;
}

void metrics_observe(struct metrics *m, enum metric_id id, const char *l0, double v)
{
	if (!m || families[id].type != METRIC_SUMMARY || isnan(v))
		return;
	struct series *s = series_get(m, id, l0, NULL);
	s->win[s->count % METRICS_WINDOW] = v;
	s->count++;
	s->sum += v;
	m->changes++;
}

void metrics_set(struct metrics *m, enum metric_id id, const char *l0, const char *l1, double v)
{
	if (!m || families[id].type != METRIC_GAUGE)
		return;
	series_get(m, id, l0, l1)->value = v;
}

void metrics_gauge_reset(struct metrics *m, enum metric_id id)
{
	if (!m || families[id].type != METRIC_GAUGE || nlabels(id) == 0)
		return;
	struct fam_data *fd = &m->f[id];
	for (size_t i = 0; i < fd->n; i++) {
		free(fd->s[i].l0);
		free(fd->s[i].l1);
	}
	fd->n = 0;
}

uint64_t metrics_changes(const struct metrics *m)
{
	return m ? m->changes : 0;
}

const char *metrics_name(enum metric_id id)
{
	return families[id].name;
}

enum metric_type metrics_type(enum metric_id id)
{
	return families[id].type;
}

const char *metrics_help(enum metric_id id)
{
	return families[id].help;
}

const char *metrics_label(enum metric_id id, int i)
{
	return i >= 0 && i < 2 ? families[id].label[i] : NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double metrics_quantile(double *v, size_t n, double q)
{
	qsort(v, n, sizeof(*v), cmp_double);
	/* nearest rank: the smallest sample with at least q of them at or
	 * below it */
	size_t rank = (size_t)ceil(q * (double)n);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

void metrics_each(const struct metrics *m, enum metric_id id,
		  void (*fn)(const struct metrics_point *p, void *ctx), void *ctx)
{
	if (!m)
		return;
	double *tmp =
	    families[id].type == METRIC_SUMMARY ? xmalloc(METRICS_WINDOW * sizeof(*tmp)) : NULL;
	const struct fam_data *fd = &m->f[id];
	for (size_t i = 0; i < fd->n; i++) {
		const struct series *s = &fd->s[i];
		struct metrics_point p = { .l0 = s->l0,
					   .l1 = s->l1,
					   .value = s->value,
					   .count = s->count,
					   .sum = s->sum,
					   .p50 = NAN,
					   .p95 = NAN };
		if (tmp && s->count > 0) {
			size_t n = s->count < METRICS_WINDOW ? (size_t)s->count : METRICS_WINDOW;
			memcpy(tmp, s->win, n * sizeof(*tmp));
			p.p50 = metrics_quantile(tmp, n, 0.5);
			p.p95 = metrics_quantile(tmp, n, 0.95);
		}
		fn(&p, ctx);
	}
	free(tmp);
}

/* --- the text format ------------------------------------------------------ */

void metrics_escape_label(struct buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			buf_puts(out, "\\\\");
		else if (*s == '"')
			buf_puts(out, "\\\"");
		else if (*s == '\n')
			buf_puts(out, "\\n");
		else
			buf_append(out, s, 1);
	}
}

/* HELP text escapes only \ and newline. */
static void escape_help(struct buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			buf_puts(out, "\\\\");
		else if (*s == '\n')
			buf_puts(out, "\\n");
		else
			buf_append(out, s, 1);
	}
}

static void put_value(struct buf *out, double v)
{
	if (isnan(v))
		buf_puts(out, "NaN");
	else if (isinf(v))
		buf_puts(out, v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 1e15)
		buf_printf(out, "%.0f", v);
	else
		buf_printf(out, "%.9g", v);
}

struct text_ctx {
	struct buf *out;
	enum metric_id id;
};

/* name{l0="..",l1="..",extra} value */
static void put_sample(struct text_ctx *t, const char *suffix, const struct metrics_point *p,
		       const char *extra, double v)
{
	struct buf *out = t->out;
	buf_puts(out, families[t->id].name);
	buf_puts(out, suffix);
	const char *vals[2] = { p->l0, p->l1 };
	bool any = false;
	for (int i = 0; i < 2; i++) {
		if (!families[t->id].label[i])
			break;
		buf_printf(out, "%s%s=\"", any ? "," : "{", families[t->id].label[i]);
		metrics_escape_label(out, vals[i] ? vals[i] : "");
		buf_puts(out, "\"");
		any = true;
	}
	if (extra) {
		buf_printf(out, "%s%s", any ? "," : "{", extra);
		any = true;
	}
	buf_puts(out, any ? "} " : " ");
	put_value(out, v);
	buf_puts(out, "\n");
}

static void text_point(const struct metrics_point *p, void *ctx)
{
	struct text_ctx *t = ctx;
	if (families[t->id].type != METRIC_SUMMARY) {
		put_sample(t, "", p, NULL, p->value);
		return;
	}
	put_sample(t, "", p, "quantile=\"0.5\"", p->p50);
	put_sample(t, "", p, "quantile=\"0.95\"", p->p95);
	put_sample(t, "_sum", p, NULL, p->sum);
	put_sample(t, "_count", p, NULL, (double)p->count);
}

void metrics_text(const struct metrics *m, struct buf *out)
{
	static const char *const tname[] = { "counter", "gauge", "summary" };
	for (int id = 0; id < METRIC__COUNT; id++) {
		buf_printf(out, "# HELP %s ", families[id].name);
		escape_help(out, families[id].help);
		buf_printf(out, "\n# TYPE %s %s\n", families[id].name, tname[families[id].type]);
		struct text_ctx t = { out, id };
		metrics_each(m, id, text_point, &t);
	}
}
