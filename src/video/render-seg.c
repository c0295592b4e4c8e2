/*
 * render-seg.c -- the render stage's FFmpeg commands besides the mix
 * (doc/render.md): the scenes' pictures as filters (shared with the one
 * run of stage-render.c), the cue images (every caption state drawn once,
 * in one run), a segment's video (its scene's body and its crossfade
 * into the next scene, the cue images laid over their frames) and the
 * join (the segments by stream copy, the mix encoded once).
 *
 * Must never: put a user's path into a graph unescaped (the pictures are
 * inputs; captions.ass and the font directory go through the escapers).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "video/render.h"
#include "video/stage.h"

#define PEAK_MAX_LINEAR "0.7943" /* stage-render.c's -2 dBFS, as alimiter wants it */

void render_scene_source(const struct vjob *v, int i, int len, struct buf *g)
{
	const struct preset *p = v->spec.preset;
	const struct style_config *look = &v->spec.look;
	double kb = look->ken_burns_strength / 100.0;
	char zoom_out[32];
	snprintf(zoom_out, sizeof(zoom_out), "%g-", 1 + kb);
	char *cover;
	switch (v->scenes[i].kind) {
	case VIS_STILL:
		if (!look->ken_burns || look->ken_burns_strength == 0) {
			/* the style has no Ken Burns: a still as a card */
			buf_printf(g, "format=yuv420p,scale=%d:%d,setsar=1,loop=loop=-1:size=1,",
				   p->w, p->h);
			break;
		}
		/* Ken Burns: a slow zoom (the style's, 10 %), in on even
		 * scenes, out on odd */
		buf_printf(g,
			   "format=yuv420p,zoompan=z=%s%g*on/%d:x=iw/2-(iw/zoom/2):"
			   "y=ih/2-(ih/zoom/2):d=%d:s=%dx%d:fps=%d,",
			   i % 2 ? zoom_out : "1+", kb, len, len, p->w, p->h, VIDEO_FPS);
		break;
	case VIS_CLIP:
		/* a stock clip as downloaded: covered and made 30 fps here
		 * (a clip made by the visuals stage is so already: both
		 * filters pass its frames through) */
		cover = visuals_cover_filter(p);
		buf_printf(g, "%s,fps=%d,format=yuv420p,", cover, VIDEO_FPS);
		free(cover);
		break;
	case VIS_CARD:
		/* one decoded frame, repeated: the render's cheapest input */
		buf_puts(g, "format=yuv420p,loop=loop=-1:size=1,");
		break;
	}
}

/* A still stretch: its picture is one frame (a card, or a still when the
 * style has no Ken Burns): the cue images go on that frame once. */
static bool scene_is_still(const struct vjob *v, int i)
{
	const struct style_config *look = &v->spec.look;
	return v->scenes[i].kind == VIS_CARD ||
	       (v->scenes[i].kind == VIS_STILL &&
		(!look->ken_burns || look->ken_burns_strength == 0));
}

char *render_subtitles_filter(const struct vjob *v, const char *file)
{
	struct buf g;
	buf_init(&g);
	char *ass = ffargs_escape_subtitles_path(file);
	buf_printf(&g, "subtitles=filename=%s", ass);
	free(ass);
	/* a configured font file: libass looks beside it too (a font found
	 * on the system is fontconfig's already) */
	const char *cf = v->env && v->env->cfg ? v->env->cfg->font : NULL;
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
	char *out = xstrdup(g.data ? g.data : "");
	buf_free(&g);
	return out;
}

void render_audio_filter(const struct vjob *v, int input, struct buf *g)
{
	buf_printf(g, "[%d:a]volume=%.2fdB", input, v->gain_db);
	if (v->limit)
		buf_printf(g, ",alimiter=limit=%s:level=0:latency=1", PEAK_MAX_LINEAR);
	buf_puts(g, "[aout]");
}

/* --- the cue images ------------------------------------------------------------ */

/* Frame k of the canvas shows cue k (render/cues.ass, render_cues_ass). */
static void cue_canvas(struct vjob *v, const char *color, int ncues, const char *sub,
		       const char *out, struct buf *g)
{
	const struct preset *p = v->spec.preset;
	buf_printf(g, "color=c=%s:s=%dx%d:r=%d,trim=end_frame=%d,%s,format=gbrp,split=2%s;", color,
		   p->w, p->h, VIDEO_FPS, ncues, sub, out);
}

