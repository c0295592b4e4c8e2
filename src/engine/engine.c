/*
 * engine.c -- the job engine's public API and its wiring: life (new, free,
 * the providers and timing it is handed), the job kinds (engine_set_kind:
 * a kind prepares its new jobs and hears how many of them are queued or
 * running), the task environment, reading jobs with live progress, and the
 * orderly shutdown. The rest of the engine, by what each part owns, is
 * listed in engine-int.h. See doc/engine.md for the rules,
 * doc/pipeline.md for asynchronous steps.
 *
 * Must never: block, arm a timer while no job runs or waits for a backoff,
 * announce a state change before the store has it, wait for a child itself
 * (proc.c reaps), or let one job's error stop the server.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "base/log.h"
#include "engine/engine-int.h"
#include "engine/slurm.h"
#include "ff/locate.h"
#include "os/loop.h"
#include "os/proc.h"
#include "store/store.h"

/* --- small helpers ------------------------------------------------------ */

void set_str(char **dst, const char *src)
{
	char *old = *dst;
	*dst = xstrdup(src);
	free(old);
}

struct run *run_find(struct engine *e, int64_t id)
{
	for (struct run *r = e->runs; r; r = r->next)
		if (r->job.id == id)
			return r;
	return NULL;
}

/* Write the whole record, then announce it: never the other way round. */
void job_persist(struct engine *e, struct job *j)
{
	e->persists++;
	struct aura_error err = { 0 };
	if (store_job_update(e->st, j, &err) < 0)
		log_error("job %lld: cannot save its state (%s): %s", (long long)j->id,
			  aura_error_name(err.code), err.detail);
	job_announce(e, j);
}

void job_clear_error(struct job *j)
{
	set_str(&j->error_code, NULL);
	set_str(&j->error_message, NULL);
	set_str(&j->stderr_tail, NULL);
}

void job_set_error(struct job *j, int code, const char *detail)
{
	set_str(&j->error_code, aura_error_name(code));
	char *m = detail && *detail ? xasprintf("%s: %s", aura_error_message(code), detail)
				    : xstrdup(aura_error_message(code));
	char *red = log_redact(m);
	free(m);
	free(j->error_message);
	j->error_message = red;
}

void job_reset_progress(struct job *j)
{
	j->progress = 0;
	j->out_time_us = 0;
	j->fps = 0;
	j->speed = 0;
	j->size = 0;
	j->eta_s = -1;
}

/* task_env.log */
static void env_log(void *eng_ctx, int64_t job_id, const char *fmt, ...) AURA_PRINTF(3, 4);
static void env_log(void *eng_ctx, int64_t job_id, const char *fmt, ...)
{
	struct engine *e = eng_ctx;
	struct run *r = run_find(e, job_id);
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	if (r)
		run_logf(r, "%s", text);
	else
		log_debug("job %lld: %s", (long long)job_id, text);
	free(text);
}

/* task_env.warn: warnings are a JSON array of {code, message}. */
static void env_warn(void *eng_ctx, int64_t job_id, const char *code, const char *text)
{
	struct engine *e = eng_ctx;
	struct run *r = run_find(e, job_id);
	if (!r)
		return;
	json_error_t jerr;
	json_t *arr = r->job.warnings ? json_loads(r->job.warnings, 0, &jerr) : NULL;
	if (!json_is_array(arr)) {
		json_decref(arr);
		arr = json_array();
	}
	char *red = log_redact(text ? text : "");
	json_array_append_new(
	    arr, json_pack("{s:s, s:s}", "code", code ? code : "WARNING", "message", red));
	char *dump = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	free(r->job.warnings);
	r->job.warnings = dump;
	run_logf(r, "warning: %s", red);
	free(red);
	job_persist(e, &r->job);
}

/* task_env.lanes: the run's own figures (run_lanes_init). */
static int env_lanes(void *eng_ctx, int64_t job_id)
{
	const struct run *r = run_find(eng_ctx, job_id);
	if (!r)
		return 1;
	return r->lanes_slurm_max > 0 ? r->lanes_slurm_max : r->lanes_local_max;
}

/* task_env.lane_cpus: the online CPUs, unless a Slurm pool runs the
 * job's pool work. */
static int env_lane_cpus(void *eng_ctx, int64_t job_id)
{
	const struct run *r = run_find(eng_ctx, job_id);
	if (r && r->lanes_slurm_max > 0)
		return 0;
	return run_online_cpus();
}

/* task_async_env.provider: what engine_set_providers handed in. */
static struct provider *env_provider(void *eng_ctx, const char *name)
{
	struct engine *e = eng_ctx;
	if (!e->provider || !name)
		return NULL;
	return e->provider(e->provider_ctx, name);
}

static void drained_cb(struct loop *l, void *ctx)
{
	struct engine *e = ctx;
	(void)l;
	e->drained_pending = false;
	if (e->drained_done || e->nruns > 0)
		return;
	e->drained_done = true;
	log_info("engine: every job is stopped");
	if (e->ev.drained)
		e->ev.drained(e->ctx);
}

