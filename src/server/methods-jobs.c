/*
 * methods-jobs.c -- the job requests of doc/protocol.md: submit, new,
 * list, get, cancel, pause, resume, retry and rm, forwarded to the engine
 * or the store. The dispatch table is server-methods.c's.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "engine/engine.h"
#include "engine/task.h"
#include "client/jobview.h"
#include "base/paths.h"
#include "client/proto.h"
#include "server/params.h"
#include "server/server-int.h"
#include "store/store.h"
#include "base/util.h"

#define PAGE_SLACK 4096 /* room for the envelope around a job list */

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

/* No name given: the output FFmpeg will write, else the first input,
 * read from the arguments as the task reads them; else "ffmpeg". */
static char *ffmpeg_job_name(json_t *argv)
{
	size_t n = json_array_size(argv);
	const char **args = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		args[i] = json_string_value(json_array_get(argv, i));
	char *name = task_ffmpeg_name(args, n);
	free(args);
	if (name && strlen(name) > JOB_NAME_MAX) {
		size_t cut = JOB_NAME_MAX; /* on a character's start */
		while (cut > 0 && ((unsigned char)name[cut] & 0xC0) == 0x80)
			cut--;
		name[cut] = '\0';
	}
	return name ? name : xstrdup("ffmpeg");
}

static json_t *job_result(const struct job *j)
{
	json_t *r = json_object();
	json_object_set_new(r, "job", proto_job_to_json(j, false));
	return r;
}

/* Queue j (with its key, if the request has one); a key already used
 * answers with its job and "existing": true. */
static int submit_job(struct conn *c, struct job *j, const char *key, json_t **result,
		      struct aura_error *err)
{
	j->key = xstrdup(key);
	int rc = engine_submit(c->s->eng, j, err);
	if (rc >= 0) {
		*result = job_result(j);
		if (rc == ENGINE_SUBMIT_EXISTING)
			json_object_set_new(*result, "existing", json_true());
		rc = 0;
	}
	job_clear(j);
	return rc;
}

int srv_job_from_submit(struct conn *c, json_t *params, struct job *j, const char **keyp,
			struct aura_error *err)
{
	(void)c;
	json_t *kind = NULL, *name = NULL, *argv = NULL, *output = NULL, *cwd = NULL;
	const char *key, *pool;
	int priority, rc;
	if ((rc = srv_param_key(params, &key, err)) < 0 ||
	    (rc = srv_param_pool(params, &pool, err)) < 0 ||
	    (rc = srv_param_opt(params, "kind", srv_is_string, "a string", &kind, err)) < 0 ||
	    (rc = srv_param_opt(params, "name", srv_is_string, "a string", &name, err)) < 0 ||
	    (rc = srv_param_opt(params, "argv", srv_is_array, "an array of strings", &argv, err)) <
		0 ||
	    (rc = srv_param_opt(params, "output", srv_is_string, "a string", &output, err)) < 0 ||
	    (rc = srv_param_opt(params, "cwd", srv_is_string, "a string", &cwd, err)) < 0 ||
	    (rc = srv_param_priority(params, &priority, err)) < 0 ||
	    (rc = srv_param_max(name, "name", JOB_NAME_MAX, err)) < 0 ||
	    (rc = srv_param_max(output, "output", JOB_PATH_MAX, err)) < 0 ||
	    (rc = srv_param_max(cwd, "cwd", JOB_PATH_MAX, err)) < 0)
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
	/* no cwd (a remote client: doc/remote.md): the job's work directory */
	if (cwd && json_string_value(cwd)[0] != '/')
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
	if (cwd)
		json_object_set(spec, "cwd", cwd);
	if (out)
		json_object_set_new(spec, "output", json_string(out));

	char *spec_json = srv_spec_text(spec, "the FFmpeg arguments", err);
	json_decref(spec);
	if (!spec_json)
		return -err->code;

	job_init(j);
	j->kind = JOB_KIND_FFMPEG;
	j->spec = spec_json;
	j->output = xstrdup(out);
	const char *nm = name ? json_string_value(name) : NULL;
	if (nm && *nm)
		j->name = xstrdup(nm);
	else if (out && *base_name(out))
		j->name = xstrdup(base_name(out));
	else
		j->name = ffmpeg_job_name(argv);
	j->priority = priority;
	j->pool = xstrdup(pool);
	*keyp = key;
	if ((rc = srv_param_after(params, j, err)) < 0 ||
	    (rc = engine_pool_resolve(c->s->eng, j, err)) < 0)
		job_clear(j);
	return rc;
}