int render_cues_cmd(struct vjob *v, const struct render_cue *cues, int ncues, struct ffargs *a,
		    struct aura_error *err)
{
	char *ass = vjob_read(v, "captions.ass");
	if (!ass)
		return aura_error_set(err, AURA_E_INTERNAL, "captions.ass could not be read");
	char *cass = render_cues_ass(ass, cues, ncues);
	free(ass);
	int rc = vjob_write(v, "render/cues.ass", cass, err);
	free(cass);
	if (rc < 0)
		return rc;
	char *sub = render_subtitles_filter(v, "render/cues.ass");
	struct buf g;
	buf_init(&g);
	/*
	 * libass over black (B) and over white (W): alpha = 255 - (W - B),
	 * B is the colour premultiplied, so the straight colour is B / alpha
	 * (FFmpeg 5.1's subtitles filter writes no alpha of its own).
	 */
	cue_canvas(v, "black", ncues, sub, "[b1][b2]", &g);
	cue_canvas(v, "white", ncues, sub, "[w1][w2]", &g);
	buf_puts(&g, "[b1][w1]lut2=c0=255-y+x:c1=255-y+x:c2=255-y+x,extractplanes=g[al];");
	buf_puts(&g, "[b2][w2]lut2=");
	for (int c = 0; c < 3; c++)
		buf_printf(&g, "%sc%d='if(255-y+x,min(255,x*255/(255-y+x)),0)'", c ? ":" : "", c);
	buf_puts(&g, "[rgb];[rgb][al]alphamerge,format=rgba[out]");
	free(sub);
	rc = vjob_write(v, "render/cues.graph", g.data, err);
	buf_free(&g);
	if (rc < 0)
		return rc;
	ffargs_addv(a, "ffmpeg", "-y", "-filter_complex_script", "render/cues.graph", "-map",
		    "[out]", "-fps_mode", "passthrough", "render/cue-%03d.png");
	return 0;
}

/* --- a segment ----------------------------------------------------------------- */

/* The overlays of the cues over frames [from, from + len) of the timeline
 * onto the stream in label cur (frames counted from 0 there), per frame
 * (enable): each cue image is its own input, from *input on. Writes the
 * result as [out]. */
static void overlay_moving(const struct render_cue *cues, int ncues, int from, int len,
			   const char *cur, const char *out, int *input, struct ffargs *a,
			   struct buf *g)
{
	const char *in = cur;
	char lab[32], prev[32];
	snprintf(prev, sizeof(prev), "%s", in);
	int used = 0;
	for (int k = 0; k < ncues; k++) {
		int s = cues[k].start > from ? cues[k].start : from;
		int e = cues[k].end < from + len ? cues[k].end : from + len;
		if (s >= e)
			continue;
		ffargs_add(a, "-i");
		ffargs_addf(a, "render/cue-%03d.png", cues[k].image + 1);
		snprintf(lab, sizeof(lab), "%s_o%d", out, used++);
		buf_printf(g, "[%s][%d:v]overlay=enable='between(n,%d,%d)'[%s];", prev, *input,
			   s - from, e - from - 1, lab);
		snprintf(prev, sizeof(prev), "%s", lab);
		(*input)++;
	}
	buf_printf(g, "[%s]null[%s];", prev, out);
}

/* A segment's still zones (frame numbers of the segment, first and last
 * included), touching ones merged into one. */
struct zones {
	struct buf text;
	int start, end; /* the zone being extended; end < 0: none yet */
};

static void zone_flush(struct zones *z)
{
	if (z->end < 0)
		return;
	buf_printf(&z->text, "%s%d,%d,%s", z->text.len ? "/" : "", z->start, z->end,
		   RENDER_STILL_ZONE);
	z->end = -1;
}

static void zone_add(struct zones *z, int start, int end)
{
	if (z->end >= 0 && z->end + 1 == start) {
		z->end = end;
		return;
	}
	zone_flush(z);
	z->start = start;
	z->end = end;
}

/* A still's body [from, from + len): its one frame in [pic], cut where
 * the captions change, each cue image laid on it once and the result
 * repeated for the cue's frames. Writes [out]. */
