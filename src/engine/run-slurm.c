/*
 * run-slurm.c -- the Slurm executor's processes: a pool-work command of a
 * job in a Slurm pool runs as an srun child (run-cmd.c spawns it like a
 * local FFmpeg; the command line is slurm.c's), srun's own stderr lines set
 * the job's substate and cluster_id and name its failures, the stop
 * sequence gets its scancel between SIGTERM and SIGKILL; each lane of a
 * run's parallel commands is its own srun and Slurm job (NAME-lTAG), pause/resume go
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

/* --- a lane's srun ------------------------------------------------------------- */

const struct pool_config *run_slurm_pool(const struct run *r, const struct task_cmd *cmd)
{
	if (!cmd->pool_work || !cmd->ffmpeg || cmd->step.start)
		return NULL;
	const struct pool_config *p = config_pool(r->e->cfg, r->job.pool);
	return p && p->executor == POOL_SLURM ? p : NULL;
}

int run_slurm_argv(struct lane *l, const char *ffmpeg, char ***argv, struct aura_error *err)
{
	struct run *r = l->r;
	const struct pool_config *p = run_slurm_pool(r, &l->cmd);
	if (slurm_args_use_stdout((const char *const *)l->cmd.argv + 1))
		return aura_error_set(err, AURA_E_SLURM_STDOUT,
				      "pool %s runs FFmpeg through srun, whose stdout carries the "
				      "progress",
				      p->name);
	if (!l->slurm_name)
		r->nlanes_local--; /* a Slurm lane from now on */
	free(l->slurm_name);
	char *name = slurm_job_name(r->e->server_id, r->job.id, r->job.attempts);
	if (l->cmd.parallel) { /* one Slurm job per lane, still this server's */
		l->slurm_name = xasprintf("%s-l%d", name, l->cmd.tag);
		free(name);
	} else {
		l->slurm_name = name;
	}
	int rc = slurm_srun_argv(p, l->slurm_name, r->cwd, ffmpeg,
				 (const char *const *)l->cmd.argv + 1, argv, err);
	if (rc < 0)
		return rc;
	l->slurm_pool = p;
	l->slurm_fail = 0;
	free(l->slurm_fail_line);
	l->slurm_fail_line = NULL;
	l->slurm_waiting = false;
	return 0;
}

/* The job shows its first Slurm lane's id and waiting state. */
static const struct lane *first_slurm_lane(const struct run *r)
{
	const struct lane *first = NULL;
	for (const struct lane *l = r->lanes; l; l = l->next)
		if (l->slurm_pool)
			first = l; /* newest first */
	return first;
}

static void show_slurm_state(struct run *r)
{
	const struct lane *f = first_slurm_lane(r);
	set_str(&r->job.cluster_id, f ? f->cluster_id : NULL);
	set_str(&r->job.substate, f && f->slurm_waiting ? SUBSTATE_WAITING : NULL);
}

static void set_cluster_id(struct lane *l, int64_t id)
{
	struct run *r = l->r;
	char s[32];
	snprintf(s, sizeof(s), "%lld", (long long)id);
	if (!l->cluster_id || strcmp(l->cluster_id, s) != 0) {
		set_str(&l->cluster_id, s);
		run_logf(r, "Slurm job %s (%s)", s, l->slurm_name);
		if (l->slurm_paused) /* a pause asked before the id was known */
			scancel(r->e, l->slurm_pool, "STOP", s, NULL, true);
	}
}

