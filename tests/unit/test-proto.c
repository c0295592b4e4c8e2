/*
 * test-proto.c -- the control protocol's encoding: line framing at any
 * split point, the 1 MiB cap with bounded memory and recovery, bad lines,
 * the JOB shape round-trip (NULLs, UTF-8, repaired bytes), error objects,
 * and one-line encoding.
 */
#include "config.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/utf8.h"
#include "client/proto.h"

/* Feed text, collect every message and error code into out (as "id:N"
 * for messages with an integer id, "obj" otherwise, "E:NAME" for errors). */
static void drain(struct proto_reader *r, struct buf *out)
{
	for (;;) {
		json_t *m;
		struct aura_error err;
		int rc = proto_reader_next(r, &m, &err);
		if (rc == 0)
			return;
		if (rc < 0) {
			buf_printf(out, "E:%s ", aura_error_name(rc));
			continue;
		}
		json_t *id = json_object_get(m, "id");
		if (json_is_integer(id))
			buf_printf(out, "id:%lld ", (long long)json_integer_value(id));
		else
			buf_puts(out, "obj ");
		json_decref(m);
	}
}

static void test_framing_byte_at_a_time(void **state)
{
	(void)state;
	const char *text =
	    "{\"id\":1,\"s\":\"a\\nb\"}\n\n  \r\n{\"id\":2}\r\n{\"id\":3,\"x\":[1,2,{}]}\n";
	size_t n = strlen(text);
	struct buf want;
	buf_init(&want);
	buf_puts(&want, "id:1 id:2 id:3 ");

	/* every split point, and byte by byte */
	for (size_t cut = 0; cut <= n; cut++) {
		struct proto_reader r;
		struct buf got;
		proto_reader_init(&r);
		buf_init(&got);
		proto_reader_feed(&r, text, cut);
		drain(&r, &got);
		proto_reader_feed(&r, text + cut, n - cut);
		drain(&r, &got);
		assert_string_equal(got.data, want.data);
		assert_int_equal(proto_reader_buffered(&r), 0);
		buf_free(&got);
		proto_reader_free(&r);
	}

	struct proto_reader r;
	struct buf got;
	proto_reader_init(&r);
	buf_init(&got);
	for (size_t i = 0; i < n; i++) {
		proto_reader_feed(&r, text + i, 1);
		drain(&r, &got);
	}
	assert_string_equal(got.data, want.data);
	buf_free(&got);
	buf_free(&want);
	proto_reader_free(&r);
}

static void test_many_messages_in_one_read(void **state)
{
	(void)state;
	struct buf in, got, want;
	buf_init(&in);
	buf_init(&got);
	buf_init(&want);
	for (int i = 0; i < 5000; i++) {
		buf_printf(&in, "{\"id\":%d}\n", i);
		buf_printf(&want, "id:%d ", i);
	}
	buf_puts(&in, "{\"id\":5000"); /* a partial one stays buffered */

	struct proto_reader r;
	proto_reader_init(&r);
	proto_reader_feed(&r, in.data, in.len);
	drain(&r, &got);
	assert_string_equal(got.data, want.data);
	assert_int_equal(proto_reader_buffered(&r), strlen("{\"id\":5000"));
	proto_reader_feed(&r, "}\n", 2);
	buf_reset(&got);
	drain(&r, &got);
	assert_string_equal(got.data, "id:5000 ");
	proto_reader_free(&r);
	buf_free(&in);
	buf_free(&got);
	buf_free(&want);
}

/* A JSON object line of exactly `total` bytes, newline included. */
static char *line_of(size_t total)
{
	const char *head = "{\"id\":9,\"pad\":\"";
	const char *tail = "\"}\n";
	size_t h = strlen(head), t = strlen(tail);
	assert_true(total > h + t);
	char *s = malloc(total + 1);
	memcpy(s, head, h);
	memset(s + h, 'x', total - h - t);
	memcpy(s + total - t, tail, t);
	s[total] = '\0';
	return s;
}

