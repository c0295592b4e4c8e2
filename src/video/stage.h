/*
 * stage.h -- what the video pipeline (pipeline.c) and its stages
 * (stage-*.c) share: the job being made (struct vjob), the stage ops
 * table, the timeline plan, and small helpers for paths, files, logs and
 * FFmpeg failures. Internal to the pipeline; unit tests include it for the
 * pure parts (the plan, the probe and loudness readers).
 *
 * A stage never spawns or waits: its next() fills a task_cmd (or does
 * quick in-process work) and its done() reads how the command ended, as
 * task.h asks. Must never: put user text into a filtergraph (text goes
 * through files: ffargs_write_textfile), or write outside the job's work
 * directory except the output's .part files.
 */
#ifndef AURA_STAGE_H
#define AURA_STAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "ff/ffargs.h"
#include "providers/services.h"
#include "video/script.h"
#include "engine/task.h"
#include "video/vspec.h"

enum vstage {
	VSTAGE_SCRIPT,
	VSTAGE_VOICE,
	VSTAGE_VISUALS,
	VSTAGE_CAPTIONS,
	VSTAGE_RENDER,
	VSTAGE_VERIFY,
	VSTAGE__COUNT
};

#define VIDEO_FPS	    FFARGS_FPS
#define SAMPLES_PER_FRAME   (FFARGS_AUDIO_RATE / FFARGS_FPS) /* 1600 */
#define SCENE_MIN_FRAMES    VIDEO_FPS			     /* a scene lasts at least 1 s */
#define SCENE_PAD_MAX	    (3 * VIDEO_FPS)		     /* hold added per scene to reach -d */
#define XFADE_FRAMES	    15				     /* 0.5 s crossfades */
#define VERIFY_TOLERANCE_US 500000

/* What a scene shows. */
enum vvisual { VIS_CARD, VIS_STILL, VIS_CLIP };

struct vscene {
	int64_t audio_us;  /* the narration as measured (or the silence made for it) */
	int64_t window_us; /* its captions' time: the audio, or the text's reading
			      time when the voice said much less than the text
			      (flite skipping a script it cannot read) */
	bool silent;	   /* no speech: held for its captions' reading time */
	int frames;	   /* length on the timeline, at 30 fps */
	int start_frame;
	enum vvisual kind;
	bool stock_clip; /* visuals: a stock clip, looped with a crossfade when short */
	bool looped;	 /* visuals/NNN.loop.mp4 (the clip made a seamless loop) exists */
	int64_t clip_us; /* a stock clip's length as probed: 0 not yet, < 0 unknown */
	bool joined;	 /* visuals/NNN.join.mp4 (several stock clips joined) exists */
	int stock_link;	 /* visuals: the chain link (stock site) the clip came from */
	char *visual;	 /* relative to the work directory: visuals/001.png ... */
	char *source;	 /* the --images file, the stock asset in the cache or the
			    generated picture it came from; NULL for a card */
	char *audio_src; /* voice: the file to bring to 48 kHz stereo (an
			    online provider's answer, espeak-ng's or piper's
			    output); NULL when flite wrote voice/NNN.wav */
	bool online;	 /* voice: audio_src came from an online provider */
};

struct vjob;
struct provider;
struct stock_op;
struct provider_call;

/* --- online providers (stage-online.c) -------------------------------------- */

/* A fallback chain of [providers]: names in order, without repeats. */
#define VCHAIN_MAX 16
struct vchain {
	char *names[VCHAIN_MAX];
	int n;
};
void vchain_parse(const char *text, struct vchain *out);
void vchain_free(struct vchain *c);

enum vcall_kind { VCALL_SCRIPT, VCALL_SPEECH, VCALL_IMAGE, VCALL_STOCK };

/*
 * One provider request as the engine's asynchronous step: the stage fills
 * the request part and returns TASK_RUN with vcall_step(); its done() then
 * reads out (and script). Strings are owned (vcall_reset frees them).
 */
struct vcall {
	enum vcall_kind kind;
	char *provider;	 /* its name: "openai", "pexels"... */
	char *text;	 /* the topic, the narration, the prompt or the query */
	char *document;	 /* script: a document to condense (vspec.document), or NULL */
	char *voice;	 /* speech */
	char *model;	 /* NULL: the provider's default */
	char *path;	 /* absolute target of a speech or an image */
	char *cache_dir; /* stock: DATA/cache */
	char *credits;	 /* stock: the job's credits file */
	int duration_s;	 /* script */
	char *lang;	 /* script: the language code, NULL: English */
	int width, height;
	bool video; /* stock: a clip rather than a photo */
	int index;  /* stock: the search hit to take (0: the first) */
	/* in flight */
	struct provider_call *pcall;
	struct stock_op *sop;
	task_step_finish_fn finish;
	void *token;
	bool finished;
	/* the outcome */
	struct provider_outcome out;
	struct script script; /* VCALL_SCRIPT, when out.code is 0 */
};
void vcall_reset(struct vcall *c);
void vcall_step(struct vcall *c, struct task_cmd *cmd);
/* "openai failed after 3 requests (DETAIL)", or "openai was not asked
 * (DETAIL)" when its circuit breaker let nothing out. Caller frees. */
