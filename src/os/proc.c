/*
 * proc.c -- child processes on the loop: vfork/exec with pipes and a status
 * pipe for exec errors, one process group per child, PR_SET_PDEATHSIG,
 * draining of output, buffered stdin, reaping, pause/resume and the stop
 * escalation "q" -> SIGTERM -> SIGKILL aimed at the whole group; the
 * server as a child subreaper, and the stop of what a finished run left
 * behind (its group's other members, orphans re-parented to us).
 *
 * Must never: run a shell, call anything but async-signal-safe functions
 * between fork and exec, free a proc while one of its callbacks is on the
 * stack, signal a group after its proc was freed (except as a stray being
 * stopped, while the group still has members), finish a proc before its
 * exit status and EOF on every output pipe (or the exit grace) were seen,
 * or let a process outlive the run that left it behind.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "os/loop.h"
#include "os/proc.h"
#include "os/sig.h"
#include "base/util.h"

extern char **environ;

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

	int in_fd;	   /* our end of the stdin pipe, -1 if none or closed */
	struct buf in_buf; /* what the pipe did not take yet */
	bool in_closing;   /* close stdin once in_buf is written */
	int out_fd[3];	   /* our ends of stdout, stderr, fd 3; -1 after EOF */
	int err_hold_ms;   /* spec->stderr_hold_ms */
	uint64_t err_timer; /* stderr is unwatched until it fires */
	bool err_flood;	    /* it wrote a lot at once: never held again */

	bool exited; /* the status was reaped */
	int status;
	bool paused;

	enum proc_step step;
	int64_t step_start;
	int64_t stop_start;	 /* when proc_stop began the sequence */
	enum proc_step exit_step; /* the step it had reached when reaped */
	int64_t exit_after_ms;	 /* how long after stop_start it was reaped */
	int quit_grace, term_grace;
	uint64_t timer;
	uint64_t grace_timer; /* PROC_EXIT_GRACE_MS after the exit, pipes still open */

	bool in_data_cb; /* a data callback is on the stack: do not free */
	bool abandoned;	 /* freed by the data callback's caller */
	bool finishing;	 /* on_exit is running */
};

static struct proc *procs;

/*
 * Strays: what finished runs left behind, being stopped. An entry is a
 * process group (a finished leader's pgid whose other members live on;
 * signalled while it has members, so its number cannot have been reused)
 * or one orphan re-parented to us (our child now, so its pid cannot be
 * reused before we reap it).
 */
struct stray {
	pid_t id;
	bool group;
	int64_t kill_at; /* SIGKILL due (time_mono_ms) */
};
static struct {
	struct loop *loop; /* a proc's, while strays are pending; else NULL */
	struct stray *v;
	size_t n, cap;
	uint64_t timer;
} strays;

/* --- the child side (async-signal-safe only) --------------------------------- */

static void __attribute__((noreturn)) child_fail(int status_fd, int stage)
{
	struct child_report r = {stage, errno};
	ssize_t n;
	do
		n = write(status_fd, &r, sizeof(r));
	while (n < 0 && errno == EINTR);
	_exit(127);
}

static void child_close_from(int first, long maxfd)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)first, ~0U, 0) == 0)
		return;
#endif
	for (long fd = first; fd < maxfd; fd++)
		close((int)fd);
}

/*
 * fds[0..3]: what becomes the child's 0..3 (fds[3] -1 if none); fds[4] the
 * status pipe. Every fd the parent had is still open here, with or without
 * CLOEXEC, so everything above 4 is closed explicitly.
 */
