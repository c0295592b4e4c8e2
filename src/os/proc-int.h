/*
 * proc-int.h -- what the parts of os/proc share and nothing else includes:
 * struct proc, the registry of procs not yet finished, the limits, and the
 * calls one part makes into another (proc.c spawns, execs and reaps;
 * proc-io.c reads the pipes and feeds stdin; proc-stop.c runs the stop
 * sequence and pause; proc-strays.c stops what finished runs left behind).
 */
#ifndef AURA_PROC_INT_H
#define AURA_PROC_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/util.h"
#include "os/proc.h"

struct loop;

/* Reads per readiness: enough to drain a full pipe many times over, few
 * enough that a child writing flat out cannot starve the other fds. poll()
 * is level-triggered, so what is left is read on the very next turn. */
#define PROC_READS_PER_TURN 16
/* After SIGKILL: how often it is repeated while the leader is not dead yet
 * (uninterruptible sleep); once it was reaped the exit grace below ends
 * the wait for EOF first. */
#define PROC_LINGER_MS 2000
/* After the leader was reaped: how long its output pipes may stay open,
 * held by something it left behind (a background grandchild, setsid or
 * not), before the run is over without their EOF. What the leader wrote
 * was in the pipes when it exited, and the loop reads it in the many turns
 * of this grace; only what the leftovers write after is cut. */
#define PROC_EXIT_GRACE_MS 500
/* What a finished run left behind gets SIGTERM (and SIGCONT), then SIGKILL
 * after this long. */
#define PROC_STRAY_TERM_MS 2000
/* A stderr read of this much or more is a child logging flat out: from
 * then on it is read as fast as it writes, never held (the hold is for
 * bursts of small writes). The held pipe is made this big, so a child
 * waits on it at most once. */
#define PROC_HOLD_MAX_BYTES 16384
#define PROC_HELD_PIPE_SIZE (1 << 20)

enum proc_step { STEP_NONE, STEP_QUIT, STEP_TERM, STEP_KILL };

/* What a child that failed before exec reports on the status pipe. */
enum child_stage { CHILD_PDEATHSIG, CHILD_FDS, CHILD_CHDIR, CHILD_EXEC };
struct child_report {
	int stage;
	int err;
};

struct proc {
	struct proc *next; /* the registry of procs not yet finished */
	struct loop *loop;
	const struct proc_ops *ops;
	void *ctx;
	pid_t pid; /* also the pgid */

	int in_fd;	    /* our end of the stdin pipe, -1 if none or closed */
	struct buf in_buf;  /* what the pipe did not take yet */
	bool in_closing;    /* close stdin once in_buf is written */
	int out_fd[3];	    /* our ends of stdout, stderr, fd 3; -1 after EOF */
	int err_hold_ms;    /* spec->stderr_hold_ms */
	uint64_t err_timer; /* stderr is unwatched until it fires */
	bool err_flood;	    /* it wrote a lot at once: never held again */

	bool exited; /* the status was reaped */
	int status;
	int64_t cpu_ms; /* its user + system CPU time, once reaped by proc_reap_all */
	bool paused;

	enum proc_step step;
	int64_t step_start;
	int64_t stop_start;	  /* when proc_stop began the sequence */
	enum proc_step exit_step; /* the step it had reached when reaped */
	int64_t exit_after_ms;	  /* how long after stop_start it was reaped */
	int quit_grace, term_grace;
	uint64_t timer;
	uint64_t grace_timer; /* PROC_EXIT_GRACE_MS after the exit, pipes still open */

	bool in_data_cb;  /* a data callback is on the stack: do not free */
	bool abandoned;	  /* freed by the data callback's caller */
	bool finishing;	  /* on_exit is running */
	bool private_run; /* proc_run's: no strays scan, its group killed at the end */
};

/* The registry of procs not yet finished (proc.c). */
extern struct proc *procs;

/* proc.c */
void proc_close_fd(struct proc *p, int *fd);
void proc_close_stdin_now(struct proc *p);
void proc_maybe_finish(struct proc *p); /* the exit+EOF rule; may free p */
void proc_force_eof(struct proc *p);
/* Hand a reaped status to p (the exit grace, the exit+EOF rule). May free p. */
void proc_reaped(struct proc *p, int status);
char **proc_build_env(const char *const *add); /* free the array only */
/* In a child before exec: close every fd from first on (async-signal-safe). */
void proc_close_from(int first, long maxfd);

/* proc-io.c */
void proc_on_output(struct loop *l, int fd, int revents, void *ctx);
void proc_on_stdin(struct loop *l, int fd, int revents, void *ctx);

/* proc-strays.c */
void strays_collect(struct loop *l, pid_t pgid);
void strays_after_reap(bool unknown);

#endif