static void test_cap_exactly(void **state)
{
	(void)state;
	struct proto_reader r;
	struct buf got;
	proto_reader_init(&r);
	buf_init(&got);

	/* A line of PROTO_MAX_LINE bytes with its newline is accepted, in
	 * one piece and in 4 KiB pieces. */
	char *ok = line_of(PROTO_MAX_LINE);
	proto_reader_feed(&r, ok, PROTO_MAX_LINE);
	drain(&r, &got);
	assert_string_equal(got.data, "id:9 ");
	buf_reset(&got);
	for (size_t i = 0; i < PROTO_MAX_LINE; i += 4096)
		proto_reader_feed(&r, ok + i,
				  PROTO_MAX_LINE - i < 4096 ? PROTO_MAX_LINE - i : 4096);
	drain(&r, &got);
	assert_string_equal(got.data, "id:9 ");
	free(ok);

	/* One byte more is refused, then the next line is read normally. */
	char *big = line_of(PROTO_MAX_LINE + 1);
	buf_reset(&got);
	proto_reader_feed(&r, big, PROTO_MAX_LINE + 1);
	proto_reader_feed(&r, "{\"id\":10}\n", 10);
	drain(&r, &got);
	assert_string_equal(got.data, "E:PROTO_TOO_LARGE id:10 ");
	free(big);
	proto_reader_free(&r);
	buf_free(&got);
}

static void test_cap_bounded_memory(void **state)
{
	(void)state;
	struct proto_reader r;
	struct buf got;
	proto_reader_init(&r);
	buf_init(&got);

	/* Lines before the flood come out first, in order. */
	const char *pre = "{\"id\":1}\n{\"id\":2}\n{\"pad\":\"";
	proto_reader_feed(&r, pre, strlen(pre));

	/* 8 MiB without a newline: the reader never holds more than the
	 * cap, and reports the error once. */
	char chunk[65536];
	memset(chunk, 'y', sizeof(chunk));
	for (int i = 0; i < 128; i++) {
		proto_reader_feed(&r, chunk, sizeof(chunk));
		assert_true(r.buf.len <= PROTO_MAX_LINE + 64);
		assert_true(r.buf.cap <= 2 * PROTO_MAX_LINE + 2 * sizeof(chunk));
	}
	drain(&r, &got);
	assert_string_equal(got.data, "id:1 id:2 E:PROTO_TOO_LARGE ");
	assert_true(proto_reader_buffered(&r) == 0);

	/* Still discarding: more junk and the newline that ends the bad
	 * line produce nothing; the line after it is read. */
	buf_reset(&got);
	proto_reader_feed(&r, chunk, sizeof(chunk));
	const char *end = "zzz\"}\n{\"id\":3}\n";
	proto_reader_feed(&r, end, strlen(end));
	drain(&r, &got);
	assert_string_equal(got.data, "id:3 ");

	/* reset() also ends the discarding. */
	buf_reset(&got);
	proto_reader_feed(&r, chunk, sizeof(chunk));
	for (int i = 0; i < 17; i++)
		proto_reader_feed(&r, chunk, sizeof(chunk));
	drain(&r, &got);
	assert_string_equal(got.data, "E:PROTO_TOO_LARGE ");
	proto_reader_reset(&r);
	buf_reset(&got);
	proto_reader_feed(&r, "{\"id\":4}\n", 9);
	drain(&r, &got);
	assert_string_equal(got.data, "id:4 ");
	proto_reader_free(&r);
	buf_free(&got);
}

static void test_bad_lines_recover(void **state)
{
	(void)state;
	struct proto_reader r;
	struct buf got;
	struct aura_error err;
	json_t *m;
	proto_reader_init(&r);
	buf_init(&got);

	const char *text = "not json\n[1,2]\n\"str\"\n42\n{\"id\":1}\n{\"id\":\n{\"id\":2}\n";
	proto_reader_feed(&r, text, strlen(text));
	drain(&r, &got);
	assert_string_equal(got.data, "E:PROTO_BAD_REQUEST E:PROTO_BAD_REQUEST E:PROTO_BAD_REQUEST "
				      "E:PROTO_BAD_REQUEST id:1 E:PROTO_BAD_REQUEST id:2 ");

	/* the detail says why */
	proto_reader_feed(&r, "[]\n", 3);
	assert_int_equal(proto_reader_next(&r, &m, &err), -AURA_E_PROTO_BAD_REQUEST);
	assert_null(m);
	assert_int_equal(err.code, AURA_E_PROTO_BAD_REQUEST);
	assert_non_null(strstr(err.detail, "object"));
	proto_reader_free(&r);
	buf_free(&got);
}

