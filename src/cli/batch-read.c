/*
 * batch-read.c -- the rows of a batch file (batch-read.h): plain topics,
 * CSV with a header row (libcsv) and JSON Lines (jansson), each row with
 * the line it starts on; a row's `batch` params and its key.
 *
 * Must never: guess what an unknown column means, or let one row's error
 * go unreported (the first is the answer, with its line).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>
#include <jansson.h>

#include "base/util.h"
#include "cli/batch-read.h"
#include "base/shsplit.h"

static const char *const columns[] = {
	"topic",    "duration", "preset",   "voice", "script",	"images", "music",
	"captions", "output",	"priority", "pool",  "seed",	"kind",	  "args",
	"cwd",	    "name",	"key",	    "after", "on_done", "style",
};

static const char *column_known(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(columns); i++)
		if (strcmp(columns[i], name) == 0)
			return columns[i];
	return NULL;
}

int batch_format_parse(const char *s)
{
	if (strcmp(s, "plain") == 0)
		return BATCH_PLAIN;
	if (strcmp(s, "csv") == 0)
		return BATCH_CSV;
	if (strcmp(s, "jsonl") == 0 || strcmp(s, "ndjson") == 0)
		return BATCH_JSONL;
	return -1;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);
	return n >= m && strcasecmp(s + n - m, tail) == 0;
}

enum batch_format batch_format_detect(const char *path, const char *text)
{
	if (path && ends_with(path, ".csv"))
		return BATCH_CSV;
	if (path && (ends_with(path, ".jsonl") || ends_with(path, ".ndjson")))
		return BATCH_JSONL;
	while (*text && isspace((unsigned char)*text))
		text++;
	return *text == '{' ? BATCH_JSONL : BATCH_PLAIN;
}

static void rows_add(struct batch_rows *r, int line, json_t *cells)
{
	r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
	r->v[r->n].line = line;
	r->v[r->n].cells = cells;
	r->n++;
}

void batch_rows_free(struct batch_rows *r)
{
	for (size_t i = 0; r && i < r->n; i++)
		json_decref(r->v[i].cells);
	if (r) {
		free(r->v);
		r->v = NULL;
		r->n = 0;
	}
}

/* The next physical line of text: [*p, return) without its newline;
 * *next after it. */
static size_t next_line(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
	*next = nl ? nl + 1 : end;
	return n;
}

static bool blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)p[i]))
			return false;
	return true;
}

static int read_plain(const char *text, size_t len, struct batch_rows *out)
{
	const char *p = text, *end = text + len, *next;
	for (int line = 1; p < end; line++, p = next) {
		size_t n = next_line(p, end, &next);
		while (n > 0 && isspace((unsigned char)*p))
			p++, n--;
		while (n > 0 && isspace((unsigned char)p[n - 1]))
			n--;
		if (n == 0 || *p == '#')
			continue;
		json_t *cells = json_object();
		json_object_set_new(cells, "topic", json_stringn(p, n));
		rows_add(out, line, cells);
	}
	return 0;
}

static int read_jsonl(const char *text, size_t len, struct batch_rows *out, struct aura_error *err)
{
	const char *p = text, *end = text + len, *next;
	for (int line = 1; p < end; line++, p = next) {
		size_t n = next_line(p, end, &next);
		if (blank(p, n))
			continue;
		json_error_t jerr;
		json_t *o = json_loadb(p, n, JSON_REJECT_DUPLICATES, &jerr);
		if (!o)
			return aura_error_set(err, AURA_E_BATCH_FILE_INVALID,
					      "line %d: not JSON: %s (column %d)", line, jerr.text,
					      jerr.column);
		if (!json_is_object(o)) {
			json_decref(o);
			return aura_error_set(err, AURA_E_BATCH_FILE_INVALID,
					      "line %d: a row must be a JSON object", line);
		}
		const char *k;
		json_t *v;
		json_object_foreach(o, k, v)
		{
			if (!column_known(k)) {
				aura_error_set(err, AURA_E_BATCH_FILE_INVALID,
					       "line %d, column %s: not a job option", line, k);
				json_decref(o);
				return -AURA_E_BATCH_FILE_INVALID;
			}
		}
		rows_add(out, line, o);
	}
	return 0;
}

