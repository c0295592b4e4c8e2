/*
 * methods-pool.c -- the `pool` request of doc/protocol.md (`aura pool`):
 * change a pool's max_jobs or pause/resume its queue at run time, and the
 * pool list; plus what a job's JSON says of its dependencies ("after",
 * and the "waiting for #3" substate while they may still succeed).
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/shsplit.h"
#include "base/util.h"
#include "client/proto.h"
#include "engine/engine.h"
#include "server/params.h"
#include "server/server-int.h"
#include "store/store.h"

void srv_pool_json_more(struct server *s, json_t *o, const struct pool_config *p)
{
	int64_t q = store_pool_queued(s->st, p->name);
	json_object_set_new(o, "queued", json_integer(q < 0 ? 0 : q));
	json_object_set_new(o, "paused", json_boolean(engine_pool_paused(s->eng, p->name)));
	json_object_set_new(o, "ini_max_jobs", json_integer(config_pool_max_jobs(s->cfg, p)));
}

void srv_job_json_after(struct server *s, json_t *o, const struct job *j)
{
	struct store_dep *d = NULL;
	size_t n = 0;
	if (store_deps_of(s->st, j->id, &d, &n, NULL) < 0 || n == 0) {
		free(d);
		return;
	}
	json_t *a = json_array();
	struct buf why;
	buf_init(&why);
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(a, json_integer(d[i].id));
		if (d[i].state == JOB_QUEUED || d[i].state == JOB_RUNNING ||
		    d[i].state == JOB_PAUSED)
			buf_printf(&why, "%s#%lld", why.len ? ", " : "waiting for ",
				   (long long)d[i].id);
	}
	json_object_set_new(o, "after", a);
	if (j->state == JOB_QUEUED && why.len && !j->substate)
		json_object_set_new(o, "substate", json_string(why.data));
	buf_free(&why);
	free(d);
}

/* Tell every subscriber the pools after a change (a `pools` event): the
 * TUI's header shows limits and pauses without polling. */
static void pools_event(struct server *s)
{
	json_t *ev = proto_event("pools");
	json_object_set_new(ev, "pools", srv_pools_json(s));
	srv_broadcast(s, ev);
}

int srv_m_pool(struct conn *c, int64_t id, json_t *params, json_t **result, struct aura_error *err)
{
	(void)id;
	json_t *name = NULL, *max = NULL, *paused = NULL, *running = NULL;
	int rc;
	if ((rc = srv_param_opt(params, "name", srv_is_string, "a string", &name, err)) < 0 ||
	    (rc = srv_param_opt(params, "max_jobs", srv_is_integer, "an integer", &max, err)) < 0 ||
	    (rc = srv_param_opt(params, "paused", srv_is_boolean, "true or false", &paused, err)) <
		0 ||
	    (rc = srv_param_opt(params, "running", srv_is_boolean, "true or false", &running,
				err)) < 0)
		return rc;
	if (!name && (max || paused || running))
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "\"max_jobs\", \"paused\" and \"running\" need \"name\"");
	if (max && (json_integer_value(max) < 0 || json_integer_value(max) > 100000))
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "\"max_jobs\" must be from 1 to 100000 (0: aura.ini's)");
	if (running && json_is_true(running) && !(paused && json_is_true(paused)))
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "\"running\": true goes with \"paused\": true");
	if (name) {
		rc = engine_pool_set(
		    c->s->eng, json_string_value(name), max ? (int)json_integer_value(max) : -1,
		    paused ? json_is_true(paused) : -1, running && json_is_true(running), err);
		if (rc < 0)
			return rc;
		pools_event(c->s);
	}
	*result = json_object();
	json_object_set_new(*result, "pools", srv_pools_json(c->s));
	return 0;
}

/* "after": [ID, ...] (jobs that must succeed first) and "on_done": CMD of
 * a submit, new or batch row, into j. */
int srv_param_after(json_t *params, struct job *j, struct aura_error *err)
{
	json_t *after = NULL, *hook = NULL;
	int rc;
	if ((rc = srv_param_opt(params, "after", srv_is_array, "an array of job ids", &after,
				err)) < 0 ||
	    (rc = srv_param_opt(params, "on_done", srv_is_string, "a string", &hook, err)) < 0 ||
	    (rc = srv_param_max(hook, "on_done", JOB_PATH_MAX, err)) < 0)
		return rc;
	if (hook && json_string_value(hook)[0]) { /* refused now, not when the job ends */
		char **argv = NULL;
		int argc = 0;
		rc = shsplit(json_string_value(hook), &argv, &argc, err);
		shsplit_free(argv);
		if (rc < 0)
			return aura_error_set(err, AURA_E_USAGE, "on_done: %s", err->detail);
	}
	size_t n = json_array_size(after);
	if (n > SRV_AFTER_MAX)
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "\"after\" names %zu jobs; at most %d", n, SRV_AFTER_MAX);
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(after, i);
		if (!json_is_integer(v) || json_integer_value(v) <= 0)
			return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
					      "\"after\"[%zu] is not a job id", i);
	}
	free(j->after);
	j->after = n ? xcalloc(n, sizeof(*j->after)) : NULL;
	j->nafter = n;
	for (size_t i = 0; i < n; i++)
		j->after[i] = json_integer_value(json_array_get(after, i));
	free(j->on_done);
	j->on_done = hook && json_string_value(hook)[0] ? xstrdup(json_string_value(hook)) : NULL;
	return 0;
}
