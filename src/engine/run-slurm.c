/*
 * run-slurm.c -- the Slurm executor's processes: a pool-work command of a
 * job in a Slurm pool runs as an srun child (run-cmd.c spawns it like a
 * local FFmpeg; the command line is slurm.c's), srun's own stderr lines set
 * the job's substate and cluster_id and name its failures, the stop
 * sequence gets its scancel between SIGTERM and SIGKILL, pause/resume go
 * through `scancel --signal=STOP|CONT JOB.0`, and at start the jobs of this
 * SERVERID that no run owns are cancelled. scancel and squeue run as
 * children through proc_spawn with a deadline: the loop never waits.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "base/log.h"
#include "engine/engine-int.h"
#include "engine/slurm.h"
#include "os/loop.h"
#include "os/proc.h"

#define SLURM_CHILD_DEADLINE_MS 10000
#define SLURM_CHILD_OUT_MAX	(1u << 20)
#define SUBSTATE_WAITING	"waiting for cluster"

/* --- scancel and squeue as children of the loop ------------------------------ */

typedef void (*slurm_child_done_fn)(struct engine *e, int status, const char *out, void *arg);

struct slurm_child {
	struct slurm_child *next;
	struct engine *e;
	struct proc *p;
	uint64_t timer;
	struct buf out;
	char *what; /* the command, for the log */
	slurm_child_done_fn done;
	void *arg;
};

