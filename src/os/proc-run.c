/*
 * proc-run.c -- a bounded synchronous run (proc_run) for doctor and setup:
 * one child on a private loop, its output captured up to a cap, the stop
 * sequence at the deadline, and a hard bound past which it is abandoned;
 * and a bounded wait for any process to exit (proc_wait_gone: the CLI
 * waiting for a server it asked to stop).
 *
 * Must never: wait without a bound, reap a child that is not its own
 * (waitpid(pid), never -1), or look for strays (a client's other children
 * are none of its business).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "os/loop.h"
#include "os/proc-int.h"
#include "os/proc.h"
#include "base/util.h"

#define RUN_DEADLINE_MS	  10000
#define RUN_TERM_GRACE_MS 1000
/* No SIGCHLD reaches us here: the child's pidfd wakes the loop when it
 * exits, and waitpid(pid, WNOHANG) after each turn reaps it. Only on a
 * kernel without pidfd_open (before 5.3) does a turn sleep at most this
 * long instead. */
#define RUN_TICK_MS 20
/* Past the stop sequence: SIGKILL's linger and the exit grace, then give up. */
#define RUN_HARD_EXTRA_MS 1500

struct run {
	const struct proc_run_spec *spec;
	struct proc_run_result *res;
	struct proc *p;
	bool done;
};

/* The child exited: this turn's waitpid reaps it. One-shot (a pidfd stays
 * readable). */
static void run_on_pidfd(struct loop *l, int fd, int revents, void *ctx)
{
	(void)revents;
	(void)ctx;
	loop_fd_del(l, fd);
}

static void run_keep(struct buf *b, size_t cap, const char *data, size_t n)
{
	if (b->len < cap)
		buf_append(b, data, n < cap - b->len ? n : cap - b->len);
}

static void run_on_stdout(void *ctx, const char *data, size_t n)
{
	struct run *r = ctx;
	run_keep(&r->res->out, r->spec->out_cap, data, n);
}

static void run_on_stderr(void *ctx, const char *data, size_t n)
{
	struct run *r = ctx;
	run_keep(&r->res->err, r->spec->err_cap, data, n);
}

static void run_on_exit(void *ctx, int status)
{
	struct run *r = ctx;
	r->res->status = status;
	r->res->stopped_by = proc_stop_step(r->p, NULL);
	r->done = true;
}

static const struct proc_ops run_ops = {
	.on_stdout = run_on_stdout,
	.on_stderr = run_on_stderr,
	.on_exit = run_on_exit,
};

int proc_run(const struct proc_run_spec *spec, struct proc_run_result *res, struct aura_error *err)
{
	buf_init(&res->out);
	buf_init(&res->err);
	res->status = 0;
	res->timed_out = false;
	res->stopped_by = PROC_STOP_NONE;
	int deadline_ms = spec->deadline_ms > 0 ? spec->deadline_ms : RUN_DEADLINE_MS;
	int grace_ms = spec->term_grace_ms > 0 ? spec->term_grace_ms : RUN_TERM_GRACE_MS;

	struct loop *l = loop_new();
	struct run r = { spec, res, NULL, false };
	struct proc_spec ps = { .argv = spec->argv, .stdin_mode = PROC_STDIN_NULL };
	struct proc *p = proc_spawn(l, &ps, &run_ops, &r, err);
	if (!p) {
		loop_free(l);
		return -AURA_E_SPAWN_FAILED;
	}
	p->private_run = true;
	r.p = p;
	pid_t pid = p->pid;
	int pidfd = -1;
#ifdef SYS_pidfd_open
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd >= 0 && loop_fd_add(l, pidfd, LOOP_READ, run_on_pidfd, &r) < 0) {
		close(pidfd);
		pidfd = -1;
	}
#endif
	int64_t start = time_mono_ms();
	int64_t deadline = start + deadline_ms;
	int64_t hard = deadline + grace_ms + RUN_HARD_EXTRA_MS;
	while (!r.done) {
		int64_t now = time_mono_ms();
		if (now >= hard) {
			proc_abandon(p); /* SIGKILLed; reaped below if it is dead by then */
			res->timed_out = true;
			res->stopped_by = PROC_STOP_KILL;
			res->status = SIGKILL; /* as WIFSIGNALED(SIGKILL) */
			waitpid(pid, NULL, WNOHANG);
			break;
		}
		if (now >= deadline && !res->timed_out) {
			res->timed_out = true;
			proc_stop(p, 0, grace_ms); /* may finish p: r.done */
			continue;
		}
		if (!p->exited) {
			int st;
			pid_t w = waitpid(pid, &st, WNOHANG);
			if (w == pid) {
				proc_reaped(p, st); /* may finish p: r.done */
				if (r.done)
					break;
			}
		}
		int64_t wait = (res->timed_out ? hard : deadline) - time_mono_ms();
		if (!p->exited && pidfd < 0 && wait > RUN_TICK_MS)
			wait = RUN_TICK_MS;
		if (loop_run_once(l, wait > 0 ? wait : 0) < 0 && errno != EINTR) {
			proc_abandon(p); /* poll() failed: no way to watch it */
			res->status = SIGKILL;
			waitpid(pid, NULL, WNOHANG);
			break;
		}
	}
	loop_free(l);
	if (pidfd >= 0)
		close(pidfd);
	return 0;
}

/* Wakes proc_wait_until's loop: the process exited (a pidfd stays readable). */
static void until_on_pidfd(struct loop *l, int fd, int revents, void *ctx)
{
	(void)revents;
	*(bool *)ctx = true;
	loop_fd_del(l, fd);
}

bool proc_wait_until(pid_t pid, int64_t timeout_ms, bool (*done)(pid_t, void *), void *ctx)
{
	if (done(pid, ctx))
		return true;
	struct loop *l = loop_new();
	bool exited = false;
	int pidfd = -1;
#ifdef SYS_pidfd_open
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd >= 0 && loop_fd_add(l, pidfd, LOOP_READ, until_on_pidfd, &exited) < 0) {
		close(pidfd);
		pidfd = -1;
	}
#endif
	int64_t deadline = time_mono_ms() + timeout_ms;
	bool ok;
	while (!(ok = done(pid, ctx))) {
		int64_t wait = deadline - time_mono_ms();
		if (wait <= 0)
			break;
		/* Until it exits its pidfd wakes us; then (or without one)
		 * what done() looks for (a reaping) has no event: look each tick. */
		if ((exited || pidfd < 0) && wait > RUN_TICK_MS)
			wait = RUN_TICK_MS;
		if (loop_run_once(l, wait) < 0 && errno != EINTR)
			break;
	}
	if (pidfd >= 0)
		close(pidfd);
	loop_free(l);
	return ok;
}

/* Gone: exited and reaped by its parent (kill -0 fails). */
static bool gone(pid_t pid, void *ctx)
{
	(void)ctx;
	return kill(pid, 0) < 0 && errno != EPERM;
}

bool proc_wait_gone(pid_t pid, int64_t timeout_ms)
{
	return proc_wait_until(pid, timeout_ms, gone, NULL);
}
