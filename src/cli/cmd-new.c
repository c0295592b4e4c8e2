/*
 * cmd-new.c -- `aura new TOPIC [options]`: queue a narrated video. Every
 * option is checked here, before anything is sent, with the catalogue's
 * errors (exit 2 for a bad value, 3 for a voice that is not installed);
 * the --script file's text is read here and sent in the request (paths
 * for --images and --music are sent absolute), and the output name is
 * chosen here, relative to this shell's directory, never overwriting.
 * With --host the paths are the server's: sent as paths, never opened
 * here, a relative one refused (cmd-new-remote.c, doc/remote.md).
 *
 * --wait follows the job: on a terminal a progress line on stderr (stage,
 * percent, ETA), redrawn in place; the output path on stdout at the end.
 * Ctrl-C cancels the job (this verb started it) and exits 130 once the
 * server says it is cancelled.
 *
 * Must never: render anything itself, or exit 0 unless the video exists.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "video/new-input.h"
#include "cli/jobs.h"
#include "cli/new-remote.h"
#include "cli/new-style.h"
#include "cli/new-voice.h"
#include "cli/progress.h"
#include "client/proto.h"
#include "video/script.h"
#include "video/vspec.h"

extern const struct cmd_entry cmd_new_entry;

#define BAR_WIDTH 24

static char *absolute(const char *cwd, const char *path)
{
	char *p = paths_expand_home(path);
	char *abs = p[0] == '/' ? xstrdup(p) : xasprintf("%s/%s", cwd, p);
	free(p);
	/* resolved, so the server finds it whatever its own directory */
	char real[PATH_MAX];
	if (realpath(abs, real)) {
		free(abs);
		return xstrdup(real);
	}
	return abs;
}