static void __attribute__((noreturn))
proc_child(const int parent_fds[5], const struct proc_spec *spec, char **envp, pid_t parent,
	   long maxfd)
{
	/* vfork: this runs on the parent's memory, so the fd numbers are
	 * copied before they change (the parent closes its own list after). */
	int fds[5];
	for (int i = 0; i < 5; i++)
		fds[i] = parent_fds[i];
	sig_child_reset();
	setpgid(0, 0);
	/* Our death (even kill -9) takes the child with it. The check after
	 * covers a parent that died before prctl took effect. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		child_fail(fds[4], CHILD_PDEATHSIG);
	if (getppid() != parent)
		_exit(127);

	/* Lift every fd we need above 4 first, so no dup2 below can clobber
	 * one still to be copied (the parent may have closed its own 0-2). */
	for (int i = 0; i < 5; i++) {
		if (fds[i] >= 0 && fds[i] < 5) {
			int moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 5);
			if (moved < 0)
				child_fail(fds[4], CHILD_FDS);
			fds[i] = moved;
		}
	}
	for (int i = 0; i < 4; i++) {
		if (fds[i] >= 0 && dup2(fds[i], i) < 0)
			child_fail(fds[4], CHILD_FDS);
	}
	/* the output pipes were made non-blocking for the parent's ends */
	for (int i = 1; i < 4; i++) {
		if (fds[i] >= 0 && fcntl(i, F_SETFL, fcntl(i, F_GETFL) & ~O_NONBLOCK) < 0)
			child_fail(fds[4], CHILD_FDS);
	}
	if (dup3(fds[4], 4, O_CLOEXEC) < 0)
		child_fail(fds[4], CHILD_FDS);
	child_close_from(5, maxfd);
	if (fds[3] < 0)
		close(3);

	if (spec->cwd && chdir(spec->cwd) < 0)
		child_fail(4, CHILD_CHDIR);
	execvpe(spec->argv[0], (char *const *)spec->argv, envp);
	child_fail(4, CHILD_EXEC);
}

/*
 * vfork, not fork: the server's page tables are not copied and its pages
 * not made copy-on-write for a child that only sets up fds and execs (the
 * kernel time of fork was most of the server's CPU, doc/performance.md).
 * The child writes only its own frames below this one, then execs or
 * _exits. A function of its own, so nothing of the caller's frame is live
 * across the vfork.
 */
static pid_t __attribute__((noinline))
spawn_child(const int child[5], const struct proc_spec *spec, char **envp, pid_t parent, long maxfd)
{
	pid_t pid = vfork();
	if (pid == 0)
		proc_child(child, spec, envp, parent, maxfd);
	return pid;
}

/* --- the registry, finishing, freeing ---------------------------------------- */

static void strays_collect(struct loop *l, pid_t pgid);

static void proc_unregister(struct proc *p)
{
	for (struct proc **pp = &procs; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			return;
		}
	}
}

static void proc_close_fd(struct proc *p, int *fd)
{
	if (fd == &p->out_fd[1] && p->err_timer) {
		loop_timer_del(p->loop, p->err_timer);
		p->err_timer = 0;
	}
	if (*fd < 0)
		return;
	loop_fd_del(p->loop, *fd);
	close(*fd);
	*fd = -1;
}

static void proc_close_stdin_now(struct proc *p)
{
	proc_close_fd(p, &p->in_fd);
	buf_free(&p->in_buf);
	p->in_closing = false;
}

/* Close everything, cancel the timer, leave the registry. */
static void proc_release(struct proc *p)
{
	loop_timer_del(p->loop, p->timer);
	p->timer = 0;
	loop_timer_del(p->loop, p->grace_timer);
	p->grace_timer = 0;
	proc_close_stdin_now(p);
	for (int i = 0; i < 3; i++)
		proc_close_fd(p, &p->out_fd[i]);
	proc_unregister(p);
}

/* The exit+EOF rule. May free p. */
static void proc_maybe_finish(struct proc *p)
{
	if (!p->exited || p->finishing || p->in_data_cb)
		return;
	for (int i = 0; i < 3; i++)
		if (p->out_fd[i] >= 0)
			return;
	p->finishing = true;
	proc_release(p);
	strays_collect(p->loop, p->pid);
	if (p->ops->on_exit)
		p->ops->on_exit(p->ctx, p->status);
	free(p);
}

/* Stop waiting for EOF: the pipes are held by processes outside our group. */
static void proc_force_eof(struct proc *p)
{
	for (int i = 0; i < 3; i++)
		proc_close_fd(p, &p->out_fd[i]);
	proc_maybe_finish(p);
}

/* --- I/O ------------------------------------------------------------------- */

