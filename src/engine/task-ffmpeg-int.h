/*
 * task-ffmpeg-int.h -- what the raw FFmpeg job's files share and nothing
 * outside them includes: the task's state and the functions one file
 * calls in another.
 *
 *   task-ffmpeg.c         the task: its steps (ffprobe, then ffmpeg), how
 *                         each ended, the duration estimate, cancel
 *   task-ffmpeg-args.c    the spec and the user's arguments read as ffmpeg
 *                         would: options, files, the input, -t/-ss, the output
 *   task-ffmpeg-output.c  the output's temporary NAME.aura-ID.part.EXT, the
 *                         emulated -n/-y, and the rename at the end
 */
#ifndef AURA_TASK_FFMPEG_INT_H
#define AURA_TASK_FFMPEG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/errors.h"
#include "base/job.h"
#include "engine/task.h"

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

/* task-ffmpeg-args.c */

/* The spec's "argv", "cwd" and "output" into t; 0 or a negative code. */
int ffjob_parse_spec(struct ffjob *t, const struct job *j, struct aura_error *err);
/*
 * FFmpeg's duration syntax: [-][HH:]MM:SS[.m...] or [-]S+[.m...][s|ms|us].
 * 0 and *us set, or -1.
 */
int ffjob_parse_duration(const char *s, int64_t *us);
/* Sets the input, its format, -t/-ss, the file arguments and the output
 * (guessed as the last file when the spec names none). */
void ffjob_scan_args(struct ffjob *t);
/* Sets output_abs and which arguments name the output. */
void ffjob_resolve_output(struct ffjob *t);

/* task-ffmpeg-output.c */

/* Sets output_exists and output_preexisted (kept in j->spec). */
void ffjob_load_preexisted(struct ffjob *t, struct job *j);
/* Sets tmp_abs, or not_one_file saying why the output has none. */
void ffjob_choose_tmp(struct ffjob *t);
/* Before an attempt's first command: the old temporary goes, -n emulated. */
int ffjob_prepare_output(struct ffjob *t, struct job *j, struct aura_error *err);
/* FFmpeg exited 0: the temporary takes the real name. */
int ffjob_finish_output(struct ffjob *t, struct job *j, struct aura_error *err);

#endif
