/*
 * proto.c -- control protocol encoding: newline framing with the 1 MiB
 * cap, message builders, the JOB and STAGE shapes (doc/protocol.md).
 *
 * Must never: do I/O, hold more than one over-cap line's worth of bytes
 * (a peer that never sends a newline costs at most PROTO_MAX_LINE), or
 * hand jansson a string that is not valid UTF-8 (it would refuse it and
 * a field would silently vanish).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/proto.h"

/* ---- framing ------------------------------------------------------------ */

void proto_reader_init(struct proto_reader *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->buf);
}

void proto_reader_free(struct proto_reader *r)
{
	buf_free(&r->buf);
	proto_reader_init(r);
}

void proto_reader_reset(struct proto_reader *r)
{
	buf_reset(&r->buf);
	r->pos = r->partial = r->err_at = 0;
	r->too_large = r->discarding = false;
}

size_t proto_reader_buffered(const struct proto_reader *r)
{
	return r->buf.len - r->pos;
}

/* Drop the bytes already handed out, so offsets stay small; done only when
 * it pays (everything consumed, or most of the buffer is dead). */
static void reader_compact(struct proto_reader *r)
{
	if (r->pos == 0)
		return;
	if (r->pos < r->buf.len && (r->pos < 4096 || r->pos < r->buf.len / 2))
		return;
	buf_consume(&r->buf, r->pos);
	r->partial -= r->pos;
	if (r->too_large)
		r->err_at -= r->pos;
	r->pos = 0;
}

/* The current incomplete line cannot fit: drop it and note the error at
 * its place, unless one is already pending (one report per burst: the
 * caller closes on the first anyway). */
static void reader_overflow(struct proto_reader *r)
{
	r->buf.len = r->partial;
	if (r->buf.data)
		r->buf.data[r->buf.len] = '\0';
	if (!r->too_large) {
		r->too_large = true;
		r->err_at = r->partial;
	}
}

void proto_reader_feed(struct proto_reader *r, const void *data, size_t n)
{
	const char *p = data;

	reader_compact(r);
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t chunk = nl ? (size_t)(nl - p) + 1 : n;

		if (r->discarding) {
			if (nl)
				r->discarding = false;
		} else {
			size_t line = r->buf.len - r->partial + chunk;
			/* Without its newline yet, a line of PROTO_MAX_LINE
			 * bytes can only grow past the cap. */
			if (nl ? line > PROTO_MAX_LINE : line >= PROTO_MAX_LINE) {
				reader_overflow(r);
				r->discarding = nl == NULL;
			} else {
				buf_append(&r->buf, p, chunk);
				if (nl)
					r->partial = r->buf.len;
			}
		}
		p += chunk;
		n -= chunk;
	}
}

static bool all_space(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

int proto_reader_next(struct proto_reader *r, json_t **msg, struct aura_error *err)
{
	*msg = NULL;
	for (;;) {
		if (r->too_large && r->err_at == r->pos) {
			r->too_large = false;
			return aura_error_set(err, AURA_E_PROTO_TOO_LARGE,
					      "a line passed %d bytes without a newline",
					      PROTO_MAX_LINE);
		}
		if (r->pos >= r->partial)
			return 0;

		const char *line = r->buf.data + r->pos;
		const char *nl = memchr(line, '\n', r->partial - r->pos);
		size_t len = (size_t)(nl - line);
		r->pos += len + 1;
		if (all_space(line, len))
			continue;

		json_error_t jerr;
		json_t *o = json_loadb(line, len, JSON_DECODE_ANY, &jerr);
		if (!o)
			return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
					      "invalid JSON at column %d: %s", jerr.column,
					      jerr.text);
		if (!json_is_object(o)) {
			json_decref(o);
			return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
					      "a message must be a JSON object");
		}
		*msg = o;
		return 1;
	}
}

