/*
 * test-engine-lanes.c -- a job's parallel commands run at once (the
 * engine's lanes, task.h): a fake task, registered as the ffmpeg kind's
 * task through engine_kind.task_new,, gives real children (/bin/sleep, the
 * real ffmpeg with lavfi) marked parallel, and the tests watch them live
 * in /proc: N at once up to [server] lanes, TASK_WAIT honoured, cancel and
 * a failing lane stop them all, pause stops all (state T) and resume
 * continues all, and progress sums the lanes' shares, never going back.
 * Waits are bounded polls of a condition, never sleeps.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/conf.h"
#include "base/errors.h"
#include "base/job.h"
#include "base/paths.h"
#include "base/util.h"
#include "engine/engine.h"
#include "engine/task.h"
#include "os/loop.h"
#include "os/proc.h"
#include "os/sig.h"
#include "store/store.h"
#include "sandbox.h"

#define MAX_CMDS 16

/* What the fake task does: n commands, all parallel. */
struct plan {
	int n;
	const char *sleep_s; /* each command: sleep this long ... */
	bool ffmpeg;	     /* ... or ffmpeg -re over ffmpeg_s seconds of lavfi */
};

struct fx {
	char *dir;
	struct aura_config cfg;
	struct aura_paths paths;
	struct store *st;
	struct loop *loop;
	struct engine *e;
	struct plan plan;
	/* what the task saw */
	int started, ended, waits, aborts;
	int active, max_active; /* started, not yet done */
	int tags_done[MAX_CMDS];
	/* what the engine told */
	double progress;
	bool progress_went_back;
	double max_mid; /* highest progress below 1 */
	int max_live;	/* most children seen at once in /proc */
};

static struct fx *F;

/* --- the fake task ---------------------------------------------------------- */

static char **argv_of(const char *const *a)
{
	size_t n = 0;
	while (a[n])
		n++;
	char **v = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		v[i] = xstrdup(a[i]);
	return v;
}

static int fake_next(void *t, struct job *j, struct task_cmd *cmd, struct aura_error *err)
{
	struct fx *f = t;
	(void)j;
	(void)err;
	if (f->started < f->plan.n) {
		int tag = f->started++;
		if (f->plan.ffmpeg) {
			cmd->argv = argv_of((const char *const[]){
			    "ffmpeg", "-re", "-f", "lavfi", "-i",
			    "testsrc=duration=2:size=64x64:rate=25", "-f", "null", "-", NULL });
			cmd->ffmpeg = true;
			cmd->duration_us = 2000000;
		} else {
			cmd->argv =
			    argv_of((const char *const[]){ "sleep", f->plan.sleep_s, NULL });
		}
		cmd->parallel = true;
		cmd->tag = tag;
		cmd->weight_start = 0.1;
		cmd->weight_len = 0.8 / f->plan.n;
		cmd->stage = xstrdup("segments");
		if (++f->active > f->max_active)
			f->max_active = f->active;
		return TASK_RUN;
	}
	if (f->ended < f->plan.n) {
		f->waits++;
		return TASK_WAIT;
	}
	return TASK_FINISHED;
}

static int fake_done(void *t, struct job *j, int tag, int status, const char *out, size_t out_len,
		     const char *tail, struct aura_error *err)
{
	struct fx *f = t;
	(void)j;
	(void)out;
	(void)out_len;
	(void)tail;
	assert_true(tag >= 0 && tag < MAX_CMDS);
	f->tags_done[tag]++;
	f->ended++;
	f->active--;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return aura_error_set(err, AURA_E_FFMPEG_FAILED, "lane %d exited badly", tag);
	return 0;
}

static void fake_abort(void *t, struct job *j)
{
	struct fx *f = t;
	(void)j;
	f->aborts++;
}

static void fake_free(void *t)
{
	(void)t;
}

static const struct task_ops fake_ops = {
	.next = fake_next,
	.done = fake_done,
	.abort = fake_abort,
	.free = fake_free,
};