bool run_slurm_line(struct lane *l, const char *line)
{
	struct run *r = l->r;
	int64_t id = -1;
	enum slurm_line k = slurm_line_classify(line, &id);
	switch (k) {
	case SLURM_LINE_NONE:
		return false;
	case SLURM_LINE_QUEUED:
		set_cluster_id(l, id);
		l->slurm_waiting = true;
		loop_timer_del(r->e->loop, l->stall_timer);
		l->stall_timer = 0;
		show_slurm_state(r);
		job_persist(r->e, &r->job);
		break;
	case SLURM_LINE_ALLOCATED:
	case SLURM_LINE_JOBID:
		set_cluster_id(l, id);
		if (l->slurm_waiting) {
			l->slurm_waiting = false;
			progress_tracker_rebase(&l->tracker, time_mono_ms());
			stall_arm(l);
		}
		show_slurm_state(r);
		job_persist(r->e, &r->job);
		break;
	default: {
		int code = slurm_line_code(k);
		/* the first failure named wins, but a node failure or a time
		 * limit outranks what follows from it */
		if (code && (!l->slurm_fail || code == AURA_E_SLURM_NODE_FAILURE ||
			     code == AURA_E_SLURM_TIME_LIMIT)) {
			if (l->slurm_fail != AURA_E_SLURM_NODE_FAILURE &&
			    l->slurm_fail != AURA_E_SLURM_TIME_LIMIT) {
				l->slurm_fail = code;
				set_str(&l->slurm_fail_line, line);
			}
		}
		break;
	}
	}
	return true;
}

int run_slurm_exit(struct lane *l, bool ok, char **detail)
{
	struct run *r = l->r;
	const struct pool_config *p = l->slurm_pool;
	if (!ok || r->stop != STOP_NONE || l->slurm_fail)
		/* make sure the Slurm job is gone (by name: a job still
		 * waiting for resources has an id we may not have heard) */
		scancel(r->e, p, NULL, NULL, l->slurm_name, false);
	l->slurm_pool = NULL;
	l->slurm_waiting = false;
	l->slurm_paused = false;
	set_str(&l->cluster_id, NULL);
	show_slurm_state(r);
	loop_timer_del(r->e->loop, l->scancel_timer);
	l->scancel_timer = 0;
	int code = l->slurm_fail;
	*detail = l->slurm_fail_line;
	l->slurm_fail_line = NULL;
	l->slurm_fail = 0;
	return code;
}

static void scancel_fire(struct loop *lp, void *ctx)
{
	struct lane *l = ctx;
	struct run *r = l->r;
	(void)lp;
	l->scancel_timer = 0;
	if (!l->slurm_pool)
		return;
	run_logf(r, "scancel of the Slurm job %s", l->cluster_id ? l->cluster_id : l->slurm_name);
	scancel(r->e, l->slurm_pool, NULL, l->cluster_id, l->slurm_name, false);
}

void run_slurm_stop(struct lane *l, int quit_ms, int term_ms)
{
	if (!l->slurm_pool || l->scancel_timer)
		return;
	if (l->slurm_paused && l->cluster_id) {
		/* the remote FFmpeg must run to read the q */
		scancel(l->r->e, l->slurm_pool, "CONT", l->cluster_id, NULL, true);
		l->slurm_paused = false;
	}
	/* between SIGTERM (at quit_ms) and SIGKILL (at quit_ms + term_ms) */
	l->scancel_timer = loop_timer_add(l->r->e->loop, quit_ms + term_ms / 2, scancel_fire, l);
}

void run_slurm_free(struct lane *l)
{
	loop_timer_del(l->r->e->loop, l->scancel_timer);
	l->scancel_timer = 0;
	free(l->slurm_name);
	free(l->cluster_id);
	free(l->slurm_fail_line);
}

int run_slurm_pause(struct lane *l, bool pause)
{
	if (!l->slurm_pool)
		return 1; /* not a Slurm lane: the caller pauses the child */
	l->slurm_paused = pause;
	if (l->cluster_id)
		scancel(l->r->e, l->slurm_pool, pause ? "STOP" : "CONT", l->cluster_id, NULL, true);
	/* else: the STOP goes out when the id is heard (set_cluster_id) */
	return 0;
}

/* --- start: no stray job of this server ---------------------------------------- */

static bool name_owned(struct engine *e, const char *name)
{
	for (struct run *r = e->runs; r; r = r->next)
		for (struct lane *l = r->lanes; l; l = l->next)
			if (l->slurm_name && strcmp(l->slurm_name, name) == 0)
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
