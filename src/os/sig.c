/*
 * sig.c -- every sigaction and sigprocmask of the program. Signals are
 * loop events through a signalfd: SIGINT, SIGTERM, SIGHUP and SIGCHLD (or
 * a role's own set) are blocked and read as data; SIGPIPE is ignored.
 * Handlers only for putting a terminal back (sig_handle).
 *
 * Must never: use anything but async-signal-safe calls in sig_child_reset
 * (it runs between fork and exec) or in sig_restore_one.
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
} sig = { .fd = -1 };

static const int server_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGCHLD };

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
	return sig_init_set(l, server_signals, sizeof(server_signals) / sizeof(server_signals[0]),
			    cb, ctx, err);
}

int sig_init_set(struct loop *l, const int *signos, size_t n,
		 void (*cb)(struct loop *l, int signo, void *ctx), void *ctx,
		 struct aura_error *err)
{
	if (sig.fd >= 0)
		return aura_error_set(err, AURA_E_INTERNAL, "sig_init called twice");

	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < n; i++)
		sigaddset(&set, signos[i]);
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

void sig_handle(const int *signos, size_t n, void (*handler)(int), int flags,
		struct sig_saved *saved)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	saved->n = 0;
	for (size_t i = 0; i < n && i < SIG_SAVED_MAX; i++) {
		saved->signo[i] = signos[i];
		sigaction(signos[i], &sa, &saved->old[i]);
		saved->n = i + 1;
	}
}

void sig_restore(struct sig_saved *saved)
{
	for (size_t i = 0; i < saved->n; i++)
		sigaction(saved->signo[i], &saved->old[i], NULL);
	saved->n = 0;
}

void sig_restore_one(const struct sig_saved *saved, int signo)
{
	for (size_t i = 0; i < saved->n; i++)
		if (saved->signo[i] == signo)
			sigaction(signo, &saved->old[i], NULL);
}

void sig_default(int signo)
{
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(signo, &dfl, NULL);
}

void sig_block_all(sigset_t *old)
{
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, old);
}

void sig_set_mask(const sigset_t *mask)
{
	sigprocmask(SIG_SETMASK, mask, NULL);
}
