/*
 * stage-render.c -- the `render` stage, two FFmpeg runs:
 *
 * 1. the mix (audio only, fast): every scene's voice padded with silence
 *    to its scene's exact length in samples and concatenated, the --music
 *    bed looped, cut, faded out and ducked under the voice
 *    (sidechaincompress), written to audio/mix.wav while ebur128 measures
 *    its integrated loudness and true peak;
 * 2. the video: each scene's picture (a card looped from one decoded
 *    frame, Ken Burns over a still, or its clip) cut to its frames, its
 *    first and last frames crossfaded with its neighbours' (xfade over
 *    just those frames; the scenes start X frames early so the total
 *    stays the plan), all concatenated, the captions burned in
 *    (subtitles= on the ASS file),
 *    the mix brought to -16 LUFS with one linear gain (a limiter only if
 *    the peak would pass -2 dBFS), encoded with the preset into
 *    NAME.part.mp4 beside the final output (-progress against the plan).
 *
 * The measuring pass is what lets the second run use a plain gain instead
 * of loudnorm, whose 192 kHz resampling cost ~4 % of a minute's render.
 *
 * Must never: overwrite a file it does not own (-n, and a .part file of
 * another job is left alone), or put a user's path in the graph unescaped.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "video/stage.h"

enum { STEP_MIX, STEP_VIDEO, STEP_FINISH };

#define W_MIX		0.03
#define TARGET_LUFS	(-16.0)
#define PEAK_MAX_DB	(-2.0)	 /* sample peak: leaves room for -1.5 dBTP after AAC */
#define PEAK_MAX_LINEAR "0.7943" /* the same, as alimiter wants it: 10^(-2/20) */

/* --- pure helpers --------------------------------------------------------------- */

static bool read_after(const char *from, const char *key, double *out)
{
	const char *p = from ? strstr(from, key) : NULL;
	if (!p)
		return false;
	p += strlen(key);
	char *end;
	double x = strtod(p, &end);
	if (end == p)
		return false;
	*out = x;
	return true;
}

int render_parse_ebur128(const char *tail, double *integrated, double *peak)
{
	if (!tail)
		return -1;
	/* the last summary: per-frame lines above it are not wanted */
	const char *sum = NULL;
	for (const char *p = tail; (p = strstr(p, "Integrated loudness:")) != NULL; p++)
		sum = p;
	double i;
	if (!sum || !read_after(sum, "I:", &i))
		return -1;
	*integrated = i;
	double pk = -INFINITY;
	const char *tp = strstr(sum, "True peak:");
	if (!tp || !read_after(tp, "Peak:", &pk))
		pk = -INFINITY;
	*peak = pk;
	return 0;
}

/* --- the part file ---------------------------------------------------------------- */

static char *stem_of(const char *mp4)
{
	size_t n = strlen(mp4);
	if (n > 4 && strcasecmp(mp4 + n - 4, ".mp4") == 0)
		n -= 4;
	return xstrndup(mp4, n);
}

static bool path_exists(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0;
}

static char *recorded_part(const struct vjob *v)
{
	char *text = vjob_read(v, "render.json");
	if (!text)
		return NULL;
	json_error_t jerr;
	json_t *root = json_loads(text, 0, &jerr);
	free(text);
	const char *p = json_string_value(json_object_get(root, "part"));
	char *out = p && p[0] == '/' ? xstrdup(p) : NULL;
	json_decref(root);
	return out;
}

/*
 * NAME.part.mp4 beside the output. One left by an earlier attempt of this
 * job (a crash gave abort no chance) is removed; one of another job (two
 * jobs asked for the same name) is left alone, and this job takes
 * NAME.ID.part.mp4.
 */
static int choose_part(struct vjob *v, struct aura_error *err)
{
	char *stem = stem_of(v->output);
	char *part = xasprintf("%s.part.mp4", stem);
	char *old = recorded_part(v);
	if (old && path_exists(old)) {
		if (unlink(old) == 0)
			vjob_log(v, "removed the partial video of an earlier attempt: %s", old);
	}
	if (path_exists(part)) {
		free(part);
		part = xasprintf("%s.%lld.part.mp4", stem, (long long)v->id);
		if (path_exists(part) && unlink(part) == 0)
			vjob_log(v, "removed a stale %s", part);
	}
	free(old);
	free(stem);
	json_t *root = json_pack("{s:s}", "part", part);
	char *text = root ? json_dumps(root, JSON_INDENT(1)) : NULL;
	json_decref(root);
	int rc = text ? vjob_write(v, "render.json", text, err)
		      : aura_error_set(err, AURA_E_INTERNAL, "render.json could not be encoded");
	free(text);
	free(v->part);
	v->part = part;
	return rc;
}