static void fill_job(struct job *j)
{
	job_init(j);
	j->id = 1234567890123LL;
	j->kind = JOB_KIND_VIDEO;
	j->name = strdup("café ☕ \"quoted\"\nline");
	j->state = JOB_FAILED;
	j->priority = -7;
	j->spec = strdup("{\"argv\":[\"-i\",\"a b.mp4\"],\"cwd\":\"/tmp\"}");
	j->output = strdup("/home/u/vidéos/out.mp4");
	j->workdir = strdup("/data/jobs/1234567890123");
	j->created_ms = 1700000000001LL;
	j->started_ms = 1700000000002LL;
	j->finished_ms = 1700000000003LL;
	j->updated_ms = 1700000000004LL;
	j->not_before_ms = 1700000000005LL;
	j->attempts = 2;
	j->max_attempts = 3;
	j->stage = strdup("voice");
	j->progress = 0.625;
	j->out_time_us = 5000000;
	j->duration_us = 10000000;
	j->fps = 29.97;
	j->speed = 1.5;
	j->size = 123456789012LL;
	j->eta_s = 3.25;
	j->pid = 4242;
	j->error_code = strdup("FFMPEG_UNKNOWN_ENCODER");
	j->error_message =
	    strdup("ffmpeg does not know the requested encoder: Unknown encoder 'nope'");
	j->key = strdup("row 12 of batch ☕");
	j->stderr_tail = strdup("line 1\nline 2\n\tünïcode\n");
	j->warnings = strdup("[{\"code\":\"PROVIDER_TIMEOUT\",\"text\":\"pexels\"}]");
}

#define ASSERT_STR_EQ_NULL(a, b)                                                                   \
	do {                                                                                       \
		if ((a) == NULL || (b) == NULL)                                                    \
			assert_ptr_equal((a), (b));                                                \
		else                                                                               \
			assert_string_equal((a), (b));                                             \
	} while (0)

static void assert_jobs_equal(const struct job *a, const struct job *b, bool tail)
{
	assert_int_equal(a->id, b->id);
	assert_int_equal(a->kind, b->kind);
	ASSERT_STR_EQ_NULL(a->name, b->name);
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->priority, b->priority);
	ASSERT_STR_EQ_NULL(a->output, b->output);
	ASSERT_STR_EQ_NULL(a->workdir, b->workdir);
	assert_int_equal(a->created_ms, b->created_ms);
	assert_int_equal(a->started_ms, b->started_ms);
	assert_int_equal(a->finished_ms, b->finished_ms);
	assert_int_equal(a->updated_ms, b->updated_ms);
	assert_int_equal(a->not_before_ms, b->not_before_ms);
	assert_int_equal(a->attempts, b->attempts);
	assert_int_equal(a->max_attempts, b->max_attempts);
	ASSERT_STR_EQ_NULL(a->stage, b->stage);
	assert_true(a->progress == b->progress);
	assert_int_equal(a->out_time_us, b->out_time_us);
	assert_int_equal(a->duration_us, b->duration_us);
	assert_true(a->fps == b->fps);
	assert_true(a->speed == b->speed);
	assert_int_equal(a->size, b->size);
	assert_true(a->eta_s == b->eta_s);
	assert_int_equal(a->pid, b->pid);
	ASSERT_STR_EQ_NULL(a->error_code, b->error_code);
	ASSERT_STR_EQ_NULL(a->error_message, b->error_message);
	ASSERT_STR_EQ_NULL(a->warnings, b->warnings);
	ASSERT_STR_EQ_NULL(a->key, b->key);
	if (tail) {
		ASSERT_STR_EQ_NULL(a->stderr_tail, b->stderr_tail);
		ASSERT_STR_EQ_NULL(a->spec, b->spec);
	}
}