int srv_m_submit(struct conn *c, int64_t id, json_t *params, json_t **result,
		 struct aura_error *err)
{
	(void)id;
	struct job j;
	const char *key;
	int rc = srv_job_from_submit(c, params, &j, &key, err);
	return rc < 0 ? rc : submit_job(c, &j, key, result, err);
}

int srv_job_from_new(struct conn *c, json_t *params, struct job *jp, const char **keyp,
		     struct aura_error *err)
{
	job_init(jp);
	json_t *topic = NULL, *options = NULL, *cwd = NULL, *prio = NULL, *name = NULL;
	const char *key, *pool;
	int rc;
	if ((rc = srv_param_key(params, &key, err)) < 0 ||
	    (rc = srv_param_pool(params, &pool, err)) < 0 ||
	    (rc = srv_param_opt(params, "topic", srv_is_string, "a string", &topic, err)) < 0 ||
	    (rc = srv_param_opt(params, "name", srv_is_string, "a string", &name, err)) < 0 ||
	    (rc = srv_param_max(name, "name", JOB_NAME_MAX, err)) < 0 ||
	    (rc = srv_param_opt(params, "options", srv_is_object, "an object", &options, err)) <
		0 ||
	    (rc = srv_param_opt(params, "cwd", srv_is_string, "a string", &cwd, err)) < 0 ||
	    (rc = srv_param_max(topic, "topic", JOB_TOPIC_MAX, err)) < 0 ||
	    (rc = srv_param_max(cwd, "cwd", JOB_PATH_MAX, err)) < 0)
		return rc;
	static const char *const paths[] = { "output",	    "images",	 "music",
					     "script_path", "from_path", "output_path" };
	for (size_t i = 0; options && i < ARRAY_LEN(paths); i++)
		if ((rc = srv_param_max(json_object_get(options, paths[i]), paths[i], JOB_PATH_MAX,
					err)) < 0)
			return rc;
	/* a remote client's --script or --from without a topic: the server
	 * takes it from the file (video/new-remote.c) */
	bool from_file = options && (json_object_get(options, "script_path") ||
				     json_object_get(options, "from_path"));
	if ((!topic && !from_file) || (topic && !json_string_value(topic)[0]))
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "\"topic\" must be a non-empty string");
	if (cwd && json_string_value(cwd)[0] != '/')
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "\"cwd\" must be an absolute path");
	if (options &&
	    (rc = srv_param_opt(options, "priority", srv_is_integer, "an integer", &prio, err)) < 0)
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
	topic = json_object_get(params, "topic"); /* set by prepare when it was not */
	if (!json_is_string(topic)) {
		job_clear(&j);
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "\"topic\" must be a non-empty string");
	}
	char *spec_json = srv_spec_text(params, "the video's options", err);
	if (!spec_json) {
		job_clear(&j);
		return -err->code;
	}
	/* `new --variants`: "TOPIC (variant i/N)"; else the topic */
	const char *nm = name ? json_string_value(name) : "";
	j.name = xstrdup(*nm ? nm : json_string_value(topic));
	j.spec = spec_json;
	if (prio) {
		json_int_t p = json_integer_value(prio);
		j.priority = p < -1000000 ? -1000000 : p > 1000000 ? 1000000 : (int)p;
	}
	j.pool = xstrdup(pool);
	*jp = j;
	*keyp = key;
	if ((rc = srv_param_after(params, jp, err)) < 0 ||
	    (rc = engine_pool_resolve(c->s->eng, jp, err)) < 0)
		job_clear(jp);
	return rc;
}

int srv_m_new(struct conn *c, int64_t id, json_t *params, json_t **result, struct aura_error *err)
{
	(void)id;
	struct job j;
	const char *key;
	int rc = srv_job_from_new(c, params, &j, &key, err);
	return rc < 0 ? rc : submit_job(c, &j, key, result, err);
}

