/*
 * test-proc.c -- child processes with real programs and real signals:
 * output capture, exit status after EOF (once), synchronous exec errors,
 * environment and cwd, stdin, the stop escalation q -> SIGTERM -> SIGKILL
 * within its graces, the whole group dying, pause freezing CPU time,
 * PR_SET_PDEATHSIG, draining large output, no fd, zombie or timer left
 * behind, abandon, the recovery kill of stale pids, and what a child
 * leaves behind (a background grandchild holding its pipes, setsid or
 * not) ending neither the run's finish nor our watch: stopped and reaped.
 *
 * Most cases run tests/fixtures/fake-ffmpeg (found through AURA_BUILDDIR,
 * or beside this binary). Every wait is bounded.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "os/loop.h"
#include "os/proc.h"
#include "os/sig.h"
#include "base/util.h"

static struct loop *loop;
static char fake[PATH_MAX];

/* One child's story as the callbacks told it. */
struct run {
	struct proc *p;
	struct buf out, err, fd3;
	size_t err_bytes;
	bool count_only; /* keep stderr's size, not its bytes */
	int exits;
	int status;
	int64_t exit_ms;
	enum proc_stop_step step; /* proc_stop_step() inside on_exit */
	int64_t step_ms;
	bool abandon_on_stdout;
};

static void on_stdout(void *ctx, const char *data, size_t n)
{
	struct run *r = ctx;
	buf_append(&r->out, data, n);
	if (r->abandon_on_stdout && r->p) {
		proc_abandon(r->p);
		r->p = NULL;
	}
}

static void on_stderr(void *ctx, const char *data, size_t n)
{
	struct run *r = ctx;
	r->err_bytes += n;
	if (!r->count_only)
		buf_append(&r->err, data, n);
}

static void on_fd3(void *ctx, const char *data, size_t n)
{
	struct run *r = ctx;
	buf_append(&r->fd3, data, n);
}

static void on_exit_cb(void *ctx, int status)
{
	struct run *r = ctx;
	r->exits++;
	r->status = status;
	r->exit_ms = time_mono_ms();
	assert_non_null(r->p); /* still valid in here, freed after */
	assert_true(proc_pid(r->p) > 0);
	r->step = proc_stop_step(r->p, &r->step_ms);
	r->p = NULL;
}

static const struct proc_ops ops = { on_stdout, on_stderr, on_fd3, on_exit_cb };

static void run_init(struct run *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->out);
	buf_init(&r->err);
	buf_init(&r->fd3);
}

static void run_clear(struct run *r)
{
	buf_free(&r->out);
	buf_free(&r->err);
	buf_free(&r->fd3);
}

static void on_signal(struct loop *l, int signo, void *ctx)
{
	if (signo == SIGCHLD)
		proc_reap_all();
}

static int setup(void **state)
{
	loop = loop_new();
	struct aura_error err;
	assert_int_equal(sig_init(loop, on_signal, NULL, &err), 0);
	assert_int_equal(proc_become_subreaper(), 0); /* as the server */
	return 0;
}

static int teardown(void **state)
{
	proc_kill_leftovers();
	sig_fini();
	loop_free(loop);
	loop = NULL;
	return 0;
}

/* Run the loop until cond(ctx) holds or timeout_ms passed. */
static bool run_until(bool (*cond)(void *), void *ctx, int64_t timeout_ms)
{
	int64_t end = time_mono_ms() + timeout_ms;
	while (!cond(ctx)) {
		int64_t left = end - time_mono_ms();
		if (left <= 0)
			return false;
		assert_true(loop_run_once(loop, left < 50 ? left : 50) >= 0);
	}
	return true;
}

static void run_for(int64_t ms)
{
	int64_t end = time_mono_ms() + ms;
	for (int64_t left = ms; left > 0; left = end - time_mono_ms())
		assert_true(loop_run_once(loop, left) >= 0);
}

static bool exited(void *ctx)
{
	return ((struct run *)ctx)->exits > 0;
}

static bool out_has_newline(void *ctx)
{
	return memchr(((struct run *)ctx)->out.data ? ((struct run *)ctx)->out.data : "", '\n',
		      ((struct run *)ctx)->out.len) != NULL;
}

static struct proc *spawn_spec(struct run *r, const struct proc_spec *spec)
{
	struct aura_error err;
	aura_error_clear(&err);
	r->p = proc_spawn(loop, spec, &ops, r, &err);
	if (!r->p)
		fail_msg("spawn %s: %s", spec->argv[0], err.detail);
	return r->p;
}

static struct proc *spawn(struct run *r, const char *const *argv, int stdin_mode, bool extra)
{
	struct proc_spec spec = { .argv = argv, .stdin_mode = stdin_mode, .extra_fd = extra };
	return spawn_spec(r, &spec);
}

/* --- /proc helpers ----------------------------------------------------------- */

