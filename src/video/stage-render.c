/*
 * stage-render.c -- the `render` stage (doc/render.md):
 *
 * 1. the plan (render-plan.c): one run, or segments when the split rule
 *    says the job's lanes gain more than the runs' start-up costs;
 * 2. the mix (render-mix.c: audio only, fast), written to audio/mix.wav
 *    while ebur128 measures its integrated loudness and true peak
 *    (segments: beside the cue images of 3b, the two at once);
 * 3a. one run: each scene's picture (a card looped from one decoded
 *    frame, Ken Burns over a still, or its clip) cut to its frames, its
 *    first and last frames crossfaded with its neighbours' (xfade over
 *    just those frames; the scenes start X frames early so the total
 *    stays the plan), all concatenated, the captions burned in
 *    (subtitles= on the ASS file), the mix brought to -16 LUFS with one
 *    linear gain (a limiter only if the peak would pass -2 dBFS), encoded
 *    with the preset into NAME.part.mp4 beside the final output;
 * 3b. segments: the caption states drawn once into cue images (one run,
 *    beside the mix), then one run a segment (runs of whole scenes, each
 *    scene its body and its crossfade into the next, the cue images laid
 *    over their frames; x264's threads the CPUs shared out), parallel
 *    commands of the job written as render/seg-NNN[-MMM].part.mp4 and
 *    renamed when good; then the join: the segments by stream copy and the mix
 *    encoded once into NAME.part.mp4. A resumed render encodes only the
 *    segments without their file; a failed segment runs once more alone.
 *
 * The measuring pass is what lets the last run use a plain gain instead
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

#include "video/render.h"
#include "video/stage.h"

/* The plan first: one run is the mix, then the video; segments are the
 * mix and the cue images at once, then the segments and the audio, then
 * the join. */
enum { STEP_PLAN, STEP_MIX, STEP_CUES, STEP_SEGS, STEP_JOIN, STEP_VIDEO, STEP_FINISH };

#define W_MIX	0.03
#define W_CUES	0.01 /* segments: the cue images */
#define W_JOIN	0.01 /* segments: the join (a stream copy) */
#define W_AUDIO 0.02 /* segments: the mix encoded beside them */
#define W_SEGS	(1 - W_MIX - W_CUES - W_JOIN - W_AUDIO)

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
	for (int i = 0; i < v->n; i++) {
		int len = scene_input_frames(v, i);
		buf_printf(&g, "[%d:v]", i);
		render_scene_source(v, i, len, &g);
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
			   k + 1, config_style_xfade(v->spec.look.transition),
			   (double)x / VIDEO_FPS, k);
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
		char *sub = render_subtitles_filter(v, "captions.ass");
		buf_printf(&g, "[%s]%s[vout];", last, sub);
		free(sub);
	} else {
		buf_printf(&g, "[%s]null[vout];", last);
	}
	render_audio_filter(v, v->n, &g);

	ffargs_addv(a, "-filter_complex", g.data, "-map", "[vout]", "-map", "[aout]");
	buf_free(&g);
	ffargs_add_encode(a, p);
	ffargs_addv(a, "-f", "mp4", v->part);
}

/* --- segments -------------------------------------------------------------------- */

void render_stage_free(struct vjob *v)
{
	struct render_state *r = v->render;
	if (!r)
		return;
	free(r->segs);
	free(r->state);
	free(r->tries);
	free(r->cues);
	free(r);
	v->render = NULL;
}

/* Segment i's file, or for i = nsegs the encoded mix's. */
/* A segment's file in the work directory: seg-NNN for one scene,
 * seg-NNN-MMM for scenes NNN to MMM, so a resume whose plan grouped the
 * scenes otherwise (other lanes) never takes a segment for another. */
static char *seg_name(const struct vjob *v, int i, const char *suffix)
{
	const struct render_seg *s = &v->render->segs[i];
	if (s->nscenes == 1)
		return xasprintf("seg-%03d%s", vjob_num(s->scene), suffix);
	return xasprintf("seg-%03d-%03d%s", vjob_num(s->scene), vjob_num(s->scene + s->nscenes - 1),
			 suffix);
}

static char *seg_path(const struct vjob *v, int i, bool part)
{
	if (v->render && i == v->render->nsegs)
		return vjob_path(v, "audio/mix%s.m4a", part ? ".part" : "");
	char *name = seg_name(v, i, part ? ".part.mp4" : ".mp4");
	char *out = vjob_path(v, "render/%s", name);
	free(name);
	return out;
}