/* to_json -> encode -> frame -> from_json gives back every field. */
static void round_trip(const struct job *j, bool tail)
{
	json_t *o = proto_job_to_json(j, tail);
	size_t len;
	char *line = proto_encode(o, &len);
	json_decref(o);
	assert_non_null(line);

	struct proto_reader r;
	json_t *m;
	proto_reader_init(&r);
	proto_reader_feed(&r, line, len);
	assert_int_equal(proto_reader_next(&r, &m, NULL), 1);
	free(line);

	struct job back;
	assert_int_equal(proto_job_from_json(m, &back), 0);
	assert_jobs_equal(j, &back, tail);
	if (!tail) {
		assert_null(back.stderr_tail);
		assert_null(back.spec);
	}
	json_decref(m);
	job_clear(&back);
	proto_reader_free(&r);
}

static void test_job_round_trip_full(void **state)
{
	(void)state;
	struct job j;
	fill_job(&j);
	round_trip(&j, true);
	round_trip(&j, false);
	job_clear(&j);
}

static void test_job_round_trip_nulls(void **state)
{
	(void)state;
	struct job j;
	job_init(&j); /* every optional field absent */
	j.id = 1;
	round_trip(&j, true);

	json_t *o = proto_job_to_json(&j, true);
	const char *nulls[] = { "name",	      "output",	     "workdir",	   "created_ms",
				"started_ms", "finished_ms", "updated_ms", "not_before_ms",
				"stage",      "duration_us", "eta_s",	   "pid",
				"error",      "stderr_tail", "spec" };
	for (size_t i = 0; i < ARRAY_LEN(nulls); i++) {
		json_t *v = json_object_get(o, nulls[i]);
		assert_non_null(v);
		if (!json_is_null(v))
			fail_msg("%s is not null", nulls[i]);
	}
	assert_true(json_is_array(json_object_get(o, "warnings")));
	assert_int_equal(json_array_size(json_object_get(o, "warnings")), 0);
	assert_string_equal(proto_get_str(o, "state"), "queued");
	assert_string_equal(proto_get_str(o, "kind"), "ffmpeg");
	json_decref(o);
}

static void test_job_json_shape(void **state)
{
	(void)state;
	struct job j;
	fill_job(&j);
	json_t *o = proto_job_to_json(&j, false);
	/* the documented fields, and no others */
	const char *fields[] = { "id",		"kind",		"name",	      "state",
				 "priority",	"output",	"workdir",    "created_ms",
				 "started_ms",	"finished_ms",	"updated_ms", "not_before_ms",
				 "attempts",	"max_attempts", "stage",      "progress",
				 "out_time_us", "duration_us",	"fps",	      "speed",
				 "size",	"eta_s",	"pid",	      "error",
				 "warnings",	"key",		"pool",	      "batch",
				 "cluster_id",	"substate",	"pruned_ms" };
	for (size_t i = 0; i < ARRAY_LEN(fields); i++)
		if (!json_object_get(o, fields[i]))
			fail_msg("missing %s", fields[i]);
	assert_int_equal(json_object_size(o), ARRAY_LEN(fields));
	assert_null(json_object_get(o, "stderr_tail"));
	assert_string_equal(proto_get_str(o, "state"), "failed");
	assert_string_equal(proto_get_str(o, "kind"), "video");

	/* error: code + the catalogue's message and hint + the job's detail */
	json_t *e = json_object_get(o, "error");
	assert_true(json_is_object(e));
	assert_int_equal(json_object_size(e), 4);
	assert_string_equal(proto_get_str(e, "code"), "FFMPEG_UNKNOWN_ENCODER");
	assert_string_equal(proto_get_str(e, "message"),
			    aura_error_message(AURA_E_FFMPEG_UNKNOWN_ENCODER));
	assert_string_equal(proto_get_str(e, "hint"),
			    aura_error_hint(AURA_E_FFMPEG_UNKNOWN_ENCODER));
	assert_string_equal(proto_get_str(e, "detail"), j.error_message);

	/* warnings: the stored JSON text becomes a real array */
	json_t *w = json_object_get(o, "warnings");
	assert_int_equal(json_array_size(w), 1);
	assert_string_equal(proto_get_str(json_array_get(w, 0), "code"), "PROVIDER_TIMEOUT");
	json_decref(o);

	/* with the tail: stderr_tail, and spec as an object, not text */
	o = proto_job_to_json(&j, true);
	assert_string_equal(proto_get_str(o, "stderr_tail"), j.stderr_tail);
	assert_true(json_is_object(json_object_get(o, "spec")));
	assert_string_equal(json_string_value(json_array_get(
				json_object_get(json_object_get(o, "spec"), "argv"), 1)),
			    "a b.mp4");
	json_decref(o);

	/* a warnings text that is not an array is kept as one warning */
	free(j.warnings);
	j.warnings = strdup("disk nearly full");
	o = proto_job_to_json(&j, false);
	w = json_object_get(o, "warnings");
	assert_int_equal(json_array_size(w), 1);
	assert_string_equal(json_string_value(json_array_get(w, 0)), "disk nearly full");
	json_decref(o);

	/* an error code this build does not know keeps the job's text */
	free(j.error_code);
	j.error_code = strdup("FROM_THE_FUTURE");
	o = proto_job_to_json(&j, false);
	e = json_object_get(o, "error");
	assert_string_equal(proto_get_str(e, "code"), "FROM_THE_FUTURE");
	assert_string_equal(proto_get_str(e, "message"), j.error_message);
	json_decref(o);
	job_clear(&j);
}

