/*
 * test-engine.c -- the job engine with everything real: the loop, signals,
 * a temporary SQLite store, real child processes (tests/fixtures/fake-ffmpeg
 * for every path of the state machine, the real ffmpeg with lavfi for a true
 * end-to-end job). Waits are bounded polls of a condition, never sleeps.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/conf.h"
#include "engine/engine.h"
#include "base/errors.h"
#include "base/job.h"
#include "os/loop.h"
#include "base/paths.h"
#include "os/proc.h"
#include "os/sig.h"
#include "store/store.h"
#include "base/util.h"
#include "sandbox.h"

#define MAX_TRACKED 32

struct tracked {
	int64_t id;
	enum job_state state;
	double progress;
	bool progress_went_back;
	int mid_progress; /* progress events strictly between 0 and 1 */
	int starts;	  /* times seen entering running */
	int64_t first_start_seq;
	int queued_events;	     /* times seen going back to queued after running */
	int64_t requeue_delay_ms[8]; /* not_before - now at each requeue */
	int64_t requeued_mono_ms, restarted_mono_ms;
};

struct fx {
	char *dir;
	char *fake;
	struct aura_config cfg;
	struct aura_paths paths;
	struct store *st;
	struct loop *loop;
	struct engine *e;
	struct tracked jobs[MAX_TRACKED];
	int njobs;
	int running_now, max_running;
	int64_t start_seq;
	int drained;
	int progress_events;
	int removed;
	int log_lines;
	int64_t log_end; /* the last log line's end offset */
	/* test hook: called on every job_changed */
	void (*on_changed)(struct fx *f, const struct job *j);
	int64_t edit_id; /* on_changed_strip_crash: the job to edit */
};

static struct fx *F; /* the sig callback has no other way in */

static struct tracked *track(struct fx *f, int64_t id)
{
	for (int i = 0; i < f->njobs; i++)
		if (f->jobs[i].id == id)
			return &f->jobs[i];
	assert_true(f->njobs < MAX_TRACKED);
	struct tracked *t = &f->jobs[f->njobs++];
	memset(t, 0, sizeof(*t));
	t->id = id;
	t->state = JOB_QUEUED;
	return t;
}

static bool holds_slot(enum job_state s)
{
	return s == JOB_RUNNING || s == JOB_PAUSED;
}

static void ev_changed(const struct job *j, void *ctx)
{
	struct fx *f = ctx;
	struct tracked *t = track(f, j->id);
	if (holds_slot(j->state) && !holds_slot(t->state)) {
		f->running_now++;
		if (f->running_now > f->max_running)
			f->max_running = f->running_now;
	} else if (!holds_slot(j->state) && holds_slot(t->state)) {
		f->running_now--;
	}
	if (j->state == JOB_RUNNING && t->state == JOB_QUEUED) {
		if (t->starts++ == 0)
			t->first_start_seq = ++f->start_seq;
		t->progress = 0; /* a new attempt starts from zero */
		t->restarted_mono_ms = time_mono_ms();
	}
	if (j->state == JOB_QUEUED && holds_slot(t->state)) {
		if (t->queued_events < 8)
			t->requeue_delay_ms[t->queued_events] =
			    j->not_before_ms ? j->not_before_ms - time_now_ms() : 0;
		t->queued_events++;
		t->requeued_mono_ms = time_mono_ms();
	}
	if (j->state == JOB_RUNNING || j->state == JOB_SUCCEEDED) {
		if (j->progress + 1e-9 < t->progress)
			t->progress_went_back = true;
		t->progress = j->progress;
	}
	t->state = j->state;
	if (f->on_changed)
		f->on_changed(f, j);
}

static void ev_progress(const struct job *j, void *ctx)
{
	struct fx *f = ctx;
	struct tracked *t = track(f, j->id);
	f->progress_events++;
	if (j->progress + 1e-9 < t->progress)
		t->progress_went_back = true;
	if (j->progress > 1.0 || (j->progress >= 1.0 && j->state != JOB_SUCCEEDED))
		t->progress_went_back = true; /* 100 % before success is a lie too */
	if (j->progress > 0.05 && j->progress < 0.995)
		t->mid_progress++;
	t->progress = j->progress;
}

static void ev_removed(int64_t id, void *ctx)
{
	struct fx *f = ctx;
	(void)id;
	f->removed++;
}

static void ev_log(int64_t id, const char *line, int64_t end, void *ctx)
{
	struct fx *f = ctx;
	(void)id;
	assert_null(strchr(line, '\n'));
	f->log_lines++;
	f->log_end = end;
}

static void ev_drained(void *ctx)
{
	struct fx *f = ctx;
	f->drained++;
}

static const struct engine_events events = {
	.job_changed = ev_changed,
	.job_progress = ev_progress,
	.job_removed = ev_removed,
	.job_log = ev_log,
	.drained = ev_drained,
};

static void on_signal(struct loop *l, int signo, void *ctx)
{
	(void)l;
	(void)ctx;
	if (signo == SIGCHLD)
		proc_reap_all();
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

/* --- fixture ------------------------------------------------------------ */

static int fx_setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	f->dir = sandbox_new("engine", &f->paths, &f->st);
	const char *bd = getenv("AURA_BUILDDIR");
	f->fake = xasprintf("%s/tests/fixtures/fake-ffmpeg", bd ? bd : ".");
	config_defaults(&f->cfg);
	free(f->cfg.ffmpeg);
	f->cfg.ffmpeg = xstrdup(f->fake);
	f->cfg.max_jobs = 2;
	f->cfg.max_attempts = 1;
	f->cfg.quit_grace = 2;
	f->cfg.term_grace = 2;
	f->cfg.job_timeout = 0;
	/* no age limit: a finished job would arm retention's deadline timer
	 * (doc/retention.md), and assert_idle wants none */
	f->cfg.keep_days = 0;
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
}

/* AURA_TEST_KEEP=1 keeps the temporary directories for a post-mortem. */
static void rm_test_dir(const char *path)
{
	if (!getenv("AURA_TEST_KEEP"))
		rm_tree(path);
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
	rm_test_dir(f->dir);
	free(f->dir);
	free(f->fake);
	free(f);
	F = NULL;
	return 0;
}

/* --- helpers ------------------------------------------------------------ */

typedef bool (*pred_fn)(struct fx *f, int64_t arg);