static bool render_ready(struct vjob *v)
{
	char *part = recorded_part(v);
	if (!part || !path_exists(part)) {
		free(part);
		return false;
	}
	free(v->part);
	v->part = part;
	return true;
}

/* --- the mix ------------------------------------------------------------------------- */

static void mix_cmd(struct vjob *v, struct ffargs *a)
{
	int64_t total = (int64_t)v->total_frames * SAMPLES_PER_FRAME;
	ffargs_addv(a, "ffmpeg", "-y");
	for (int i = 0; i < v->n; i++) {
		ffargs_add(a, "-i");
		ffargs_addf(a, "voice/%03d.wav", vjob_num(i));
	}
	if (v->spec.music)
		ffargs_addv(a, "-stream_loop", "-1", "-i", v->spec.music);

	struct buf g;
	buf_init(&g);
	for (int i = 0; i < v->n; i++) {
		int64_t samples = (int64_t)v->scenes[i].frames * SAMPLES_PER_FRAME;
		buf_printf(
		    &g,
		    "[%d:a]aformat=sample_rates=%d:channel_layouts=stereo,apad=whole_len=%lld,"
		    "atrim=end_sample=%lld[a%d];",
		    i, FFARGS_AUDIO_RATE, (long long)samples, (long long)samples, i);
	}
	for (int i = 0; i < v->n; i++)
		buf_printf(&g, "[a%d]", i);
	buf_printf(&g, "concat=n=%d:v=0:a=1[voice];", v->n);
	if (v->spec.music) {
		double secs = (double)v->total_frames / VIDEO_FPS;
		double fade = secs > 6 ? 2.0 : secs / 3;
		/* the style's bed level (-10.46 dB: the gain 0.3) and ducking:
		 * D dB is the ratio 1 + 7 D / 12 (12 dB: ratio 8; 0: none) */
		double gain = pow(10.0, v->spec.look.music_volume / 20.0);
		double ratio = 1.0 + 7.0 * v->spec.look.ducking / 12.0;
		buf_printf(
		    &g,
		    "[%d:a]aformat=sample_rates=%d:channel_layouts=stereo,atrim=end_sample=%lld,"
		    "volume=%.3g,afade=t=out:st=%.3f:d=%.3f[bed];",
		    v->n, FFARGS_AUDIO_RATE, (long long)total, gain, secs - fade, fade);
		buf_printf(&g,
			   "[voice]asplit=2[vo][key];"
			   "[bed][key]sidechaincompress=threshold=0.02:ratio=%.3g:attack=20:"
			   "release=400[duck];"
			   "[vo][duck]amix=inputs=2:duration=first:normalize=0[mix];",
			   ratio > 20 ? 20 : ratio);
	} else {
		buf_puts(&g, "[voice]anull[mix];");
	}
	buf_puts(&g, "[mix]asplit=2[out][m];[m]ebur128=peak=true:framelog=verbose[meter]");
	ffargs_addv(a, "-filter_complex", g.data, "-map", "[out]", "-c:a", "pcm_s16le",
		    "audio/mix.wav", "-map", "[meter]", "-f", "null", "-");
	buf_free(&g);
}

/* --- the video --------------------------------------------------------------------- */

static int scene_input_frames(const struct vjob *v, int i)
{
	return v->scenes[i].frames + (i > 0 ? v->xfade_frames : 0);
}

