/*
 * doctor.c -- the health checks behind `aura doctor` (the locators of
 * ffmpeg, ffprobe and the font are ff/locate.c).
 *
 * Must never: print anything, run a child through a shell, or wait on a
 * child without a bound (a hung ffmpeg must not hang doctor). It blocks
 * while it runs ffmpeg, so it is for clients, not the server's loop.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/conf.h"
#include "doctor/check.h"
#include "doctor/doctor.h"
#include "ff/locate.h"
#include "providers/http.h"
#include "os/loop.h"
#include "os/proc.h"
#include "providers/provider.h"
#include "providers/services.h"
#include "store/store.h"

#define RUN_TIMEOUT_MS 10000
#define RUN_OUTPUT_CAP (1024 * 1024)
#define DISK_LOW_BYTES (1024ULL * 1024 * 1024)

/* ---- running a program ---------------------------------------------------- */

/*
 * Run argv (no shell) with stdin and stderr on /dev/null and capture up to
 * RUN_OUTPUT_CAP bytes of stdout into out. Everything is bounded by
 * RUN_TIMEOUT_MS, after which the child's process group is stopped
 * (proc_run). Returns the exit status (0..255, 127 when it could not be
 * executed), -2 on timeout or death by a signal.
 */
static int run_capture(char *const argv[], struct buf *out)
{
	return doctor_run_capture(argv, RUN_TIMEOUT_MS, out, NULL);
}

int doctor_run_capture(char *const argv[], int deadline_ms, struct buf *out, struct buf *err_out)
{
	struct proc_run_spec spec = { .argv = (const char *const *)argv,
				      .deadline_ms = deadline_ms,
				      .err_cap = err_out ? RUN_OUTPUT_CAP : 0,
				      .out_cap = RUN_OUTPUT_CAP };
	struct proc_run_result res;
	struct aura_error err;
	int rc = proc_run(&spec, &res, &err);
	buf_append(out, res.out.data ? res.out.data : "", res.out.len);
	if (err_out)
		buf_append(err_out, res.err.data ? res.err.data : "", res.err.len);
	buf_free(&res.out);
	buf_free(&res.err);
	if (rc < 0)
		return 127;
	if (res.timed_out || !WIFEXITED(res.status))
		return -2;
	return WEXITSTATUS(res.status);
}

static char *describe_run_failure(const char *prog, const char *arg, int rc)
{
	if (rc == -1)
		return xasprintf("%s could not be started: %s", prog, strerror(errno));
	if (rc == -2)
		return xasprintf("%s %s did not finish within %d s (or was killed)", prog, arg,
				 RUN_TIMEOUT_MS / 1000);
	if (rc == 127)
		return xasprintf("%s could not be executed", prog);
	return xasprintf("%s %s exited with status %d", prog, arg, rc);
}

/* What the pipeline needs of FFmpeg: here and on a Slurm pool's nodes. */
const char *const doctor_filters[DOCTOR_NFILTERS] = { "flite", "drawtext", "subtitles" };
const char *const doctor_encoders[DOCTOR_NENCODERS] = { "libx264", "aac" };
static const char *const filter_checks[DOCTOR_NFILTERS] = { "filter:flite", "filter:drawtext",
							    "filter:subtitles" };
static const char *const encoder_checks[DOCTOR_NENCODERS] = { "encoder:libx264", "encoder:aac" };

/* ---- the report ------------------------------------------------------------ */

struct doctor_check *doctor_check_add(struct doctor_report *r, const char *name, bool required)
{
	r->checks = xrealloc(r->checks, (r->n + 1) * sizeof(*r->checks));
	struct doctor_check *c = &r->checks[r->n++];
	memset(c, 0, sizeof(*c));
	c->name = name;
	c->required = required;
	c->status = DOCTOR_OK;
	return c;
}

void doctor_check_skip(struct doctor_check *c, const char *blocked_by)
{
	c->status = DOCTOR_SKIP;
	c->code = 0;
	c->blocked_by = blocked_by;
	free(c->detail);
	c->detail = xasprintf("skipped: needs %s", blocked_by);
}

