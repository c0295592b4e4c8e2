/*
 * cmd-show.c -- `aura show [--json] ID`: one job in full: every field, its
 * command, stages, error (code, message, detail, hint) and the last lines
 * of FFmpeg's stderr.
 *
 * Must never: change the job.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/jobs.h"
#include "client/proto.h"

extern const struct cmd_entry cmd_show_entry;

#define SHOW_TAIL_LINES 10

/* An argument as a shell would need it, for display only. */
static void print_quoted(const char *s)
{
	bool plain = *s != '\0';
	for (const char *p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			    "-_./:=,+%@^",
			    *p) &&
		    !((unsigned char)*p & 0x80))
			plain = false;
	if (plain) {
		fputs(s, stdout);
		return;
	}
	fputc('\'', stdout);
	for (const char *p = s; *p; p++) {
		if (*p == '\'')
			fputs("'\\''", stdout);
		else
			fputc(*p, stdout);
	}
	fputc('\'', stdout);
}

static void row(const char *label, const char *value)
{
	printf("  %-10s %s\n", label, value);
}

static void print_time_row(const char *label, int64_t ms)
{
	char t[64], age[16];
	if (ms <= 0)
		return;
	printf("  %-10s %s (%s ago)\n", label, fmt_time(t, sizeof(t), ms),
	       fmt_age(age, sizeof(age), ms));
}

static void print_progress(const struct job *j)
{
	char b[64];
	printf("  %-10s %s", "progress", fmt_percent(b, sizeof(b), j));
	if (j->state == JOB_SUCCEEDED) {
		/* the media made, not the last command's clock (a video's last
		 * step may be a short pass, or report no time at all) */
		int64_t t = j->duration_us > 0 ? j->duration_us : j->out_time_us;
		if (t > 0)
			printf("  %s", fmt_duration(b, sizeof(b), (double)t / 1e6));
	} else if (j->out_time_us > 0) {
		printf("  %s", fmt_duration(b, sizeof(b), (double)j->out_time_us / 1e6));
		if (j->duration_us > 0)
			printf(" of %s", fmt_duration(b, sizeof(b), (double)j->duration_us / 1e6));
	}
	if (j->fps > 0)
		printf("  %.1f fps", j->fps);
	if (j->speed > 0)
		printf("  %.2fx", j->speed);
	if (j->size > 0)
		printf("  %s", fmt_size(b, sizeof(b), j->size));
	if (j->state == JOB_RUNNING && j->eta_s >= 0)
		printf("  ETA %s", fmt_duration(b, sizeof(b), j->eta_s));
	printf("\n");
}

static void print_spec(json_t *spec)
{
	json_t *argv = json_object_get(spec, "argv");
	if (json_is_array(argv)) {
		printf("  %-10s ffmpeg", "command");
		for (size_t i = 0; i < json_array_size(argv); i++) {
			const char *a = json_string_value(json_array_get(argv, i));
			fputc(' ', stdout);
			print_quoted(a ? a : "");
		}
		printf("\n");
	}
	const char *cwd = proto_get_str(spec, "cwd");
	if (cwd)
		row("directory", cwd);
	const char *topic = proto_get_str(spec, "topic");
	if (topic)
		row("topic", topic);
}

static void print_warnings(json_t *w)
{
	for (size_t i = 0; i < json_array_size(w); i++) {
		json_t *x = json_array_get(w, i);
		const char *label = i == 0 ? "warnings" : "";
		if (json_is_string(x)) {
			row(label, json_string_value(x));
		} else if (json_is_object(x) && proto_get_str(x, "code")) {
			const char *text = proto_get_str(x, "text");
			if (!text)
				text = proto_get_str(x, "message");
			printf("  %-10s %s%s%s\n", label, proto_get_str(x, "code"),
			       text ? ": " : "", text ? text : "");
		} else {
			char *s = json_dumps(x, JSON_COMPACT | JSON_ENCODE_ANY);
			row(label, s ? s : "?");
			free(s);
		}
	}
}

static void print_stages(json_t *stages)
{
	if (json_array_size(stages) == 0)
		return;
	printf("stages:\n");
	for (size_t i = 0; i < json_array_size(stages); i++) {
		json_t *s = json_array_get(stages, i);
		const char *name = proto_get_str(s, "name");
		const char *state = proto_get_str(s, "state");
		double p = proto_get_real(s, "progress", 0);
		int64_t st = proto_get_int(s, "started_ms", 0),
			fin = proto_get_int(s, "finished_ms", 0);
		char took[32] = "";
		if (st > 0 && fin >= st)
			fmt_duration(took, sizeof(took), (double)(fin - st) / 1000);
		printf("  %-10s %-8s %3.0f%%  %s\n", name ? name : "?", state ? state : "?",
		       p * 100, took);
	}
}

/* The last n lines of text (a trailing newline does not count as a line). */
static const char *last_lines(const char *text, int n)
{
	size_t len = strlen(text);
	while (len > 0 && text[len - 1] == '\n')
		len--;
	const char *p = text + len;
	while (p > text) {
		if (p[-1] == '\n' && --n == 0)
			break;
		p--;
	}
	return p;
}

