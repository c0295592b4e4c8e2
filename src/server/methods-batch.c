/*
 * methods-batch.c -- the `batch` request of doc/protocol.md (many jobs in
 * one request and one transaction, each row checked by the very code of
 * `new` or `submit`), the "batch" parameter of list, cancel and retry
 * (every job of a batch in one request), and list's "batch_id" (a window
 * on one batch's jobs, with its counts by state).
 *
 * Must never: queue part of a batch (a bad row fails the request before
 * anything is written), or answer past the client's answer limit.
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "engine/engine.h"
#include "client/jobview.h"
#include "client/proto.h"
#include "server/params.h"
#include "server/server-int.h"
#include "store/store.h"
#include "base/util.h"

/* Where in detail the member `key` is named: quoted ("key") first, else
 * as a word; -1 when not at all. */
static long named_at(const char *detail, const char *key)
{
	size_t n = strlen(key);
	char *q = xasprintf("\"%s\"", key);
	const char *p = strstr(detail, q);
	free(q);
	if (p)
		return p - detail;
	for (p = strstr(detail, key); p; p = strstr(p + 1, key)) {
		bool left = p == detail || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
		bool right = !(isalnum((unsigned char)p[n]) || p[n] == '_');
		if (left && right)
			return 100000 + (p - detail); /* after any quoted one */
	}
	return -1;
}

static void best_field(json_t *obj, const char *detail, const char **best, long *at)
{
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v)
	{
		long a = named_at(detail, k);
		size_t n = strlen(k);
		if (a < 0 && n > 5 && strcmp(k + n - 5, "_path") == 0) {
			/* "script_path" (a remote client's): its errors say --script */
			char *stem = xstrndup(k, n - 5);
			a = named_at(detail, stem);
			free(stem);
		}
		if (a >= 0 && (*at < 0 || a < *at)) {
			*at = a;
			*best = k;
		}
	}
}

/* A bad row fails the request: its detail and data name the row and,
 * when the detail names one of its members, that field. */
static int row_error(struct conn *c, size_t i, json_t *row, struct aura_error *err)
{
	const char *field = NULL;
	long at = -1;
	if (json_is_object(row)) {
		best_field(row, err->detail, &field, &at);
		json_t *opt = json_object_get(row, "options");
		if (json_is_object(opt))
			best_field(opt, err->detail, &field, &at);
	}
	json_decref(c->err_data);
	c->err_data = json_pack("{s:I, s:s?}", "row", (json_int_t)i, "field", field);
	char *d = xstrdup(err->detail);
	if (field)
		aura_error_set(err, err->code, "row %zu, field %s: %s", i, field, d);
	else
		aura_error_set(err, err->code, "row %zu: %s", i, d);
	free(d);
	return -err->code;
}

static json_t *batch_json(int64_t id, const char *name)
{
	if (id <= 0)
		return json_null();
	return json_pack("{s:I, s:s}", "id", (json_int_t)id, "name", name ? name : "");
}

