/*
 * proc-detach.c -- a process that outlives us (proc_spawn_detached): the
 * client's auto-start of `aura serve --daemon`, and --daemon's server. Its
 * own group or session, stdio off the terminal, signals reset, no fd of
 * ours, exec'd by the real path of our binary so ps shows "aura".
 *
 * Must never: return in the child, or leave it an fd but 0-2 and pass_fd.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "os/proc-int.h"
#include "os/proc.h"
#include "os/sig.h"

extern char **environ;

static void detach_say(const char *a, const char *b, const char *c)
{
	const char *parts[] = { "aura: cannot run ", a, ": ", b, c, "\n" };
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (write(2, parts[i], strlen(parts[i])) < 0)
			return;
}

static void __attribute__((noreturn))
detach_child(const char *exe, const char *real, const char *const *argv, int pass_fd, char **envp,
	     int flags, long maxfd)
{
	sig_child_reset();
	if (flags & PROC_DETACH_SESSION) {
		/* A new session; the second fork makes sure it is no session
		 * leader, so it can never acquire a controlling terminal. */
		setsid();
		pid_t pid = fork();
		if (pid < 0)
			_exit(127);
		if (pid > 0)
			_exit(0);
	} else {
		setpgid(0, 0);
	}
	if (pass_fd >= 0 && pass_fd != 3) {
		/* lift it above what the dup2s below write to */
		int moved = fcntl(pass_fd, F_DUPFD, 4);
		if (moved < 0 || dup2(moved, 3) < 0)
			_exit(127);
	} else if (pass_fd == 3) {
		fcntl(3, F_SETFD, 0);
	}
	/* after fd 3 is taken, so /dev/null cannot land there */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		_exit(127);
	if (dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
	    ((flags & PROC_DETACH_SESSION) && dup2(null, 2) < 0))
		_exit(127);
	proc_close_from(pass_fd >= 0 ? 4 : 3, maxfd);
	if (real)
		execve(real, (char *const *)argv, envp);
	execve(exe, (char *const *)argv, envp);
	detach_say(exe, strerror(errno), "");
	_exit(127);
}

pid_t proc_spawn_detached(const char *exe, const char *const *argv, int pass_fd,
			  const char *const *envp_add, int flags)
{
	/* All prepared before the fork: the child only makes system calls. */
	char real[4096];
	const char *realp = NULL;
	if (strcmp(exe, "/proc/self/exe") == 0) {
		ssize_t n = readlink(exe, real, sizeof(real) - 1);
		if (n > 0) {
			real[n] = '\0';
			if (access(real, X_OK) == 0)
				realp = real;
		}
	}
	char **envp = envp_add ? proc_build_env(envp_add) : environ;
	long maxfd = sysconf(_SC_OPEN_MAX);
	if (maxfd < 0)
		maxfd = 65536;
	sigset_t old;
	sig_block_all(&old);
	pid_t pid = fork();
	if (pid == 0)
		detach_child(exe, realp, argv, pass_fd, envp, flags, maxfd);
	int e = errno;
	sig_set_mask(&old);
	if (envp != environ)
		free(envp);
	errno = e;
	return pid;
}