static bool run_until(struct fx *f, pred_fn pred, int64_t arg, int64_t timeout_ms)
{
	int64_t end = time_mono_ms() + timeout_ms;
	while (!pred(f, arg)) {
		int64_t left = end - time_mono_ms();
		if (left <= 0)
			return false;
		assert_true(loop_run_once(f->loop, left < 50 ? left : 50) >= 0);
	}
	return true;
}

/* Let deferred work and immediate timers run (no waiting). */
static void settle(struct fx *f)
{
	for (int i = 0; i < 20 && loop_next_timeout_ms(f->loop) == 0; i++)
		loop_run_once(f->loop, 0);
}

static enum job_state state_of(struct fx *f, int64_t id)
{
	struct job j;
	struct aura_error err = { 0 };
	assert_int_equal(engine_get(f->e, id, &j, &err), 0);
	enum job_state s = j.state;
	job_clear(&j);
	return s;
}

static bool pred_terminal(struct fx *f, int64_t id)
{
	return job_state_terminal(state_of(f, id));
}

static bool pred_running_with_pid(struct fx *f, int64_t id)
{
	struct job j;
	assert_int_equal(engine_get(f->e, id, &j, NULL), 0);
	bool ok = j.state == JOB_RUNNING && j.pid > 0;
	job_clear(&j);
	return ok;
}

static bool pred_drained(struct fx *f, int64_t n)
{
	return f->drained >= n;
}

/* Where job id writes its output STEM.bin until it succeeds. */
static char *tmp_path(struct fx *f, const char *stem, int64_t id)
{
	return xasprintf("%s/%s.aura-%lld.part.bin", f->dir, stem, (long long)id);
}

/* The temporary of job id's output out.bin is being written. */
static bool pred_file_nonempty(struct fx *f, int64_t id)
{
	struct stat st;
	char *p = tmp_path(f, "out", id);
	bool ok = stat(p, &st) == 0 && st.st_size > 0;
	free(p);
	return ok;
}

/* Submit an ffmpeg job whose argv is the NULL-terminated list. */
static int64_t submit_v(struct fx *f, int priority, const char *output, const char *const *args)
{
	json_t *argv = json_array();
	for (const char *const *a = args; *a; a++)
		json_array_append_new(argv, json_string(*a));
	json_t *spec = json_pack("{s:o, s:s}", "argv", argv, "cwd", f->dir);
	if (output)
		json_object_set_new(spec, "output", json_string(output));
	struct job j;
	job_init(&j);
	j.kind = JOB_KIND_FFMPEG;
	j.name = xstrdup("test");
	j.priority = priority;
	j.spec = json_dumps(spec, JSON_COMPACT);
	j.output = xstrdup(output);
	json_decref(spec);
	struct aura_error err = { 0 };
	int rc = engine_submit(f->e, &j, &err);
	int64_t id = j.id;
	job_clear(&j);
	assert_int_equal(rc, 0);
	assert_true(id > 0);
	track(f, id);
	return id;
}

#define SUBMIT(f, prio, out, ...)                                                                  \
	submit_v((f), (prio), (out), (const char *const[]){ __VA_ARGS__, NULL })

static struct job get_job(struct fx *f, int64_t id)
{
	struct job j;
	struct aura_error err = { 0 };
	assert_int_equal(engine_get(f->e, id, &j, &err), 0);
	return j;
}

static bool pid_alive(pid_t pid)
{
	return kill(pid, 0) == 0;
}

/* utime of a process from /proc/PID/stat, in clock ticks; -1 if gone. */
static long long proc_utime(pid_t pid, char *state_out)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *fp = fopen(path, "re");
	if (!fp)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	char st;
	long long utime;
	/* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime */
	if (sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld", &st, &utime) != 2)
		return -1;
	if (state_out)
		*state_out = st;
	return utime;
}

static bool pred_utime_above(struct fx *f, int64_t arg)
{
	(void)f;
	pid_t pid = (pid_t)(arg >> 32);
	long long base = arg & 0xffffffff;
	return proc_utime(pid, NULL) > base;
}

static char *out_path(struct fx *f, const char *name)
{
	return xasprintf("%s/%s", f->dir, name);
}

static bool file_exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

/* Job id's job.log holds want. */
static bool job_log_has(struct fx *f, int64_t id, const char *want)
{
	char *dir = paths_job_dir(&f->paths, id);
	char *p = xasprintf("%s/job.log", dir);
	FILE *fp = fopen(p, "re");
	bool found = false;
	if (fp) {
		char line[1024];
		while (!found && fgets(line, sizeof(line), fp))
			found = strstr(line, want) != NULL;
		fclose(fp);
	}
	if (!found)
		print_message("no '%s' in %s\n", want, p);
	free(p);
	free(dir);
	return found;
}

/* The engine left nothing behind: no timer, no deferred work, no fd. */
static void assert_idle(struct fx *f, int fds_before)
{
	settle(f);
	assert_int_equal(engine_running_count(f->e), 0);
	assert_int_equal(loop_next_timeout_ms(f->loop), -1);
	assert_int_equal(count_fds(), fds_before);
}

/* --- tests -------------------------------------------------------------- */

/* True end-to-end jobs: real ffmpeg, a lavfi source, then ffprobe of a real
 * file for the duration, and -t capping it. */
static void test_real_ffmpeg_job(void **state)
{
	struct fx *f = *state;
	if (access("/usr/bin/ffmpeg", X_OK) != 0 && !getenv("AURA_FFMPEG"))
		skip();
	free(f->cfg.ffmpeg);
	f->cfg.ffmpeg = NULL; /* PATH */
	fx_engine(f);
	int fds = count_fds();
	char *in = out_path(f, "in.mkv");
	/* lavfi has no duration to probe: "-t 2" gives it */
	int64_t id = SUBMIT(f, 0, in, "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-t",
			    "2", "-c:v", "mpeg4", "in.mkv");
	assert_true(run_until(f, pred_terminal, id, 20000));
	struct job j = get_job(f, id);
	assert_string_equal(job_state_name(j.state), "succeeded");
	assert_true(j.progress == 1.0);
	assert_int_equal(j.attempts, 1);
	assert_int_equal(j.duration_us, 2000000);
	assert_true(j.out_time_us > 1500000);
	assert_int_equal(j.pid, 0);
	assert_null(j.error_code);
	assert_true(file_exists(in));
	assert_false(track(f, id)->progress_went_back);
	assert_true(f->progress_events >= 1);
	char *logp = xasprintf("%s/job.log", j.workdir);
	assert_true(file_exists(logp));
	free(logp);
	job_clear(&j);

	char *out = out_path(f, "out.mkv");
	char *capped = out_path(f, "capped.mkv");
	int64_t id2 = SUBMIT(f, 0, out, "-i", "in.mkv", "-c:v", "mpeg4", "out.mkv");
	int64_t id3 =
	    SUBMIT(f, 0, capped, "-i", "in.mkv", "-t", "1", "-c:v", "mpeg4", "capped.mkv");
	assert_true(run_until(f, pred_terminal, id2, 20000));
	assert_true(run_until(f, pred_terminal, id3, 20000));
	j = get_job(f, id2);
	assert_int_equal(j.state, JOB_SUCCEEDED);
	/* from ffprobe of in.mkv */
	assert_true(j.duration_us >= 1900000 && j.duration_us <= 2100000);
	assert_true(j.progress == 1.0);
	job_clear(&j);
	j = get_job(f, id3);
	assert_int_equal(j.state, JOB_SUCCEEDED);
	assert_int_equal(j.duration_us, 1000000); /* -t caps the probed 2 s */
	job_clear(&j);
	assert_true(file_exists(out) && file_exists(capped));
	assert_false(track(f, id2)->progress_went_back);
	assert_idle(f, fds);
	free(in);
	free(out);
	free(capped);
}