int srv_m_batch(struct conn *c, int64_t id, json_t *params, json_t **result, struct aura_error *err)
{
	(void)id;
	json_t *name = NULL, *rows = NULL, *dry = NULL;
	int rc;
	if ((rc = srv_param_opt(params, "name", srv_is_string, "a string", &name, err)) < 0 ||
	    (rc = srv_param_opt(params, "rows", srv_is_array, "an array of objects", &rows, err)) <
		0 ||
	    (rc = srv_param_opt(params, "dry_run", srv_is_boolean, "true or false", &dry, err)) <
		0 ||
	    (rc = srv_param_max(name, "name", JOB_NAME_MAX, err)) < 0)
		return rc;
	size_t n = json_array_size(rows);
	if (n == 0)
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "\"rows\" must be a non-empty array of objects");
	struct job *jobs = xcalloc(n, sizeof(*jobs));
	bool *existing = xcalloc(n, sizeof(*existing));
	size_t made = 0;
	/* every row checked first, by the code of `new` or `submit` */
	for (; made < n; made++) {
		json_t *row = json_array_get(rows, made);
		const char *key = NULL;
		if (!json_is_object(row)) {
			aura_error_set(err, AURA_E_PROTO_BAD_REQUEST, "a row must be an object");
			rc = row_error(c, made, row, err);
			break;
		}
		if (json_object_get(row, "kind"))
			rc = srv_job_from_submit(c, row, &jobs[made], &key, err);
		else
			rc = srv_job_from_new(c, row, &jobs[made], &key, err);
		if (rc < 0) {
			rc = row_error(c, made, row, err);
			break;
		}
		jobs[made].key = xstrdup(key);
		/* a video job is named by its topic unless the row names it */
		json_t *nm = json_object_get(row, "name");
		if (!json_object_get(row, "kind") && nm && !json_is_null(nm)) {
			if (!json_is_string(nm))
				rc = aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
						    "\"name\" must be a string");
			else
				rc = srv_param_max(nm, "name", JOB_NAME_MAX, err);
			if (rc < 0) {
				job_clear(&jobs[made]);
				rc = row_error(c, made, row, err);
				break;
			}
			if (json_string_length(nm) > 0) {
				free(jobs[made].name);
				jobs[made].name = xstrdup(json_string_value(nm));
			}
		}
	}
	int64_t bid = 0;
	char *bname = NULL;
	bool dry_run = dry && json_is_true(dry);
	if (rc >= 0 && dry_run) {
		for (size_t i = 0; i < n && rc >= 0; i++) {
			if (!jobs[i].key)
				continue;
			rc = store_job_by_key(c->s->st, jobs[i].key, &jobs[i].id, err);
			existing[i] = rc == 1;
		}
	} else if (rc >= 0) {
		rc = engine_submit_batch(c->s->eng, jobs, n, existing,
					 name ? json_string_value(name) : NULL, &bid, &bname, err);
		if (rc >= 0 && bid == 0) {
			/* nothing new: the batch of the jobs that are there */
			struct job j;
			job_init(&j);
			if (engine_get(c->s->eng, jobs[0].id, &j, NULL) == 0 && j.batch_id > 0) {
				int64_t b;
				char *nm = NULL;
				char bref[32];
				snprintf(bref, sizeof(bref), "%lld", (long long)j.batch_id);
				if (store_batch_find(c->s->st, bref, &b, &nm, NULL) == 0) {
					bid = b;
					bname = nm;
				}
			}
			job_clear(&j);
		}
	}
	if (rc >= 0) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(
			    arr, json_pack("{s:o, s:b}", "id",
					   jobs[i].id > 0 ? json_integer(jobs[i].id) : json_null(),
					   "existing", existing[i]));
		*result = json_pack("{s:o, s:o, s:b}", "batch", batch_json(bid, bname), "jobs", arr,
				    "dry_run", dry_run);
		rc = 0;
	}
	free(bname);
	for (size_t i = 0; i < made; i++)
		job_clear(&jobs[i]);
	free(jobs);
	free(existing);
	return rc;
}

/* The batch a request's "batch" param (its id or name) names. */
int srv_batch_ref(struct conn *c, json_t *ref, int64_t *bid, char **bname, struct aura_error *err)
{
	char buf[32];
	const char *r;
	if (json_is_integer(ref)) {
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(ref));
		r = buf;
	} else if (json_is_string(ref) && json_string_length(ref) > 0) {
		r = json_string_value(ref);
	} else {
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "\"batch\" must be a batch id or name");
	}
	return store_batch_find(c->s->st, r, bid, bname, err);
}

/* The batch a request's "batch" names, and its jobs. */
static int batch_of(struct conn *c, json_t *ref, int64_t *bid, char **bname, int64_t **ids,
		    size_t *n, struct aura_error *err)
{
	int rc = srv_batch_ref(c, ref, bid, bname, err);
	if (rc < 0)
		return rc;
	rc = store_batch_job_ids(c->s->st, *bid, ids, n, err);
	if (rc < 0) {
		free(*bname);
		*bname = NULL;
	}
	return rc;
}