char *vcall_failure(const struct vcall *c);
/* Abort a request still in flight (the job is being freed). */
void vcall_cancel_now(struct vcall *c);
/* The provider by name if it can be called, else NULL with a debug line. */
struct provider *vjob_provider(const struct vjob *v, const char *name);

/* visuals (stage-stock.c): the stock clips gathered for one scene, the
 * first hit of its query and then the next ones until the scene is
 * covered. Paths owned. */
#define VSTOCK_CLIPS_MAX 5
struct vstock {
	int scene;				      /* the scene they are for; -1: none */
	char *clip[VSTOCK_CLIPS_MAX];		      /* in the cache, in the search's order */
	int64_t us[VSTOCK_CLIPS_MAX];		      /* their lengths as probed (< 0 unknown) */
	int w[VSTOCK_CLIPS_MAX], h[VSTOCK_CLIPS_MAX]; /* their sizes (0 unknown) */
	int n, probed;
	bool no_more; /* ask the search for no more clips */
	bool listed;  /* visuals/NNN.clips.txt is written */
	bool photo;   /* the scene's clip failed: ask its site for a photo */
};
void vstock_reset(struct vstock *s, int scene);

/* Return values of stage next() besides TASK_RUN (0) and errors (< 0). */
#define VSTAGE_DONE 1

struct stage_ops {
	const char *name;
	/* The stage's record says done: are its artifacts all there? Loads
	 * what later stages need (script, timings, files) into v. */
	bool (*ready)(struct vjob *v);
	/* TASK_RUN with cmd filled (weight_start/len as fractions of this
	 * stage, 0..1), VSTAGE_DONE when finished, TASK_WAIT while parallel
	 * commands run and none more can start, or a negative code. */
	int (*next)(struct vjob *v, struct task_cmd *cmd, struct aura_error *err);
	/* The command ended (v->tag: its cmd->tag); 0 to go on, or a
	 * negative code. */
	int (*done)(struct vjob *v, int status, const char *out, size_t out_len, const char *tail,
		    struct aura_error *err);
};

extern const struct stage_ops stage_script_ops, stage_voice_ops, stage_visuals_ops,
    stage_captions_ops, stage_render_ops, stage_verify_ops;

struct vjob {
	const struct task_env *env;
	struct job *job; /* the engine's live record: valid only inside next/done */
	int64_t id;
	char *workdir;
	struct vspec spec;
	char *output;		   /* the final path planned (absolute) */
	char *part;		   /* NAME.part.mp4 while render/verify own it */
	char *srt_part;		   /* NAME.part.srt while verify writes it */
	char *font;		   /* font file for the cards, NULL: fontconfig's Sans */
	struct voice_choice voice; /* the offline voice: the last resort of the chain */
	char *voice_prog;	   /* espeak-ng or piper, NULL for flite */
	struct vchain voice_chain; /* the online voices to try, in order */
	bool generated;		   /* the script was written for -d (from the topic or
				      a --from document): the timeline is held to it */

	struct script script;
	struct vscene *scenes; /* script.n of them once the script is known */
	int n;
	int total_frames;
	int xfade_frames;

	enum vstage cur;
	double weight[VSTAGE__COUNT];
	/* stage-private progress, reset when a stage starts */
	int step, sub;
	int cmd_kind;	     /* stage-private: what the command in flight is */
	int tag;	     /* done(): the tag of the command that ended */
	bool checking;	     /* voice: an online answer awaits its ffprobe */
	int link;	     /* the chain's provider being tried */
	unsigned failed;     /* bit per link that failed in this stage: skipped after */
	struct vchain chain; /* script, visuals: the stage's chain */
	struct vcall call;   /* the provider request in flight or just over */
	int64_t *pending;    /* voice: scenes that need silence made */
	int npending;
	int parts, parts_running;    /* voice, visuals: work in parts (vjob_parts_begin) */
	struct render_state *render; /* render: its plan and segments (render.h) */
	double gain_db;		     /* render: loudness correction */
	double peak_db;		     /* render: measured true peak of the mix */
	bool limit;
	struct vstock stock; /* visuals: the stock clips of the scene at hand */
	char **images;	     /* visuals: --images files */
	int nimages;
};

/* --- helpers (pipeline.c) ----------------------------------------------------- */

/* An absolute path inside the work directory; caller frees. */
char *vjob_path(const struct vjob *v, const char *fmt, ...) AURA_PRINTF(2, 3);
bool vjob_exists(const struct vjob *v, const char *rel);
/* Write text to a work-directory file, atomically. */
int vjob_write(const struct vjob *v, const char *rel, const char *text, struct aura_error *err);
/* Read a work-directory file (at most 16 MiB); NULL if absent. */
char *vjob_read(const struct vjob *v, const char *rel);
/* A stage's index file (voice.json, visuals.json): its "scenes" array when
 * it holds one entry per scene, else NULL. *root is what to json_decref. */