static void unlink_quiet(char *path)
{
	unlink(path);
	free(path);
}

void render_stage_abort(struct vjob *v)
{
	struct render_state *r = v->render;
	if (!r)
		return;
	for (int i = 0; i <= r->nsegs && r->state; i++)
		if (r->state[i] == RSEG_RUNNING) {
			unlink_quiet(seg_path(v, i, true));
			r->state[i] = RSEG_TODO;
		}
	if (r->mix == RSEG_RUNNING)
		r->mix = RSEG_TODO;
	if (r->cue_run == RSEG_RUNNING)
		r->cue_run = RSEG_TODO;
}

/* The cue intervals of captions.ass when the captions are burned in. */
static int plan_cues(struct vjob *v, struct render_state *r, struct aura_error *err)
{
	if (!(v->spec.captions & VSPEC_CAPTIONS_BURN))
		return 0;
	char *ass = vjob_read(v, "captions.ass");
	if (!ass)
		return aura_error_set(err, AURA_E_INTERNAL, "captions.ass could not be read");
	struct render_event *ev;
	int nev = render_parse_ass_events(ass, &ev);
	free(ass);
	r->ncues = render_cue_intervals(ev, nev, v->total_frames, &r->cues);
	free(ev);
	return 0;
}

/* One run or segments (render-plan.c's rule); the segments' files of an
 * earlier attempt count as done. */
static int plan(struct vjob *v, struct aura_error *err)
{
	render_stage_free(v);
	int *frames = xmalloc(((size_t)v->n + 1) * sizeof(*frames));
	int *starts = xmalloc(((size_t)v->n + 1) * sizeof(*starts));
	for (int i = 0; i < v->n; i++) {
		frames[i] = v->scenes[i].frames;
		starts[i] = v->scenes[i].start_frame;
	}
	struct render_state *r = xcalloc(1, sizeof(*r));
	int lanes = vjob_lanes(v);
	r->nsegs = render_plan_segments(frames, starts, v->n, v->xfade_frames, lanes, &r->segs);
	free(frames);
	free(starts);
	v->render = r;
	const char *mode = v->env && v->env->cfg ? v->env->cfg->segments : NULL;
	bool off = mode && strcmp(mode, "off") == 0;
	if (!render_split(off, r->nsegs, lanes, v->total_frames)) {
		vjob_log(v, "render: one run (%d scene%s, %d lane%s, %d frames%s)", v->n,
			 v->n == 1 ? "" : "s", lanes, lanes == 1 ? "" : "s", v->total_frames,
			 off ? ", segments = off" : "");
		render_stage_free(v);
		v->step = STEP_MIX;
		return 0;
	}
	int rc;
	if ((rc = vjob_mkdir(v, "render", err)) < 0)
		return rc;
	/* one more: the mix encoded to AAC beside the segments */
	r->state = xcalloc((size_t)r->nsegs + 1, sizeof(*r->state));
	r->tries = xcalloc((size_t)r->nsegs + 1, sizeof(*r->tries));
	int done = 0, done_frames = 0;
	for (int i = 0; i < r->nsegs; i++) {
		char *name = seg_name(v, i, ".mp4");
		char *rel = xasprintf("render/%s", name);
		free(name);
		if (vjob_exists(v, rel)) {
			r->state[i] = RSEG_DONE;
			done++;
			done_frames += r->segs[i].frames;
		}
		free(rel);
	}
	r->group_start = W_MIX + W_CUES + W_SEGS * done_frames / v->total_frames;
	r->threads = render_seg_threads(vjob_lane_cpus(v), r->nsegs - done);
	vjob_log(v, "render: %d segments over %d lanes, %d done before", r->nsegs, lanes, done);
	if ((rc = plan_cues(v, r, err)) < 0)
		return rc;
	/* the mix and the cue images at once, then the segments */
	r->mix = RSEG_TODO;
	r->cue_run = done < r->nsegs && r->ncues > 0 ? RSEG_TODO : RSEG_DONE;
	v->step = STEP_CUES;
	return 0;
}

/* Tags of the two runs before the segments (a segment's is its index,
 * the audio's nsegs). */
#define TAG_MIX(r)  ((r)->nsegs + 1)
#define TAG_CUES(r) ((r)->nsegs + 2)

