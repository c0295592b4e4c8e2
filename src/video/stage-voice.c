/*
 * stage-voice.c -- the `voice` stage: each scene's narration spoken into
 * voice/NNN.wav (48 kHz stereo PCM), its length measured with ffprobe
 * (one run for all scenes),
 * and the timeline planned from those lengths (voice.json).
 *
 * Online voices first (v->voice_chain: openai, elevenlabs), scene by
 * scene, each request an asynchronous step into voice/NNN.src.wav or
 * .mp3 (kept with a voice/NNN.by note, so a retry does not ask again); a
 * provider that fails is a warning and is not asked again in this stage.
 * What no online voice spoke, the offline voice (v->voice) speaks:

 * flite: one FFmpeg run with a `flite=textfile=` source per scene (the
 * narration is in voice/NNN.txt, never in the filtergraph). espeak-ng and
 * piper: one run of the engine per scene into voice/NNN.src.wav (piper
 * reads the scene's text file on stdin), then one
 * FFmpeg run that brings them all to 48 kHz stereo. A scene that yields no
 * speech (text the voice cannot read) becomes silence as long as its
 * captions need, with a VOICE_SILENT warning.
 *
 * Must never: guess a duration that ffprobe can measure, or pass the
 * narration to any program as an argument or filter text.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "base/conf.h"
#include "video/stage.h"

enum { STEP_ONLINE, STEP_FLITE, STEP_SYNTH, STEP_CONVERT, STEP_PROBE, STEP_SILENCE, STEP_FINISH };
/* What the command in flight is (v->cmd_kind): next() has moved on. */
enum { RUN_ONLINE, RUN_CHECK, RUN_FLITE, RUN_ENGINE, RUN_CONVERT, RUN_PROBE, RUN_SILENCE };

/* Shares of the stage: synthesis is most of it. */
#define W_SYNTH	  0.70
#define W_CONVERT 0.05
#define W_PROBE	  0.20
#define W_SILENCE 0.05

/* flite reads English: text without an ASCII letter or digit is silence. */
static bool flite_can_say(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9'))
			return true;
	return false;
}

static char *seconds_text(int64_t us)
{
	return xasprintf("%lld.%06lld", (long long)(us / 1000000), (long long)(us % 1000000));
}

static bool voice_ready(struct vjob *v)
{
	json_t *root;
	json_t *arr = vjob_read_scenes(v, "voice.json", &root);
	bool ok = arr != NULL;
	for (int i = 0; ok && i < v->n; i++) {
		json_t *s = json_array_get(arr, (size_t)i);
		v->scenes[i].audio_us = json_integer_value(json_object_get(s, "audio_us"));
		v->scenes[i].silent = json_is_true(json_object_get(s, "silent"));
		json_t *w = json_object_get(s, "window_us");
		v->scenes[i].window_us = w ? json_integer_value(w) : v->scenes[i].audio_us;
		v->scenes[i].frames = (int)json_integer_value(json_object_get(s, "frames"));
		v->scenes[i].start_frame =
		    (int)json_integer_value(json_object_get(s, "start_frame"));
		char rel[32];
		snprintf(rel, sizeof(rel), "voice/%03d.wav", vjob_num(i));
		ok = v->scenes[i].frames > 0 && vjob_exists(v, rel);
	}
	if (ok) {
		v->total_frames = (int)json_integer_value(json_object_get(root, "total_frames"));
		v->xfade_frames = (int)json_integer_value(json_object_get(root, "xfade_frames"));
		ok = v->total_frames > 0;
	}
	json_decref(root);
	return ok;
}

/* --voice-speed and --voice-volume, on each spoken scene's output (not on
 * the silence made for text no voice can read: its length is planned). */
