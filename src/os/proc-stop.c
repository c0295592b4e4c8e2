/*
 * proc-stop.c -- the stop escalation "q" -> SIGTERM -> SIGKILL aimed at a
 * proc's whole group, with its graces and their shortening, the step that
 * ended a child, and pause/resume.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>

#include "os/loop.h"
#include "os/proc-int.h"
#include "os/proc.h"
#include "base/util.h"

/* --- stop, pause ------------------------------------------------------------- */

static void proc_on_timer(struct loop *l, void *ctx);

static void proc_arm(struct proc *p, int64_t ms)
{
	loop_timer_del(p->loop, p->timer);
	p->timer = loop_timer_add(p->loop, ms, proc_on_timer, p);
}

/* Signal the group. Returns false when it has no member left and the
 * leader was reaped: then p is finished (freed) and must not be touched. */
static bool proc_kill_group(struct proc *p, int signo)
{
	if (kill(-p->pid, signo) == 0 || errno != ESRCH || !p->exited)
		return true;
	proc_force_eof(p);
	return false;
}

/* Enter a step of the stop sequence; a step with no grace is passed
 * through at once. May free p. */
static void proc_step(struct proc *p, enum proc_step step)
{
	for (;;) {
		p->step = step;
		p->step_start = time_mono_ms();
		if (step == STEP_QUIT) {
			if (p->quit_grace > 0) {
				if (p->paused && !proc_kill_group(p, SIGCONT))
					return;
				p->paused = false;
				if (proc_write_stdin(p, "q\n", 2) == 0) {
					proc_arm(p, p->quit_grace);
					return;
				}
			}
			step = STEP_TERM;
		} else if (step == STEP_TERM) {
			if (!proc_kill_group(p, SIGTERM))
				return;
			/* A stopped process keeps SIGTERM pending until continued. */
			kill(-p->pid, SIGCONT);
			p->paused = false;
			if (p->term_grace > 0) {
				proc_arm(p, p->term_grace);
				return;
			}
			step = STEP_KILL;
		} else {
			if (!proc_kill_group(p, SIGKILL))
				return;
			proc_arm(p, PROC_LINGER_MS);
			return;
		}
	}
}

static void proc_on_timer(struct loop *l, void *ctx)
{
	struct proc *p = ctx;
	p->timer = 0;
	if (p->step == STEP_QUIT) {
		proc_step(p, STEP_TERM);
	} else if (p->step == STEP_TERM) {
		proc_step(p, STEP_KILL);
	} else if (p->exited) {
		proc_force_eof(p); /* SIGKILLed long ago: whoever holds the pipes is not ours */
	} else {
		/* Not dead yet (uninterruptible sleep): keep insisting. */
		kill(-p->pid, SIGKILL);
		proc_arm(p, PROC_LINGER_MS);
	}
}

void proc_stop(struct proc *p, int quit_grace_ms, int term_grace_ms)
{
	if (!p || p->finishing || p->abandoned)
		return;
	if (quit_grace_ms < 0)
		quit_grace_ms = 0;
	if (term_grace_ms < 0)
		term_grace_ms = 0;
	if (p->step == STEP_NONE) {
		p->quit_grace = quit_grace_ms;
		p->term_grace = term_grace_ms;
		p->stop_start = time_mono_ms();
		/* "q" is for the leader: once it is gone, only its group is left. */
		proc_step(p, p->in_fd >= 0 && !p->in_closing && !p->exited ? STEP_QUIT : STEP_TERM);
		return;
	}
	bool shorter = false;
	if (quit_grace_ms < p->quit_grace) {
		p->quit_grace = quit_grace_ms;
		shorter |= p->step == STEP_QUIT;
	}
	if (term_grace_ms < p->term_grace) {
		p->term_grace = term_grace_ms;
		shorter |= p->step == STEP_TERM;
	}
	if (!shorter)
		return;
	int grace = p->step == STEP_QUIT ? p->quit_grace : p->term_grace;
	int64_t left = p->step_start + grace - time_mono_ms();
	if (left > 0)
		proc_arm(p, left);
	else
		proc_step(p, p->step == STEP_QUIT ? STEP_TERM : STEP_KILL);
}

bool proc_is_stopping(const struct proc *p)
{
	return p && p->step != STEP_NONE;
}

enum proc_stop_step proc_stop_step(const struct proc *p, int64_t *after_ms)
{
	if (after_ms)
		*after_ms = p && p->exited ? p->exit_after_ms : 0;
	if (!p || !p->exited)
		return PROC_STOP_NONE;
	switch (p->exit_step) {
	case STEP_QUIT:
		return PROC_STOP_QUIT;
	case STEP_TERM:
		return PROC_STOP_TERM;
	case STEP_KILL:
		return PROC_STOP_KILL;
	case STEP_NONE:
		break;
	}
	return PROC_STOP_NONE;
}

const char *proc_stop_step_name(enum proc_stop_step s)
{
	switch (s) {
	case PROC_STOP_QUIT:
		return "q";
	case PROC_STOP_TERM:
		return "SIGTERM";
	case PROC_STOP_KILL:
		return "SIGKILL";
	case PROC_STOP_NONE:
		break;
	}
	return "none";
}

int proc_pause(struct proc *p)
{
	if (!p || p->exited || p->finishing) {
		errno = ESRCH;
		return -1;
	}
	if (p->step != STEP_NONE) {
		errno = EBUSY;
		return -1;
	}
	if (kill(-p->pid, SIGSTOP) < 0)
		return -1;
	p->paused = true;
	return 0;
}

int proc_resume(struct proc *p)
{
	if (!p || p->exited || p->finishing) {
		errno = ESRCH;
		return -1;
	}
	if (kill(-p->pid, SIGCONT) < 0)
		return -1;
	p->paused = false;
	return 0;
}

bool proc_is_paused(const struct proc *p)
{
	return p && p->paused;
}