static void test_job_from_json_rejects_bad_types(void **state)
{
	(void)state;
	const char *bad[] = {
		"{\"id\":\"7\"}",
		"{\"state\":\"exploded\"}",
		"{\"kind\":3}",
		"{\"name\":[]}",
		"{\"progress\":\"half\"}",
		"{\"error\":\"oops\"}",
		"{\"error\":{\"code\":5}}",
		"{\"warnings\":{}}",
		"{\"pid\":-1}",
		"{\"priority\":9999999999}",
		"[]",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		json_t *o = json_loads(bad[i], JSON_DECODE_ANY, NULL);
		assert_non_null(o);
		struct job j;
		if (proto_job_from_json(o, &j) != -AURA_E_PROTO_BAD_REQUEST)
			fail_msg("accepted %s", bad[i]);
		/* and left nothing allocated */
		assert_null(j.name);
		assert_null(j.error_code);
		json_decref(o);
	}
	/* unknown members are ignored (a newer server may add some) */
	json_t *o = json_loads("{\"id\":3,\"future\":{\"x\":1},\"state\":\"running\"}", 0, NULL);
	struct job j;
	assert_int_equal(proto_job_from_json(o, &j), 0);
	assert_int_equal(j.id, 3);
	assert_int_equal(j.state, JOB_RUNNING);
	assert_true(j.eta_s < 0);
	json_decref(o);
	job_clear(&j);
}

/* utf8_repair (what the video spec builds its request with, below the
 * protocol) gives the same string as proto_string, byte for byte. */
static void test_utf8_repair_is_proto_string(void **state)
{
	(void)state;
	const char *cases[] = {
		"",
		"plain ascii",
		"caf\xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80",
		"ok \xC3 \x80 \xC0\xAF \xED\xA0\x80 \xF0\x9F\x8E\xAC end\xE2\x82",
		"\xFF\xFE\xF5\x80\x80 \xC1\xBF \xE0\x80\x80 \xF4\x90\x80\x80 \xF8",
		"\xEF\xBF\xBD real replacement",
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *r = utf8_repair(cases[i]);
		json_t *p = proto_string(cases[i]);
		assert_true(utf8_valid(r, NULL));
		assert_string_equal(r, json_string_value(p));
		json_decref(p);
		free(r);
	}
	assert_null(utf8_repair(NULL));
}

