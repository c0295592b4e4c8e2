/*
 * pipeline.c -- the video job kind (task_video_new): reads the job's spec,
 * decides where an attempt starts (a stage whose record is done and whose
 * artifacts exist is skipped: that is how retry and crash recovery
 * resume), runs the stages in order through their ops (stage-*.c), keeps
 * the stage records and the progress weights, and removes the .part files
 * when the job is stopped. Also the helpers the stages share (stage.h) and
 * the timeline arithmetic. Rules: doc/pipeline.md.
 *
 * Must never: spawn, wait or block (the engine runs what next() returns),
 * leave a .part file behind on abort, or redo a stage whose artifacts a
 * later finished stage was built from without redoing that stage too.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "base/conf.h"
#include "ff/locate.h"
#include "ff/ffclass.h"
#include "base/paths.h"
#include "video/stage.h"
#include "store/store.h"
#include "base/utf8.h"
#include "base/util.h"

static const struct stage_ops *const stages[VSTAGE__COUNT] = {
	&stage_script_ops,   &stage_voice_ops,	&stage_visuals_ops,
	&stage_captions_ops, &stage_render_ops, &stage_verify_ops,
};

/*
 * Shares of the progress bar, from measured runs (doc/pipeline.md,
 * "Progress weights"): a 60 s landscape-720p video spends ~85 % of its
 * time in the render's encode. With clips from --images, the visuals
 * stage transcodes them and weighs more.
 */
static const double weights_cards[VSTAGE__COUNT] = { 0.01, 0.09, 0.04, 0.01, 0.83, 0.02 };
static const double weights_clips[VSTAGE__COUNT] = { 0.01, 0.08, 0.20, 0.01, 0.68, 0.02 };

struct vtask {
	struct vjob v;
	bool started; /* the current stage's record says running */
	bool failed;  /* ...and then failed */
	int64_t started_ms[VSTAGE__COUNT];
};

/* --- helpers for the stages --------------------------------------------------- */

char *vjob_path(const struct vjob *v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *rel = xvasprintf(fmt, ap);
	va_end(ap);
	char *p = xasprintf("%s/%s", v->workdir, rel);
	free(rel);
	return p;
}

bool vjob_exists(const struct vjob *v, const char *rel)
{
	char *p = vjob_path(v, "%s", rel);
	struct stat st;
	bool ok = stat(p, &st) == 0 && S_ISREG(st.st_mode);
	free(p);
	return ok;
}

int vjob_write(const struct vjob *v, const char *rel, const char *text, struct aura_error *err)
{
	char *p = vjob_path(v, "%s", rel);
	int rc = ffargs_write_textfile(p, text, err);
	free(p);
	return rc;
}

char *vjob_read(const struct vjob *v, const char *rel)
{
	char *p = vjob_path(v, "%s", rel);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	free(p);
	if (fd < 0)
		return NULL;
	struct buf b;
	buf_init(&b);
	char chunk[16384];
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || b.len > (16u << 20))
			break;
		buf_append(&b, chunk, (size_t)r);
	}
	close(fd);
	if (!b.data)
		buf_append(&b, "", 0);
	return b.data;
}

json_t *vjob_read_scenes(const struct vjob *v, const char *rel, json_t **root)
{
	char *text = vjob_read(v, rel);
	*root = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	json_t *arr = json_object_get(*root, "scenes");
	return json_is_array(arr) && v->n > 0 && (int)json_array_size(arr) == v->n ? arr : NULL;
}

int vjob_mkdir(const struct vjob *v, const char *rel, struct aura_error *err)
{
	char *p = vjob_path(v, "%s", rel);
	int rc = 0;
	if (mkdir_p(p, 0700) < 0)
		rc = aura_error_set(err, errno == ENOSPC ? AURA_E_DISK_FULL : AURA_E_DATA_DIR,
				    "%s: %s", p, strerror(errno));
	free(p);
	return rc;
}