/* The mix and the cue images, at once: both are needed before the
 * segments and the audio, neither needs the other. */
static int next_before_segments(struct vjob *v, struct task_cmd *cmd, struct ffargs *a,
				struct aura_error *err)
{
	struct render_state *r = v->render;
	int rc;
	if (r->mix == RSEG_TODO) {
		render_mix_cmd(v, a);
		cmd->tag = TAG_MIX(r);
		cmd->weight_len = W_MIX;
		r->mix = RSEG_RUNNING;
	} else if (r->cue_run == RSEG_TODO) {
		if ((rc = render_cues_cmd(v, r->cues, r->ncues, a, err)) < 0)
			return rc;
		cmd->tag = TAG_CUES(r);
		cmd->weight_len = W_CUES;
		r->cue_run = RSEG_RUNNING;
	} else if (r->mix == RSEG_RUNNING || r->cue_run == RSEG_RUNNING) {
		return TASK_WAIT;
	} else {
		v->step = STEP_SEGS;
		return VSTAGE_DONE;
	}
	cmd->ffmpeg = true;
	cmd->parallel = true;
	cmd->duration_us =
	    cmd->tag == TAG_MIX(r) ? (int64_t)v->total_frames * 1000000 / VIDEO_FPS : 0;
	cmd->weight_start = 0;
	cmd->argv = ffargs_steal(a);
	return TASK_RUN;
}

static int next_segment(struct vjob *v, struct task_cmd *cmd, struct ffargs *a)
{
	struct render_state *r = v->render;
	bool running = false;
	for (int i = 0; i <= r->nsegs; i++) {
		if (r->state[i] == RSEG_RUNNING)
			running = true;
		if (r->state[i] != RSEG_TODO)
			continue;
		unlink_quiet(seg_path(v, i, true)); /* a crashed attempt's */
		cmd->ffmpeg = true;
		cmd->parallel = true;
		cmd->tag = i;
		cmd->output_path = seg_path(v, i, true);
		cmd->weight_start = r->group_start;
		r->state[i] = RSEG_RUNNING;
		if (i == r->nsegs) { /* the mix: light, run here */
			render_audio_cmd(v, "audio/mix.part.m4a", a);
			cmd->duration_us = (int64_t)v->total_frames * 1000000 / VIDEO_FPS;
			cmd->weight_len = W_AUDIO;
			cmd->argv = ffargs_steal(a);
			return TASK_RUN;
		}
		const struct render_seg *s = &r->segs[i];
		char *name = seg_name(v, i, ".part.mp4");
		char *rel = xasprintf("render/%s", name);
		free(name);
		render_seg_cmd(v, s, r->cues, r->ncues, r->threads, rel, a);
		free(rel);
		cmd->pool_work = true;
		cmd->duration_us = (int64_t)s->frames * 1000000 / VIDEO_FPS;
		cmd->weight_len = W_SEGS * s->frames / v->total_frames;
		cmd->argv = ffargs_steal(a);
		return TASK_RUN;
	}
	if (running)
		return TASK_WAIT;
	v->step = STEP_JOIN;
	return VSTAGE_DONE; /* the caller goes on to the join */
}

static int write_list(struct vjob *v, struct aura_error *err)
{
	struct buf b;
	buf_init(&b);
	for (int i = 0; i < v->render->nsegs; i++) {
		char *name = seg_name(v, i, ".mp4");
		buf_printf(&b, "file '%s'\n", name);
		free(name);
	}
	int rc = vjob_write(v, "render/segs.txt", b.data, err);
	buf_free(&b);
	return rc;
}

static int segment_done(struct vjob *v, int status, const char *tail, struct aura_error *err)
{
	struct render_state *r = v->render;
	int i = v->tag;
	if (!r || i < 0 || i > r->nsegs)
		return aura_error_set(err, AURA_E_INTERNAL, "render: no segment %d", i);
	char *what = i == r->nsegs ? xstrdup("encoding the audio")
				   : xasprintf("rendering segment %d of %d", vjob_num(i), r->nsegs);
	int rc = vjob_ffmpeg_result(status, tail, what, err);
	free(what);
	char *part = seg_path(v, i, true);
	if (rc == 0) {
		char *fin = seg_path(v, i, false);
		if (rename(part, fin) != 0)
			rc = aura_error_set(err, AURA_E_INTERNAL, "render: %s could not be renamed",
					    part);
		free(fin);
	}
	if (rc == 0) {
		r->state[i] = RSEG_DONE;
		free(part);
		return 0;
	}
	unlink(part);
	free(part);
	r->state[i] = RSEG_TODO;
	if (++r->tries[i] < RSEG_TRIES) {
		if (i == r->nsegs)
			vjob_log(v, "render: the audio failed (%s): running it again", err->detail);
		else
			vjob_log(v, "render: segment %d failed (%s): running it again", vjob_num(i),
				 err->detail);
		aura_error_clear(err);
		return 0;
	}
	return rc;
}