/* The state letter of pid, or 0 if it does not exist. */
static char proc_state(pid_t pid, pid_t *ppid, long long *cpu_ticks)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *rp = strrchr(buf, ')');
	if (!rp)
		return 0;
	char state;
	int pp;
	unsigned long long ut, st;
	/* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
	if (sscanf(rp + 2, "%c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &state, &pp, &ut,
		   &st) != 4)
		return 0;
	if (ppid)
		*ppid = pp;
	if (cpu_ticks)
		*cpu_ticks = (long long)(ut + st);
	return state;
}

/* Gone, or a zombie nobody reaps (our container's init may not). */
static bool pid_dead(void *ctx)
{
	char s = proc_state((pid_t)(intptr_t)ctx, NULL, NULL);
	return s == 0 || s == 'Z' || s == 'X';
}

static bool pid_stopped(void *ctx)
{
	return proc_state((pid_t)(intptr_t)ctx, NULL, NULL) == 'T';
}

/* Is bit signo set in the "Sig<kind>:" mask of /proc/PID/status? */
static bool sig_in_mask(pid_t pid, const char *kind, int signo)
{
	char path[64], line[256], key[16];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	snprintf(key, sizeof(key), "Sig%s:", kind);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	bool set = false;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, strlen(key))) {
			unsigned long long mask = strtoull(line + strlen(key), NULL, 16);
			set = mask & (1ULL << (signo - 1));
			break;
		}
	}
	fclose(f);
	return set;
}

/* Wait (without the loop) until the child has installed its disposition. */
static void wait_sig_mask(pid_t pid, const char *kind, int signo)
{
	int64_t end = time_mono_ms() + 5000;
	while (!sig_in_mask(pid, kind, signo)) {
		if (time_mono_ms() > end)
			fail_msg("pid %d never set Sig%s for %d", (int)pid, kind, signo);
		usleep(2000);
	}
}

static int count_zombie_children(void)
{
	DIR *d = opendir("/proc");
	assert_non_null(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		pid_t ppid = 0;
		if (proc_state(atoi(e->d_name), &ppid, NULL) == 'Z' && ppid == getpid())
			n++;
	}
	closedir(d);
	return n;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	int n = 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void assert_idle_loop(void)
{
	struct loop_stats st;
	loop_stats(loop, &st);
	assert_int_equal(st.fds, 1);	/* only the signalfd */
	assert_int_equal(st.timers, 0); /* no stop timer left behind */
}

static bool loop_idle(void *ctx)
{
	struct loop_stats st;
	loop_stats(loop, &st);
	return st.fds == 1 && st.timers == 0 && count_zombie_children() == 0;
}

/* No live process has the marker among its arguments. */
static bool marker_gone(void *ctx)
{
	const char *marker = ctx;
	DIR *d = opendir("/proc");
	assert_non_null(d);
	bool found = false;
	struct dirent *e;
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		char path[300], buf[4096];
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		for (size_t i = 0; i < n; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		buf[n] = '\0';
		char s = proc_state(atoi(e->d_name), NULL, NULL);
		found = strstr(buf, marker) && s != 'Z' && s != 'X';
	}
	closedir(d);
	return !found;
}

/* --- tests ------------------------------------------------------------------- */

static void test_echo_stdout_then_exit_once(void **state)
{
	struct run r;
	run_init(&r);
	const char *argv[] = { "/bin/echo", "hello", NULL };
	spawn(&r, argv, PROC_STDIN_NULL, false);
	assert_true(proc_pid(r.p) > 0);
	assert_true(run_until(exited, &r, 5000));
	assert_string_equal(r.out.data, "hello\n"); /* all output came before on_exit */
	assert_true(WIFEXITED(r.status));
	assert_int_equal(WEXITSTATUS(r.status), 0);
	assert_int_equal(r.step, PROC_STOP_NONE); /* it ended by itself */
	run_for(100);
	assert_int_equal(r.exits, 1);
	assert_idle_loop();
	assert_int_equal(count_zombie_children(), 0);
	run_clear(&r);
}

static int count_child_fds(pid_t pid, bool *has3)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	assert_non_null(d);
	int n = 0;
	struct dirent *e;
	*has3 = false;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		*has3 |= !strcmp(e->d_name, "3");
	}
	closedir(d);
	return n;
}

/* What the child starts with: its own group, a clean signal state (not
 * our blocked mask or ignored SIGPIPE), and only fds 0-2 (+3). */
static void test_child_starts_clean(void **state)
{
	int inheritable = dup(2); /* no CLOEXEC: only the close-all step stops it */
	assert_true(inheritable > 3);
	for (int extra = 0; extra < 2; extra++) {
		struct run r;
		run_init(&r);
		const char *argv[] = { fake, "--hang", NULL };
		spawn(&r, argv, PROC_STDIN_PIPE, extra);
		pid_t pid = proc_pid(r.p);
		assert_int_equal(getpgid(pid), pid);
		assert_false(sig_in_mask(pid, "Blk", SIGCHLD));
		assert_false(sig_in_mask(pid, "Blk", SIGTERM));
		assert_false(sig_in_mask(pid, "Ign", SIGPIPE));
		/* Right after exec the dynamic loader briefly holds the
		 * libraries open: wait (bounded) for the count to settle. A
		 * leaked fd never goes away, so this still fails on a leak. */
		bool has3;
		int nfds = 0;
		for (int i = 0; i < 100; i++) {
			nfds = count_child_fds(pid, &has3);
			if (nfds == (extra ? 4 : 3))
				break;
			usleep(10000);
		}
		assert_int_equal(nfds, extra ? 4 : 3);
		assert_int_equal(has3, extra);
		proc_stop(r.p, 1000, 1000);
		assert_true(run_until(exited, &r, 3000));
		run_clear(&r);
	}
	close(inheritable);
}

