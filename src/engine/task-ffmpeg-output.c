/*
 * task-ffmpeg-output.c -- the raw FFmpeg job's output (task-ffmpeg-int.h).
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
 * Must never: delete or truncate a file it did not create as a temporary.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "engine/task-ffmpeg-int.h"
#include "base/util.h"

/* The marker in the job's work directory that remembers, across attempts
 * and server restarts, whether the output existed before the first one. */
#define PREEXIST_KEY	"output_preexisted" /* in the spec */
#define PREEXIST_MARKER "output-preexisted" /* a file, before 0.1.0 kept it there */

/* Muxers (-f) that write several files, or none under the name given. */
static const char *const not_one_file_fmts[] = {
	"null",	      "segment", "ssegment",   "stream_segment",  "hls",	  "dash",
	"tee",	      "fifo",	 "webm_chunk", "smoothstreaming", "alsa",	  "pulse",
	"sdl",	      "sdl2",	 "xv",	       "opengl",	  "fbdev",	  "v4l2",
	"oss",	      "sndio",	 "caca",       "decklink",	  "audiotoolbox", "rtp",
	"rtp_mpegts", "rtsp",	 "sap",
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
void ffjob_choose_tmp(struct ffjob *t)
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
void ffjob_load_preexisted(struct ffjob *t, struct job *j)
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
/*
 * Before the first command of an attempt: a temporary left by an earlier
 * attempt (the server was killed) goes -- it is ours, named by the job --
 * and FFmpeg's -n is emulated on the real name, which FFmpeg never sees.
 * An existing output that the user had is refused unless -y; one that an
 * earlier attempt of this job renamed into place (its success was not
 * saved) is replaced only if this attempt succeeds.
 */
int ffjob_prepare_output(struct ffjob *t, struct job *j, struct aura_error *err)
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
int ffjob_finish_output(struct ffjob *t, struct job *j, struct aura_error *err)
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
