/*
 * server-methods.c -- the requests of doc/protocol.md: parameters checked,
 * forwarded to the engine or the store, answered on the client's
 * connection. server.c owns the connections and calls srv_handle() once
 * per request line.
 *
 * Must never: block, close a connection for a bad request (it gets an
 * error answer), or answer past PROTO_MAX_LINE.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "engine/engine.h"
#include "providers/health.h"
#include "client/jobview.h"
#include "base/log.h"
#include "os/loop.h"
#include "base/paths.h"
#include "client/proto.h"
#include "server/server.h"
#include "server/server-int.h"
#include "store/store.h"
#include "base/util.h"

#define LOGS_CHUNK_MAX (256 * 1024) /* log bytes per `logs` answer */
#define SNAPSHOT_MAX   1000	    /* jobs in a subscribe snapshot */
#define PAGE_SLACK     4096	    /* room for the envelope around a job list */

/* --- request parameters --------------------------------------------------- */

static int param_job_id(json_t *params, int64_t *id, struct aura_error *err)
{
	json_t *v = json_object_get(params, "id");
	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "\"id\" must be a positive integer (a job id)");
	*id = json_integer_value(v);
	return 0;
}

/* An optional member: absent or null is fine, else it must pass `is`. */
static int param_opt(json_t *params, const char *key, int (*is)(const json_t *), const char *what,
		     json_t **out, struct aura_error *err)
{
	json_t *v = json_object_get(params, key);
	*out = NULL;
	if (v && json_is_null(v))
		v = NULL;
	if (v && !is(v))
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST, "\"%s\" must be %s", key,
				      what);
	*out = v;
	return 0;
}

static int is_string(const json_t *v)
{
	return json_is_string(v);
}
static int is_integer(const json_t *v)
{
	return json_is_integer(v);
}
static int is_object(const json_t *v)
{
	return json_is_object(v);
}
static int is_array(const json_t *v)
{
	return json_is_array(v);
}
static int is_boolean(const json_t *v)
{
	return json_is_boolean(v);
}

static int param_priority(json_t *params, int *out, struct aura_error *err)
{
	json_t *v;
	int rc = param_opt(params, "priority", is_integer, "an integer", &v, err);
	if (rc < 0)
		return rc;
	*out = 0;
	if (v) {
		json_int_t p = json_integer_value(v);
		if (p < -1000000 || p > 1000000)
			return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
					      "\"priority\" must be between -1000000 and 1000000");
		*out = (int)p;
	}
	return 0;
}

/* A string parameter of at most max bytes (checked before anything is
 * stored: no record may outgrow a protocol line, doc/protocol.md). */
static int param_max(json_t *v, const char *key, size_t max, struct aura_error *err)
{
	size_t n = json_is_string(v) ? json_string_length(v) : 0;
	if (n > max)
		return aura_error_set(err, AURA_E_PARAM_TOO_LONG,
				      "\"%s\" has %zu bytes; at most %zu are allowed", key, n, max);
	return 0;
}

/* The job's spec as JSON text, at most JOB_SPEC_MAX bytes; NULL and an
 * error (what names the parameters) when longer. */
static char *spec_text(json_t *spec, const char *what, struct aura_error *err)
{
	size_t n = json_dumpb(spec, NULL, 0, JSON_COMPACT);
	if (n > JOB_SPEC_MAX) {
		aura_error_set(err, AURA_E_PARAM_TOO_LONG,
			       "%s take %zu bytes as JSON; at most %d are allowed", what, n,
			       JOB_SPEC_MAX);
		return NULL;
	}
	char *t = json_dumps(spec, JSON_COMPACT);
	if (!t)
		aura_error_set(err, AURA_E_INTERNAL, "the job's spec could not be encoded");
	return t;
}

static const char *base_name(const char *p)
{
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		n--;
	const char *s = p + n;
	while (s > p && s[-1] != '/')
		s--;
	return s;
}

