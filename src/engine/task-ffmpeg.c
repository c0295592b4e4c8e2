/*
 * task-ffmpeg.c -- the raw FFmpeg job kind (`aura submit -- ARGS...`): an
 * optional ffprobe of the first input for the duration (so progress has a
 * percent), then the user's ffmpeg command. Owns the spec's meaning
 * ({"argv": [...], "cwd": "...", "output": "..."}), the duration estimate
 * (-t, -ss) and the output's temporary name.
 *
 * An output that is one file is written as NAME.aura-ID.part.EXT beside it
 * (the extension kept, so FFmpeg picks the same muxer) and renamed to its
 * real name only when FFmpeg exited 0 and the file is not empty; failure,
 * cancel and recovery remove only that temporary. FFmpeg never sees the
 * real name, so its -n/-y is emulated here: an existing output the user
 * had is refused unless -y, and with -y it is replaced only on success.
 * Patterns (img%03d.png), several outputs and non-files (pipes, URLs,
 * devices, -f null) are passed through and never removed.
 *
 * Must never: delete or truncate a file it did not create as a temporary,
 * run anything but ffprobe and ffmpeg, or put a shell between us and them.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "ff/ffclass.h"
#include "engine/task.h"
#include "base/util.h"

/* The marker in the job's work directory that remembers, across attempts
 * and server restarts, whether the output existed before the first one. */
#define PREEXIST_KEY	"output_preexisted" /* in the spec */
#define PREEXIST_MARKER "output-preexisted" /* a file, before 0.1.0 kept it there */

enum ff_step { STEP_PROBE, STEP_RUN, STEP_DONE };

struct ffjob {
	const struct task_env *env;
	int64_t job_id;
	char **args; /* the user's ffmpeg arguments, without "ffmpeg" */
	size_t nargs;
	char *cwd;
	char *output;	  /* as the user named it (spec "output", else guessed) */
	char *output_abs; /* absolute, NULL when not a plain file ("-", pipe:...) */
	bool output_in_args;
	bool has_overwrite_flag; /* -y or -n given */
	bool has_y;		 /* -y given: replace an existing output */
	bool output_preexisted;
	bool output_exists;	  /* the real name exists as this attempt starts */
	bool *is_file_arg;	  /* per argument: a file name, not an option or value */
	bool *is_output_arg;	  /* per argument: the output, in some spelling */
	const char **file_fmt;	  /* per file argument: the -f before it, or NULL */
	const char *trailing_fmt; /* a -f after the last file (for an appended output) */
	char *tmp_abs;		  /* the temporary name; NULL: not one file */
	const char *not_one_file; /* why the output has no temporary (for the log) */
	const char *input;	  /* points into args */
	const char *input_fmt;
	int64_t in_t_us, in_ss_us, out_t_us; /* -1: not given */
	int64_t duration_us;
	enum ff_step step;
};

/* ffmpeg options that take no value; every other "-opt" takes one. Used
 * only to tell option values from file names. */
static const char *const flag_opts[] = {
    "-y",
    "-n",
    "-hide_banner",
    "-nostdin",
    "-stdin",
    "-stats",
    "-nostats",
    "-an",
    "-vn",
    "-sn",
    "-dn",
    "-shortest",
    "-re",
    "-copyts",
    "-start_at_zero",
    "-benchmark",
    "-benchmark_all",
    "-ignore_unknown",
    "-report",
    "-xerror",
    "-debug_ts",
    "-accurate_seek",
    "-noaccurate_seek",
    "-dump",
    "-hex",
    "-vstats",
    "-copyinkf",
    "-autorotate",
    "-noautorotate",
    "-autoscale",
    "-noautoscale",
    "-bitexact",
    "-qphist",
    "-nostdin",
    "-copy_unknown",
    "-recast_media",
    "-fix_sub_duration",
    "-psnr",
};

static bool is_flag_opt(const char *a)
{
	for (size_t i = 0; i < ARRAY_LEN(flag_opts); i++)
		if (strcmp(a, flag_opts[i]) == 0)
			return true;
	return false;
}

static bool is_option(const char *a)
{
	return a[0] == '-' && a[1] != '\0';
}

/*
 * FFmpeg's duration syntax: [-][HH:]MM:SS[.m...] or [-]S+[.m...][s|ms|us].
 * 0 and *us set, or -1.
 */
