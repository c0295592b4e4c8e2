/*
 * run-lanes.c -- which of a task's commands start when. A command that is
 * not parallel runs alone, as it always did; parallel ones (task.h) start
 * one after the other while the run has a lane free: the local lanes
 * ([server] lanes, else the online CPUs) for children here, the pool's
 * slots for pool work in a Slurm pool, each its own srun. next() is asked
 * again after each done(); TASK_WAIT waits for a lane to end; a command
 * that does not fit is held until one does. Nothing starts while the job
 * is paused or being stopped.
 *
 * Must never: start a command beside a non-parallel one, or ask next()
 * while the job is paused.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine-int.h"
#include "os/loop.h"
#include "os/proc.h"

int run_online_cpus(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	return cpus > 0 ? (int)cpus : 1;
}

void run_lanes_init(struct run *r)
{
	struct engine *e = r->e;
	int n = e->cfg->lanes;
	if (n <= 0)
		n = run_online_cpus();
	r->lanes_local_max = n;
	const struct pool_config *p = config_pool(e->cfg, r->job.pool);
	r->lanes_slurm_max = p && p->executor == POOL_SLURM ? pool_limit(e, p) : 0;
	if (r->lanes_slurm_max < 1 && p && p->executor == POOL_SLURM)
		r->lanes_slurm_max = 1;
}

/* A non-parallel command runs alone. */
static bool lanes_parallel(const struct run *r)
{
	for (const struct lane *l = r->lanes; l; l = l->next)
		if (!l->cmd.parallel)
			return false;
	return true;
}

/* Command c can start now. */
static bool lane_fits(const struct run *r, const struct task_cmd *c)
{
	if (r->nlanes == 0)
		return true;
	if (!c->parallel || !lanes_parallel(r))
		return false;
	if (run_slurm_pool(r, c))
		return r->nlanes - r->nlanes_local < r->lanes_slurm_max;
	return r->nlanes_local < r->lanes_local_max;
}

/* Some command could start now: next() may be asked. */
static bool lane_open(const struct run *r)
{
	if (r->nlanes == 0)
		return true;
	if (!lanes_parallel(r))
		return false;
	return r->nlanes_local < r->lanes_local_max ||
	       r->nlanes - r->nlanes_local < r->lanes_slurm_max;
}

/* Start c (moved into its lane): 1 if another may start beside it, 0 if
 * not, -1 if the job failed (r may be gone). */
static int cmd_start(struct run *r, struct task_cmd *c)
{
	struct job *j = &r->job;
	if (c->stage && (!j->stage || strcmp(c->stage, j->stage) != 0)) {
		set_str(&j->stage, c->stage);
		run_logf(r, "stage: %s", j->stage);
	}
	/* a new group of progress: a command alone, or parallel ones with
	 * another start than the group running */
	if (!c->parallel || !r->group_parallel || c->weight_start != r->group_start) {
		r->group_parallel = c->parallel;
		r->group_start = c->weight_start;
		r->group_done = 0;
		r->group_out_us = 0;
	}
	if (c->weight_start > j->progress && c->weight_start < 1.0)
		j->progress = c->weight_start;
	bool parallel = c->parallel;
	struct aura_error err = { 0 };
	int rc = lane_start(r, c, &err);
	if (rc < 0) {
		run_fail_lanes(r, -rc, err.detail);
		return -1;
	}
	return parallel ? 1 : 0;
}

void run_advance(struct run *r)
{
	struct job *j = &r->job;
	if (r->stop != STOP_NONE)
		return;
	if (j->state == JOB_PAUSED) {
		r->advance_held = true; /* resume asks again */
		return;
	}
	r->advance_held = false;
	for (;;) {
		if (r->has_held) {
			if (!lane_fits(r, &r->held))
				return;
			struct task_cmd c = r->held;
			memset(&r->held, 0, sizeof(r->held));
			r->has_held = false;
			if (cmd_start(r, &c) <= 0)
				return;
			continue;
		}
		if (!lane_open(r))
			return;
		struct task_cmd c = { 0 };
		struct aura_error err = { 0 };
		int rc = r->task.ops->next(r->task.impl, j, &c, &err);
		if (rc != TASK_RUN)
			task_cmd_clear(&c);
		if (rc == TASK_FINISHED) {
			if (r->nlanes > 0)
				run_fail_lanes(r, AURA_E_INTERNAL,
					       "the task finished while its commands run");
			else
				run_succeed(r);
			return;
		}
		if (rc < 0) {
			run_fail_lanes(r, -rc, err.detail);
			return;
		}
		if (rc == TASK_WAIT) {
			/* nothing of the job runs that could end */
			if (r->nlanes == 0)
				run_fail(r, AURA_E_INTERNAL,
					 "the task waits with no command running");
			return;
		}
		if (!lane_fits(r, &c)) {
			r->held = c;
			r->has_held = true;
			return;
		}
		if (cmd_start(r, &c) <= 0)
			return;
	}
}

static void advance_fire(struct loop *lp, void *ctx)
{
	struct run *r = ctx;
	(void)lp;
	r->advance_timer = 0;
	run_advance(r);
}

void run_advance_later(struct run *r)
{
	loop_timer_del(r->e->loop, r->advance_timer);
	r->advance_timer = loop_timer_add(r->e->loop, 0, advance_fire, r);
}

static int lane_pause(struct lane *l, bool pause)
{
	if (!l->proc || run_slurm_pause(l, pause) == 0)
		return 0;
	return pause ? proc_pause(l->proc) : proc_resume(l->proc);
}

int lanes_pause(struct run *r, bool pause)
{
	for (struct lane *l = r->lanes; l; l = l->next) {
		if (lane_pause(l, pause) == 0)
			continue;
		int saved = errno;
		if (pause) /* undo: the job goes on running */
			for (struct lane *k = r->lanes; k != l; k = k->next)
				lane_pause(k, false);
		errno = saved;
		return -1;
	}
	if (pause) {
		for (struct lane *l = r->lanes; l; l = l->next) {
			loop_timer_del(r->e->loop, l->stall_timer);
			l->stall_timer = 0;
		}
	}
	return 0;
}
