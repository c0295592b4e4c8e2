/*
 * stage-captions.c -- the `captions` stage: the narration split into cues
 * (captions.h: <= the preset's line width, <= 2 lines) and timed inside
 * each scene's measured audio, written as captions.srt (copied beside the
 * video) and captions.ass (burned in: libass-safe escaping, the preset's
 * style). In-process: no command runs. Both files are always written, so
 * the render needs no branch on whether they exist.
 *
 * Must never: time a cue outside its scene's audio.
 */
#include "config.h"

#include <stdlib.h>

#include "video/captions.h"
#include "video/stage.h"

static bool captions_ready(struct vjob *v)
{
	return vjob_exists(v, "captions.srt") && vjob_exists(v, "captions.ass");
}

static int captions_next(struct vjob *v, struct task_cmd *cmd, struct aura_error *err)
{
	(void)cmd;
	const struct preset *p = v->spec.preset;
	struct caption_list l;
	caption_list_init(&l);
	for (int i = 0; i < v->n; i++) {
		int first = l.n;
		captions_split(v->script.scenes[i].narration, p->caption_cols, CAPTIONS_MAX_LINES,
			       &l);
		int64_t start_ms = (int64_t)v->scenes[i].start_frame * 1000 / VIDEO_FPS;
		int64_t window = v->scenes[i].window_us > v->scenes[i].audio_us
				     ? v->scenes[i].window_us
				     : v->scenes[i].audio_us;
		int64_t audio_ms = window / 1000;
		/* never past the scene's end, whatever was measured */
		int64_t scene_ms = (int64_t)v->scenes[i].frames * 1000 / VIDEO_FPS;
		if (audio_ms > scene_ms)
			audio_ms = scene_ms;
		if (l.n > first)
			captions_time(&l.cues[first], l.n - first, start_ms, audio_ms);
	}
	struct buf srt, ass;
	buf_init(&srt);
	buf_init(&ass);
	captions_format_srt(&srt, l.cues, l.n, 1);
	captions_format_ass(&ass, p, NULL, l.cues, l.n);
	int rc = vjob_write(v, "captions.srt", srt.data ? srt.data : "", err);
	if (rc == 0)
		rc = vjob_write(v, "captions.ass", ass.data ? ass.data : "", err);
	if (rc == 0)
		vjob_log(v, "captions: %d cues", l.n);
	buf_free(&srt);
	buf_free(&ass);
	caption_list_free(&l);
	return rc < 0 ? rc : VSTAGE_DONE;
}

static int captions_done(struct vjob *v, int status, const char *out, size_t out_len,
			 const char *tail, struct aura_error *err)
{
	(void)v;
	(void)status;
	(void)out;
	(void)out_len;
	(void)tail;
	(void)err;
	return 0; /* runs no command */
}

const struct stage_ops stage_captions_ops = {
	.name = "captions",
	.ready = captions_ready,
	.next = captions_next,
	.done = captions_done,
};