static void test_exit_code_and_fd3(void **state)
{
	struct run r;
	run_init(&r);
	const char *argv[] = { fake,  "-nostdin", "-progress", "pipe:3",   "--duration-ms",
			       "150", "--exit",	  "3",	       "--stderr", "boom",
			       NULL };
	spawn(&r, argv, PROC_STDIN_NULL, true);
	assert_true(run_until(exited, &r, 5000));
	assert_true(WIFEXITED(r.status));
	assert_int_equal(WEXITSTATUS(r.status), 3);
	assert_non_null(strstr(r.fd3.data, "out_time_us="));
	assert_non_null(strstr(r.fd3.data, "progress=end\n"));
	assert_string_equal(r.err.data, "boom\n");
	assert_int_equal(r.out.len, 0);
	run_clear(&r);
}

static void test_exec_failure_is_synchronous(void **state)
{
	struct aura_error err;
	const char *missing[] = { "aura-no-such-program-x", NULL };
	struct proc_spec spec = { .argv = missing };
	struct run r;
	run_init(&r);
	aura_error_clear(&err);
	assert_null(proc_spawn(loop, &spec, &ops, &r, &err));
	assert_int_equal(err.code, AURA_E_SPAWN_FAILED);
	assert_non_null(strstr(err.detail, "aura-no-such-program-x"));
	assert_non_null(strstr(err.detail, strerror(ENOENT)));

	const char *notexec[] = { "/etc/passwd", NULL };
	spec.argv = notexec;
	aura_error_clear(&err);
	assert_null(proc_spawn(loop, &spec, &ops, &r, &err));
	assert_non_null(strstr(err.detail, strerror(EACCES)));

	const char *echo[] = { "/bin/echo", NULL };
	spec.argv = echo;
	spec.cwd = "/nonexistent-aura-dir";
	aura_error_clear(&err);
	assert_null(proc_spawn(loop, &spec, &ops, &r, &err));
	assert_int_equal(err.code, AURA_E_SPAWN_FAILED);
	assert_non_null(strstr(err.detail, "chdir /nonexistent-aura-dir"));

	const char *empty[] = { NULL };
	spec.argv = empty;
	assert_null(proc_spawn(loop, &spec, &ops, &r, &err));
	assert_int_equal(err.code, AURA_E_SPAWN_FAILED);

	/* the failed children were reaped on the spot; nothing was called */
	assert_int_equal(count_zombie_children(), 0);
	run_for(50);
	assert_int_equal(r.exits, 0);
	assert_idle_loop();
	run_clear(&r);
}

static void test_env_and_cwd(void **state)
{
	struct run r;
	run_init(&r);
	const char *argv[] = { "env", NULL };
	const char *add[] = { "AURA_TEST_X=42", "HOME=/aura-test-home", NULL };
	struct proc_spec spec = { .argv = argv, .envp_add = add };
	r.p = proc_spawn(loop, &spec, &ops, &r, NULL);
	assert_non_null(r.p);
	assert_true(run_until(exited, &r, 5000));
	assert_non_null(strstr(r.out.data, "\nAURA_TEST_X=42\n"));
	assert_non_null(strstr(r.out.data, "\nHOME=/aura-test-home\n"));
	const char *home = getenv("HOME");
	if (home && strcmp(home, "/aura-test-home")) {
		char *old = xasprintf("\nHOME=%s\n", home);
		assert_null(strstr(r.out.data, old)); /* replaced, not duplicated */
		free(old);
	}
	run_clear(&r);

	run_init(&r);
	const char *pwd[] = { "/bin/pwd", NULL };
	struct proc_spec spec2 = { .argv = pwd, .cwd = "/" };
	r.p = proc_spawn(loop, &spec2, &ops, &r, NULL);
	assert_non_null(r.p);
	assert_true(run_until(exited, &r, 5000));
	assert_string_equal(r.out.data, "/\n");
	run_clear(&r);
}

/* PROC_STDIN_FILE: a file (relative to the child's cwd) is its stdin, as a
 * program that reads only stdin (the classic piper) needs. */
static void test_stdin_from_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/aura-proc-in-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *path = xasprintf("%s/in.txt", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("spoken words\n", f);
	fclose(f);

	struct run r;
	run_init(&r);
	const char *argv[] = { "cat", NULL };
	struct proc_spec spec = {
		.argv = argv, .cwd = dir, .stdin_mode = PROC_STDIN_FILE, .stdin_path = "in.txt"
	};
	spawn_spec(&r, &spec);
	assert_true(run_until(exited, &r, 5000));
	assert_true(WIFEXITED(r.status));
	assert_int_equal(WEXITSTATUS(r.status), 0);
	assert_string_equal(r.out.data, "spoken words\n");
	run_clear(&r);

	/* a file that cannot be opened: SPAWN_FAILED, synchronously, naming it */
	run_init(&r);
	struct aura_error err;
	aura_error_clear(&err);
	spec.stdin_path = "missing.txt";
	assert_null(proc_spawn(loop, &spec, &ops, &r, &err));
	assert_int_equal(err.code, AURA_E_SPAWN_FAILED);
	assert_non_null(strstr(err.detail, "missing.txt"));
	assert_idle_loop();
	run_clear(&r);
	unlink(path);
	rmdir(dir);
	free(path);
}