int srv_page_add(const struct job *j, void *ctx)
{
	struct page *p = ctx;
	json_t *o = proto_job_to_json(j, false);
	if (p->srv)
		srv_job_json_after(p->srv, o, j);
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

void srv_page_init(struct page *p)
{
	p->jobs = json_array();
	p->bytes = 0;
	p->cap = PROTO_MAX_LINE - PAGE_SLACK;
	p->truncated = false;
	p->srv = NULL;
}

/* `list` with "text": every job of the state is matched (jobview_matches,
 * the same test the TUI applies to live updates), counted, and the page
 * [off, off + lim) of the matches kept. */
struct text_page {
	struct page *p; /* NULL: only count and locate */
	struct jobview_filter f;
	int64_t off, lim, seen;
	int64_t locate, at; /* the job asked for, and where it is (-1: not met) */
};

static int text_add(const struct job *j, void *ctx)
{
	struct text_page *tp = ctx;
	if (!jobview_matches(&tp->f, j))
		return 0;
	if (j->id == tp->locate)
		tp->at = tp->seen;
	if (tp->p && tp->seen >= tp->off && (tp->lim <= 0 || tp->seen < tp->off + tp->lim) &&
	    !tp->p->truncated)
		srv_page_add(j, tp->p);
	tp->seen++;
	return 0; /* on to the end: the total counts every match */
}

/* The window of `lim` rows around position `at` in a list of `total`:
 * the job in the middle, but no further than the list's end. */
static int64_t window_at(int64_t at, int64_t lim, int64_t total)
{
	if (at < 0 || lim <= 0)
		return 0;
	int64_t off = at - lim / 2;
	if (off > total - lim)
		off = total - lim;
	return off < 0 ? 0 : off;
}

/* Each pool with its executor, limit and the jobs holding its slots. */
json_t *srv_pools_json(struct server *s)
{
	json_t *a = json_array();
	for (size_t i = 0; i < config_pool_count(s->cfg); i++) {
		const struct pool_config *p = config_pool_at(s->cfg, i);
		json_t *o = json_object();
		json_object_set_new(o, "name", json_string(p->name));
		json_object_set_new(o, "executor",
				    json_string(config_pool_executor_name(p->executor)));
		json_object_set_new(o, "max_jobs", json_integer(engine_pool_limit(s->eng, p)));
		json_object_set_new(o, "running",
				    json_integer(engine_pool_running(s->eng, p->name)));
		srv_pool_json_more(s, o, p);
		json_array_append_new(a, o);
	}
	return a;
}

int srv_m_list(struct conn *c, int64_t id, json_t *params, json_t **result, struct aura_error *err)
{
	(void)id;
	json_t *state = NULL, *offset = NULL, *limit = NULL, *text = NULL, *counts = NULL,
	       *batch_id = NULL, *batch_obj = NULL, *sort = NULL, *desc = NULL, *locate = NULL;
	int rc;
	if ((rc = srv_param_opt(params, "state", srv_is_string, "a string", &state, err)) < 0 ||
	    (rc = srv_param_opt(params, "offset", srv_is_integer, "an integer", &offset, err)) <
		0 ||
	    (rc = srv_param_opt(params, "limit", srv_is_integer, "an integer", &limit, err)) < 0 ||
	    (rc = srv_param_opt(params, "text", srv_is_string, "a string", &text, err)) < 0 ||
	    (rc = srv_param_opt(params, "counts", srv_is_boolean, "true or false", &counts, err)) <
		0 ||
	    (rc = srv_param_opt(params, "batch_id", srv_is_integer, "an integer", &batch_id, err)) <
		0 ||
	    (rc = srv_param_opt(params, "sort", srv_is_string, "a string", &sort, err)) < 0 ||
	    (rc = srv_param_opt(params, "desc", srv_is_boolean, "true or false", &desc, err)) < 0 ||
	    (rc = srv_param_opt(params, "locate", srv_is_integer, "an integer", &locate, err)) < 0)
		return rc;
	int by = STORE_SORT_ID;
	bool down = desc ? json_is_true(desc) : !sort; /* the default: id, newest first */
	if (sort && (rc = srv_param_sort(json_string_value(sort), &by, &down, err)) < 0)
		return rc;
	bool sorted = !(by == STORE_SORT_ID && down);
	if (sorted && (batch_id || json_object_get(params, "batch")))
		return aura_error_set(
		    err, AURA_E_PROTO_BAD_REQUEST,
		    "\"sort\" does not apply to a batch's list (it is newest first)");
	if (locate && (batch_id || json_object_get(params, "batch")))
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "\"locate\" does not apply to a batch's list");
	if (batch_id && json_integer_value(batch_id) <= 0)
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "\"batch_id\" must be a batch id (> 0)");
	json_t *batch = json_object_get(params, "batch");
	if (batch && !json_is_null(batch))
		return srv_batch_list(c, batch, result, err);
	int st = -1;
	if (state && (st = job_state_parse(json_string_value(state))) < 0)
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST, "unknown state '%s'",
				      json_string_value(state));
	int64_t off = offset ? json_integer_value(offset) : 0;
	int64_t lim = limit ? json_integer_value(limit) : 0;
	if (off < 0)
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST, "\"offset\" must be >= 0");
	const char *txt = text && json_string_value(text)[0] ? json_string_value(text) : NULL;

	int64_t at = -1, loc = locate ? json_integer_value(locate) : 0;
	if (locate && txt) { /* the walk that finds it is the one that counts */
		struct text_page tp = { NULL, { (char *)txt, st, 0 }, 0, 0, 0, loc, -1 };
		if ((rc = engine_list_sorted(c->s->eng, st, by, down, 0, 0, text_add, &tp, err)) <
		    0)
			return rc;
		at = tp.at;
		if (!offset)
			off = window_at(at, lim, tp.seen);
	} else if (locate) {
		if ((rc = store_job_position(c->s->st, st, by, down, loc, &at, err)) < 0)
			return rc;
		if (!offset)
			off = window_at(at, lim, store_job_count(c->s->st, st));
	}

	struct page p;
	srv_page_init(&p);
	p.srv = c->s;
	int64_t total;
	if (batch_id) {
		struct jobview_filter f = { (char *)txt, st, json_integer_value(batch_id) };
		rc = srv_batch_window(c, f.batch_id, &f, off, lim, &p, &total, &batch_obj, err);
	} else if (txt) {
		struct text_page tp = { &p, { (char *)txt, st, 0 }, off, lim, 0, 0, -1 };
		rc = engine_list_sorted(c->s->eng, st, by, down, 0, 0, text_add, &tp, err);
		total = tp.seen;
	} else {
		total = store_job_count(c->s->st, st);
		if (total < 0) {
			json_decref(p.jobs);
			return aura_error_set(err, (int)-total, "counting jobs failed");
		}
		rc = engine_list_sorted(c->s->eng, st, by, down, off, lim, srv_page_add, &p, err);
	}
	if (rc < 0) {
		json_decref(p.jobs);
		return rc;
	}
	*result = json_object();
	json_object_set_new(*result, "jobs", p.jobs);
	json_object_set_new(*result, "total", json_integer(total));
	if (locate) {
		json_object_set_new(*result, "at", at < 0 ? json_null() : json_integer(at));
		json_object_set_new(*result, "offset", json_integer(off));
	}
	json_object_set_new(*result, "store", srv_store_json(c->s));
	if (batch_obj)
		json_object_set_new(*result, "batch", batch_obj);
	if (counts && json_is_true(counts)) {
		json_t *cnt = json_object();
		for (int s = 0; s < JOB_STATE__COUNT; s++) {
			int64_t n = store_job_count(c->s->st, s);
			json_object_set_new(cnt, job_state_name((enum job_state)s),
					    json_integer(n < 0 ? 0 : n));
		}
		json_object_set_new(*result, "counts", cnt);
		json_object_set_new(*result, "pools", srv_pools_json(c->s));
	}
	return 0;
}