static void test_invalid_utf8_is_repaired(void **state)
{
	(void)state;
	/* FFmpeg's stderr is bytes: a cut multi-byte sequence, a lone
	 * continuation byte, an overlong '/', a surrogate. */
	const char raw[] = "ok \xC3 \x80 \xC0\xAF \xED\xA0\x80 \xF0\x9F\x8E\xAC end\xE2\x82";
	json_t *s = proto_string(raw);
	assert_non_null(s);
	assert_true(json_is_string(s));
	const char *v = json_string_value(s);
	assert_non_null(strstr(v, "ok \xEF\xBF\xBD \xEF\xBF\xBD "));
	assert_non_null(strstr(v, "\xF0\x9F\x8E\xAC end")); /* valid 4-byte kept */
	assert_null(strstr(v, "\xC3 "));
	json_decref(s);

	/* embedded NUL bytes (log data) become U+FFFD too, so a peer that
	 * refuses \u0000 can still read the line */
	s = proto_stringn("a\0b", 3);
	assert_string_equal(json_string_value(s), "a\xEF\xBF\xBD"
						  "b");
	json_decref(s);

	assert_true(json_is_null(proto_string(NULL)));

	struct job j;
	job_init(&j);
	j.id = 5;
	j.name = strdup("bad \xFF name");
	j.stderr_tail = strdup("tail \xFE\n");
	json_t *o = proto_job_to_json(&j, true);
	assert_string_equal(proto_get_str(o, "name"), "bad \xEF\xBF\xBD name");
	assert_string_equal(proto_get_str(o, "stderr_tail"), "tail \xEF\xBF\xBD\n");
	size_t len;
	char *line = proto_encode(o, &len);
	assert_non_null(line);
	free(line);
	json_decref(o);
	job_clear(&j);
}

static void test_stage_json(void **state)
{
	(void)state;
	struct stage s = { .name = (char *)"render",
			   .seq = 5,
			   .state = STAGE_RUNNING,
			   .progress = 0.5,
			   .started_ms = 99,
			   .finished_ms = 0 };
	json_t *o = proto_stage_to_json(&s);
	assert_int_equal(json_object_size(o), 6);
	assert_string_equal(proto_get_str(o, "name"), "render");
	assert_int_equal(proto_get_int(o, "seq", -1), 5);
	assert_string_equal(proto_get_str(o, "state"), stage_state_name(STAGE_RUNNING));
	assert_true(proto_get_real(o, "progress", -1) == 0.5);
	assert_int_equal(proto_get_int(o, "started_ms", -1), 99);
	assert_true(json_is_null(json_object_get(o, "finished_ms")));
	json_decref(o);
}