static void test_stdin_pipe_round_trip(void **state)
{
	struct run r;
	run_init(&r);
	const char *argv[] = { "cat", NULL };
	spawn(&r, argv, PROC_STDIN_PIPE, false);
	/* far more than a pipe holds: the rest waits in proc's buffer */
	size_t n = 300 * 1024;
	char *data = xmalloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = (char)('a' + i % 26);
	assert_int_equal(proc_write_stdin(r.p, data, n), 0);
	proc_close_stdin(r.p);
	errno = 0;
	assert_int_equal(proc_write_stdin(r.p, "x", 1), -1); /* closing: refused */
	assert_int_equal(errno, EPIPE);
	assert_true(run_until(exited, &r, 10000));
	assert_int_equal(r.out.len, n);
	assert_memory_equal(r.out.data, data, n);
	assert_int_equal(WEXITSTATUS(r.status), 0);
	free(data);
	run_clear(&r);
}

static void test_stop_q_within_quit_grace(void **state)
{
	struct run r;
	run_init(&r);
	const char *argv[] = { fake, "--hang", NULL };
	spawn(&r, argv, PROC_STDIN_PIPE, false);
	int64_t t0 = time_mono_ms();
	proc_stop(r.p, 3000, 3000);
	assert_true(proc_is_stopping(r.p));
	assert_true(run_until(exited, &r, 5000));
	assert_true(WIFEXITED(r.status));
	assert_int_equal(WEXITSTATUS(r.status), 0);
	assert_non_null(strstr(r.err.data, "[q] command received"));
	assert_true(r.exit_ms - t0 < 2000);	  /* did not wait for the grace */
	assert_int_equal(r.step, PROC_STOP_QUIT); /* the step that ended it is known */
	assert_true(r.step_ms >= 0 && r.step_ms < 2000);
	assert_idle_loop();
	run_clear(&r);
}

static void test_stop_ignored_q_gets_sigterm(void **state)
{
	struct run r;
	run_init(&r);
	const char *argv[] = { fake, "--hang", "--ignore-q", NULL };
	spawn(&r, argv, PROC_STDIN_PIPE, false);
	int64_t t0 = time_mono_ms();
	proc_stop(r.p, 300, 3000);
	assert_true(run_until(exited, &r, 5000));
	assert_true(WIFSIGNALED(r.status));
	assert_int_equal(WTERMSIG(r.status), SIGTERM);
	assert_true(r.exit_ms - t0 >= 300); /* q was given its grace */
	assert_true(r.exit_ms - t0 < 2500); /* and SIGTERM did not wait for term_grace */
	assert_int_equal(r.step, PROC_STOP_TERM);
	assert_true(r.step_ms >= 300 && r.step_ms < 2500);
	assert_string_equal(proc_stop_step_name(r.step), "SIGTERM");
	assert_idle_loop();
	run_clear(&r);
}

static void test_stop_ignored_term_gets_sigkill(void **state)
{
	struct run r;
	run_init(&r);
	const char *argv[] = { fake, "--hang", "--ignore-term", NULL };
	spawn(&r, argv, PROC_STDIN_PIPE, false);
	wait_sig_mask(proc_pid(r.p), "Ign", SIGTERM);
	int64_t t0 = time_mono_ms();
	proc_stop(r.p, 200, 300);
	assert_true(run_until(exited, &r, 5000));
	assert_true(WIFSIGNALED(r.status));
	assert_int_equal(WTERMSIG(r.status), SIGKILL);
	int64_t took = r.exit_ms - t0;
	assert_true(took >= 500); /* both graces were honoured */
	assert_true(took < 2000); /* and bound the whole stop */
	assert_int_equal(r.step, PROC_STOP_KILL);
	assert_true(r.step_ms >= 500);
	assert_idle_loop();
	run_clear(&r);
}

static void test_second_stop_shortens(void **state)
{
	struct run r;
	run_init(&r);
	const char *argv[] = { fake, "--hang", "--ignore-term", NULL };
	spawn(&r, argv, PROC_STDIN_PIPE, false);
	wait_sig_mask(proc_pid(r.p), "Ign", SIGTERM);
	int64_t t0 = time_mono_ms();
	proc_stop(r.p, 10000, 10000);
	run_for(100);
	proc_stop(r.p, 20000, 20000); /* longer: ignored, nothing restarts */
	run_for(100);
	assert_int_equal(r.exits, 0);
	proc_stop(r.p, 0, 0); /* "second Ctrl-C": kill now */
	assert_true(run_until(exited, &r, 3000));
	assert_int_equal(WTERMSIG(r.status), SIGKILL);
	assert_true(r.exit_ms - t0 < 2000);
	assert_idle_loop();
	run_clear(&r);
}