int srv_m_get(struct conn *c, int64_t id, json_t *params, json_t **result, struct aura_error *err)
{
	(void)id;
	int64_t jid;
	int rc = srv_param_job_id(params, &jid, err);
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
	json_t *jo = proto_job_to_json(&j, true);
	srv_job_json_after(c->s, jo, &j);
	json_object_set_new(*result, "job", jo);
	json_object_set_new(*result, "stages", arr);
	json_object_set_new(*result, "store", srv_store_json(c->s));
	job_clear(&j);
	return 0;
}

/* {"job": JOB} of job jid as it is now. */
static int job_answer(struct conn *c, int64_t jid, json_t **result, struct aura_error *err)
{
	struct job j;
	job_init(&j);
	int rc = engine_get(c->s->eng, jid, &j, err);
	if (rc == 0)
		*result = job_result(&j);
	job_clear(&j);
	return rc;
}

static int job_action(struct conn *c, json_t *params, json_t **result, struct aura_error *err,
		      int (*fn)(struct engine *, int64_t, struct aura_error *))
{
	int64_t jid;
	int rc = srv_param_job_id(params, &jid, err);
	if (rc < 0 || (rc = fn(c->s->eng, jid, err)) < 0)
		return rc;
	return job_answer(c, jid, result, err);
}