void maybe_drained(struct engine *e)
{
	/* a scancel of a stopped Slurm run is waited for too (it has a deadline) */
	if (e->shutting_down && e->nruns == 0 && !e->slurm_children && !e->drained_done &&
	    !e->drained_pending) {
		e->drained_pending = true;
		loop_defer(e->loop, drained_cb, e);
	}
}

/* --- job kinds ------------------------------------------------------------ */

/* Tell the kind its count when it changed; 0 once the engine shuts down
 * (no new provider round while the server stops). */
static void kind_report(struct engine *e, struct kind_slot *ks)
{
	size_t n = e->shutting_down ? 0 : ks->n;
	if (!ks->k || !ks->k->active || n == ks->told)
		return;
	ks->told = n;
	ks->k->active(ks->ctx, n);
}

/* Keep a kind's ids in step with a job's state: a job queued or running
 * counts (a paused one does not, until it resumes). The ids are kept
 * sorted, so a job is found by bisection; ids only grow, so a new job is
 * appended. */
static void kind_track(struct engine *e, enum job_kind kind, int64_t id, bool wanted)
{
	if ((unsigned)kind >= JOB_KIND__COUNT || !e->kinds[kind].k)
		return;
	struct kind_slot *ks = &e->kinds[kind];
	size_t lo = 0, hi = ks->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ks->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	bool found = lo < ks->n && ks->ids[lo] == id;
	if (wanted && !found) {
		XGROW(ks->ids, ks->n + 1, ks->cap, 8);
		memmove(ks->ids + lo + 1, ks->ids + lo, (ks->n - lo) * sizeof(*ks->ids));
		ks->ids[lo] = id;
		ks->n++;
	} else if (!wanted && found) {
		memmove(ks->ids + lo, ks->ids + lo + 1, (ks->n - lo - 1) * sizeof(*ks->ids));
		if (--ks->n == 0) {
			free(ks->ids);
			ks->ids = NULL;
			ks->cap = 0;
		}
	}
	kind_report(e, ks);
}

static bool kind_counts(const struct job *j)
{
	return j->state == JOB_QUEUED || j->state == JOB_RUNNING;
}

void job_announce(struct engine *e, const struct job *j)
{
	kind_track(e, j->kind, j->id, kind_counts(j));
	if (e->ev.job_changed)
		e->ev.job_changed(j, e->ctx);
}

void job_announce_removed(struct engine *e, enum job_kind kind, int64_t id)
{
	kind_track(e, kind, id, false);
	if (e->ev.job_removed)
		e->ev.job_removed(id, e->ctx);
}

static int kinds_scan_one(const struct job *j, void *ctx)
{
	if (kind_counts(j))
		kind_track(ctx, j->kind, j->id, true);
	return 0;
}

void kinds_scan(struct engine *e)
{
	static const enum job_state states[] = { JOB_QUEUED, JOB_RUNNING };
	bool any = false;
	for (size_t k = 0; k < JOB_KIND__COUNT; k++)
		any = any || (e->kinds[k].k && e->kinds[k].k->active);
	for (size_t i = 0; any && i < ARRAY_LEN(states); i++) {
		struct aura_error err = { 0 };
		if (store_job_list(e->st, (int)states[i], 0, 0, kinds_scan_one, e, &err) < 0)
			log_error("engine: listing %s jobs for their kinds: %s: %s",
				  job_state_name(states[i]), aura_error_name(err.code), err.detail);
	}
}

void engine_set_kind(struct engine *e, enum job_kind kind, const struct engine_kind *k, void *ctx)
{
	if ((unsigned)kind >= JOB_KIND__COUNT)
		return;
	e->kinds[kind].k = k;
	e->kinds[kind].ctx = ctx;
}

int engine_prepare(struct engine *e, struct job *j, struct json_t *params, struct aura_error *err)
{
	const struct engine_kind *k =
	    (unsigned)j->kind < JOB_KIND__COUNT ? e->kinds[j->kind].k : NULL;
	if (!k)
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "jobs of kind %s are not served here",
				      job_kind_name(j->kind));
	return k->prepare ? k->prepare(params, e->cfg, j, err) : 0;
}

/* --- public: life --------------------------------------------------------- */

struct engine *engine_new(struct loop *loop, struct store *st, const struct aura_config *cfg,
			  const struct aura_paths *paths, const struct engine_events *ev, void *ctx)
{
	struct engine *e = xcalloc(1, sizeof(*e));
	e->loop = loop;
	e->st = st;
	e->cfg = cfg;
	e->paths = paths;
	if (ev)
		e->ev = *ev;
	e->ctx = ctx;
	e->stall_ms = cfg->stall_timeout * 1000LL;
	e->backoff_ms = cfg->retry_backoff * 1000LL;
	e->ffmpeg = locate_ffmpeg(cfg, NULL);
	e->ffprobe = locate_ffprobe(cfg, e->ffmpeg, NULL);
	if (!e->ffmpeg)
		log_warn(
		    "engine: ffmpeg was not found; FFmpeg jobs will fail with FFMPEG_NOT_FOUND");
	else
		log_info("engine: ffmpeg %s, ffprobe %s", e->ffmpeg,
			 e->ffprobe ? e->ffprobe : "(none)");
	e->env = (struct task_env){
		.cfg = cfg,
		.paths = paths,
		.store = st,
		.ffmpeg = e->ffmpeg,
		.ffprobe = e->ffprobe,
		.log = env_log,
		.warn = env_warn,
		.provider = env_provider,
		.lanes = env_lanes,
		.lane_cpus = env_lane_cpus,
		.eng_ctx = e,
	};
	e->aenv = (struct task_async_env){
		.loop = loop,
		.provider = env_provider,
		.eng_ctx = e,
	};
	e->server_id = slurm_server_id(cfg->server_id, paths ? paths->data_dir : NULL);
	log_info("engine: server id %s (Slurm jobs are named aura-%s-JOB-ATTEMPT)", e->server_id,
		 e->server_id);
	slurm_sweep_start(e);
	return e;
}

