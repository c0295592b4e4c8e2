/*
 * server-methods.c -- the requests of doc/protocol.md: the dispatch table
 * (one entry per method) and the server's own requests (ping, shutdown,
 * health). The job requests are in methods-jobs.c, logs and subscribe in
 * methods-stream.c, their parameter checks in params.c. server.c owns the
 * connections and calls srv_handle() once per request line.
 *
 * Must never: block, close a connection for a bad request (it gets an
 * error answer), or answer past PROTO_MAX_LINE.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "ff/locate.h"
#include "providers/health.h"
#include "os/loop.h"
#include "client/proto.h"
#include "server/server.h"
#include "server/params.h"
#include "server/server-int.h"
#include "store/store.h"
#include "base/util.h"

/* What `aura doctor` shows as the server's view: the ffmpeg its jobs run
 * (located as the engine does, from the server's own environment), and its
 * configuration file with when it was read. The server reads it once,
 * just before it writes its pid file: that file's mtime is the moment. */
static json_t *ping_view(const struct server *s, json_t *result)
{
	struct stat st;
	json_t *read_ms = json_null(), *mtime_ms = json_null();
	const char *file = s->paths->config_file;
	if (stat(s->paths->pid_file, &st) == 0)
		read_ms = json_integer((json_int_t)st.st_mtim.tv_sec * 1000 +
				       st.st_mtim.tv_nsec / 1000000);
	if (file && stat(file, &st) == 0)
		mtime_ms = json_integer((json_int_t)st.st_mtim.tv_sec * 1000 +
					st.st_mtim.tv_nsec / 1000000);
	char *ff = locate_ffmpeg(s->cfg, NULL);
	json_object_set_new(result, "ffmpeg", ff ? json_string(ff) : json_null());
	free(ff);
	json_object_set_new(
	    result, "config",
	    json_pack("{s:o, s:b, s:o, s:o}", "file", file ? json_string(file) : json_null(),
		      "read", s->cfg->source != NULL, "read_ms", read_ms, "mtime_ms", mtime_ms));
	return result;
}

static int m_ping(struct conn *c, int64_t id, json_t *params, json_t **result,
		  struct aura_error *err)
{
	(void)id, (void)params, (void)err;
	*result = ping_view(c->s, json_pack("{s:s, s:I, s:o}", "version", PACKAGE_VERSION, "pid",
					    (json_int_t)getpid(), "store", srv_store_json(c->s)));
	return 0;
}

static void shutdown_cb(struct loop *l, void *ctx)
{
	struct server *s = ctx;
	(void)l;
	if (s->on_shutdown)
		s->on_shutdown(s->shutdown_now, s->handler_ctx);
}

static int m_shutdown(struct conn *c, int64_t id, json_t *params, json_t **result,
		      struct aura_error *err)
{
	(void)id;
	json_t *now = NULL;
	int rc = srv_param_opt(params, "now", srv_is_boolean, "true or false", &now, err);
	if (rc < 0)
		return rc;
	c->s->shutdown_now = now && json_is_true(now);
	*result = json_pack("{s:b}", "shutting_down", 1);
	return 0;
}

static int m_health(struct conn *c, int64_t id, json_t *params, json_t **result,
		    struct aura_error *err)
{
	struct server *s = c->s;
	(void)id, (void)params, (void)err;
	*result = json_pack("{s:o, s:b, s:o}", "providers", srv_health_json(s), "refreshing",
			    health_active(s->health), "interval_s",
			    s->health ? json_integer(health_interval_s(s->health)) : json_null());
	return 0;
}

static const struct method {
	const char *name;
	method_fn fn;
} methods[] = {
	{ "ping", m_ping },
	{ "submit", srv_m_submit },
	{ "new", srv_m_new },
	{ "list", srv_m_list },
	{ "get", srv_m_get },
	{ "cancel", srv_m_cancel },
	{ "pause", srv_m_pause },
	{ "resume", srv_m_resume },
	{ "retry", srv_m_retry },
	{ "rm", srv_m_rm },
	{ "logs", srv_m_logs },
	{ "subscribe", srv_m_subscribe },
	{ "shutdown", m_shutdown },
	{ "health", m_health },
	{ "batch", srv_m_batch },
	{ "clean", srv_m_clean },
	{ "priority", srv_m_priority },
	{ "pool", srv_m_pool },
	{ "stats", srv_m_stats },
};

void srv_handle(struct conn *c, json_t *msg)
{
	json_t *jid = json_object_get(msg, "id");
	if (!json_is_integer(jid)) {
		srv_reply_errf(c, PROTO_NO_ID, AURA_E_PROTO_BAD_REQUEST,
			       "a request needs an integer \"id\"");
		return;
	}
	int64_t id = json_integer_value(jid);
	if (id == PROTO_NO_ID) {
		srv_reply_errf(c, PROTO_NO_ID, AURA_E_PROTO_BAD_REQUEST, "\"id\" is out of range");
		return;
	}
	const char *name = proto_get_str(msg, "method");
	if (!name) {
		srv_reply_errf(c, id, AURA_E_PROTO_BAD_REQUEST,
			       "a request needs a \"method\" string");
		return;
	}
	json_t *params = json_object_get(msg, "params");
	if (params && json_is_null(params))
		params = NULL;
	if (params && !json_is_object(params)) {
		srv_reply_errf(c, id, AURA_E_PROTO_BAD_REQUEST, "\"params\" must be an object");
		return;
	}
	const struct method *m = NULL;
	for (size_t i = 0; i < ARRAY_LEN(methods) && !m; i++)
		if (strcmp(methods[i].name, name) == 0)
			m = &methods[i];
	if (!m) {
		srv_reply_errf(c, id, AURA_E_PROTO_BAD_REQUEST, "unknown method '%.64s'", name);
		return;
	}
	json_t *empty = params ? NULL : json_object();
	struct aura_error err;
	aura_error_clear(&err);
	json_t *result = NULL;
	/* A request reads what is saved, and its answer never tells of a
	 * write that is not: commit before, and after if it wrote; if that
	 * commit fails the answer waits until the store has caught up. */
	srv_commit(c->s);
	uint64_t writes = store_write_count(c->s->st);
	int rc = m->fn(c, id, params ? params : empty, &result, &err);
	json_decref(empty);
	if (store_write_count(c->s->st) != writes) {
		srv_commit(c->s);
		c->hold = store_behind(c->s->st);
	}
	json_t *data = c->err_data;
	c->err_data = NULL;
	if (rc < 0) {
		if (!err.code)
			aura_error_set(&err, -rc, "%s", name);
		json_t *ans = proto_response_err(id, &err);
		if (data)
			json_object_set(json_object_get(ans, "error"), "data", data);
		json_decref(data);
		srv_client_send(c, ans);
		c->hold = false;
		return;
	}
	json_decref(data);
	srv_reply_ok(c, id, result);
	c->hold = false;
	if (m->fn == srv_m_subscribe) {
		srv_send_snapshot(c);
	} else if (m->fn == m_shutdown) {
		/* Answer first; the shutdown itself starts from the loop. */
		loop_defer(c->s->loop, shutdown_cb, c->s);
	}
}
