/*
 * proc-stdio.c -- a child whose stdin and stdout are one fd of ours (a
 * socketpair end) and whose stderr is another (a pipe): the ssh of a
 * remote client (src/client/remote.c), spawned from an argv, and its end
 * (proc_end_child: wait a little for it to leave by itself, then the stop
 * sequence, then reap it).
 *
 * The child stays in our process group: ssh asks for a password or a
 * host key's confirmation on /dev/tty, which only the terminal's
 * foreground group may read. It gets PR_SET_PDEATHSIG, so a client that
 * dies leaves no ssh behind.
 *
 * Must never: run a shell, return in the child, leave the child an fd
 * but 0-2, or wait without a bound.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "os/proc-int.h"
#include "os/proc.h"
#include "os/sig.h"

static void stdio_say(const char *prog, const char *why)
{
	const char *parts[] = { "aura: cannot run ", prog, ": ", why, "\n" };
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (write(2, parts[i], strlen(parts[i])) < 0)
			return;
}

static void __attribute__((noreturn))
stdio_child(const char *const *argv, int io_fd, int err_fd, pid_t parent, long maxfd)
{
	sig_child_reset();
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent) /* the parent died before the prctl */
		_exit(127);
	/* io_fd and err_fd may sit on 0-2: lift them first */
	int io = fcntl(io_fd, F_DUPFD, 3), er = fcntl(err_fd, F_DUPFD, 3);
	if (io < 0 || er < 0 || dup2(io, 0) < 0 || dup2(io, 1) < 0 || dup2(er, 2) < 0)
		_exit(127);
	proc_close_from(3, maxfd);
	execvp(argv[0], (char *const *)argv);
	stdio_say(argv[0], strerror(errno));
	_exit(127);
}

pid_t proc_spawn_stdio(const char *const *argv, int io_fd, int err_fd)
{
	long maxfd = sysconf(_SC_OPEN_MAX);
	if (maxfd < 0)
		maxfd = 65536;
	pid_t parent = getpid();
	sigset_t old;
	sig_block_all(&old);
	pid_t pid = fork();
	if (pid == 0)
		stdio_child(argv, io_fd, err_fd, parent, maxfd);
	int e = errno;
	sig_set_mask(&old);
	errno = e;
	return pid;
}

/* Reaped (by us, or by a proc_reap_all of the front end: ECHILD); ctx is
 * where its status goes. */
static bool end_reaped(pid_t pid, void *ctx)
{
	pid_t r;
	do
		r = waitpid(pid, (int *)ctx, WNOHANG);
	while (r < 0 && errno == EINTR);
	return r == pid || (r < 0 && errno == ECHILD);
}

/* Wait up to ms for pid to be reaped; true if it was. */
static bool end_wait(pid_t pid, int ms, int *status)
{
	return proc_wait_until(pid, ms, end_reaped, status);
}

int proc_end_child(pid_t pid, int grace_ms)
{
	int status = 0;
	if (pid <= 0)
		return 0;
	if (end_wait(pid, grace_ms, &status))
		return status;
	kill(pid, SIGTERM);
	if (end_wait(pid, 1000, &status))
		return status;
	kill(pid, SIGKILL);
	end_wait(pid, 5000, &status);
	return status;
}
