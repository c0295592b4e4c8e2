/*
 * params.c -- the checks of a request's parameters (doc/protocol.md): the
 * member's type, its range, its length; a failed check is the request's
 * error answer (AURA_E_PROTO_BAD_REQUEST, AURA_E_PARAM_TOO_LONG).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "base/errors.h"
#include "base/job.h"
#include "base/utf8.h"
#include "server/params.h"
#include "store/store.h"

int srv_param_job_id(json_t *params, int64_t *id, struct aura_error *err)
{
	json_t *v = json_object_get(params, "id");
	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "\"id\" must be a positive integer (a job id)");
	*id = json_integer_value(v);
	return 0;
}

/* An optional member: absent or null is fine, else it must pass `is`. */
int srv_param_opt(json_t *params, const char *key, int (*is)(const json_t *), const char *what,
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

int srv_is_string(const json_t *v)
{
	return json_is_string(v);
}
int srv_is_integer(const json_t *v)
{
	return json_is_integer(v);
}
int srv_is_object(const json_t *v)
{
	return json_is_object(v);
}
int srv_is_array(const json_t *v)
{
	return json_is_array(v);
}
int srv_is_boolean(const json_t *v)
{
	return json_is_boolean(v);
}

int srv_param_priority(json_t *params, int *out, struct aura_error *err)
{
	json_t *v;
	int rc = srv_param_opt(params, "priority", srv_is_integer, "an integer", &v, err);
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
int srv_param_max(json_t *v, const char *key, size_t max, struct aura_error *err)
{
	size_t n = json_is_string(v) ? json_string_length(v) : 0;
	if (n > max)
		return aura_error_set(err, AURA_E_PARAM_TOO_LONG,
				      "\"%s\" has %zu bytes; at most %zu are allowed", key, n, max);
	return 0;
}

/* The job's spec as JSON text, at most JOB_SPEC_MAX bytes; NULL and an
 * error (what names the parameters) when longer. */
char *srv_spec_text(json_t *spec, const char *what, struct aura_error *err)
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

/* An optional "key" (an idempotency key): 1..JOB_KEY_MAX bytes of
 * printable UTF-8 (no C0 or C1 control, no DEL, no NUL); NULL when
 * absent. */
int srv_param_key(json_t *params, const char **out, struct aura_error *err)
{
	json_t *v;
	int rc = srv_param_opt(params, "key", srv_is_string, "a string", &v, err);
	*out = NULL;
	if (rc < 0 || !v)
		return rc;
	if ((rc = srv_param_max(v, "key", JOB_KEY_MAX, err)) < 0)
		return rc;
	const char *k = json_string_value(v);
	size_t n = json_string_length(v);
	if (n == 0)
		return aura_error_set(err, AURA_E_PARAM_KEY_INVALID, "\"key\" is empty");
	if (strlen(k) != n || !utf8_valid(k, NULL))
		return aura_error_set(err, AURA_E_PARAM_KEY_INVALID,
				      "\"key\" holds a NUL or is not UTF-8");
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t step = utf8_next(k + i, &cp);
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			return aura_error_set(
			    err, AURA_E_PARAM_KEY_INVALID,
			    "\"key\" holds the control character U+%04X at byte %zu", (unsigned)cp,
			    i);
		i += step;
	}
	*out = k;
	return 0;
}

/* An optional "pool": a name the engine looks up at submit (an unknown
 * one is POOL_UNKNOWN there, naming the pools). */
int srv_param_pool(json_t *params, const char **out, struct aura_error *err)
{
	json_t *v;
	int rc = srv_param_opt(params, "pool", srv_is_string, "a string", &v, err);
	*out = NULL;
	if (rc < 0 || !v)
		return rc;
	if ((rc = srv_param_max(v, "pool", JOB_POOL_MAX, err)) < 0)
		return rc;
	*out = json_string_value(v)[0] ? json_string_value(v) : NULL;
	return 0;
}

int srv_param_sort(const char *name, int *sort, bool *desc, struct aura_error *err)
{
	if (name && strcmp(name, "age") == 0) {
		*sort = STORE_SORT_CREATED;
		*desc = !*desc;
		return 0;
	}
	int by = store_sort_parse(name);
	if (by < 0) {
		char all[160] = "";
		for (int i = 0; i < STORE_SORT__COUNT; i++) {
			strncat(all, store_sort_name(i), sizeof(all) - strlen(all) - 1);
			strncat(all, ", ", sizeof(all) - strlen(all) - 1);
		}
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "unknown sort column '%s' (one of: %sage)", name, all);
	}
	*sort = by;
	return 0;
}