static void video_cmd(struct vjob *v, struct ffargs *a)
{
	const struct preset *p = v->spec.preset;
	ffargs_addv(a, "ffmpeg", "-n");
	for (int i = 0; i < v->n; i++) {
		if (v->scenes[i].kind != VIS_CLIP)
			ffargs_addv(a, "-framerate", "30");
		else /* a stock clip shorter than its scene repeats */
			ffargs_addv(a, "-stream_loop", "-1");
		ffargs_addv(a, "-i", v->scenes[i].visual);
	}
	ffargs_addv(a, "-i", "audio/mix.wav");

	struct buf g;
	buf_init(&g);
	int x = v->xfade_frames;
	char *cover;
	const struct style_config *look = &v->spec.look;
	double kb = look->ken_burns_strength / 100.0;
	char zoom_out[32];
	snprintf(zoom_out, sizeof(zoom_out), "%g-", 1 + kb);
	for (int i = 0; i < v->n; i++) {
		int len = scene_input_frames(v, i);
		switch (v->scenes[i].kind) {
		case VIS_STILL:
			if (!look->ken_burns || look->ken_burns_strength == 0) {
				/* the style has no Ken Burns: a still as a card */
				buf_printf(&g,
					   "[%d:v]format=yuv420p,scale=%d:%d,setsar=1,"
					   "loop=loop=-1:size=1,",
					   i, p->w, p->h);
				break;
			}
			/* Ken Burns: a slow zoom (the style's, 10 %), in on even
			 * scenes, out on odd */
			buf_printf(&g,
				   "[%d:v]format=yuv420p,zoompan=z=%s%g*on/%d:x=iw/2-(iw/zoom/2):"
				   "y=ih/2-(ih/zoom/2):d=%d:s=%dx%d:fps=%d,",
				   i, i % 2 ? zoom_out : "1+", kb, len, len, p->w, p->h, VIDEO_FPS);
			break;
		case VIS_CLIP:
			/* a stock clip as downloaded: covered and made 30 fps here
			 * (a clip made by the visuals stage is so already: both
			 * filters pass its frames through) */
			cover = visuals_cover_filter(p);
			buf_printf(&g, "[%d:v]%s,fps=%d,format=yuv420p,", i, cover, VIDEO_FPS);
			free(cover);
			break;
		case VIS_CARD:
			/* one decoded frame, repeated: the render's cheapest input */
			buf_printf(&g, "[%d:v]format=yuv420p,loop=loop=-1:size=1,", i);
			break;
		}
		buf_printf(&g, "trim=end_frame=%d,settb=1/%d,setpts=N", len, VIDEO_FPS);
		if (x == 0) {
			buf_printf(&g, "[b%d];", i);
			continue;
		}
		/*
		 * Cut into the frames that fade in from the scene before (head),
		 * its own (body) and those that fade out into the next (tail):
		 * xfade then blends only 2 x frames per transition, and the rest
		 * is concatenated. One xfade over a whole scene costs as much as
		 * the encode of a tenth of it (FFmpeg 5.1 handles every frame).
		 */
		bool head = i > 0, tail = i + 1 < v->n;
		buf_printf(&g, ",split=%d", 1 + head + tail);
		if (head)
			buf_printf(&g, "[h%dr]", i);
		buf_printf(&g, "[b%dr]", i);
		if (tail)
			buf_printf(&g, "[t%dr]", i);
		buf_puts(&g, ";");
		if (head)
			buf_printf(&g, "[h%dr]trim=end_frame=%d,setpts=N[h%d];", i, x, i);
		buf_printf(&g, "[b%dr]trim=start_frame=%d:end_frame=%d,setpts=N[b%d];", i,
			   head ? x : 0, tail ? len - x : len, i);
		if (tail)
			buf_printf(&g, "[t%dr]trim=start_frame=%d,setpts=N[t%d];", i, len - x, i);
	}
	for (int k = 0; k + 1 < v->n && x > 0; k++)
		buf_printf(&g, "[t%d][h%d]xfade=transition=%s:duration=%.6f:offset=0[x%d];", k,
			   k + 1, config_style_xfade(look->transition), (double)x / VIDEO_FPS, k);
	const char *last = "b0";
	if (v->n > 1 || x > 0) {
		int segs = 0;
		for (int i = 0; i < v->n; i++) {
			buf_printf(&g, "[b%d]", i);
			segs++;
			if (i + 1 < v->n && x > 0) {
				buf_printf(&g, "[x%d]", i);
				segs++;
			}
		}
		buf_printf(&g, "concat=n=%d:v=1:a=0[cat];", segs);
		last = "cat";
	}
	if (v->spec.captions & VSPEC_CAPTIONS_BURN) {
		char *ass = ffargs_escape_subtitles_path("captions.ass");
		buf_printf(&g, "[%s]subtitles=filename=%s", last, ass);
		free(ass);
		/* a configured font file: libass looks beside it too (a font
		 * found on the system is fontconfig's already) */
		const char *cf = v->env->cfg ? v->env->cfg->font : NULL;
		if (cf && *cf && v->font) {
			char *dir = xstrdup(v->font);
			char *slash = strrchr(dir, '/');
			if (slash && slash != dir) {
				*slash = '\0';
				char *esc = ffargs_escape_filter_value(dir);
				buf_printf(&g, ":fontsdir=%s", esc);
				free(esc);
			}
			free(dir);
		}
		buf_puts(&g, "[vout];");
	} else {
		buf_printf(&g, "[%s]null[vout];", last);
	}
	buf_printf(&g, "[%d:a]volume=%.2fdB", v->n, v->gain_db);
	if (v->limit)
		buf_printf(&g, ",alimiter=limit=%s:level=0:latency=1", PEAK_MAX_LINEAR);
	buf_puts(&g, "[aout]");

	ffargs_addv(a, "-filter_complex", g.data, "-map", "[vout]", "-map", "[aout]");
	buf_free(&g);
	ffargs_add_encode(a, p);
	ffargs_addv(a, "-f", "mp4", v->part);
}