int srv_m_cancel(struct conn *c, int64_t id, json_t *params, json_t **result,
		 struct aura_error *err)
{
	(void)id;
	json_t *batch = json_object_get(params, "batch");
	if (batch && !json_is_null(batch))
		return srv_batch_action(c, batch, false, result, err);
	return job_action(c, params, result, err, engine_cancel);
}

int srv_m_pause(struct conn *c, int64_t id, json_t *params, json_t **result, struct aura_error *err)
{
	(void)id;
	return job_action(c, params, result, err, engine_pause);
}

int srv_m_resume(struct conn *c, int64_t id, json_t *params, json_t **result,
		 struct aura_error *err)
{
	(void)id;
	return job_action(c, params, result, err, engine_resume);
}

int srv_m_retry(struct conn *c, int64_t id, json_t *params, json_t **result, struct aura_error *err)
{
	(void)id;
	json_t *batch = json_object_get(params, "batch");
	if (batch && !json_is_null(batch))
		return srv_batch_action(c, batch, true, result, err);
	json_t *force = NULL;
	int64_t jid;
	int rc = srv_param_opt(params, "force", srv_is_boolean, "true or false", &force, err);
	if (rc < 0)
		return rc;
	bool forced = force && json_is_true(force);
	rc = job_action(c, params, result, err, forced ? engine_retry_force : engine_retry);
	/* a succeeded job is run again only when asked: say how */
	if (rc == -AURA_E_JOB_BAD_STATE && err && !forced &&
	    srv_param_job_id(params, &jid, NULL) == 0 && strstr(err->detail, " is succeeded")) {
		char was[sizeof(err->detail)];
		snprintf(was, sizeof(was), "%s", err->detail);
		aura_error_set(err, AURA_E_JOB_BAD_STATE,
			       "%s: to run it again, `aura retry --force %lld`", was,
			       (long long)jid);
	}
	return rc;
}

int srv_m_priority(struct conn *c, int64_t id, json_t *params, json_t **result,
		   struct aura_error *err)
{
	(void)id;
	int64_t jid;
	json_t *prio = NULL;
	int p, rc;
	if ((rc = srv_param_job_id(params, &jid, err)) < 0 ||
	    (rc = srv_param_opt(params, "priority", srv_is_integer, "an integer", &prio, err)) <
		0 ||
	    (rc = srv_param_priority(params, &p, err)) < 0)
		return rc;
	if (!prio)
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST, "\"priority\" is required");
	if ((rc = engine_set_priority(c->s->eng, jid, p, err)) < 0)
		return rc;
	return job_answer(c, jid, result, err);
}

static json_t *id_array(const int64_t *ids, size_t n)
{
	json_t *arr = json_array();
	for (size_t k = 0; k < n; k++)
		json_array_append_new(arr, json_integer(ids[k]));
	return arr;
}

/* clean with "retention": [retention]'s rules now (doc/retention.md). */
static int clean_retention(struct conn *c, bool dry, json_t **result, struct aura_error *err)
{
	int64_t *prune, *records;
	size_t np, nr;
	int rc = engine_retention(c->s->eng, dry, &prune, &np, &records, &nr, err);
	if (rc < 0)
		return rc;
	*result = json_pack("{s:b,s:b,s:o,s:o}", "retention", 1, "dry_run", dry, "pruned",
			    id_array(prune, np), "records_removed", id_array(records, nr));
	free(prune);
	free(records);
	return 0;
}