static void test_stop_without_stdin_starts_at_sigterm(void **state)
{
	struct run r;
	run_init(&r);
	const char *argv[] = { fake, "--hang", NULL };
	spawn(&r, argv, PROC_STDIN_NULL, false);
	int64_t t0 = time_mono_ms();
	proc_stop(r.p, 5000, 5000);
	assert_true(run_until(exited, &r, 3000));
	assert_int_equal(WTERMSIG(r.status), SIGTERM);
	assert_true(r.exit_ms - t0 < 2000);
	run_clear(&r);
}

static void test_stop_paused_child(void **state)
{
	struct run r;
	run_init(&r);
	/* like ffmpeg, it catches SIGTERM: stopped, it could not run the
	 * handler, so the stop must continue it */
	const char *argv[] = { fake, "--hang", "--term-exit", "255", NULL };
	spawn(&r, argv, PROC_STDIN_NULL, false);
	pid_t pid = proc_pid(r.p);
	wait_sig_mask(pid, "Cgt", SIGTERM);
	assert_int_equal(proc_pause(r.p), 0);
	assert_true(proc_is_paused(r.p));
	assert_true(run_until(pid_stopped, (void *)(intptr_t)pid, 3000));
	int64_t t0 = time_mono_ms();
	proc_stop(r.p, 1000, 5000);
	assert_true(run_until(exited, &r, 4000));
	assert_true(WIFEXITED(r.status));
	assert_int_equal(WEXITSTATUS(r.status), 255); /* the handler ran: not SIGKILL */
	assert_true(r.exit_ms - t0 < 3000);
	run_clear(&r);
}

static bool grandchild_known(void *ctx)
{
	return strstr(((struct run *)ctx)->out.data ? ((struct run *)ctx)->out.data : "",
		      "grandchild=") != NULL &&
	       out_has_newline(ctx);
}

static void test_whole_group_dies_and_exit_waits_for_eof(void **state)
{
	struct run r;
	run_init(&r);
	const char *argv[] = { fake, "--hang", "--fork-child", NULL };
	spawn(&r, argv, PROC_STDIN_PIPE, false);
	assert_true(run_until(grandchild_known, &r, 5000));
	pid_t g = (pid_t)atoi(strstr(r.out.data, "grandchild=") + strlen("grandchild="));
	assert_true(g > 1);
	assert_false(pid_dead((void *)(intptr_t)g));

	/* The leader exits 0 on q at once; the grandchild holds its pipes, so
	 * no on_exit until SIGTERM (after quit_grace) hits the group or the
	 * exit grace (500 ms) is over, whichever comes first. */
	int64_t t0 = time_mono_ms();
	proc_stop(r.p, 400, 5000);
	assert_true(run_until(exited, &r, 5000));
	assert_true(r.exit_ms - t0 >= 400);
	assert_true(WIFEXITED(r.status));
	assert_int_equal(WEXITSTATUS(r.status), 0);
	assert_true(run_until(pid_dead, (void *)(intptr_t)g, 3000));
	assert_true(run_until(loop_idle, NULL, 5000)); /* the leftover reaped */
	run_clear(&r);
}

static bool cpu_advanced(void *ctx)
{
	long long *ticks = ctx, now = 0;
	proc_state((pid_t)ticks[1], NULL, &now);
	return now >= ticks[0] + 5;
}

static void test_pause_freezes_cpu_time(void **state)
{
	struct run r;
	run_init(&r);
	const char *argv[] = { fake, "--hang", "--busy", NULL };
	spawn(&r, argv, PROC_STDIN_NULL, false);
	pid_t pid = proc_pid(r.p);
	long long probe[2] = { 0, pid };
	proc_state(pid, NULL, &probe[0]);
	assert_true(run_until(cpu_advanced, probe, 5000)); /* it is burning CPU */

	assert_int_equal(proc_pause(r.p), 0);
	assert_true(run_until(pid_stopped, (void *)(intptr_t)pid, 3000));
	long long before = 0, after = 0;
	proc_state(pid, NULL, &before);
	run_for(300);
	proc_state(pid, NULL, &after);
	assert_int_equal(after, before);
	assert_true(proc_is_paused(r.p));

	assert_int_equal(proc_resume(r.p), 0);
	assert_false(proc_is_paused(r.p));
	probe[0] = after;
	assert_true(run_until(cpu_advanced, probe, 5000));

	proc_stop(r.p, 0, 0);
	assert_int_equal(proc_pause(r.p), -1); /* no pause during a stop */
	assert_int_equal(errno, EBUSY);
	assert_true(run_until(exited, &r, 3000));
	assert_idle_loop();
	run_clear(&r);
}