/* ---- strings -------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at s (at most n bytes), or 0
 * if it is not one: overlong forms, surrogates and code points past
 * U+10FFFF are refused, as jansson refuses them. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned cp;

	if (c < 0x80)
		return c ? 1 : 0;
	if (c < 0xC2)
		return 0;
	if (c < 0xE0) {
		len = 2;
		cp = c & 0x1F;
	} else if (c < 0xF0) {
		len = 3;
		cp = c & 0x0F;
	} else if (c < 0xF5) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

json_t *proto_stringn(const char *s, size_t n)
{
	if (!s)
		return json_null();

	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k;
	while (i < n && (k = utf8_seq(u + i, n - i)) > 0)
		i += k;
	if (i == n)
		return json_stringn(s, n);

	/* Repair: keep what is valid, U+FFFD for each bad byte. */
	struct buf b;
	buf_init(&b);
	buf_append(&b, s, i);
	while (i < n) {
		k = utf8_seq(u + i, n - i);
		if (k) {
			buf_append(&b, s + i, k);
			i += k;
		} else {
			buf_append(&b, "\xEF\xBF\xBD", 3);
			i++;
		}
	}
	json_t *str = json_stringn(b.data, b.len);
	buf_free(&b);
	return str;
}

json_t *proto_string(const char *s)
{
	return s ? proto_stringn(s, strlen(s)) : json_null();
}

json_t *proto_string_capped(const char *s, size_t max)
{
	if (!s)
		return json_null();
	size_t n = strlen(s);
	if (n <= max)
		return proto_stringn(s, n);
	size_t k = max;
	while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
		k--; /* not inside a UTF-8 sequence */
	char mark[64];
	int m = snprintf(mark, sizeof(mark), "[... %zu bytes cut]", n - k);
	struct buf b;
	buf_init(&b);
	buf_append(&b, s, k);
	buf_append(&b, mark, (size_t)m);
	json_t *str = proto_stringn(b.data, b.len);
	buf_free(&b);
	return str;
}

/* ---- getters --------------------------------------------------------------- */

int64_t proto_get_int(json_t *o, const char *key, int64_t def)
{
	json_t *v = json_object_get(o, key);
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (d >= -9.2e18 && d <= 9.2e18)
			return (int64_t)d;
	}
	return def;
}

double proto_get_real(json_t *o, const char *key, double def)
{
	json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : def;
}

const char *proto_get_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

bool proto_get_bool(json_t *o, const char *key, bool def)
{
	json_t *v = json_object_get(o, key);
	return json_is_boolean(v) ? json_is_true(v) : def;
}

/* ---- job and stage ---------------------------------------------------------- */

static json_t *int_or_null(int64_t v, bool present)
{
	return present ? json_integer(v) : json_null();
}

/* JSON has no NaN or infinity; jansson refuses them. */
static json_t *real_or_null(double v, bool present)
{
	return present && isfinite(v) ? json_real(v) : json_null();
}

static json_t *job_error_json(const struct job *j)
{
	if (!j->error_code)
		return json_null();
	int code = aura_error_lookup(j->error_code);
	json_t *e = json_object();
	json_object_set_new(e, "code", proto_string_capped(j->error_code, PROTO_FIELD_MAX));
	/* A code this build does not know (a newer server's) keeps the
	 * job's own text rather than the INTERNAL entry's. */
	json_object_set_new(e, "message",
			    proto_string_capped(code ? aura_error_message(code) : j->error_message,
						PROTO_FIELD_MAX));
	json_object_set_new(e, "hint", code ? proto_string(aura_error_hint(code)) : json_null());
	json_object_set_new(e, "detail", proto_string_capped(j->error_message, PROTO_FIELD_MAX));
	return e;
}

/* The warnings column holds a JSON array's text; anything else that is
 * not empty is shown as one warning rather than lost. Warnings past
 * PROTO_FIELD_MAX * 2 bytes of JSON are left out, and a last string says
 * how many. */