/* --- requests ------------------------------------------------------------- */

typedef int (*method_fn)(struct conn *c, int64_t id, json_t *params, json_t **result,
			 struct aura_error *err);

static int m_ping(struct conn *c, int64_t id, json_t *params, json_t **result,
		  struct aura_error *err)
{
	(void)id, (void)params, (void)err;
	*result = json_pack("{s:s, s:I, s:o}", "version", PACKAGE_VERSION, "pid",
			    (json_int_t)getpid(), "store", srv_store_json(c->s));
	return 0;
}

static json_t *job_result(const struct job *j)
{
	json_t *r = json_object();
	json_object_set_new(r, "job", proto_job_to_json(j, false));
	return r;
}

static int submit_job(struct conn *c, struct job *j, json_t **result, struct aura_error *err)
{
	int rc = engine_submit(c->s->eng, j, err);
	if (rc == 0)
		*result = job_result(j);
	job_clear(j);
	return rc;
}

static int m_submit(struct conn *c, int64_t id, json_t *params, json_t **result,
		    struct aura_error *err)
{
	(void)id;
	json_t *kind = NULL, *name = NULL, *argv = NULL, *output = NULL, *cwd = NULL;
	int priority, rc;
	if ((rc = param_opt(params, "kind", is_string, "a string", &kind, err)) < 0 ||
	    (rc = param_opt(params, "name", is_string, "a string", &name, err)) < 0 ||
	    (rc = param_opt(params, "argv", is_array, "an array of strings", &argv, err)) < 0 ||
	    (rc = param_opt(params, "output", is_string, "a string", &output, err)) < 0 ||
	    (rc = param_opt(params, "cwd", is_string, "a string", &cwd, err)) < 0 ||
	    (rc = param_priority(params, &priority, err)) < 0 ||
	    (rc = param_max(name, "name", JOB_NAME_MAX, err)) < 0 ||
	    (rc = param_max(output, "output", JOB_PATH_MAX, err)) < 0 ||
	    (rc = param_max(cwd, "cwd", JOB_PATH_MAX, err)) < 0)
		return rc;
	if (kind && strcmp(json_string_value(kind), "ffmpeg") != 0)
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "submit takes \"kind\": \"ffmpeg\" (video jobs use `new`)");
	if (!argv || json_array_size(argv) == 0)
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "\"argv\" must be a non-empty array of strings");
	size_t i;
	json_t *a;
	json_array_foreach(argv, i, a)
	{
		if (!json_is_string(a))
			return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
					      "\"argv\"[%zu] is not a string", i);
	}
	if (!cwd || json_string_value(cwd)[0] != '/')
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "\"cwd\" must be an absolute path");
	const char *out = output ? json_string_value(output) : NULL;
	if (out && !*out)
		out = NULL;
	if (out && out[0] != '/')
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "\"output\" must be an absolute path");
	if (out && (rc = paths_check_output(out, err)) < 0)
		return rc;

	json_t *spec = json_object();
	json_object_set(spec, "argv", argv);
	json_object_set(spec, "cwd", cwd);
	if (out)
		json_object_set_new(spec, "output", json_string(out));

	char *spec_json = spec_text(spec, "the FFmpeg arguments", err);
	json_decref(spec);
	if (!spec_json)
		return -err->code;

	struct job j;
	job_init(&j);
	j.kind = JOB_KIND_FFMPEG;
	j.spec = spec_json;
	j.output = xstrdup(out);
	const char *nm = name ? json_string_value(name) : NULL;
	if (!nm || !*nm)
		nm = out && *base_name(out) ? base_name(out) : "ffmpeg";
	j.name = xstrdup(nm);
	j.priority = priority;
	return submit_job(c, &j, result, err);
}

