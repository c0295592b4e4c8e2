/*
 * ffhealth.c -- FFmpeg's health for the status bar: `aura doctor --json`
 * runs as a child on the UI's loop (os/proc: it runs ffmpeg and may take a
 * second), and the first FFmpeg check that fails or warns becomes the
 * one-line verdict when it exits.
 *
 * Must never: block the UI, let the child touch the screen (its stdin is
 * /dev/null, its stdout and stderr are pipes), or leave it running when
 * the UI leaves.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/proc.h"
#include "tui/ui.h"

static bool ffmpeg_check(const char *name)
{
	return strcmp(name, "ffmpeg") == 0 || strcmp(name, "ffprobe") == 0 ||
	       str_starts_with(name, "filter:") || str_starts_with(name, "encoder:");
}

static void not_checked(struct tui *t)
{
	t->ffhealth_level = MSG_INFO;
	snprintf(t->ffhealth, sizeof(t->ffhealth), "ffmpeg: not checked");
}

/* The verdict from doctor's JSON report. */
static void verdict(struct tui *t, const char *text, size_t len)
{
	json_t *root = text ? json_loadb(text, len, 0, NULL) : NULL;
	json_t *checks = json_object_get(root, "checks");
	if (!json_is_array(checks)) {
		json_decref(root);
		not_checked(t);
		return;
	}
	const char *fail = NULL, *warn = NULL;
	for (size_t i = 0; i < json_array_size(checks); i++) {
		json_t *c = json_array_get(checks, i);
		const char *name = json_string_value(json_object_get(c, "name"));
		const char *status = json_string_value(json_object_get(c, "status"));
		if (!name || !status || !ffmpeg_check(name))
			continue;
		if (strcmp(status, "fail") == 0 && !fail)
			fail = name;
		if (strcmp(status, "warn") == 0 && !warn)
			warn = name;
	}
	if (fail) {
		t->ffhealth_level = MSG_ERROR;
		snprintf(t->ffhealth, sizeof(t->ffhealth), "ffmpeg: %s %s", fail,
			 strcmp(fail, "ffmpeg") == 0 || strcmp(fail, "ffprobe") == 0 ? "not found"
										     : "missing");
	} else if (warn) {
		t->ffhealth_level = MSG_INFO;
		snprintf(t->ffhealth, sizeof(t->ffhealth), "ffmpeg: %s?", warn);
	} else {
		t->ffhealth_level = MSG_OK;
		snprintf(t->ffhealth, sizeof(t->ffhealth), "ffmpeg ok");
	}
	json_decref(root);
}

static void on_doctor_stdout(void *ctx, const char *data, size_t n)
{
	struct tui *t = ctx;
	buf_append(&t->ffhealth_buf, data, n);
}

static void on_doctor_exit(void *ctx, int status)
{
	struct tui *t = ctx;
	(void)status; /* 3 when a required check failed: the report says which */
	t->ffhealth_proc = NULL;
	verdict(t, t->ffhealth_buf.data, t->ffhealth_buf.len);
	buf_reset(&t->ffhealth_buf);
	ui_dirty(t, PANE_STATUS);
}

static const struct proc_ops ffhealth_ops = {
	.on_stdout = on_doctor_stdout,
	.on_exit = on_doctor_exit,
};

void ffhealth_start(struct tui *t)
{
	t->ffhealth_level = MSG_INFO;
	if (t->ctx->host) { /* doctor checks this machine's FFmpeg, not the server's */
		snprintf(t->ffhealth, sizeof(t->ffhealth), "ffmpeg: on the server");
		return;
	}
	snprintf(t->ffhealth, sizeof(t->ffhealth), "ffmpeg: checking…");
	/* the same aura, with the same -c and --data-dir as this UI */
	const char *argv[8];
	int n = 0;
	argv[n++] = "/proc/self/exe";
	if (t->ctx->cli_config) {
		argv[n++] = "--config";
		argv[n++] = t->ctx->cli_config;
	}
	if (t->ctx->cli_data_dir) {
		argv[n++] = "--data-dir";
		argv[n++] = t->ctx->cli_data_dir;
	}
	argv[n++] = "doctor";
	argv[n++] = "--json";
	argv[n] = NULL;
	struct proc_spec spec = { .argv = argv, .stdin_mode = PROC_STDIN_NULL };
	struct aura_error err;
	aura_error_clear(&err);
	t->ffhealth_proc = proc_spawn(t->loop, &spec, &ffhealth_ops, t, &err);
	if (!t->ffhealth_proc)
		not_checked(t);
}

void ffhealth_stop(struct tui *t)
{
	proc_abandon(t->ffhealth_proc);
	t->ffhealth_proc = NULL;
	buf_free(&t->ffhealth_buf);
}
