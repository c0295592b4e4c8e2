/*
 * cmd-doctor.c -- `aura doctor [--json]`: runs the checks of doctor/doctor.c
 * and presents them, one line per check, or as one JSON object.
 *
 * Must never: decide what is healthy (doctor/doctor.c does), or stop before
 * every check has run: a broken data directory is a finding, not a reason
 * to skip the FFmpeg checks.
 */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "cli/cmd.h"
#include "doctor/doctor.h"

extern const struct cmd_entry cmd_doctor_entry;

/* What a check shows on its line: the specifics of a problem, else what
 * was found. */
static const char *check_text(const struct doctor_check *c)
{
	if (c->detail)
		return c->detail;
	return c->value ? c->value : "";
}

static void print_human(const struct doctor_report *r)
{
	int failed = 0, warned = 0, skipped = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct doctor_check *c = &r->checks[i];
		static const char *const st_text[] = { [DOCTOR_OK] = "ok",
						       [DOCTOR_WARN] = "warn",
						       [DOCTOR_FAIL] = "FAIL",
						       [DOCTOR_SKIP] = "skip",
						       [DOCTOR_INFO] = "info" };
		printf("  %-5s %-17s %s\n", st_text[c->status], c->name, check_text(c));
		if (c->status == DOCTOR_FAIL && c->required)
			failed++;
		else if (c->status == DOCTOR_SKIP)
			skipped++;
		else if (c->status == DOCTOR_WARN || c->status == DOCTOR_FAIL)
			warned++;
		if (!c->code || (c->status != DOCTOR_WARN && c->status != DOCTOR_FAIL))
			continue;
		/* One explanation per code. */
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = r->checks[j].code == c->code;
		if (!seen)
			printf("        %s: %s \xe2\x80\x94 %s\n", aura_error_name(c->code),
			       aura_error_message(c->code), aura_error_hint(c->code));
	}
	if (failed)
		printf("\naura doctor: %d required check%s failed", failed, failed == 1 ? "" : "s");
	else
		printf("\naura doctor: all required checks passed");
	if (skipped)
		printf(", %d skipped (blocked by a failed check)", skipped);
	if (warned)
		printf(", %d warning%s", warned, warned == 1 ? "" : "s");
	printf("\n");
}

/* jansson refuses strings that are not UTF-8 (a path may not be): keep the
 * field and show the bad bytes as '?'. */
static json_t *jstr(const char *s)
{
	if (!s)
		return json_null();
	json_t *j = json_string(s);
	if (j)
		return j;
	char *copy = xstrdup(s);
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j ? j : json_null();
}

static int print_json(const struct doctor_report *r)
{
	json_t *root = json_object();
	json_t *checks = json_array();
	json_object_set_new(root, "ok", json_boolean(doctor_report_first_failure(r) == NULL));
	for (size_t i = 0; i < r->n; i++) {
		const struct doctor_check *c = &r->checks[i];
		json_t *o = json_object();
		json_object_set_new(o, "name", json_string(c->name));
		json_object_set_new(o, "status", json_string(doctor_status_name(c->status)));
		json_object_set_new(o, "required", json_boolean(c->required));
		json_object_set_new(o, "value", jstr(c->value));
		json_object_set_new(o, "code",
				    c->code ? json_string(aura_error_name(c->code)) : json_null());
		json_object_set_new(
		    o, "message", c->code ? json_string(aura_error_message(c->code)) : json_null());
		json_object_set_new(o, "hint",
				    c->code ? json_string(aura_error_hint(c->code)) : json_null());
		json_object_set_new(o, "detail", jstr(c->detail));
		json_object_set_new(o, "blocked_by",
				    c->blocked_by ? json_string(c->blocked_by) : json_null());
		json_array_append_new(checks, o);
	}
	json_object_set_new(root, "checks", checks);
	char *text = json_dumps(root, JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!text)
		return -1;
	printf("%s\n", text);
	free(text);
	return 0;
}

static void add_secret(const char *s, void *unused)
{
	(void)unused;
	log_add_secret(s);
}

/*
 * cli_ctx_load, except that a configuration that cannot be read (its
 * error in *config_err) leaves the defaults in ctx->cfg instead of
 * stopping the verb. Returns < 0 (err in *config_err) only when no data
 * directory can be resolved even then.
 */
static int load(struct cli_ctx *ctx, struct aura_error *config_err)
{
	struct aura_error err;
	aura_error_clear(&err);
	config_defaults(&ctx->cfg);
	if (paths_resolve_config(&ctx->paths, ctx->cli_config, config_err) < 0 ||
	    config_load(&ctx->cfg, ctx->paths.config_file, ctx->paths.config_explicit, config_err) <
		0) {
		config_free(&ctx->cfg);
		config_defaults(&ctx->cfg);
	}
	if (paths_resolve_data(&ctx->paths, ctx->cli_data_dir, ctx->cfg.data_dir, &err) < 0) {
		config_free(&ctx->cfg);
		paths_free(&ctx->paths);
		*config_err = err;
		return -1;
	}
	config_foreach_secret(&ctx->cfg, add_secret, NULL);
	ctx->loaded = true;
	return 0;
}

static const struct option doctor_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 },
};

static int cmd_doctor_run(struct cli_ctx *ctx, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&cmd_doctor_entry, argc, argv, &a, NULL);
	if (rc)
		return rc;
	if ((rc = cli_ctx_local_only(ctx, "aura doctor")) != 0)
		return rc;
	bool json = args_has(&a, 'j');

	/* A configuration that cannot be read is the first check's finding:
	 * printed on stderr as every verb does, then the checks run on the
	 * defaults. */
	struct aura_error config_err;
	aura_error_clear(&config_err);
	if (load(ctx, &config_err) < 0)
		return cli_fail(&config_err);
	if (config_err.code)
		aura_error_print(&config_err);

	struct doctor_report report;
	rc = doctor_run(&ctx->cfg, &ctx->paths, &config_err, &report);
	if (json) {
		if (print_json(&report) < 0) {
			doctor_report_free(&report);
			return aura_error_exit(AURA_E_INTERNAL);
		}
	} else {
		print_human(&report);
	}
	doctor_report_free(&report);
	if (fflush(stdout) != 0)
		return aura_error_exit(AURA_E_INTERNAL);
	return rc < 0 ? aura_error_exit(rc) : 0;
}

/* Not CMD_NEEDS_CONFIG nor _DATA: doctor reads the configuration itself
 * (load: a bad one is reported with the rest) and creates the data
 * directories in its data-dir check, so that failing to is reported too. */
const struct cmd_entry cmd_doctor_entry = {
	.name = "doctor",
	.usage = "[--json]",
	.args = { .shorts = "j", .longs = doctor_opts, .min = 0, .max = 0 },
	.summary = "check FFmpeg, filters, encoders, fonts, data directory, disk and server",
	.help = "  -j, --json   one JSON object: {\"ok\", \"checks\": [{\"name\", \"status\",\n"
		"               \"required\", \"value\", \"code\", \"message\", \"hint\",\n"
		"               \"detail\", \"blocked_by\"}]}\n"
		"\nExit status: 0 when every required check passes, else 3.\n",
	.flags = 0, /* reads the configuration itself: a bad one is a finding */
	.run = cmd_doctor_run,
};