static int m_new(struct conn *c, int64_t id, json_t *params, json_t **result,
		 struct aura_error *err)
{
	(void)id;
	json_t *topic = NULL, *options = NULL, *cwd = NULL, *prio = NULL;
	int rc;
	if ((rc = param_opt(params, "topic", is_string, "a string", &topic, err)) < 0 ||
	    (rc = param_opt(params, "options", is_object, "an object", &options, err)) < 0 ||
	    (rc = param_opt(params, "cwd", is_string, "a string", &cwd, err)) < 0 ||
	    (rc = param_max(topic, "topic", JOB_TOPIC_MAX, err)) < 0 ||
	    (rc = param_max(cwd, "cwd", JOB_PATH_MAX, err)) < 0)
		return rc;
	static const char *const paths[] = {"output", "images", "music"};
	for (size_t i = 0; options && i < ARRAY_LEN(paths); i++)
		if ((rc = param_max(json_object_get(options, paths[i]), paths[i], JOB_PATH_MAX,
				    err)) < 0)
			return rc;
	if (!topic || !json_string_value(topic)[0])
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "\"topic\" must be a non-empty string");
	if (cwd && json_string_value(cwd)[0] != '/')
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "\"cwd\" must be an absolute path");
	if (options &&
	    (rc = param_opt(options, "priority", is_integer, "an integer", &prio, err)) < 0)
		return rc;

	/* every option checked now, so a bad one is an error reply, not a
	 * failed job; the output is named now, so `ls` shows it at once: the
	 * video kind does both (engine_prepare) */
	struct job j;
	job_init(&j);
	j.kind = JOB_KIND_VIDEO;
	if ((rc = engine_prepare(c->s->eng, &j, params, err)) < 0) {
		job_clear(&j);
		return rc;
	}
	char *spec_json = spec_text(params, "the video's options", err);
	if (!spec_json) {
		job_clear(&j);
		return -err->code;
	}
	j.name = xstrdup(json_string_value(topic));
	j.spec = spec_json;
	if (prio) {
		json_int_t p = json_integer_value(prio);
		j.priority = p < -1000000 ? -1000000 : p > 1000000 ? 1000000 : (int)p;
	}
	return submit_job(c, &j, result, err);
}

/* Collects JOB objects while they fit into one line. */
struct page {
	json_t *jobs;
	size_t bytes;
	size_t cap;
	bool truncated;
};

static int page_add(const struct job *j, void *ctx)
{
	struct page *p = ctx;
	json_t *o = proto_job_to_json(j, false);
	size_t n = json_dumpb(o, NULL, 0, JSON_COMPACT) + 1;
	if (p->bytes + n > p->cap) {
		json_decref(o);
		p->truncated = true;
		return 1;
	}
	p->bytes += n;
	json_array_append_new(p->jobs, o);
	return 0;
}

static void page_init(struct page *p)
{
	p->jobs = json_array();
	p->bytes = 0;
	p->cap = PROTO_MAX_LINE - PAGE_SLACK;
	p->truncated = false;
}

/* `list` with "text": every job of the state is matched (jobview_matches,
 * the same test the TUI applies to live updates), counted, and the page
 * [off, off + lim) of the matches kept. */
struct text_page {
	struct page *p;
	struct jobview_filter f;
	int64_t off, lim, seen;
};

static int text_add(const struct job *j, void *ctx)
{
	struct text_page *tp = ctx;
	if (!jobview_matches(&tp->f, j))
		return 0;
	if (tp->seen >= tp->off && (tp->lim <= 0 || tp->seen < tp->off + tp->lim) &&
	    !tp->p->truncated)
		page_add(j, tp->p);
	tp->seen++;
	return 0; /* on to the end: the total counts every match */
}

