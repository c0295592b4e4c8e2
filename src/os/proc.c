/*
 * proc.c -- child processes on the loop: vfork/exec with pipes and a status
 * pipe for exec errors, one process group per child, PR_SET_PDEATHSIG,
 * the registry of procs, finishing (exit + EOF) and reaping. Reading the
 * pipes is proc-io.c, the stop escalation and pause proc-stop.c, what a
 * finished run left behind proc-strays.c (shared: proc-int.h).
 *
 * Must never: run a shell, call anything but async-signal-safe functions
 * between fork and exec, free a proc while one of its callbacks is on the
 * stack, signal a group after its proc was freed (except as a stray being
 * stopped, while the group still has members), finish a proc before its
 * exit status and EOF on every output pipe (or the exit grace) were seen,
 * or let a process outlive the run that left it behind.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "os/loop.h"
#include "os/proc-int.h"
#include "os/proc.h"
#include "os/sig.h"
#include "base/util.h"

extern char **environ;

struct proc *procs;

/* --- the child side (async-signal-safe only) --------------------------------- */

static void __attribute__((noreturn)) child_fail(int status_fd, int stage)
{
	struct child_report r = { stage, errno };
	ssize_t n;
	do
		n = write(status_fd, &r, sizeof(r));
	while (n < 0 && errno == EINTR);
	_exit(127);
}

void proc_close_from(int first, long maxfd)
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
	proc_close_from(5, maxfd);
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

static void proc_unregister(struct proc *p)
{
	for (struct proc **pp = &procs; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			return;
		}
	}
}

void proc_close_fd(struct proc *p, int *fd)
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

void proc_close_stdin_now(struct proc *p)
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
void proc_maybe_finish(struct proc *p)
{
	if (!p->exited || p->finishing || p->in_data_cb)
		return;
	for (int i = 0; i < 3; i++)
		if (p->out_fd[i] >= 0)
			return;
	p->finishing = true;
	proc_release(p);
	if (p->private_run)
		kill(-p->pid, SIGKILL); /* proc_run: what it left in its group */
	else
		strays_collect(p->loop, p->pid);
	if (p->ops->on_exit)
		p->ops->on_exit(p->ctx, p->status);
	free(p);
}

/* Stop waiting for EOF: the pipes are held by processes outside our group. */
void proc_force_eof(struct proc *p)
{
	for (int i = 0; i < 3; i++)
		proc_close_fd(p, &p->out_fd[i]);
	proc_maybe_finish(p);
}

/* --- spawn ----------------------------------------------------------------- */

/* environ plus extras, the extras replacing variables of the same name.
 * Only the array is allocated: the strings are environ's and the caller's. */
char **proc_build_env(const char *const *add)
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
	int child[5] = { -1, -1, -1, -1, -1 }, ours[4] = { -1, -1, -1, -1 };
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
	sigset_t old;
	sig_block_all(&old);
	pid_t pid = spawn_child(child, spec, envp, parent, maxfd);
	int fork_errno = errno;
	sig_set_mask(&old);
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

int64_t proc_cpu_ms(const struct proc *p)
{
	return p ? p->cpu_ms : 0;
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

void proc_reap_all(void)
{
	bool unknown = false;
	for (;;) {
		int st;
		struct rusage ru;
		/* wait4: the child's CPU time comes with its status
		 * (aura_ffmpeg_cpu_seconds_total, doc/metrics.md) */
		pid_t pid = wait4(-1, &st, WNOHANG, &ru);
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
		p->cpu_ms = (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
			    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
		proc_reaped(p, st);
	}
	strays_after_reap(unknown);
}

void proc_reaped(struct proc *p, int st)
{
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
		p->grace_timer = loop_timer_add(p->loop, PROC_EXIT_GRACE_MS, proc_on_grace, p);
	proc_maybe_finish(p);
}
