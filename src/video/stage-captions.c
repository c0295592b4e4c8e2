/*
 * stage-captions.c -- the `captions` stage: the narration split into cues
 * (captions.h: <= the preset's line width, <= 2 lines) and timed inside
 * each scene's measured audio, written as captions.srt (copied beside the
 * video) and captions.ass (burned in: libass-safe escaping, the job's
 * caption look over the preset's style). Both files are always written,
 * so the render needs no branch on whether they exist.
 *
 * One FFmpeg run first: the scenes' voices laid on the timeline as the
 * render's mix lays them (each padded to its scene), through silencedetect;
 * its silence_end times are the speech onsets (kept in speech.txt) that
 * the cue starts are moved onto (captions_align), so a cue starts with
 * the sentence it shows.
 *
 * Must never: time a cue outside its scene's audio.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "video/captions.h"
#include "video/stage.h"

static bool captions_ready(struct vjob *v)
{
	return vjob_exists(v, "captions.srt") && vjob_exists(v, "captions.ass");
}

#define SPEECH_NOISE "-35dB" /* quieter than this is a pause */
#define SPEECH_PAUSE "0.1"   /* seconds: a shorter gap is no pause */
#define MAX_ONSETS   65536
#define SPEECH_META                                                                                \
	"voice/speech.meta" /* ametadata's print of silencedetect (FFmpeg makes it 0666: inside a  \
			       0700 directory) */

/* The voices on the video's timeline, through silencedetect. */
static void onsets_cmd(struct vjob *v, struct ffargs *a)
{
	ffargs_addv(a, "ffmpeg", "-hide_banner", "-y");
	for (int i = 0; i < v->n; i++) {
		ffargs_add(a, "-i");
		ffargs_addf(a, "voice/%03d.wav", vjob_num(i));
	}
	struct buf g;
	buf_init(&g);
	for (int i = 0; i < v->n; i++) {
		long long samples = (long long)v->scenes[i].frames * SAMPLES_PER_FRAME;
		buf_printf(
		    &g,
		    "[%d:a]aformat=sample_rates=%d:channel_layouts=stereo,apad=whole_len=%lld,"
		    "atrim=end_sample=%lld[a%d];",
		    i, FFARGS_AUDIO_RATE, samples, samples, i);
	}
	for (int i = 0; i < v->n; i++)
		buf_printf(&g, "[a%d]", i);
	/* the times as frame metadata into a file: all of them, however long
	 * the video (the stderr the task keeps is only its tail) */
	buf_printf(&g,
		   "concat=n=%d:v=0:a=1,silencedetect=noise=%s:d=%s,"
		   "ametadata=mode=print:file=" SPEECH_META "[s]",
		   v->n, SPEECH_NOISE, SPEECH_PAUSE);
	ffargs_addv(a, "-filter_complex", g.data, "-map", "[s]", "-f", "null", "-");
	buf_free(&g);
}

/* speech.txt: an onset in ms a line, a pause's start as "p MS" (a file
 * of an older attempt has no pauses: the highlight then runs to each
 * cue's end). */
static void read_speech(const struct vjob *v, int64_t *on, int *non, int64_t *pa, int *npa, int max)
{
	char *text = vjob_read(v, "speech.txt");
	*non = *npa = 0;
	for (char *p = text, *end; p && *p; p = end) {
		bool pause = *p == 'p';
		if (pause)
			p += 2;
		long long ms = strtoll(p, &end, 10);
		if (end == p)
			break;
		if (pause && *npa < max)
			pa[(*npa)++] = ms;
		else if (!pause && *non < max)
			on[(*non)++] = ms;
		while (*end == '\n')
			end++;
	}
	free(text);
}