static int render_next(struct vjob *v, struct task_cmd *cmd, struct aura_error *err)
{
	struct ffargs a;
	ffargs_init(&a);
	int64_t plan_us = (int64_t)v->total_frames * 1000000 / VIDEO_FPS;
	int rc;
	if (v->step == STEP_MIX) {
		if ((rc = vjob_mkdir(v, "audio", err)) < 0)
			return rc;
		if (v->spec.music) { /* a directory: the seed's track */
			char *track;
			int n;
			if ((rc = vspec_music_pick(v->spec.music, v->spec.seed, &track, &n, err)) <
			    0)
				return rc;
			if (n > 0)
				vjob_log(v, "music: picked %s of %d", track, n);
			free(v->spec.music);
			v->spec.music = track;
		}
		mix_cmd(v, &a);
		cmd->ffmpeg = true;
		cmd->duration_us = plan_us;
		cmd->weight_start = 0;
		cmd->weight_len = W_MIX;
		cmd->argv = ffargs_steal(&a);
		return TASK_RUN;
	}
	if (v->step == STEP_VIDEO) {
		if ((rc = choose_part(v, err)) < 0)
			return rc;
		video_cmd(v, &a);
		cmd->ffmpeg = true;
		cmd->pool_work = true; /* the heavy step: in the job's pool */
		cmd->duration_us = plan_us;
		cmd->output_path = xstrdup(v->part);
		cmd->weight_start = W_MIX;
		cmd->weight_len = 1 - W_MIX;
		cmd->argv = ffargs_steal(&a);
		return TASK_RUN;
	}
	return VSTAGE_DONE;
}

static int render_done(struct vjob *v, int status, const char *out, size_t out_len,
		       const char *tail, struct aura_error *err)
{
	(void)out;
	(void)out_len;
	if (v->step == STEP_MIX) {
		int rc = vjob_ffmpeg_result(status, tail, "mixing the audio", err);
		if (rc < 0)
			return rc;
		double li, pk;
		v->gain_db = 0;
		v->limit = false;
		if (render_parse_ebur128(tail, &li, &pk) == 0 && isfinite(li) && li > -70) {
			v->gain_db = TARGET_LUFS - li;
			if (v->gain_db > 30)
				v->gain_db = 30;
			if (v->gain_db < -30)
				v->gain_db = -30;
			v->limit = !isfinite(pk) || pk + v->gain_db > PEAK_MAX_DB;
			v->peak_db = pk;
			vjob_log(v, "mix: %.1f LUFS, peak %.1f dBFS: gain %+.2f dB%s", li, pk,
				 v->gain_db, v->limit ? ", limited" : "");
		} else {
			vjob_log(v, "mix: no loudness measured (silent?): no gain");
		}
		v->step = STEP_VIDEO;
		return 0;
	}
	v->step = STEP_FINISH;
	int rc = vjob_ffmpeg_result(status, tail, "rendering", err);
	if (rc == 0) {
		/* 11 MB a minute, and a resumed render makes it again */
		char *mix = vjob_path(v, "audio/mix.wav");
		unlink(mix);
		free(mix);
	}
	return rc;
}

const struct stage_ops stage_render_ops = {
	.name = "render",
	.ready = render_ready,
	.next = render_next,
	.done = render_done,
};
