/*
 * task-ffmpeg-args.c -- the raw FFmpeg job's spec ({"argv": [...], "cwd":
 * "...", "output": "..."}) and the user's arguments read as ffmpeg would:
 * which is an option, which a value and which a file, the first input and
 * its format, the -t/-ss that bound the duration, and the output, in
 * whatever spelling the arguments name it (task-ffmpeg-int.h).
 *
 * Must never: touch the file system, or change the arguments; the
 * temporary name is task-ffmpeg-output.c's.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "engine/task-ffmpeg-int.h"
#include "base/util.h"

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
int ffjob_parse_duration(const char *s, int64_t *us)
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
void ffjob_scan_args(struct ffjob *t)
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
					(void)ffjob_parse_duration(pending_t, &t->in_t_us);
				if (pending_ss)
					(void)ffjob_parse_duration(pending_ss, &t->in_ss_us);
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
		(void)ffjob_parse_duration(last_file_t, &t->out_t_us);
	if (!t->output && last_file)
		t->output = xstrdup(last_file);
}

/* p's last path component, without "file:" or trailing slashes; NULL
 * for stdout, pipes, URLs and an empty name. */
static char *file_base_name(const char *p)
{
	if (!p || !is_plain_file(p))
		return NULL;
	if (str_starts_with(p, "file:"))
		p += 5;
	size_t n = strlen(p);
	while (n > 0 && p[n - 1] == '/')
		n--;
	size_t s = n;
	while (s > 0 && p[s - 1] != '/')
		s--;
	if (s == n || (n - s == 1 && p[s] == '.') || (n - s == 2 && memcmp(p + s, "..", 2) == 0))
		return NULL;
	return xstrndup(p + s, n - s);
}

char *task_ffmpeg_name(const char *const *args, size_t nargs)
{
	struct ffjob t = { 0 };
	t.args = (char **)args; /* only read */
	t.nargs = nargs;
	t.in_t_us = t.in_ss_us = t.out_t_us = -1;
	t.is_file_arg = xcalloc(nargs + 1, sizeof(bool));
	t.file_fmt = xcalloc(nargs + 1, sizeof(char *));
	ffjob_scan_args(&t);
	char *name = file_base_name(t.output);
	if (!name && !(t.input_fmt && strcmp(t.input_fmt, "lavfi") == 0))
		name = file_base_name(t.input); /* a lavfi graph is no file */
	free(t.output);
	free(t.is_file_arg);
	free(t.file_fmt);
	return name;
}

void ffjob_resolve_output(struct ffjob *t)
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
int ffjob_parse_spec(struct ffjob *t, const struct job *j, struct aura_error *err)
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