json_t *vjob_read_scenes(const struct vjob *v, const char *rel, json_t **root);
int vjob_mkdir(const struct vjob *v, const char *rel, struct aura_error *err);
void vjob_log(const struct vjob *v, const char *fmt, ...) AURA_PRINTF(2, 3);
void vjob_warn(const struct vjob *v, int code, const char *fmt, ...) AURA_PRINTF(3, 4);
/* An FFmpeg run ended: 0 when it succeeded, else the classified code
 * (ffclass) with the summary of its stderr, prefixed by what. */
int vjob_ffmpeg_result(int status, const char *tail, const char *what, struct aura_error *err);
/* The lanes the job's parallel commands may use: the engine's count
 * (task_env.lanes: a Slurm pool's slots, else the local lanes); 1
 * without an engine. */
int vjob_lanes(const struct vjob *v);
/* The CPUs they share here (task_env.lane_cpus): 0 when the job's pool
 * work runs elsewhere, and without an engine. */
int vjob_lane_cpus(const struct vjob *v);
/*
 * Light work split over the lanes (a stage's runs at once, each on its
 * own core; doc/pipeline.md). w[i]: scene i's weight, 0 for a scene the
 * work does not concern. vjob_parts_begin: as many parts as the scenes
 * concerned, the lanes and this machine's CPUs allow (one at least).
 * vjob_part_next: the next part's scenes [*from, *to) and cmd marked as
 * one of the parts (parallel when there are several, its index the tag);
 * false when every part has been handed out. The stage counts the parts
 * running in v->parts_running. vjob_part_range: part `part`'s scenes,
 * contiguous runs cut where their weight reaches the part's share of the
 * whole, each part one scene at least (parts <= n).
 */
void vjob_parts_begin(struct vjob *v, const size_t *w);
bool vjob_part_next(struct vjob *v, const size_t *w, int *from, int *to, struct task_cmd *cmd);
void vjob_part_range(const size_t *w, int n, int part, int parts, int *from, int *to);
/* The scene's file number, 1-based, for names like voice/001.wav. */
static inline int vjob_num(int i)
{
	return i + 1;
}

/* The seconds given to the script writer: the duration less the pauses
 * between its scenes, scaled by the voice's speaking rate over the
 * writer's 150 words a minute, within the writer's 5..1800 s. */
int vjob_script_seconds(int duration_s, int words_per_minute, int gap_ms);

/* The captions' window of a scene: its audio, or the reading time of its
 * text when that is over 1.5 times longer. */
int64_t vplan_window_us(int64_t audio_us, const char *text);

/*
 * The timeline: each scene lasts its captions' window (at least its
 * narration) rounded up to frames, plus
 * gap_ms of silence, at least SCENE_MIN_FRAMES. When target_s > 0 and the
 * total falls short of it, each scene is held up to SCENE_PAD_MAX frames
 * longer (evenly) towards it. Fills frames and start_frame; returns the
 * total frames; *xfade receives the transition's length: xfade_ms in
 * frames, at most a third of the shortest scene (0 for one scene or
 * xfade_ms 0).
 */
int vplan_compute(struct vscene *s, int n, int gap_ms, int target_s, int xfade_ms, int *xfade);

/* An estimate of how long text takes to read, for a scene that cannot be
 * spoken: 60 ms a display column, at least 2 s. */
int64_t vplan_reading_us(const char *text);

/* render: remove the segments' .part files of this attempt (finished
 * segments stay for a resume); free its state. */
void render_stage_abort(struct vjob *v);
void render_stage_free(struct vjob *v);

/*
 * The ebur128 summary at the end of an FFmpeg stderr: integrated loudness
 * (LUFS) and true peak (dBFS). 0, or -1 when absent.
 */
int render_parse_ebur128(const char *tail, double *integrated, double *peak);

/*
 * ffprobe JSON (-show_streams -show_format) of a render: exactly one video
 * and one audio stream, and a duration within VERIFY_TOLERANCE_US of
 * plan_us. 0, or -AURA_E_VERIFY_FAILED saying what is wrong.
 */
int verify_check_probe(const char *json, size_t len, int64_t plan_us, struct aura_error *err);

/* visuals (stage-docimg.c): each scene whose heading is a doc_images
 * picture's shows that picture as a still when it can be read (else a
 * warning); returns how many do. */
int vdoc_assign_images(struct vjob *v);

/* ffprobe -show_entries format=duration JSON -> microseconds, 0 if none. */
int64_t probe_duration_us(const char *json, size_t len);

/* The filter that makes any picture cover the preset's frame (scaled,
 * the overflow cropped evenly): the visuals stage's and the render's for
 * a stock clip. Caller frees. */
char *visuals_cover_filter(const struct preset *p);
/* The same to a frame of w x h. */
char *visuals_cover_to(int w, int h);

#endif