static void narration_filter(const struct vjob *v, struct ffargs *a)
{
	double speed = v->spec.voice_speed > 0 ? v->spec.voice_speed : 1.0;
	double gain = v->spec.voice_volume;
	if (speed == 1.0 && gain == 0.0)
		return;
	ffargs_add(a, "-af");
	if (speed != 1.0 && gain != 0.0)
		ffargs_addf(a, "atempo=%.3f,volume=%.2fdB", speed, gain);
	else if (speed != 1.0)
		ffargs_addf(a, "atempo=%.3f", speed);
	else
		ffargs_addf(a, "volume=%.2fdB", gain);
}

/* An FFmpeg run of flite for the scenes [from, to) not spoken online: a
 * source per scene, a WAV per scene; how many it speaks. */
static int flite_cmd(struct vjob *v, int from, int to, struct ffargs *a)
{
	int k = 0;
	ffargs_addv(a, "ffmpeg", "-y");
	for (int i = from; i < to; i++) {
		const char *text = v->script.scenes[i].narration;
		if (v->scenes[i].audio_src)
			continue; /* spoken online */
		k++;
		if (!flite_can_say(text)) {
			v->scenes[i].silent = true;
			v->scenes[i].audio_us = vplan_reading_us(text);
			char *d = seconds_text(v->scenes[i].audio_us);
			ffargs_addv(a, "-f", "lavfi", "-i");
			ffargs_addf(a, "anullsrc=r=%d:cl=stereo:d=%s", FFARGS_AUDIO_RATE, d);
			free(d);
			continue;
		}
		char *rel = xasprintf("voice/%03d.txt", vjob_num(i));
		char *file = ffargs_escape_filter_value(rel);
		char *voice = ffargs_escape_filter_value(v->voice.name ? v->voice.name : "slt");
		ffargs_addv(a, "-f", "lavfi", "-i");
		ffargs_addf(a, "flite=textfile=%s:voice=%s", file, voice);
		free(voice);
		free(file);
		free(rel);
	}
	for (int i = from, m = 0; i < to; i++) {
		if (v->scenes[i].audio_src)
			continue;
		ffargs_add(a, "-map");
		ffargs_addf(a, "%d:a", m++);
		ffargs_add(a, "-ar");
		ffargs_addf(a, "%d", FFARGS_AUDIO_RATE);
		ffargs_addv(a, "-ac", "2", "-c:a", "pcm_s16le");
		if (!v->scenes[i].silent)
			narration_filter(v, a);
		ffargs_addf(a, "voice/%03d.wav", vjob_num(i));
	}
	return k;
}

/*
 * flite's scenes in parts that run at once (vjob_parts_begin): FFmpeg's flite
 * source speaks its whole text when its input is opened, and one run
 * opens its inputs one after the other, so one run keeps one core busy
 * however many there are. Weighed by their text.
 */
static size_t *flite_weights(const struct vjob *v)
{
	size_t *w = xcalloc((size_t)v->n, sizeof(*w));
	for (int i = 0; i < v->n; i++)
		if (!v->scenes[i].audio_src)
			w[i] = strlen(v->script.scenes[i].narration) + 1;
	return w;
}

/* One scene through espeak-ng or piper, into voice/NNN.src.wav. piper
 * reads the text on stdin: the classic C++ piper knows nothing else (the
 * Python one also has --input_file). */
static void engine_cmd(struct vjob *v, int i, struct ffargs *a, struct task_cmd *cmd)
{
	char txt[32], wav[32];
	snprintf(txt, sizeof(txt), "voice/%03d.txt", vjob_num(i));
	snprintf(wav, sizeof(wav), "voice/%03d.src.wav", vjob_num(i));
	free(v->scenes[i].audio_src);
	v->scenes[i].audio_src = xstrdup(wav);
	v->scenes[i].online = false;
	if (v->voice.provider == VOICE_ESPEAK)
		/* -b 1: the text file is UTF-8 */
		ffargs_addv(a, v->voice_prog, "-b", "1", "-v", v->voice.name, "-f", txt, "-w", wav);
	else {
		ffargs_addv(a, v->voice_prog, "--model", v->voice.name, "--output_file", wav);
		free(cmd->stdin_path);
		cmd->stdin_path = xstrdup(txt);
	}
}