static int parse_ff_duration(const char *s, int64_t *us)
{
	bool neg = false;
	if (*s == '-') {
		neg = true;
		s++;
	}
	if (!*s)
		return -1;
	double total = 0;
	if (strchr(s, ':')) {
		double parts[3];
		int n = 0;
		const char *p = s;
		while (n < 3) {
			char *end;
			errno = 0;
			double v = strtod(p, &end);
			if (end == p || errno || v < 0)
				return -1;
			parts[n++] = v;
			if (*end == ':') {
				p = end + 1;
				continue;
			}
			if (*end != '\0')
				return -1;
			break;
		}
		if (n < 2)
			return -1;
		for (int i = 0; i < n; i++)
			total = total * 60 + parts[i];
	} else {
		char *end;
		errno = 0;
		double v = strtod(s, &end);
		if (end == s || errno || !(v >= 0 && v < 1e12)) /* also NaN, inf */
			return -1;
		if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
			total = v;
		else if (strcmp(end, "ms") == 0)
			total = v / 1e3;
		else if (strcmp(end, "us") == 0)
			total = v / 1e6;
		else
			return -1;
	}
	if (total > 1e9)
		return -1;
	*us = (int64_t)(total * 1e6 + 0.5) * (neg ? -1 : 1);
	return 0;
}

static char *path_absolute(const char *cwd, const char *p)
{
	if (p[0] == '/' || !cwd)
		return xstrdup(p);
	return xasprintf("%s/%s", cwd, p);
}

/* A file we can stat and remove: not stdout, not a protocol URL. */
static bool is_plain_file(const char *p)
{
	if (strcmp(p, "-") == 0 || str_starts_with(p, "pipe:"))
		return false;
	if (strstr(p, "://"))
		return false;
	if (str_starts_with(p, "file:"))
		return true; /* handled by the caller stripping the prefix */
	return true;
}

/* Walk the arguments as ffmpeg would: options apply to the next file. */
static void scan_args(struct ffjob *t)
{
	const char *pending_f = NULL, *pending_t = NULL, *pending_ss = NULL;
	const char *last_file = NULL, *last_file_t = NULL;
	bool first_input_seen = false;

	for (size_t i = 0; i < t->nargs; i++) {
		const char *a = t->args[i];
		bool has_val = i + 1 < t->nargs;
		if (strcmp(a, "-i") == 0 && has_val) {
			if (!first_input_seen) {
				first_input_seen = true;
				t->input = t->args[i + 1];
				t->input_fmt = pending_f;
				if (pending_t)
					(void)parse_ff_duration(pending_t, &t->in_t_us);
				if (pending_ss)
					(void)parse_ff_duration(pending_ss, &t->in_ss_us);
			}
			pending_f = pending_t = pending_ss = NULL;
			i++;
		} else if (strcmp(a, "-y") == 0 || strcmp(a, "-n") == 0) {
			t->has_overwrite_flag = true;
			if (a[1] == 'y')
				t->has_y = true;
		} else if (strcmp(a, "-f") == 0 && has_val) {
			pending_f = t->args[++i];
		} else if (strcmp(a, "-t") == 0 && has_val) {
			pending_t = t->args[++i];
		} else if (strcmp(a, "-ss") == 0 && has_val) {
			pending_ss = t->args[++i];
		} else if (is_option(a)) {
			if (!is_flag_opt(a) && has_val)
				i++;
		} else {
			/* a file name: an output (inputs come after -i) */
			last_file = a;
			last_file_t = pending_t;
			t->is_file_arg[i] = true;
			t->file_fmt[i] = pending_f;
			pending_f = pending_t = pending_ss = NULL;
		}
	}
	t->trailing_fmt = pending_f;
	if (last_file_t)
		(void)parse_ff_duration(last_file_t, &t->out_t_us);
	if (!t->output && last_file)
		t->output = xstrdup(last_file);
}

static void resolve_output(struct ffjob *t)
{
	if (!t->output)
		return;
	if (!is_plain_file(t->output)) {
		/* "-" or pipe:N: only an exact argument counts as present */
		for (size_t i = 0; i < t->nargs && !t->output_in_args; i++)
			t->output_in_args = strcmp(t->args[i], t->output) == 0;
		return;
	}
	const char *p = t->output;
	if (str_starts_with(p, "file:"))
		p += 5;
	t->output_abs = path_absolute(t->cwd, p);

	/* Is the output among the file arguments already (in any spelling)?
	 * Every place that names it, but an input, gets the temporary. */
	for (size_t i = 0; i < t->nargs; i++) {
		const char *a = t->args[i];
		bool same = strcmp(a, t->output) == 0;
		if (!same && !is_option(a)) {
			const char *b = str_starts_with(a, "file:") ? a + 5 : a;
			char *abs = path_absolute(t->cwd, b);
			same = strcmp(abs, t->output_abs) == 0;
			free(abs);
		}
		if (!same)
			continue;
		t->output_in_args = true;
		t->is_output_arg[i] = !(i > 0 && strcmp(t->args[i - 1], "-i") == 0);
	}
}

