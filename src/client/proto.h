/*
 * proto.h -- the control protocol's encoding (doc/protocol.md): line
 * framing with the 1 MiB cap, message builders, and the JSON shapes of a
 * job and a stage. Shared by the server and every client; jansson only.
 *
 * Must never: do I/O (callers read and write the socket), block, or keep
 * growing a buffer past the cap because a peer never sends a newline.
 */
#ifndef AURA_PROTO_H
#define AURA_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/errors.h"
#include "base/job.h"
#include "base/util.h"

/* A message line, its newline included, is at most this many bytes. */
#define PROTO_MAX_LINE (1024 * 1024)

/* proto_response_err() with this id answers with "id": null (a request
 * whose id could not be read). */
#define PROTO_NO_ID INT64_MIN

/*
 * Line framing. Feed whatever read() returned, then call next() until it
 * returns 0. Complete lines are handed out in order; a line that passes
 * PROTO_MAX_LINE without a newline is dropped as it arrives (the reader
 * holds at most PROTO_MAX_LINE bytes of one line) and reported once, in
 * its place in the sequence, as -AURA_E_PROTO_TOO_LARGE; the bytes up to
 * its newline are discarded, then reading goes on (or the caller closes).
 */
struct proto_reader {
	struct buf buf;
	size_t pos;	 /* start of the unread bytes in buf */
	size_t partial;	 /* start of the trailing incomplete line in buf */
	size_t err_at;	 /* where a pending too-large error sits in buf */
	bool too_large;	 /* an over-cap error waits to be reported */
	bool discarding; /* dropping an over-cap line until its newline */
};

void proto_reader_init(struct proto_reader *r);
void proto_reader_free(struct proto_reader *r);
void proto_reader_reset(struct proto_reader *r); /* forget everything buffered */
void proto_reader_feed(struct proto_reader *r, const void *data, size_t n);
/*
 * 1: *msg is the next message, a JSON object the caller owns.
 * 0: no complete line yet (feed more).
 * -AURA_E_PROTO_TOO_LARGE: a line passed the cap (the caller closes).
 * -AURA_E_PROTO_BAD_REQUEST: a line was not a JSON object (detail says
 *   why); the caller answers it and goes on with the next line.
 * Empty (or whitespace-only) lines are skipped.
 */
int proto_reader_next(struct proto_reader *r, json_t **msg, struct aura_error *err);
/* Bytes buffered and not yet handed out (for tests and diagnostics). */
size_t proto_reader_buffered(const struct proto_reader *r);

/*
 * A JSON string from C bytes that may not be valid UTF-8 (FFmpeg output,
 * file names): invalid sequences and NUL bytes become U+FFFD, so jansson
 * accepts the text and a peer can decode it. NULL gives JSON null.
 */
json_t *proto_string(const char *s);
json_t *proto_stringn(const char *s, size_t n);
/* proto_string() of at most max bytes of s: a longer s is cut at a UTF-8
 * boundary and "[... N bytes cut]" appended (N the bytes left out). */
json_t *proto_string_capped(const char *s, size_t max);

/*
 * What one JOB object may hold, whatever the store has: each text field
 * at most PROTO_FIELD_MAX bytes, the warnings PROTO_FIELD_MAX * 2 as
 * JSON, stderr_tail PROTO_TAIL_MAX bytes, spec JOB_SPEC_MAX as JSON. A
 * longer value is cut at a UTF-8 boundary and ends in "[... N bytes
 * cut]", so the largest JOB stays far below PROTO_MAX_LINE and one record
 * cannot break a listing, an answer or an event.
 */
#define PROTO_FIELD_MAX (8 * 1024)
#define PROTO_TAIL_MAX	(16 * 1024)

/*
 * The JOB object of doc/protocol.md. Absent values (NULL strings, unset
 * times, no pid, unknown eta/duration) are JSON null. with_tail adds
 * stderr_tail and spec (the job's parameters as JSON), as `get` answers.
 * The error object is {code, message, hint, detail}: message and hint
 * from the catalogue, detail is the job's own error_message.
 */
json_t *proto_job_to_json(const struct job *j, bool with_tail);
/* The reverse; out is job_init'ed first and owns its strings. Fields that
 * are absent keep their job_init() value. -AURA_E_PROTO_BAD_REQUEST if o
 * is not an object or a field has the wrong type. */
int proto_job_from_json(json_t *o, struct job *out);
/* STAGE: {name, seq, state, progress, started_ms, finished_ms}. */
json_t *proto_stage_to_json(const struct stage *s);

/* Builders. params/result are stolen (NULL gives {}). */
json_t *proto_request(int64_t id, const char *method, json_t *params);
json_t *proto_response_ok(int64_t id, json_t *result);
json_t *proto_response_err(int64_t id, const struct aura_error *err);
json_t *proto_event(const char *name);
/* The {code, message, hint, detail} object of an error response. */
json_t *proto_error_to_json(const struct aura_error *err);
/* The reverse: code looked up by name (unknown names become INTERNAL with
 * the name in the detail), detail from "detail", else "message". Returns
 * the negative code. */
int proto_error_from_json(json_t *o, struct aura_error *err);

/*
 * One message as a compact line ending in exactly one "\n" (JSON escapes
 * every control character inside strings, so no other newline appears).
 * Returns a malloc'ed string and its length in *len (NULL if jansson
 * refuses, which only a non-object or an invalid value can cause). The
 * caller checks *len against PROTO_MAX_LINE where a peer enforces it.
 */
char *proto_encode(json_t *msg, size_t *len);

/* Typed getters for decoders: the member as a number/string, or def when
 * absent, null or of another type. */
int64_t proto_get_int(json_t *o, const char *key, int64_t def);
double proto_get_real(json_t *o, const char *key, double def);
const char *proto_get_str(json_t *o, const char *key);
bool proto_get_bool(json_t *o, const char *key, bool def);

#endif
