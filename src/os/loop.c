/*
 * loop.c -- the event loop: fd watchers in an fd-indexed table, one-shot
 * timers in a binary heap ordered by (deadline, id), a queue of deferred
 * callbacks, a before-sleep hook, one poll() per turn.
 *
 * Must never: sleep with a finite timeout unless a timer or deferred work
 * asks for it, call a watcher that was deleted earlier in the same turn,
 * or let a timer re-armed with delay 0 fire twice in one turn.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "os/loop.h"
#include "base/util.h"

struct watcher {
	void (*cb)(struct loop *l, int fd, int revents, void *ctx); /* NULL: free slot */
	void *ctx;
	int events;
	/* Tells this watcher from a later one on the same fd number, so that
	 * revents polled for a deleted watcher never reach its successor. */
	uint64_t serial;
};

struct timer {
	int64_t when; /* monotonic ms */
	uint64_t id;
	void (*cb)(struct loop *l, void *ctx);
	void *ctx;
};

struct deferred {
	void (*cb)(struct loop *l, void *ctx);
	void *ctx;
};

struct loop {
	struct watcher *w; /* indexed by fd */
	int wcap;
	int nwatchers;
	uint64_t next_serial;

	/* The poll set, rebuilt at the start of a turn when dirty. */
	bool dirty;
	struct pollfd *pfd;
	uint64_t *pserial; /* serial of the watcher each pfd entry was built for */
	int npfd;
	int pfdcap;

	struct timer *heap;
	int nheap;
	size_t heapcap;
	uint64_t last_timer_id;

	struct deferred *defer;
	int ndefer;
	size_t defercap;

	void (*before_sleep)(struct loop *l, void *ctx);
	void *before_sleep_ctx;

	bool stop;
	struct loop_stats st;
};

struct loop *loop_new(void)
{
	struct loop *l = xcalloc(1, sizeof(*l));
	l->dirty = true;
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	free(l->w);
	free(l->pfd);
	free(l->pserial);
	free(l->heap);
	free(l->defer);
	free(l);
}

/* --- fd watchers ---------------------------------------------------------- */

int loop_fd_add(struct loop *l, int fd, int events,
		void (*cb)(struct loop *l, int fd, int revents, void *ctx), void *ctx)
{
	if (fd < 0 || !cb || (events & ~(LOOP_READ | LOOP_WRITE))) {
		errno = EINVAL;
		return -1;
	}
	if (fd >= l->wcap) {
		int ncap = l->wcap ? l->wcap : 64;
		while (ncap <= fd)
			ncap *= 2;
		l->w = xrealloc(l->w, (size_t)ncap * sizeof(*l->w));
		memset(l->w + l->wcap, 0, (size_t)(ncap - l->wcap) * sizeof(*l->w));
		l->wcap = ncap;
	}
	if (l->w[fd].cb) {
		errno = EEXIST;
		return -1;
	}
	l->w[fd] = (struct watcher){ cb, ctx, events, ++l->next_serial };
	l->nwatchers++;
	l->dirty = true;
	return 0;
}

int loop_fd_set_events(struct loop *l, int fd, int events)
{
	if (fd < 0 || fd >= l->wcap || !l->w[fd].cb) {
		errno = ENOENT;
		return -1;
	}
	if (events & ~(LOOP_READ | LOOP_WRITE)) {
		errno = EINVAL;
		return -1;
	}
	if (l->w[fd].events != events) {
		l->w[fd].events = events;
		l->dirty = true;
	}
	return 0;
}

void loop_fd_del(struct loop *l, int fd)
{
	if (fd < 0 || fd >= l->wcap || !l->w[fd].cb)
		return;
	memset(&l->w[fd], 0, sizeof(l->w[fd]));
	l->nwatchers--;
	l->dirty = true;
}

static void loop_rebuild_pollset(struct loop *l)
{
	if (l->nwatchers > l->pfdcap) {
		l->pfdcap = l->nwatchers * 2;
		l->pfd = xrealloc(l->pfd, (size_t)l->pfdcap * sizeof(*l->pfd));
		l->pserial = xrealloc(l->pserial, (size_t)l->pfdcap * sizeof(*l->pserial));
	}
	l->npfd = 0;
	for (int fd = 0; fd < l->wcap; fd++) {
		const struct watcher *w = &l->w[fd];
		if (!w->cb || !w->events)
			continue;
		short ev = 0;
		if (w->events & LOOP_READ)
			ev |= POLLIN;
		if (w->events & LOOP_WRITE)
			ev |= POLLOUT;
		l->pfd[l->npfd] = (struct pollfd){ .fd = fd, .events = ev };
		l->pserial[l->npfd] = w->serial;
		l->npfd++;
	}
	l->dirty = false;
}

static int loop_dispatch_fds(struct loop *l)
{
	int calls = 0;
	for (int i = 0; i < l->npfd; i++) {
		short re = l->pfd[i].revents;
		int fd = l->pfd[i].fd;
		if (!re)
			continue;
		/* Deleted (or deleted and replaced) by an earlier callback. */
		if (fd >= l->wcap || !l->w[fd].cb || l->w[fd].serial != l->pserial[i])
			continue;
		struct watcher w = l->w[fd];
		int revents = 0;
		if (re & POLLIN)
			revents |= LOOP_READ;
		if (re & POLLOUT)
			revents |= LOOP_WRITE;
		/* Hang-up and errors look like readiness, so the owner's read()
		 * or write() meets the EOF or the error and cleans up. */
		if (re & (POLLHUP | POLLERR | POLLNVAL))
			revents |= w.events;
		revents &= w.events;
		if (!revents)
			continue;
		w.cb(l, fd, revents, w.ctx);
		calls++;
	}
	l->st.fd_calls += (uint64_t)calls;
	return calls;
}

