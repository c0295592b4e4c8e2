/*
 * stage-verify.c -- the `verify` stage: ffprobe must show exactly one
 * video and one audio stream (H.264 yuv420p, AAC 48 kHz stereo) and a
 * duration within 0.5 s of the plan; the first frames must decode. Then
 * the captions go beside the video (NAME.srt, when asked) and
 * NAME.part.mp4 becomes NAME.mp4 by an atomic rename that never replaces
 * a file: if NAME.mp4 appeared meanwhile, NAME-1.mp4, NAME-2.mp4...
 *
 * Must never: overwrite an existing file, or leave the .part file behind
 * when verification fails (the pipeline's abort removes it).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "video/stage.h"

/* The probe and the decode need nothing of each other: they run at once
 * (tags TAG_PROBE, TAG_DECODE; v->sub counts those running). */
enum { STEP_PROBE, STEP_DECODE, STEP_WAIT, STEP_FINISH };
enum { TAG_PROBE, TAG_DECODE };

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

/* --- the probe ---------------------------------------------------------------- */

int verify_check_probe(const char *json, size_t len, int64_t plan_us, struct aura_error *err)
{
	json_error_t jerr;
	json_t *root = json ? json_loadb(json, len, 0, &jerr) : NULL;
	if (!root) {
		return aura_error_set(err, AURA_E_VERIFY_FAILED, "ffprobe gave no readable answer");
	}
	json_t *streams = json_object_get(root, "streams");
	int nv = 0, na = 0, rc = 0;
	for (size_t i = 0; i < json_array_size(streams); i++) {
		json_t *s = json_array_get(streams, i);
		const char *type = json_string_value(json_object_get(s, "codec_type"));
		const char *codec = json_string_value(json_object_get(s, "codec_name"));
		if (type && strcmp(type, "video") == 0) {
			nv++;
			const char *pix = json_string_value(json_object_get(s, "pix_fmt"));
			const char *rate = json_string_value(json_object_get(s, "r_frame_rate"));
			if (rc == 0 && (!codec || strcmp(codec, "h264") != 0 || !pix ||
					strcmp(pix, "yuv420p") != 0))
				rc = aura_error_set(err, AURA_E_VERIFY_FAILED,
						    "the video stream is %s %s, not h264 yuv420p",
						    codec ? codec : "?", pix ? pix : "?");
			if (rc == 0 && rate && strcmp(rate, "30/1") != 0)
				rc = aura_error_set(err, AURA_E_VERIFY_FAILED,
						    "the frame rate is %s, not 30/1", rate);
		} else if (type && strcmp(type, "audio") == 0) {
			na++;
			const char *sr = json_string_value(json_object_get(s, "sample_rate"));
			json_int_t ch = json_integer_value(json_object_get(s, "channels"));
			if (rc == 0 && (!codec || strcmp(codec, "aac") != 0 || !sr ||
					strcmp(sr, "48000") != 0 || ch != 2))
				rc = aura_error_set(
				    err, AURA_E_VERIFY_FAILED,
				    "the audio stream is %s %s Hz %lld channels, not "
				    "aac 48000 Hz stereo",
				    codec ? codec : "?", sr ? sr : "?", (long long)ch);
		} else {
			if (rc == 0)
				rc = aura_error_set(err, AURA_E_VERIFY_FAILED,
						    "an unexpected %s stream",
						    type ? type : "unknown");
		}
	}
	if (rc == 0 && (nv != 1 || na != 1))
		rc = aura_error_set(err, AURA_E_VERIFY_FAILED,
				    "%d video and %d audio streams, not one of each", nv, na);
	json_decref(root);
	if (rc < 0)
		return rc;
	int64_t d = probe_duration_us(json, len);
	int64_t diff = d > plan_us ? d - plan_us : plan_us - d;
	if (d <= 0 || diff > VERIFY_TOLERANCE_US)
		return aura_error_set(err, AURA_E_VERIFY_FAILED,
				      "the video lasts %.3f s, the plan %.3f s", d / 1e6,
				      plan_us / 1e6);
	return 0;
}