/* espeak-ng, piper and the online voices speak at their own rates and
 * formats: one run brings all to 48 kHz stereo. */
static int convert_cmd(struct vjob *v, struct ffargs *a)
{
	int k = 0;
	ffargs_addv(a, "ffmpeg", "-y");
	for (int i = 0; i < v->n; i++) {
		if (!v->scenes[i].audio_src)
			continue;
		ffargs_addv(a, "-i", v->scenes[i].audio_src);
		k++;
	}
	for (int i = 0, m = 0; i < v->n; i++) {
		if (!v->scenes[i].audio_src)
			continue;
		ffargs_add(a, "-map");
		ffargs_addf(a, "%d:a", m++);
		ffargs_add(a, "-ar");
		ffargs_addf(a, "%d", FFARGS_AUDIO_RATE);
		ffargs_addv(a, "-ac", "2", "-c:a", "pcm_s16le");
		if (!v->scenes[i].silent)
			narration_filter(v, a);
		ffargs_addf(a, "voice/%03d.wav", vjob_num(i));
	}
	return k;
}

static void silence_cmd(struct vjob *v, struct ffargs *a)
{
	ffargs_addv(a, "ffmpeg", "-y");
	for (int k = 0; k < v->npending; k++) {
		char *d = seconds_text(v->scenes[v->pending[k]].audio_us);
		ffargs_addv(a, "-f", "lavfi", "-i");
		ffargs_addf(a, "anullsrc=r=%d:cl=stereo:d=%s", FFARGS_AUDIO_RATE, d);
		free(d);
	}
	for (int k = 0; k < v->npending; k++) {
		ffargs_add(a, "-map");
		ffargs_addf(a, "%d:a", k);
		ffargs_addv(a, "-c:a", "pcm_s16le");
		ffargs_addf(a, "voice/%03d.wav", vjob_num((int)v->pending[k]));
	}
}

static int write_plan(struct vjob *v, struct aura_error *err)
{
	const struct aura_config *cfg = v->env->cfg;
	int gap = cfg ? cfg->scene_gap_ms : 400;
	/* a generated script is held to the asked duration; a user's script
	 * lasts what its narration lasts */
	int target = v->generated ? v->spec.duration : 0;
	for (int i = 0; i < v->n; i++)
		v->scenes[i].window_us =
		    vplan_window_us(v->scenes[i].audio_us, v->script.scenes[i].narration);
	/* the style's transition; none: a cut */
	const struct style_config *look = &v->spec.look;
	int xms = look->transition == STYLE_TRANS_NONE ? 0 : look->transition_ms;
	v->total_frames = vplan_compute(v->scenes, v->n, gap, target, xms, &v->xfade_frames);
	json_t *arr = json_array();
	for (int i = 0; i < v->n; i++)
		json_array_append_new(arr,
				      json_pack("{s:I, s:I, s:b, s:i, s:i}", "audio_us",
						(json_int_t)v->scenes[i].audio_us, "window_us",
						(json_int_t)v->scenes[i].window_us, "silent",
						v->scenes[i].silent, "frames", v->scenes[i].frames,
						"start_frame", v->scenes[i].start_frame));
	char *voice = voice_choice_text(&v->spec.voice);
	json_t *root = json_pack("{s:i, s:s, s:i, s:i, s:i, s:i, s:o}", "version", 1, "voice",
				 voice, "gap_ms", gap, "target_s", target, "total_frames",
				 v->total_frames, "xfade_frames", v->xfade_frames, "scenes", arr);
	free(voice);
	char *text = root ? json_dumps(root, JSON_INDENT(1)) : NULL;
	json_decref(root);
	if (!text)
		return aura_error_set(err, AURA_E_INTERNAL, "voice.json could not be encoded");
	int rc = vjob_write(v, "voice.json", text, err);
	free(text);
	if (rc == 0 && v->job)
		v->job->duration_us = (int64_t)v->total_frames * 1000000 / VIDEO_FPS;
	vjob_log(v, "voice: %d scenes, %.2f s planned", v->n, (double)v->total_frames / VIDEO_FPS);
	return rc;
}

