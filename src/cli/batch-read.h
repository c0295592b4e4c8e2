/*
 * batch-read.h -- the rows of `aura batch FILE` (cmd-batch.c): the file's
 * format (plain topics, CSV with a header row, JSON Lines), its rows with
 * their line numbers, each row turned into the params of one `batch` row
 * (doc/protocol.md) with its idempotency key.
 *
 * Must never: talk to the server, or accept a column that is not a job
 * option (a typo would silently be a default).
 */
#ifndef AURA_CLI_BATCH_READ_H
#define AURA_CLI_BATCH_READ_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "base/errors.h"

enum batch_format { BATCH_AUTO, BATCH_PLAIN, BATCH_CSV, BATCH_JSONL };

/* "plain", "csv", "jsonl" (or "ndjson"); -1 for anything else. */
int batch_format_parse(const char *s);
/* The format of a file: by path's extension (.csv, .jsonl, .ndjson), else
 * '{' as the first non-blank character of text means JSON Lines, else
 * plain. path may be NULL (standard input). */
enum batch_format batch_format_detect(const char *path, const char *text);

struct batch_row {
	int line;      /* 1-based line of the file where the row starts */
	json_t *cells; /* column -> value: strings (CSV, plain) or JSON values */
};

struct batch_rows {
	struct batch_row *v;
	size_t n;
};

/*
 * Read the rows of text (len bytes) in format f (not BATCH_AUTO). Errors
 * are -AURA_E_BATCH_FILE_INVALID with the detail starting "line N: " or
 * "line N, column C: " (an unknown column, a broken quote or JSON line, a
 * CSV row with a different number of fields than its header). Blank lines
 * are skipped; in plain files, lines starting with # too. out is freed on
 * error.
 */
int batch_read(const char *text, size_t len, enum batch_format f, struct batch_rows *out,
	       struct aura_error *err);
void batch_rows_free(struct batch_rows *r);

/* What a row's params take from the command line. */
struct batch_defaults {
	const char *cwd;      /* the client's working directory (absolute) */
	const char *pool;     /* for rows without one, or NULL */
	const char *priority; /* for rows without one, or NULL */
	const char *style;    /* for video rows without one, or NULL */
	bool remote;	      /* --host: the rows' paths are the server's (doc/remote.md) */
};

/*
 * The `batch` row of cells (a new reference in *params): a video row
 * ({"topic", "options", "cwd", "pool", "name", "key"}) or, with
 * kind=ffmpeg, a submit row ({"kind", "argv", "cwd", "output", "name",
 * "priority", "pool", "key"}). Relative paths are made absolute against
 * d->cwd; a script column names a file whose text is sent. With d->remote
 * the paths are the server's: a relative one is -AURA_E_REMOTE_PATH_RELATIVE,
 * none is opened here, no cwd is sent unless the row gives one, and the
 * script goes as "script_path" for the server to read. A row without
 * key gets "row:" + batch_row_hash() of the row. Errors: the detail names
 * the column (*column set to it, a static string or one inside cells).
 */
int batch_row_params(const struct batch_row *row, const struct batch_defaults *d, json_t **params,
		     const char **column, struct aura_error *err);
/* 32 hex digits (out: 33 bytes): two FNV-1a 64-bit hashes, with two
 * offset bases, of params as compact JSON with sorted keys. */
void batch_row_hash(json_t *params, char out[33]);

#endif
