/*
 * cmd-ls.c -- `aura ls [--state S] [--limit N] [--all] [--batch B] [--json]`:
 * the jobs, newest first, as a table (ID NAME KIND STATE [POOL] STAGE
 * PROGRESS ETA AGE; POOL once a listed job is outside the local pool;
 * STAGE shows what a running job waits for, such as "waiting for
 * cluster").
 *
 * Must never: ask the server for an unbounded page (--all pages through).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/jobs.h"
#include "client/proto.h"

extern const struct cmd_entry cmd_ls_entry;

#define LS_DEFAULT_LIMIT 50
#define LS_PAGE		 500
#define NAME_MAX_COLS	 32

static int fetch(struct client *cl, const char *state, const char *batch, int64_t offset,
		 int64_t limit, json_t **res, struct aura_error *err)
{
	if (batch) /* the whole batch in one answer, newest first */
		return client_call(cl, "list", json_pack("{s:s}", "batch", batch), res, err);
	json_t *params = json_object();
	if (state)
		json_object_set_new(params, "state", json_string(state));
	json_object_set_new(params, "offset", json_integer(offset));
	json_object_set_new(params, "limit", json_integer(limit));
	return client_call(cl, "list", params, res, err);
}

/* A batch's jobs (one answer: every one that fits) filtered by state and
 * cut to limit (0: all) here; *total counts the matches. */
static json_t *batch_page(json_t *jobs, const char *state, int64_t limit, int64_t *total)
{
	json_t *out = json_array();
	size_t i;
	json_t *j;
	*total = 0;
	json_array_foreach(jobs, i, j)
	{
		const char *st = proto_get_str(j, "state");
		if (state && (!st || strcmp(st, state) != 0))
			continue;
		if (limit <= 0 || *total < limit)
			json_array_append(out, j);
		(*total)++;
	}
	return out;
}

static void print_table(json_t *jobs)
{
	size_t idw = 2, namew = 4, stagew = 5, poolw = 0;
	size_t n = json_array_size(jobs);
	struct job *js = xcalloc(n ? n : 1, sizeof(*js));
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		if (proto_job_from_json(json_array_get(jobs, i), &js[count]) < 0)
			continue;
		struct job *j = &js[count++];
		char idb[32];
		size_t w = (size_t)snprintf(idb, sizeof(idb), "%lld", (long long)j->id);
		if (w > idw)
			idw = w;
		if (j->name && fmt_text_width(j->name) > namew)
			namew = fmt_text_width(j->name);
		const char *st = j->substate ? j->substate : j->stage;
		if (st && fmt_text_width(st) > stagew)
			stagew = fmt_text_width(st);
		/* the POOL column once a listed job is outside the local pool */
		if (j->pool && strcmp(j->pool, "local") != 0 && poolw == 0)
			poolw = 5;
		if (poolw && j->pool && fmt_text_width(j->pool) > poolw)
			poolw = fmt_text_width(j->pool);
	}
	if (namew > NAME_MAX_COLS)
		namew = NAME_MAX_COLS;
	if (stagew > 19) /* "waiting for cluster" */
		stagew = 19;
	if (poolw > 16)
		poolw = 16;

	printf("%*s  ", (int)idw, "ID");
	print_cell("NAME", namew);
	printf("  %-6s  %-9s  ", "KIND", "STATE");
	if (poolw) {
		print_cell("POOL", poolw);
		printf("  ");
	}
	print_cell("STAGE", stagew);
	printf("  %8s  %7s  %4s\n", "PROGRESS", "ETA", "AGE");
	for (size_t i = 0; i < count; i++) {
		struct job *j = &js[i];
		char pct[16], eta[32], age[16];
		printf("%*lld  ", (int)idw, (long long)j->id);
		print_cell(j->name ? j->name : "-", namew);
		printf("  %-6s  %-9s  ", job_kind_name(j->kind), job_state_name(j->state));
		if (poolw) {
			print_cell(j->pool ? j->pool : "local", poolw);
			printf("  ");
		}
		print_cell(j->substate ? j->substate : j->stage ? j->stage : "-", stagew);
		fmt_percent(pct, sizeof(pct), j);
		if (j->state == JOB_RUNNING)
			fmt_duration(eta, sizeof(eta), j->eta_s);
		else
			str_copy(eta, "-", sizeof(eta));
		fmt_age(age, sizeof(age), j->created_ms);
		printf("  %8s  %7s  %4s\n", pct, eta, age);
		job_clear(j);
	}
	free(js);
}

