/*
 * test-loop.c -- the event loop: timer order and cancellation (also from
 * callbacks), fd watchers (read, write, hang-up, deletion and fd reuse
 * during a turn), deferred work before poll, the before-sleep hook, EINTR,
 * and idleness: no wake-up and an infinite poll timeout when nothing waits.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "os/loop.h"
#include "base/util.h"

/* A log of which callbacks ran, in order. */
static char trail[256];

static void mark(char c)
{
	size_t n = strlen(trail);
	if (n + 1 < sizeof(trail)) {
		trail[n] = c;
		trail[n + 1] = '\0';
	}
}

static int setup(void **state)
{
	trail[0] = '\0';
	*state = loop_new();
	return 0;
}

static int teardown(void **state)
{
	loop_free(*state);
	return 0;
}

/* Run turns until cond(ctx) or timeout_ms; returns cond's last value. */
static bool run_until(struct loop *l, bool (*cond)(void *), void *ctx, int64_t timeout_ms)
{
	int64_t end = time_mono_ms() + timeout_ms;
	while (!cond(ctx)) {
		int64_t left = end - time_mono_ms();
		if (left <= 0)
			return false;
		assert_true(loop_run_once(l, left) >= 0);
	}
	return true;
}

static bool trail_len_at_least(void *ctx)
{
	return strlen(trail) >= (size_t)(intptr_t)ctx;
}

/* --- timers --------------------------------------------------------------- */

static void timer_mark(struct loop *l, void *ctx)
{
	mark((char)(intptr_t)ctx);
}

static void test_timers_fire_in_order(void **state)
{
	struct loop *l = *state;
	int64_t t0 = time_mono_ms();
	loop_timer_add(l, 60, timer_mark, (void *)'d');
	loop_timer_add(l, 20, timer_mark, (void *)'b');
	loop_timer_add(l, 40, timer_mark, (void *)'c');
	loop_timer_add(l, 0, timer_mark, (void *)'a');
	loop_timer_add(l, 0, timer_mark, (void *)'A'); /* same deadline: added later, fires later */
	assert_true(run_until(l, trail_len_at_least, (void *)5, 2000));
	assert_string_equal(trail, "aAbcd");
	/* never early */
	assert_true(time_mono_ms() - t0 >= 60);
	struct loop_stats st;
	loop_stats(l, &st);
	assert_int_equal(st.timers, 0);
	assert_int_equal(st.timer_calls, 5);
}

static uint64_t victim_id;

static void timer_delete_victim(struct loop *l, void *ctx)
{
	mark('k');
	loop_timer_del(l, victim_id);
}

static void test_timer_del(void **state)
{
	struct loop *l = *state;
	uint64_t a = loop_timer_add(l, 10, timer_mark, (void *)'x');
	uint64_t b = loop_timer_add(l, 10, timer_mark, (void *)'y');
	assert_true(a > 0 && b > a);
	loop_timer_del(l, a);
	loop_timer_del(l, 0);	   /* ignored */
	loop_timer_del(l, 999999); /* unknown: ignored */
	assert_true(run_until(l, trail_len_at_least, (void *)1, 2000));
	assert_string_equal(trail, "y");
	loop_timer_del(l, b); /* already fired: harmless */

	/* From a callback: the killer runs first (earlier deadline), the
	 * victim is due in the same turn yet must not fire. */
	trail[0] = '\0';
	loop_timer_add(l, 10, timer_delete_victim, NULL);
	victim_id = loop_timer_add(l, 10, timer_mark, (void *)'v');
	loop_timer_add(l, 80, timer_mark, (void *)'z');
	assert_true(run_until(l, trail_len_at_least, (void *)2, 2000));
	assert_string_equal(trail, "kz");
}

static int rearm_count;
static void timer_rearm_zero(struct loop *l, void *ctx)
{
	if (++rearm_count < 1000)
		loop_timer_add(l, 0, timer_rearm_zero, ctx);
}