/* clean: "states" (default the three finished ones), "older_than_s" and
 * "batch" narrow which finished jobs go; all in one transaction.
 * "dry_run" only lists them; "retention" applies [retention] instead. */
int srv_m_clean(struct conn *c, int64_t id, json_t *params, json_t **result, struct aura_error *err)
{
	(void)id;
	json_t *states = NULL, *older = NULL, *dry = NULL, *ret = NULL;
	int rc;
	if ((rc = srv_param_opt(params, "states", srv_is_array, "an array of states", &states,
				err)) < 0 ||
	    (rc = srv_param_opt(params, "older_than_s", srv_is_integer, "an integer", &older,
				err)) < 0 ||
	    (rc = srv_param_opt(params, "dry_run", srv_is_boolean, "true or false", &dry, err)) <
		0 ||
	    (rc = srv_param_opt(params, "retention", srv_is_boolean, "true or false", &ret, err)) <
		0)
		return rc;
	bool dry_run = dry && json_is_true(dry);
	if (ret && json_is_true(ret)) {
		json_t *b = json_object_get(params, "batch");
		if (states || older || (b && !json_is_null(b)))
			return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
					      "\"retention\" takes no \"states\", \"older_than_s\" "
					      "or \"batch\": it applies [retention]'s rules");
		return clean_retention(c, dry_run, result, err);
	}
	unsigned mask = 0;
	size_t i;
	json_t *v;
	json_array_foreach(states, i, v)
	{
		int st = json_is_string(v) ? job_state_parse(json_string_value(v)) : -1;
		if (st < 0 || !job_state_terminal((enum job_state)st))
			return aura_error_set(
			    err, AURA_E_PROTO_BAD_REQUEST,
			    "\"states\"[%zu] is not succeeded, failed or cancelled", i);
		mask |= 1u << st;
	}
	if (!states || json_array_size(states) == 0)
		mask = 1u << JOB_SUCCEEDED | 1u << JOB_FAILED | 1u << JOB_CANCELLED;
	int64_t before = 0;
	if (older) {
		json_int_t s = json_integer_value(older);
		if (s < 0 || s > INT64_MAX / 1000)
			return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
					      "\"older_than_s\" must be >= 0");
		before = time_now_ms() - s * 1000;
	}
	int64_t bid = 0;
	json_t *batch = json_object_get(params, "batch");
	json_t *bobj = NULL;
	if (batch && !json_is_null(batch)) {
		char *bname = NULL;
		if ((rc = srv_batch_ref(c, batch, &bid, &bname, err)) < 0)
			return rc;
		bobj = json_pack("{s:I,s:s}", "id", (json_int_t)bid, "name", bname);
		free(bname);
	}
	int64_t *ids;
	size_t n;
	if ((rc = engine_clean(c->s->eng, mask, before, bid, dry_run, &ids, &n, err)) < 0) {
		json_decref(bobj);
		return rc;
	}
	json_t *arr = id_array(ids, n);
	free(ids);
	*result = json_pack("{s:o,s:I,s:b}", "ids", arr, "removed", (json_int_t)(dry_run ? 0 : n),
			    "dry_run", dry_run);
	if (bobj)
		json_object_set_new(*result, "batch", bobj);
	return 0;
}

int srv_m_rm(struct conn *c, int64_t id, json_t *params, json_t **result, struct aura_error *err)
{
	(void)id;
	int64_t jid;
	int rc = srv_param_job_id(params, &jid, err);
	if (rc < 0)
		return rc;
	if ((rc = engine_remove(c->s->eng, jid, err)) < 0) {
		/* only a running or paused job refuses rm: say what to do */
		if (rc == -AURA_E_JOB_BAD_STATE && err) {
			char was[sizeof(err->detail)];
			snprintf(was, sizeof(was), "%s", err->detail);
			aura_error_set(err, AURA_E_JOB_BAD_STATE,
				       "%s: cancel it first (`aura cancel %lld`)", was,
				       (long long)jid);
		}
		return rc;
	}
	*result = json_pack("{s:I}", "id", (json_int_t)jid);
	return 0;
}