/* --- online voices ------------------------------------------------------------ */

/* What comes after link k for a scene, for the warning. */
static const char *next_voice(const struct vjob *v, int k, char **tmp)
{
	for (int i = k + 1; i < v->voice_chain.n; i++)
		if (!(v->failed & (1u << i)))
			return v->voice_chain.names[i];
	*tmp = voice_choice_text(&v->voice);
	return *tmp;
}

/* voice/NNN.by: "PROVIDER\nFILE\nNARRATION", written once an online voice
 * spoke the scene, so a retry of the stage reuses the file. */
static bool online_reuse(struct vjob *v, int i)
{
	char by[32];
	snprintf(by, sizeof(by), "voice/%03d.by", vjob_num(i));
	char *note = vjob_read(v, by);
	if (!note)
		return false;
	bool ok = false;
	char *nl1 = strchr(note, '\n');
	char *nl2 = nl1 ? strchr(nl1 + 1, '\n') : NULL;
	if (nl2) {
		*nl1 = *nl2 = '\0';
		const char *file = nl1 + 1;
		bool known = false;
		for (int k = 0; k < v->voice_chain.n; k++)
			known = known || strcmp(v->voice_chain.names[k], note) == 0;
		ok = known && strncmp(file, "voice/", 6) == 0 && !strstr(file, "..") &&
		     strcmp(nl2 + 1, v->script.scenes[i].narration) == 0 && vjob_exists(v, file);
		if (ok) {
			free(v->scenes[i].audio_src);
			v->scenes[i].audio_src = xstrdup(file);
			v->scenes[i].online = true;
			vjob_log(v, "voice: scene %d: reusing what %s said in an earlier attempt",
				 vjob_num(i), note);
		}
	}
	free(note);
	return ok;
}

/* The next online request from (sub, link) (TASK_RUN), or VSTAGE_DONE
 * when every scene has had its turn. */
static int online_walk(struct vjob *v, struct task_cmd *cmd)
{
	const struct aura_config *cfg = v->env->cfg;
	if (v->checking) {
		/* a 2xx with an audio type can still be no sound FFmpeg reads:
		 * it is a bad answer, not a reason to fail the job later */
		struct ffargs a;
		ffargs_init(&a);
		ffargs_addv(&a, "ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
			    "json", v->call.path + strlen(v->workdir) + 1);
		cmd->argv = ffargs_steal(&a);
		cmd->capture_stdout = true;
		v->cmd_kind = RUN_CHECK;
		cmd->weight_start = W_SYNTH * (v->sub + 1) / v->n;
		cmd->weight_len = 0;
		return TASK_RUN;
	}
	while (v->sub < v->n) {
		if (v->link == 0 && online_reuse(v, v->sub)) {
			v->sub++;
			continue;
		}
		if (v->link >= v->voice_chain.n) {
			v->sub++;
			v->link = 0;
			continue;
		}
		const char *name = v->voice_chain.names[v->link];
		if ((v->failed & (1u << v->link)) || !vjob_provider(v, name)) {
			v->link++;
			continue;
		}
		bool eleven = strcmp(name, "elevenlabs") == 0;
		const struct provider_config *pc = eleven ? &cfg->elevenlabs : &cfg->openai;
		struct vcall *c = &v->call;
		vcall_reset(c);
		c->kind = VCALL_SPEECH;
		c->provider = xstrdup(name);
		c->text = xstrdup(v->script.scenes[v->sub].narration);
		/* the forced voice's name, else the provider's [section] voice */
		const char *voice =
		    v->spec.voice.name &&
			    strcmp(voice_provider_name(v->spec.voice.provider), name) == 0
			? v->spec.voice.name
			: pc->voice;
		c->voice = voice && *voice ? xstrdup(voice) : NULL;
		/* [openai] model is the chat model; speech uses the service's */
		c->model = eleven && pc->model && *pc->model ? xstrdup(pc->model) : NULL;
		c->path = vjob_path(v, "voice/%03d.%s.%s", vjob_num(v->sub), name,
				    eleven ? "mp3" : "wav");
		vcall_step(c, cmd);
		v->cmd_kind = RUN_ONLINE;
		cmd->weight_start = W_SYNTH * v->sub / v->n;
		cmd->weight_len = W_SYNTH / v->n;
		return TASK_RUN;
	}
	return VSTAGE_DONE;
}