static int fake_task_new(const struct task_env *env, struct job *j, struct task *out,
			 struct aura_error *err)
{
	(void)env;
	(void)j;
	(void)err;
	out->ops = &fake_ops;
	out->impl = F;
	return 0;
}

static const struct engine_kind fake_kind = {
	.name = "ffmpeg",
	.task_new = fake_task_new,
};

/* --- fixture ------------------------------------------------------------------ */

static void ev_changed(const struct job *j, void *ctx)
{
	(void)j;
	(void)ctx;
}

static void ev_progress(const struct job *j, void *ctx)
{
	struct fx *f = ctx;
	if (j->progress + 1e-9 < f->progress)
		f->progress_went_back = true;
	if (j->progress >= 1.0 && j->state != JOB_SUCCEEDED)
		f->progress_went_back = true; /* 100 % before success is a lie */
	if (j->progress < 1.0 && j->progress > f->max_mid)
		f->max_mid = j->progress;
	f->progress = j->progress;
}

static const struct engine_events events = {
	.job_changed = ev_changed,
	.job_progress = ev_progress,
};

static void on_signal(struct loop *l, int signo, void *ctx)
{
	(void)l;
	(void)ctx;
	if (signo == SIGCHLD)
		proc_reap_all();
}

static int fx_setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	f->dir = sandbox_new("engine-lanes", &f->paths, &f->st);
	config_defaults(&f->cfg);
	f->cfg.max_jobs = 1;
	f->cfg.max_attempts = 1;
	f->cfg.quit_grace = 2;
	f->cfg.term_grace = 2;
	f->cfg.job_timeout = 0;
	f->cfg.keep_days = 0;
	f->cfg.lanes = 3;
	struct aura_error err = { 0 };
	f->loop = loop_new();
	F = f;
	assert_int_equal(sig_init(f->loop, on_signal, f, &err), 0);
	*state = f;
	return 0;
}

static void fx_engine(struct fx *f)
{
	f->e = engine_new(f->loop, f->st, &f->cfg, &f->paths, &events, f);
	assert_non_null(f->e);
	engine_set_kind(f->e, JOB_KIND_FFMPEG, &fake_kind, f);
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	engine_free(f->e);
	sig_fini();
	loop_free(f->loop);
	store_close(f->st);
	paths_free(&f->paths);
	config_free(&f->cfg);
	if (!getenv("AURA_TEST_KEEP"))
		rm_tree(f->dir);
	free(f->dir);
	free(f);
	F = NULL;
	return 0;
}

/* --- helpers ------------------------------------------------------------------- */

/* Our children named comm (the lanes' commands), their pids in out. */
static int children(const char *comm, pid_t *out, int max)
{
	DIR *d = opendir("/proc");
	assert_non_null(d);
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		char path[300], buf[512];
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		FILE *fp = fopen(path, "re");
		if (!fp)
			continue;
		size_t len = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
		buf[len] = '\0';
		char *open = strchr(buf, '('), *close = strrchr(buf, ')');
		if (!open || !close)
			continue;
		char st;
		int ppid;
		if (sscanf(close + 2, "%c %d", &st, &ppid) != 2 || ppid != getpid() || st == 'Z')
			continue;
		if ((size_t)(close - open - 1) != strlen(comm) ||
		    strncmp(open + 1, comm, strlen(comm)) != 0)
			continue;
		if (n < max)
			out[n] = (pid_t)atoi(de->d_name);
		n++;
	}
	closedir(d);
	return n;
}

/* The state letter of pid in /proc/PID/stat ('?' if gone). */
static char proc_state(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *fp = fopen(path, "re");
	if (!fp)
		return '?';
	size_t len = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[len] = '\0';
	char *close = strrchr(buf, ')');
	return close && close[1] == ' ' ? close[2] : '?';
}

/* pid is (stopped) or is no longer (!stopped) in state T within 3 s. */
static bool wait_state(struct fx *f, pid_t pid, bool stopped)
{
	int64_t end = time_mono_ms() + 3000;
	while ((proc_state(pid) == 'T') != stopped) {
		if (time_mono_ms() >= end)
			return false;
		assert_true(loop_run_once(f->loop, 10) >= 0);
	}
	return proc_state(pid) != '?';
}

