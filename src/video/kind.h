/*
 * kind.h -- the video job kind as the engine sees it (engine_kind): a new
 * video job's spec checked and its output named, and the providers'
 * background health switched on while video jobs are queued or running
 * (they may call providers; doc/providers.md, "Health").
 */
#ifndef AURA_VIDEO_KIND_H
#define AURA_VIDEO_KIND_H

struct engine;
struct health;

/* Register the video kind with the engine, before engine_recover. h (NULL
 * is fine: no health to switch) must outlive the engine. */
void video_kind_register(struct engine *e, struct health *h);

#endif