static void proc_on_output(struct loop *l, int fd, int revents, void *ctx);

/* The hold is over: read what came meanwhile, which holds stderr again if
 * there was any, or watch it once more. May free p. */
static void proc_err_hold_end(struct loop *l, void *ctx)
{
	struct proc *p = ctx;
	p->err_timer = 0;
	loop_fd_set_events(l, p->out_fd[1], LOOP_READ);
	proc_on_output(l, p->out_fd[1], LOOP_READ, p);
}

/* Awake anyway (fd 3 had data): end the hold early, at no extra wake-up. */
static void proc_err_drain(struct proc *p)
{
	loop_timer_del(p->loop, p->err_timer);
	proc_err_hold_end(p->loop, p);
}

/* A child writes its log in many small pieces (FFmpeg: each part of a
 * line): rather than a wake-up for each, stop watching stderr for a while
 * after a read. Never once the child has exited: then its EOF is due. */
static void proc_err_hold(struct proc *p, size_t just_read)
{
	if (just_read >= PROC_HOLD_MAX_BYTES)
		p->err_flood = true;
	if (p->err_hold_ms <= 0 || p->err_flood || p->exited || p->out_fd[1] < 0 ||
	    p->err_timer)
		return;
	loop_fd_set_events(p->loop, p->out_fd[1], 0);
	p->err_timer = loop_timer_add(p->loop, p->err_hold_ms, proc_err_hold_end, p);
}

static void proc_on_output(struct loop *l, int fd, int revents, void *ctx)
{
	static char chunk[65536];
	struct proc *p = ctx;
	int i = fd == p->out_fd[0] ? 0 : fd == p->out_fd[1] ? 1 : 2;
	void (*fns[3])(void *ctx, const char *data, size_t n) = {p->ops->on_stdout,
								 p->ops->on_stderr, p->ops->on_fd3};
	void (*fn)(void *ctx, const char *data, size_t n) = fns[i];

	size_t total = 0;
	for (int round = 0; round < PROC_READS_PER_TURN; round++) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			/* EOF, or a read error: nothing more will come either way. */
			proc_close_fd(p, &p->out_fd[i]);
			proc_maybe_finish(p);
			return;
		}
		total += (size_t)n;
		if (!fn)
			continue;
		p->in_data_cb = true;
		fn(p->ctx, chunk, (size_t)n);
		p->in_data_cb = false;
		if (p->abandoned) {
			free(p);
			return;
		}
		if (p->out_fd[i] != fd) { /* the callback made us give up the pipe */
			proc_maybe_finish(p);
			return;
		}
		/* A short read emptied the pipe: poll() tells when there is
		 * more, without a read that only says EAGAIN. */
		if ((size_t)n < sizeof(chunk))
			break;
	}
	if (i == 1)
		proc_err_hold(p, total);
	else if (i == 2 && p->err_timer)
		proc_err_drain(p); /* FFmpeg's progress block: its log comes along */
}

/* Write what we can; 0, or -1 (EPIPE) with stdin closed. */
static int proc_flush_stdin(struct proc *p)
{
	while (p->in_buf.len > 0) {
		ssize_t n = write(p->in_fd, p->in_buf.data, p->in_buf.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			proc_close_stdin_now(p);
			errno = EPIPE;
			return -1;
		}
		buf_consume(&p->in_buf, (size_t)n);
	}
	if (p->in_buf.len > 0) {
		loop_fd_set_events(p->loop, p->in_fd, LOOP_WRITE);
	} else if (p->in_closing) {
		proc_close_stdin_now(p);
	} else {
		loop_fd_set_events(p->loop, p->in_fd, 0);
	}
	return 0;
}

static void proc_on_stdin(struct loop *l, int fd, int revents, void *ctx)
{
	proc_flush_stdin(ctx);
}

int proc_write_stdin(struct proc *p, const void *data, size_t n)
{
	if (!p || p->in_fd < 0 || p->in_closing) {
		errno = EPIPE;
		return -1;
	}
	buf_append(&p->in_buf, data, n);
	return proc_flush_stdin(p);
}