static void body_still(const struct render_cue *cues, int ncues, int from, int len, const char *pic,
		       const char *out, int *input, struct ffargs *a, struct buf *g,
		       struct zones *zones, int seg0)
{
	/* the pieces: [a, z) with the cue shown, or none */
	int *cut = xmalloc(((size_t)ncues * 2 + 2) * sizeof(*cut));
	int *img = xmalloc(((size_t)ncues * 2 + 2) * sizeof(*img));
	int np = 0, at = from, end = from + len;
	for (int k = 0; k < ncues && at < end; k++) {
		if (cues[k].end <= at || cues[k].start >= end)
			continue;
		if (cues[k].start > at) {
			cut[np] = at;
			img[np++] = -1;
			at = cues[k].start;
		}
		cut[np] = at;
		img[np++] = cues[k].image;
		at = cues[k].end < end ? cues[k].end : end;
	}
	if (at < end) {
		cut[np] = at;
		img[np++] = -1;
	}
	buf_printf(g, "[%s]split=%d", pic, np);
	for (int k = 0; k < np; k++)
		buf_printf(g, "[%s_p%d]", out, k);
	buf_puts(g, ";");
	for (int k = 0; k < np; k++) {
		int z = k + 1 < np ? cut[k + 1] : end;
		buf_printf(g, "[%s_p%d]", out, k);
		if (img[k] >= 0) {
			ffargs_add(a, "-i");
			ffargs_addf(a, "render/cue-%03d.png", img[k] + 1);
			buf_printf(g, "[%d:v]overlay,", (*input)++);
		}
		buf_printf(g, "loop=loop=-1:size=1,trim=end_frame=%d,settb=1/%d,setpts=N[%s_q%d];",
			   z - cut[k], VIDEO_FPS, out, k);
		/* the piece, its first frame too: an x264 zone (doc/render.md) */
		if (zones && z - cut[k] >= RENDER_STILL_ZONE_MIN)
			zone_add(zones, cut[k] - seg0, z - seg0 - 1);
	}
	for (int k = 0; k < np; k++)
		buf_printf(g, "[%s_q%d]", out, k);
	buf_printf(g, "concat=n=%d:v=1:a=0[%s];", np, out);
	free(cut);
	free(img);
}

static int input_frames(const struct vjob *v, int i)
{
	return v->scenes[i].frames + (i > 0 ? v->xfade_frames : 0);
}

/* One scene's part of a segment: its body (from its first frame after
 * the crossfade into it) and its crossfade into the next scene (x
 * frames; 0: none), written as [outN]; pic, hd: its picture's input and
 * the next scene's. */
static void scene_part(struct vjob *v, int i, int from, int frames, int x, int pic, int hd,
		       const struct render_cue *cues, int ncues, int *input, struct ffargs *a,
		       struct buf *g, struct zones *zones, int seg0)
{
	int len = input_frames(v, i);
	int head = i > 0 ? v->xfade_frames : 0, body = frames - x;
	char l_pic[16], l_tp[16], l_t[16], l_body[16], l_br[16], l_tr[16], l_bm[16], l_h[16];
	char l_xf[16], l_xo[16];
	snprintf(l_pic, sizeof(l_pic), "pic%d", i);
	snprintf(l_tp, sizeof(l_tp), "tp%d", i);
	snprintf(l_t, sizeof(l_t), "t%d", i);
	snprintf(l_body, sizeof(l_body), "body%d", i);
	snprintf(l_br, sizeof(l_br), "br%d", i);
	snprintf(l_tr, sizeof(l_tr), "tr%d", i);
	snprintf(l_bm, sizeof(l_bm), "bm%d", i);
	snprintf(l_h, sizeof(l_h), "h%d", i);
	snprintf(l_xf, sizeof(l_xf), "xf%d", i);
	snprintf(l_xo, sizeof(l_xo), "xo%d", i);
	if (scene_is_still(v, i)) {
		const struct preset *p = v->spec.preset;
		buf_printf(g, "[%d:v]format=yuv420p", pic);
		if (v->scenes[i].kind == VIS_STILL)
			buf_printf(g, ",scale=%d:%d,setsar=1", p->w, p->h);
		if (x > 0) {
			buf_printf(g, ",split=2[%s][%s];", l_pic, l_tp);
			buf_printf(g,
				   "[%s]loop=loop=-1:size=1,trim=end_frame=%d,settb=1/%d,"
				   "setpts=N[%s];",
				   l_tp, x, VIDEO_FPS, l_t);
		} else {
			buf_printf(g, "[%s];", l_pic);
		}
		body_still(cues, ncues, from, body, l_pic, l_body, input, a, g, zones, seg0);
	} else {
		buf_printf(g, "[%d:v]", pic);
		render_scene_source(v, i, len, g);
		buf_printf(g, "trim=end_frame=%d,settb=1/%d,setpts=N,trim=start_frame=%d,setpts=N",
			   len, VIDEO_FPS, head);
		if (x > 0) {
			buf_printf(g,
				   ",split=2[%s][%s];[%s]trim=end_frame=%d,setpts=N[%s];"
				   "[%s]trim=start_frame=%d,setpts=N[%s];",
				   l_br, l_tr, l_br, body, l_bm, l_tr, body, l_t);
		} else {
			buf_printf(g, "[%s];", l_bm);
		}
		overlay_moving(cues, ncues, from, body, l_bm, l_body, input, a, g);
	}
	if (x > 0) {
		buf_printf(g, "[%d:v]", hd);
		render_scene_source(v, i + 1, input_frames(v, i + 1), g);
		buf_printf(g, "trim=end_frame=%d,settb=1/%d,setpts=N[%s];", x, VIDEO_FPS, l_h);
		buf_printf(g, "[%s][%s]xfade=transition=%s:duration=%.6f:offset=0[%s];", l_t, l_h,
			   config_style_xfade(v->spec.look.transition), (double)x / VIDEO_FPS,
			   l_xf);
		overlay_moving(cues, ncues, from + body, x, l_xf, l_xo, input, a, g);
		buf_printf(g, "[%s][%s]concat=n=2:v=1:a=0[out%d];", l_body, l_xo, i);
	} else {
		buf_printf(g, "[%s]null[out%d];", l_body, i);
	}
}