static json_t *job_warnings_json(const char *text)
{
	if (!text || !*text)
		return json_array();
	json_t *a = json_loads(text, JSON_DECODE_ANY, NULL);
	if (!json_is_array(a)) {
		json_decref(a);
		a = json_array();
		json_array_append_new(a, proto_string_capped(text, PROTO_FIELD_MAX));
		return a;
	}
	size_t used = 0, i;
	for (i = 0; i < json_array_size(a); i++) {
		used +=
		    json_dumpb(json_array_get(a, i), NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY) + 1;
		if (used > PROTO_FIELD_MAX * 2)
			break;
	}
	size_t cut = json_array_size(a) - i;
	if (cut) {
		while (json_array_size(a) > i)
			json_array_remove(a, i);
		char mark[64];
		snprintf(mark, sizeof(mark), "[... %zu more warnings cut]", cut);
		json_array_append_new(a, json_string(mark));
	}
	return a;
}

/* The spec as JSON when it is JSON of at most JOB_SPEC_MAX bytes, else as
 * a (capped) string. */
static json_t *job_spec_json(const char *spec)
{
	if (!spec)
		return json_null();
	json_t *o = strlen(spec) <= JOB_SPEC_MAX ? json_loads(spec, JSON_DECODE_ANY, NULL) : NULL;
	return o ? o : proto_string_capped(spec, PROTO_FIELD_MAX);
}

json_t *proto_job_to_json(const struct job *j, bool with_tail)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(j->id));
	json_object_set_new(o, "kind", json_string(job_kind_name(j->kind)));
	json_object_set_new(o, "name", proto_string_capped(j->name, PROTO_FIELD_MAX));
	json_object_set_new(o, "state", json_string(job_state_name(j->state)));
	json_object_set_new(o, "priority", json_integer(j->priority));
	json_object_set_new(o, "output", proto_string_capped(j->output, PROTO_FIELD_MAX));
	json_object_set_new(o, "workdir", proto_string_capped(j->workdir, PROTO_FIELD_MAX));
	json_object_set_new(o, "created_ms", int_or_null(j->created_ms, j->created_ms != 0));
	json_object_set_new(o, "started_ms", int_or_null(j->started_ms, j->started_ms != 0));
	json_object_set_new(o, "finished_ms", int_or_null(j->finished_ms, j->finished_ms != 0));
	json_object_set_new(o, "updated_ms", int_or_null(j->updated_ms, j->updated_ms != 0));
	json_object_set_new(o, "not_before_ms",
			    int_or_null(j->not_before_ms, j->not_before_ms != 0));
	json_object_set_new(o, "attempts", json_integer(j->attempts));
	json_object_set_new(o, "max_attempts", json_integer(j->max_attempts));
	json_object_set_new(o, "stage", proto_string_capped(j->stage, PROTO_FIELD_MAX));
	json_object_set_new(o, "progress", real_or_null(j->progress, true));
	json_object_set_new(o, "out_time_us", json_integer(j->out_time_us));
	json_object_set_new(o, "duration_us", int_or_null(j->duration_us, j->duration_us > 0));
	json_object_set_new(o, "fps", real_or_null(j->fps, true));
	json_object_set_new(o, "speed", real_or_null(j->speed, true));
	json_object_set_new(o, "size", json_integer(j->size));
	json_object_set_new(o, "eta_s", real_or_null(j->eta_s, j->eta_s >= 0));
	json_object_set_new(o, "pid", int_or_null(j->pid, j->pid != 0));
	json_object_set_new(o, "error", job_error_json(j));
	json_object_set_new(o, "warnings", job_warnings_json(j->warnings));
	json_object_set_new(o, "key", proto_string(j->key));
	json_object_set_new(o, "pool", json_string(j->pool ? j->pool : "local"));
	json_object_set_new(o, "batch", int_or_null(j->batch_id, j->batch_id > 0));
	json_object_set_new(o, "cluster_id", proto_string(j->cluster_id));
	json_object_set_new(o, "substate", proto_string(j->substate));
	json_object_set_new(o, "pruned_ms", int_or_null(j->pruned_ms, j->pruned_ms > 0));
	if (with_tail) {
		json_object_set_new(o, "stderr_tail",
				    proto_string_capped(j->stderr_tail, PROTO_TAIL_MAX));
		json_object_set_new(o, "spec", job_spec_json(j->spec));
	}
	return o;
}