static void test_timer_rearmed_with_zero_waits_a_turn(void **state)
{
	struct loop *l = *state;
	rearm_count = 0;
	loop_timer_add(l, 0, timer_rearm_zero, NULL);
	assert_int_equal(loop_run_once(l, 100), 1);
	assert_int_equal(rearm_count, 1);
	assert_int_equal(loop_run_once(l, 100), 1);
	assert_int_equal(rearm_count, 2);
}

/* --- fd watchers ------------------------------------------------------------ */

struct pipe_ctx {
	int fds[2];
	int calls;
	int revents;
	char got[64];
};

static void on_read(struct loop *l, int fd, int revents, void *ctx)
{
	struct pipe_ctx *c = ctx;
	c->calls++;
	c->revents = revents;
	ssize_t n = read(fd, c->got, sizeof(c->got) - 1);
	c->got[n > 0 ? n : 0] = '\0';
	if (n == 0)
		loop_fd_del(l, fd); /* EOF: as an owner must */
}

static void on_write(struct loop *l, int fd, int revents, void *ctx)
{
	struct pipe_ctx *c = ctx;
	c->calls++;
	c->revents = revents;
	loop_fd_set_events(l, fd, 0);
}

static void test_fd_read_write_and_hangup(void **state)
{
	struct loop *l = *state;
	struct pipe_ctx r = { 0 }, w = { 0 };
	assert_int_equal(pipe(r.fds), 0);
	assert_int_equal(loop_fd_add(l, r.fds[0], LOOP_READ, on_read, &r), 0);
	assert_int_equal(loop_fd_add(l, r.fds[1], LOOP_WRITE, on_write, &w), 0);
	errno = 0;
	assert_int_equal(loop_fd_add(l, r.fds[0], LOOP_READ, on_read, &r), -1);
	assert_int_equal(errno, EEXIST);

	/* the empty pipe is writable, not readable */
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(w.calls, 1);
	assert_int_equal(w.revents, LOOP_WRITE);
	assert_int_equal(r.calls, 0);

	/* events 0: the watcher stays but is not polled */
	assert_int_equal(loop_run_once(l, 30), 0);
	assert_int_equal(w.calls, 1);

	assert_int_equal(write(r.fds[1], "hi", 2), 2);
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.revents, LOOP_READ);
	assert_string_equal(r.got, "hi");

	/* hang-up arrives as readable, so the owner sees EOF */
	loop_fd_del(l, r.fds[1]);
	close(r.fds[1]);
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(r.calls, 2);
	assert_int_equal(r.revents, LOOP_READ);
	assert_string_equal(r.got, "");
	struct loop_stats st;
	loop_stats(l, &st);
	assert_int_equal(st.fds, 0);
	close(r.fds[0]);
}

/* Two readable pipes whose callbacks each delete the other: exactly one
 * runs. A third deletes itself and is not called again. */
static struct pipe_ctx pa, pb;
static void on_read_del_other(struct loop *l, int fd, int revents, void *ctx)
{
	struct pipe_ctx *me = ctx, *other = me == &pa ? &pb : &pa;
	char c;
	assert_int_equal(read(fd, &c, 1), 1);
	me->calls++;
	loop_fd_del(l, other->fds[0]);
}

static void on_read_del_self(struct loop *l, int fd, int revents, void *ctx)
{
	struct pipe_ctx *c = ctx;
	char ch;
	assert_int_equal(read(fd, &ch, 1), 1);
	c->calls++;
	loop_fd_del(l, fd);
}