static void test_pdeathsig_kills_orphan(void **state)
{
	int report[2], hold[2];
	assert_int_equal(pipe(report), 0);
	assert_int_equal(pipe(hold), 0);
	pid_t mid = fork();
	assert_true(mid >= 0);
	if (mid == 0) {
		/* An intermediate "server": spawns, reports, waits, dies. */
		close(report[0]);
		close(hold[1]);
		struct loop *l2 = loop_new();
		const char *argv[] = { fake, "--hang", NULL };
		struct proc_spec spec = { .argv = argv };
		struct proc *p = proc_spawn(l2, &spec, NULL, NULL, NULL);
		pid_t g = proc_pid(p);
		if (write(report[1], &g, sizeof(g)) != sizeof(g))
			_exit(1);
		struct pollfd pfd = { .fd = hold[0], .events = POLLIN };
		poll(&pfd, 1, 10000); /* until the test closes hold[1]; bounded */
		_exit(0);
	}
	close(report[1]);
	close(hold[0]);
	pid_t g = 0;
	assert_int_equal(read(report[0], &g, sizeof(g)), sizeof(g));
	close(report[0]);
	assert_true(g > 1);
	pid_t ppid = 0;
	assert_false(pid_dead((void *)(intptr_t)g));
	proc_state(g, &ppid, NULL);
	assert_int_equal(ppid, mid);

	close(hold[1]); /* the intermediate exits now */
	int st;
	assert_int_equal(waitpid(mid, &st, 0), mid);
	int64_t end = time_mono_ms() + 5000;
	while (!pid_dead((void *)(intptr_t)g) && time_mono_ms() < end)
		usleep(5000);
	assert_true(pid_dead((void *)(intptr_t)g));
}

/* 3 MB of stderr as fast as the child can write it, then exit. */
static const char *const *flood_argv(void)
{
	static const char *argv[] = { NULL,	 "-nostdin",	  "--stderr-bytes",
				      "3000000", "--duration-ms", "0",
				      NULL };
	argv[0] = fake;
	return argv;
}

static void test_large_stderr_is_drained(void **state)
{
	struct run r;
	run_init(&r);
	r.count_only = true;
	spawn(&r, flood_argv(), PROC_STDIN_NULL, false);
	assert_true(run_until(exited, &r, 20000));
	assert_int_equal(r.err_bytes, 3000000);
	assert_true(WIFEXITED(r.status));
	assert_int_equal(WEXITSTATUS(r.status), 0);
	run_clear(&r);
}

static struct proc *spawn_held(struct run *r, const char *const *argv, int hold_ms)
{
	struct proc_spec spec = { .argv = argv,
				  .stdin_mode = PROC_STDIN_NULL,
				  .stderr_hold_ms = hold_ms };
	return spawn_spec(r, &spec);
}

/* Held stderr: 100 small writes over 200+ ms come in a few reads, all of
 * them, and the exit is not kept waiting for the hold to end. */
static void test_held_stderr_batches_small_writes(void **state)
{
	struct run r;
	run_init(&r);
	int calls = 0;
	const char *argv[] = {
		fake, "-nostdin", "--stderr-drip", "100", "--duration-ms", "0", NULL
	};
	int64_t t0 = time_mono_ms();
	spawn_held(&r, argv, 150);
	size_t seen = 0;
	while (r.exits == 0 && time_mono_ms() - t0 < 20000) {
		loop_run_once(loop, 100);
		if (r.err.len != seen) {
			calls++;
			seen = r.err.len;
		}
	}
	assert_int_equal(r.exits, 1);
	assert_int_equal(r.err.len, 1000); /* every byte */
	assert_true(calls <= 10);	   /* 100 writes, a handful of reads */
	run_clear(&r);

	/* a hold far longer than the child's life: the exit ends it */
	run_init(&r);
	t0 = time_mono_ms();
	spawn_held(&r, argv, 60000);
	assert_true(run_until(exited, &r, 30000));
	assert_int_equal(r.err.len, 1000);
	assert_true(r.exit_ms - t0 < 30000);
	run_clear(&r);
	assert_idle_loop();
}

/* A child logging flat out is read as fast as it writes, never held. */
static void test_held_stderr_never_throttles_a_flood(void **state)
{
	struct run r;
	run_init(&r);
	r.count_only = true;
	/* The first read may be one small line and start a hold (the pipe,
	 * made 1 MiB, fills meanwhile); the next read is big and ends the
	 * holding for good. Held after every small read, 3 MB would take two
	 * holds or more. */
	int64_t t0 = time_mono_ms();
	spawn_held(&r, flood_argv(), 3000);
	assert_true(run_until(exited, &r, 30000));
	assert_int_equal(r.err_bytes, 3000000);
	assert_true(r.exit_ms - t0 < 5000);
	run_clear(&r);
	assert_idle_loop();
}

static void test_no_fd_zombie_or_timer_left(void **state)
{
	int fds_before = count_fds();
	for (int i = 0; i < 200; i++) {
		struct run r;
		run_init(&r);
		if (i % 20 == 0) { /* now and then through a stop, with its timers */
			const char *argv[] = { fake, "--hang", NULL };
			spawn(&r, argv, PROC_STDIN_PIPE, true);
			proc_stop(r.p, 5000, 5000);
		} else {
			const char *argv[] = { fake, "-nostdin", "--duration-ms", "0", NULL };
			spawn(&r, argv, i % 2 ? PROC_STDIN_PIPE : PROC_STDIN_NULL, i % 3 == 0);
		}
		assert_true(run_until(exited, &r, 5000));
		assert_int_equal(r.exits, 1);
		run_clear(&r);
	}
	assert_int_equal(count_fds(), fds_before);
	assert_int_equal(count_zombie_children(), 0);
	assert_idle_loop();
}

