/*
 * sig.c -- signals as loop events through a signalfd: SIGINT, SIGTERM,
 * SIGHUP and SIGCHLD are blocked and read as data; SIGPIPE is ignored.
 *
 * Must never: install a signal handler (nothing runs asynchronously), or
 * use anything but async-signal-safe calls in sig_child_reset (it runs
 * between fork and exec).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "os/loop.h"
#include "os/sig.h"

static struct {
	int fd; /* -1 when not initialised */
	struct loop *loop;
	void (*cb)(struct loop *l, int signo, void *ctx);
	void *ctx;
	sigset_t old_mask;
	struct sigaction old_pipe;
} sig = {.fd = -1};

static void sig_fill_watched(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGCHLD);
}

static void sig_on_readable(struct loop *l, int fd, int revents, void *ctx)
{
	struct signalfd_siginfo si[16];
	for (;;) {
		ssize_t n = read(fd, si, sizeof(si));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* EAGAIN: drained */
		for (size_t i = 0; i < (size_t)n / sizeof(si[0]); i++) {
			sig.cb(l, (int)si[i].ssi_signo, sig.ctx);
			if (sig.fd < 0)
				return; /* the callback called sig_fini */
		}
	}
}

int sig_init(struct loop *l, void (*cb)(struct loop *l, int signo, void *ctx), void *ctx,
	     struct aura_error *err)
{
	if (sig.fd >= 0)
		return aura_error_set(err, AURA_E_INTERNAL, "sig_init called twice");

	sigset_t set;
	sig_fill_watched(&set);
	if (sigprocmask(SIG_BLOCK, &set, &sig.old_mask) < 0)
		return aura_error_set(err, AURA_E_INTERNAL, "sigprocmask: %s", strerror(errno));

	int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		sigprocmask(SIG_SETMASK, &sig.old_mask, NULL);
		return aura_error_set(err, AURA_E_INTERNAL, "signalfd: %s", strerror(e));
	}
	if (loop_fd_add(l, fd, LOOP_READ, sig_on_readable, NULL) < 0) {
		int e = errno;
		close(fd);
		sigprocmask(SIG_SETMASK, &sig.old_mask, NULL);
		return aura_error_set(err, AURA_E_INTERNAL, "watching the signalfd: %s",
				      strerror(e));
	}

	struct sigaction ign;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &sig.old_pipe);

	sig.fd = fd;
	sig.loop = l;
	sig.cb = cb;
	sig.ctx = ctx;
	return 0;
}

void sig_fini(void)
{
	if (sig.fd < 0)
		return;
	loop_fd_del(sig.loop, sig.fd);
	close(sig.fd);
	sig.fd = -1;
	sig.loop = NULL;
	sigaction(SIGPIPE, &sig.old_pipe, NULL);
	sigprocmask(SIG_SETMASK, &sig.old_mask, NULL);
}

void sig_child_reset(void)
{
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	for (int s = 1; s < NSIG; s++) {
		if (s == SIGKILL || s == SIGSTOP)
			continue;
		sigaction(s, &dfl, NULL); /* EINVAL for the reserved ones: fine */
	}
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}