static void test_builders_and_errors(void **state)
{
	(void)state;
	json_t *p = json_object();
	json_object_set_new(p, "id", json_integer(12));
	json_t *req = proto_request(7, "cancel", p);
	size_t len;
	char *line = proto_encode(req, &len);
	assert_string_equal(line, "{\"id\":7,\"method\":\"cancel\",\"params\":{\"id\":12}}\n");
	assert_int_equal(len, strlen(line));
	free(line);
	json_decref(req);

	req = proto_request(8, "ping", NULL);
	assert_true(json_is_object(json_object_get(req, "params")));
	json_decref(req);

	json_t *ok = proto_response_ok(7, NULL);
	line = proto_encode(ok, NULL);
	assert_string_equal(line, "{\"id\":7,\"ok\":true,\"result\":{}}\n");
	free(line);
	json_decref(ok);

	struct aura_error err;
	aura_error_set(&err, AURA_E_JOB_BAD_STATE, "job 12 is succeeded");
	json_t *r = proto_response_err(7, &err);
	assert_true(json_is_false(json_object_get(r, "ok")));
	json_t *e = json_object_get(r, "error");
	assert_string_equal(proto_get_str(e, "code"), "JOB_BAD_STATE");
	assert_string_equal(proto_get_str(e, "message"), aura_error_message(AURA_E_JOB_BAD_STATE));
	assert_string_equal(proto_get_str(e, "hint"), aura_error_hint(AURA_E_JOB_BAD_STATE));
	assert_string_equal(proto_get_str(e, "detail"), "job 12 is succeeded");

	/* and back */
	struct aura_error back;
	assert_int_equal(proto_error_from_json(e, &back), -AURA_E_JOB_BAD_STATE);
	assert_int_equal(back.code, AURA_E_JOB_BAD_STATE);
	assert_string_equal(back.detail, "job 12 is succeeded");
	json_decref(r);

	/* without a detail: null, and none comes back */
	aura_error_set(&err, AURA_E_JOB_NOT_FOUND, NULL);
	r = proto_response_err(PROTO_NO_ID, &err);
	assert_true(json_is_null(json_object_get(r, "id")));
	e = json_object_get(r, "error");
	assert_true(json_is_null(json_object_get(e, "detail")));
	assert_int_equal(proto_error_from_json(e, &back), -AURA_E_JOB_NOT_FOUND);
	assert_string_equal(back.detail, "");
	json_decref(r);

	/* an unknown code from a newer server: INTERNAL, naming it */
	e = json_loads("{\"code\":\"NEW_THING\",\"message\":\"it broke\"}", 0, NULL);
	assert_int_equal(proto_error_from_json(e, &back), -AURA_E_INTERNAL);
	assert_non_null(strstr(back.detail, "NEW_THING"));
	assert_non_null(strstr(back.detail, "it broke"));
	json_decref(e);

	json_t *ev = proto_event("shutdown");
	line = proto_encode(ev, NULL);
	assert_string_equal(line, "{\"event\":\"shutdown\"}\n");
	free(line);
	json_decref(ev);
}

static void test_encode_is_one_line(void **state)
{
	(void)state;
	json_t *o = json_object();
	json_object_set_new(o, "s", json_string("a\nb\rc\x01\x1f\tz\n"));
	json_object_set_new(o, "nested", json_pack("{s:[s,s]}", "k", "\n\n", "x\ny"));
	json_object_set_new(o, "sep", proto_string("\u2028 sep"));
	size_t len;
	char *line = proto_encode(o, &len);
	assert_non_null(line);
	assert_int_equal(len, strlen(line));
	assert_true(len > 1);
	assert_int_equal(line[len - 1], '\n');
	assert_ptr_equal(strchr(line, '\n'), line + len - 1);
	assert_null(strchr(line, '\r'));
	for (size_t i = 0; i + 1 < len; i++)
		assert_true((unsigned char)line[i] >= 0x20);

	/* and it decodes back to the same strings */
	struct proto_reader r;
	json_t *m;
	proto_reader_init(&r);
	proto_reader_feed(&r, line, len);
	assert_int_equal(proto_reader_next(&r, &m, NULL), 1);
	assert_true(json_equal(m, o));
	json_decref(m);
	proto_reader_free(&r);
	free(line);
	json_decref(o);

	/* NaN progress would make jansson refuse the job: it becomes null */
	struct job j;
	job_init(&j);
	j.progress = NAN;
	j.fps = INFINITY;
	o = proto_job_to_json(&j, false);
	assert_true(json_is_null(json_object_get(o, "progress")));
	assert_true(json_is_null(json_object_get(o, "fps")));
	line = proto_encode(o, NULL);
	assert_non_null(line);
	free(line);
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_framing_byte_at_a_time),
		cmocka_unit_test(test_many_messages_in_one_read),
		cmocka_unit_test(test_cap_exactly),
		cmocka_unit_test(test_cap_bounded_memory),
		cmocka_unit_test(test_bad_lines_recover),
		cmocka_unit_test(test_job_round_trip_full),
		cmocka_unit_test(test_job_round_trip_nulls),
		cmocka_unit_test(test_job_json_shape),
		cmocka_unit_test(test_job_from_json_rejects_bad_types),
		cmocka_unit_test(test_invalid_utf8_is_repaired),
		cmocka_unit_test(test_utf8_repair_is_proto_string),
		cmocka_unit_test(test_stage_json),
		cmocka_unit_test(test_builders_and_errors),
		cmocka_unit_test(test_encode_is_one_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