static int check_output_dir(const char *output, struct aura_error *err)
{
	char *dir = xstrdup(output);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	struct stat st;
	int rc = 0;
	if (stat(dir, &st) != 0)
		rc = aura_error_set(err, AURA_E_OUTPUT_UNWRITABLE, "%s: %s", dir, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		rc = aura_error_set(err, AURA_E_OUTPUT_UNWRITABLE, "%s is not a directory", dir);
	else if (access(dir, W_OK | X_OK) != 0)
		rc = aura_error_set(err, AURA_E_OUTPUT_UNWRITABLE, "%s: %s", dir, strerror(errno));
	free(dir);
	return rc;
}

/* --- following the job -------------------------------------------------------- */

struct follow {
	struct cli_follower fw; /* the one job */
	bool json;
	struct cli_progress bar;
	bool cancel_sent;
};

static void bar_clear(struct follow *f)
{
	cli_progress_clear(&f->bar);
}

/* Seconds left: FFmpeg's own estimate while the render (most of the job)
 * runs, else the overall rate so far. */
static double eta_of(const struct cli_followed *f)
{
	if (strcmp(f->stage, "render") == 0 && f->eta_s >= 0)
		return f->eta_s;
	int64_t started = f->job ? proto_get_int(f->job, "started_ms", 0) : 0;
	double elapsed = started > 0 ? (time_now_ms() - started) / 1000.0 : 0;
	if (f->progress < 0.03 || elapsed < 2)
		return -1;
	return elapsed * (1 - f->progress) / f->progress;
}

static void bar_draw(struct cli_follower *fw, void *ctx)
{
	struct follow *ff = ctx;
	const struct cli_followed *f = &fw->w[0];
	if (ff->bar.mode == CLI_PROGRESS_OFF)
		return;
	int st = cli_follow_state(f);
	char line[256];
	size_t n = 0;
	if (st == JOB_QUEUED) {
		n = (size_t)snprintf(line, sizeof(line), "#%lld queued", (long long)f->id);
	} else {
		double p = f->progress < 0 ? 0 : f->progress > 0.99 ? 0.99 : f->progress;
		int fill = (int)(p * BAR_WIDTH + 0.5);
		char bar[BAR_WIDTH + 1];
		for (int i = 0; i < BAR_WIDTH; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[BAR_WIDTH] = '\0';
		n = (size_t)snprintf(line, sizeof(line), "#%lld %-8s [%s] %3.0f%%",
				     (long long)f->id, f->stage[0] ? f->stage : "starting", bar,
				     (double)(int)(p * 100));
		double eta = eta_of(f);
		char t[32];
		if (st == JOB_PAUSED)
			snprintf(line + n, sizeof(line) - n, "  paused");
		else if (eta >= 0)
			snprintf(line + n, sizeof(line) - n, "  ETA %s",
				 fmt_duration(t, sizeof(t), eta));
	}
	char key[64];
	snprintf(key, sizeof(key), "%d:%s", st, f->stage);
	cli_progress_show(&ff->bar, line, key);
}

/* Ctrl-C cancels the job (once), and the wait goes on to its end. */
static int interrupted(struct cli_follower *fw, void *ctx, struct aura_error *err)
{
	struct follow *f = ctx;
	json_t *res;
	if (f->cancel_sent)
		return 0;
	bar_clear(f);
	if (!f->json)
		fprintf(stderr, "cancelling job %lld\n", (long long)fw->w[0].id);
	f->cancel_sent = true;
	if (client_call(fw->cl, "cancel", json_pack("{s:I}", "id", (json_int_t)fw->w[0].id), &res,
			err) < 0) {
		if (err->code != AURA_E_JOB_BAD_STATE)
			return -err->code;
	} else {
		cli_follow_set_job(fw, json_object_get(res, "job"));
		json_decref(res);
	}
	return CLI_FOLLOW_AGAIN;
}

static int wait_job(struct client *cl, int64_t id, bool json, struct aura_error *err)
{
	struct follow f;
	memset(&f, 0, sizeof(f));
	cli_follow_init(&f.fw, cl);
	cli_follow_add(&f.fw, id);
	f.fw.monotonic = true;
	f.json = json;
	cli_progress_init(&f.bar, !json);
	bool cancel_sent;
	int rc = 0;
	static const struct cli_follow_hooks hooks = { .draw = bar_draw,
						       .interrupted = interrupted };

	watch_begin(cl);
	if (cli_follow_start(&f.fw, -1, err) < 0)
		goto fail;
	/* a redraw a second keeps the ETA counting between events */
	rc = cli_follow_run(&f.fw, f.bar.mode != CLI_PROGRESS_OFF ? 1000 : -1, &hooks, &f, err);
	if (rc == CLI_FOLLOW_SHUTDOWN)
		aura_error_set(err, AURA_E_SERVER_SHUTTING_DOWN,
			       "stopped waiting: job %lld goes on when a server runs again",
			       (long long)id);
	if (rc != CLI_FOLLOW_ENDED)
		goto fail;
	cancel_sent = f.cancel_sent;
	json_t *job = f.fw.w[0].job;
	bar_clear(&f);
	watch_end();

	int st = cli_follow_state(&f.fw.w[0]);
	json_t *e = json_object_get(job, "error");
	if (!json)
		cli_json_clean(job);
	if (json) {
		cli_print_json(job);
	} else if (st == JOB_SUCCEEDED) {
		const char *out = proto_get_str(job, "output");
		printf("%s\n", out ? out : "");
	} else if (!(st == JOB_CANCELLED && cancel_sent)) {
		/* the job's error, from the server, in the catalogue's words */
		struct aura_error jerr;
		char about[64];
		if (e)
			proto_error_from_json(e, &jerr);
		else
			aura_error_set(&jerr,
				       st == JOB_CANCELLED ? AURA_E_JOB_CANCELLED : AURA_E_INTERNAL,
				       NULL);
		snprintf(about, sizeof(about), "job %lld %s", (long long)id, job_state_name(st));
		aura_error_print_about(about, &jerr);
	}
	if (st == JOB_SUCCEEDED)
		rc = 0;
	else if (st == JOB_CANCELLED && cancel_sent)
		rc = CLI_EXIT_INTERRUPTED;
	else
		rc = 1;
	cli_follow_free(&f.fw);
	return rc;
fail:
	bar_clear(&f);
	watch_end();
	cli_follow_free(&f.fw);
	return -1;
}

/* --- --variants N ---------------------------------------------------------------- */

#define VARIANTS_MAX 100

/*
 * N videos of one topic, one `new` request each (each idempotent, so a
 * re-run with --key K queues only what is missing): seeds s->seed, +1...,
 * names "TOPIC (variant i/N)", outputs STEM-vI.mp4 beside s->output (the
 * default output: the first free such name; -o: refused if it exists),
 * keys K/vI. One line per job (its id), or a JSON array of the jobs.
 * With --host (rp) the server names the outputs so, from "variant": I.
 */
static int queue_variants(struct cli_ctx *ctx, struct vspec *s, int n, const char *key,
			  json_t *extra, bool json, bool output_given, const struct new_remote *rp,
			  struct aura_error *err)
{
	bool srt = (s->captions & VSPEC_CAPTIONS_SRT) != 0;
	uint32_t base = s->seed;
	char *first = s->output, *stem = NULL, *slash = NULL;
	if (!rp) {
		size_t len = strlen(first);
		stem = xstrdup(first);
		if (len > 4 && strcmp(first + len - 4, ".mp4") == 0)
			stem[len - 4] = '\0';
		slash = strrchr(stem, '/');
		*slash = '\0'; /* absolute: there is one */
	}
	json_t *all = json_array();
	int rc = 0;
	for (int i = 1; i <= n && rc == 0; i++) {
		char *vbase = rp ? NULL : xasprintf("%s-v%d", slash + 1, i);
		s->seed = base + (uint32_t)(i - 1);
		if (rp) {
			s->output = NULL; /* the server's: "variant" */
		} else if (output_given) {
			s->output = xasprintf("%s/%s.mp4", stem, vbase);
			struct stat st;
			if (lstat(s->output, &st) == 0)
				rc = aura_error_set(err, AURA_E_OUTPUT_EXISTS, "%s", s->output);
		} else {
			s->output = vspec_free_output(stem, vbase, srt);
		}
		free(vbase);
		json_t *params = rc == 0 ? vspec_to_json(s) : NULL;
		if (params && rp) {
			new_remote_params(params, rp);
			json_object_set_new(json_object_get(params, "options"), "variant",
					    json_integer(i));
		}
		free(s->output);
		s->output = NULL;
		char *name = xasprintf("%s (variant %d/%d)", s->topic, i, n);
		char *k = key ? xasprintf("%s/v%d", key, i) : NULL;
		if (params) {
			json_object_set_new(params, "name", proto_string(name));
			json_object_update(params, extra); /* pool, after, on_done */
			rc = cli_key_param(params, k, err);
		}
		free(name);
		free(k);
		if (rc < 0) {
			json_decref(params);
			rc = cli_fail(err);
			break;
		}
		json_t *res;
		rc = cli_request_idempotent(ctx, "new", params, NULL, &res);
		if (rc)
			break;
		json_t *job = json_object_get(res, "job");
		if (json)
			json_array_append(all, job);
		else
			printf("%lld\n", (long long)proto_get_int(job, "id", 0));
		fflush(stdout);
		json_decref(res);
	}
	if (json && rc == 0)
		cli_print_json(all);
	json_decref(all);
	free(stem);
	s->output = first;
	s->seed = base;
	return rc;
}

/* --- the verb ------------------------------------------------------------------ */

enum {
	OPT_VOICE = 256,
	OPT_SCRIPT,
	OPT_IMAGES,
	OPT_MUSIC,
	OPT_CAPTIONS,
	OPT_PRIORITY,
	OPT_SEED,
	OPT_WAIT,
	OPT_JSON,
	OPT_KEY,
	OPT_POOL,
	OPT_VARIANTS,
	OPT_AFTER,
	OPT_ON_DONE,
	OPT_FROM,
	OPT_LANG,
	OPT_SPEED,
	OPT_VOLUME
};

static const struct option new_opts[] = {
	{ "duration", required_argument, NULL, 'd' },
	{ "preset", required_argument, NULL, 'p' },
	{ "output", required_argument, NULL, 'o' },
	{ "voice", required_argument, NULL, OPT_VOICE },
	{ "script", required_argument, NULL, OPT_SCRIPT },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "images", required_argument, NULL, OPT_IMAGES },
	{ "music", required_argument, NULL, OPT_MUSIC },
	{ "captions", required_argument, NULL, OPT_CAPTIONS },
	{ "priority", required_argument, NULL, OPT_PRIORITY },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "wait", no_argument, NULL, OPT_WAIT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "pool", required_argument, NULL, OPT_POOL },
	{ "variants", required_argument, NULL, OPT_VARIANTS },
	{ "after", required_argument, NULL, OPT_AFTER },
	{ "on-done", required_argument, NULL, OPT_ON_DONE },
	{ "lang", required_argument, NULL, OPT_LANG },
	{ "voice-speed", required_argument, NULL, OPT_SPEED },
	{ "voice-volume", required_argument, NULL, OPT_VOLUME },
	NEW_STYLE_LONGS,
	{ NULL, 0, NULL, 0 },
};