static int m_list(struct conn *c, int64_t id, json_t *params, json_t **result,
		  struct aura_error *err)
{
	(void)id;
	json_t *state = NULL, *offset = NULL, *limit = NULL, *text = NULL, *counts = NULL;
	int rc;
	if ((rc = param_opt(params, "state", is_string, "a string", &state, err)) < 0 ||
	    (rc = param_opt(params, "offset", is_integer, "an integer", &offset, err)) < 0 ||
	    (rc = param_opt(params, "limit", is_integer, "an integer", &limit, err)) < 0 ||
	    (rc = param_opt(params, "text", is_string, "a string", &text, err)) < 0 ||
	    (rc = param_opt(params, "counts", is_boolean, "true or false", &counts, err)) < 0)
		return rc;
	int st = -1;
	if (state && (st = job_state_parse(json_string_value(state))) < 0)
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST, "unknown state '%s'",
				      json_string_value(state));
	int64_t off = offset ? json_integer_value(offset) : 0;
	int64_t lim = limit ? json_integer_value(limit) : 0;
	if (off < 0)
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST, "\"offset\" must be >= 0");
	const char *txt = text && json_string_value(text)[0] ? json_string_value(text) : NULL;

	struct page p;
	page_init(&p);
	int64_t total;
	if (txt) {
		struct text_page tp = {&p, {(char *)txt, st}, off, lim, 0};
		rc = engine_list(c->s->eng, st, 0, 0, text_add, &tp, err);
		total = tp.seen;
	} else {
		total = store_job_count(c->s->st, st);
		if (total < 0) {
			json_decref(p.jobs);
			return aura_error_set(err, (int)-total, "counting jobs failed");
		}
		rc = engine_list(c->s->eng, st, off, lim, page_add, &p, err);
	}
	if (rc < 0) {
		json_decref(p.jobs);
		return rc;
	}
	*result = json_object();
	json_object_set_new(*result, "jobs", p.jobs);
	json_object_set_new(*result, "total", json_integer(total));
	json_object_set_new(*result, "store", srv_store_json(c->s));
	if (counts && json_is_true(counts)) {
		json_t *cnt = json_object();
		for (int s = 0; s < JOB_STATE__COUNT; s++) {
			int64_t n = store_job_count(c->s->st, s);
			json_object_set_new(cnt, job_state_name((enum job_state)s),
					    json_integer(n < 0 ? 0 : n));
		}
		json_object_set_new(*result, "counts", cnt);
	}
	return 0;
}

static int m_get(struct conn *c, int64_t id, json_t *params, json_t **result,
		 struct aura_error *err)
{
	(void)id;
	int64_t jid;
	int rc = param_job_id(params, &jid, err);
	if (rc < 0)
		return rc;
	struct job j;
	job_init(&j);
	if ((rc = engine_get(c->s->eng, jid, &j, err)) < 0) {
		job_clear(&j);
		return rc;
	}
	struct stage *stages = NULL;
	int n = 0;
	rc = store_stage_list(c->s->st, jid, &stages, &n, err);
	if (rc < 0) {
		job_clear(&j);
		return rc;
	}
	json_t *arr = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(arr, proto_stage_to_json(&stages[i]));
	stage_list_free(stages, n);
	*result = json_object();
	json_object_set_new(*result, "job", proto_job_to_json(&j, true));
	json_object_set_new(*result, "stages", arr);
	json_object_set_new(*result, "store", srv_store_json(c->s));
	job_clear(&j);
	return 0;
}

static int job_action(struct conn *c, json_t *params, json_t **result, struct aura_error *err,
		      int (*fn)(struct engine *, int64_t, struct aura_error *))
{
	int64_t jid;
	int rc = param_job_id(params, &jid, err);
	if (rc < 0 || (rc = fn(c->s->eng, jid, err)) < 0)
		return rc;
	struct job j;
	job_init(&j);
	rc = engine_get(c->s->eng, jid, &j, err);
	if (rc == 0)
		*result = job_result(&j);
	job_clear(&j);
	return rc;
}