/* The request ended: a file to check, or the next link with a warning. */
static void online_done(struct vjob *v)
{
	struct vcall *c = &v->call;
	if (c->out.code == 0) {
		v->checking = true;
		return;
	}
	char *tmp = NULL;
	v->failed |= 1u << v->link;
	char *why = vcall_failure(c);
	vjob_warn(v, c->out.code, "voice, scene %d: %s; using %s", vjob_num(v->sub), why,
		  next_voice(v, v->link, &tmp));
	free(why);
	free(tmp);
	v->link++;
}

/* The answer's ffprobe ended: the scene is spoken, or the answer was bad. */
static int check_done(struct vjob *v, int status, const char *out, size_t out_len,
		      struct aura_error *err)
{
	struct vcall *c = &v->call;
	int i = v->sub;
	v->checking = false;
	int64_t us =
	    WIFEXITED(status) && WEXITSTATUS(status) == 0 ? probe_duration_us(out, out_len) : 0;
	if (us <= 0) {
		char *tmp = NULL;
		v->failed |= 1u << v->link;
		vjob_warn(v, AURA_E_PROVIDER_BAD_RESPONSE,
			  "voice, scene %d: %s answered with no sound FFmpeg can read; using %s",
			  vjob_num(i), c->provider, next_voice(v, v->link, &tmp));
		free(tmp);
		unlink(c->path);
		v->link++;
		return 0;
	}
	const char *rel = c->path + strlen(v->workdir) + 1;
	char by[32];
	snprintf(by, sizeof(by), "voice/%03d.by", vjob_num(i));
	char *note = xasprintf("%s\n%s\n%s", c->provider, rel, c->text);
	int rc = vjob_write(v, by, note, err);
	free(note);
	if (rc < 0)
		return rc;
	free(v->scenes[i].audio_src);
	v->scenes[i].audio_src = xstrdup(rel);
	v->scenes[i].online = true;
	vjob_log(v, "voice: scene %d spoken by %s (%.1f s)", vjob_num(i), c->provider,
		 c->out.elapsed_ms / 1000.0);
	v->sub++;
	v->link = 0;
	return 0;
}

/* --- the stage -------------------------------------------------------------------- */

/*
 * One ffprobe measures every spoken scene: each voice/NNN.wav is a stream
 * of a lavfi graph (amovie, cut in one-second packets), and a scene's
 * length is the end of its last packet. Silence made by flite_cmd is ours:
 * its length is known. 0 when there is nothing to measure.
 */
static int probe_cmd(struct vjob *v, struct ffargs *a)
{
	struct buf g;
	buf_init(&g);
	int k = 0;
	for (int i = 0; i < v->n; i++) {
		if (v->scenes[i].silent)
			continue;
		buf_printf(&g, "%samovie=voice/%03d.wav,asetnsamples=n=%d:p=0[out%d]", k ? ";" : "",
			   vjob_num(i), FFARGS_AUDIO_RATE, k);
		k++;
	}
	if (k > 0)
		ffargs_addv(a, "ffprobe", "-v", "error", "-f", "lavfi", "-i", g.data,
			    "-show_entries", "packet=stream_index,pts_time,duration_time", "-of",
			    "csv=p=0");
	buf_free(&g);
	return k;
}