static int cmd_new_run(struct cli_ctx *ctx, int argc, char **argv)
{
	struct args a;
	int prc = args_parse(&cmd_new_entry, argc, argv, &a, NULL);
	if (prc)
		return prc;
	/* the values are checked below, in this order, whatever theirs */
	const char *duration = args_get(&a, 'd'), *preset = args_get(&a, 'p'),
		   *output = args_get(&a, 'o'), *voice = args_get(&a, OPT_VOICE),
		   *script = args_get(&a, OPT_SCRIPT), *images = args_get(&a, OPT_IMAGES),
		   *music = args_get(&a, OPT_MUSIC), *captions = args_get(&a, OPT_CAPTIONS),
		   *priority = args_get(&a, OPT_PRIORITY), *seed = args_get(&a, OPT_SEED),
		   *key = args_get(&a, OPT_KEY), *pool = args_get(&a, OPT_POOL),
		   *variants = args_get(&a, OPT_VARIANTS), *from = args_get(&a, OPT_FROM);
	bool wait = args_has(&a, OPT_WAIT), json = args_has(&a, OPT_JSON);
	int64_t nvar = 0;
	if (variants && (parse_int64(variants, &nvar) < 0 || nvar < 1 || nvar > VARIANTS_MAX))
		return cli_usage_error("--variants %s: a whole number from 1 to %d", variants,
				       VARIANTS_MAX);
	if (variants && wait)
		return cli_usage_error("--wait follows one video; --variants queues them "
				       "without waiting");
	if (script && from)
		return cli_usage_error("--script and --from: one or the other");
	/* with --host the paths are the server's (doc/remote.md) */
	const struct new_remote remote = { script, from, args_get(&a, OPT_IMAGES),
					   args_get(&a, OPT_MUSIC), output },
				*rp = ctx->host ? &remote : NULL;
	if (rp && variants && a.argc == 0)
		return cli_usage_error("--variants with --host names the videos by their TOPIC: "
				       "give one");
	/* TOPIC may be left out for --script or --from, so the count is checked here */
	if (a.argc == 0 && !script && !from) {
		struct aura_error terr;
		aura_error_set(&terr, AURA_E_TOPIC_INVALID, "no topic was given");
		aura_error_print(&terr);
		return cmd_usage(&cmd_new_entry);
	}
	/* `aura new how volcanoes work` means the quoted topic */
	struct buf topic;
	buf_init(&topic);
	for (int i = 0; i < a.argc; i++) {
		if (i > 0)
			buf_puts(&topic, " ");
		buf_puts(&topic, a.argv[i]);
	}

	struct vspec s;
	struct aura_error err;
	aura_error_clear(&err);
	vspec_init(&s, &ctx->cfg);
	s.topic = topic.data;
	int rc = 0;
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd))) {
		aura_error_set(&err, AURA_E_INTERNAL, "getcwd: %s", strerror(errno));
		goto fail;
	}
	s.cwd = rp ? NULL : xstrdup(cwd); /* this shell's: nothing on a server elsewhere */
	if (rp && new_remote_check(rp, &err) < 0)
		goto fail;
	if (a.argc == 0 && script && !rp) { /* --script FILE alone: its heading, or its name */
		if (new_read_script(script, &s.script, &err) < 0)
			goto fail;
		free(topic.data);
		topic.data = vspec_topic_from_script(s.script, script);
		s.topic = topic.data;
		if (!s.topic) {
			aura_error_set(
			    &err, AURA_E_TOPIC_INVALID,
			    "--script %s has no heading or file name to take a topic from", script);
			goto fail;
		}
	}
	if (!from && s.topic && vspec_check_topic(s.topic, &err) < 0)
		goto fail;

	int64_t x;
	if (duration) {
		if (parse_int64(duration, &x) < 0 || x < SCRIPT_DURATION_MIN ||
		    x > SCRIPT_DURATION_MAX) {
			aura_error_set(&err, AURA_E_DURATION_INVALID,
				       "-d %s: a whole number of seconds from 5 to 1800", duration);
			goto fail;
		}
		s.duration = (int)x;
	}
	if (preset) {
		s.preset = preset_find(preset);
		if (!s.preset) {
			aura_error_set(&err, AURA_E_PRESET_UNKNOWN, "'%s' is not a preset", preset);
			goto fail;
		}
	}
	if (captions) {
		int bits = vspec_captions_parse(captions);
		if (bits < 0) {
			aura_error_set(&err, AURA_E_USAGE,
				       "--captions %s: use burn, srt, both or none", captions);
			goto fail;
		}
		s.captions = bits;
	}
	if (priority) {
		if (parse_int64(priority, &x) < 0) {
			aura_error_set(&err, AURA_E_USAGE, "--priority %s: a whole number",
				       priority);
			goto fail;
		}
		if (x < -VSPEC_PRIORITY_MAX || x > VSPEC_PRIORITY_MAX) {
			aura_error_set(&err, AURA_E_USAGE,
				       "--priority %s is out of range: from %d to %d", priority,
				       -VSPEC_PRIORITY_MAX, VSPEC_PRIORITY_MAX);
			goto fail;
		}
		s.priority = (int)x;
	}
	if (seed) {
		if (parse_int64(seed, &x) < 0 || x < 0 || x > UINT32_MAX) {
			aura_error_set(&err, AURA_E_USAGE,
				       "--seed %s: a whole number from 0 to 4294967295", seed);
			goto fail;
		}
		s.seed = (uint32_t)x;
	}
	if (new_style_options(&s, &a, &err) < 0)
		goto fail;
	if (new_voice_options(&s, &ctx->cfg, voice, args_get(&a, OPT_LANG), args_get(&a, OPT_SPEED),
			      args_get(&a, OPT_VOLUME), &err) < 0)
		goto fail;
	if (!rp && s.voice.provider == VOICE_PIPER && s.voice.name) {
		char *abs = absolute(cwd, s.voice.name);
		free(s.voice.name);
		s.voice.name = abs;
	}
	if (!rp) { /* this machine's files (with --host: the server reads them) */
		if (script && !s.script && new_read_script(script, &s.script, &err) < 0)
			goto fail;
		if (from && new_from_doc(from, &s, a.argc == 0, &err) < 0)
			goto fail;
		if (images) {
			s.images = absolute(cwd, images);
			char **files;
			int n;
			if (new_check_utf8_path("--images", s.images, &err) < 0 ||
			    vspec_list_images(s.images, &files, &n, &err) < 0)
				goto fail;
			vspec_files_free(files);
		}
		if (music) {
			s.music = absolute(cwd, music);
			char *track;
			int n;
			if (new_check_utf8_path("--music", s.music, &err) < 0 ||
			    vspec_music_pick(s.music, s.seed, &track, &n, &err) < 0)
				goto fail;
			free(track);
		}
		bool srt = (s.captions & VSPEC_CAPTIONS_SRT) != 0;
		if (output) {
			struct stat given;
			if (!*output) {
				aura_error_set(&err, AURA_E_USAGE,
					       "-o wants a file or folder path, not ''");
				goto fail;
			}
			if (stat(output, &given) == 0 && !S_ISREG(given.st_mode) &&
			    !S_ISDIR(given.st_mode)) {
				/* not /dev/null.mp4 beside a device: a path that is one */
				aura_error_set(&err, AURA_E_OUTPUT_UNWRITABLE,
					       "-o %s is not a regular file or a folder", output);
				goto fail;
			}
			s.output = vspec_output_path(output, cwd, s.topic, srt);
			struct stat st;
			if (new_check_utf8_path("-o", s.output, &err) < 0)
				goto fail;
			if (lstat(s.output, &st) == 0) {
				aura_error_set(&err, AURA_E_OUTPUT_EXISTS, "%s", s.output);
				goto fail;
			}
		} else {
			s.output = vspec_default_output(&s, &ctx->cfg);
			if (new_check_utf8_path("the output", s.output, &err) < 0)
				goto fail;
		}
		if (check_output_dir(s.output, &err) < 0)
			goto fail;
	}

	/* the server's own check, here first: the same rules at both ends */
	json_t *params = vspec_to_json(&s);
	if (!s.topic) /* --script alone with --host: the server takes it from the file */
		json_object_set_new(params, "topic", json_string("video"));
	struct vspec again;
	vspec_init(&again, &ctx->cfg);
	int vrc = vspec_from_json(&again, params, &err);
	vspec_free(&again);
	if (!s.topic)
		json_object_del(params, "topic");
	if (rp)
		new_remote_params(params, rp);
	json_t *extra = json_object(); /* what every variant has too */
	if (pool)
		json_object_set_new(extra, "pool", json_string(pool));
	if (args_get(&a, OPT_ON_DONE) && *args_get(&a, OPT_ON_DONE))
		json_object_set_new(extra, "on_done", proto_string(args_get(&a, OPT_ON_DONE)));
	if (vrc < 0 || cli_after_param(extra, "--after", args_get(&a, OPT_AFTER), &err) < 0 ||
	    cli_key_param(params, key, &err) < 0) {
		json_decref(params);
		json_decref(extra);
		goto fail;
	}
	json_object_update(params, extra);

	if (variants) {
		json_decref(params);
		rc = queue_variants(ctx, &s, (int)nvar, key, extra, json, output != NULL, rp, &err);
		json_decref(extra);
		goto out;
	}
	json_decref(extra);
	struct client *cl;
	json_t *res;
	rc = cli_request_idempotent(ctx, "new", params, &cl, &res);
	if (rc)
		goto out;
	json_t *job = json_object_get(res, "job");
	int64_t id = proto_get_int(job, "id", 0);
	if (!wait) {
		if (json)
			cli_print_json(job);
		else
			printf("%lld\n", (long long)id);
		json_decref(res);
		client_free(cl);
		rc = 0;
		goto out;
	}
	json_decref(res);
	rc = wait_job(cl, id, json, &err);
	client_free(cl);
	if (rc < 0)
		goto fail;
	goto out;