/* Decoding helpers: a member that is absent or null leaves the field as
 * job_init() set it; one of the wrong type fails the whole decode. */
static int take_str(json_t *o, const char *key, char **out)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	free(*out);
	*out = xstrndup(json_string_value(v), json_string_length(v));
	return 0;
}

static int take_int(json_t *o, const char *key, int64_t *out)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return -1;
	*out = json_integer_value(v);
	return 0;
}

static int take_int32(json_t *o, const char *key, int *out)
{
	int64_t v = *out;
	if (take_int(o, key, &v) < 0 || v < INT32_MIN || v > INT32_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

static int take_real(json_t *o, const char *key, double *out)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return 0;
}

static int take_enum(json_t *o, const char *key, int (*parse)(const char *), int *out)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	int x = parse(json_string_value(v));
	if (x < 0)
		return -1;
	*out = x;
	return 0;
}

static int take_error(json_t *o, struct job *j)
{
	json_t *e = json_object_get(o, "error");
	if (!e || json_is_null(e))
		return 0;
	if (!json_is_object(e))
		return -1;
	if (take_str(e, "code", &j->error_code) < 0)
		return -1;
	json_t *detail = json_object_get(e, "detail");
	return take_str(e, json_is_string(detail) ? "detail" : "message", &j->error_message);
}

static int take_json_text(json_t *o, const char *key, char **out)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v))
		return take_str(o, key, out);
	free(*out);
	*out = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	return 0;
}

int proto_job_from_json(json_t *o, struct job *out)
{
	int kind = JOB_KIND_FFMPEG, state = JOB_QUEUED, bad = 0;
	int64_t pid = 0;

	job_init(out);
	if (!json_is_object(o))
		return -AURA_E_PROTO_BAD_REQUEST;

	bad |= take_int(o, "id", &out->id);
	bad |= take_enum(o, "kind", job_kind_parse, &kind);
	bad |= take_str(o, "name", &out->name);
	bad |= take_enum(o, "state", job_state_parse, &state);
	bad |= take_int32(o, "priority", &out->priority);
	bad |= take_str(o, "output", &out->output);
	bad |= take_str(o, "workdir", &out->workdir);
	bad |= take_int(o, "created_ms", &out->created_ms);
	bad |= take_int(o, "started_ms", &out->started_ms);
	bad |= take_int(o, "finished_ms", &out->finished_ms);
	bad |= take_int(o, "updated_ms", &out->updated_ms);
	bad |= take_int(o, "not_before_ms", &out->not_before_ms);
	bad |= take_int32(o, "attempts", &out->attempts);
	bad |= take_int32(o, "max_attempts", &out->max_attempts);
	bad |= take_str(o, "stage", &out->stage);
	bad |= take_real(o, "progress", &out->progress);
	bad |= take_int(o, "out_time_us", &out->out_time_us);
	bad |= take_int(o, "duration_us", &out->duration_us);
	bad |= take_real(o, "fps", &out->fps);
	bad |= take_real(o, "speed", &out->speed);
	bad |= take_int(o, "size", &out->size);
	bad |= take_real(o, "eta_s", &out->eta_s);
	bad |= take_int(o, "pid", &pid);
	bad |= take_error(o, out);
	bad |= take_str(o, "stderr_tail", &out->stderr_tail);
	bad |= take_str(o, "key", &out->key);
	bad |= take_str(o, "pool", &out->pool);
	bad |= take_int(o, "batch", &out->batch_id);
	bad |= take_str(o, "cluster_id", &out->cluster_id);
	bad |= take_str(o, "substate", &out->substate);
	bad |= take_int(o, "pruned_ms", &out->pruned_ms);
	bad |= take_json_text(o, "spec", &out->spec);

	json_t *w = json_object_get(o, "warnings");
	if (json_is_array(w)) {
		if (json_array_size(w) > 0)
			out->warnings = json_dumps(w, JSON_COMPACT);
	} else if (w && !json_is_null(w)) {
		bad = -1;
	}
	if (pid < 0 || pid > INT32_MAX)
		bad = -1;

	out->kind = (enum job_kind)kind;
	out->state = (enum job_state)state;
	out->pid = (int)pid;
	if (bad) {
		job_clear(out);
		return -AURA_E_PROTO_BAD_REQUEST;
	}
	return 0;
}