/* Muxers (-f) that write several files, or none under the name given. */
static const char *const not_one_file_fmts[] = {
    "null",	  "segment", "ssegment",   "stream_segment",  "hls",	      "dash",
    "tee",	  "fifo",    "webm_chunk", "smoothstreaming", "alsa",	      "pulse",
    "sdl",	  "sdl2",    "xv",	   "opengl",	      "fbdev",	      "v4l2",
    "oss",	  "sndio",   "caca",	   "decklink",	      "audiotoolbox", "rtp",
    "rtp_mpegts", "rtsp",    "sap",
};

/* out.mp4 -> out.aura-ID.part.mp4 (the muxer is chosen by the extension);
 * out -> out.aura-ID.part. NULL if the name would be too long. */
static char *tmp_name(const char *abs, int64_t id)
{
	const char *base = strrchr(abs, '/');
	base = base ? base + 1 : abs;
	const char *dot = strrchr(base, '.');
	char *tmp;
	if (!dot || dot == base || dot[1] == '\0')
		tmp = xasprintf("%s.aura-%lld.part", abs, (long long)id);
	else
		tmp = xasprintf("%.*s.aura-%lld.part%s", (int)(dot - abs), abs, (long long)id, dot);
	const char *tbase = strrchr(tmp, '/');
	if (strlen(tbase ? tbase + 1 : tmp) > NAME_MAX) {
		free(tmp);
		return NULL;
	}
	return tmp;
}

/*
 * Is the output one regular file we can write under a temporary name?
 * Sets tmp_abs, or not_one_file saying why not.
 */
static void choose_tmp(struct ffjob *t)
{
	if (!t->output)
		return;
	if (!t->output_abs) {
		t->not_one_file = "not a file";
		return;
	}
	struct stat st;
	if (str_starts_with(t->output_abs, "/dev/") || str_starts_with(t->output_abs, "/proc/") ||
	    (stat(t->output_abs, &st) == 0 && !S_ISREG(st.st_mode))) {
		t->not_one_file = "not a regular file";
		return;
	}
	if (strchr(t->output_abs, '%')) {
		t->not_one_file = "a pattern that may name several files";
		return;
	}
	const char *fmt = t->output_in_args ? NULL : t->trailing_fmt;
	bool named = !t->output_in_args;
	size_t others = 0;
	for (size_t i = 0; i < t->nargs; i++) {
		if (t->is_output_arg[i]) {
			named = true;
			if (t->is_file_arg[i])
				fmt = t->file_fmt[i];
		} else if (t->is_file_arg[i]) {
			others++;
		}
	}
	if (!named) {
		t->not_one_file = "also an input";
		return;
	}
	if (others > 0) {
		t->not_one_file = "one of several outputs";
		return;
	}
	/* without -f, these extensions choose the hls and dash muxers,
	 * which write segments named after the playlist */
	const char *ext = strrchr(t->output_abs, '.');
	if (!fmt && ext && (strcmp(ext, ".m3u8") == 0 || strcmp(ext, ".mpd") == 0))
		fmt = "hls";
	for (size_t i = 0; fmt && i < ARRAY_LEN(not_one_file_fmts); i++)
		if (strcmp(fmt, not_one_file_fmts[i]) == 0) {
			t->not_one_file = "not one file (its format writes several or none)";
			return;
		}
	t->tmp_abs = tmp_name(t->output_abs, t->job_id);
	if (!t->tmp_abs)
		t->not_one_file = "too long a name for a temporary";
}

/*
 * Did the output exist before this job? Decided on the first attempt and
 * kept in the job's spec (saved with the running state), so a later
 * attempt or a restarted server never takes our own partial output for
 * the user's file. Jobs of older versions kept it in a marker file.
 */
