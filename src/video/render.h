/*
 * render.h -- the render stage's parts (doc/render.md): the plan
 * (render-plan.c: the captions' states as frame intervals, the segments,
 * the rule that splits or keeps one run) and the commands built from it
 * (render-seg.c: the cue images, a segment, the join). Internal to the
 * render stage; tests/unit/test-render-plan.c checks the pure plan.
 */
#ifndef AURA_RENDER_H
#define AURA_RENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/errors.h"
#include "ff/ffargs.h"

struct vjob;

/* One Dialogue event of captions.ass, its times in ms. */
struct render_event {
	int64_t start_ms, end_ms;
};

/*
 * A stretch of frames [start, end) over which the captions do not change,
 * and the cue image that shows them (render/cue-NNN.png, image 1-based in
 * the file name, 0-based here).
 */
struct render_cue {
	int start, end;
	int image;
};

/* The milliseconds libass is asked to draw frame n at: the subtitles
 * filter's pts * av_q2d(1/30) * 1000, truncated, as FFmpeg 5.1 does. */
int64_t render_frame_ms(int n);
/* The first frame n >= 0 drawn at ms or later. */
int render_first_frame_at(int64_t ms);

/* The Dialogue events of an ASS script; *out malloc'd (caller frees).
 * Returns how many. */
int render_parse_ass_events(const char *ass, struct render_event **out);

/*
 * The caption states over total frames: frame n shows the events with
 * start_ms <= render_frame_ms(n) < end_ms; each maximal run of frames with
 * the same non-empty set is one cue, its own image. *out malloc'd, sorted,
 * disjoint; returns how many.
 */
int render_cue_intervals(const struct render_event *ev, int nev, int total_frames,
			 struct render_cue **out);

/*
 * The cue images' own ASS script: ass's header, then for each cue k the
 * events it shows, timed to show on frame k alone (frame k of a 30 fps
 * canvas is cue k's image). Caller frees.
 */
char *render_cues_ass(const char *ass, const struct render_cue *cues, int ncues);

/*
 * One segment of the timeline: the frames [start, start + frames) of the
 * scenes [scene, scene + nscenes), each its body and its crossfade into
 * the next scene (the segment's last: xfade frames, 0 for the video's
 * last scene).
 */
struct render_seg {
	int scene, nscenes;
	int start, frames;
	int xfade;
};

/*
 * The segments: the scenes cut into at most `lanes` runs of contiguous
 * scenes, the longest as short as can be (each run costs an encoder's
 * start; more segments than lanes would only wait). *out malloc'd;
 * returns how many. frames[i] and starts[i] are the scenes' timeline
 * lengths and starts.
 */
int render_plan_segments(const int *frames, const int *starts, int n, int xfade, int lanes,
			 struct render_seg **out);

/* The shortest video that is split (doc/render.md: the start-up of a run
 * against what the parallel encode saves). */
#define RENDER_SPLIT_MIN_FRAMES (10 * 30)

/*
 * The split rule: segments when forced on or allowed ("auto"), there are
 * 2 segments at least, 2 lanes at least and the video lasts
 * RENDER_SPLIT_MIN_FRAMES at least. off: never.
 */
bool render_split(bool off, int nsegs, int lanes, int total_frames);

/*
 * x264's threads for each of nsegs segments running at once on cpus
 * CPUs: the CPUs shared out, at least 1; 0 (x264's own choice) when the
 * segments run elsewhere (cpus 0: a Slurm pool) or there is one run.
 * One frame thread a core spends less CPU than x264's default of 1.5 a
 * core shared by two encoders (doc/render.md, "Threads").
 */
int render_seg_threads(int cpus, int nsegs);

/* The render stage's own state while it runs (stage-render.c). */
enum { RSEG_TODO, RSEG_RUNNING, RSEG_DONE };
#define RSEG_TRIES 2 /* a segment's runs in one attempt of the job */
struct render_state {
	struct render_seg *segs;
	int nsegs;
	int *state; /* RSEG_* per segment, then the mix's AAC (index nsegs) */
	int *tries;
	struct render_cue *cues;
	int ncues;
	double group_start; /* the segments' weight_start (stage fraction) */
	int threads;	    /* x264's threads a segment (render_seg_threads) */
	int mix, cue_run;   /* RSEG_* of the mix and the cue images, run at once */
};

/*
 * A still piece (one picture under one caption state, its first frame
 * included; touching pieces one zone) is an x264 zone with a cheaper
 * analysis and a little more bitrate: the frames are copies, the
 * analysis finds nothing to do, and the bitrate keeps the SSIM of the
 * medium preset's frames (doc/render.md, "Still stretches"). Pieces
 * shorter than RENDER_STILL_ZONE_MIN frames and the crossfades keep the
 * preset's analysis. Zones change no SPS or PPS: the segments still join
 * by stream copy.
 */
#define RENDER_STILL_ZONE     "b=1.3,subme=1,me=dia,trellis=0"
#define RENDER_STILL_ZONE_MIN 8

/* --- commands (render-seg.c) --------------------------------------------------- */

/* The cue images: one FFmpeg run drawing every cue over black and over
 * white, alpha derived, into render/cue-%03d.png (its graph written to
 * render/cues.graph). 0 or a negative code. */
int render_cues_cmd(struct vjob *v, const struct render_cue *cues, int ncues, struct ffargs *a,
		    struct aura_error *err);
/* The filter text of the subtitles filter on file (captions.ass, with
 * the configured font's directory). Caller frees. */
char *render_subtitles_filter(const struct vjob *v, const char *file);
/* One segment's video into path (video only, the preset's encoder; x264
 * threads, 0 for its own choice). */
void render_seg_cmd(struct vjob *v, const struct render_seg *s, const struct render_cue *cues,
		    int ncues, int threads, const char *path, struct ffargs *a);
/* The mix with its gain (and limiter) encoded to AAC once, into path (an
 * .m4a), run beside the segments. */
void render_audio_cmd(struct vjob *v, const char *path, struct ffargs *a);
/* The join: the segments (render/segs.txt) and audio/mix.m4a by stream
 * copy, faststart. */
void render_join_cmd(struct vjob *v, struct ffargs *a);
/* The video filter of scene i's picture up to its frames (no trim). */
void render_scene_source(const struct vjob *v, int i, int len, struct buf *g);
/* --- the mix (render-mix.c) ----------------------------------------------------- */

/* The mix into audio/mix.wav, ebur128 measuring it (its summary on
 * stderr). */
void render_mix_cmd(struct vjob *v, struct ffargs *a);
/* The mix's run ended: its result, then v->gain_db, v->limit and
 * v->peak_db from the measurement (no gain when none was read). */
int render_mix_done(struct vjob *v, int status, const char *tail, struct aura_error *err);

/* The audio filter: the mix with its gain (and limiter) as [aout]. */
void render_audio_filter(const struct vjob *v, int input, struct buf *g);

#endif
