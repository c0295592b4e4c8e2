/*
 * sig.h -- signals as loop events. SIGINT, SIGTERM, SIGHUP and SIGCHLD are
 * blocked and read from a signalfd watched by the loop; SIGPIPE is ignored
 * (a write to a dead child's pipe returns EPIPE instead of killing us).
 *
 * Must never: run code in a signal handler (there is none), or leave a
 * forked child with our blocked mask or ignored SIGPIPE (sig_child_reset).
 */
#ifndef AURA_SIG_H
#define AURA_SIG_H

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

#endif