static void load_preexisted(struct ffjob *t, struct job *j)
{
	struct stat st;
	bool exists_now = t->output_abs && stat(t->output_abs, &st) == 0;
	t->output_exists = exists_now;
	t->output_preexisted = exists_now;
	json_t *root = j->spec ? json_loads(j->spec, 0, NULL) : NULL;
	if (!json_is_object(root)) {
		json_decref(root);
		return;
	}
	json_t *v = json_object_get(root, PREEXIST_KEY);
	if (json_is_boolean(v)) {
		t->output_preexisted = json_is_true(v);
		json_decref(root);
		return;
	}
	if (j->attempts > 1 && j->workdir) {
		char *marker = xasprintf("%s/%s", j->workdir, PREEXIST_MARKER);
		FILE *f = fopen(marker, "re");
		if (f) {
			t->output_preexisted = fgetc(f) == '1';
			fclose(f);
		}
		free(marker);
	}
	json_object_set_new(root, PREEXIST_KEY, json_boolean(t->output_preexisted));
	char *spec = json_dumps(root, JSON_COMPACT);
	if (spec) {
		free(j->spec);
		j->spec = spec;
	}
	json_decref(root);
}

static int parse_spec(struct ffjob *t, const struct job *j, struct aura_error *err)
{
	json_error_t jerr;
	json_t *root = j->spec ? json_loads(j->spec, 0, &jerr) : NULL;
	int rc = 0;
	if (!root || !json_is_object(root)) {
		rc = aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				    "job %lld: the spec is not a JSON object", (long long)j->id);
		goto out;
	}
	json_t *argv = json_object_get(root, "argv");
	if (!json_is_array(argv) || json_array_size(argv) == 0) {
		rc = aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				    "job %lld: the spec has no \"argv\" array", (long long)j->id);
		goto out;
	}
	t->nargs = json_array_size(argv);
	t->args = xcalloc(t->nargs + 1, sizeof(char *));
	for (size_t i = 0; i < t->nargs; i++) {
		json_t *a = json_array_get(argv, i);
		if (!json_is_string(a)) {
			rc = aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
					    "job %lld: argv[%zu] is not a string", (long long)j->id,
					    i);
			goto out;
		}
		t->args[i] = xstrdup(json_string_value(a));
	}
	json_t *cwd = json_object_get(root, "cwd");
	if (json_is_string(cwd) && json_string_value(cwd)[0] == '/')
		t->cwd = xstrdup(json_string_value(cwd));
	json_t *output = json_object_get(root, "output");
	if (json_is_string(output) && json_string_value(output)[0])
		t->output = xstrdup(json_string_value(output));
	else if (j->output && j->output[0])
		t->output = xstrdup(j->output);
out:
	json_decref(root);
	return rc;
}

static int64_t planned_duration(const struct ffjob *t, int64_t probed_us)
{
	int64_t d = probed_us;
	if (d > 0 && t->in_ss_us > 0)
		d = d > t->in_ss_us ? d - t->in_ss_us : 0;
	if (t->in_t_us > 0 && (d <= 0 || t->in_t_us < d))
		d = t->in_t_us;
	if (t->out_t_us > 0 && (d <= 0 || t->out_t_us < d))
		d = t->out_t_us;
	return d > 0 ? d : 0;
}

static char **argv_from(const char *const *v, size_t n)
{
	char **a = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		a[i] = xstrdup(v[i]);
	return a;
}

/*
 * Before the first command of an attempt: a temporary left by an earlier
 * attempt (the server was killed) goes -- it is ours, named by the job --
 * and FFmpeg's -n is emulated on the real name, which FFmpeg never sees.
 * An existing output that the user had is refused unless -y; one that an
 * earlier attempt of this job renamed into place (its success was not
 * saved) is replaced only if this attempt succeeds.
 */
static int prepare_output(struct ffjob *t, struct job *j, struct aura_error *err)
{
	if (!t->tmp_abs)
		return 0;
	if (unlink(t->tmp_abs) == 0)
		t->env->log(t->env->eng_ctx, j->id,
			    "removed the temporary output of an earlier attempt: %s", t->tmp_abs);
	if (t->output_exists && t->output_preexisted && !t->has_y)
		return aura_error_set(err, AURA_E_OUTPUT_EXISTS,
				      "File '%s' already exists (add -y to the ffmpeg arguments to "
				      "replace it when the job succeeds)",
				      t->output_abs);
	if (t->output_exists)
		t->env->log(t->env->eng_ctx, j->id,
			    "%s exists (%s): it is replaced only if this attempt succeeds",
			    t->output_abs,
			    t->output_preexisted ? "-y" : "the output of an earlier attempt");
	t->env->log(t->env->eng_ctx, j->id, "writing %s, renamed to %s when FFmpeg succeeds",
		    t->tmp_abs, t->output_abs);
	return 0;
}

