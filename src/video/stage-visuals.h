/*
 * stage-visuals.h -- what the two halves of the visuals stage share:
 * stage-visuals.c (the stage, --images, the cut of each scene's picture,
 * the cards) and stage-stock.c (the online providers' pictures and the
 * stock clips: probed, more hits of the query joined, looped). Internal to
 * those two files.
 *
 * Must never: be included by anything but stage-visuals.c and stage-stock.c.
 */
#ifndef AURA_STAGE_VISUALS_H
#define AURA_STAGE_VISUALS_H

#include "video/stage.h"

/* What the command in flight is (vjob.cmd_kind). */
enum {
	STEP_ONLINE, /* a provider request of the chain walk */
	STEP_IMAGES, /* a scene's picture cut to the frame */
	STEP_CARDS,
	STEP_FINISH,
	STEP_PROBE, /* ffprobe of a stock clip */
	STEP_LOOP,  /* a stock clip made a seamless loop */
	STEP_MORE,  /* the next hit of a scene's query (one more clip) */
	STEP_JOIN,  /* a scene's clips joined with crossfades */
	STEP_PHOTO, /* a photo for a scene whose clip was unusable */
};

#define W_ONLINE 0.50 /* of the stage, when a provider is called */
#define W_IMAGES 0.85
#define W_CARDS	 0.15

/* Frames the render takes from scene i (its own and the crossfade into it). */
int visuals_clip_frames(const struct vjob *v, int i);
void visuals_set_card(struct vscene *s, int i);

/* stage-stock.c: the chain walk, one scene after the other (TASK_RUN or
 * VSTAGE_DONE), and how its request ended. */
int visuals_online_walk(struct vjob *v, struct task_cmd *cmd);
int visuals_online_done(struct vjob *v, struct aura_error *err);
/* Scene v->sub, a stock clip or a photo asked for in its place: the next
 * step before its cut (probe, one more clip, the join, the photo), true
 * with cmd filled; false when its source is settled. */
bool visuals_stock_next(struct vjob *v, struct task_cmd *cmd, struct ffargs *a,
			struct aura_error *err);
/* A STEP_PROBE, STEP_MORE, STEP_JOIN or STEP_PHOTO ended. */
int visuals_stock_done(struct vjob *v, int status, const char *out, size_t out_len,
		       const char *tail, struct aura_error *err);
/* The cut of a stock clip failed (a bad file): true when a photo of its
 * site is asked for instead (once a scene). */
bool visuals_stock_unusable(struct vjob *v, const char *detail);
/* The file the cut and the loop read for a clip scene: the joined clips
 * or its source. Caller frees. */
char *visuals_clip_input(const struct vjob *v, int i);
/* A stock clip shorter than its scene, to be made a seamless loop first. */
bool visuals_wants_loop(const struct vjob *v, int i);
void visuals_loop_cmd(struct vjob *v, int i, struct task_cmd *cmd, struct ffargs *a);

#endif