fail:
	rc = cli_fail(&err);
out:
	vspec_free(&s);
	return rc;
}

const struct cmd_entry cmd_new_entry = {
	.name = "new",
	.usage =
	    "[TOPIC] [-d SEC] [-p PRESET] [--voice V] [--lang CODE] [--voice-speed X] "
	    "[--voice-volume DB] [--script FILE | --from DOC] [--images DIR] "
	    "[--music FILE|DIR] [--style NAME] [--caption-... V] [--headings H] [--transition T] "
	    "[--ken-burns on|off] [--music-volume DB] [--ducking DB] [--captions MODE] [-o PATH] "
	    "[--priority N] [--seed N] [--pool NAME] "
	    "[--after ID[,ID]] [--on-done CMD] [--key K] [--variants N] [--wait] [--json]",
	.args = { .shorts = "d:p:o:", .longs = new_opts, .min = 0, .max = ARGS_ANY },
	.summary = "queue a narrated, captioned video about TOPIC",
	.help =
	    "  -d, --duration SEC    target length, 5 to 1800 (default 30, or [video] duration)\n"
	    "  -p, --preset NAME     landscape-720p (default), landscape-1080p, portrait-1080p,\n"
	    "                        square-1080p, draft-480p\n"
	    "      --voice V         flite[:slt|kal|awb|rms] (default flite:slt),\n"
	    "                        espeak[:VOICE] (espeak-ng), piper[:MODEL.onnx],\n"
	    "                        openai[:VOICE], elevenlabs[:VOICE_ID]; without it the\n"
	    "                        [providers] voice chain is walked\n"
	    "      --lang CODE       narration language (en, de, pt-BR...; default [video]\n"
	    "                        lang, en): told to the script writer; not English is\n"
	    "                        spoken offline by espeak-ng's voice for it, not flite\n"
	    "      --voice-speed X   narration tempo, 0.5 to 2.0 (default 1)\n"
	    "      --voice-volume DB narration gain in dB, -20 to 10 (default 0)\n"
	    "      --script FILE     narrate this text: one scene per paragraph, a paragraph\n"
	    "                        may start with a \"# heading\" line (-d is then ignored);\n"
	    "                        without TOPIC, the first heading (else the file's name)\n"
	    "                        is the topic\n"
	    "      --from DOC        narrate a summary of DOC (.md, .html or text): its own\n"
	    "                        sentences sized to -d, a scene per section, headings as\n"
	    "                        scene headings; without TOPIC, its title (else the\n"
	    "                        file's name) is the topic\n"
	    "      --images DIR      use DIR's .jpg/.png/.mp4 files in name order, cycled,\n"
	    "                        instead of generated backgrounds\n"
	    "      --music FILE|DIR  a music bed, looped and ducked under the voice; of a\n"
	    "                        directory, one of its audio files picked by the "
	    "seed\n" NEW_STYLE_HELP
	    "      --captions MODE   burn (into the picture), srt (a file beside the video),\n"
	    "                        both (default) or none\n"
	    "  -o, --output PATH     the video file (\".mp4\" is added when missing; a directory\n"
	    "                        gets the default name); default ./TOPIC-SLUG.mp4, with\n"
	    "                        -1, -2... added rather than overwrite anything\n"
	    "      --priority N      higher runs first (default 0)\n"
	    "      --seed N          another seed gives another script and palette\n"
	    "      --pool NAME       the pool to render in (default: [server] pool, local)\n"
	    "      --after ID[,ID]   start only once these jobs succeeded (one failed, was\n"
	    "                        cancelled or removed: this one fails without running)\n"
	    "      --on-done CMD     run CMD (no shell) when the job ends (aura.ini's\n"
	    "                        [server] on_done tells its environment)\n"
	    "      --key K           an idempotency key: if a job already has K, nothing new\n"
	    "                        is queued and that job's id is printed (exit 0)\n"
	    "      --variants N      queue N videos of TOPIC (1 to 100): seeds --seed (or 0),\n"
	    "                        +1...; named \"TOPIC (variant i/N)\"; written to\n"
	    "                        NAME-v1.mp4...; keys K/v1... with --key K; one id a\n"
	    "                        line\n"
	    "      --wait            follow the job: a progress line on a terminal, then the\n"
	    "                        video's path; Ctrl-C cancels the job (exit 130)\n"
	    "      --json            print the job as JSON (with --wait: once it ended)\n"
	    "\n"
	    "Without --wait, prints the job's id. Exit 0 when queued (or, with --wait, when\n"
	    "the video is done), 1 if the job failed, 2 for a bad option.\n"
	    "With --host every path is the server's, absolute, read there (doc/remote.md).\n",
	.flags = CMD_NEEDS_DATA,
	.run = cmd_new_run,
};
