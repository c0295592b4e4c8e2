/*
 * health.c -- background health of the configured online providers, for
 * the server (doc/providers.md, "Health"): rounds of provider_probe_start
 * (one request per provider, all at once, 4 s each, no retry), the last
 * verdict per provider, and one timer between rounds that exists only
 * while the server says jobs that may call providers are queued or
 * running.
 *
 * The probes go through providers of their own, not the engine's: a probe
 * must reach the network every time (no circuit breaker in the way, so a
 * recovered provider shows as recovered), and a failing probe must not
 * open the breaker that jobs' calls depend on.
 *
 * Must never: arm a timer or start a request while inactive, probe a
 * provider that is not configured, block, or keep or report a key (the
 * detail comes from provider.c, redacted).
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "base/errors.h"
#include "providers/health.h"
#include "providers/http.h"
#include "base/log.h"
#include "os/loop.h"
#include "providers/provider.h"
#include "providers/services.h"
#include "base/util.h"

#define PROBE_TIMEOUT_MS 4000 /* the 3 to 5 s, as `aura doctor` */
#define PROBE_CONNECT_MS 3000
#define MAX_PROVIDERS	 8

struct health;

struct slot {
	struct health *hl;
	struct provider *p; /* NULL until the first round */
	struct health_entry e;
	bool in_flight;
};

struct health {
	struct loop *loop;
	struct http *http;
	const struct aura_config *cfg;
	void (*changed)(void *ctx);
	void *ctx;
	struct slot slots[MAX_PROVIDERS];
	size_t n;
	int interval_s;
	bool active;
	uint64_t timer;
	int pending;	    /* probes of the current round not answered yet */
	int64_t round_mono; /* when the newest round started, 0 none */
	uint64_t rounds;
};

const char *health_state_name(enum health_state s)
{
	switch (s) {
	case HEALTH_OK:
		return "ok";
	case HEALTH_FAILING:
		return "failing";
	default:
		return "unknown";
	}
}

/* The rule of `aura doctor`: mentioned by the user, and callable. */
static bool configured(const struct aura_config *cfg, const char *name)
{
	return provider_mentioned(cfg, name) && provider_usable(cfg, name);
}

static void round_start(struct health *hl);

static void timer_cb(struct loop *l, void *ctx)
{
	struct health *hl = ctx;
	(void)l;
	hl->timer = 0;
	if (hl->active)
		round_start(hl);
}

/* While active and idle between rounds: the timer for the next round. */
static void arm(struct health *hl)
{
	int64_t due, now = time_mono_ms();

	if (!hl->active || hl->pending > 0 || hl->timer || !hl->http)
		return;
	due = hl->round_mono ? hl->round_mono + (int64_t)hl->interval_s * 1000 : now;
	if (due <= now)
		round_start(hl);
	else
		hl->timer = loop_timer_add(hl->loop, due - now, timer_cb, hl);
}

static void probe_done(const struct provider_outcome *o, void *ctx)
{
	struct slot *s = ctx;
	struct health *hl = s->hl;
	struct health_entry old = s->e;
	struct health_entry *e = &s->e;

	s->in_flight = false;
	hl->pending--;
	e->checked_ms = time_now_ms();
	if (o->code == 0) {
		e->state = HEALTH_OK;
		e->code = 0;
		e->detail[0] = '\0';
		e->latency_ms = o->elapsed_ms;
	} else {
		e->state = HEALTH_FAILING;
		e->code = o->code;
		str_copy(e->detail, o->detail, sizeof(e->detail));
		e->latency_ms = -1;
	}
	if (old.state != e->state || old.code != e->code) {
		if (e->state == HEALTH_OK)
			log_info("provider health: %s ok (%lld ms)", e->name,
				 (long long)e->latency_ms);
		else
			log_warn("provider health: %s failing: %s: %s", e->name,
				 aura_error_name(e->code), e->detail);
	}
	if (old.state != e->state || old.code != e->code || old.latency_ms != e->latency_ms) {
		if (hl->changed)
			hl->changed(hl->ctx);
	}
	if (hl->pending == 0)
		arm(hl);
}

static void round_start(struct health *hl)
{
	hl->round_mono = time_mono_ms();
	hl->rounds++;
	for (size_t i = 0; i < hl->n; i++) {
		struct slot *s = &hl->slots[i];
		if (s->in_flight)
			continue;
		if (!s->p) {
			const struct provider_config *pc = provider_config_for(hl->cfg, s->e.name);
			struct provider_policy pol;
			provider_policy_default(&pol, PROBE_TIMEOUT_MS / 1000);
			pol.max_attempts = 1;
			pol.connect_timeout_ms = PROBE_CONNECT_MS;
			pol.timeout_ms = PROBE_TIMEOUT_MS;
			pol.breaker_threshold = INT_MAX;
			s->p = provider_new(hl->loop, hl->http, s->e.name,
					    provider_base_url(hl->cfg, s->e.name),
					    config_api_key(pc), &pol);
		}
		s->in_flight = true;
		hl->pending++;
		/* The answer always comes later, from the loop. */
		provider_probe_start(s->p, probe_done, s);
	}
	log_debug("provider health: round %llu, %d probe%s", (unsigned long long)hl->rounds,
		  hl->pending, hl->pending == 1 ? "" : "s");
}

struct health *health_new(struct loop *l, struct http *h, const struct aura_config *cfg,
			  void (*changed)(void *ctx), void *ctx)
{
	struct health *hl = xcalloc(1, sizeof(*hl));

	hl->loop = l;
	hl->http = h;
	hl->cfg = cfg;
	hl->changed = changed;
	hl->ctx = ctx;
	hl->interval_s = cfg->health_interval > 0 ? cfg->health_interval : 300;
	for (size_t k = 0; provider_names[k] && hl->n < MAX_PROVIDERS; k++) {
		struct slot *s;
		if (!configured(cfg, provider_names[k]))
			continue;
		s = &hl->slots[hl->n++];
		s->hl = hl;
		s->e.name = provider_names[k];
		s->e.latency_ms = -1;
		if (!h) {
			s->e.state = HEALTH_FAILING;
			s->e.code = AURA_E_INTERNAL;
			str_copy(s->e.detail, "libcurl failed to start: online providers are off",
				 sizeof(s->e.detail));
		}
	}
	return hl;
}

void health_free(struct health *hl)
{
	if (!hl)
		return;
	loop_timer_del(hl->loop, hl->timer);
	for (size_t i = 0; i < hl->n; i++)
		provider_free(hl->slots[i].p); /* cancels a probe: no callback */
	free(hl);
}

void health_set_active(struct health *hl, bool active)
{
	if (!hl || hl->n == 0 || active == hl->active)
		return;
	hl->active = active;
	if (active) {
		log_debug("provider health: jobs may call providers; refreshing every %d s",
			  hl->interval_s);
		arm(hl);
	} else {
		log_debug("provider health: no job needs providers; refreshing stops");
		loop_timer_del(hl->loop, hl->timer);
		hl->timer = 0;
	}
}

bool health_active(const struct health *hl)
{
	return hl && hl->active;
}

size_t health_count(const struct health *hl)
{
	return hl ? hl->n : 0;
}

const struct health_entry *health_entry(const struct health *hl, size_t i)
{
	return i < hl->n ? &hl->slots[i].e : NULL;
}

int health_interval_s(const struct health *hl)
{
	return hl->interval_s;
}

uint64_t health_rounds(const struct health *hl)
{
	return hl ? hl->rounds : 0;
}