void doctor_check_fail(struct doctor_check *c, enum doctor_status s, int code, char *detail)
{
	c->status = s;
	c->code = code;
	free(c->detail);
	c->detail = detail;
}

/* "ffmpeg version 5.1.9-0+deb12u1 Copyright (c)..." -> up to " Copyright". */
static char *first_line(const char *s)
{
	size_t n = strcspn(s, "\r\n");
	const char *cr = strstr(s, " Copyright");
	if (cr && (size_t)(cr - s) < n)
		n = (size_t)(cr - s);
	return xstrndup(s, n);
}

char *doctor_version_of(const char *path, char **why)
{
	char *argv[] = { (char *)path, (char *)"-version", NULL };
	struct buf out;
	buf_init(&out);
	int rc = run_capture(argv, &out);
	char *ver = NULL;
	if (rc != 0 || out.len == 0)
		*why = rc == 0 ? xasprintf("%s -version printed nothing", path)
			       : describe_run_failure(path, "-version", rc);
	else
		ver = first_line(out.data);
	buf_free(&out);
	return ver;
}

/* Found and answers -version: value "PATH (VERSION LINE)". Returns true
 * when the program is usable. */
static bool check_program(struct doctor_check *c, char *path, char *why, int code)
{
	if (!path) {
		doctor_check_fail(c, DOCTOR_FAIL, code, why);
		return false;
	}
	free(why);
	char *argv[] = { path, (char *)"-version", NULL };
	struct buf out;
	buf_init(&out);
	int rc = run_capture(argv, &out);
	if (rc != 0 || out.len == 0) {
		doctor_check_fail(c, DOCTOR_FAIL, code,
				  rc == 0 ? xasprintf("%s -version printed nothing", path)
					  : describe_run_failure(path, "-version", rc));
		c->value = path;
		buf_free(&out);
		return false;
	}
	char *ver = first_line(out.data);
	c->value = xasprintf("%s (%s)", path, ver);
	free(ver);
	free(path);
	buf_free(&out);
	return true;
}

/* Does a `-filters` / `-encoders` listing name `name`? Each entry line is
 * " FLAGS NAME ..."; the legend lines have "=" as their second word. */
bool doctor_listing_has(const char *list, const char *name)
{
	size_t nl = strlen(name);
	for (const char *line = list; line && *line;) {
		const char *end = strchr(line, '\n');
		const char *p = line;
		while (*p == ' ')
			p++;
		p += strcspn(p, " \n"); /* the flags */
		while (*p == ' ')
			p++;
		if (strncmp(p, name, nl) == 0 && (p[nl] == ' ' || p[nl] == '\n' || p[nl] == '\0'))
			return true;
		line = end ? end + 1 : NULL;
	}
	return false;
}

static void check_listing(struct doctor_report *r, const char *ffmpeg, const char *what,
			  const char *const names[], const char *const check_names[], size_t n,
			  int code)
{
	struct buf out;
	buf_init(&out);
	char *fail = NULL;
	if (ffmpeg) {
		char *argv[] = { (char *)ffmpeg, (char *)"-hide_banner", (char *)what, NULL };
		int rc = run_capture(argv, &out);
		if (rc != 0)
			fail = describe_run_failure(ffmpeg, what, rc);
	}
	for (size_t i = 0; i < n; i++) {
		struct doctor_check *c = doctor_check_add(r, check_names[i], true);
		if (!ffmpeg)
			doctor_check_skip(c, "ffmpeg");
		else if (fail)
			doctor_check_fail(c, DOCTOR_FAIL, code, xstrdup(fail));
		else if (!doctor_listing_has(out.data ? out.data : "", names[i]))
			doctor_check_fail(
			    c, DOCTOR_FAIL, code,
			    xasprintf("%s has no %s %s", ffmpeg, names[i],
				      strcmp(what, "-filters") == 0 ? "filter" : "encoder"));
		else
			c->value = xstrdup(names[i]);
	}
	free(fail);
	buf_free(&out);
}

static void check_font(struct doctor_report *r, const struct aura_config *cfg)
{
	struct doctor_check *c = doctor_check_add(r, "font", true);
	char *why = NULL;
	char *font = locate_font(cfg, &why);
	if (font)
		c->value = font;
	else
		doctor_check_fail(c, DOCTOR_FAIL, AURA_E_FONT_NOT_FOUND, why);
}