static void child_unlink(struct slurm_child *c)
{
	struct engine *e = c->e;
	for (struct slurm_child **pp = &e->slurm_children; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	loop_timer_del(e->loop, c->timer);
	buf_free(&c->out);
	free(c->what);
	free(c);
}

static void child_stdout(void *ctx, const char *data, size_t n)
{
	struct slurm_child *c = ctx;
	if (c->out.len + n <= SLURM_CHILD_OUT_MAX)
		buf_append(&c->out, data, n);
}

static void child_stderr(void *ctx, const char *data, size_t n)
{
	struct slurm_child *c = ctx;
	log_info("%s: %.*s", c->what, (int)(n && data[n - 1] == '\n' ? n - 1 : n), data);
}

static void child_exit(void *ctx, int status)
{
	struct slurm_child *c = ctx;
	struct engine *e = c->e;
	c->p = NULL;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		log_warn("%s: ended with status 0x%x", c->what, (unsigned)status);
	if (c->done)
		c->done(e, status, c->out.data ? c->out.data : "", c->arg);
	child_unlink(c);
	maybe_drained(e);
}

static const struct proc_ops child_ops = {
	.on_stdout = child_stdout,
	.on_stderr = child_stderr,
	.on_exit = child_exit,
};

static void child_deadline(struct loop *l, void *ctx)
{
	struct slurm_child *c = ctx;
	(void)l;
	c->timer = 0;
	log_warn("%s: no answer in %d s, stopping it", c->what, SLURM_CHILD_DEADLINE_MS / 1000);
	proc_stop(c->p, 0, 1000);
}

/* Run argv as a child; done (may be NULL) gets its status and stdout. */
static void slurm_child(struct engine *e, const char *const *argv, slurm_child_done_fn done,
			void *arg)
{
	struct slurm_child *c = xcalloc(1, sizeof(*c));
	c->e = e;
	c->done = done;
	c->arg = arg;
	buf_init(&c->out);
	struct buf w;
	buf_init(&w);
	for (size_t i = 0; argv[i]; i++)
		buf_printf(&w, "%s%s", i ? " " : "", argv[i]);
	c->what = xstrdup(w.data);
	buf_free(&w);
	struct proc_spec spec = { .argv = argv };
	struct aura_error err = { 0 };
	c->next = e->slurm_children;
	e->slurm_children = c;
	c->p = proc_spawn(e->loop, &spec, &child_ops, c, &err);
	if (!c->p) {
		log_warn("%s: %s", c->what, err.detail);
		if (done)
			done(e, 127 << 8, "", arg);
		child_unlink(c);
		return;
	}
	c->timer = loop_timer_add(e->loop, SLURM_CHILD_DEADLINE_MS, child_deadline, c);
}

void slurm_children_abandon(struct engine *e)
{
	while (e->slurm_children) {
		struct slurm_child *c = e->slurm_children;
		proc_abandon(c->p);
		child_unlink(c);
	}
}

/* scancel [--signal=SIG] TARGET, where TARGET is the job (or its step
 * with ".0"), or --name=NAME when the id is not known. */
static void scancel(struct engine *e, const struct pool_config *p, const char *signal,
		    const char *cluster_id, const char *name, bool step)
{
	char *prog = slurm_program(p, "scancel");
	char *sig = signal ? xasprintf("--signal=%s", signal) : NULL;
	char *target = cluster_id ? xasprintf("%s%s", cluster_id, step ? ".0" : "")
				  : xasprintf("--name=%s", name);
	const char *argv[4];
	size_t k = 0;
	argv[k++] = prog;
	if (sig)
		argv[k++] = sig;
	argv[k++] = target;
	argv[k] = NULL;
	slurm_child(e, argv, NULL, NULL);
	free(prog);
	free(sig);
	free(target);
}

/* --- a run's srun -------------------------------------------------------------- */

const struct pool_config *run_slurm_pool(const struct run *r)
{
	if (!r->cmd.pool_work || !r->cmd.ffmpeg || r->cmd.step.start)
		return NULL;
	const struct pool_config *p = config_pool(r->e->cfg, r->job.pool);
	return p && p->executor == POOL_SLURM ? p : NULL;
}

int run_slurm_argv(struct run *r, const char *ffmpeg, char ***argv, struct aura_error *err)
{
	const struct pool_config *p = run_slurm_pool(r);
	if (slurm_args_use_stdout((const char *const *)r->cmd.argv + 1))
		return aura_error_set(err, AURA_E_SLURM_STDOUT,
				      "pool %s runs FFmpeg through srun, whose stdout carries the "
				      "progress",
				      p->name);
	free(r->slurm_name);
	r->slurm_name = slurm_job_name(r->e->server_id, r->job.id, r->job.attempts);
	int rc = slurm_srun_argv(p, r->slurm_name, r->cwd, ffmpeg,
				 (const char *const *)r->cmd.argv + 1, argv, err);
	if (rc < 0)
		return rc;
	r->slurm_pool = p;
	r->slurm_fail = 0;
	free(r->slurm_fail_line);
	r->slurm_fail_line = NULL;
	r->slurm_waiting = false;
	return 0;
}

static void set_cluster_id(struct run *r, int64_t id)
{
	char s[32];
	snprintf(s, sizeof(s), "%lld", (long long)id);
	if (!r->job.cluster_id || strcmp(r->job.cluster_id, s) != 0) {
		set_str(&r->job.cluster_id, s);
		run_logf(r, "Slurm job %s (%s)", s, r->slurm_name);
		if (r->slurm_paused) /* a pause asked before the id was known */
			scancel(r->e, r->slurm_pool, "STOP", s, NULL, true);
	}
}

bool run_slurm_line(struct run *r, const char *line)
{
	int64_t id = -1;
	enum slurm_line k = slurm_line_classify(line, &id);
	struct job *j = &r->job;
	switch (k) {
	case SLURM_LINE_NONE:
		return false;
	case SLURM_LINE_QUEUED:
		set_cluster_id(r, id);
		r->slurm_waiting = true;
		set_str(&j->substate, SUBSTATE_WAITING);
		loop_timer_del(r->e->loop, r->stall_timer);
		r->stall_timer = 0;
		job_persist(r->e, j);
		break;
	case SLURM_LINE_ALLOCATED:
	case SLURM_LINE_JOBID:
		set_cluster_id(r, id);
		if (r->slurm_waiting || j->substate) {
			r->slurm_waiting = false;
			set_str(&j->substate, NULL);
			progress_tracker_rebase(&r->tracker, time_mono_ms());
			stall_arm(r);
		}
		job_persist(r->e, j);
		break;
	default: {
		int code = slurm_line_code(k);
		/* the first failure named wins, but a node failure or a time
		 * limit outranks what follows from it */
		if (code && (!r->slurm_fail || code == AURA_E_SLURM_NODE_FAILURE ||
			     code == AURA_E_SLURM_TIME_LIMIT)) {
			if (r->slurm_fail != AURA_E_SLURM_NODE_FAILURE &&
			    r->slurm_fail != AURA_E_SLURM_TIME_LIMIT) {
				r->slurm_fail = code;
				set_str(&r->slurm_fail_line, line);
			}
		}
		break;
	}
	}
	return true;
}

int run_slurm_exit(struct run *r, bool ok, char **detail)
{
	struct job *j = &r->job;
	const struct pool_config *p = r->slurm_pool;
	if (!ok || r->stop != STOP_NONE || r->slurm_fail)
		/* make sure the Slurm job is gone (by name: a job still
		 * waiting for resources has an id we may not have heard) */
		scancel(r->e, p, NULL, NULL, r->slurm_name, false);
	set_str(&j->cluster_id, NULL);
	set_str(&j->substate, NULL);
	r->slurm_pool = NULL;
	r->slurm_waiting = false;
	r->slurm_paused = false;
	loop_timer_del(r->e->loop, r->scancel_timer);
	r->scancel_timer = 0;
	int code = r->slurm_fail;
	*detail = r->slurm_fail_line;
	r->slurm_fail_line = NULL;
	r->slurm_fail = 0;
	return code;
}

static void scancel_fire(struct loop *l, void *ctx)
{
	struct run *r = ctx;
	(void)l;
	r->scancel_timer = 0;
	if (!r->slurm_pool)
		return;
	run_logf(r, "scancel of the Slurm job %s",
		 r->job.cluster_id ? r->job.cluster_id : r->slurm_name);
	scancel(r->e, r->slurm_pool, NULL, r->job.cluster_id, r->slurm_name, false);
}

void run_slurm_stop(struct run *r, int quit_ms, int term_ms)
{
	if (!r->slurm_pool || r->scancel_timer)
		return;
	if (r->slurm_paused && r->job.cluster_id) {
		/* the remote FFmpeg must run to read the q */
		scancel(r->e, r->slurm_pool, "CONT", r->job.cluster_id, NULL, true);
		r->slurm_paused = false;
	}
	/* between SIGTERM (at quit_ms) and SIGKILL (at quit_ms + term_ms) */
	r->scancel_timer = loop_timer_add(r->e->loop, quit_ms + term_ms / 2, scancel_fire, r);
}

void run_slurm_free(struct run *r)
{
	loop_timer_del(r->e->loop, r->scancel_timer);
	r->scancel_timer = 0;
	free(r->slurm_name);
	free(r->slurm_fail_line);
}

int run_slurm_pause(struct run *r, bool pause)
{
	if (!r->slurm_pool)
		return 1; /* not a Slurm run: the caller pauses the child */
	r->slurm_paused = pause;
	if (r->job.cluster_id)
		scancel(r->e, r->slurm_pool, pause ? "STOP" : "CONT", r->job.cluster_id, NULL,
			true);
	/* else: the STOP goes out when the id is heard (set_cluster_id) */
	return 0;
}

/* --- start: no stray job of this server ---------------------------------------- */

static bool name_owned(struct engine *e, const char *name)
{
	for (struct run *r = e->runs; r; r = r->next)
		if (r->slurm_name && strcmp(r->slurm_name, name) == 0)
			return true;
	return false;
}

static void sweep_done(struct engine *e, int status, const char *out, void *arg)
{
	const struct pool_config *p = arg;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_warn("engine: cannot list the Slurm jobs of pool %s", p->name);
		return;
	}
	char *prefix = xasprintf("aura-%s-", e->server_id);
	int n = 0;
	const char *s = out;
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		char *line = xasprintf("%.*s", (int)len, s);
		char *bar = strchr(line, '|');
		if (bar) {
			*bar = '\0';
			const char *name = bar + 1;
			if (str_starts_with(name, prefix) && !name_owned(e, name)) {
				log_info("engine: cancelling Slurm job %s (%s): no run of this "
					 "server owns it",
					 line, name);
				scancel(e, p, NULL, line, NULL, false);
				n++;
			}
		}
		free(line);
		s += len;
		if (*s == '\n')
			s++;
	}
	log_info("engine: pool %s: %d stray Slurm job%s of server %s cancelled", p->name, n,
		 n == 1 ? "" : "s", e->server_id);
	free(prefix);
}