static void test_fd_delete_inside_callbacks(void **state)
{
	struct loop *l = *state;
	struct pipe_ctx self = { 0 };
	memset(&pa, 0, sizeof(pa));
	memset(&pb, 0, sizeof(pb));
	assert_int_equal(pipe(pa.fds), 0);
	assert_int_equal(pipe(pb.fds), 0);
	assert_int_equal(pipe(self.fds), 0);
	assert_int_equal(write(pa.fds[1], "a", 1), 1);
	assert_int_equal(write(pb.fds[1], "b", 1), 1);
	assert_int_equal(write(self.fds[1], "s", 1), 1);
	loop_fd_add(l, pa.fds[0], LOOP_READ, on_read_del_other, &pa);
	loop_fd_add(l, pb.fds[0], LOOP_READ, on_read_del_other, &pb);
	loop_fd_add(l, self.fds[0], LOOP_READ, on_read_del_self, &self);

	assert_int_equal(loop_run_once(l, 1000), 2);
	assert_int_equal(pa.calls + pb.calls, 1);
	assert_int_equal(self.calls, 1);
	/* the survivor's pipe is drained; the deleted ones are never called */
	assert_int_equal(write(pa.fds[1], "a", 1), 1);
	assert_int_equal(write(pb.fds[1], "b", 1), 1);
	assert_int_equal(write(self.fds[1], "s", 1), 1);
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(pa.calls + pb.calls, 2);
	assert_int_equal(pa.calls * pb.calls, 0);
	assert_int_equal(self.calls, 1);
	struct loop_stats st;
	loop_stats(l, &st);
	assert_int_equal(st.fds, 1);
	loop_fd_del(l, pa.fds[0]);
	loop_fd_del(l, pb.fds[0]);
	for (int i = 0; i < 2; i++) {
		close(pa.fds[i]);
		close(pb.fds[i]);
		close(self.fds[i]);
	}
}

/* A callback closes another watched fd and opens a new pipe that reuses
 * its number: the revents polled for the old fd must not reach the new
 * watcher in this turn. */
static struct pipe_ctx first, second, reborn;
static void on_read_replace(struct loop *l, int fd, int revents, void *ctx)
{
	first.calls++;
	int old = second.fds[0];
	loop_fd_del(l, old);
	close(old);
	close(second.fds[1]);
	assert_int_equal(pipe(reborn.fds), 0);
	fd_set_nonblock(reborn.fds[0]); /* a stale call must fail the test, not hang it */
	if (reborn.fds[0] != old) {	/* make the reuse certain */
		assert_int_equal(dup2(reborn.fds[0], old), old);
		close(reborn.fds[0]);
		reborn.fds[0] = old;
	}
	loop_fd_add(l, reborn.fds[0], LOOP_READ, on_read, &reborn);
}

static void test_fd_reused_number_not_called_in_same_turn(void **state)
{
	struct loop *l = *state;
	memset(&first, 0, sizeof(first));
	memset(&second, 0, sizeof(second));
	memset(&reborn, 0, sizeof(reborn));
	assert_int_equal(pipe(first.fds), 0);
	assert_int_equal(pipe(second.fds), 0);
	assert_true(first.fds[0] < second.fds[0]); /* dispatch is in fd order */
	assert_int_equal(write(first.fds[1], "1", 1), 1);
	assert_int_equal(write(second.fds[1], "2", 1), 1);
	loop_fd_add(l, first.fds[0], LOOP_READ, on_read_replace, &first);
	loop_fd_add(l, second.fds[0], LOOP_READ, on_read, &second);
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(first.calls, 1);
	assert_int_equal(second.calls, 0);
	assert_int_equal(reborn.calls, 0); /* its pipe is empty: a call would be stale revents */
	loop_fd_del(l, first.fds[0]);
	loop_fd_del(l, reborn.fds[0]);
	close(first.fds[0]);
	close(first.fds[1]);
	close(reborn.fds[0]);
	close(reborn.fds[1]);
}

/* --- deferred work, before-sleep, idleness ----------------------------------- */

static void defer_mark(struct loop *l, void *ctx)
{
	mark((char)(intptr_t)ctx);
}

static void defer_again(struct loop *l, void *ctx)
{
	mark('1');
	loop_defer(l, defer_mark, (void *)'2');
}

static void before_sleep_mark(struct loop *l, void *ctx)
{
	mark('S');
}

static void on_read_mark(struct loop *l, int fd, int revents, void *ctx)
{
	char c;
	assert_int_equal(read(fd, &c, 1), 1);
	mark('F');
}