/* The lengths from probe_cmd's lines "STREAM,PTS_TIME,DURATION_TIME". */
static void probe_done(struct vjob *v, const char *out, size_t out_len)
{
	int *scene = xcalloc((size_t)v->n + 1, sizeof(int));
	int64_t *end = xcalloc((size_t)v->n + 1, sizeof(int64_t));
	int k = 0;
	for (int i = 0; i < v->n; i++)
		if (!v->scenes[i].silent)
			scene[k++] = i;
	char *text = xstrndup(out ? out : "", out_len);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		int st;
		double pts, dur;
		if (sscanf(line, "%d,%lf,%lf", &st, &pts, &dur) != 3 || st < 0 || st >= k)
			continue;
		int64_t e = (int64_t)((pts + dur) * 1e6 + 0.5);
		if (e > end[st])
			end[st] = e;
	}
	free(text);
	for (int j = 0; j < k; j++) {
		int i = scene[j];
		struct vscene *s = &v->scenes[i];
		/* under a frame of sound is no speech */
		if (end[j] < 1000000 / VIDEO_FPS) {
			s->silent = true;
			s->audio_us = vplan_reading_us(v->script.scenes[i].narration);
			v->pending =
			    xrealloc(v->pending, (size_t)(v->npending + 1) * sizeof(int64_t));
			v->pending[v->npending++] = i;
		} else {
			s->audio_us = end[j];
		}
	}
	free(scene);
	free(end);
}

static int voice_next(struct vjob *v, struct task_cmd *cmd, struct aura_error *err)
{
	struct ffargs a;
	ffargs_init(&a);
	bool flite = v->voice.provider == VOICE_FLITE;
	int rc;

	if (v->step == STEP_ONLINE && v->sub == 0 && v->link == 0 && !v->failed && !v->checking) {
		if ((rc = vjob_mkdir(v, "voice", err)) < 0)
			return rc;
		for (int i = 0; i < v->n; i++) {
			v->scenes[i].silent = false;
			v->scenes[i].audio_us = 0;
			v->scenes[i].online = false;
			free(v->scenes[i].audio_src);
			v->scenes[i].audio_src = NULL;
			char rel[32];
			snprintf(rel, sizeof(rel), "voice/%03d.txt", vjob_num(i));
			if ((rc = vjob_write(v, rel, v->script.scenes[i].narration, err)) < 0)
				return rc;
		}
		free(v->pending);
		v->pending = NULL;
		v->npending = 0;
	}
	if (v->step == STEP_ONLINE) {
		if (online_walk(v, cmd) == TASK_RUN)
			return TASK_RUN;
		v->step = STEP_SYNTH;
		v->sub = 0;
		if (flite) {
			size_t *w = flite_weights(v);
			vjob_parts_begin(v, w);
			free(w);
			v->step = STEP_FLITE;
		}
	}
	if (v->step == STEP_FLITE) {
		size_t *w = flite_weights(v);
		int from, to;
		while (vjob_part_next(v, w, &from, &to, cmd)) {
			if (flite_cmd(v, from, to, &a) > 0) {
				free(w);
				v->cmd_kind = RUN_FLITE;
				v->parts_running++;
				cmd->ffmpeg = true;
				cmd->weight_start = 0;
				cmd->weight_len = W_SYNTH * (to - from) / v->n;
				cmd->argv = ffargs_steal(&a);
				return TASK_RUN;
			}
			ffargs_free(&a);
			ffargs_init(&a);
		}
		free(w);
		if (v->parts_running > 0) {
			ffargs_free(&a);
			return TASK_WAIT;
		}
		v->step = STEP_CONVERT;
		v->sub = 0;
	}
	if (v->step == STEP_SYNTH) {
		while (v->sub < v->n && v->scenes[v->sub].online)
			v->sub++;
		if (v->sub >= v->n) {
			v->step = STEP_CONVERT;
			v->sub = 0;
		} else {
			engine_cmd(v, v->sub, &a, cmd);
			v->cmd_kind = RUN_ENGINE;
			cmd->weight_start = W_SYNTH * v->sub / v->n;
			cmd->weight_len = W_SYNTH / v->n;
			cmd->argv = ffargs_steal(&a);
			return TASK_RUN;
		}
	}
	if (v->step == STEP_CONVERT) {
		v->step = STEP_PROBE;
		v->sub = 0;
		if (convert_cmd(v, &a) > 0) {
			v->cmd_kind = RUN_CONVERT;
			cmd->ffmpeg = true;
			cmd->weight_start = W_SYNTH;
			cmd->weight_len = W_CONVERT;
			cmd->argv = ffargs_steal(&a);
			return TASK_RUN;
		}
		ffargs_free(&a);
		ffargs_init(&a);
	}
	if (v->step == STEP_PROBE) {
		v->step = STEP_SILENCE;
		if (probe_cmd(v, &a) > 0) {
			cmd->capture_stdout = true;
			v->cmd_kind = RUN_PROBE;
			cmd->weight_start = W_SYNTH + W_CONVERT;
			cmd->weight_len = W_PROBE;
			cmd->argv = ffargs_steal(&a);
			return TASK_RUN;
		}
		ffargs_free(&a);
		ffargs_init(&a);
	}
	if (v->step == STEP_SILENCE) {
		v->step = STEP_FINISH;
		if (v->npending > 0) {
			silence_cmd(v, &a);
			v->cmd_kind = RUN_SILENCE;
			cmd->ffmpeg = true;
			cmd->weight_start = 1 - W_SILENCE;
			cmd->weight_len = W_SILENCE;
			cmd->argv = ffargs_steal(&a);
			return TASK_RUN;
		}
	}
	ffargs_free(&a);
	for (int i = 0; i < v->n; i++)
		if (v->scenes[i].silent)
			vjob_warn(v, AURA_E_VOICE_SILENT,
				  "scene %d: the voice %s gave no speech; the scene is held silent "
				  "for %.1f s with its captions",
				  vjob_num(i),
				  v->scenes[i].online ? "online"
				  : v->voice.name     ? v->voice.name
						      : "",
				  v->scenes[i].audio_us / 1e6);
	rc = write_plan(v, err);
	return rc < 0 ? rc : VSTAGE_DONE;
}