/*
 * FFmpeg exited 0: the temporary must hold something, then it takes the
 * real name (replacing a file only with -y or when an earlier attempt of
 * this job put it there), before the job is declared succeeded.
 */
static int finish_output(struct ffjob *t, struct job *j, struct aura_error *err)
{
	if (!t->tmp_abs)
		return 0;
	struct stat st;
	bool written = stat(t->tmp_abs, &st) == 0;
	if (!written || st.st_size == 0)
		return aura_error_set(err, AURA_E_FFMPEG_NO_OUTPUT, "FFmpeg exited 0 but %s %s",
				      written ? "wrote nothing to" : "did not write",
				      t->output_abs);
	if (j->size < (int64_t)st.st_size)
		j->size = (int64_t)st.st_size;
	if (!t->has_y && !t->output_exists && lstat(t->output_abs, &st) == 0)
		return aura_error_set(err, AURA_E_OUTPUT_EXISTS,
				      "File '%s' appeared while the job ran (add -y to the ffmpeg "
				      "arguments to replace it)",
				      t->output_abs);
	if (rename(t->tmp_abs, t->output_abs) < 0) {
		int e = errno;
		return aura_error_set(
		    err, e == ENOSPC || e == EDQUOT ? AURA_E_DISK_FULL : AURA_E_OUTPUT_UNWRITABLE,
		    "rename %s to %s: %s", t->tmp_abs, t->output_abs, strerror(e));
	}
	t->env->log(t->env->eng_ctx, j->id, "renamed %s to %s", t->tmp_abs, t->output_abs);
	return 0;
}

static int ff_next(void *impl, struct job *j, struct task_cmd *cmd, struct aura_error *err)
{
	struct ffjob *t = impl;

	if (t->step == STEP_PROBE) {
		int rc = prepare_output(t, j, err);
		if (rc < 0)
			return rc;
		/* lavfi sources report no duration to ffprobe: not worth a run */
		bool probe = t->input && !(t->input_fmt && strcmp(t->input_fmt, "lavfi") == 0);
		if (probe && t->env->ffprobe) {
			const char *v[12];
			size_t n = 0;
			v[n++] = "ffprobe";
			v[n++] = "-v";
			v[n++] = "error";
			v[n++] = "-show_entries";
			v[n++] = "format=duration";
			v[n++] = "-of";
			v[n++] = "json";
			if (t->input_fmt) {
				v[n++] = "-f";
				v[n++] = t->input_fmt;
			}
			v[n++] = "-i";
			v[n++] = t->input;
			cmd->argv = argv_from(v, n);
			cmd->capture_stdout = true;
			cmd->weight_start = 0;
			cmd->weight_len = 0;
			return TASK_RUN;
		}
		t->duration_us = planned_duration(t, 0);
		if (probe && t->duration_us <= 0)
			t->env->log(t->env->eng_ctx, j->id,
				    "ffprobe not found: the duration is unknown, progress shows no "
				    "percent");
		t->step = STEP_RUN;
	}
	if (t->step == STEP_RUN) {
		size_t n = 0;
		cmd->argv = xcalloc(t->nargs + 4, sizeof(char *));
		cmd->argv[n++] = xstrdup("ffmpeg");
		/* Without -y/-n ffmpeg would ask on stdin whether to overwrite;
		 * nobody answers a job, so refuse to overwrite instead. */
		if (!t->has_overwrite_flag)
			cmd->argv[n++] = xstrdup("-n");
		for (size_t i = 0; i < t->nargs; i++) {
			const char *a = t->args[i];
			if (t->tmp_abs && t->is_output_arg[i])
				cmd->argv[n++] = str_starts_with(a, "file:")
						     ? xasprintf("file:%s", t->tmp_abs)
						     : xstrdup(t->tmp_abs);
			else
				cmd->argv[n++] = xstrdup(a);
		}
		if (t->output && !t->output_in_args)
			cmd->argv[n++] = xstrdup(t->tmp_abs ? t->tmp_abs : t->output);
		cmd->ffmpeg = true;
		cmd->duration_us = t->duration_us;
		cmd->output_path = xstrdup(t->tmp_abs ? t->tmp_abs : t->output_abs);
		cmd->weight_start = 0;
		cmd->weight_len = 1;
		return TASK_RUN;
	}
	return TASK_FINISHED;
}

