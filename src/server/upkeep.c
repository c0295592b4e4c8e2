/*
 * upkeep.c -- the store's upkeep when the server is idle (doc/store.md,
 * "Compaction"): after a burst of writes, once none came for
 * UPKEEP_IDLE_MS and no job runs (or UPKEEP_MAX_MS after the first write,
 * under a steady stream such as running jobs' progress), free pages are
 * handed back UPKEEP_PAGES at a time (one slice per loop turn), then
 * PRAGMA optimize runs and the WAL is checkpointed back to 0 bytes.
 *
 * Must never: arm a timer while nothing was written (an idle server makes
 * no wake-up for it), or run a slice longer than UPKEEP_PAGES pages.
 */
#include "config.h"

#include "server/server-int.h"
#include "engine/engine.h"
#include "base/log.h"
#include "base/util.h"
#include "os/loop.h"
#include "store/store.h"

#define UPKEEP_IDLE_MS 300   /* quiet this long after the last write */
#define UPKEEP_MAX_MS  60000 /* or this long after the first one */
#define UPKEEP_PAGES   128   /* free pages handed back per turn (512 KiB of 4K pages) */

static void upkeep_fire(struct loop *l, void *ctx);

/* Fire at `at` (mono ms), or at once when that has passed. */
static void arm_at(struct server *s, int64_t at)
{
	loop_timer_del(s->loop, s->upkeep_timer);
	s->upkeep_timer = loop_timer_add(s->loop, at - time_mono_ms(), upkeep_fire, s);
}

static void upkeep_fire(struct loop *l, void *ctx)
{
	struct server *s = ctx;
	(void)l;
	s->upkeep_timer = 0;
	int64_t deadline = s->upkeep_first_ms + UPKEEP_MAX_MS;
	if (engine_running_count(s->eng) > 0 && time_mono_ms() < deadline) {
		arm_at(s, deadline); /* jobs run: their writes go on, wait longer */
		return;
	}
	struct store_upkeep_info info;
	int more = store_upkeep(s->st, UPKEEP_PAGES, true, &info);
	s->upkeep_seen = store_change_count(s->st);
	if (more > 0) {
		arm_at(s, 0); /* the next slice on the next turn */
		return;
	}
	s->upkeep_first_ms = 0;
	log_debug("store: upkeep done (checkpoint %s)", info.checkpointed ? "ok" : "skipped");
}

void srv_upkeep_turn(struct server *s)
{
	if (!s->st || store_behind(s->st))
		return;
	uint64_t changes = store_change_count(s->st);
	if (changes == s->upkeep_seen)
		return;
	/* rows were written this turn: the quiet period starts again, but
	 * never past UPKEEP_MAX_MS after the first write */
	int64_t now = time_mono_ms();
	s->upkeep_seen = changes;
	if (!s->upkeep_first_ms)
		s->upkeep_first_ms = now;
	int64_t at = now + UPKEEP_IDLE_MS;
	if (at > s->upkeep_first_ms + UPKEEP_MAX_MS)
		at = s->upkeep_first_ms + UPKEEP_MAX_MS;
	arm_at(s, at);
}