/* Creates the data directories first (as every verb that needs them does),
 * so doctor reports the reason they cannot exist rather than stopping. */
static void check_data_dir(struct doctor_report *r, const struct aura_paths *paths)
{
	struct doctor_check *c = doctor_check_add(r, "data-dir", true);
	const char *dir = paths ? paths->data_dir : NULL;
	struct aura_error err;
	struct stat st;
	if (!dir) {
		doctor_check_fail(c, DOCTOR_FAIL, AURA_E_DATA_DIR,
				  xstrdup("no data directory resolved"));
		return;
	}
	aura_error_clear(&err);
	if (paths_ensure(paths, &err) < 0) {
		doctor_check_fail(c, DOCTOR_FAIL, err.code ? err.code : AURA_E_DATA_DIR,
				  err.detail[0] ? xstrdup(err.detail)
						: xasprintf("%s cannot be created", dir));
		return;
	}
	if (stat(dir, &st) < 0) {
		doctor_check_fail(c, DOCTOR_FAIL, AURA_E_DATA_DIR,
				  xasprintf("%s: %s", dir, strerror(errno)));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		doctor_check_fail(c, DOCTOR_FAIL, AURA_E_DATA_DIR,
				  xasprintf("%s is not a directory", dir));
		return;
	}
	/* access(W_OK) can lie (read-only mounts, ACLs, root): really write. */
	char *tmp = xasprintf("%s/.doctor-XXXXXX", dir);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		doctor_check_fail(
		    c, DOCTOR_FAIL, AURA_E_DATA_DIR,
		    xasprintf("cannot create a file in %s: %s", dir, strerror(errno)));
	} else {
		close(fd);
		unlink(tmp);
		c->value = xstrdup(dir);
	}
	free(tmp);
}

/* The data directory may not exist (that is the data-dir check's finding):
 * measure the nearest directory above it that does, where it would live. */
static void check_disk(struct doctor_report *r, const char *dir)
{
	struct doctor_check *c = doctor_check_add(r, "disk", false);
	struct statvfs vfs;
	char *where = xstrdup(dir ? dir : "/");
	while (statvfs(where, &vfs) < 0) {
		char *slash = strrchr(where, '/');
		if (!slash || slash == where) {
			if (strcmp(where, "/") == 0 || statvfs("/", &vfs) < 0) {
				doctor_check_fail(c, DOCTOR_WARN, AURA_E_DISK_LOW,
						  xasprintf("cannot measure free space in %s: %s",
							    dir ? dir : "/", strerror(errno)));
				free(where);
				return;
			}
			str_copy(where, "/", 2);
			break;
		}
		*slash = '\0';
	}
	unsigned long long avail = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
	c->value = xasprintf("%.1f GiB free in %s", (double)avail / (1024.0 * 1024 * 1024), where);
	if (avail < DISK_LOW_BYTES)
		doctor_check_fail(c, DOCTOR_WARN, AURA_E_DISK_LOW,
				  xasprintf("%.0f MiB free in %s, less than 1 GiB",
					    (double)avail / (1024.0 * 1024), where));
	free(where);
}

/* An empty store beside earlier jobs' work directories was lost: the
 * server refuses it (STORE_EMPTY) and so does this check. */
static void check_store(struct doctor_report *r, const struct aura_paths *paths)
{
	struct doctor_check *c = doctor_check_add(r, "store", true);
	struct stat st;
	if (!paths || stat(paths->db_file, &st) < 0) {
		c->value = xstrdup("not created yet");
		return;
	}
	int64_t jobs = 0;
	struct aura_error err;
	aura_error_clear(&err);
	if (store_peek_job_count(paths->db_file, &jobs, &err) < 0) {
		doctor_check_fail(c, DOCTOR_FAIL, err.code, xstrdup(err.detail));
		return;
	}
	long long max_id;
	int dirs = paths_job_dirs_scan(paths, &max_id);
	if (jobs == 0 && dirs > 0) {
		doctor_check_fail(c, DOCTOR_FAIL, AURA_E_STORE_EMPTY,
				  xasprintf("%s holds no job (%lld bytes), but %s holds %d work "
					    "director%s (up to job %lld)",
					    paths->db_file, (long long)st.st_size, paths->jobs_dir,
					    dirs, dirs == 1 ? "y" : "ies", max_id));
		return;
	}
	c->value =
	    xasprintf("%s, %lld job%s", paths->db_file, (long long)jobs, jobs == 1 ? "" : "s");
}

