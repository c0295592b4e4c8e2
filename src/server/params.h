/*
 * params.h -- the checks of a request's parameters (params.c), shared by
 * the request methods (server-methods.c, methods-jobs.c,
 * methods-stream.c). Internal to the server. Each returns 0 or a negative
 * catalogue code with err set.
 */
#ifndef AURA_SERVER_PARAMS_H
#define AURA_SERVER_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/errors.h"

/* "id": a positive integer (a job id). */
int srv_param_job_id(json_t *params, int64_t *id, struct aura_error *err);
/* An optional member: absent or null is fine (*out NULL), else it must
 * pass `is` (what names the type in the error). */
int srv_param_opt(json_t *params, const char *key, int (*is)(const json_t *), const char *what,
		  json_t **out, struct aura_error *err);
/* The types for srv_param_opt. */
int srv_is_string(const json_t *v);
int srv_is_integer(const json_t *v);
int srv_is_object(const json_t *v);
int srv_is_array(const json_t *v);
int srv_is_boolean(const json_t *v);
/* An optional "priority" within +-1000000; 0 when absent. */
int srv_param_priority(json_t *params, int *out, struct aura_error *err);
/* A string parameter of at most max bytes. */
int srv_param_max(json_t *v, const char *key, size_t max, struct aura_error *err);
/* An optional "key" (idempotency key): 1..JOB_KEY_MAX bytes of printable
 * UTF-8, else PARAM_TOO_LONG or PARAM_KEY_INVALID; *out NULL when absent,
 * else the string inside params. */
int srv_param_key(json_t *params, const char **out, struct aura_error *err);
/* An optional "pool" of at most JOB_POOL_MAX bytes; *out NULL when absent
 * or empty (the default pool), else the string inside params. */
int srv_param_pool(json_t *params, const char **out, struct aura_error *err);
/* `list`'s "sort": a column of the whitelist (store_sort_parse), or "age"
 * (created the other way: upwards is the youngest first, as the TUI's AGE);
 * *desc is the asked direction, turned for "age". */
int srv_param_sort(const char *name, int *sort, bool *desc, struct aura_error *err);
/* The job's spec as JSON text (the caller frees it), at most
 * JOB_SPEC_MAX bytes; NULL and an error when longer. */
char *srv_spec_text(json_t *spec, const char *what, struct aura_error *err);

#endif