static int render_next(struct vjob *v, struct task_cmd *cmd, struct aura_error *err)
{
	struct ffargs a;
	ffargs_init(&a);
	int64_t plan_us = (int64_t)v->total_frames * 1000000 / VIDEO_FPS;
	int rc;
	if (v->step == STEP_PLAN) {
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
		if ((rc = plan(v, err)) < 0)
			return rc;
	}
	if (v->step == STEP_MIX) { /* one run: the mix, then the video */
		render_mix_cmd(v, &a);
		cmd->ffmpeg = true;
		cmd->duration_us = plan_us;
		cmd->weight_start = 0;
		cmd->weight_len = W_MIX;
		cmd->argv = ffargs_steal(&a);
		return TASK_RUN;
	}
	if (v->step == STEP_CUES) {
		rc = next_before_segments(v, cmd, &a, err);
		if (rc != VSTAGE_DONE) {
			ffargs_free(&a);
			return rc;
		}
	}
	if (v->step == STEP_SEGS) {
		rc = next_segment(v, cmd, &a);
		if (rc != VSTAGE_DONE)
			return rc;
	}
	if (v->step == STEP_JOIN) {
		if ((rc = choose_part(v, err)) < 0 || (rc = write_list(v, err)) < 0)
			return rc;
		render_join_cmd(v, &a);
		cmd->ffmpeg = true;
		cmd->duration_us = plan_us;
		cmd->output_path = xstrdup(v->part);
		cmd->weight_start = 1 - W_JOIN;
		cmd->weight_len = W_JOIN;
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

/* The render is in NAME.part.mp4: what it was made from goes (11 MB a
 * minute of mix, the segments; a resumed render makes them again). */
static void clean_up(struct vjob *v)
{
	unlink_quiet(vjob_path(v, "audio/mix.wav"));
	struct render_state *r = v->render;
	if (!r)
		return;
	unlink_quiet(vjob_path(v, "audio/mix.m4a"));
	for (int i = 0; i < r->nsegs; i++)
		unlink_quiet(seg_path(v, i, false));
	for (int k = 0; k < r->ncues; k++)
		unlink_quiet(vjob_path(v, "render/cue-%03d.png", k + 1));
	unlink_quiet(vjob_path(v, "render/segs.txt"));
	unlink_quiet(vjob_path(v, "render/cues.graph"));
	unlink_quiet(vjob_path(v, "render/cues.ass"));
	char *dir = vjob_path(v, "render");
	rmdir(dir);
	free(dir);
}

static int render_done(struct vjob *v, int status, const char *out, size_t out_len,
		       const char *tail, struct aura_error *err)
{
	(void)out;
	(void)out_len;
	int rc;
	switch (v->step) {
	case STEP_MIX:
		if ((rc = render_mix_done(v, status, tail, err)) < 0)
			return rc;
		v->step = STEP_VIDEO;
		return 0;
	case STEP_CUES:
		if (v->tag == TAG_MIX(v->render)) {
			rc = render_mix_done(v, status, tail, err);
			v->render->mix = rc < 0 ? RSEG_TODO : RSEG_DONE;
		} else {
			rc = vjob_ffmpeg_result(status, tail, "drawing the captions", err);
			v->render->cue_run = rc < 0 ? RSEG_TODO : RSEG_DONE;
		}
		return rc;
	case STEP_SEGS:
		return segment_done(v, status, tail, err);
	default:
		break;
	}
	bool joined = v->step == STEP_JOIN;
	v->step = STEP_FINISH;
	rc = vjob_ffmpeg_result(status, tail, joined ? "joining the segments" : "rendering", err);
	if (rc == 0)
		clean_up(v);
	return rc;
}

const struct stage_ops stage_render_ops = {
	.name = "render",
	.ready = render_ready,
	.next = render_next,
	.done = render_done,
};