static void check_providers(struct doctor_report *r, const struct aura_config *cfg)
{
	struct doctor_check *c = doctor_check_add(r, "providers", false);
	const char *s = cfg && cfg->chain_script ? cfg->chain_script : "(default)";
	const char *v = cfg && cfg->chain_voice ? cfg->chain_voice : "(default)";
	const char *i = cfg && cfg->chain_visuals ? cfg->chain_visuals : "(default)";
	c->value = xasprintf("script: %s; voice: %s; visuals: %s", s, v, i);
}

/*
 * One check per provider that has a key or a base URL, or is named in a
 * chain: the cheapest authenticated request, all at once on a private
 * loop, one attempt each, 4 s apiece. Never required: aura works offline.
 */
static void check_each_provider(struct doctor_report *r, const struct aura_config *cfg)
{
	static const char *const check_names[] = { "provider:openai", "provider:elevenlabs",
						   "provider:pexels", "provider:pixabay",
						   "provider:sdwebui" };
	_Static_assert(ARRAY_LEN(check_names) == 5, "one check name per provider");
	struct provider_probe_wait waits[5] = { 0 };
	size_t idx[5];
	struct provider *ps[5] = { 0 };
	struct loop *l;
	struct http *h;
	int64_t end;
	bool pending = false;

	if (!cfg)
		return;
	l = loop_new();
	h = http_new(l);
	for (size_t k = 0; k < ARRAY_LEN(check_names) && provider_names[k]; k++) {
		const char *name = provider_names[k];
		const struct provider_config *pc = provider_config_for(cfg, name);
		struct doctor_check *c;
		struct provider_policy pol;

		if (!provider_mentioned(cfg, name))
			continue;
		c = doctor_check_add(r, check_names[k], false);
		idx[k] = r->n - 1;
		c->value = xstrdup(provider_base_url(cfg, name));
		if (!provider_usable(cfg, name)) {
			doctor_check_fail(
			    c, DOCTOR_WARN, AURA_E_PROVIDER_NOT_CONFIGURED,
			    pc->api_key_env && *pc->api_key_env
				? xasprintf("no API key: set %s, or api_key_env/api_key "
					    "in [%s]",
					    pc->api_key_env, name)
				: xasprintf("no API key: set api_key_env or api_key in [%s]",
					    name));
			continue;
		}
		if (!h) {
			doctor_check_fail(c, DOCTOR_WARN, AURA_E_INTERNAL,
					  xstrdup("libcurl failed to start"));
			continue;
		}
		provider_policy_default(&pol, 4);
		pol.max_attempts = 1;
		pol.connect_timeout_ms = 3000;
		pol.quiet = true; /* the outcome is in the report, not in log lines */
		ps[k] = provider_new(l, h, name, provider_base_url(cfg, name), config_api_key(pc),
				     &pol);
		provider_probe_start(ps[k], provider_probe_wait_done, &waits[k]);
		pending = true;
	}
	end = time_mono_ms() + 5000;
	while (pending && time_mono_ms() < end) {
		loop_run_once(l, 100);
		pending = false;
		for (size_t k = 0; k < ARRAY_LEN(ps); k++)
			if (ps[k] && !waits[k].done)
				pending = true;
	}
	for (size_t k = 0; k < ARRAY_LEN(ps); k++) {
		struct doctor_check *c;
		if (!ps[k])
			continue;
		c = &r->checks[idx[k]];
		if (!waits[k].done)
			doctor_check_fail(c, DOCTOR_WARN, AURA_E_PROVIDER_TIMEOUT,
					  xstrdup("no answer within 5 s"));
		else if (waits[k].o.code)
			doctor_check_fail(c, DOCTOR_WARN, waits[k].o.code,
					  xstrdup(waits[k].o.detail));
		else {
			char *v =
			    xasprintf("%s (%lld ms)", c->value, (long long)waits[k].o.elapsed_ms);
			free(c->value);
			c->value = v;
		}
		provider_free(ps[k]);
	}
	http_free(h);
	loop_free(l);
}