/* --- moving into place ------------------------------------------------------------ */

/* rename() that fails with EEXIST instead of replacing. */
static int rename_noreplace(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
		return -1;
	/* a file system without RENAME_NOREPLACE: link() never replaces */
	if (link(from, to) == 0) {
		unlink(from);
		return 0;
	}
	if (errno == EEXIST)
		return -1;
	/* nor hard links (FAT...): the check and the rename are not atomic */
	struct stat st;
	if (lstat(to, &st) == 0) {
		errno = EEXIST;
		return -1;
	}
	return rename(from, to);
}

static char *stem_of(const char *mp4)
{
	size_t n = strlen(mp4);
	if (n > 4 && strcasecmp(mp4 + n - 4, ".mp4") == 0)
		n -= 4;
	return xstrndup(mp4, n);
}

static char *split_dir(const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');
	*base = slash ? slash + 1 : path;
	return slash ? xstrndup(path, (size_t)(slash - path) ? (size_t)(slash - path) : 1)
		     : xstrdup(".");
}

/* Write the captions beside the video as NAME.part.srt (0666 less umask,
 * like the video), to be renamed once the video has its name. */
static int write_srt_part(struct vjob *v, const char *path, struct aura_error *err)
{
	char *text = vjob_read(v, "captions.srt");
	if (!text)
		return aura_error_set(err, AURA_E_DATA_DIR, "captions.srt is missing");
	unlink(path); /* ours: an earlier attempt's */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	int e = fd < 0 ? errno : 0;
	size_t len = strlen(text), off = 0;
	while (!e && off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			e = errno;
		else
			off += (size_t)w;
	}
	if (fd >= 0 && close(fd) < 0 && !e)
		e = errno;
	free(text);
	if (e)
		return aura_error_set(
		    err, e == ENOSPC || e == EDQUOT ? AURA_E_DISK_FULL : AURA_E_OUTPUT_UNWRITABLE,
		    "%s: %s", path, strerror(e));
	return 0;
}

static int finish(struct vjob *v, struct aura_error *err)
{
	bool srt = (v->spec.captions & VSPEC_CAPTIONS_SRT) != 0;
	const char *base;
	char *dir = split_dir(v->output, &base);
	char *base_stem = stem_of(base);
	char *final = xstrdup(v->output);
	int rc = 0;

	if (srt) {
		char *stem = stem_of(v->part);
		size_t sl = strlen(stem);
		if (sl > 5 && strcmp(stem + sl - 5, ".part") == 0)
			stem[sl - 5] = '\0';
		free(v->srt_part);
		v->srt_part = xasprintf("%s.part.srt", stem);
		free(stem);
		rc = write_srt_part(v, v->srt_part, err);
	}
	for (int tries = 0; rc == 0; tries++) {
		char *fstem = stem_of(final);
		char *fsrt = xasprintf("%s.srt", fstem);
		free(fstem);
		bool srt_taken = srt && access(fsrt, F_OK) == 0;
		free(fsrt);
		if (!srt_taken && rename_noreplace(v->part, final) == 0)
			break;
		if (!srt_taken && errno != EEXIST) {
			rc = aura_error_set(err, AURA_E_OUTPUT_UNWRITABLE, "renaming %s to %s: %s",
					    v->part, final, strerror(errno));
			break;
		}
		if (tries >= 1000) {
			rc = aura_error_set(err, AURA_E_OUTPUT_EXISTS, "%s and 1000 more names",
					    v->output);
			break;
		}
		char *next = vspec_free_output(dir, base_stem, srt);
		vjob_log(v, "%s appeared meanwhile: the video is %s", final, next);
		free(final);
		final = next;
	}
	if (rc == 0) {
		free(v->part);
		v->part = NULL; /* no longer ours to remove */
		if (srt) {
			char *fstem = stem_of(final);
			char *fsrt = xasprintf("%s.srt", fstem);
			if (rename_noreplace(v->srt_part, fsrt) == 0) {
				free(v->srt_part);
				v->srt_part = NULL;
			} else {
				vjob_warn(v, AURA_E_OUTPUT_EXISTS,
					  "the captions stay in %s: %s: %s", v->srt_part, fsrt,
					  strerror(errno));
				free(v->srt_part);
				v->srt_part = NULL;
			}
			free(fsrt);
			free(fstem);
		}
		vjob_log(v, "the video is %s", final);
		if (v->job && (!v->job->output || strcmp(v->job->output, final) != 0)) {
			free(v->job->output);
			v->job->output = xstrdup(final);
		}
		free(v->output);
		v->output = final;
		final = NULL;
	}
	free(final);
	free(base_stem);
	free(dir);
	return rc;
}