/* {"format": {"duration": "12.345"}} -> microseconds, or 0. */
static int64_t probe_duration(const char *out, size_t len)
{
	json_error_t jerr;
	json_t *root = json_loadb(out, len, 0, &jerr);
	int64_t us = 0;
	json_t *d = json_object_get(json_object_get(root, "format"), "duration");
	if (json_is_string(d)) {
		int64_t v;
		if (parse_ff_duration(json_string_value(d), &v) == 0 && v > 0)
			us = v;
	} else if (json_is_number(d) && json_number_value(d) > 0) {
		us = (int64_t)(json_number_value(d) * 1e6);
	}
	json_decref(root);
	return us;
}

static int ff_done(void *impl, struct job *j, int wait_status, const char *out, size_t out_len,
		   const char *stderr_tail, struct aura_error *err)
{
	struct ffjob *t = impl;
	bool ok = WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;

	if (t->step == STEP_PROBE) {
		int64_t d = ok && out ? probe_duration(out, out_len) : 0;
		t->duration_us = planned_duration(t, d);
		if (t->duration_us <= 0)
			t->env->log(t->env->eng_ctx, j->id,
				    "ffprobe could not tell the duration of %s: progress shows no "
				    "percent",
				    t->input);
		t->step = STEP_RUN;
		return 0;
	}
	if (t->step == STEP_RUN) {
		/* Classified even on exit 0: FFmpeg exits 0 after some failed
		 * writes (ENOSPC), leaving a truncated file. */
		size_t n = stderr_tail ? strlen(stderr_tail) : 0;
		int code = ffclass_classify(wait_status, stderr_tail, n, false);
		if (code == 0) {
			int rc = finish_output(t, j, err);
			if (rc < 0)
				return rc;
			t->step = STEP_DONE;
			return 0;
		}
		char *summary = stderr_tail ? ffclass_summary(stderr_tail) : NULL;
		int rc;
		if (summary)
			rc = aura_error_set(err, code, "%s", summary);
		else if (WIFSIGNALED(wait_status))
			rc =
			    aura_error_set(err, code, "killed by signal %d", WTERMSIG(wait_status));
		else
			rc = aura_error_set(err, code, "exit status %d", WEXITSTATUS(wait_status));
		free(summary);
		return rc;
	}
	return 0;
}

/* Only our temporary is removed, never the real name. */
static void ff_abort(void *impl, struct job *j)
{
	struct ffjob *t = impl;
	if (t->step == STEP_DONE)
		return;
	if (t->tmp_abs) {
		if (unlink(t->tmp_abs) == 0)
			t->env->log(t->env->eng_ctx, j->id, "removed the partial output %s",
				    t->tmp_abs);
		return;
	}
	if (t->not_one_file)
		t->env->log(t->env->eng_ctx, j->id,
			    "the output %s is %s: left as it is, whatever FFmpeg wrote there",
			    t->output, t->not_one_file);
}

static void ff_free(void *impl)
{
	struct ffjob *t = impl;
	if (!t)
		return;
	if (t->args)
		for (size_t i = 0; i < t->nargs; i++)
			free(t->args[i]);
	free(t->args);
	free(t->cwd);
	free(t->output);
	free(t->output_abs);
	free(t->tmp_abs);
	free(t->is_file_arg);
	free(t->is_output_arg);
	free(t->file_fmt);
	free(t);
}

static const struct task_ops ff_ops = {
    .next = ff_next,
    .done = ff_done,
    .abort = ff_abort,
    .free = ff_free,
};

int task_ffmpeg_new(const struct task_env *env, struct job *j, struct task *out,
		    struct aura_error *err)
{
	struct ffjob *t = xcalloc(1, sizeof(*t));
	t->env = env;
	t->job_id = j->id;
	t->in_t_us = t->in_ss_us = t->out_t_us = -1;
	int rc = parse_spec(t, j, err);
	if (rc < 0) {
		ff_free(t);
		return rc;
	}
	t->is_file_arg = xcalloc(t->nargs + 1, sizeof(bool));
	t->is_output_arg = xcalloc(t->nargs + 1, sizeof(bool));
	t->file_fmt = xcalloc(t->nargs + 1, sizeof(char *));
	scan_args(t);
	resolve_output(t);
	load_preexisted(t, j);
	choose_tmp(t);
	/* Guessed from the arguments: record it, so `aura show` names it. */
	if (!j->output && t->output_abs)
		j->output = xstrdup(t->output_abs);
	out->ops = &ff_ops;
	out->impl = t;
	return 0;
}