/* --- CSV (libcsv calls back per field and per row) ------------------------ */

struct csv_state {
	struct batch_rows *out;
	struct aura_error *err;
	json_t *header; /* the column names */
	json_t *fields; /* the row being read */
	int row_line;	/* where it started */
	bool row_open;
	int rc;
};

static void csv_field(void *s, size_t n, void *ctx)
{
	struct csv_state *cs = ctx;
	json_array_append_new(cs->fields, json_stringn(s ? s : "", s ? n : 0));
}

static void csv_row(int c, void *ctx)
{
	struct csv_state *cs = ctx;
	(void)c;
	json_t *f = cs->fields;
	cs->fields = json_array();
	cs->row_open = false;
	if (cs->rc < 0) {
		json_decref(f);
		return;
	}
	size_t i;
	json_t *v;
	if (!cs->header) {
		json_array_foreach(f, i, v)
		{
			const char *name = json_string_value(v);
			const char *known = column_known(name);
			if (!known) {
				cs->rc = aura_error_set(cs->err, AURA_E_BATCH_FILE_INVALID,
							"line %d, column %s: not a job option "
							"(the header names the columns)",
							cs->row_line, *name ? name : "''");
				break;
			}
			for (size_t j = 0; j < i; j++)
				if (strcmp(json_string_value(json_array_get(f, j)), name) == 0) {
					cs->rc = aura_error_set(cs->err, AURA_E_BATCH_FILE_INVALID,
								"line %d, column %s: named twice",
								cs->row_line, name);
					break;
				}
			if (cs->rc < 0)
				break;
		}
		if (cs->rc < 0)
			json_decref(f);
		else
			cs->header = f;
		return;
	}
	if (json_array_size(f) != json_array_size(cs->header)) {
		cs->rc = aura_error_set(cs->err, AURA_E_BATCH_FILE_INVALID,
					"line %d: %zu fields, but the header has %zu", cs->row_line,
					json_array_size(f), json_array_size(cs->header));
		json_decref(f);
		return;
	}
	json_t *cells = json_object();
	json_array_foreach(f, i, v)
	{
		if (json_string_length(v) > 0)
			json_object_set(cells, json_string_value(json_array_get(cs->header, i)), v);
	}
	json_decref(f);
	rows_add(cs->out, cs->row_line, cells);
}

static int read_csv(const char *text, size_t len, struct batch_rows *out, struct aura_error *err)
{
	struct csv_parser p;
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
		return aura_error_set(err, AURA_E_INTERNAL, "csv_init failed");
	struct csv_state cs = { out, err, NULL, json_array(), 0, false, 0 };
	const char *q = text, *end = text + len, *next;
	int line = 1;
	for (; q < end && cs.rc == 0; line++, q = next) {
		size_t n = next_line(q, end, &next);
		if (!cs.row_open && !blank(q, n)) {
			cs.row_line = line;
			cs.row_open = true;
		}
		size_t feed = (size_t)(next - q);
		if (csv_parse(&p, q, feed, csv_field, csv_row, &cs) != feed && cs.rc == 0)
			cs.rc = aura_error_set(err, AURA_E_BATCH_FILE_INVALID, "line %d: %s", line,
					       csv_strerror(csv_error(&p)));
	}
	if (cs.rc == 0 && csv_fini(&p, csv_field, csv_row, &cs) != 0 && cs.rc == 0)
		cs.rc = aura_error_set(err, AURA_E_BATCH_FILE_INVALID, "line %d: %s",
				       cs.row_line ? cs.row_line : 1,
				       csv_error(&p) == CSV_EPARSE ? "a quoted field is not closed"
								   : csv_strerror(csv_error(&p)));
	csv_free(&p);
	if (cs.rc == 0 && !cs.header)
		cs.rc = aura_error_set(err, AURA_E_BATCH_FILE_INVALID,
				       "line 1: a CSV file needs a header row naming its columns");
	json_decref(cs.header);
	json_decref(cs.fields);
	return cs.rc;
}