/* An existing output is refused (as FFmpeg's -n would), never overwritten,
 * never removed; FFmpeg does not even start. */
static void test_real_ffmpeg_keeps_existing_output(void **state)
{
	struct fx *f = *state;
	if (access("/usr/bin/ffmpeg", X_OK) != 0 && !getenv("AURA_FFMPEG"))
		skip();
	free(f->cfg.ffmpeg);
	f->cfg.ffmpeg = NULL;
	f->cfg.max_attempts = 3;
	fx_engine(f);
	char *out = out_path(f, "precious.mkv");
	FILE *fp = fopen(out, "we");
	fputs("precious", fp);
	fclose(fp);
	int64_t id = SUBMIT(f, 0, out, "-f", "lavfi", "-i", "testsrc=duration=1:size=64x64:rate=5",
			    "precious.mkv");
	assert_true(run_until(f, pred_terminal, id, 20000));
	struct job j = get_job(f, id);
	assert_int_equal(j.state, JOB_FAILED);
	assert_int_equal(j.attempts, 1); /* not transient: no retry */
	assert_string_equal(j.error_code, "OUTPUT_EXISTS");
	assert_non_null(strstr(j.error_message, "already exists"));
	job_clear(&j);
	fp = fopen(out, "re");
	char buf[32] = { 0 };
	assert_non_null(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	assert_string_equal(buf, "precious");
	free(out);
}

/* Progress with a known duration: many blocks, monotonic, 1.0 at success. */
static void test_progress_monotonic_to_one(void **state)
{
	struct fx *f = *state;
	fx_engine(f);
	int fds = count_fds();
	char *out = out_path(f, "out.bin");
	/* "-t 1" before the output file: the duration the percent is against */
	int64_t id = SUBMIT(f, 0, out, "--duration-ms", "1000", "-t", "1", "out.bin", "--out", out);
	assert_true(run_until(f, pred_terminal, id, 10000));
	struct job j = get_job(f, id);
	assert_int_equal(j.state, JOB_SUCCEEDED);
	assert_true(j.progress == 1.0);
	assert_int_equal(j.duration_us, 1000000);
	assert_true(j.size > 0);
	job_clear(&j);
	assert_true(f->progress_events >= 5);
	assert_true(track(f, id)->mid_progress >= 3); /* it moved in between */
	assert_false(track(f, id)->progress_went_back);
	assert_true(f->log_lines > 0);
	assert_true(file_exists(out)); /* a finished output stays */
	assert_idle(f, fds);
	free(out);
}

static char *read_job_log(struct fx *f, int64_t id)
{
	char *dir = paths_job_dir(&f->paths, id);
	char *p = xasprintf("%s/job.log", dir);
	FILE *fp = fopen(p, "re");
	assert_non_null(fp);
	struct buf b;
	buf_init(&b);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(&b, chunk, n);
	fclose(fp);
	free(p);
	free(dir);
	return b.data;
}

/* Each log line's announced end offset is where it ends in job.log, also
 * for lines written in batches (a stderr flood) among aura's own: the
 * last one is the file's size. */
static void test_log_offsets_follow_the_file(void **state)
{
	struct fx *f = *state;
	fx_engine(f);
	int64_t id = SUBMIT(f, 0, NULL, "--duration-ms", "10", "--stderr-bytes", "300000");
	assert_true(run_until(f, pred_terminal, id, 10000));
	char *log = read_job_log(f, id);
	assert_true(strlen(log) > 300000);
	assert_int_equal(f->log_end, (int64_t)strlen(log));
	free(log);
}

/* The output: guessed from the last file argument when not given (and
 * recorded); appended to the command when given but not among the args;
 * FFmpeg writes it under its temporary name. Exit 0 without writing it
 * fails the job with FFMPEG_NO_OUTPUT. */
static void test_output_guessed_or_appended(void **state)
{
	struct fx *f = *state;
	fx_engine(f);
	int64_t guessed = SUBMIT(f, 0, NULL, "--duration-ms", "10", "-c:v", "x", "guess.bin");
	char *appended = out_path(f, "appended.bin");
	int64_t app = SUBMIT(f, 0, appended, "--duration-ms", "10");
	assert_true(run_until(f, pred_terminal, guessed, 5000));
	assert_true(run_until(f, pred_terminal, app, 5000));
	struct job j = get_job(f, guessed);
	char *want = out_path(f, "guess.bin");
	assert_non_null(j.output);
	assert_string_equal(j.output, want);
	/* the fake wrote nothing: not a success */
	assert_int_equal(j.state, JOB_FAILED);
	assert_string_equal(j.error_code, "FFMPEG_NO_OUTPUT");
	assert_int_equal(j.attempts, 1);
	free(want);
	job_clear(&j);
	j = get_job(f, app);
	assert_string_equal(j.error_code, "FFMPEG_NO_OUTPUT");
	job_clear(&j);
	char *log = read_job_log(f, app);
	char *line = strstr(log, "running:");
	assert_non_null(line);
	*strchr(line, '\n') = '\0';
	char *tmp = xasprintf("%s/appended.aura-%lld.part.bin", f->dir, (long long)app);
	size_t ll = strlen(line), al = strlen(tmp);
	assert_true(ll > al && strcmp(line + ll - al, tmp) == 0);
	free(tmp);
	free(log);
	log = read_job_log(f, guessed);
	/* named once only, by its temporary: not appended a second time */
	line = strstr(log, "running:");
	assert_non_null(line);
	*strchr(line, '\n') = '\0';
	tmp = xasprintf(" %s/guess.aura-%lld.part.bin", f->dir, (long long)guessed);
	char *at = strstr(line, tmp);
	assert_non_null(at);
	assert_null(strstr(at + 1, tmp));
	assert_null(strstr(line, " guess.bin"));
	free(tmp);
	free(log);
	free(appended);
}

/* Outputs that are not one file are passed through unchanged (no
 * temporary) and exit 0 is a success without one: -f null, several
 * outputs, a pattern, an HLS playlist (segments beside it). */
static void test_outputs_not_one_file(void **state)
{
	struct fx *f = *state;
	fx_engine(f);
	int64_t ids[4];
	ids[0] = SUBMIT(f, 0, NULL, "--duration-ms", "10", "-f", "null", "x.bin");
	ids[1] = SUBMIT(f, 0, NULL, "--duration-ms", "10", "-map", "0", "a.bin", "b.bin");
	ids[2] = SUBMIT(f, 0, NULL, "--duration-ms", "10", "img%03d.png");
	ids[3] = SUBMIT(f, 0, NULL, "--duration-ms", "10", "live.m3u8");
	const char *names[] = { " x.bin", " b.bin", " img%03d.png", " live.m3u8" };
	for (int i = 0; i < 4; i++) {
		assert_true(run_until(f, pred_terminal, ids[i], 5000));
		assert_int_equal(state_of(f, ids[i]), JOB_SUCCEEDED);
		char *log = read_job_log(f, ids[i]);
		char *line = strstr(log, "running:");
		assert_non_null(line);
		*strchr(line, '\n') = '\0';
		assert_non_null(strstr(line, names[i]));
		assert_null(strstr(line, ".aura-"));
		free(log);
	}
}

/* max_jobs=2 and 4 jobs: never more than 2 hold a slot, and 2 do at once. */
static void test_concurrency_limit(void **state)
{
	struct fx *f = *state;
	f->cfg.max_jobs = 2;
	fx_engine(f);
	int64_t ids[4];
	for (int i = 0; i < 4; i++)
		ids[i] = SUBMIT(f, 0, NULL, "--duration-ms", "300");
	settle(f);
	assert_int_equal(engine_running_count(f->e), 2);
	for (int i = 0; i < 4; i++)
		assert_true(run_until(f, pred_terminal, ids[i], 10000));
	for (int i = 0; i < 4; i++)
		assert_int_equal(state_of(f, ids[i]), JOB_SUCCEEDED);
	assert_int_equal(f->max_running, 2);
	assert_int_equal(f->running_now, 0);
	settle(f);
	assert_int_equal(loop_next_timeout_ms(f->loop), -1);
}

/* One slot: highest priority first, then the lowest id. */
static void test_priorities(void **state)
{
	struct fx *f = *state;
	f->cfg.max_jobs = 1;
	fx_engine(f);
	int64_t low = SUBMIT(f, 0, NULL, "--duration-ms", "50");
	int64_t high = SUBMIT(f, 5, NULL, "--duration-ms", "50");
	int64_t mid_a = SUBMIT(f, 2, NULL, "--duration-ms", "50");
	int64_t mid_b = SUBMIT(f, 2, NULL, "--duration-ms", "50");
	assert_true(run_until(f, pred_terminal, low, 10000));
	assert_int_equal(track(f, high)->first_start_seq, 1);
	assert_int_equal(track(f, mid_a)->first_start_seq, 2);
	assert_int_equal(track(f, mid_b)->first_start_seq, 3);
	assert_int_equal(track(f, low)->first_start_seq, 4);
	assert_int_equal(f->max_running, 1);
}

/* Cancel a running job: cancelled only once the process is gone, and the
 * partial output it created is removed. */
static void test_cancel_running(void **state)
{
	struct fx *f = *state;
	fx_engine(f);
	int fds = count_fds();
	char *out = out_path(f, "out.bin");
	int64_t id = SUBMIT(f, 0, out, "--duration-ms", "30000", "--out", out);
	assert_true(run_until(f, pred_running_with_pid, id, 5000));
	assert_true(run_until(f, pred_file_nonempty, id, 5000));
	assert_false(file_exists(out)); /* written under its temporary name */
	struct job j = get_job(f, id);
	pid_t pid = j.pid;
	job_clear(&j);

	struct aura_error err = { 0 };
	assert_int_equal(engine_cancel(f->e, id, &err), 0);
	/* not yet: the process is still finishing */
	enum job_state s = state_of(f, id);
	assert_true(s == JOB_RUNNING || s == JOB_CANCELLED);
	assert_true(run_until(f, pred_terminal, id, 5000));
	j = get_job(f, id);
	assert_int_equal(j.state, JOB_CANCELLED);
	assert_string_equal(j.error_code, "JOB_CANCELLED");
	assert_int_equal(j.pid, 0);
	job_clear(&j);
	assert_false(pid_alive(pid));
	assert_int_equal(errno, ESRCH);
	assert_false(file_exists(out));
	char *tmp = tmp_path(f, "out", id);
	assert_false(file_exists(tmp));
	free(tmp);
	/* a second cancel is a state error naming the state */
	assert_int_equal(engine_cancel(f->e, id, &err), -AURA_E_JOB_BAD_STATE);
	assert_non_null(strstr(err.detail, "is cancelled"));
	assert_idle(f, fds);
	free(out);
}

static bool file_holds(const char *p, const char *want)
{
	FILE *fp = fopen(p, "re");
	if (!fp)
		return false;
	char buf[64] = { 0 };
	size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	return n == strlen(want) && memcmp(buf, want, n) == 0;
}

/* A file the user had before the job is never removed nor touched, even on
 * cancel with -y: FFmpeg writes the temporary, the old file stays as it
 * was until a success replaces it. */
static void test_cancel_keeps_preexisting_output(void **state)
{
	struct fx *f = *state;
	fx_engine(f);
	char *out = out_path(f, "out.bin");
	FILE *fp = fopen(out, "we");
	fputs("mine", fp);
	fclose(fp);
	int64_t id = SUBMIT(f, 0, out, "-y", "--duration-ms", "30000", "--out", out);
	assert_true(run_until(f, pred_running_with_pid, id, 5000));
	assert_true(run_until(f, pred_file_nonempty, id, 5000));
	assert_true(file_holds(out, "mine"));
	assert_int_equal(engine_cancel(f->e, id, NULL), 0);
	assert_true(run_until(f, pred_terminal, id, 5000));
	assert_int_equal(state_of(f, id), JOB_CANCELLED);
	assert_true(file_holds(out, "mine"));
	assert_false(pred_file_nonempty(f, id)); /* the temporary is gone */

	/* the same with -y and a success: replaced, no temporary left */
	int64_t id2 = SUBMIT(f, 0, out, "-y", "--duration-ms", "300", "--out", out);
	assert_true(run_until(f, pred_terminal, id2, 10000));
	assert_int_equal(state_of(f, id2), JOB_SUCCEEDED);
	struct stat st;
	assert_int_equal(stat(out, &st), 0);
	assert_true(st.st_size >= 4096);
	assert_false(pred_file_nonempty(f, id2));
	free(out);
}

/* Cancel a queued job: at once, and it never starts. */
static void test_cancel_queued(void **state)
{
	struct fx *f = *state;
	f->cfg.max_jobs = 1;
	fx_engine(f);
	int64_t a = SUBMIT(f, 0, NULL, "--duration-ms", "30000");
	int64_t b = SUBMIT(f, 0, NULL, "--duration-ms", "50");
	assert_true(run_until(f, pred_running_with_pid, a, 5000));
	assert_int_equal(state_of(f, b), JOB_QUEUED);
	assert_int_equal(engine_cancel(f->e, b, NULL), 0);
	assert_int_equal(state_of(f, b), JOB_CANCELLED); /* synchronously */
	assert_int_equal(engine_cancel(f->e, a, NULL), 0);
	assert_true(run_until(f, pred_terminal, a, 5000));
	settle(f);
	struct job j = get_job(f, b);
	assert_int_equal(j.attempts, 0);
	assert_int_equal(j.state, JOB_CANCELLED);
	job_clear(&j);
	assert_int_equal(track(f, b)->starts, 0);
	/* retry brings it back, and then it runs */
	assert_int_equal(engine_retry(f->e, b, NULL), 0);
	assert_true(run_until(f, pred_terminal, b, 5000));
	assert_int_equal(state_of(f, b), JOB_SUCCEEDED);
}

/* Pause stops the CPU use of the process; resume continues it; the stall
 * timer is suspended while paused. */
static void test_pause_resume(void **state)
{
	struct fx *f = *state;
	fx_engine(f);
	engine_set_timing(f->e, 300, -1);
	int fds = count_fds();
	int64_t id = SUBMIT(f, 0, NULL, "--duration-ms", "30000", "--busy");
	assert_true(run_until(f, pred_running_with_pid, id, 5000));
	struct job j = get_job(f, id);
	pid_t pid = j.pid;
	job_clear(&j);
	/* let it burn some CPU first */
	long long t0 = proc_utime(pid, NULL);
	assert_true(run_until(f, pred_utime_above, ((int64_t)pid << 32) | (t0 & 0xffffffff), 5000));

	assert_int_equal(engine_pause(f->e, id, NULL), 0);
	assert_int_equal(state_of(f, id), JOB_PAUSED);
	/* a second pause is refused, naming the state */
	struct aura_error err = { 0 };
	assert_int_equal(engine_pause(f->e, id, &err), -AURA_E_JOB_BAD_STATE);
	assert_non_null(strstr(err.detail, "is paused"));
	char st = 0;
	for (int i = 0; i < 100 && st != 'T'; i++) {
		proc_utime(pid, &st);
		loop_run_once(f->loop, 10);
	}
	assert_int_equal(st, 'T');
	long long paused_at = proc_utime(pid, NULL);
	/* a bounded window, longer than the stall timeout (300 ms) */
	int64_t end = time_mono_ms() + 600;
	while (time_mono_ms() < end)
		loop_run_once(f->loop, end - time_mono_ms());
	assert_int_equal(proc_utime(pid, NULL), paused_at);
	assert_int_equal(state_of(f, id), JOB_PAUSED); /* not stalled */

	assert_int_equal(engine_resume(f->e, id, NULL), 0);
	assert_int_equal(state_of(f, id), JOB_RUNNING);
	assert_true(
	    run_until(f, pred_utime_above, ((int64_t)pid << 32) | (paused_at & 0xffffffff), 5000));
	assert_int_equal(state_of(f, id), JOB_RUNNING);
	assert_int_equal(engine_resume(f->e, id, &err), -AURA_E_JOB_BAD_STATE);

	/* cancel a paused job: resumed and stopped */
	assert_int_equal(engine_pause(f->e, id, NULL), 0);
	assert_int_equal(engine_cancel(f->e, id, NULL), 0);
	assert_true(run_until(f, pred_terminal, id, 5000));
	assert_int_equal(state_of(f, id), JOB_CANCELLED);
	assert_false(pid_alive(pid));
	assert_idle(f, fds);
}

/* A hanging FFmpeg: stopped for a stall, retried, then failed; attempts counted. */
static void test_stall(void **state)
{
	struct fx *f = *state;
	f->cfg.max_attempts = 2;
	fx_engine(f);
	engine_set_timing(f->e, 200, 50);
	int fds = count_fds();
	int64_t id = SUBMIT(f, 0, NULL, "--hang");
	assert_true(run_until(f, pred_terminal, id, 10000));
	struct job j = get_job(f, id);
	assert_int_equal(j.state, JOB_FAILED);
	assert_string_equal(j.error_code, "JOB_STALLED");
	assert_int_equal(j.attempts, 2);
	assert_int_equal(j.max_attempts, 2);
	job_clear(&j);
	assert_int_equal(track(f, id)->starts, 2);
	assert_int_equal(track(f, id)->queued_events, 1);
	assert_idle(f, fds);
}

/* A steady job with a short stall timeout is not stopped. */
static void test_no_false_stall(void **state)
{
	struct fx *f = *state;
	fx_engine(f);
	engine_set_timing(f->e, 250, -1);
	int64_t id = SUBMIT(f, 0, NULL, "--duration-ms", "1000");
	assert_true(run_until(f, pred_terminal, id, 10000));
	assert_int_equal(state_of(f, id), JOB_SUCCEEDED);
}

/* Flaky: edit the queued job's spec so the next attempt succeeds. */
static void strip_crash(struct fx *f, const struct job *j)
{
	if (j->id != f->edit_id || j->state != JOB_QUEUED || j->attempts != 1)
		return;
	struct job s;
	assert_int_equal(store_job_get(f->st, j->id, &s, NULL), 0);
	char *p = strstr(s.spec, ",\"--crash\"");
	assert_non_null(p);
	memmove(p, p + strlen(",\"--crash\""), strlen(p + strlen(",\"--crash\"")) + 1);
	assert_int_equal(store_job_update(f->st, &s, NULL), 0);
	job_clear(&s);
}

/* A transient failure (killed by a signal) is retried after the backoff. */
static void test_transient_retry_then_success(void **state)
{
	struct fx *f = *state;
	f->cfg.max_attempts = 3;
	fx_engine(f);
	engine_set_timing(f->e, -1, 300);
	f->on_changed = strip_crash;
	int64_t id = SUBMIT(f, 0, NULL, "--duration-ms", "50", "--crash");
	f->edit_id = id;
	assert_true(run_until(f, pred_terminal, id, 10000));
	struct job j = get_job(f, id);
	assert_int_equal(j.state, JOB_SUCCEEDED);
	assert_int_equal(j.attempts, 2);
	assert_null(j.error_code);
	job_clear(&j);
	struct tracked *t = track(f, id);
	assert_int_equal(t->queued_events, 1);
	assert_true(t->requeue_delay_ms[0] >= 290 && t->requeue_delay_ms[0] <= 350);
	assert_true(t->restarted_mono_ms - t->requeued_mono_ms >= 290);
	settle(f);
	assert_int_equal(loop_next_timeout_ms(f->loop), -1);
}

/* The backoff doubles per attempt; the last error stays on the failed job. */
static void test_backoff_doubles(void **state)
{
	struct fx *f = *state;
	f->cfg.max_attempts = 3;
	fx_engine(f);
	engine_set_timing(f->e, -1, 100);
	int64_t id = SUBMIT(f, 0, NULL, "--duration-ms", "10", "--crash");
	/* while it waits for its backoff, a timer is armed for it */
	assert_true(run_until(f, pred_terminal, id, 10000));
	struct tracked *t = track(f, id);
	assert_int_equal(t->queued_events, 2);
	assert_true(t->requeue_delay_ms[0] >= 90 && t->requeue_delay_ms[0] <= 150);
	assert_true(t->requeue_delay_ms[1] >= 190 && t->requeue_delay_ms[1] <= 250);
	struct job j = get_job(f, id);
	assert_int_equal(j.state, JOB_FAILED);
	assert_string_equal(j.error_code, "FFMPEG_KILLED");
	assert_int_equal(j.attempts, 3);
	job_clear(&j);
	settle(f);
	assert_int_equal(loop_next_timeout_ms(f->loop), -1);
}

/* A non-transient failure fails at once, classified, stderr tail kept. */
static void test_permanent_failure(void **state)
{
	struct fx *f = *state;
	f->cfg.max_attempts = 3;
	fx_engine(f);
	int fds = count_fds();
	int64_t id = SUBMIT(f, 0, NULL, "--duration-ms", "10", "--exit", "1", "--stderr",
			    "[vost#0:0 @ 0x55d0] Unknown encoder 'libfoo'");
	assert_true(run_until(f, pred_terminal, id, 10000));
	struct job j = get_job(f, id);
	assert_int_equal(j.state, JOB_FAILED);
	assert_string_equal(j.error_code, "FFMPEG_UNKNOWN_ENCODER");
	assert_int_equal(j.attempts, 1);
	assert_non_null(j.error_message);
	assert_non_null(strstr(j.error_message, "libfoo"));
	assert_non_null(j.stderr_tail);
	assert_non_null(strstr(j.stderr_tail, "Unknown encoder 'libfoo'"));
	assert_true(j.finished_ms > 0);
	/* the stderr line is in job.log too */
	char *logp = xasprintf("%s/job.log", j.workdir);
	FILE *fp = fopen(logp, "re");
	assert_non_null(fp);
	char line[512];
	bool found = false;
	while (fgets(line, sizeof(line), fp))
		found |= strstr(line, "Unknown encoder 'libfoo'") != NULL;
	fclose(fp);
	assert_true(found);
	free(logp);
	job_clear(&j);
	/* the stored row says the same */
	assert_int_equal(store_job_get(f->st, id, &j, NULL), 0);
	assert_string_equal(j.error_code, "FFMPEG_UNKNOWN_ENCODER");
	assert_int_equal(j.state, JOB_FAILED);
	job_clear(&j);
	assert_idle(f, fds);
}

/* ffmpeg missing: the job fails with FFMPEG_NOT_FOUND, the engine goes on. */
static void test_ffmpeg_not_found(void **state)
{
	struct fx *f = *state;
	free(f->cfg.ffmpeg);
	f->cfg.ffmpeg = xstrdup("/nonexistent/ffmpeg");
	f->cfg.max_attempts = 3;
	fx_engine(f);
	int64_t id = SUBMIT(f, 0, NULL, "-version");
	assert_true(run_until(f, pred_terminal, id, 5000));
	struct job j = get_job(f, id);
	assert_int_equal(j.state, JOB_FAILED);
	assert_string_equal(j.error_code, "FFMPEG_NOT_FOUND");
	assert_int_equal(j.attempts, 1);
	job_clear(&j);
}

/* job_timeout stops a job that runs too long. */
static void test_job_timeout(void **state)
{
	struct fx *f = *state;
	f->cfg.job_timeout = 1;
	fx_engine(f);
	engine_set_timing(f->e, 0, -1); /* no stall detection: only the limit */
	int64_t id = SUBMIT(f, 0, NULL, "--duration-ms", "30000");
	assert_true(run_until(f, pred_terminal, id, 5000));
	struct job j = get_job(f, id);
	assert_int_equal(j.state, JOB_FAILED);
	assert_string_equal(j.error_code, "JOB_TIMEOUT");
	assert_true(j.finished_ms - j.started_ms >= 1000);
	job_clear(&j);
}

/* Requests in the wrong state, and rm. */
static void test_bad_states_and_remove(void **state)
{
	struct fx *f = *state;
	fx_engine(f);
	int64_t id = SUBMIT(f, 0, NULL, "--duration-ms", "30000");
	assert_true(run_until(f, pred_running_with_pid, id, 5000));
	struct aura_error err = { 0 };
	assert_int_equal(engine_remove(f->e, id, &err), -AURA_E_JOB_BAD_STATE);
	assert_non_null(strstr(err.detail, "is running"));
	assert_int_equal(engine_retry(f->e, id, &err), -AURA_E_JOB_BAD_STATE);
	assert_int_equal(engine_resume(f->e, id, &err), -AURA_E_JOB_BAD_STATE);
	assert_int_equal(engine_cancel(f->e, id, NULL), 0);
	assert_true(run_until(f, pred_terminal, id, 5000));

	int64_t ok = SUBMIT(f, 0, NULL, "--duration-ms", "10");
	assert_true(run_until(f, pred_terminal, ok, 5000));
	assert_int_equal(engine_retry(f->e, ok, &err), -AURA_E_JOB_BAD_STATE);
	assert_non_null(strstr(err.detail, "is succeeded"));
	assert_int_equal(engine_pause(f->e, ok, &err), -AURA_E_JOB_BAD_STATE);
	struct job j = get_job(f, ok);
	char *dir = xstrdup(j.workdir);
	job_clear(&j);
	assert_true(file_exists(dir));
	assert_int_equal(engine_remove(f->e, ok, &err), 0);
	assert_int_equal(f->removed, 1);
	assert_false(file_exists(dir));
	free(dir);
	assert_int_equal(engine_get(f->e, ok, &j, &err), -AURA_E_JOB_NOT_FOUND);
	assert_int_equal(engine_cancel(f->e, 9999, &err), -AURA_E_JOB_NOT_FOUND);
}

/* engine_list overlays running jobs' live progress on the store rows. */
static int list_cb(const struct job *j, void *ctx)
{
	double *p = ctx;
	*p = j->progress;
	return 0;
}

static bool pred_progress_above(struct fx *f, int64_t id)
{
	struct job j = get_job(f, id);
	bool ok = j.progress > 0.2;
	job_clear(&j);
	return ok;
}

static void test_list_overlays_live_progress(void **state)
{
	struct fx *f = *state;
	fx_engine(f);
	char *out = out_path(f, "out.bin");
	int64_t id = SUBMIT(f, 0, out, "--duration-ms", "3000", "-t", "3", "out.bin");
	assert_true(run_until(f, pred_progress_above, id, 5000));
	double listed = -1;
	assert_int_equal(engine_list(f->e, JOB_RUNNING, 0, 0, list_cb, &listed, NULL), 0);
	struct job j = get_job(f, id);
	assert_true(listed == j.progress);
	job_clear(&j);
	/* the row on disk lags (progress is written at most once a second) */
	assert_int_equal(store_job_get(f->st, id, &j, NULL), 0);
	assert_true(j.progress < listed);
	job_clear(&j);
	assert_int_equal(engine_cancel(f->e, id, NULL), 0);
	assert_true(run_until(f, pred_terminal, id, 5000));
	free(out);
}

static void spawn_exit(void *ctx, int status)
{
	int *st = ctx;
	*st = status;
}

static const struct proc_ops spawn_ops = { .on_exit = spawn_exit };

static bool pred_status_set(struct fx *f, int64_t addr)
{
	(void)f;
	return *(int *)(intptr_t)addr != -1;
}

static int64_t insert_job(struct fx *f, enum job_state s, int pid, int attempts, const char *spec)
{
	struct job j;
	job_init(&j);
	j.kind = JOB_KIND_FFMPEG;
	j.name = xstrdup("left over");
	j.state = s;
	j.pid = pid;
	j.attempts = attempts;
	j.max_attempts = 3;
	j.spec = xstrdup(spec);
	assert_int_equal(store_job_insert(f->st, &j, NULL), 0);
	j.workdir = paths_job_dir(&f->paths, j.id);
	assert_int_equal(store_job_update(f->st, &j, NULL), 0);
	int64_t id = j.id;
	job_clear(&j);
	return id;
}

/* Recovery: a leftover FFmpeg of a dead server is killed, its job queued
 * again and run (attempt +1); a live process that is not FFmpeg is spared. */
static void test_recovery(void **state)
{
	struct fx *f = *state;
	int st_ff = -1, st_other = -1;
	struct aura_error err = { 0 };
	const char *ff_argv[] = { f->fake, "--hang", NULL };
	struct proc_spec sp = { .argv = ff_argv };
	struct proc *ff = proc_spawn(f->loop, &sp, &spawn_ops, &st_ff, &err);
	assert_non_null(ff);
	pid_t ff_pid = proc_pid(ff);
	const char *sl_argv[] = { "sleep", "30", NULL };
	struct proc_spec sp2 = { .argv = sl_argv };
	struct proc *other = proc_spawn(f->loop, &sp2, &spawn_ops, &st_other, &err);
	assert_non_null(other);
	pid_t other_pid = proc_pid(other);

	char *spec = xasprintf("{\"argv\":[\"--duration-ms\",\"50\"],\"cwd\":\"%s\"}", f->dir);
	int64_t a = insert_job(f, JOB_RUNNING, ff_pid, 1, spec);
	int64_t b = insert_job(f, JOB_PAUSED, other_pid, 2, spec);
	free(spec);

	fx_engine(f);
	assert_int_equal(engine_recover(f->e, &err), 0);
	/* right after recovery both are queued, with no pid */
	struct job j;
	assert_int_equal(store_job_get(f->st, a, &j, NULL), 0);
	assert_int_equal(j.state, JOB_QUEUED);
	assert_int_equal(j.pid, 0);
	assert_int_equal(j.attempts, 1);
	job_clear(&j);

	assert_true(run_until(f, pred_status_set, (int64_t)(intptr_t)&st_ff, 5000));
	assert_true(WIFSIGNALED(st_ff) && WTERMSIG(st_ff) == SIGKILL);
	assert_true(pid_alive(other_pid)); /* not FFmpeg: left alone */

	assert_true(run_until(f, pred_terminal, a, 5000));
	assert_true(run_until(f, pred_terminal, b, 5000));
	j = get_job(f, a);
	assert_int_equal(j.state, JOB_SUCCEEDED);
	assert_int_equal(j.attempts, 2);
	job_clear(&j);
	j = get_job(f, b);
	assert_int_equal(j.state, JOB_SUCCEEDED);
	assert_int_equal(j.attempts, 3);
	job_clear(&j);

	proc_stop(other, 0, 0);
	assert_true(run_until(f, pred_status_set, (int64_t)(intptr_t)&st_other, 5000));
}

/* Recovery of a job whose last run had succeeded (the output renamed into
 * place) but whose success was never saved: the store says running. The
 * output is never deleted: the new attempt writes its temporary, and when
 * it fails the output is still there, byte for byte. */
static void test_recovery_keeps_finished_output(void **state)
{
	struct fx *f = *state;
	char *out = out_path(f, "done.bin");
	FILE *fp = fopen(out, "we");
	fputs("finished", fp);
	fclose(fp);
	/* the first attempt had found no file there (output_preexisted) */
	char *spec = xasprintf("{\"argv\":[\"--duration-ms\",\"50\",\"--exit\",\"1\",\"--out\","
			       "\"done.bin\"],\"cwd\":\"%s\",\"output\":\"%s\","
			       "\"output_preexisted\":false}",
			       f->dir, out);
	int64_t id = insert_job(f, JOB_RUNNING, 0, 1, spec);
	free(spec);
	fx_engine(f);
	struct aura_error err = { 0 };
	assert_int_equal(engine_recover(f->e, &err), 0);
	assert_true(run_until(f, pred_terminal, id, 10000));
	struct job j = get_job(f, id);
	assert_int_equal(j.state, JOB_FAILED);
	assert_int_equal(j.attempts, 2);
	job_clear(&j);
	assert_true(file_holds(out, "finished"));
	char *tmp = tmp_path(f, "done", id);
	assert_false(file_exists(tmp));
	free(tmp);
	char *log = read_job_log(f, id);
	assert_null(strstr(log, "removed the partial output of an earlier attempt"));
	assert_non_null(strstr(log, "replaced only if this attempt succeeds"));
	free(log);
	free(out);
}

/* Shutdown: every child reaped, jobs back to queued, drained exactly once,
 * no new work accepted, no timer left. */
static void test_shutdown(void **state)
{
	struct fx *f = *state;
	f->cfg.max_jobs = 2;
	fx_engine(f);
	int fds = count_fds();
	int64_t a = SUBMIT(f, 0, NULL, "--duration-ms", "30000");
	int64_t b = SUBMIT(f, 0, NULL, "--duration-ms", "30000", "--ignore-q");
	int64_t c = SUBMIT(f, 0, NULL, "--duration-ms", "30000");
	assert_true(run_until(f, pred_running_with_pid, a, 5000));
	assert_true(run_until(f, pred_running_with_pid, b, 5000));
	struct job j = get_job(f, a);
	pid_t pa = j.pid;
	job_clear(&j);
	j = get_job(f, b);
	pid_t pb = j.pid;
	job_clear(&j);
	f->cfg.quit_grace = 1; /* b ignores q: SIGTERM after 1 s */

	engine_shutdown(f->e, false);
	struct aura_error err = { 0 };
	job_init(&j);
	j.kind = JOB_KIND_FFMPEG;
	j.spec = xstrdup("{\"argv\":[\"-version\"]}");
	assert_int_equal(engine_submit(f->e, &j, &err), -AURA_E_SERVER_SHUTTING_DOWN);
	job_clear(&j);
	assert_true(run_until(f, pred_drained, 1, 5000));
	assert_int_equal(engine_running_count(f->e), 0);
	for (int64_t id = a; id <= c; id++) {
		j = get_job(f, id);
		assert_int_equal(j.state, JOB_QUEUED);
		assert_int_equal(j.pid, 0);
		/* not a failure: the interrupted attempt is not counted, so the
		 * next start is "attempt 1 of 1" again, never "2 of 1" */
		assert_int_equal(j.attempts, 0);
		assert_true(j.attempts < j.max_attempts);
		job_clear(&j);
	}
	/* job.log says which step of the stop sequence ended each child */
	assert_true(job_log_has(f, a, "was stopped by q after "));
	assert_true(job_log_has(f, b, "was stopped by SIGTERM after 1."));
	assert_true(job_log_has(f, a, "interrupted by shutdown (not counted as an attempt)"));
	assert_false(pid_alive(pa));
	assert_false(pid_alive(pb));
	engine_shutdown(f->e, true); /* idempotent */
	settle(f);
	assert_int_equal(f->drained, 1);
	assert_idle(f, fds);
}

/* Shutdown "now" with a child that ignores SIGTERM: SIGKILL at once. */
static void test_shutdown_now(void **state)
{
	struct fx *f = *state;
	f->cfg.quit_grace = 60;
	f->cfg.term_grace = 60;
	fx_engine(f);
	int64_t a = SUBMIT(f, 0, NULL, "--duration-ms", "30000", "--ignore-term");
	assert_true(run_until(f, pred_running_with_pid, a, 5000));
	int64_t t0 = time_mono_ms();
	engine_shutdown(f->e, false);
	engine_shutdown(f->e, true); /* the second signal */
	assert_true(run_until(f, pred_drained, 1, 5000));
	assert_true(time_mono_ms() - t0 < 2000);
	assert_int_equal(state_of(f, a), JOB_QUEUED);
	assert_true(job_log_has(f, a, "was stopped by SIGKILL after 0."));
}

/* Shutdown with nothing running: drained right away (next turn), once. */
static void test_shutdown_idle(void **state)
{
	struct fx *f = *state;
	fx_engine(f);
	engine_shutdown(f->e, false);
	assert_int_equal(f->drained, 0); /* deferred, not from inside the call */
	assert_true(run_until(f, pred_drained, 1, 1000));
	engine_shutdown(f->e, false);
	settle(f);
	assert_int_equal(f->drained, 1);
	assert_int_equal(loop_next_timeout_ms(f->loop), -1);
}

/* An engine with no job arms no timer: the server sleeps in poll(). */
static void test_idle_engine_arms_nothing(void **state)
{
	struct fx *f = *state;
	fx_engine(f);
	assert_int_equal(engine_recover(f->e, NULL), 0);
	settle(f);
	assert_int_equal(loop_next_timeout_ms(f->loop), -1);
	struct loop_stats ls;
	loop_stats(f->loop, &ls);
	assert_int_equal(ls.timers, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_real_ffmpeg_job),
		T(test_real_ffmpeg_keeps_existing_output),
		T(test_progress_monotonic_to_one),
		T(test_log_offsets_follow_the_file),
		T(test_output_guessed_or_appended),
		T(test_outputs_not_one_file),
		T(test_concurrency_limit),
		T(test_priorities),
		T(test_cancel_running),
		T(test_cancel_keeps_preexisting_output),
		T(test_recovery_keeps_finished_output),
		T(test_cancel_queued),
		T(test_pause_resume),
		T(test_stall),
		T(test_no_false_stall),
		T(test_transient_retry_then_success),
		T(test_backoff_doubles),
		T(test_permanent_failure),
		T(test_ffmpeg_not_found),
		T(test_job_timeout),
		T(test_bad_states_and_remove),
		T(test_list_overlays_live_progress),
		T(test_recovery),
		T(test_shutdown),
		T(test_shutdown_now),
		T(test_shutdown_idle),
		T(test_idle_engine_arms_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