static void test_abandon(void **state)
{
	struct run r;
	run_init(&r);
	const char *argv[] = { fake, "--hang", NULL };
	spawn(&r, argv, PROC_STDIN_PIPE, true);
	pid_t pid = proc_pid(r.p);
	proc_abandon(r.p);
	r.p = NULL;
	assert_true(run_until(pid_dead, (void *)(intptr_t)pid, 3000));
	run_for(100); /* SIGCHLD: reaped and discarded */
	assert_int_equal(r.exits, 0);
	assert_int_equal(count_zombie_children(), 0);
	assert_idle_loop();

	/* from inside the proc's own data callback */
	run_init(&r);
	r.abandon_on_stdout = true;
	const char *argv2[] = { fake, "--hang", "--fork-child", NULL };
	spawn(&r, argv2, PROC_STDIN_NULL, false);
	pid = proc_pid(r.p);
	assert_true(run_until(out_has_newline, &r, 5000));
	assert_null(r.p);
	pid_t g = (pid_t)atoi(strstr(r.out.data, "grandchild=") + strlen("grandchild="));
	assert_true(run_until(pid_dead, (void *)(intptr_t)pid, 3000));
	assert_true(run_until(pid_dead, (void *)(intptr_t)g, 3000));
	run_for(100);
	assert_int_equal(r.exits, 0);
	assert_idle_loop();
	run_clear(&r);
}

static void test_kill_stale(void **state)
{
	struct run r;
	run_init(&r);
	const char *argv[] = { fake, "--hang", NULL };
	spawn(&r, argv, PROC_STDIN_NULL, false);
	pid_t pid = proc_pid(r.p);
	assert_int_equal(proc_kill_stale(pid, "ffmpeg"), 0); /* another program */
	run_for(100);
	assert_int_equal(r.exits, 0);
	assert_int_equal(proc_kill_stale(getpid(), "test-proc"), 0);
	assert_int_equal(proc_kill_stale(1, "init"), 0);
	assert_int_equal(proc_kill_stale(0, "fake-ffmpeg"), 0);

	assert_int_equal(proc_kill_stale(pid, "fake-ffmpeg"), 1);
	assert_true(run_until(exited, &r, 3000));
	assert_int_equal(WTERMSIG(r.status), SIGKILL);
	assert_int_equal(proc_kill_stale(pid, "fake-ffmpeg"), 0); /* gone */
	run_clear(&r);
}

static void test_crash_is_a_signal(void **state)
{
	struct run r;
	run_init(&r);
	const char *argv[] = { fake, "-nostdin", "--duration-ms", "0", "--crash", NULL };
	spawn(&r, argv, PROC_STDIN_NULL, false);
	assert_true(run_until(exited, &r, 5000));
	assert_true(WIFSIGNALED(r.status));
	assert_int_equal(WTERMSIG(r.status), SIGSEGV);
	run_clear(&r);
}

/*
 * The child exits 0 at once but leaves a sleep behind (its argument is a
 * marker no other process has): holding its pipes, in its group or in a
 * session of its own (setsid), or not holding them. on_exit comes anyway
 * (within the exit grace, far before the sleep would end), and the sleep
 * is stopped and reaped: no process with the marker, no zombie, no timer.
 */
static void test_leftovers_are_stopped(void **state)
{
	static const char *const starts[] = { "sleep", "setsid sleep", "setsid sleep", "sleep" };
	static const char *const ends[] = { "&", "&", ">/dev/null 2>&1 &", ">/dev/null 2>&1 &" };
	for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		char marker[64], script[256];
		snprintf(marker, sizeof(marker), "3600.%d%zu", (int)getpid(), i);
		snprintf(script, sizeof(script), "%s %s %s echo $!; exit 0", starts[i], marker,
			 ends[i]);
		struct run r;
		run_init(&r);
		const char *argv[] = { "/bin/sh", "-c", script, NULL };
		spawn(&r, argv, PROC_STDIN_NULL, true);
		if (!run_until(exited, &r, 20000))
			fail_msg("%s: no on_exit while the leftover holds the pipes", script);
		assert_true(WIFEXITED(r.status));
		assert_int_equal(WEXITSTATUS(r.status), 0);
		pid_t g = (pid_t)atoi(r.out.data ? r.out.data : "0");
		assert_true(g > 1);
		if (!run_until(marker_gone, marker, 20000))
			fail_msg("%s: the leftover sleep %d survived", script, (int)g);
		assert_true(run_until(loop_idle, NULL, 20000)); /* reaped, timers gone */
		assert_int_equal(r.exits, 1);
		run_clear(&r);
	}
}

/* --- proc_run: the bounded synchronous run (no sig_init, as in doctor) ------- */

static void test_run_captures_output_and_status(void **state)
{
	const char *argv[] = { "sh", "-c", "printf hello; printf oops >&2; exit 3", NULL };
	struct proc_run_spec spec = {
		.argv = argv, .deadline_ms = 5000, .out_cap = 100, .err_cap = 100
	};
	struct proc_run_result res;
	struct aura_error err;
	assert_int_equal(proc_run(&spec, &res, &err), 0);
	assert_false(res.timed_out);
	assert_int_equal(res.stopped_by, PROC_STOP_NONE);
	assert_true(WIFEXITED(res.status));
	assert_int_equal(WEXITSTATUS(res.status), 3);
	assert_int_equal(res.out.len, 5);
	assert_memory_equal(res.out.data, "hello", 5);
	assert_int_equal(res.err.len, 4);
	assert_memory_equal(res.err.data, "oops", 4);
	buf_free(&res.out);
	buf_free(&res.err);
}