static int voice_done(struct vjob *v, int status, const char *out, size_t out_len, const char *tail,
		      struct aura_error *err)
{
	switch (v->cmd_kind) {
	case RUN_ONLINE:
		online_done(v);
		return 0;
	case RUN_CHECK:
		return check_done(v, status, out, out_len, err);
	case RUN_FLITE:
		v->parts_running--;
		return vjob_ffmpeg_result(status, tail, "flite", err);
	case RUN_ENGINE:
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			char *summary = tail && *tail ? xstrndup(tail, 300) : NULL;
			int rc = aura_error_set(err, AURA_E_VOICE_FAILED, "scene %d: %s %s",
						vjob_num(v->sub), v->voice_prog,
						summary ? summary : "failed");
			free(summary);
			return rc;
		}
		v->sub++;
		return 0;
	case RUN_CONVERT:
		return vjob_ffmpeg_result(status, tail, "converting the voice", err);
	case RUN_PROBE:
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			char *summary = tail && *tail ? xstrndup(tail, 300) : NULL;
			int rc = aura_error_set(err, AURA_E_VOICE_FAILED,
						"ffprobe could not measure the voice: %s",
						summary ? summary : "failed");
			free(summary);
			return rc;
		}
		probe_done(v, out, out_len);
		return 0;
	case RUN_SILENCE:
		return vjob_ffmpeg_result(status, tail, "making silence", err);
	}
	return 0;
}

const struct stage_ops stage_voice_ops = {
	.name = "voice",
	.ready = voice_ready,
	.next = voice_next,
	.done = voice_done,
};