static const struct option ls_opts[] = {
	{ "state", required_argument, NULL, 's' }, { "limit", required_argument, NULL, 'n' },
	{ "all", no_argument, NULL, 'a' },	   { "json", no_argument, NULL, 'j' },
	{ "batch", required_argument, NULL, 'b' }, { NULL, 0, NULL, 0 },
};

/* each value checked where it stands: `--state x --limit y` names x */
static int ls_option(int code, const char *value, void *ud)
{
	int64_t n;
	(void)ud;
	if (code == 's' && job_state_parse(value) < 0)
		return cli_usage_error("unknown state '%s' (queued, running, "
				       "paused, succeeded, failed, cancelled)",
				       value);
	if (code == 'n' && (parse_int64(value, &n) < 0 || n <= 0))
		return cli_usage_error("--limit wants a positive number, not '%s'", value);
	return 0;
}

static int cmd_ls_run(struct cli_ctx *ctx, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&cmd_ls_entry, argc, argv, &a, NULL);
	if (rc)
		return rc;
	const char *state = args_get(&a, 's'), *batch = args_get(&a, 'b');
	int64_t limit = LS_DEFAULT_LIMIT;
	bool all = args_has(&a, 'a'), json = args_has(&a, 'j');
	if (args_has(&a, 'n'))
		parse_int64(args_get(&a, 'n'), &limit); /* checked by ls_option */

	struct client *cl;
	rc = cli_connect(ctx, true, &cl);
	if (rc)
		return rc;

	/* One page, or every page for --all. The server may answer fewer
	 * jobs than asked (an answer stays under the line cap), so only an
	 * empty page or reaching the total ends the paging. */
	struct aura_error err;
	json_t *jobs = json_array();
	json_t *store = NULL, *binfo = NULL;
	int64_t total = 0;
	for (int64_t offset = 0;;) {
		int64_t want = all ? LS_PAGE : limit;
		json_t *res;
		if (fetch(cl, state, batch, offset, want, &res, &err) < 0) {
			json_decref(jobs);
			client_free(cl);
			return cli_fail(&err);
		}
		json_t *page = json_object_get(res, "jobs");
		size_t got = json_array_size(page);
		if (batch)
			page = batch_page(page, state, all ? 0 : limit, &total);
		else
			json_incref(page);
		json_array_extend(jobs, page);
		json_decref(page);
		if (!batch)
			total = proto_get_int(res, "total", (int64_t)json_array_size(jobs));
		if (!store && json_object_get(res, "store"))
			store = json_incref(json_object_get(res, "store"));
		if (batch)
			binfo = json_incref(json_object_get(res, "batch"));
		json_decref(res);
		offset += (int64_t)got;
		if (!all || batch || got == 0 || offset >= total)
			break;
	}
	client_free(cl);
	cli_warn_store(store);

	if (json) {
		json_t *out = json_object();
		json_object_set(out, "jobs", jobs);
		json_object_set_new(out, "total", json_integer(total));
		if (store)
			json_object_set(out, "store", store);
		if (binfo)
			json_object_set(out, "batch", binfo);
		cli_print_json(out);
		json_decref(out);
	} else if (json_array_size(jobs) == 0) {
		if (state)
			fprintf(stderr, "no %s jobs\n", state);
		else
			fprintf(stderr, "no jobs\n");
	} else {
		cli_json_clean(jobs);
		print_table(jobs);
		if ((int64_t)json_array_size(jobs) < total)
			fprintf(stderr, "(%zu of %lld shown; --all or --limit N for more)\n",
				json_array_size(jobs), (long long)total);
	}
	json_decref(store);
	json_decref(binfo);
	json_decref(jobs);
	return 0;
}

const struct cmd_entry cmd_ls_entry = {
	.name = "ls",
	.usage = "[--state S] [--limit N] [--all] [--batch ID|NAME] [--json]",
	.args = { .shorts = "s:n:a", .longs = ls_opts, .min = 0, .max = 0, .option = ls_option },
	.summary = "list jobs, newest first",
	.help = "  -s, --state S   only jobs in state S: queued, running, paused, succeeded,\n"
		"                  failed or cancelled\n"
		"  -n, --limit N   at most N jobs (default 50)\n"
		"  -a, --all       every job\n"
		"      --batch B   only the jobs of batch B (its id or name, as `aura batch`\n"
		"                  printed)\n"
		"      --json      {\"jobs\": [JOB...], \"total\": N} (see doc/protocol.md);\n"
		"                  with --batch also \"batch\": {\"id\", \"name\"}\n",
	.flags = CMD_NEEDS_DATA,
	.run = cmd_ls_run,
};