typedef bool (*pred_fn)(struct fx *f, int64_t arg);

/* Run the loop until pred holds; the most children seen at once is kept. */
static bool run_until(struct fx *f, pred_fn pred, int64_t arg, int64_t timeout_ms)
{
	int64_t end = time_mono_ms() + timeout_ms;
	while (!pred(f, arg)) {
		pid_t p[MAX_CMDS];
		int live = children(f->plan.ffmpeg ? "ffmpeg" : "sleep", p, MAX_CMDS);
		if (live > f->max_live)
			f->max_live = live;
		int64_t left = end - time_mono_ms();
		if (left <= 0)
			return false;
		assert_true(loop_run_once(f->loop, left < 20 ? left : 20) >= 0);
	}
	return true;
}

static struct job get_job(struct fx *f, int64_t id)
{
	struct job j;
	struct aura_error err = { 0 };
	assert_int_equal(engine_get(f->e, id, &j, &err), 0);
	return j;
}

static bool pred_terminal(struct fx *f, int64_t id)
{
	struct job j = get_job(f, id);
	bool t = job_state_terminal(j.state);
	job_clear(&j);
	return t;
}

static bool pred_live(struct fx *f, int64_t n)
{
	pid_t p[MAX_CMDS];
	return children("sleep", p, MAX_CMDS) == n;
}

static int64_t submit(struct fx *f)
{
	struct job j;
	job_init(&j);
	j.kind = JOB_KIND_FFMPEG;
	j.name = xstrdup("lanes");
	j.spec = xasprintf("{\"argv\":[],\"cwd\":\"%s\"}", f->dir);
	struct aura_error err = { 0 };
	int rc = engine_submit(f->e, &j, &err);
	int64_t id = j.id;
	job_clear(&j);
	assert_int_equal(rc, 0);
	return id;
}

/* Once the job is over: no lane's child is left, abort at most once. */
static void assert_all_gone(struct fx *f)
{
	pid_t p[MAX_CMDS];
	assert_int_equal(children("sleep", p, MAX_CMDS), 0);
	assert_int_equal(children("ffmpeg", p, MAX_CMDS), 0);
	assert_true(f->aborts <= 1);
}

/* --- tests -------------------------------------------------------------------- */

/* Five commands, three lanes: three run at once, never more; next() said
 * TASK_WAIT while they ran; every done() came with its own tag. */
static void test_lanes_capped(void **state)
{
	struct fx *f = *state;
	f->plan.n = 5;
	f->plan.sleep_s = "0.6";
	fx_engine(f);
	int64_t id = submit(f);
	assert_true(run_until(f, pred_live, 3, 5000));
	assert_true(run_until(f, pred_terminal, id, 10000));
	struct job j = get_job(f, id);
	assert_int_equal(j.state, JOB_SUCCEEDED);
	job_clear(&j);
	assert_int_equal(f->max_live, 3);
	assert_int_equal(f->max_active, 3);
	assert_true(f->waits >= 1);
	for (int i = 0; i < 5; i++)
		assert_int_equal(f->tags_done[i], 1);
	/* job.log says whose each running: line is */
	char *dir = paths_job_dir(&f->paths, id);
	char *path = xasprintf("%s/job.log", dir);
	FILE *fp = fopen(path, "re");
	assert_non_null(fp);
	char *log = xcalloc(1, 65536);
	size_t len = fread(log, 1, 65535, fp);
	fclose(fp);
	assert_true(len > 0);
	for (int i = 0; i < 5; i++) {
		char *want = xasprintf("[aura] [%d] running: sleep 0.6", i);
		assert_non_null(strstr(log, want));
		free(want);
	}
	free(log);
	free(path);
	free(dir);
	assert_int_equal(f->aborts, 0);
	assert_false(f->progress_went_back);
	assert_all_gone(f);
}

