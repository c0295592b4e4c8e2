/*
 * loop.h -- the event loop: one thread, one poll(). File-descriptor
 * watchers, one-shot timers on monotonic milliseconds, deferred callbacks
 * and a before-sleep hook; nothing else (the shape of redis ae.h).
 *
 * Must never: wake up when there is nothing to do (no periodic tick: with
 * no timer and no deferred work poll() sleeps with an infinite timeout),
 * block anywhere but in poll(), or call a watcher after it was deleted.
 *
 * A turn of the loop:
 *   1. run the deferred callbacks queued before this turn started;
 *   2. call the before-sleep hook;
 *   3. poll() until the earliest timer (0 if deferred work is pending,
 *      -1 if there are no timers), retrying on EINTR;
 *   4. call the fd watchers that are ready, in fd order;
 *   5. fire the timers that are due (earliest first, ties in the order
 *      they were added).
 *
 * Every callback may add or delete watchers, timers and deferred work,
 * including its own. The poll set is rebuilt on the next turn when it
 * changed; a watcher deleted during a turn is not called afterwards in that
 * turn, and a watcher added during a turn (even on a reused fd number) is
 * first called on the next one. A timer added by a callback with delay 0
 * fires on the next turn, never in the current one, so re-arming cannot
 * starve the fds.
 *
 * Not thread-safe: every call is made from the loop's thread.
 */
#ifndef AURA_LOOP_H
#define AURA_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;

/* Watcher event bits (events asked for, and revents delivered). */
#define LOOP_READ  0x1
#define LOOP_WRITE 0x2

struct loop *loop_new(void);
/* Frees the loop. Watchers' fds are not closed (their owners close them);
 * pending timers and deferred callbacks are dropped without being called.
 * Never call it from inside one of the loop's callbacks. NULL is fine. */
void loop_free(struct loop *l);

/*
 * Watch fd for events (LOOP_READ | LOOP_WRITE; 0 keeps the watcher but
 * leaves the fd out of poll()). One watcher per fd. cb gets the ready bits
 * in revents. POLLHUP, POLLERR and POLLNVAL are reported as the events the
 * watcher asked for (readable for a reader), so the owner's read() sees
 * EOF or the error; the owner must then delete the watcher or it will be
 * called again on every turn.
 * Returns 0, or -1 with errno EEXIST (fd already watched) or EINVAL.
 */
int loop_fd_add(struct loop *l, int fd, int events,
		void (*cb)(struct loop *l, int fd, int revents, void *ctx), void *ctx);
/* Change the events of an existing watcher. 0, or -1 with errno ENOENT. */
int loop_fd_set_events(struct loop *l, int fd, int events);
/* Stop watching fd (does not close it). Unknown fds are ignored. */
void loop_fd_del(struct loop *l, int fd);

/*
 * Call cb once, delay_ms (>= 0; negative counts as 0) from now, on the
 * monotonic clock. Returns the timer's id, always > 0 and never reused.
 * A periodic timer re-arms itself from its callback.
 */
uint64_t loop_timer_add(struct loop *l, int64_t delay_ms, void (*cb)(struct loop *l, void *ctx),
			void *ctx);
/* Cancel a timer. Ids that already fired, were deleted, or are 0 are
 * ignored, so an owner may always "cancel" the id it remembers. */
void loop_timer_del(struct loop *l, uint64_t id);

/*
 * Run cb(l, ctx) once at the start of the next turn, before poll(), in the
 * order of the calls. While deferred work is pending poll() does not sleep.
 * Used to act once after a burst of state changes (e.g. start queued jobs).
 */
void loop_defer(struct loop *l, void (*cb)(struct loop *l, void *ctx), void *ctx);

/* Call cb on every turn just before poll() (after the deferred work);
 * cb NULL removes it. Use it to flush coalesced output once per turn. */
void loop_set_before_sleep(struct loop *l, void (*cb)(struct loop *l, void *ctx), void *ctx);

/* Run turns until loop_stop(). Returns 0, or -1 (errno) if poll() failed
 * with something other than EINTR. */
int loop_run(struct loop *l);
/* Make loop_run() return after the current turn. */
void loop_stop(struct loop *l);

/*
 * Run one turn, sleeping at most max_wait_ms (< 0: no cap, as loop_run).
 * Returns the number of callbacks called (fd watchers, timers, deferred),
 * 0 if the wait ended with nothing to do, or -1 (errno) on a poll() error.
 */
int loop_run_once(struct loop *l, int64_t max_wait_ms);

/* The poll() timeout the next turn would use now: -1 (sleep until an fd
 * is ready) when there is no timer and no deferred work, 0 when deferred
 * work is pending, else the ms until the earliest timer. */
int64_t loop_next_timeout_ms(const struct loop *l);

/* Counters, so tests and benchmarks can prove the loop is idle. */
struct loop_stats {
	uint64_t turns;	   /* poll() calls that returned (wake-ups) */
	uint64_t fd_calls; /* fd watcher callbacks called */
	uint64_t timer_calls;
	uint64_t defer_calls;
	int fds;    /* watchers registered now */
	int timers; /* timers pending now */
};
void loop_stats(const struct loop *l, struct loop_stats *out);

#endif