static int m_cancel(struct conn *c, int64_t id, json_t *params, json_t **result,
		    struct aura_error *err)
{
	(void)id;
	return job_action(c, params, result, err, engine_cancel);
}

static int m_pause(struct conn *c, int64_t id, json_t *params, json_t **result,
		   struct aura_error *err)
{
	(void)id;
	return job_action(c, params, result, err, engine_pause);
}

static int m_resume(struct conn *c, int64_t id, json_t *params, json_t **result,
		    struct aura_error *err)
{
	(void)id;
	return job_action(c, params, result, err, engine_resume);
}

static int m_retry(struct conn *c, int64_t id, json_t *params, json_t **result,
		   struct aura_error *err)
{
	(void)id;
	return job_action(c, params, result, err, engine_retry);
}

static int m_rm(struct conn *c, int64_t id, json_t *params, json_t **result,
		struct aura_error *err)
{
	(void)id;
	int64_t jid;
	int rc = param_job_id(params, &jid, err);
	if (rc < 0 || (rc = engine_remove(c->s->eng, jid, err)) < 0)
		return rc;
	*result = json_pack("{s:I}", "id", (json_int_t)jid);
	return 0;
}

/*
 * Up to LOGS_CHUNK_MAX bytes of job.log from offset, ending after a newline
 * when the chunk holds one; halved (again at a newline) while the answer's
 * JSON would pass srv_answer_max (the line cap, or half of client_buffer:
 * escaping can make it up to 6x larger). A read that reaches the end of
 * the file lets the job's log events flow to this client again, if a
 * log_gap held them back.
 */
static int m_logs(struct conn *c, int64_t id, json_t *params, json_t **result,
		  struct aura_error *err)
{
	int64_t jid;
	json_t *offset = NULL;
	int rc;
	if ((rc = param_job_id(params, &jid, err)) < 0 ||
	    (rc = param_opt(params, "offset", is_integer, "an integer", &offset, err)) < 0)
		return rc;
	int64_t off = offset ? json_integer_value(offset) : 0;
	if (off < 0)
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST, "\"offset\" must be >= 0");
	struct job j;
	job_init(&j);
	rc = engine_get(c->s->eng, jid, &j, err);
	job_clear(&j);
	if (rc < 0)
		return rc;

	char *dir = paths_job_dir(c->s->paths, jid);
	char *path = xasprintf("%s/job.log", dir);
	free(dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 && errno != ENOENT) {
		rc = aura_error_set(err, AURA_E_INTERNAL, "%s: %s", path, strerror(errno));
		free(path);
		return rc;
	}
	size_t cap = srv_answer_max(c->s);
	size_t max = LOGS_CHUNK_MAX < cap / 2 ? LOGS_CHUNK_MAX : cap / 2;
	char *data = xmalloc(max);
	size_t n = 0;
	bool eof = fd < 0;
	while (fd >= 0 && n < max) {
		ssize_t r = pread(fd, data + n, max - n, (off_t)(off + (int64_t)n));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = aura_error_set(err, AURA_E_INTERNAL, "%s: %s", path, strerror(errno));
			break;
		}
		if (r == 0) {
			eof = true;
			break;
		}
		n += (size_t)r;
	}
	if (fd >= 0)
		close(fd);
	free(path);
	if (rc < 0) {
		free(data);
		return rc;
	}
	if (eof)
		srv_log_caught_up(c, jid);
	for (;;) {
		const char *nl = n ? memrchr(data, '\n', n) : NULL;
		if (nl)
			n = (size_t)(nl - data) + 1;
		json_t *res = json_object();
		json_object_set_new(res, "data", proto_stringn(data, n));
		json_object_set_new(res, "offset", json_integer(off + (int64_t)n));
		json_t *probe = proto_response_ok(id, json_incref(res));
		size_t len = json_dumpb(probe, NULL, 0, JSON_COMPACT) + 1;
		json_decref(probe);
		if (len <= cap || n == 0) {
			*result = res;
			break;
		}
		json_decref(res);
		n /= 2;
	}
	free(data);
	return 0;
}

