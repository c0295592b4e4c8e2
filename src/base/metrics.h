/*
 * metrics.h -- the server's figures for monitoring (doc/metrics.md): one
 * registry of counters (monotonic since the server started), gauges (set
 * at read time) and summaries (count, sum, and p50/p95 over a window of
 * the METRICS_WINDOW most recent samples), each family known by an id of
 * the table below, with up to two labels. The engine, the process layer's
 * reaping and the providers feed it; the server owns it, reads it (`stats`)
 * and writes it in Prometheus' text format (the textfile).
 *
 * Every feeding call takes NULL for the registry and does nothing then, so
 * a module runs the same without one (doctor, setup, unit tests).
 *
 * Must never: grow without bound (a summary keeps METRICS_WINDOW samples, a
 * family at most METRICS_SERIES_MAX label sets; later ones are counted
 * in one more, whose values are "other"), or include anything but libc and base.
 */
#ifndef AURA_BASE_METRICS_H
#define AURA_BASE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

#define METRICS_WINDOW	   1024 /* samples a summary's quantiles are taken over */
#define METRICS_SERIES_MAX 256	/* label sets of one family */

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_SUMMARY };

/* The families, in the order they are written (metrics.c's table has
 * their names, labels and help). */
enum metric_id {
	METRIC_JOBS,		   /* gauge {pool, state} */
	METRIC_RUNS_STARTED,	   /* counter {pool} */
	METRIC_RUNS_FINISHED,	   /* counter {pool, result} */
	METRIC_RUNS_FAILED,	   /* counter {pool, code} */
	METRIC_RETRIES,		   /* counter */
	METRIC_STALLS,		   /* counter */
	METRIC_QUEUE_WAIT,	   /* summary, seconds */
	METRIC_RUN_SECONDS,	   /* summary, seconds */
	METRIC_FFMPEG_CPU,	   /* counter, seconds */
	METRIC_PROVIDER_REQUESTS,  /* counter {provider} */
	METRIC_PROVIDER_FAILURES,  /* counter {provider, code} */
	METRIC_PROVIDER_SECONDS,   /* summary {provider} */
	METRIC_STORE_BYTES,	   /* gauge */
	METRIC_UPTIME,		   /* gauge */
	METRIC_PROCESS_RSS,	   /* gauge */
	METRIC_PROCESS_FDS,	   /* gauge */
	METRIC_PROCESS_START_TIME, /* gauge */
	METRIC__COUNT
};

struct metrics;

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m); /* NULL is fine */

/* Add delta (>= 0) to a counter; l0 and l1 are its label values, in the
 * order of the table (NULL for a label it does not have). */
void metrics_add(struct metrics *m, enum metric_id id, const char *l0, const char *l1,
		 double delta);
/* One sample of a summary. */
void metrics_observe(struct metrics *m, enum metric_id id, const char *l0, double v);
/* Set a gauge. Gauges are not changes (metrics_changes): they are read
 * from elsewhere each time the figures are shown. */
void metrics_set(struct metrics *m, enum metric_id id, const char *l0, const char *l1, double v);
/* Forget every label set of a gauge family (before it is set afresh). */
void metrics_gauge_reset(struct metrics *m, enum metric_id id);
/* How many counter additions and samples there have been: a writer
 * compares it with the count it last wrote at. */
uint64_t metrics_changes(const struct metrics *m);

const char *metrics_name(enum metric_id id);
enum metric_type metrics_type(enum metric_id id);
const char *metrics_help(enum metric_id id);
/* The name of label i (0 or 1) of the family, NULL if it has none. */
const char *metrics_label(enum metric_id id, int i);

/* One label set of a family as it is now. */
struct metrics_point {
	const char *l0, *l1; /* label values, NULL where the family has none */
	double value;	     /* counter, gauge */
	uint64_t count;	     /* summary: samples since the start */
	double sum;	     /* ... their sum */
	double p50, p95;     /* ... over the window; NaN with no sample */
};
/* Calls fn for each label set of the family, in the order they appeared.
 * A family without labels always has its one point. */
void metrics_each(const struct metrics *m, enum metric_id id,
		  void (*fn)(const struct metrics_point *p, void *ctx), void *ctx);

/* The q quantile (0..1, nearest rank) of v[0..n) (n > 0), which it sorts. */
double metrics_quantile(double *v, size_t n, double q);

/* Append the Prometheus text exposition format (version 0.0.4) of every
 * family: # HELP, # TYPE, the samples. */
void metrics_text(const struct metrics *m, struct buf *out);
/* Append s as a label value: \ " and newline escaped. */
void metrics_escape_label(struct buf *out, const char *s);

#endif