static void sweep_fire(struct loop *l, void *ctx)
{
	struct engine *e = ctx;
	(void)l;
	e->sweep_timer = 0;
	for (size_t i = 0; i < config_pool_count(e->cfg); i++) {
		const struct pool_config *p = config_pool_at(e->cfg, i);
		if (p->executor != POOL_SLURM)
			continue;
		bool seen = false; /* one listing per squeue program */
		for (size_t k = 0; k < i && !seen; k++) {
			const struct pool_config *q = config_pool_at(e->cfg, k);
			seen = q->executor == POOL_SLURM &&
			       ((!q->srun && !p->srun) ||
				(q->srun && p->srun && !strcmp(q->srun, p->srun)));
		}
		if (seen)
			continue;
		char *prog = slurm_program(p, "squeue");
		const char *argv[] = { prog, "--me", "--noheader", "--format=%i|%j", NULL };
		slurm_child(e, argv, sweep_done, (void *)p);
		free(prog);
	}
}

void slurm_sweep_start(struct engine *e)
{
	bool any = false;
	for (size_t i = 0; i < config_pool_count(e->cfg); i++)
		any = any || config_pool_at(e->cfg, i)->executor == POOL_SLURM;
	if (any)
		e->sweep_timer = loop_timer_add(e->loop, 0, sweep_fire, e);
}
