/*
 * render-mix.c -- the render's audio mix (doc/render.md): every scene's
 * voice padded with silence to its scene's exact length in samples and
 * concatenated, the --music bed looped, cut, faded out and ducked under
 * the voice (sidechaincompress), written to audio/mix.wav while ebur128
 * measures it; then the gain (and whether a limiter is needed) that
 * brings it to -16 LUFS, read from ebur128's summary.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "video/render.h"
#include "video/stage.h"

#define TARGET_LUFS (-16.0)
#define PEAK_MAX_DB (-2.0) /* sample peak: leaves room for -1.5 dBTP after AAC */

/* --- the loudness --------------------------------------------------------------- */

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

/* --- the command ------------------------------------------------------------------------- */

void render_mix_cmd(struct vjob *v, struct ffargs *a)
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

/* --- the gain ---------------------------------------------------------------------- */

int render_mix_done(struct vjob *v, int status, const char *tail, struct aura_error *err)
{
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
		vjob_log(v, "mix: %.1f LUFS, peak %.1f dBFS: gain %+.2f dB%s", li, pk, v->gain_db,
			 v->limit ? ", limited" : "");
	} else {
		vjob_log(v, "mix: no loudness measured (silent?): no gain");
	}
	return 0;
}