static int m_subscribe(struct conn *c, int64_t id, json_t *params, json_t **result,
		       struct aura_error *err)
{
	(void)id;
	json_t *ids = NULL, *logs = NULL, *progress = NULL;
	int rc;
	if ((rc = param_opt(params, "ids", is_array, "an array of job ids", &ids, err)) < 0 ||
	    (rc = param_opt(params, "logs", is_boolean, "true or false", &logs, err)) < 0 ||
	    (rc = param_opt(params, "progress", is_boolean, "true or false", &progress, err)) < 0)
		return rc;
	if (c->s->shutdown_pending)
		return aura_error_set(err, AURA_E_SERVER_SHUTTING_DOWN, "no new subscriptions");
	size_t n = ids ? json_array_size(ids) : 0;
	int64_t *v = n ? xmalloc(n * sizeof(*v)) : NULL;
	for (size_t i = 0; i < n; i++) {
		json_t *x = json_array_get(ids, i);
		if (!json_is_integer(x) || json_integer_value(x) <= 0) {
			free(v);
			return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
					      "\"ids\"[%zu] is not a job id", i);
		}
		v[i] = json_integer_value(x);
	}
	free(c->ids);
	c->ids = v;
	c->nids = n;
	c->logs = logs && json_is_true(logs);
	c->progress = !progress || json_is_true(progress);
	if (!c->subscribed)
		c->s->nsubscribed++;
	c->subscribed = true;
	c->ndirty = 0;
	*result = json_pack("{s:b}", "subscribed", 1);
	return 0;
}

/* After the subscribe answer: the snapshot, newest first, within the cap. */
static void send_snapshot(struct conn *c)
{
	struct page p;
	page_init(&p);
	if (c->nids == 0) {
		struct aura_error err = {0};
		if (engine_list(c->s->eng, -1, 0, SNAPSHOT_MAX, page_add, &p, &err) < 0)
			log_error("server: snapshot for client fd %d: %s: %s", c->fd,
				  aura_error_name(err.code), err.detail);
	} else {
		for (size_t i = 0; i < c->nids && !p.truncated; i++) {
			struct job j;
			job_init(&j);
			if (engine_get(c->s->eng, c->ids[i], &j, NULL) == 0)
				page_add(&j, &p);
			job_clear(&j);
		}
	}
	if (p.truncated)
		log_info("server: snapshot for client fd %d cut at %zu jobs (line cap)", c->fd,
			 json_array_size(p.jobs));
	json_t *ev = proto_event("snapshot");
	json_object_set_new(ev, "jobs", p.jobs);
	json_object_set_new(ev, "providers", srv_health_json(c->s));
	json_object_set_new(ev, "store", srv_store_json(c->s));
	srv_client_send(c, ev);
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
	int rc = param_opt(params, "now", is_boolean, "true or false", &now, err);
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
    {"ping", m_ping},	      {"submit", m_submit}, {"new", m_new},	{"list", m_list},
    {"get", m_get},	      {"cancel", m_cancel}, {"pause", m_pause}, {"resume", m_resume},
    {"retry", m_retry},	      {"rm", m_rm},	    {"logs", m_logs},	{"subscribe", m_subscribe},
    {"shutdown", m_shutdown}, {"health", m_health},
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
	if (rc < 0) {
		if (!err.code)
			aura_error_set(&err, -rc, "%s", name);
		srv_reply_err(c, id, &err);
		c->hold = false;
		return;
	}
	srv_reply_ok(c, id, result);
	c->hold = false;
	if (m->fn == m_subscribe) {
		send_snapshot(c);
	} else if (m->fn == m_shutdown) {
		/* Answer first; the shutdown itself starts from the loop. */
		loop_defer(c->s->loop, shutdown_cb, c->s);
	}
}