/* --- the stage ---------------------------------------------------------------------- */

static bool verify_ready(struct vjob *v)
{
	struct stat st;
	return v->output && stat(v->output, &st) == 0 && S_ISREG(st.st_mode);
}

static int verify_next(struct vjob *v, struct task_cmd *cmd, struct aura_error *err)
{
	struct ffargs a;
	ffargs_init(&a);
	if (!v->part)
		return aura_error_set(err, AURA_E_INTERNAL, "verify: no rendered file");
	if (v->step == STEP_PROBE) {
		ffargs_addv(&a, "ffprobe", "-v", "error", "-show_entries",
			    "stream=index,codec_type,codec_name,pix_fmt,r_frame_rate,sample_rate,"
			    "channels:format=duration",
			    "-of", "json", v->part);
		cmd->capture_stdout = true;
		cmd->parallel = true;
		cmd->tag = TAG_PROBE;
		cmd->weight_start = 0;
		cmd->weight_len = 0.3;
		cmd->argv = ffargs_steal(&a);
		v->step = STEP_DECODE;
		v->sub = 1;
		return TASK_RUN;
	}
	if (v->step == STEP_DECODE) {
		ffargs_addv(&a, "ffmpeg", "-v", "error", "-i", v->part, "-frames:v", "5", "-f",
			    "null", "-");
		cmd->ffmpeg = true;
		cmd->parallel = true;
		cmd->tag = TAG_DECODE;
		cmd->weight_start = 0;
		cmd->weight_len = 0.6;
		cmd->argv = ffargs_steal(&a);
		v->step = STEP_WAIT;
		v->sub++;
		return TASK_RUN;
	}
	ffargs_free(&a);
	if (v->step == STEP_WAIT && v->sub > 0)
		return TASK_WAIT;
	int rc = finish(v, err);
	return rc < 0 ? rc : VSTAGE_DONE;
}

static int verify_done(struct vjob *v, int status, const char *out, size_t out_len,
		       const char *tail, struct aura_error *err)
{
	v->sub--;
	if (v->tag == TAG_PROBE) {
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			return aura_error_set(err, AURA_E_VERIFY_FAILED, "ffprobe failed on %s",
					      v->part);
		int64_t plan = (int64_t)v->total_frames * 1000000 / VIDEO_FPS;
		int rc = verify_check_probe(out, out_len, plan, err);
		return rc < 0 ? rc : 0;
	}
	struct aura_error e = { 0 };
	/* at -v error, anything FFmpeg says is a decoding error */
	bool said = false;
	for (const char *p = tail; p && *p && !said; p++)
		said = *p != ' ' && *p != '\n' && *p != '\r' && *p != '\t';
	if (vjob_ffmpeg_result(status, tail, "decoding", &e) < 0 || said)
		return aura_error_set(err, AURA_E_VERIFY_FAILED,
				      "the first frames do not decode: %s",
				      e.code ? e.detail : tail);
	return 0;
}

const struct stage_ops stage_verify_ops = {
	.name = "verify",
	.ready = verify_ready,
	.next = verify_next,
	.done = verify_done,
};