int batch_read(const char *text, size_t len, enum batch_format f, struct batch_rows *out,
	       struct aura_error *err)
{
	out->v = NULL;
	out->n = 0;
	int rc;
	if (f == BATCH_CSV)
		rc = read_csv(text, len, out, err);
	else if (f == BATCH_JSONL)
		rc = read_jsonl(text, len, out, err);
	else
		rc = read_plain(text, len, out);
	if (rc == 0 && out->n == 0)
		rc = aura_error_set(err, AURA_E_BATCH_FILE_INVALID, "the file has no rows");
	if (rc < 0)
		batch_rows_free(out);
	return rc;
}

/* --- a row's params --------------------------------------------------------- */

static int col_error(const struct batch_row *row, const char *col, const char **column,
		     struct aura_error *err, const char *what)
{
	*column = col;
	return aura_error_set(err, AURA_E_BATCH_FILE_INVALID, "line %d, column %s: %s", row->line,
			      col, what);
}

/* A cell as text: strings as they are, numbers written out; NULL and an
 * error for anything else. */
static char *cell_text(json_t *v)
{
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	return NULL;
}

/* A whole number when the cell is one, else the text as it is (so the
 * server's check names the field). */
static json_t *cell_number(json_t *v)
{
	if (json_is_integer(v))
		return json_incref(v);
	const char *s = json_string_value(v);
	char *end;
	errno = 0;
	long long x = s && *s ? strtoll(s, &end, 10) : 0;
	if (s && *s && !*end && errno == 0)
		return json_integer(x);
	return json_incref(v);
}

/* The same for a text of ours (--priority): a new reference. */
static json_t *number_text(const char *s)
{
	json_t *t = json_string(s);
	json_t *n = cell_number(t);
	json_decref(t);
	return n;
}

/* The after column: job ids, as a number, a text "3,5" (a "#" before an
 * id and spaces allowed) or a JSON array of numbers: params["after"]. */
static int after_cell(const struct batch_row *row, json_t *v, json_t *p, const char **column,
		      struct aura_error *err)
{
	if (!v)
		return 0;
	json_t *a = json_array();
	if (json_is_integer(v) && json_integer_value(v) > 0) {
		json_array_append(a, v);
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x)
		{
			if (!json_is_integer(x) || json_integer_value(x) <= 0)
				goto bad;
			json_array_append(a, x);
		}
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		while (*s) {
			while (*s == ' ' || *s == ',')
				s++;
			if (!*s)
				break;
			if (*s == '#')
				s++;
			char *end;
			long long id = *s >= '0' && *s <= '9' ? strtoll(s, &end, 10) : 0;
			if (id <= 0 || (*end && *end != ',' && *end != ' '))
				goto bad;
			json_array_append_new(a, json_integer(id));
			s = end;
		}
	} else {
		goto bad;
	}
	if (json_array_size(a) > 0)
		json_object_set_new(p, "after", a);
	else
		json_decref(a);
	return 0;
bad:
	json_decref(a);
	return col_error(row, "after", column, err, "job ids separated by commas (3,5)");
}

static char *abs_path(const char *cwd, const char *p)
{
	return p[0] == '/' ? xstrdup(p) : xasprintf("%s/%s", cwd, p);
}

/* A path cell: absolute from d->cwd, or with --host the server's path as
 * it is (a relative one refused). NULL and 0 when the cell is absent. */
static int path_cell(const struct batch_row *row, const struct batch_defaults *d, const char *col,
		     char **out, const char **column, struct aura_error *err)
{
	char *t = cell_text(json_object_get(row->cells, col));
	*out = NULL;
	if (!t)
		return 0;
	if (d->remote && t[0] != '/') {
		*column = col;
		aura_error_set(err, AURA_E_REMOTE_PATH_RELATIVE,
			       "line %d, column %s: %s: paths are the server's with --host",
			       row->line, col, t);
		free(t);
		return -AURA_E_REMOTE_PATH_RELATIVE;
	}
	*out = d->remote ? t : abs_path(d->cwd, t);
	if (!d->remote)
		free(t);
	return 0;
}