/* Cancel stops every lane; the job ends when the last child is gone. */
static void test_cancel_stops_all(void **state)
{
	struct fx *f = *state;
	f->plan.n = 3;
	f->plan.sleep_s = "30";
	fx_engine(f);
	int64_t id = submit(f);
	assert_true(run_until(f, pred_live, 3, 5000));
	pid_t p[MAX_CMDS];
	assert_int_equal(children("sleep", p, MAX_CMDS), 3);
	struct aura_error err = { 0 };
	assert_int_equal(engine_cancel(f->e, id, &err), 0);
	assert_true(run_until(f, pred_terminal, id, 8000));
	struct job j = get_job(f, id);
	assert_int_equal(j.state, JOB_CANCELLED);
	assert_int_equal(j.pid, 0);
	job_clear(&j);
	for (int i = 0; i < 3; i++)
		assert_false(kill(p[i], 0) == 0);
	assert_int_equal(f->aborts, 1);
	assert_all_gone(f);
}

/* Pause stops every lane's child (T), resume continues them all. */
static void test_pause_resume_all(void **state)
{
	struct fx *f = *state;
	f->plan.n = 3;
	f->plan.sleep_s = "30";
	fx_engine(f);
	int64_t id = submit(f);
	assert_true(run_until(f, pred_live, 3, 5000));
	pid_t p[MAX_CMDS];
	assert_int_equal(children("sleep", p, MAX_CMDS), 3);
	struct aura_error err = { 0 };
	assert_int_equal(engine_pause(f->e, id, &err), 0);
	/* signals land asynchronously: each is waited for, with a deadline */
	for (int i = 0; i < 3; i++)
		assert_true(wait_state(f, p[i], true));
	assert_int_equal(engine_resume(f->e, id, &err), 0);
	for (int i = 0; i < 3; i++)
		assert_true(wait_state(f, p[i], false));
	assert_int_equal(engine_cancel(f->e, id, &err), 0);
	assert_true(run_until(f, pred_terminal, id, 8000));
	assert_all_gone(f);
}

/* One lane's child is killed, its done() fails: the others are stopped
 * (not waited out: they sleep 30 s), the job fails with that lane's code
 * once they are gone, abort once. */
static void test_one_fails_stops_others(void **state)
{
	struct fx *f = *state;
	f->plan.n = 3;
	f->plan.sleep_s = "30";
	fx_engine(f);
	int64_t id = submit(f);
	assert_true(run_until(f, pred_live, 3, 5000));
	pid_t p[MAX_CMDS];
	assert_int_equal(children("sleep", p, MAX_CMDS), 3);
	assert_int_equal(kill(p[1], SIGKILL), 0);
	assert_true(run_until(f, pred_terminal, id, 8000));
	struct job j = get_job(f, id);
	assert_int_equal(j.state, JOB_FAILED);
	assert_string_equal(j.error_code, "FFMPEG_FAILED");
	assert_non_null(strstr(j.error_message, "exited badly"));
	job_clear(&j);
	assert_int_equal(f->ended, 1); /* the stopped ones were not handed to done() */
	for (int i = 0; i < 3; i++)
		assert_false(kill(p[i], 0) == 0);
	assert_int_equal(f->aborts, 1);
	assert_all_gone(f);
}

/* Three ffmpeg runs at once: the job's progress is the group's start plus
 * the lanes' shares (it passes what one lane alone could give), and never
 * goes back. */
static void test_progress_sums(void **state)
{
	struct fx *f = *state;
	f->plan.n = 3;
	f->plan.ffmpeg = true;
	fx_engine(f);
	int64_t id = submit(f);
	assert_true(run_until(f, pred_terminal, id, 15000));
	struct job j = get_job(f, id);
	assert_int_equal(j.state, JOB_SUCCEEDED);
	job_clear(&j);
	assert_int_equal(f->max_live, 3);
	assert_false(f->progress_went_back);
	/* one lane alone reaches 0.1 + 0.8/3; the three summed reach 0.9 */
	assert_true(f->max_mid > 0.85);
	assert_all_gone(f);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_lanes_capped),		T(test_cancel_stops_all), T(test_pause_resume_all),
		T(test_one_fails_stops_others), T(test_progress_sums),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