/* --- timers: a binary heap on (when, id) ---------------------------------- */

static bool timer_before(const struct timer *a, const struct timer *b)
{
	return a->when < b->when || (a->when == b->when && a->id < b->id);
}

static void heap_swap(struct loop *l, int i, int j)
{
	struct timer t = l->heap[i];
	l->heap[i] = l->heap[j];
	l->heap[j] = t;
}

static void heap_up(struct loop *l, int i)
{
	while (i > 0) {
		int parent = (i - 1) / 2;
		if (!timer_before(&l->heap[i], &l->heap[parent]))
			break;
		heap_swap(l, i, parent);
		i = parent;
	}
}

static void heap_down(struct loop *l, int i)
{
	for (;;) {
		int least = i, a = 2 * i + 1, b = 2 * i + 2;
		if (a < l->nheap && timer_before(&l->heap[a], &l->heap[least]))
			least = a;
		if (b < l->nheap && timer_before(&l->heap[b], &l->heap[least]))
			least = b;
		if (least == i)
			break;
		heap_swap(l, i, least);
		i = least;
	}
}

static void heap_remove(struct loop *l, int i)
{
	l->nheap--;
	if (i == l->nheap)
		return;
	l->heap[i] = l->heap[l->nheap];
	heap_up(l, i);
	heap_down(l, i);
}

uint64_t loop_timer_add(struct loop *l, int64_t delay_ms, void (*cb)(struct loop *l, void *ctx),
			void *ctx)
{
	if (delay_ms < 0)
		delay_ms = 0;
	XGROW(l->heap, (size_t)l->nheap + 1, l->heapcap, 16);
	uint64_t id = ++l->last_timer_id;
	l->heap[l->nheap] = (struct timer){ time_mono_ms() + delay_ms, id, cb, ctx };
	heap_up(l, l->nheap++);
	return id;
}

/* A linear search: a server has a few timers per running job, not
 * thousands, and this keeps ids free of back-pointers into the heap. */
void loop_timer_del(struct loop *l, uint64_t id)
{
	if (!id)
		return;
	for (int i = 0; i < l->nheap; i++) {
		if (l->heap[i].id == id) {
			heap_remove(l, i);
			return;
		}
	}
}

static int loop_fire_timers(struct loop *l)
{
	/* Timers added from here on (even with delay 0) wait for the next
	 * turn. Because ids grow and deadlines are never earlier than now,
	 * the first such timer at the top means nothing older is due. */
	uint64_t last = l->last_timer_id;
	int64_t now = time_mono_ms();
	int calls = 0;
	while (l->nheap > 0 && l->heap[0].when <= now && l->heap[0].id <= last) {
		struct timer t = l->heap[0];
		heap_remove(l, 0);
		t.cb(l, t.ctx);
		calls++;
	}
	l->st.timer_calls += (uint64_t)calls;
	return calls;
}

/* --- deferred work, hooks, turns ------------------------------------------ */

void loop_defer(struct loop *l, void (*cb)(struct loop *l, void *ctx), void *ctx)
{
	XGROW(l->defer, (size_t)l->ndefer + 1, l->defercap, 16);
	l->defer[l->ndefer++] = (struct deferred){ cb, ctx };
}

static int loop_run_deferred(struct loop *l)
{
	/* Only what was queued before this turn: work deferred by these
	 * callbacks runs on the next turn (poll() will not sleep for it). */
	int n = l->ndefer;
	if (n == 0)
		return 0;
	for (int i = 0; i < n; i++)
		l->defer[i].cb(l, l->defer[i].ctx);
	memmove(l->defer, l->defer + n, (size_t)(l->ndefer - n) * sizeof(*l->defer));
	l->ndefer -= n;
	l->st.defer_calls += (uint64_t)n;
	return n;
}

void loop_set_before_sleep(struct loop *l, void (*cb)(struct loop *l, void *ctx), void *ctx)
{
	l->before_sleep = cb;
	l->before_sleep_ctx = ctx;
}

int64_t loop_next_timeout_ms(const struct loop *l)
{
	if (l->ndefer > 0)
		return 0;
	if (l->nheap == 0)
		return -1;
	int64_t t = l->heap[0].when - time_mono_ms();
	return t > 0 ? t : 0;
}

int loop_run_once(struct loop *l, int64_t max_wait_ms)
{
	int calls = loop_run_deferred(l);
	if (l->before_sleep)
		l->before_sleep(l, l->before_sleep_ctx);
	if (l->stop)
		return calls; /* stopped by deferred work: do not sleep in poll() */
	if (l->dirty)
		loop_rebuild_pollset(l);

	int64_t deadline = max_wait_ms >= 0 ? time_mono_ms() + max_wait_ms : -1;
	int r;
	for (;;) {
		int64_t t = loop_next_timeout_ms(l);
		if (deadline >= 0) {
			int64_t left = deadline - time_mono_ms();
			if (left < 0)
				left = 0;
			if (t < 0 || t > left)
				t = left;
		}
		r = poll(l->pfd, (nfds_t)l->npfd, t > INT_MAX ? INT_MAX : (int)t);
		if (r >= 0 || errno != EINTR)
			break;
	}
	if (r < 0)
		return -1;
	l->st.turns++;
	if (r > 0)
		calls += loop_dispatch_fds(l);
	calls += loop_fire_timers(l);
	return calls;
}

int loop_run(struct loop *l)
{
	l->stop = false;
	while (!l->stop) {
		if (loop_run_once(l, -1) < 0)
			return -1;
	}
	return 0;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}

void loop_stats(const struct loop *l, struct loop_stats *out)
{
	*out = l->st;
	out->fds = l->nwatchers;
	out->timers = l->nheap;
}
