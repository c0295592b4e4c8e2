/*
 * proto-fuzzer.c -- libFuzzer target for the control protocol's decoding:
 * random bytes through the line reader (split at input-chosen points) and
 * every message through the job and error decoders. Checks that nothing
 * crashes or leaks, the reader stays within its cap, and a decoded job
 * survives encode -> decode unchanged.
 *
 * Built only with --enable-fuzzing (clang -fsanitize=fuzzer,address).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_job(json_t *msg)
{
	struct job a, b;
	json_t *o = json_object_get(msg, "job");
	if (!o)
		o = msg;
	if (proto_job_from_json(o, &a) < 0)
		return;
	json_t *enc = proto_job_to_json(&a, true);
	size_t len;
	char *line = proto_encode(enc, &len);
	json_decref(enc);
	if (!line)
		abort(); /* every decoded job must encode */
	if (len == 0 || line[len - 1] != '\n' || memchr(line, '\n', len - 1))
		abort();

	struct proto_reader r;
	json_t *back;
	proto_reader_init(&r);
	proto_reader_feed(&r, line, len);
	if (proto_reader_next(&r, &back, NULL) != 1)
		abort();
	if (proto_job_from_json(back, &b) < 0)
		abort();
	if (a.id != b.id || a.state != b.state || a.kind != b.kind || a.pid != b.pid ||
	    a.attempts != b.attempts || a.size != b.size)
		abort();
	/* strings that were valid UTF-8 come back the same */
	if (a.name && b.name && strlen(a.name) == strlen(b.name) && strcmp(a.name, b.name) != 0)
		abort();
	json_decref(back);
	free(line);
	job_clear(&a);
	job_clear(&b);
	proto_reader_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	/* the first byte chooses the read size, as a socket would split */
	size_t step = (size_t)data[0] + 1;
	data++;
	size--;

	struct proto_reader r;
	proto_reader_init(&r);
	for (size_t off = 0; off < size; off += step) {
		size_t n = size - off < step ? size - off : step;
		proto_reader_feed(&r, data + off, n);
		if (proto_reader_buffered(&r) > PROTO_MAX_LINE + step)
			abort();
		for (;;) {
			json_t *msg;
			struct aura_error err;
			int rc = proto_reader_next(&r, &msg, &err);
			if (rc == 0)
				break;
			if (rc < 0)
				continue;
			check_job(msg);
			json_t *e = json_object_get(msg, "error");
			if (json_is_object(e) && proto_error_from_json(e, &err) >= 0)
				abort();
			json_decref(msg);
		}
	}
	proto_reader_free(&r);

	/* any bytes make a valid JSON string */
	json_t *s = proto_stringn((const char *)data, size);
	if (!s)
		abort();
	json_decref(s);
	return 0;
}