void proc_close_stdin(struct proc *p)
{
	if (!p || p->in_fd < 0)
		return;
	p->in_closing = true;
	proc_flush_stdin(p);
}

/* --- spawn ----------------------------------------------------------------- */

/* environ plus extras, the extras replacing variables of the same name.
 * Only the array is allocated: the strings are environ's and the caller's. */
static char **proc_build_env(const char *const *add)
{
	size_t n = 0, k = 0, m = 0;
	while (environ[n])
		n++;
	while (add[k])
		k++;
	char **env = xcalloc(n + k + 1, sizeof(*env));
	for (size_t i = 0; i < n; i++) {
		size_t len = strcspn(environ[i], "=");
		bool replaced = false;
		for (size_t j = 0; j < k && !replaced; j++)
			replaced = strncmp(add[j], environ[i], len) == 0 && add[j][len] == '=';
		if (!replaced)
			env[m++] = environ[i];
	}
	for (size_t j = 0; j < k; j++)
		env[m++] = (char *)add[j];
	return env;
}

static void close_all(int *fds, int n)
{
	for (int i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

struct proc *proc_spawn(struct loop *l, const struct proc_spec *spec, const struct proc_ops *ops,
			void *ctx, struct aura_error *err)
{
	static const struct proc_ops no_ops;
	if (!spec || !spec->argv || !spec->argv[0] || !spec->argv[0][0]) {
		aura_error_set(err, AURA_E_SPAWN_FAILED, "empty command line");
		return NULL;
	}
	/* child[0..3] become the child's fds 0..3, child[4] is the status
	 * pipe's write end; ours[0] writes stdin, ours[1..3] read the rest. */
	int child[5] = {-1, -1, -1, -1, -1}, ours[4] = {-1, -1, -1, -1};
	int status_rd = -1, pfd[2];
	const char *what = "pipe";

	if (spec->stdin_mode == PROC_STDIN_PIPE) {
		if (pipe2(pfd, O_CLOEXEC) < 0)
			goto fail;
		child[0] = pfd[0];
		ours[0] = pfd[1];
	} else if (spec->stdin_mode == PROC_STDIN_FILE) {
		/* opened here, relative to the child's cwd: after fork the child
		 * only dup2s it */
		int dfd = AT_FDCWD;
		if (spec->cwd && spec->stdin_path && spec->stdin_path[0] != '/')
			dfd = open(spec->cwd, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		child[0] = dfd == -1 || !spec->stdin_path
			       ? -1
			       : openat(dfd, spec->stdin_path, O_RDONLY | O_CLOEXEC);
		int e = errno;
		if (dfd >= 0)
			close(dfd);
		if (child[0] < 0) {
			aura_error_set(err, AURA_E_SPAWN_FAILED, "%s: stdin %s: %s", spec->argv[0],
				       spec->stdin_path ? spec->stdin_path : "(none)",
				       strerror(spec->stdin_path ? e : EINVAL));
			return NULL;
		}
	} else {
		what = "/dev/null";
		child[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (child[0] < 0)
			goto fail;
		what = "pipe";
	}
	/* O_NONBLOCK on both ends, for ours; the child clears it on its own
	 * end (a blocking write is what a program expects of its stderr). */
	for (int i = 1; i < (spec->extra_fd ? 4 : 3); i++) {
		if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK) < 0)
			goto fail;
		ours[i] = pfd[0];
		child[i] = pfd[1];
	}
	if (pipe2(pfd, O_CLOEXEC) < 0)
		goto fail;
	status_rd = pfd[0];
	child[4] = pfd[1];
	if (ours[0] >= 0 && fd_set_nonblock(ours[0]) < 0) {
		what = "fcntl";
		goto fail;
	}
	/* best effort: the pipe quota may say no, and 64 KiB works too */
	if (spec->stderr_hold_ms > 0)
		(void)fcntl(ours[2], F_SETPIPE_SZ, PROC_HELD_PIPE_SIZE);

	/* Everything the child needs is prepared here: after fork it may
	 * only make async-signal-safe calls (no malloc). */
	char **envp = spec->envp_add ? proc_build_env(spec->envp_add) : environ;
	long maxfd = sysconf(_SC_OPEN_MAX);
	if (maxfd < 0)
		maxfd = 65536;
	pid_t parent = getpid();

	/* No signal may run a handler in the child before sig_child_reset,
	 * nor reach the parent between fork and restoring its mask. */
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid_t pid = spawn_child(child, spec, envp, parent, maxfd);
	int fork_errno = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (envp != environ)
		free(envp);
	close_all(child, 5);
	if (pid < 0) {
		errno = fork_errno;
		what = "fork";
		goto fail;
	}
	/* Both sides set the group, so it exists whichever runs first. After
	 * the child's exec this fails with EACCES: harmless. */
	setpgid(pid, pid);

	/* Wait for the exec: EOF (CLOEXEC closed the pipe) means it ran; a
	 * report means it failed. This wait is bounded: the child does only
	 * a few syscalls before either. */
	struct child_report rep;
	size_t got = 0;
	while (got < sizeof(rep)) {
		ssize_t n = read(status_rd, (char *)&rep + got, sizeof(rep) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(status_rd);
	status_rd = -1;
	if (got > 0) {
		/* It reported and is calling _exit: reap it here, now, so no
		 * zombie is left for a SIGCHLD that names no proc. */
		int st;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		close_all(ours, 4);
		const char *msg = got == sizeof(rep) ? strerror(rep.err) : "failed before exec";
		if (got == sizeof(rep) && rep.stage == CHILD_EXEC)
			aura_error_set(err, AURA_E_SPAWN_FAILED, "%s: %s", spec->argv[0], msg);
		else if (got == sizeof(rep) && rep.stage == CHILD_CHDIR)
			aura_error_set(err, AURA_E_SPAWN_FAILED, "chdir %s: %s", spec->cwd, msg);
		else
			aura_error_set(err, AURA_E_SPAWN_FAILED, "%s: setting up the child: %s",
				       spec->argv[0], msg);
		return NULL;
	}

	struct proc *p = xcalloc(1, sizeof(*p));
	p->loop = l;
	p->ops = ops ? ops : &no_ops;
	p->ctx = ctx;
	p->pid = pid;
	p->err_hold_ms = spec->stderr_hold_ms;
	buf_init(&p->in_buf);
	p->in_fd = ours[0];
	for (int i = 0; i < 3; i++)
		p->out_fd[i] = ours[i + 1];
	p->next = procs;
	procs = p;
	/* Fresh fds cannot be watched already, so these do not fail. */
	if (p->in_fd >= 0)
		loop_fd_add(l, p->in_fd, 0, proc_on_stdin, p);
	for (int i = 0; i < 3; i++)
		if (p->out_fd[i] >= 0)
			loop_fd_add(l, p->out_fd[i], LOOP_READ, proc_on_output, p);
	return p;

fail:;
	int e = errno;
	close_all(child, 5);
	close_all(ours, 4);
	if (status_rd >= 0)
		close(status_rd);
	aura_error_set(err, AURA_E_SPAWN_FAILED, "%s: %s: %s", spec->argv[0], what, strerror(e));
	return NULL;
}

void proc_abandon(struct proc *p)
{
	if (!p || p->finishing || p->abandoned)
		return;
	kill(-p->pid, SIGKILL);
	proc_release(p);
	if (p->in_data_cb)
		p->abandoned = true; /* proc_on_output frees it when the callback returns */
	else
		free(p);
}

pid_t proc_pid(const struct proc *p)
{
	return p ? p->pid : 0;
}

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

/* --- reaping, recovery ----------------------------------------------------- */

/* The exit grace is over and the pipes are still open: what holds them is
 * left behind, and stopped as a stray once the proc finishes now. */
static void proc_on_grace(struct loop *l, void *ctx)
{
	struct proc *p = ctx;
	p->grace_timer = 0;
	proc_force_eof(p);
}

static void strays_after_reap(bool unknown);

void proc_reap_all(void)
{
	bool unknown = false;
	for (;;) {
		int st;
		pid_t pid = waitpid(-1, &st, WNOHANG);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid <= 0)
			break; /* 0: others still run; ECHILD: no child at all */
		/* A reaped pid can be reused at once: skip procs already reaped
		 * that are still waiting for EOF. */
		struct proc *p = procs;
		while (p && (p->pid != pid || p->exited))
			p = p->next;
		if (!p) {
			unknown = true; /* an orphan, a stray, an abandoned leader */
			continue;
		}
		p->exited = true;
		p->status = st;
		p->paused = false;
		p->exit_step = p->step;
		if (p->step != STEP_NONE)
			p->exit_after_ms = time_mono_ms() - p->stop_start;
		if (p->err_timer) { /* its EOF is due: watch stderr again */
			loop_timer_del(p->loop, p->err_timer);
			p->err_timer = 0;
			loop_fd_set_events(p->loop, p->out_fd[1], LOOP_READ);
		}
		if (p->out_fd[0] >= 0 || p->out_fd[1] >= 0 || p->out_fd[2] >= 0)
			p->grace_timer =
			    loop_timer_add(p->loop, PROC_EXIT_GRACE_MS, proc_on_grace, p);
		proc_maybe_finish(p);
	}
	strays_after_reap(unknown);
}

/* Read a small /proc file into buf (NUL-terminated); bytes read or -1. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	return (ssize_t)n;
}


/* --- strays: what finished runs left behind ---------------------------------- */

int proc_become_subreaper(void)
{
	return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 ? -1 : 0;
}

static int stray_kill(const struct stray *s, int signo)
{
	return kill(s->group ? -s->id : s->id, signo);
}

static void strays_on_timer(struct loop *l, void *ctx);

/* One timer, for the earliest SIGKILL due; none when nothing is left. */
static void strays_arm(void)
{
	if (strays.timer)
		loop_timer_del(strays.loop, strays.timer);
	strays.timer = 0;
	if (strays.n == 0)
		strays.loop = NULL; /* none pending: a loop may be freed now */
	if (!strays.loop)
		return;
	int64_t due = strays.v[0].kill_at;
	for (size_t i = 1; i < strays.n; i++)
		if (strays.v[i].kill_at < due)
			due = strays.v[i].kill_at;
	int64_t left = due - time_mono_ms();
	strays.timer = loop_timer_add(strays.loop, left > 0 ? left : 0, strays_on_timer, NULL);
}

/* SIGTERM and SIGCONT (a stopped process must run to die) now, SIGKILL
 * after PROC_STRAY_TERM_MS. Nothing if it is gone or listed already. */
static void strays_add(pid_t id, bool group)
{
	for (size_t i = 0; i < strays.n; i++)
		if (strays.v[i].id == id && strays.v[i].group == group)
			return;
	struct stray s = {id, group, time_mono_ms() + PROC_STRAY_TERM_MS};
	if (stray_kill(&s, SIGTERM) < 0)
		return;
	stray_kill(&s, SIGCONT);
	if (strays.n == strays.cap) {
		strays.cap = strays.cap ? 2 * strays.cap : 8;
		strays.v = xrealloc(strays.v, strays.cap * sizeof(*strays.v));
	}
	strays.v[strays.n++] = s;
}

/* Drop the strays that are gone (a group without members, a reaped orphan). */
static void strays_prune(void)
{
	size_t k = 0;
	for (size_t i = 0; i < strays.n; i++)
		if (stray_kill(&strays.v[i], 0) == 0 || errno != ESRCH)
			strays.v[k++] = strays.v[i];
	strays.n = k;
}

/* Is pid a proc's leader, or pgid the group of a proc that has not
 * finished (a run going on, or in its exit grace)? */
static bool proc_registered(pid_t pid, pid_t pgid)
{
	for (struct proc *p = procs; p; p = p->next)
		if (p->pid == pid || p->pid == pgid)
			return true;
	return false;
}

/*
 * Orphans: as a child subreaper we inherit every process whose parent died
 * below us, so a live process whose parent is us and that is no proc's
 * leader was left behind by some run: the only children the server has
 * are procs (the few synchronous forks elsewhere wait for their child
 * before the loop can get here). Those in the group of a proc that has not
 * finished are that proc's business, stopped when it finishes. The rest
 * (a group's members after their parent died, and setsid escapees, which
 * left every group we know) are stopped as strays. /proc/PID/stat is read
 * for every process: this runs when a run finishes and when an unknown
 * child was reaped, not per loop turn.
 */
static void strays_scan(void)
{
	DIR *d = opendir("/proc");
	if (!d)
		return;
	pid_t self = getpid();
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		char path[300], buf[1024];
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if (read_small(path, buf, sizeof(buf)) <= 0)
			continue;
		const char *rp = strrchr(buf, ')');
		char state;
		int ppid, pgrp;
		if (!rp || sscanf(rp + 1, " %c %d %d", &state, &ppid, &pgrp) != 3)
			continue;
		pid_t pid = (pid_t)atoi(e->d_name);
		if (ppid != self || state == 'Z' || state == 'X' || proc_registered(pid, pgrp))
			continue;
		bool in_listed_group = false;
		for (size_t i = 0; i < strays.n && !in_listed_group; i++)
			in_listed_group = strays.v[i].group && strays.v[i].id == pgrp;
		if (!in_listed_group)
			strays_add(pid, false);
	}
	closedir(d);
}

/* A proc finished: its group's other members and whatever was re-parented
 * to us are strays now. The leader was reaped; a group with members left
 * keeps its number, so kill(-pgid) reaches only them. */
static void strays_collect(struct loop *l, pid_t pgid)
{
	strays.loop = l;
	if (kill(-pgid, 0) == 0)
		strays_add(pgid, true);
	strays_scan();
	strays_arm();
}

/* The deadline came: SIGKILL, and forget them (their children, re-parented
 * to us, are found when we reap them). */
static void strays_on_timer(struct loop *l, void *ctx)
{
	strays.timer = 0;
	int64_t now = time_mono_ms();
	size_t k = 0;
	for (size_t i = 0; i < strays.n; i++) {
		if (strays.v[i].kill_at <= now)
			stray_kill(&strays.v[i], SIGKILL);
		else
			strays.v[k++] = strays.v[i];
	}
	strays.n = k;
	strays_arm();
}

/* After reaping: drop strays that are gone; an unknown child reaped may
 * have left children of its own to us. */
static void strays_after_reap(bool unknown)
{
	if (!strays.loop)
		strays.loop = procs ? procs->loop : NULL;
	if (!strays.loop)
		return; /* nothing of ours runs: no loop known to be alive */
	strays_prune();
	if (unknown)
		strays_scan();
	strays_arm();
}

void proc_kill_leftovers(void)
{
	strays_scan();
	for (size_t i = 0; i < strays.n; i++)
		stray_kill(&strays.v[i], SIGKILL);
	if (strays.timer)
		loop_timer_del(strays.loop, strays.timer);
	free(strays.v);
	memset(&strays, 0, sizeof(strays));
}

int proc_kill_stale(pid_t pid, const char *expect_comm)
{
	if (pid <= 1 || pid == getpid() || !expect_comm || !*expect_comm)
		return 0;
	char path[64], buf[4096];

	/* Zombies are dead already; their comm would still match. */
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return 0;
	const char *rp = strrchr(buf, ')');
	if (!rp || rp[1] != ' ' || rp[2] == 'Z' || rp[2] == 'X')
		return 0;

	/* comm is cut at 15 bytes. */
	bool match = false;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (read_small(path, buf, sizeof(buf)) > 0) {
		buf[strcspn(buf, "\n")] = '\0';
		match = strncmp(buf, expect_comm, 15) == 0 &&
			(strlen(expect_comm) >= 15 || strcmp(buf, expect_comm) == 0);
	}
	if (!match) {
		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
		if (read_small(path, buf, sizeof(buf)) > 0) {
			const char *base = strrchr(buf, '/');
			match = strcmp(base ? base + 1 : buf, expect_comm) == 0;
		}
	}
	if (!match || getpgid(pid) != pid)
		return 0;
	return kill(-pid, SIGKILL) == 0 ? 1 : 0;
}
