/*
 * slurm.c -- the pool checks of `aura doctor`: one line per pool (its
 * executor and max_jobs), and for a Slurm pool whether its programs are
 * there (srun, squeue, scancel, sinfo), whether its partition exists, and
 * a probe on the cluster: a step on a node reads a file just written into
 * the data directory (the shared filesystem a Slurm pool needs), then
 * lists the node's FFmpeg filters and encoders against the pipeline's list
 * (doctor.c's, read by the same doctor_listing_has).
 *
 * Bounds: sinfo 10 s; the first probe step 60 s (it may wait in the queue
 * for a node: "queued and waiting for resources"), the two listings 30 s
 * each; then the step's srun is stopped (SIGTERM, then SIGKILL to its
 * group, which makes srun cancel the step). The probe asks for one task
 * and the pool's partition, account and extra_args (a QOS a cluster
 * insists on) -- not its cpus_per_task, mem or time_limit, so it is small.
 *
 * Must never: print, run anything through a shell (extra_args is split by
 * shsplit), or wait on a child without a deadline.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/shsplit.h"
#include "doctor/check.h"

#define SINFO_TIMEOUT_MS       10000
#define PROBE_FIRST_TIMEOUT_MS 60000
#define PROBE_NEXT_TIMEOUT_MS  30000

static bool is_executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* prog looked up in PATH (a name) or taken as it is (a path); NULL if not
 * an executable file. */
static char *find_program(const char *prog)
{
	if (strchr(prog, '/'))
		return is_executable(prog) ? xstrdup(prog) : NULL;
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		char *full = xasprintf("%.*s/%s", (int)n, n ? path : ".", prog);
		if (is_executable(full))
			return full;
		free(full);
		path += n;
		if (*path == ':')
			path++;
	}
	return NULL;
}

/* name beside srun (same directory), else in PATH. */
static char *find_beside(const char *srun, const char *name)
{
	const char *slash = strrchr(srun, '/');
	if (slash) {
		char *full = xasprintf("%.*s/%s", (int)(slash - srun), srun, name);
		if (is_executable(full))
			return full;
		free(full);
	}
	return find_program(name);
}

/* The last non-empty line of s, without srun's "srun: error: " style
 * prefix kept (it says who spoke); "" if none. Owned by the caller. */