static int read_file_text(const char *path, char **out)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	struct buf b;
	buf_init(&b);
	char tmp[4096];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_append(&b, tmp, n);
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(b.data);
		return -1;
	}
	*out = b.data ? b.data : xstrdup("");
	return 0;
}

static const char *const video_only[] = { "topic",  "duration", "preset",   "voice", "script",
					  "images", "music",	"captions", "seed",  "style" };
static const char *const video_options[] = { "duration", "preset",   "voice", "captions",
					     "seed",	 "priority", "style" };

int batch_row_params(const struct batch_row *row, const struct batch_defaults *d, json_t **params,
		     const char **column, struct aura_error *err)
{
	json_t *c = row->cells;
	*params = NULL;
	*column = NULL;
	const char *k;
	json_t *v;
	json_object_foreach(c, k, v)
	{
		bool ok = json_is_string(v) || json_is_integer(v) ||
			  (strcmp(k, "args") == 0 && json_is_array(v));
		if (!ok && !json_is_null(v))
			return col_error(row, column_known(k) ? column_known(k) : "?", column, err,
					 "must be text or a whole number");
	}
	json_t *kind = json_object_get(c, "kind");
	bool ffmpeg = false;
	if (kind && !json_is_null(kind)) {
		if (!json_is_string(kind) || strcmp(json_string_value(kind), "ffmpeg") != 0)
			return col_error(row, "kind", column, err,
					 "the only kind is ffmpeg (video rows have no kind)");
		ffmpeg = true;
	}
	json_t *p = json_object();
	int rc = 0;
	char *t;
	if (ffmpeg) {
		for (size_t i = 0; i < ARRAY_LEN(video_only); i++)
			if (json_object_get(c, video_only[i])) {
				rc = col_error(row, video_only[i], column, err,
					       "not an option of kind=ffmpeg rows");
				goto fail;
			}
		json_t *args = json_object_get(c, "args"), *argv = json_array();
		json_object_set_new(p, "kind", json_string("ffmpeg"));
		json_object_set_new(p, "argv", argv);
		if (json_is_array(args)) {
			size_t i;
			json_t *a;
			json_array_foreach(args, i, a)
			{
				if (!json_is_string(a)) {
					rc = col_error(row, "args", column, err,
						       "must be text or an array of text");
					goto fail;
				}
				json_array_append(argv, a);
			}
		} else if (json_is_string(args)) {
			char **words;
			int n;
			struct aura_error serr;
			if (shsplit(json_string_value(args), &words, &n, &serr) < 0) {
				rc = col_error(row, "args", column, err, serr.detail);
				goto fail;
			}
			for (int i = 0; i < n; i++)
				json_array_append_new(argv, json_string(words[i]));
			shsplit_free(words);
		}
		/* `aura submit -- ffmpeg -i ...` drops the word; so does a row */
		if (json_array_size(argv) > 0 &&
		    strcmp(json_string_value(json_array_get(argv, 0)), "ffmpeg") == 0)
			json_array_remove(argv, 0);
		if (json_array_size(argv) == 0) {
			rc = col_error(row, "args", column, err,
				       "a kind=ffmpeg row needs FFmpeg's arguments");
			goto fail;
		}
		const char *cwd = json_string_value(json_object_get(c, "cwd"));
		if (d->remote) { /* none: the job's work directory on the server */
			if ((rc = path_cell(row, d, "cwd", &t, column, err)) < 0)
				goto fail;
		} else {
			t = abs_path(d->cwd, cwd && *cwd ? cwd : d->cwd);
		}
		if (t)
			json_object_set_new(p, "cwd", json_string(t));
		free(t);
		if ((rc = path_cell(row, d, "output", &t, column, err)) < 0)
			goto fail;
		if (t)
			json_object_set_new(p, "output", json_string(t));
		free(t);
		if (json_object_get(c, "priority"))
			json_object_set_new(p, "priority",
					    cell_number(json_object_get(c, "priority")));
		else if (d->priority)
			json_object_set_new(p, "priority", number_text(d->priority));
	} else {
		static const char *const ff_only[] = { "args", "cwd" };
		for (size_t i = 0; i < ARRAY_LEN(ff_only); i++)
			if (json_object_get(c, ff_only[i])) {
				rc = col_error(row, ff_only[i], column, err,
					       "only kind=ffmpeg rows take it");
				goto fail;
			}
		t = cell_text(json_object_get(c, "topic"));
		if (!t || !*t) {
			free(t);
			rc = col_error(row, "topic", column, err, "a video row needs a topic");
			goto fail;
		}
		json_object_set_new(p, "topic", json_string(t));
		free(t);
		if (!d->remote)
			json_object_set_new(p, "cwd", json_string(d->cwd));
		json_t *o = json_object();
		json_object_set_new(p, "options", o);
		for (size_t i = 0; i < ARRAY_LEN(video_options); i++) {
			json_t *cv = json_object_get(c, video_options[i]);
			bool num = strcmp(video_options[i], "duration") == 0 ||
				   strcmp(video_options[i], "seed") == 0 ||
				   strcmp(video_options[i], "priority") == 0;
			if (!cv && strcmp(video_options[i], "priority") == 0 && d->priority)
				json_object_set_new(o, "priority", number_text(d->priority));
			else if (!cv && strcmp(video_options[i], "style") == 0 && d->style)
				json_object_set_new(o, "style", json_string(d->style));
			else if (cv)
				json_object_set_new(o, video_options[i],
						    num ? cell_number(cv) : json_incref(cv));
		}
		static const char *const paths[] = { "images", "music", "output" };
		for (size_t i = 0; i < ARRAY_LEN(paths); i++) {
			if ((rc = path_cell(row, d, paths[i], &t, column, err)) < 0)
				goto fail;
			if (t)
				json_object_set_new(o, paths[i], json_string(t));
			free(t);
		}
		if (d->remote) { /* the server reads it (video/new-remote.c) */
			if ((rc = path_cell(row, d, "script", &t, column, err)) < 0)
				goto fail;
			if (t)
				json_object_set_new(o, "script_path", json_string(t));
			free(t);
		} else if ((t = cell_text(json_object_get(c, "script")))) {
			char *a = abs_path(d->cwd, t), *text;
			free(t);
			if (read_file_text(a, &text) < 0) {
				char *why = xasprintf("cannot read %s: %s", a, strerror(errno));
				rc = col_error(row, "script", column, err, why);
				free(why);
				free(a);
				goto fail;
			}
			free(a);
			json_object_set_new(o, "script", json_string(text));
			free(text);
		}
	}
	if ((t = cell_text(json_object_get(c, "name")))) {
		json_object_set_new(p, "name", json_string(t));
		free(t);
	}
	if ((rc = after_cell(row, json_object_get(c, "after"), p, column, err)) < 0)
		goto fail;
	if ((t = cell_text(json_object_get(c, "on_done")))) {
		if (*t)
			json_object_set_new(p, "on_done", json_string(t));
		free(t);
	}
	t = cell_text(json_object_get(c, "pool"));
	if (t || d->pool)
		json_object_set_new(p, "pool", json_string(t ? t : d->pool));
	free(t);
	if ((t = cell_text(json_object_get(c, "key")))) {
		json_object_set_new(p, "key", json_string(t));
		free(t);
	} else {
		char h[33], key[40];
		batch_row_hash(p, h);
		snprintf(key, sizeof(key), "row:%s", h);
		json_object_set_new(p, "key", json_string(key));
	}
	*params = p;
	return 0;
fail:
	json_decref(p);
	return rc;
}

static uint64_t fnv1a64(const char *s, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

void batch_row_hash(json_t *params, char out[33])
{
	char *t = json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS);
	size_t n = t ? strlen(t) : 0;
	uint64_t a = fnv1a64(t ? t : "", n, 0xcbf29ce484222325ULL); /* FNV's offset basis */
	uint64_t b = fnv1a64(t ? t : "", n, 0x84222325cbf29ce4ULL); /* its halves swapped */
	snprintf(out, 33, "%016" PRIx64 "%016" PRIx64, a, b);
	free(t);
}
