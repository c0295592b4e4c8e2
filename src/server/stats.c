/*
 * stats.c -- the server's metrics (doc/metrics.md): the registry it was
 * given (base/metrics.c; the engine, the reaping of the runs' children and
 * the providers count in it), its gauges read at the moment they are shown
 * (jobs by pool and state from one GROUP BY, the store's size, the
 * process's resident memory, open fds, start time and uptime), the `stats`
 * request, and [metrics] textfile: written at start, at shutdown, and at
 * most every `interval` seconds while a counter or a job changed.
 *
 * Must never: write the textfile in place (a reader would see half of it),
 * leave its temporary file behind, or arm a timer while nothing changed
 * (an idle server makes no periodic wake-up; tests/cli/metrics.sh).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "base/conf.h"
#include "base/job.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/util.h"
#include "os/loop.h"
#include "server/params.h"
#include "server/server-int.h"
#include "server/server.h"
#include "store/store.h"

void server_set_metrics(struct server *s, struct metrics *m)
{
	s->metrics = m;
	s->start_ms = time_now_ms();
	s->start_mono_ms = time_mono_ms();
}

/* --- the gauges, read now ----------------------------------------------- */

static int64_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
}

static int64_t rss_bytes(void)
{
	FILE *fp = fopen("/proc/self/statm", "re");
	long long size = 0, resident = 0;
	if (!fp)
		return 0;
	int n = fscanf(fp, "%lld %lld", &size, &resident);
	fclose(fp);
	long page = sysconf(_SC_PAGESIZE);
	return n == 2 && page > 0 ? (int64_t)resident * page : 0;
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	if (!d)
		return 0;
	for (struct dirent *e; (e = readdir(d));)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n > 0 ? n - 1 : 0; /* not the directory's own fd */
}

static void count_jobs(const char *pool, const char *state, int64_t n, void *ctx)
{
	metrics_set(ctx, METRIC_JOBS, pool, state, (double)n);
}

/* Every gauge set to what it is now. Every pool of the configuration shows
 * every state (0 too), so a series never vanishes when its jobs go. */
static void gauges_read(struct server *s)
{
	struct metrics *m = s->metrics;
	metrics_gauge_reset(m, METRIC_JOBS);
	for (size_t i = 0; i < config_pool_count(s->cfg); i++)
		for (int st = 0; st < JOB_STATE__COUNT; st++)
			metrics_set(m, METRIC_JOBS, config_pool_at(s->cfg, i)->name,
				    job_state_name(st), 0);
	if (s->st && store_job_counts(s->st, count_jobs, m) < 0)
		log_debug("metrics: the jobs could not be counted");
	char *wal = xasprintf("%s-wal", s->paths->db_file);
	metrics_set(m, METRIC_STORE_BYTES, NULL, NULL,
		    (double)(file_size(s->paths->db_file) + file_size(wal)));
	free(wal);
	metrics_set(m, METRIC_UPTIME, NULL, NULL,
		    (double)(time_mono_ms() - s->start_mono_ms) / 1000.0);
	metrics_set(m, METRIC_PROCESS_RSS, NULL, NULL, (double)rss_bytes());
	metrics_set(m, METRIC_PROCESS_FDS, NULL, NULL, (double)open_fds());
	metrics_set(m, METRIC_PROCESS_START_TIME, NULL, NULL, (double)(s->start_ms / 1000));
}

/* --- the `stats` request -------------------------------------------------- */

static json_t *number(double v)
{
	if (isnan(v) || isinf(v))
		return json_null();
	if (v == floor(v) && fabs(v) < 9007199254740992.0)
		return json_integer((json_int_t)v);
	return json_real(v);
}

struct json_ctx {
	enum metric_id id;
	json_t *fam;
};

static void json_point(const struct metrics_point *p, void *ctx)
{
	struct json_ctx *j = ctx;
	json_t *v = metrics_type(j->id) == METRIC_SUMMARY
			? json_pack("{s:I, s:o, s:o, s:o}", "count", (json_int_t)p->count, "sum",
				    number(p->sum), "p50", number(p->p50), "p95", number(p->p95))
			: number(p->value);
	if (!metrics_label(j->id, 0)) {
		json_decref(j->fam);
		j->fam = v;
		return;
	}
	if (!metrics_label(j->id, 1)) {
		json_object_set_new(j->fam, p->l0, v);
		return;
	}
	json_t *inner = json_object_get(j->fam, p->l0);
	if (!inner) {
		inner = json_object();
		json_object_set_new(j->fam, p->l0, inner);
	}
	json_object_set_new(inner, p->l1, v);
}

