/*
 * cmd-batch.c -- `aura batch [--format F] [--name N] [--pool P]
 * [--priority N] [--dry-run] [--json] FILE|-`: queue one job per row of a
 * file (plain topics, CSV with a header, JSON Lines: batch-read.c) in one
 * `batch` request, so the rows are queued all together or not at all.
 * Every row has an idempotency key (its own, else one made from the row),
 * so the same file again queues nothing new.
 *
 * With --host the file is still read here (it is the request, as a
 * command line is), but the paths in its rows are the server's
 * (batch-read.c, doc/remote.md).
 *
 * Must never: send part of a file (the first bad row stops it, named by
 * its line and column), or resolve a relative path anywhere but here.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/batch-read.h"
#include "cli/cmd.h"
#include "cli/jobs.h"
#include "client/proto.h"

extern const struct cmd_entry cmd_batch_entry;

enum { OPT_FORMAT = 256, OPT_NAME, OPT_POOL, OPT_PRIORITY, OPT_DRY, OPT_JSON, OPT_STYLE };

static const struct option batch_opts[] = {
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "pool", required_argument, NULL, OPT_POOL },
	{ "style", required_argument, NULL, OPT_STYLE },
	{ "priority", required_argument, NULL, OPT_PRIORITY },
	{ "dry-run", no_argument, NULL, OPT_DRY },
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 },
};

static int batch_option(int code, const char *value, void *ud)
{
	int64_t n;
	(void)ud;
	if (code == OPT_FORMAT && batch_format_parse(value) < 0)
		return cli_usage_error("--format %s: use plain, csv or jsonl", value);
	if (code == OPT_PRIORITY && (parse_int64(value, &n) < 0 || n < -1000000 || n > 1000000))
		return cli_usage_error("--priority %s: a whole number from -1000000 to 1000000",
				       value);
	if ((code == OPT_NAME || code == OPT_POOL || code == OPT_STYLE) && !*value)
		return cli_usage_error("--%s wants a value, not ''", code == OPT_NAME	? "name"
								     : code == OPT_POOL ? "pool"
											: "style");
	return 0;
}

static int read_all(const char *path, char **text, size_t *len, struct aura_error *err)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f)
		return aura_error_set(err, AURA_E_INPUT_UNREADABLE, "%s: %s", path,
				      strerror(errno));
	struct buf b;
	buf_init(&b);
	char tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_append(&b, tmp, n);
	int bad = ferror(f) ? errno : 0;
	if (f != stdin)
		fclose(f);
	if (bad) {
		buf_free(&b);
		return aura_error_set(err, AURA_E_INPUT_UNREADABLE, "%s: %s", path, strerror(bad));
	}
	*len = b.len;
	*text = b.data ? b.data : xstrdup("");
	return 0;
}

/* "line N, column C: what" -> "aura: line N, column C: CODE: ...: what" */
static int fail_at(struct aura_error *err)
{
	char *sep = strstr(err->detail, ": ");
	if (strncmp(err->detail, "line ", 5) != 0 || !sep)
		return cli_fail(err);
	*sep = '\0';
	char *about = xstrdup(err->detail);
	struct aura_error e;
	aura_error_set(&e, err->code, "%s", sep + 2);
	aura_error_print_about(about, &e);
	free(about);
	return aura_error_exit(e.code);
}

/* The server's "row I, field F: what" (or "row I: what") in the file's
 * terms: its line, and the column the field came from. */
static int fail_row(struct aura_error *err, const struct batch_rows *rows)
{
	size_t i;
	char field[64] = "";
	int used = 0;
	if (sscanf(err->detail, "row %zu, field %63[^:]: %n", &i, field, &used) < 2 || !used) {
		field[0] = '\0';
		used = 0;
		if (sscanf(err->detail, "row %zu: %n", &i, &used) < 1 || !used)
			return cli_fail(err);
	}
	if (i >= rows->n)
		return cli_fail(err);
	const char *col = strcmp(field, "argv") == 0	      ? "args"
			  : strcmp(field, "script_path") == 0 ? "script"
							      : field;
	char *rest = xstrdup(err->detail + used);
	if (*col)
		aura_error_set(err, err->code, "line %d, column %s: %s", rows->v[i].line, col,
			       rest);
	else
		aura_error_set(err, err->code, "line %d: %s", rows->v[i].line, rest);
	free(rest);
	return fail_at(err);
}