static char *last_line(const char *s)
{
	const char *end = s + strlen(s);
	while (end > s && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	const char *start = end;
	while (start > s && start[-1] != '\n')
		start--;
	return xstrndup(start, (size_t)(end - start));
}

static char *run_failure(const char *what, int rc, int deadline_ms, const char *err)
{
	char *line = last_line(err ? err : "");
	char *d;
	if (rc == -2)
		d = xasprintf("%s did not finish within %d s (the cluster is busy, or no node of "
			      "the partition is up: see sinfo and squeue)%s%s",
			      what, deadline_ms / 1000, *line ? ": " : "", line);
	else if (rc == 127 && !*line)
		d = xasprintf("%s could not be executed", what);
	else
		d = xasprintf("%s exited with status %d%s%s", what, rc, *line ? ": " : "", line);
	free(line);
	return d;
}

static char *pool_check_name(const struct pool_config *p, const char *what)
{
	return what ? xasprintf("pool:%s:%s", p->name, what) : xasprintf("pool:%s", p->name);
}

static struct doctor_check *add_pool_check(struct doctor_report *r, const struct pool_config *p,
					   const char *what, bool required)
{
	char *name = pool_check_name(p, what);
	struct doctor_check *c = doctor_check_add(r, name, required);
	c->name_owned = name;
	return c;
}

/* ---- programs ---------------------------------------------------------- */

struct slurm_tools {
	char *srun, *squeue, *scancel, *sinfo;
};

static void tools_free(struct slurm_tools *t)
{
	free(t->srun);
	free(t->squeue);
	free(t->scancel);
	free(t->sinfo);
}

static bool check_tools(struct doctor_report *r, const struct pool_config *p, struct slurm_tools *t)
{
	struct doctor_check *c = add_pool_check(r, p, "programs", true);
	const char *srun = p->srun && *p->srun ? p->srun : "srun";
	t->srun = find_program(srun);
	if (!t->srun) {
		doctor_check_fail(c, DOCTOR_FAIL, AURA_E_SLURM_NOT_FOUND,
				  strcmp(srun, "srun") == 0
				      ? xasprintf("srun not found (install slurm-client, or set "
						  "[pool %s] srun)",
						  p->name)
				      : xasprintf("srun %s not found (install slurm-client, or "
						  "correct [pool %s] srun)",
						  srun, p->name));
		return false;
	}
	t->squeue = find_beside(t->srun, "squeue");
	t->scancel = find_beside(t->srun, "scancel");
	t->sinfo = find_beside(t->srun, "sinfo");
	const char *missing = !t->squeue    ? "squeue"
			      : !t->scancel ? "scancel"
			      : !t->sinfo   ? "sinfo"
					    : NULL;
	if (missing) {
		doctor_check_fail(c, DOCTOR_FAIL, AURA_E_SLURM_NOT_FOUND,
				  xasprintf("%s not found beside %s or in PATH (install "
					    "slurm-client)",
					    missing, t->srun));
		return false;
	}
	c->value = xasprintf("%s, %s, %s, %s", t->srun, t->squeue, t->scancel, t->sinfo);
	return true;
}

/* ---- partition --------------------------------------------------------- */

/* sinfo's %P lines ("debug*", "long"), de-duplicated, as "a, b". */
static char *partition_list(const char *listing, char **def)
{
	struct buf b;
	buf_init(&b);
	*def = NULL;
	for (const char *line = listing; *line;) {
		size_t n = strcspn(line, "\n");
		size_t m = n;
		while (m > 0 && (line[m - 1] == ' ' || line[m - 1] == '\r'))
			m--;
		bool is_def = m > 0 && line[m - 1] == '*';
		if (is_def)
			m--;
		if (m > 0) {
			char *name = xstrndup(line, m);
			bool seen = false;
			for (const char *q = b.data ? b.data : ""; *q && !seen;) {
				size_t k = strcspn(q, ",");
				seen = k == m && strncmp(q, name, m) == 0;
				q += k;
				while (*q == ',' || *q == ' ')
					q++;
			}
			if (!seen) {
				if (b.len)
					buf_append(&b, ", ", 2);
				buf_append(&b, name, m);
			}
			if (is_def && !*def)
				*def = xstrdup(name);
			free(name);
		}
		line += n;
		if (*line == '\n')
			line++;
	}
	char *s = xstrdup(b.data ? b.data : "");
	buf_free(&b);
	return s;
}

static bool list_names(const char *list, const char *name)
{
	size_t nl = strlen(name);
	for (const char *q = list; *q;) {
		size_t k = strcspn(q, ",");
		if (k == nl && strncmp(q, name, nl) == 0)
			return true;
		q += k;
		while (*q == ',' || *q == ' ')
			q++;
	}
	return false;
}

static bool check_partition(struct doctor_report *r, const struct pool_config *p,
			    const struct slurm_tools *t)
{
	struct doctor_check *c = add_pool_check(r, p, "partition", true);
	if (!t->sinfo) {
		doctor_check_fail(c, DOCTOR_FAIL, AURA_E_SLURM_NOT_FOUND,
				  xstrdup("not checked: sinfo not found"));
		return false;
	}
	char *argv[] = { t->sinfo, (char *)"--noheader", (char *)"--format=%P", NULL };
	struct buf out, err;
	buf_init(&out);
	buf_init(&err);
	int rc = doctor_run_capture(argv, SINFO_TIMEOUT_MS, &out, &err);
	if (rc != 0) {
		doctor_check_fail(c, DOCTOR_FAIL, AURA_E_SLURM_PROBE_FAILED,
				  run_failure("sinfo", rc, SINFO_TIMEOUT_MS, err.data));
		buf_free(&out);
		buf_free(&err);
		return false;
	}
	char *def = NULL;
	char *list = partition_list(out.data ? out.data : "", &def);
	bool ok = true;
	if (p->partition && *p->partition) {
		if (list_names(list, p->partition))
			c->value = xasprintf("%s (sinfo lists: %s)", p->partition, list);
		else {
			doctor_check_fail(
			    c, DOCTOR_FAIL, AURA_E_SLURM_PARTITION_UNKNOWN,
			    xasprintf("partition '%s' does not exist (sinfo lists: %s)",
				      p->partition, *list ? list : "nothing"));
			ok = false;
		}
	} else if (def) {
		c->value = xasprintf("the cluster's default, %s (sinfo lists: %s)", def, list);
	} else {
		doctor_check_fail(c, DOCTOR_FAIL, AURA_E_SLURM_PARTITION_UNKNOWN,
				  xasprintf("no partition set and the cluster has no default one "
					    "(sinfo lists: %s): set [pool %s] partition",
					    *list ? list : "nothing", p->name));
		ok = false;
	}
	free(def);
	free(list);
	buf_free(&out);
	buf_free(&err);
	return ok;
}

/* ---- the probe --------------------------------------------------------- */

/* 0.1 s of 8 kHz mono 16-bit silence: a file any FFmpeg reads. */
static int write_probe_wav(int fd)
{
	enum { SAMPLES = 800, DATA = SAMPLES * 2 };
	unsigned char h[44 + DATA];
	memset(h, 0, sizeof(h));
	memcpy(h, "RIFF", 4);
	unsigned v = 36 + DATA;
	for (int i = 0; i < 4; i++)
		h[4 + i] = (unsigned char)(v >> (8 * i));
	memcpy(h + 8, "WAVEfmt ", 8);
	h[16] = 16;		    /* fmt chunk size */
	h[20] = 1;		    /* PCM */
	h[22] = 1;		    /* mono */
	h[24] = 0x40, h[25] = 0x1f; /* 8000 Hz */
	h[28] = 0x80, h[29] = 0x3e; /* 16000 bytes/s */
	h[32] = 2;		    /* block align */
	h[34] = 16;		    /* bits */
	memcpy(h + 36, "data", 4);
	h[40] = DATA & 0xff, h[41] = DATA >> 8;
	return write(fd, h, sizeof(h)) == (ssize_t)sizeof(h) ? 0 : -1;
}

/* srun [--partition P] [--account A] [extra_args] --chdir=DIR -- then the
 * words of tail. NULL-terminated; free with free() (the strings are either
 * borrowed or in owned[]). */
struct probe_argv {
	char **argv;
	size_t n;
	char **extra; /* shsplit's, or NULL */
	char *owned[3];
};

static void probe_argv_free(struct probe_argv *a)
{
	free(a->argv);
	shsplit_free(a->extra);
	for (size_t i = 0; i < ARRAY_LEN(a->owned); i++)
		free(a->owned[i]);
}

static void push(struct probe_argv *a, const char *s)
{
	a->argv = xrealloc(a->argv, (a->n + 2) * sizeof(*a->argv));
	a->argv[a->n++] = (char *)s;
	a->argv[a->n] = NULL;
}

static char *probe_step(const struct pool_config *p, const struct slurm_tools *t, const char *dir,
			const char *const tail[], int deadline_ms, struct buf *out, int *code)
{
	struct probe_argv a = { 0 };
	struct aura_error err;
	int argc = 0;
	push(&a, t->srun);
	push(&a, "--job-name=aura-doctor");
	push(&a, "--ntasks=1");
	if (p->partition && *p->partition)
		push(&a, a.owned[0] = xasprintf("--partition=%s", p->partition));
	if (p->account && *p->account)
		push(&a, a.owned[1] = xasprintf("--account=%s", p->account));
	if (p->extra_args && *p->extra_args) {
		aura_error_clear(&err);
		if (shsplit(p->extra_args, &a.extra, &argc, &err) < 0) {
			*code = AURA_E_CONFIG_BAD_VALUE;
			probe_argv_free(&a);
			return xasprintf("[pool %s] extra_args: %s", p->name, err.detail);
		}
		for (int i = 0; i < argc; i++)
			push(&a, a.extra[i]);
	}
	push(&a, a.owned[2] = xasprintf("--chdir=%s", dir));
	push(&a, "--");
	for (size_t i = 0; tail[i]; i++)
		push(&a, tail[i]);

	struct buf errb;
	buf_init(&errb);
	int rc = doctor_run_capture(a.argv, deadline_ms, out, &errb);
	const char *e = errb.data ? errb.data : "";
	char *detail = NULL;
	if (rc == 0) {
		*code = 0;
	} else if (strstr(e, "error: execve") || strstr(e, "Unable to exec")) {
		*code = AURA_E_FFMPEG_NOT_FOUND;
		detail = xasprintf("%s not found on the nodes (install FFmpeg there at the same "
				   "path, or set [ffmpeg] ffmpeg)",
				   tail[0]);
	} else if (rc > 0 && rc != 127 &&
		   (strstr(e, "couldn't chdir") || strstr(e, "No such file or directory") ||
		    strstr(e, "Permission denied"))) {
		*code = AURA_E_SLURM_NOT_SHARED;
		char *line = last_line(e);
		detail = xasprintf("the nodes cannot read %s (a shared filesystem is needed: "
				   "doc/cluster.md): %s",
				   dir, line);
		free(line);
	} else {
		*code = AURA_E_SLURM_PROBE_FAILED;
		detail = run_failure("the probe step (srun)", rc, deadline_ms, e);
	}
	buf_free(&errb);
	probe_argv_free(&a);
	return detail;
}

/* Appends the names of list[] that the listing lacks to missing. */
static void lacking(struct buf *missing, const char *listing, const char *const list[], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (doctor_listing_has(listing, list[i]))
			continue;
		if (missing->len)
			buf_append(missing, ", ", 2);
		buf_append(missing, list[i], strlen(list[i]));
	}
}