json_t *proto_stage_to_json(const struct stage *s)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", proto_string(s->name));
	json_object_set_new(o, "seq", json_integer(s->seq));
	json_object_set_new(o, "state", json_string(stage_state_name(s->state)));
	json_object_set_new(o, "progress", real_or_null(s->progress, true));
	json_object_set_new(o, "started_ms", int_or_null(s->started_ms, s->started_ms != 0));
	json_object_set_new(o, "finished_ms", int_or_null(s->finished_ms, s->finished_ms != 0));
	return o;
}

/* ---- messages --------------------------------------------------------------- */

static json_t *id_json(int64_t id)
{
	return id == PROTO_NO_ID ? json_null() : json_integer(id);
}

json_t *proto_request(int64_t id, const char *method, json_t *params)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", id_json(id));
	json_object_set_new(o, "method", proto_string(method));
	json_object_set_new(o, "params", params ? params : json_object());
	return o;
}

json_t *proto_response_ok(int64_t id, json_t *result)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", id_json(id));
	json_object_set_new(o, "ok", json_true());
	json_object_set_new(o, "result", result ? result : json_object());
	return o;
}

json_t *proto_error_to_json(const struct aura_error *err)
{
	int code = err && err->code ? err->code : AURA_E_INTERNAL;
	json_t *e = json_object();
	json_object_set_new(e, "code", json_string(aura_error_name(code)));
	json_object_set_new(e, "message", json_string(aura_error_message(code)));
	json_object_set_new(e, "hint", json_string(aura_error_hint(code)));
	json_object_set_new(e, "detail", proto_string(err && err->detail[0] ? err->detail : NULL));
	return e;
}

json_t *proto_response_err(int64_t id, const struct aura_error *err)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", id_json(id));
	json_object_set_new(o, "ok", json_false());
	json_object_set_new(o, "error", proto_error_to_json(err));
	return o;
}

int proto_error_from_json(json_t *o, struct aura_error *err)
{
	const char *name = proto_get_str(o, "code");
	const char *detail = proto_get_str(o, "detail");
	const char *message = proto_get_str(o, "message");
	int code = name ? aura_error_lookup(name) : 0;

	if (!detail || !*detail)
		detail = code ? NULL : message;
	if (!code)
		return aura_error_set(err, AURA_E_INTERNAL, "the server answered %s%s%s",
				      name ? name : "an error without a code", detail ? ": " : "",
				      detail ? detail : "");
	if (detail)
		return aura_error_set(err, code, "%s", detail);
	return aura_error_set(err, code, NULL);
}

json_t *proto_event(const char *name)
{
	json_t *o = json_object();
	json_object_set_new(o, "event", proto_string(name));
	return o;
}

char *proto_encode(json_t *msg, size_t *len)
{
	char *s = json_dumps(msg, JSON_COMPACT);
	if (!s) {
		if (len)
			*len = 0;
		return NULL;
	}
	size_t n = strlen(s);
	/* json_dumps's memory comes from jansson's allocator (malloc unless
	 * someone changed it); copy into ours so the caller frees with free(). */
	char *line = xmalloc(n + 2);
	memcpy(line, s, n);
	line[n] = '\n';
	line[n + 1] = '\0';
	free(s);
	if (len)
		*len = n + 1;
	return line;
}