static int cmd_batch_run(struct cli_ctx *ctx, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&cmd_batch_entry, argc, argv, &a, NULL);
	if (rc)
		return rc;
	const char *path = a.argv[0];
	bool json = args_has(&a, OPT_JSON), dry = args_has(&a, OPT_DRY);
	struct aura_error err;
	aura_error_clear(&err);
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd))) {
		aura_error_set(&err, AURA_E_INTERNAL, "getcwd: %s", strerror(errno));
		return cli_fail(&err);
	}
	char *text;
	size_t len;
	if (read_all(path, &text, &len, &err) < 0)
		return cli_fail(&err);
	enum batch_format f = args_has(&a, OPT_FORMAT)
				  ? (enum batch_format)batch_format_parse(args_get(&a, OPT_FORMAT))
				  : batch_format_detect(strcmp(path, "-") ? path : NULL, text);
	struct batch_rows rows;
	rc = batch_read(text, len, f, &rows, &err);
	free(text);
	if (rc < 0)
		return fail_at(&err);

	struct batch_defaults d = { cwd, args_get(&a, OPT_POOL), args_get(&a, OPT_PRIORITY),
				    args_get(&a, OPT_STYLE), ctx->host != NULL };
	json_t *arr = json_array();
	for (size_t i = 0; i < rows.n; i++) {
		json_t *p;
		const char *col;
		if (batch_row_params(&rows.v[i], &d, &p, &col, &err) < 0) {
			json_decref(arr);
			batch_rows_free(&rows);
			return fail_at(&err);
		}
		json_array_append_new(arr, p);
	}
	json_t *params = json_object();
	json_object_set_new(params, "rows", arr);
	if (args_has(&a, OPT_NAME))
		json_object_set_new(params, "name", proto_string(args_get(&a, OPT_NAME)));
	if (dry)
		json_object_set_new(params, "dry_run", json_true());
	/* one request line: the server reads at most PROTO_MAX_LINE */
	size_t bytes = json_dumpb(params, NULL, 0, JSON_COMPACT) + 64;
	if (bytes > PROTO_MAX_LINE) {
		json_decref(params);
		batch_rows_free(&rows);
		aura_error_set(&err, AURA_E_PARAM_TOO_LONG,
			       "the batch's %zu rows take %zu bytes as one request; at most %d: "
			       "split the file",
			       rows.n, bytes, PROTO_MAX_LINE);
		return cli_fail(&err);
	}

	struct client *cl;
	if ((rc = cli_connect(ctx, true, &cl))) {
		json_decref(params);
		batch_rows_free(&rows);
		return rc;
	}
	json_t *res;
	rc = client_call(cl, "batch", params, &res, &err);
	client_free(cl);
	if (rc < 0) {
		rc = fail_row(&err, &rows);
		batch_rows_free(&rows);
		return rc;
	}
	if (json) {
		cli_print_json(res);
	} else {
		json_t *jobs = json_object_get(res, "jobs");
		size_t queued = 0, existing = 0;
		for (size_t i = 0; i < rows.n; i++) {
			json_t *j = json_array_get(jobs, i);
			bool ex = json_is_true(json_object_get(j, "existing"));
			long long id = (long long)proto_get_int(j, "id", 0);
			existing += ex;
			queued += !ex;
			if (ex)
				printf("line %d: job %lld exists\n", rows.v[i].line, id);
			else if (dry)
				printf("line %d: would be queued\n", rows.v[i].line);
			else
				printf("line %d: job %lld queued\n", rows.v[i].line, id);
		}
		json_t *b = json_object_get(res, "batch");
		if (dry)
			printf("dry run: %zu would be queued, %zu existing; nothing was queued\n",
			       queued, existing);
		else if (json_is_object(b))
			printf("batch %lld %s: %zu queued, %zu existing\n",
			       (long long)proto_get_int(b, "id", 0), proto_get_str(b, "name"),
			       queued, existing);
		else
			printf("no batch: %zu queued, %zu existing\n", queued, existing);
	}
	json_decref(res);
	batch_rows_free(&rows);
	return 0;
}

const struct cmd_entry cmd_batch_entry = {
	.name = "batch",
	.usage = "[--format plain|csv|jsonl] [--name N] [--pool P] [--priority N] [--style S] "
		 "[--dry-run] "
		 "[--json] FILE|-",
	.args = { .shorts = "", .longs = batch_opts, .min = 1, .max = 1, .option = batch_option },
	.summary = "queue one job per row of a file, all or nothing",
	.help =
	    "      --format F      plain (a topic per line), csv (a header row names the\n"
	    "                      columns) or jsonl (a JSON object per line); default: by\n"
	    "                      the extension (.csv, .jsonl, .ndjson), else jsonl when\n"
	    "                      the first character is '{', else plain\n"
	    "      --name N        the batch's name (default: batch-ID)\n"
	    "      --pool P        the pool of rows that name none\n"
	    "      --priority N    the priority of rows that give none\n"
	    "      --style S       the style of video rows that name none (the server's\n"
	    "                      aura.ini resolves it; default its [video] style)\n"
	    "      --dry-run       check every row and say what would be queued; queue\n"
	    "                      nothing\n"
	    "      --json          print the server's answer as JSON\n"
	    "\n"
	    "Columns: topic duration preset voice script images music captions output\n"
	    "priority pool seed style (a video, as `aura new`), or kind=ffmpeg with args (split\n"
	    "as a shell would) and cwd (a raw FFmpeg job, as `aura submit`); plus name and\n"
	    "key. A row without a key gets \"row:\" and a hash of the row, so the same\n"
	    "file again queues nothing new. Relative paths are taken from the current\n"
	    "directory. A bad row stops the whole batch: nothing is queued.\n"
	    "\n"
	    "With --host FILE is read here, but the rows' paths are the server's: absolute\n"
	    "(a relative one is refused), looked up there (doc/remote.md).\n",
	.flags = CMD_NEEDS_DATA,
	.run = cmd_batch_run,
};
