/*
 * test-util.c -- the growable array (xgrow/XGROW): capacity doubles from
 * its first size, a request that needs several doublings gets them at
 * once, elements survive a move, a big enough capacity is left alone, and
 * an overflowing request aborts instead of wrapping around.
 */
#include "config.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/util.h"

static void test_grow_doubles_from_first(void **state)
{
	(void)state;
	int *v = NULL;
	size_t n = 0, cap = 0;

	for (int i = 0; i < 100; i++) {
		XGROW(v, n + 1, cap, 4);
		v[n++] = i;
		/* 4, 8, 16, ... and never less than needed */
		assert_true(cap >= n);
		assert_true(cap == 4 || cap == 8 || cap == 16 || cap == 32 || cap == 64 ||
			    cap == 128);
	}
	assert_int_equal(cap, 128);
	for (int i = 0; i < 100; i++)
		assert_int_equal(v[i], i);
	free(v);
}

static void test_grow_many_at_once_and_not_when_roomy(void **state)
{
	(void)state;
	char *p = NULL;
	size_t cap = 0;

	XGROW(p, 1000, cap, 16);
	assert_int_equal(cap, 1024);
	char *same = p;
	XGROW(p, 1024, cap, 16);
	assert_ptr_equal(p, same);
	assert_int_equal(cap, 1024);
	free(p);
}

static void test_grow_overflow_aborts(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		long *p = NULL;
		size_t cap = 0;
		XGROW(p, SIZE_MAX / 4, cap, 8); /* * sizeof(long) wraps */
		_exit(0);			/* must not get here */
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_false(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grow_doubles_from_first),
		cmocka_unit_test(test_grow_many_at_once_and_not_when_roomy),
		cmocka_unit_test(test_grow_overflow_aborts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
