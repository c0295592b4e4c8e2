/*
 * sig.h -- the one module that sets signal dispositions and masks, for
 * every role. Signals are loop events: SIGINT, SIGTERM, SIGHUP and SIGCHLD
 * (or the set a role names) are blocked and read from a signalfd watched
 * by the loop; SIGPIPE is ignored (a write to a dead child's pipe returns
 * EPIPE instead of killing us). The only handlers are the ones that must
 * put a terminal back (sig_handle): the TUI after a crash, setup's hidden
 * input.
 *
 * Must never: run anything but async-signal-safe code in a handler, or
 * leave a forked child with our blocked mask or ignored SIGPIPE
 * (sig_child_reset).
 */
#ifndef AURA_SIG_H
#define AURA_SIG_H

#include <signal.h>
#include <stddef.h>

#include "base/errors.h"

struct loop;

/*
 * Block SIGINT, SIGTERM, SIGHUP and SIGCHLD for the process, ignore SIGPIPE,
 * and watch a signalfd on l: cb(l, signo, ctx) is called from the loop for
 * each signal read. Signals of one kind that arrive close together may be
 * coalesced into one call: SIGCHLD means "reap every child now"
 * (proc_reap_all), not "one child exited".
 *
 * The mask is per-thread and threads inherit it, so call this in the main
 * thread before any other thread is created (libcurl's resolver threads
 * included), or those threads would take the signals instead.
 * One sig_init at a time per process; returns 0, or -AURA_E_INTERNAL with
 * the reason in err (a second sig_init without sig_fini is refused).
 */
int sig_init(struct loop *l, void (*cb)(struct loop *l, int signo, void *ctx), void *ctx,
	     struct aura_error *err);

/* sig_init for the n signals in signos instead of the server's four (the
 * TUI adds SIGWINCH; a waiting CLI verb needs SIGINT and SIGTERM only). */
int sig_init_set(struct loop *l, const int *signos, size_t n,
		 void (*cb)(struct loop *l, int signo, void *ctx), void *ctx,
		 struct aura_error *err);

/* Stop watching, close the signalfd, restore the mask and the SIGPIPE
 * disposition found by sig_init. Signals still pending stay pending
 * (and are delivered once unblocked). Safe without sig_init. */
void sig_fini(void);

/*
 * For a forked child before exec: every disposition back to SIG_DFL
 * (ignored ones survive exec) and an empty signal mask (masks survive
 * exec too). Async-signal-safe. proc_spawn calls it.
 */
void sig_child_reset(void);

/*
 * Handlers, for the few places that must act on a signal without a loop:
 * put the terminal back and re-raise. Sets handler (or SIG_DFL, SIG_IGN)
 * for the n (<= SIG_SAVED_MAX) signals in signos with flags (SA_RESTART,
 * SA_RESETHAND, SA_NODEFER...; no SA_RESTART means a blocking call is
 * interrupted) and keeps the dispositions found in saved; sig_restore puts
 * them back. sig_restore_one is async-signal-safe (for a handler that
 * hands its signal on to whoever had it before re-raising).
 */
#define SIG_SAVED_MAX 8
struct sig_saved {
	size_t n;
	int signo[SIG_SAVED_MAX];
	struct sigaction old[SIG_SAVED_MAX];
};
void sig_handle(const int *signos, size_t n, void (*handler)(int), int flags,
		struct sig_saved *saved);
void sig_restore(struct sig_saved *saved);
void sig_restore_one(const struct sig_saved *saved, int signo);
/* One signal back to SIG_DFL (ncurses' SIGTSTP handler, a re-raise). */
void sig_default(int signo);

/* Masks: around a fork, block every signal, so no handler runs in the
 * child before exec; and put the old mask back. */
void sig_block_all(sigset_t *old);
void sig_set_mask(const sigset_t *mask);

#endif