static void print_tail(const char *tail)
{
	if (!tail || !*tail)
		return;
	printf("stderr (last lines):\n");
	const char *p = last_lines(tail, SHOW_TAIL_LINES);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n && p[n - 1] == '\r')
			n--;
		printf("  %.*s\n", (int)n, p);
		if (!nl)
			break;
		p = nl + 1;
	}
}

static void print_job(const struct job *j, json_t *jj, json_t *stages)
{
	char b[128];
	printf("job %lld%s%s\n", (long long)j->id, j->name ? ": " : "", j->name ? j->name : "");
	row("kind", job_kind_name(j->kind));
	/* attempts count over the job's whole life; `retry` grants
	 * max_attempts more, so a queued job names the attempt it waits for */
	if (j->max_attempts > 0 && j->state == JOB_QUEUED && j->attempts < j->max_attempts)
		snprintf(b, sizeof(b), "%s (next: attempt %d of %d)", job_state_name(j->state),
			 j->attempts + 1, j->max_attempts);
	else if (j->max_attempts > 0)
		snprintf(b, sizeof(b), "%s (attempt %d of %d)", job_state_name(j->state),
			 j->attempts, j->max_attempts);
	else
		snprintf(b, sizeof(b), "%s (attempt %d)", job_state_name(j->state), j->attempts);
	if (j->substate) {
		size_t n = strlen(b);
		snprintf(b + n, sizeof(b) - n, ", %s", j->substate);
	}
	row("state", b);
	snprintf(b, sizeof(b), "%d", j->priority);
	row("priority", b);
	row("pool", j->pool ? j->pool : "local");
	if (j->cluster_id)
		row("cluster job", j->cluster_id);
	print_spec(json_object_get(jj, "spec"));
	row("output", j->output ? j->output : "-");
	if (j->workdir && j->pruned_ms > 0) {
		char t[64], w[JOB_PATH_MAX + 128];
		snprintf(w, sizeof(w), "%s (removed by retention at %s)", j->workdir,
			 fmt_time(t, sizeof(t), j->pruned_ms));
		row("workdir", w);
	} else if (j->workdir) {
		row("workdir", j->workdir);
	}
	print_time_row("created", j->created_ms);
	print_time_row("started", j->started_ms);
	print_time_row("finished", j->finished_ms);
	if (j->state == JOB_QUEUED && j->not_before_ms > time_now_ms()) {
		char t[64];
		row("retry at", fmt_time(t, sizeof(t), j->not_before_ms));
	}
	if (j->started_ms > 0 && j->finished_ms >= j->started_ms) {
		char t[32];
		row("took",
		    fmt_duration(t, sizeof(t), (double)(j->finished_ms - j->started_ms) / 1000));
	}
	if (j->stage)
		row("stage", j->stage);
	print_progress(j);
	if (j->pid > 0) {
		snprintf(b, sizeof(b), "%d", j->pid);
		row("pid", b);
	}
	json_t *e = json_object_get(jj, "error");
	if (json_is_object(e)) {
		const char *code = proto_get_str(e, "code");
		const char *msg = proto_get_str(e, "message");
		const char *detail = proto_get_str(e, "detail");
		const char *hint = proto_get_str(e, "hint");
		printf("  %-10s %s: %s\n", "error", code ? code : "?", msg ? msg : "");
		/* the detail usually repeats the message as its prefix */
		if (detail && msg && str_starts_with(detail, msg)) {
			detail += strlen(msg);
			while (*detail == ':' || *detail == ' ')
				detail++;
		}
		if (detail && *detail && (!msg || strcmp(detail, msg) != 0))
			row("", detail);
		if (hint)
			row("hint", hint);
	}
	print_warnings(json_object_get(jj, "warnings"));
	print_stages(stages);
	print_tail(j->stderr_tail);
}

static const struct option show_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 },
};

static int cmd_show_run(struct cli_ctx *ctx, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&cmd_show_entry, argc, argv, &a, NULL);
	if (rc)
		return rc;
	bool json = args_has(&a, 'j');
	int64_t id = args_id(&a, 0);

	struct client *cl;
	rc = cli_connect(ctx, true, &cl);
	if (rc)
		return rc;
	struct aura_error err;
	json_t *res;
	if (client_call(cl, "get", json_pack("{s:I}", "id", (json_int_t)id), &res, &err) < 0) {
		client_free(cl);
		return cli_fail(&err);
	}
	client_free(cl);
	cli_warn_store(json_object_get(res, "store"));

	if (json) {
		cli_print_json(res);
		json_decref(res);
		return 0;
	}
	cli_json_clean(res);
	struct job j;
	if (!cli_job_from(res, "job", &j)) {
		json_decref(res);
		return 5;
	}
	print_job(&j, json_object_get(res, "job"), json_object_get(res, "stages"));
	job_clear(&j);
	json_decref(res);
	return 0;
}

const struct cmd_entry cmd_show_entry = {
	.name = "show",
	.usage = "[--json] ID",
	.args = { .shorts = "", .longs = show_opts, .min = 1, .max = 1, .ids = true },
	.summary = "show one job: stages, progress, output, error",
	.help = "      --json   {\"job\": JOB, \"stages\": [STAGE...]} (see doc/protocol.md)\n",
	.flags = CMD_NEEDS_DATA,
	.run = cmd_show_run,
};