void render_seg_cmd(struct vjob *v, const struct render_seg *s, const struct render_cue *cues,
		    int ncues, int threads, const char *path, struct ffargs *a)
{
	int first = s->scene, last = s->scene + s->nscenes - 1;
	ffargs_addv(a, "ffmpeg", "-n");
	/* the pictures first: each scene's, and the next one's for its
	 * crossfade (the last scene of the video has none) */
	int *pic = xmalloc((size_t)s->nscenes * 2 * sizeof(*pic));
	for (int k = 0; k < s->nscenes * 2; k++)
		pic[k] = -1;
	int input = 0;
	for (int i = first; i <= last; i++) {
		int x = i < last ? v->xfade_frames : s->xfade;
		for (int k = i; k <= i + (x > 0); k++) {
			if (v->scenes[k].kind != VIS_CLIP)
				ffargs_addv(a, "-framerate", "30");
			else /* a stock clip shorter than its scene repeats */
				ffargs_addv(a, "-stream_loop", "-1");
			ffargs_addv(a, "-i", v->scenes[k].visual);
			pic[(i - first) * 2 + (k - i)] = input++;
		}
	}
	struct buf g;
	struct zones zones = { .end = -1 };
	buf_init(&g);
	buf_init(&zones.text);
	int from = s->start;
	for (int i = first; i <= last; i++) {
		int x = i < last ? v->xfade_frames : s->xfade;
		int frames = v->scenes[i].frames;
		scene_part(v, i, from, frames, x, pic[(i - first) * 2], pic[(i - first) * 2 + 1],
			   cues, ncues, &input, a, &g, &zones, s->start);
		from += frames;
	}
	for (int i = first; i <= last; i++)
		buf_printf(&g, "[out%d]", i);
	buf_printf(&g, "concat=n=%d:v=1:a=0[vout]", s->nscenes);
	free(pic);
	ffargs_addv(a, "-filter_complex", g.data, "-map", "[vout]", "-an");
	buf_free(&g);
	ffargs_add_encode(a, v->spec.preset);
	zone_flush(&zones);
	if (threads > 0 || zones.text.len > 0) {
		struct buf x;
		buf_init(&x);
		if (threads > 0)
			buf_printf(&x, "threads=%d", threads);
		if (zones.text.len > 0)
			buf_printf(&x, "%szones=%s", x.len ? ":" : "", zones.text.data);
		ffargs_addv(a, "-x264-params", x.data);
		buf_free(&x);
	}
	buf_free(&zones.text);
	ffargs_addv(a, "-f", "mp4", path);
}

/* --- the join -------------------------------------------------------------------- */

void render_audio_cmd(struct vjob *v, const char *path, struct ffargs *a)
{
	const struct preset *p = v->spec.preset;
	ffargs_addv(a, "ffmpeg", "-y", "-i", "audio/mix.wav");
	struct buf g;
	buf_init(&g);
	render_audio_filter(v, 0, &g);
	ffargs_addv(a, "-filter_complex", g.data, "-map", "[aout]", "-c:a", "aac", "-b:a");
	buf_free(&g);
	ffargs_addf(a, "%dk", p->audio_kbps);
	ffargs_add(a, "-ar");
	ffargs_addf(a, "%d", FFARGS_AUDIO_RATE);
	ffargs_add(a, "-ac");
	ffargs_addf(a, "%d", FFARGS_AUDIO_CHANNELS);
	ffargs_addv(a, "-f", "mp4", path);
}

void render_join_cmd(struct vjob *v, struct ffargs *a)
{
	ffargs_addv(a, "ffmpeg", "-n", "-f", "concat", "-safe", "0", "-i", "render/segs.txt", "-i",
		    "audio/mix.m4a", "-map", "0:v", "-map", "1:a", "-c", "copy", "-movflags",
		    "+faststart", "-f", "mp4", v->part);
}