/* {"NAME": value, "NAME": {"LABEL0": value}, "NAME": {"L0": {"L1": value}}}:
 * a summary's value is {"count", "sum", "p50", "p95"}. */
static json_t *stats_json(struct server *s)
{
	json_t *o = json_object();
	for (int id = 0; id < METRIC__COUNT; id++) {
		struct json_ctx j = { id, json_object() };
		metrics_each(s->metrics, id, json_point, &j);
		json_object_set_new(o, metrics_name(id), j.fam);
	}
	return o;
}

int srv_m_stats(struct conn *c, int64_t id, json_t *params, json_t **result, struct aura_error *err)
{
	(void)id;
	struct server *s = c->s;
	json_t *format = NULL;
	int rc = srv_param_opt(params, "format", srv_is_string, "\"json\" or \"prometheus\"",
			       &format, err);
	if (rc < 0)
		return rc;
	const char *f = format ? json_string_value(format) : "json";
	if (strcmp(f, "json") != 0 && strcmp(f, "prometheus") != 0)
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "\"format\" is \"json\" or \"prometheus\", not \"%.32s\"", f);
	if (!s->metrics)
		return aura_error_set(err, AURA_E_INTERNAL, "this server keeps no metrics");
	gauges_read(s);
	if (strcmp(f, "prometheus") == 0) {
		struct buf b;
		buf_init(&b);
		metrics_text(s->metrics, &b);
		*result = json_pack("{s:s}", "text", b.data ? b.data : "");
		buf_free(&b);
	} else {
		*result = stats_json(s);
	}
	return 0;
}

/* --- the textfile --------------------------------------------------------- */

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* PATH.tmp beside it, renamed over it: node_exporter's collector reads
 * only *.prom files, and a reader sees the old file or the new one. */
static int textfile_put(const char *path, const struct buf *b, char *why, size_t whylen)
{
	char *tmp = xasprintf("%s.tmp", path);
	int rc = 0;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		snprintf(why, whylen, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	if (write_all(fd, b->data ? b->data : "", b->len) < 0) {
		snprintf(why, whylen, "writing %s: %s", tmp, strerror(errno));
		rc = -1;
	}
	if (close(fd) < 0 && rc == 0) {
		snprintf(why, whylen, "writing %s: %s", tmp, strerror(errno));
		rc = -1;
	}
	if (rc == 0 && rename(tmp, path) < 0) {
		snprintf(why, whylen, "rename %s to %s: %s", tmp, path, strerror(errno));
		rc = -1;
	}
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

void server_metrics_write(struct server *s)
{
	const char *path = s->cfg->metrics_textfile;
	if (!s->metrics || !path || !*path)
		return;
	loop_timer_del(s->loop, s->mfile_timer);
	s->mfile_timer = 0;
	s->mfile_changes = metrics_changes(s->metrics);
	s->mfile_jobs_dirty = false;
	s->mfile_last_mono = time_mono_ms();
	gauges_read(s);
	struct buf b;
	buf_init(&b);
	metrics_text(s->metrics, &b);
	char why[512];
	if (textfile_put(path, &b, why, sizeof(why)) < 0) {
		if (!s->mfile_failing)
			log_warn("metrics: cannot write the textfile: %s (said once until it "
				 "works again)",
				 why);
		s->mfile_failing = true;
	} else if (s->mfile_failing) {
		log_info("metrics: the textfile %s is written again", path);
		s->mfile_failing = false;
	}
	buf_free(&b);
}

static void textfile_due(struct loop *l, void *ctx)
{
	struct server *s = ctx;
	(void)l;
	s->mfile_timer = 0;
	server_metrics_write(s);
}

void srv_metrics_check(struct server *s)
{
	const char *path = s->cfg->metrics_textfile;
	if (!s->metrics || !path || !*path || s->mfile_timer || s->mfile_last_mono == 0)
		return;
	if (metrics_changes(s->metrics) == s->mfile_changes && !s->mfile_jobs_dirty)
		return;
	int64_t due = s->mfile_last_mono + s->cfg->metrics_interval * 1000LL - time_mono_ms();
	s->mfile_timer = loop_timer_add(s->loop, due > 0 ? due : 0, textfile_due, s);
}