void engine_set_providers(struct engine *e,
			  struct provider *(*provider)(void *ctx, const char *name), void *ctx)
{
	e->provider = provider;
	e->provider_ctx = ctx;
}

void engine_set_metrics(struct engine *e, struct metrics *m)
{
	e->metrics = m;
}

void engine_set_timing(struct engine *e, int64_t stall_ms, int64_t backoff_ms)
{
	if (stall_ms >= 0)
		e->stall_ms = stall_ms;
	if (backoff_ms >= 0)
		e->backoff_ms = backoff_ms;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	while (e->runs)
		run_free(e->runs); /* abandons children: SIGKILL, no callbacks */
	slurm_children_abandon(e);
	hooks_abandon(e);
	proc_kill_leftovers(); /* and what finished runs left behind */
	loop_timer_del(e->loop, e->backoff_timer);
	loop_timer_del(e->loop, e->sweep_timer);
	retain_free(e);
	free(e->server_id);
	store_pool_ctl_free(e->pctl, e->npctl);
	free(e->held);
	for (size_t k = 0; k < JOB_KIND__COUNT; k++)
		free(e->kinds[k].ids);
	free(e->ffmpeg);
	free(e->ffprobe);
	free(e);
}

int engine_running_count(const struct engine *e)
{
	return e->nruns;
}

int engine_pool_running(const struct engine *e, const char *pool)
{
	return pool_running(e, pool);
}

/* --- public: reading ------------------------------------------------------ */

/* What a client sees is the stored row; only the live progress of a run
 * (written to the store at most once a second) is newer. */
static void overlay_live(struct job *out, const struct run *r)
{
	if (out->state != JOB_RUNNING && out->state != JOB_PAUSED)
		return;
	job_copy_progress(out, &r->job);
}

int engine_get(struct engine *e, int64_t id, struct job *out, struct aura_error *err)
{
	int rc = store_job_get(e->st, id, out, err);
	struct run *r = rc == 0 ? run_find(e, id) : NULL;
	if (r)
		overlay_live(out, r);
	return rc;
}

struct overlay {
	struct engine *e;
	int (*fn)(const struct job *j, void *ctx);
	void *ctx;
};

static int overlay_cb(const struct job *j, void *ctx)
{
	struct overlay *o = ctx;
	struct run *r = run_find(o->e, j->id);
	if (!r)
		return o->fn(j, o->ctx);
	struct job live;
	job_copy(&live, j);
	overlay_live(&live, r);
	int stop = o->fn(&live, o->ctx);
	job_clear(&live);
	return stop;
}

int engine_list(struct engine *e, int state, int64_t offset, int64_t limit,
		int (*fn)(const struct job *j, void *ctx), void *ctx, struct aura_error *err)
{
	struct overlay o = { .e = e, .fn = fn, .ctx = ctx };
	return store_job_list(e->st, state, offset, limit, overlay_cb, &o, err);
}

int engine_list_sorted(struct engine *e, int state, int sort, bool desc, int64_t offset,
		       int64_t limit, int (*fn)(const struct job *j, void *ctx), void *ctx,
		       struct aura_error *err)
{
	struct overlay o = { .e = e, .fn = fn, .ctx = ctx };
	return store_job_list_sorted(e->st, state, sort, desc, offset, limit, overlay_cb, &o, err);
}

/* --- public: shutdown ----------------------------------------------------- */

void engine_shutdown(struct engine *e, bool now)
{
	if (!e->shutting_down)
		log_info("engine: shutting down, stopping %d job%s%s", e->nruns,
			 e->nruns == 1 ? "" : "s", now ? " now" : "");
	else if (now)
		log_info("engine: stopping every job now");
	e->shutting_down = true;
	for (size_t k = 0; k < JOB_KIND__COUNT; k++)
		kind_report(e, &e->kinds[k]);
	loop_timer_del(e->loop, e->backoff_timer);
	e->backoff_timer = 0;
	e->backoff_at_ms = 0;
	struct run *next;
	for (struct run *r = e->runs; r; r = next) {
		next = r->next;
		if (r->stop == STOP_NONE)
			run_logf(r, "stopping: the server is shutting down");
		run_stop(r, r->stop == STOP_NONE ? STOP_SHUTDOWN : r->stop, now); /* may free r */
	}
	maybe_drained(e);
}