void vjob_log(const struct vjob *v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	v->env->log(v->env->eng_ctx, v->id, "%s", text);
	free(text);
}

void vjob_warn(const struct vjob *v, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	v->env->warn(v->env->eng_ctx, v->id, aura_error_name(code), text);
	free(text);
}

int vjob_ffmpeg_result(int status, const char *tail, const char *what, struct aura_error *err)
{
	size_t n = tail ? strlen(tail) : 0;
	int code = ffclass_classify(status, tail, n, false);
	if (code == 0)
		return 0;
	char *summary = tail ? ffclass_summary(tail) : NULL;
	int rc;
	if (summary && *summary)
		rc = aura_error_set(err, code, "%s: %s", what, summary);
	else if (WIFSIGNALED(status))
		rc = aura_error_set(err, code, "%s: killed by signal %d", what, WTERMSIG(status));
	else
		rc = aura_error_set(err, code, "%s: exit status %d", what,
				    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	free(summary);
	return rc;
}

/* --- lanes and parts (doc/pipeline.md, "Light work in parts") ------------- */

int vjob_lanes(const struct vjob *v)
{
	/* the engine's own count, so a stage's plan and the lanes agree (an
	 * `aura pool --max-jobs` override included) */
	const struct task_env *env = v->env;
	return env && env->lanes ? env->lanes(env->eng_ctx, v->id) : 1;
}

int vjob_lane_cpus(const struct vjob *v)
{
	const struct task_env *env = v->env;
	return env && env->lane_cpus ? env->lane_cpus(env->eng_ctx, v->id) : 0;
}

void vjob_parts_begin(struct vjob *v, const size_t *w)
{
	int n = 0;
	for (int i = 0; i < v->n; i++)
		n += w[i] > 0;
	int parts = vjob_lanes(v), cpus = vjob_lane_cpus(v);
	if (cpus > 0 && cpus < parts)
		parts = cpus;
	v->parts = parts < n ? parts : n > 0 ? n : 1;
	v->parts_running = 0;
	v->sub = 0;
}

bool vjob_part_next(struct vjob *v, const size_t *w, int *from, int *to, struct task_cmd *cmd)
{
	if (v->sub >= v->parts)
		return false;
	vjob_part_range(w, v->n, v->sub, v->parts, from, to);
	cmd->parallel = v->parts > 1;
	cmd->tag = v->sub++;
	return true;
}

/* --- pure arithmetic ----------------------------------------------------------- */

void vjob_part_range(const size_t *w, int n, int part, int parts, int *from, int *to)
{
	size_t total = 0, sum = 0;
	for (int i = 0; i < n; i++)
		total += w[i];
	*from = *to = n;
	for (int i = 0, p = 0; i < n; i++) {
		if (p == part && *from == n)
			*from = i;
		sum += w[i];
		/* part p ends where the weight reaches (p + 1) / parts of the
		 * whole, or where the scenes left are one a part after it */
		if (p < parts - 1 && (sum * (size_t)parts >= total * (size_t)(p + 1) ||
				      n - 1 - i <= parts - 1 - p)) {
			if (p == part) {
				*to = i + 1;
				return;
			}
			p++;
		}
	}
}

int vjob_script_seconds(int duration_s, int words_per_minute, int gap_ms)
{
	if (words_per_minute <= 0)
		words_per_minute = SCRIPT_WORDS_PER_MINUTE;
	/* the pauses between scenes are part of the duration, not speech */
	long speech_ms = (long)duration_s * 1000 -
			 (long)script_target_scenes(duration_s) * (gap_ms > 0 ? gap_ms : 0);
	if (speech_ms < 1000)
		speech_ms = 1000;
	long s = (speech_ms * words_per_minute + SCRIPT_WORDS_PER_MINUTE * 500L) /
		 (SCRIPT_WORDS_PER_MINUTE * 1000L);
	if (s < SCRIPT_DURATION_MIN)
		s = SCRIPT_DURATION_MIN;
	if (s > SCRIPT_DURATION_MAX)
		s = SCRIPT_DURATION_MAX;
	return (int)s;
}

int64_t vplan_reading_us(const char *text)
{
	int64_t cols = text ? utf8_width(text) : 0;
	int64_t us = cols * 60000;
	return us < 2000000 ? 2000000 : us;
}

int64_t vplan_window_us(int64_t audio_us, const char *text)
{
	int64_t read = vplan_reading_us(text);
	return read > audio_us + audio_us / 2 ? read : audio_us;
}

int vplan_compute(struct vscene *s, int n, int gap_ms, int target_s, int xfade_ms, int *xfade)
{
	if (gap_ms < 0)
		gap_ms = 0;
	int gap = (int)(((int64_t)gap_ms * VIDEO_FPS + 500) / 1000);
	int total = 0, shortest = 0;
	for (int i = 0; i < n; i++) {
		int64_t us = s[i].audio_us > s[i].window_us ? s[i].audio_us : s[i].window_us;
		if (us < 0)
			us = 0;
		int speech = (int)((us * VIDEO_FPS + 999999) / 1000000);
		int f = speech + gap;
		s[i].frames = f < SCENE_MIN_FRAMES ? SCENE_MIN_FRAMES : f;
		total += s[i].frames;
	}
	int want = target_s > 0 ? target_s * VIDEO_FPS : 0;
	if (n > 0 && total < want) {
		int extra = want - total;
		int share = extra / n, rest = extra % n;
		for (int i = 0; i < n; i++) {
			int add = share + (i < rest);
			s[i].frames += add > SCENE_PAD_MAX ? SCENE_PAD_MAX : add;
		}
	}
	total = 0;
	for (int i = 0; i < n; i++) {
		s[i].start_frame = total;
		total += s[i].frames;
		if (i == 0 || s[i].frames < shortest)
			shortest = s[i].frames;
	}
	if (xfade) {
		int x = n > 1 && xfade_ms > 0 ? (xfade_ms * VIDEO_FPS + 500) / 1000 : 0;
		if (x > shortest / 3)
			x = shortest / 3;
		*xfade = x;
	}
	return total;
}

int64_t probe_duration_us(const char *json, size_t len)
{
	json_error_t jerr;
	json_t *root = json ? json_loadb(json, len, 0, &jerr) : NULL;
	int64_t us = 0;
	json_t *d = json_object_get(json_object_get(root, "format"), "duration");
	double sec = 0;
	if (json_is_string(d)) {
		char *end;
		sec = strtod(json_string_value(d), &end);
		if (end == json_string_value(d))
			sec = 0;
	} else if (json_is_number(d)) {
		sec = json_number_value(d);
	}
	if (isfinite(sec) && sec > 0 && sec < 1e7)
		us = (int64_t)(sec * 1e6 + 0.5);
	json_decref(root);
	return us;
}

/* --- stage records ------------------------------------------------------------- */

static void record(struct vtask *t, enum vstage i, enum stage_state state)
{
	struct vjob *v = &t->v;
	int64_t now = time_now_ms();
	if (state == STAGE_RUNNING)
		t->started_ms[i] = now;
	struct stage s = {
		.name = (char *)stages[i]->name,
		.seq = (int)i,
		.state = state,
		.progress = state == STAGE_DONE ? 1.0 : 0.0,
		.started_ms = state == STAGE_PENDING ? 0 : t->started_ms[i],
		.finished_ms = state == STAGE_DONE || state == STAGE_FAILED ? now : 0,
	};
	struct aura_error err = { 0 };
	if (store_stage_set(v->env->store, v->id, &s, &err) < 0)
		vjob_log(v, "cannot record stage %s: %s", s.name, err.detail);
}

/* --- the task ops ---------------------------------------------------------------- */

static double weight_before(const struct vjob *v, enum vstage i)
{
	double w = 0;
	for (int k = 0; k < (int)i; k++)
		w += v->weight[k];
	return w;
}

static int video_next(void *impl, struct job *j, struct task_cmd *cmd, struct aura_error *err)
{
	struct vtask *t = impl;
	struct vjob *v = &t->v;
	v->job = j;
	while (v->cur < VSTAGE__COUNT) {
		enum vstage i = v->cur;
		if (!t->started) {
			t->started = true;
			t->failed = false;
			v->step = v->sub = 0;
			v->link = 0;
			v->failed = 0;
			v->checking = false;
			vstock_reset(&v->stock, -1);
			vchain_free(&v->chain);
			record(t, i, STAGE_RUNNING);
		}
		int rc = stages[i]->next(v, cmd, err);
		if (rc == TASK_WAIT)
			return TASK_WAIT;
		if (rc == TASK_RUN) {
			double base = weight_before(v, i), w = v->weight[i];
			double fs = cmd->weight_start, fl = cmd->weight_len;
			if (fs < 0 || fs > 1)
				fs = 0;
			if (fl < 0 || fs + fl > 1)
				fl = 1 - fs;
			cmd->weight_start = base + w * fs;
			cmd->weight_len = w * fl;
			free(cmd->stage);
			cmd->stage = xstrdup(stages[i]->name);
			return TASK_RUN;
		}
		if (rc < 0) {
			record(t, i, STAGE_FAILED);
			t->failed = true;
			return rc;
		}
		record(t, i, STAGE_DONE);
		vjob_log(v, "stage %s done (%.1f s)", stages[i]->name,
			 (time_now_ms() - t->started_ms[i]) / 1000.0);
		t->started = false;
		v->cur++;
	}
	return TASK_FINISHED;
}

static int video_done(void *impl, struct job *j, int tag, int wait_status, const char *out,
		      size_t out_len, const char *stderr_tail, struct aura_error *err)
{
	struct vtask *t = impl;
	struct vjob *v = &t->v;
	v->job = j;
	v->tag = tag;
	if (v->cur >= VSTAGE__COUNT)
		return 0;
	int rc = stages[v->cur]->done(v, wait_status, out, out_len, stderr_tail, err);
	if (rc < 0) {
		record(t, v->cur, STAGE_FAILED);
		t->failed = true;
	}
	return rc;
}

static void remove_file(const struct vjob *v, char **path, const char *what)
{
	if (!*path)
		return;
	if (unlink(*path) == 0)
		vjob_log(v, "removed the partial %s %s", what, *path);
	free(*path);
	*path = NULL;
}

static void video_abort(void *impl, struct job *j)
{
	struct vtask *t = impl;
	struct vjob *v = &t->v;
	v->job = j;
	remove_file(v, &v->part, "video");
	render_stage_abort(v);
	remove_file(v, &v->srt_part, "captions");
	if (t->started && !t->failed && v->cur < VSTAGE__COUNT)
		record(t, v->cur, STAGE_PENDING);
	t->started = false;
}

static void vjob_free(struct vjob *v)
{
	vspec_free(&v->spec);
	free(v->workdir);
	free(v->output);
	free(v->part);
	render_stage_free(v);
	free(v->srt_part);
	free(v->font);
	free(v->voice_prog);
	voice_choice_free(&v->voice);
	vchain_free(&v->voice_chain);
	vchain_free(&v->chain);
	vcall_cancel_now(&v->call);
	vcall_reset(&v->call);
	script_free(&v->script);
	for (int i = 0; i < v->n; i++) {
		free(v->scenes[i].visual);
		free(v->scenes[i].source);
		free(v->scenes[i].audio_src);
	}
	free(v->scenes);
	free(v->pending);
	vspec_files_free(v->images);
	vstock_reset(&v->stock, -1);
}

static void video_free(void *impl)
{
	struct vtask *t = impl;
	if (!t)
		return;
	vjob_free(&t->v);
	free(t);
}

static const struct task_ops video_ops = {
	.next = video_next,
	.done = video_done,
	.abort = video_abort,
	.free = video_free,
};

/* --- creating the task ----------------------------------------------------------- */

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

static int plan_output(struct vjob *v, struct job *j, struct aura_error *err)
{
	const struct aura_config *cfg = v->env->cfg;
	if (j->output && j->output[0] == '/')
		v->output = xstrdup(j->output); /* an earlier attempt chose it */
	else if (v->spec.output)
		v->output = xstrdup(v->spec.output);
	else
		v->output = vspec_default_output(&v->spec, cfg); /* else the home's */
	if (!v->output)
		return aura_error_set(err, AURA_E_OUTPUT_UNWRITABLE,
				      "the request named no output and no working directory");
	char *dir = dir_of(v->output);
	int rc = 0;
	if (access(dir, W_OK | X_OK) != 0)
		rc = aura_error_set(err, AURA_E_OUTPUT_UNWRITABLE, "%s: %s", dir, strerror(errno));
	free(dir);
	if (rc == 0 && (!j->output || strcmp(j->output, v->output) != 0)) {
		free(j->output);
		j->output = xstrdup(v->output);
	}
	return rc;
}

/* The cards' font: the configured one as it is; a found regular face
 * gives way to its bold sibling (headings read better bold). */
static char *card_font(const struct aura_config *cfg)
{
	char *font = locate_font(cfg, NULL);
	if (!font || (cfg && cfg->font && *cfg->font))
		return font;
	size_t n = strlen(font);
	if (n > 4 && strcmp(font + n - 4, ".ttf") == 0 && !strstr(font, "Bold")) {
		char *bold = xasprintf("%.*s-Bold.ttf", (int)(n - 4), font);
		if (access(bold, R_OK) == 0) {
			free(font);
			return bold;
		}
		free(bold);
	}
	return font;
}

static bool voice_online_name(const char *n)
{
	return strcmp(n, "openai") == 0 || strcmp(n, "elevenlabs") == 0;
}

/*
 * The voices of the job: the online ones to try for each scene, and the
 * offline one that speaks whatever they do not. --voice forces one: an
 * offline voice never goes online; an online one falls back to the
 * chain's offline voice. Else [video] voice (when online) and the online
 * names of the [providers] voice chain, in order. The offline voice is the
 * job's own ([video] voice or --voice); when that is online, the first
 * installed offline name of the chain, else flite:slt.
 */
static int voice_plan(struct vjob *v, struct aura_error *err)
{
	const struct aura_config *cfg = v->env->cfg;
	const struct voice_choice *sv = &v->spec.voice;
	struct vchain all;
	vchain_parse(cfg ? cfg->chain_voice : NULL, &all);
	struct vchain *on = &v->voice_chain;
	vchain_free(on);
	if (voice_is_online(sv->provider))
		on->names[on->n++] = xstrdup(voice_provider_name(sv->provider));
	for (int i = 0; i < all.n && !v->spec.voice_forced; i++)
		if (voice_online_name(all.names[i]) && on->n < VCHAIN_MAX &&
		    strcmp(all.names[i], on->n ? on->names[0] : "") != 0)
			on->names[on->n++] = xstrdup(all.names[i]);

	voice_choice_free(&v->voice);
	free(v->voice_prog);
	v->voice_prog = NULL;
	int rc = 0;
	bool chosen = false;
	if (!voice_is_online(sv->provider)) {
		/* the job's own offline voice: [video] voice or --voice */
		v->voice.provider = sv->provider;
		v->voice.name = sv->name ? xstrdup(sv->name) : NULL;
		rc = voice_check(&v->voice, cfg, &v->voice_prog, err);
		chosen = true;
	} else {
		const char *cands[VCHAIN_MAX + 2];
		int nc = 0;
		for (int i = 0; i < all.n; i++)
			if (!voice_online_name(all.names[i]))
				cands[nc++] = all.names[i];
		if (cfg && cfg->voice)
			cands[nc++] = cfg->voice;
		for (int i = 0; i < nc && !chosen; i++) {
			struct voice_choice c;
			char *prog = NULL;
			if (voice_parse(cands[i], cfg, &c, NULL) < 0)
				continue;
			if (!voice_is_online(c.provider) &&
			    voice_check(&c, cfg, &prog, NULL) == 0) {
				v->voice = c;
				v->voice_prog = prog;
				chosen = true;
			} else {
				voice_choice_free(&c);
				free(prog);
			}
		}
		if (!chosen) {
			v->voice.provider = VOICE_FLITE;
			v->voice.name = xstrdup("slt");
		}
	}
	vchain_free(&all);
	if (rc == 0 && v->voice.provider == VOICE_FLITE && !vspec_lang_english(v->spec.lang))
		rc = voice_for_lang(v->spec.lang, cfg, &v->voice, &v->voice_prog, err);
	return rc;
}

/* Where this attempt starts: the first stage not done or not intact. */
static enum vstage resume_point(struct vtask *t)
{
	struct vjob *v = &t->v;
	struct stage *recs = NULL;
	int nrec = 0;
	struct aura_error err = { 0 };
	if (store_stage_list(v->env->store, v->id, &recs, &nrec, &err) < 0)
		vjob_log(v, "cannot read the stage records (%s): starting over", err.detail);
	enum vstage first = VSTAGE_SCRIPT;
	for (; first < VSTAGE__COUNT; first++) {
		bool done = false;
		for (int k = 0; k < nrec; k++)
			if (strcmp(recs[k].name, stages[first]->name) == 0) {
				done = recs[k].state == STAGE_DONE;
				t->started_ms[first] = recs[k].started_ms;
			}
		if (!done)
			break;
		if (!stages[first]->ready(v)) {
			vjob_log(v, "stage %s was done but its files are gone: redoing it",
				 stages[first]->name);
			break;
		}
	}
	stage_list_free(recs, nrec);
	/* every later stage is redone: it was made from what is being remade */
	for (enum vstage i = first; i < VSTAGE__COUNT; i++)
		record(t, i, STAGE_PENDING);
	return first;
}

int task_video_new(const struct task_env *env, struct job *j, struct task *out,
		   struct aura_error *err)
{
	struct vtask *t = xcalloc(1, sizeof(*t));
	struct vjob *v = &t->v;
	v->env = env;
	v->job = j;
	v->id = j->id;
	v->workdir = j->workdir ? xstrdup(j->workdir) : paths_job_dir(env->paths, j->id);
	vspec_init(&v->spec, env->cfg);

	script_init(&v->call.script);
	int rc = vspec_from_text(&v->spec, j->spec, err);
	if (rc == 0)
		rc = voice_plan(v, err);
	if (rc == 0)
		rc = plan_output(v, j, err);
	if (rc < 0) {
		video_free(t);
		return rc;
	}
	v->font = card_font(env->cfg);
	if (!v->font)
		vjob_log(v, "no font file found: the cards use fontconfig's Sans");

	bool clips = false;
	if (v->spec.images) {
		char **files;
		int n;
		if (vspec_list_images(v->spec.images, &files, &n, NULL) == 0) {
			for (int i = 0; i < n; i++)
				clips = clips || vspec_is_video_file(files[i]);
			vspec_files_free(files);
		}
	}
	memcpy(v->weight, clips ? weights_clips : weights_cards, sizeof(v->weight));

	v->cur = resume_point(t);
	if (v->cur > VSTAGE_SCRIPT && v->cur < VSTAGE__COUNT)
		vjob_log(v, "resuming at stage %s: the earlier stages' files are intact",
			 stages[v->cur]->name);
	if (v->total_frames > 0)
		j->duration_us = (int64_t)v->total_frames * 1000000 / VIDEO_FPS;
	out->ops = &video_ops;
	out->impl = t;
	return 0;
}