int srv_batch_list(struct conn *c, json_t *ref, json_t **result, struct aura_error *err)
{
	int64_t bid, *ids;
	char *bname;
	size_t n;
	int rc = batch_of(c, ref, &bid, &bname, &ids, &n, err);
	if (rc < 0)
		return rc;
	struct page p;
	srv_page_init(&p);
	p.srv = c->s;
	/* newest first, as list */
	for (size_t i = n; i-- > 0 && !p.truncated;) {
		struct job j;
		job_init(&j);
		if (engine_get(c->s->eng, ids[i], &j, NULL) == 0)
			srv_page_add(&j, &p);
		job_clear(&j);
	}
	/* every id, even past a truncated page (wait --batch follows them) */
	json_t *all = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(all, json_integer(ids[i]));
	*result =
	    json_pack("{s:o, s:I, s:o, s:o, s:o}", "jobs", p.jobs, "total", (json_int_t)n, "store",
		      srv_store_json(c->s), "batch", batch_json(bid, bname), "ids", all);
	free(bname);
	free(ids);
	return 0;
}

int srv_batch_action(struct conn *c, json_t *ref, bool retry, json_t **result,
		     struct aura_error *err)
{
	int64_t bid, *ids;
	char *bname;
	size_t n;
	int rc = batch_of(c, ref, &bid, &bname, &ids, &n, err);
	if (rc < 0)
		return rc;
	json_t *done = json_array();
	size_t skipped = 0;
	for (size_t i = 0; i < n && rc >= 0; i++) {
		struct job j;
		job_init(&j);
		rc = engine_get(c->s->eng, ids[i], &j, err);
		enum job_state st = j.state;
		job_clear(&j);
		if (rc < 0)
			break;
		bool fits = retry ? (st == JOB_FAILED || st == JOB_CANCELLED)
				  : (st == JOB_QUEUED || st == JOB_RUNNING || st == JOB_PAUSED);
		if (!fits) {
			skipped++;
			continue;
		}
		rc = (retry ? engine_retry : engine_cancel)(c->s->eng, ids[i], err);
		if (rc >= 0)
			json_array_append_new(done, json_integer(ids[i]));
	}
	if (rc >= 0)
		*result = json_pack("{s:o, s:o, s:I}", "batch", batch_json(bid, bname), "ids", done,
				    "skipped", (json_int_t)skipped);
	else
		json_decref(done);
	free(bname);
	free(ids);
	return rc < 0 ? rc : 0;
}

int srv_batch_window(struct conn *c, int64_t bid, const struct jobview_filter *f, int64_t off,
		     int64_t lim, struct page *p, int64_t *total, json_t **batch,
		     struct aura_error *err)
{
	char ref[32];
	snprintf(ref, sizeof(ref), "%lld", (long long)bid);
	int64_t found;
	char *bname = NULL;
	int rc = store_batch_find(c->s->st, ref, &found, &bname, err);
	if (rc == 0 && found != bid) /* a batch named "7" is not batch 7 */
		rc = aura_error_set(err, AURA_E_BATCH_NOT_FOUND, "%s", ref);
	if (rc < 0) {
		free(bname);
		return rc;
	}
	int64_t *ids;
	size_t n;
	if ((rc = store_batch_job_ids(c->s->st, bid, &ids, &n, err)) < 0) {
		free(bname);
		return rc;
	}
	int64_t counts[JOB_STATE__COUNT] = { 0 }, seen = 0, listed = 0;
	/* newest first, as list */
	for (size_t i = n; i-- > 0;) {
		struct job j;
		job_init(&j);
		if (engine_get(c->s->eng, ids[i], &j, NULL) == 0) {
			listed++;
			if ((unsigned)j.state < JOB_STATE__COUNT)
				counts[j.state]++;
			if (jobview_matches(f, &j)) {
				if (seen >= off && (lim <= 0 || seen < off + lim) && !p->truncated)
					srv_page_add(&j, p);
				seen++;
			}
		}
		job_clear(&j);
	}
	free(ids);
	*total = seen;
	*batch = json_pack("{s:I, s:s, s:I}", "id", (json_int_t)bid, "name", bname, "total",
			   (json_int_t)listed);
	for (int s = 0; s < JOB_STATE__COUNT; s++)
		json_object_set_new(*batch, job_state_name((enum job_state)s),
				    json_integer(counts[s]));
	free(bname);
	return 0;
}