static void test_run_respects_the_cap(void **state)
{
	/* 1 MB out, 1000 kept: the rest is drained (the child is not stuck on
	 * a full pipe) and dropped. */
	const char *argv[] = { "head", "-c", "1000000", "/dev/zero", NULL };
	struct proc_run_spec spec = { .argv = argv, .deadline_ms = 5000, .out_cap = 1000 };
	struct proc_run_result res;
	struct aura_error err;
	assert_int_equal(proc_run(&spec, &res, &err), 0);
	assert_false(res.timed_out);
	assert_true(WIFEXITED(res.status));
	assert_int_equal(WEXITSTATUS(res.status), 0);
	assert_int_equal(res.out.len, 1000);
	assert_int_equal(res.err.len, 0);
	buf_free(&res.out);
	buf_free(&res.err);
}

/* A child past a 200 ms deadline: the stop sequence ends it with the step
 * and signal expected, after at least min_ms and well within max_ms. */
static void run_past_deadline(const char *const *argv, int grace_ms, enum proc_stop_step step,
			      int sig, int64_t min_ms, int64_t max_ms)
{
	struct proc_run_spec spec = { .argv = argv, .deadline_ms = 200, .term_grace_ms = grace_ms };
	struct proc_run_result res;
	struct aura_error err;
	int64_t t0 = time_mono_ms();
	assert_int_equal(proc_run(&spec, &res, &err), 0);
	int64_t took = time_mono_ms() - t0;
	assert_true(res.timed_out);
	assert_int_equal(res.stopped_by, step);
	assert_true(WIFSIGNALED(res.status));
	assert_int_equal(WTERMSIG(res.status), sig);
	assert_true(took >= min_ms);
	assert_true(took < max_ms);
	buf_free(&res.out);
	buf_free(&res.err);
}

static void test_run_stops_at_the_deadline(void **state)
{
	const char *argv[] = { "sleep", "60", NULL };
	run_past_deadline(argv, 1000, PROC_STOP_TERM, SIGTERM, 200, 1000);
}

static void test_run_kills_what_ignores_sigterm(void **state)
{
	const char *argv[] = { "sh", "-c", "trap '' TERM; exec sleep 60", NULL };
	run_past_deadline(argv, 200, PROC_STOP_KILL, SIGKILL, 400, 2000);
}

static void test_run_exec_failure(void **state)
{
	const char *argv[] = { "/nonexistent/aura-no-such-program", NULL };
	struct proc_run_spec spec = { .argv = argv, .deadline_ms = 1000 };
	struct proc_run_result res;
	struct aura_error err;
	aura_error_clear(&err);
	assert_int_equal(proc_run(&spec, &res, &err), -AURA_E_SPAWN_FAILED);
	assert_int_equal(err.code, AURA_E_SPAWN_FAILED);
	buf_free(&res.out);
	buf_free(&res.err);
}

int main(void)
{
	/* sig_init blocks SIGTERM, so a hung test would outlive the harness's
	 * timeout: SIGALRM (not blocked) bounds the whole run instead. */
	alarm(120);
	const char *bd = getenv("AURA_BUILDDIR");
	if (bd) {
		snprintf(fake, sizeof(fake), "%s/tests/fixtures/fake-ffmpeg", bd);
	} else {
		char self[PATH_MAX - 64];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		self[n > 0 ? n : 0] = '\0';
		char *slash = strrchr(self, '/');
		if (slash)
			*slash = '\0';
		snprintf(fake, sizeof(fake), "%s/../fixtures/fake-ffmpeg", self);
	}
	if (access(fake, X_OK) != 0) {
		fprintf(stderr, "test-proc: %s is missing: build it with make check\n", fake);
		return 1;
	}

	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_echo_stdout_then_exit_once),
		T(test_child_starts_clean),
		T(test_exit_code_and_fd3),
		T(test_exec_failure_is_synchronous),
		T(test_env_and_cwd),
		T(test_stdin_from_file),
		T(test_stdin_pipe_round_trip),
		T(test_stop_q_within_quit_grace),
		T(test_stop_ignored_q_gets_sigterm),
		T(test_stop_ignored_term_gets_sigkill),
		T(test_second_stop_shortens),
		T(test_stop_without_stdin_starts_at_sigterm),
		T(test_stop_paused_child),
		T(test_whole_group_dies_and_exit_waits_for_eof),
		T(test_pause_freezes_cpu_time),
		T(test_pdeathsig_kills_orphan),
		T(test_large_stderr_is_drained),
		T(test_held_stderr_batches_small_writes),
		T(test_held_stderr_never_throttles_a_flood),
		T(test_no_fd_zombie_or_timer_left),
		T(test_abandon),
		T(test_kill_stale),
		T(test_crash_is_a_signal),
		T(test_leftovers_are_stopped),
#undef T
		cmocka_unit_test(test_run_captures_output_and_status),
		cmocka_unit_test(test_run_respects_the_cap),
		cmocka_unit_test(test_run_stops_at_the_deadline),
		cmocka_unit_test(test_run_kills_what_ignores_sigterm),
		cmocka_unit_test(test_run_exec_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