/* First: the configuration, or why it could not be read (then the rest
 * runs with the defaults, and says so). */
static void check_config(struct doctor_report *r, const struct aura_config *cfg,
			 const struct aura_paths *paths, const struct aura_error *config_err)
{
	struct doctor_check *c = doctor_check_add(r, "config", true);
	if (config_err && config_err->code) {
		doctor_check_fail(
		    c, DOCTOR_FAIL, config_err->code,
		    xasprintf("%s; the other checks ran with the default configuration",
			      config_err->detail[0] ? config_err->detail
						    : aura_error_message(config_err->code)));
		if (paths && paths->config_file)
			c->value = xstrdup(paths->config_file);
		return;
	}
	if (cfg && cfg->source)
		c->value = xstrdup(cfg->source);
	else
		c->value = xasprintf("defaults (no %s)", paths && paths->config_file
							     ? paths->config_file
							     : "configuration file");
}

int doctor_run(const struct aura_config *cfg, const struct aura_paths *paths,
	       const struct aura_error *config_err, struct doctor_report *out)
{
	out->checks = NULL;
	out->n = 0;
	bool config_bad = config_err && config_err->code;
	check_config(out, cfg, paths, config_err);

	char *why = NULL;
	char *ffmpeg = locate_ffmpeg(cfg, &why);
	char *ffmpeg_copy = xstrdup(ffmpeg); /* check_program takes ownership */
	bool ffmpeg_ok = check_program(doctor_check_add(out, "ffmpeg", true), ffmpeg, why,
				       AURA_E_FFMPEG_NOT_FOUND);

	why = NULL;
	char *ffprobe = locate_ffprobe(cfg, ffmpeg_copy, &why);
	check_program(doctor_check_add(out, "ffprobe", true), ffprobe, why,
		      AURA_E_FFPROBE_NOT_FOUND);

	const char *usable = ffmpeg_ok ? ffmpeg_copy : NULL;
	check_listing(out, usable, "-filters", doctor_filters, filter_checks, DOCTOR_NFILTERS,
		      AURA_E_FFMPEG_MISSING_FILTER);
	check_listing(out, usable, "-encoders", doctor_encoders, encoder_checks, DOCTOR_NENCODERS,
		      AURA_E_FFMPEG_MISSING_ENCODER);

	check_font(out, cfg);
	check_data_dir(out, paths);
	check_disk(out, paths ? paths->data_dir : NULL);
	check_store(out, paths);
	doctor_check_server(out, paths, usable);
	if (config_bad) {
		/* what these show is the configuration itself: the defaults'
		 * answer would mislead */
		doctor_check_skip(doctor_check_add(out, "providers", false), "config");
		doctor_check_skip(doctor_check_add(out, "pools", false), "config");
	} else {
		check_providers(out, cfg);
		check_each_provider(out, cfg);
		/* last: a Slurm pool's probe may wait for the cluster */
		doctor_check_pools(out, cfg, paths, usable);
	}
	free(ffmpeg_copy);

	const struct doctor_check *bad = doctor_report_first_failure(out);
	return bad ? -bad->code : 0;
}

const struct doctor_check *doctor_report_first_failure(const struct doctor_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->checks[i].required && r->checks[i].status == DOCTOR_FAIL)
			return &r->checks[i];
	return NULL;
}

void doctor_report_free(struct doctor_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->checks[i].name_owned);
		free(r->checks[i].value);
		free(r->checks[i].detail);
	}
	free(r->checks);
	r->checks = NULL;
	r->n = 0;
}

const char *doctor_status_name(enum doctor_status s)
{
	switch (s) {
	case DOCTOR_OK:
		return "ok";
	case DOCTOR_WARN:
		return "warn";
	case DOCTOR_FAIL:
		return "fail";
	case DOCTOR_SKIP:
		return "skipped";
	case DOCTOR_INFO:
		return "info";
	}
	return "fail";
}