static void test_deferred_run_before_poll(void **state)
{
	struct loop *l = *state;
	loop_set_before_sleep(l, before_sleep_mark, NULL);
	loop_defer(l, defer_again, NULL);
	loop_defer(l, defer_mark, (void *)'b');
	assert_int_equal(loop_next_timeout_ms(l), 0);

	/* Work deferred by a deferred callback waits for the next turn and
	 * keeps this turn's poll() from sleeping (max_wait is long). */
	int64_t t0 = time_mono_ms();
	assert_int_equal(loop_run_once(l, 5000), 2);
	assert_string_equal(trail, "1bS");
	assert_true(time_mono_ms() - t0 < 1000);
	assert_int_equal(loop_next_timeout_ms(l), 0);

	/* Next turn: the deferred callback, the hook, then the ready fd. */
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "x", 1), 1);
	loop_fd_add(l, fds[0], LOOP_READ, on_read_mark, NULL);
	assert_int_equal(loop_run_once(l, 5000), 2);
	assert_string_equal(trail, "1bS2SF");
	assert_true(time_mono_ms() - t0 < 1000);
	assert_int_equal(loop_next_timeout_ms(l), -1);

	loop_set_before_sleep(l, NULL, NULL);
	loop_fd_del(l, fds[0]);
	close(fds[0]);
	close(fds[1]);
}

static void test_idle_loop_sleeps_forever(void **state)
{
	struct loop *l = *state;
	/* nothing to wait for: poll() would get an infinite timeout */
	assert_int_equal(loop_next_timeout_ms(l), -1);
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	loop_fd_add(l, fds[0], LOOP_READ, on_read_mark, NULL);
	assert_int_equal(loop_next_timeout_ms(l), -1); /* fds alone never shorten it */

	uint64_t id = loop_timer_add(l, 500, timer_mark, (void *)'t');
	int64_t t = loop_next_timeout_ms(l);
	assert_true(t > 400 && t <= 500);
	loop_timer_del(l, id);
	assert_int_equal(loop_next_timeout_ms(l), -1);

	/* run_once with nothing to do sleeps the whole max_wait, in one
	 * wake-up, and calls nothing */
	struct loop_stats before, after;
	loop_stats(l, &before);
	int64_t t0 = time_mono_ms();
	assert_int_equal(loop_run_once(l, 200), 0);
	int64_t slept = time_mono_ms() - t0;
	assert_true(slept >= 199 && slept < 2000);
	loop_stats(l, &after);
	assert_int_equal(after.turns, before.turns + 1);
	assert_int_equal(after.fd_calls, before.fd_calls);
	assert_int_equal(after.timer_calls, before.timer_calls);
	assert_int_equal(after.fds, 1);
	assert_int_equal(after.timers, 0);
	assert_string_equal(trail, "");

	loop_fd_del(l, fds[0]);
	close(fds[0]);
	close(fds[1]);
}

static void stop_loop(struct loop *l, void *ctx)
{
	mark('s');
	loop_stop(l);
}

static void test_run_until_stop(void **state)
{
	struct loop *l = *state;
	loop_timer_add(l, 10, timer_mark, (void *)'a');
	loop_timer_add(l, 30, stop_loop, NULL);
	loop_timer_add(l, 5000, timer_mark, (void *)'z'); /* must not be reached */
	int64_t t0 = time_mono_ms();
	assert_int_equal(loop_run(l), 0);
	assert_string_equal(trail, "as");
	assert_true(time_mono_ms() - t0 < 2000);
}

static void on_alarm(int signo)
{
}

static void test_eintr_is_retried(void **state)
{
	struct loop *l = *state;
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: poll() fails with EINTR */
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	struct itimerval it = { .it_value = { .tv_usec = 30000 } };
	int64_t t0 = time_mono_ms();
	loop_timer_add(l, 150, timer_mark, (void *)'t');
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	/* one turn: interrupted at 30 ms, it must go back to sleep and fire
	 * the timer, neither failing nor returning empty-handed */
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_string_equal(trail, "t");
	assert_true(time_mono_ms() - t0 >= 150);
	sigaction(SIGALRM, &old, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_timers_fire_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_del, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_rearmed_with_zero_waits_a_turn, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fd_read_write_and_hangup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_delete_inside_callbacks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_reused_number_not_called_in_same_turn,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_deferred_run_before_poll, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_loop_sleeps_forever, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_until_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eintr_is_retried, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