static void check_probe(struct doctor_report *r, const struct pool_config *p,
			const struct slurm_tools *t, bool usable, const char *data_dir,
			const char *ffmpeg)
{
	struct doctor_check *c = add_pool_check(r, p, "probe", true);
	if (!usable) {
		doctor_check_fail(
		    c, DOCTOR_FAIL, AURA_E_SLURM_PROBE_FAILED,
		    xasprintf("not run: fix pool:%s's programs and partition first", p->name));
		return;
	}
	if (!ffmpeg) {
		doctor_check_fail(c, DOCTOR_FAIL, AURA_E_FFMPEG_NOT_FOUND,
				  xstrdup("not run: no usable ffmpeg"));
		return;
	}
	if (!data_dir) {
		doctor_check_fail(c, DOCTOR_FAIL, AURA_E_DATA_DIR,
				  xstrdup("not run: no data directory"));
		return;
	}
	char *path = xasprintf("%s/.doctor-probe-XXXXXX.wav", data_dir);
	int fd = mkstemps(path, 4);
	if (fd < 0 || write_probe_wav(fd) < 0) {
		doctor_check_fail(c, DOCTOR_FAIL, AURA_E_DATA_DIR,
				  xasprintf("not run: cannot write %s: %s", path, strerror(errno)));
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		free(path);
		return;
	}
	close(fd);
	const char *base = strrchr(path, '/') + 1;

	/* 1: read the file, relative to --chdir (srun falls back to /tmp when
	 * the node cannot enter the directory, so the read tells). */
	const char *read_tail[] = { ffmpeg, "-hide_banner", "-nostdin", "-v", "error", "-i",
				    base,   "-f",	    "null",	"-",  NULL };
	struct buf out, missing;
	buf_init(&out);
	buf_init(&missing);
	int code = 0;
	char *detail = probe_step(p, t, data_dir, read_tail, PROBE_FIRST_TIMEOUT_MS, &out, &code);
	unlink(path);
	free(path);
	/* 2, 3: the node's filters and encoders against the pipeline's list */
	const struct {
		const char *what;
		const char *const *names;
		size_t n;
	} lists[] = {
		{ "-filters", doctor_filters, DOCTOR_NFILTERS },
		{ "-encoders", doctor_encoders, DOCTOR_NENCODERS },
	};
	bool lacks_filter = false;
	for (size_t i = 0; i < ARRAY_LEN(lists) && !detail; i++) {
		const char *tail[] = { ffmpeg, "-hide_banner", lists[i].what, NULL };
		buf_free(&out);
		buf_init(&out);
		detail = probe_step(p, t, data_dir, tail, PROBE_NEXT_TIMEOUT_MS, &out, &code);
		if (!detail)
			lacking(&missing, out.data ? out.data : "", lists[i].names, lists[i].n);
		if (i == 0)
			lacks_filter = missing.len > 0;
	}
	if (!detail && missing.len) {
		code = lacks_filter ? AURA_E_FFMPEG_MISSING_FILTER : AURA_E_FFMPEG_MISSING_ENCODER;
		detail = xasprintf("ffmpeg on the nodes lacks: %s", missing.data);
	}
	if (detail)
		doctor_check_fail(c, DOCTOR_FAIL, code, detail);
	else
		c->value = xasprintf("a step read a file in %s; %s on the node has every filter "
				     "and encoder aura needs",
				     data_dir, ffmpeg);
	buf_free(&out);
	buf_free(&missing);
}

void doctor_check_pools(struct doctor_report *r, const struct aura_config *cfg,
			const struct aura_paths *paths, const char *ffmpeg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < config_pool_count(cfg); i++) {
		const struct pool_config *p = config_pool_at(cfg, i);
		struct doctor_check *c = add_pool_check(r, p, NULL, false);
		int max = config_pool_max_jobs(cfg, p);
		if (p->executor != POOL_SLURM) {
			c->value = xasprintf("executor %s, max_jobs %d",
					     config_pool_executor_name(p->executor), max);
			continue;
		}
		c->value = xasprintf("executor slurm, max_jobs %d (srun children at once)", max);
		struct slurm_tools t = { 0 };
		bool ok = check_tools(r, p, &t);
		ok = check_partition(r, p, &t) && ok;
		check_probe(r, p, &t, ok, paths ? paths->data_dir : NULL, ffmpeg);
		tools_free(&t);
	}
}