/* How this job's captions look: the one place the style feeds them. */
static void stage_caption_look(struct vjob *v, struct caption_look *l)
{
	const struct style_config *st = &v->spec.look;
	caption_look_default(l);
	if (st->caption_font[0])
		l->font = st->caption_font;
	l->size_px = st->caption_size;
	config_color_rgb(st->caption_color, &l->color);
	config_color_rgb(st->caption_outline_color, &l->outline_color);
	l->outline_px = st->caption_outline;
	l->shadow_px = st->caption_shadow;
	l->box = st->caption_box;
	l->position = st->caption_position == STYLE_POS_TOP	 ? CAPTION_TOP
		      : st->caption_position == STYLE_POS_CENTER ? CAPTION_CENTER
								 : CAPTION_BOTTOM;
	l->max_chars = st->caption_max_chars;
	l->highlight = config_color_rgb(st->caption_highlight, &l->highlight_color);
}

static int captions_next(struct vjob *v, struct task_cmd *cmd, struct aura_error *err)
{
	if (v->step == 0 && v->n > 0) {
		struct ffargs a;
		ffargs_init(&a);
		onsets_cmd(v, &a);
		cmd->ffmpeg = true;
		cmd->duration_us = (int64_t)v->total_frames * 1000000 / VIDEO_FPS;
		cmd->weight_start = 0;
		cmd->weight_len = 1;
		cmd->argv = ffargs_steal(&a);
		v->step = 1;
		return TASK_RUN;
	}
	int64_t *on = xcalloc(MAX_ONSETS, sizeof(*on));
	int64_t *pa = xcalloc(MAX_ONSETS, sizeof(*pa));
	int non, npa;
	read_speech(v, on, &non, pa, &npa, MAX_ONSETS);
	const struct preset *p = v->spec.preset;
	struct caption_look look;
	stage_caption_look(v, &look);
	int cols = look.max_chars > 0 ? look.max_chars : p->caption_cols;
	struct caption_list l;
	caption_list_init(&l);
	for (int i = 0; i < v->n; i++) {
		int first = l.n;
		captions_split(v->script.scenes[i].narration, cols, CAPTIONS_MAX_LINES, &l);
		int64_t start_ms = (int64_t)v->scenes[i].start_frame * 1000 / VIDEO_FPS;
		int64_t window = v->scenes[i].window_us > v->scenes[i].audio_us
				     ? v->scenes[i].window_us
				     : v->scenes[i].audio_us;
		int64_t audio_ms = window / 1000;
		/* never past the scene's end, whatever was measured */
		int64_t scene_ms = (int64_t)v->scenes[i].frames * 1000 / VIDEO_FPS;
		if (audio_ms > scene_ms)
			audio_ms = scene_ms;
		if (l.n > first) {
			captions_time(&l.cues[first], l.n - first, start_ms, audio_ms);
			captions_align(&l.cues[first], l.n - first, on, non);
			captions_speech_ends(&l.cues[first], l.n - first, on, non, pa, npa);
		}
	}
	free(on);
	free(pa);
	struct buf srt, ass;
	buf_init(&srt);
	buf_init(&ass);
	captions_format_srt(&srt, l.cues, l.n, 1);
	captions_format_ass(&ass, p, &look, l.cues, l.n);
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
	(void)out;
	(void)out_len;
	int rc = vjob_ffmpeg_result(status, tail, "finding the speech onsets", err);
	if (rc < 0)
		return rc;
	char *meta = vjob_read(v, SPEECH_META);
	const char *times = meta ? meta : tail; /* no file: what stderr kept */
	int64_t *on = xcalloc(MAX_ONSETS, sizeof(*on));
	int n = captions_parse_onsets(times, on, MAX_ONSETS);
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "");
	for (int i = 0; i < n; i++)
		buf_printf(&b, "%lld\n", (long long)on[i]);
	n = captions_parse_pauses(times, on, MAX_ONSETS);
	for (int i = 0; i < n; i++)
		buf_printf(&b, "p %lld\n", (long long)on[i]);
	rc = vjob_write(v, "speech.txt", b.data, err);
	buf_free(&b);
	free(on);
	free(meta);
	return rc;
}

const struct stage_ops stage_captions_ops = {
	.name = "captions",
	.ready = captions_ready,
	.next = captions_next,
	.done = captions_done,
};
