/*
 * health.h -- the server's view of the online providers' health: for each
 * configured provider the outcome of the cheapest authenticated request
 * (provider-health.c, as `aura doctor` makes it), refreshed every
 * [server] health_interval seconds, but only while the owner says that
 * jobs which may call providers are queued or running.
 *
 * Must never: arm a timer or make a request while no such job exists (an
 * idle server does not wake up), probe a provider that is not configured,
 * spend quota on generation, or keep a key in what it reports.
 */
#ifndef AURA_HEALTH_H
#define AURA_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/conf.h"

struct loop;
struct http;
struct health;

enum health_state { HEALTH_UNKNOWN, HEALTH_OK, HEALTH_FAILING };

/* One provider's last verdict. */
struct health_entry {
	const char *name;	 /* "openai", ... (static) */
	enum health_state state; /* UNKNOWN until the first answer */
	int64_t latency_ms;	 /* of the last successful probe, -1 if none */
	int code;		 /* failing: a positive catalogue code, else 0 */
	char detail[256];	 /* failing: what happened, redacted; else "" */
	int64_t checked_ms;	 /* wall-clock ms of the last answer, 0 if none */
};

/*
 * Health for the providers configured in cfg: those with a key, a
 * base_url of their own, or named in a chain, that provider_usable()
 * accepts. h may be NULL (libcurl failed): every configured provider is
 * then reported failing with INTERNAL, once, and nothing runs. changed(ctx)
 * is called from the loop each time an entry's state, code or latency
 * changed. cfg must outlive the health.
 */
struct health *health_new(struct loop *l, struct http *h, const struct aura_config *cfg,
			  void (*changed)(void *ctx), void *ctx);
/* Cancel what runs (no callback) and free. NULL is fine. */
void health_free(struct health *hl);

/*
 * Whether jobs that may call providers are queued or running. Turning it
 * on probes at once if the newest round is older than the interval (or
 * there was none), else arms the timer for the rest of the interval;
 * turning it off deletes the timer (a round in flight completes, within
 * the probe timeout, and arms nothing). Cheap when nothing changes.
 */
void health_set_active(struct health *hl, bool active);
bool health_active(const struct health *hl);

/* The configured providers, in the order of aura.ini; 0 for NULL. */
size_t health_count(const struct health *hl);
/* Entry i (< health_count), valid until the next loop turn. */
const struct health_entry *health_entry(const struct health *hl, size_t i);
/* Seconds between rounds while active. */
int health_interval_s(const struct health *hl);

/* "ok", "failing", "unknown". */
const char *health_state_name(enum health_state s);

/* For tests: rounds started so far. */
uint64_t health_rounds(const struct health *hl);

#endif
