/*
 * vspec.c -- a video job's options: defaults, the `new` params <-> struct,
 * validation with catalogue errors, voices, output names and the
 * --images listing. See vspec.h.
 *
 * Must never: read a file the caller did not name, or accept a value it
 * would have to guess about (an unknown option, a relative path).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/paths.h"
#include "base/utf8.h"
#include "video/script.h"
#include "base/util.h"
#include "video/vspec.h"

#define SLUG_MAX 60

void vspec_init(struct vspec *s, const struct aura_config *cfg)
{
	memset(s, 0, sizeof(*s));
	s->duration = cfg && cfg->duration > 0 ? cfg->duration : 30;
	s->preset = preset_find(cfg && cfg->preset ? cfg->preset : PRESET_DEFAULT);
	if (!s->preset)
		s->preset = preset_find(PRESET_DEFAULT);
	if (!cfg || !cfg->voice || voice_parse(cfg->voice, cfg, &s->voice, NULL) < 0) {
		s->voice.provider = VOICE_FLITE;
		s->voice.name = xstrdup("slt");
	}
	int c = cfg && cfg->captions ? vspec_captions_parse(cfg->captions) : -1;
	s->captions = c >= 0 ? c : VSPEC_CAPTIONS_BURN | VSPEC_CAPTIONS_SRT;
}

void vspec_free(struct vspec *s)
{
	if (!s)
		return;
	free(s->topic);
	free(s->cwd);
	voice_choice_free(&s->voice);
	free(s->output);
	free(s->script);
	free(s->images);
	free(s->music);
	memset(s, 0, sizeof(*s));
}

int vspec_captions_parse(const char *s)
{
	if (!s)
		return -1;
	if (strcmp(s, "burn") == 0)
		return VSPEC_CAPTIONS_BURN;
	if (strcmp(s, "srt") == 0)
		return VSPEC_CAPTIONS_SRT;
	if (strcmp(s, "both") == 0)
		return VSPEC_CAPTIONS_BURN | VSPEC_CAPTIONS_SRT;
	if (strcmp(s, "none") == 0)
		return 0;
	return -1;
}

const char *vspec_captions_name(int bits)
{
	switch (bits & (VSPEC_CAPTIONS_BURN | VSPEC_CAPTIONS_SRT)) {
	case VSPEC_CAPTIONS_BURN:
		return "burn";
	case VSPEC_CAPTIONS_SRT:
		return "srt";
	case VSPEC_CAPTIONS_BURN | VSPEC_CAPTIONS_SRT:
		return "both";
	default:
		return "none";
	}
}

/* --- voices ----------------------------------------------------------------- */

static const char *const flite_voices[] = {"slt", "kal", "awb", "rms", "kal16"};

/* Measured with FFmpeg 5.1's flite on a generated one-minute script, pauses
 * at punctuation included (doc/pipeline.md, "Voice"). */
static const int flite_wpm[] = {168, 161, 172, 152, 161};

const char *voice_provider_name(enum voice_provider p)
{
	switch (p) {
	case VOICE_FLITE:
		return "flite";
	case VOICE_ESPEAK:
		return "espeak";
	case VOICE_PIPER:
		return "piper";
	case VOICE_OPENAI:
		return "openai";
	case VOICE_ELEVENLABS:
		return "elevenlabs";
	}
	return "flite";
}

bool voice_is_online(enum voice_provider p)
{
	return p == VOICE_OPENAI || p == VOICE_ELEVENLABS;
}

void voice_choice_free(struct voice_choice *v)
{
	if (!v)
		return;
	free(v->name);
	v->name = NULL;
}

static bool voice_name_ok(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("-_+.", *p)))
			return false;
	return true;
}

int voice_parse(const char *text, const struct aura_config *cfg, struct voice_choice *out,
		struct aura_error *err)
{
	out->provider = VOICE_FLITE;
	out->name = NULL;
	if (!text || !*text)
		return aura_error_set(err, AURA_E_VOICE_UNKNOWN, "no voice was given");
	const char *colon = strchr(text, ':');
	size_t plen = colon ? (size_t)(colon - text) : strlen(text);
	const char *arg = colon ? colon + 1 : NULL;
	if (arg && !*arg)
		arg = NULL;

	if (plen == 5 && strncmp(text, "flite", 5) == 0) {
		const char *v = arg ? arg : "slt";
		for (size_t i = 0; i < ARRAY_LEN(flite_voices); i++)
			if (strcmp(v, flite_voices[i]) == 0) {
				out->name = xstrdup(v);
				return 0;
			}
		return aura_error_set(err, AURA_E_VOICE_UNKNOWN,
				      "flite has no voice '%s' (it has slt, kal, awb, rms, kal16)",
				      v);
	}
	if ((plen == 6 && strncmp(text, "espeak", 6) == 0) ||
	    (plen == 9 && strncmp(text, "espeak-ng", 9) == 0)) {
		const char *v = arg ? arg : "en";
		if (!voice_name_ok(v))
			return aura_error_set(err, AURA_E_VOICE_UNKNOWN,
					      "'%s' is not an espeak-ng voice name", v);
		out->provider = VOICE_ESPEAK;
		out->name = xstrdup(v);
		return 0;
	}
	if (plen == 5 && strncmp(text, "piper", 5) == 0) {
		out->provider = VOICE_PIPER;
		if (arg)
			out->name = paths_expand_home(arg);
		else if (cfg && cfg->piper_model && *cfg->piper_model)
			out->name = paths_expand_home(cfg->piper_model);
		return 0;
	}
	if ((plen == 6 && strncmp(text, "openai", 6) == 0) ||
	    (plen == 10 && strncmp(text, "elevenlabs", 10) == 0)) {
		/* NULL name: the voice of the provider's [section] */
		if (arg && !voice_name_ok(arg))
			return aura_error_set(err, AURA_E_VOICE_UNKNOWN,
					      "'%s' is not a voice name of %.*s", arg, (int)plen,
					      text);
		out->provider = plen == 6 ? VOICE_OPENAI : VOICE_ELEVENLABS;
		out->name = arg ? xstrdup(arg) : NULL;
		return 0;
	}
	return aura_error_set(err, AURA_E_VOICE_UNKNOWN, "unknown voice provider '%.*s'", (int)plen,
			      text);
}

char *voice_choice_text(const struct voice_choice *v)
{
	switch (v->provider) {
	case VOICE_FLITE:
		return xasprintf("flite:%s", v->name ? v->name : "slt");
	case VOICE_ESPEAK:
		return xasprintf("espeak:%s", v->name ? v->name : "en");
	case VOICE_PIPER:
		return v->name ? xasprintf("piper:%s", v->name) : xstrdup("piper");
	case VOICE_OPENAI:
	case VOICE_ELEVENLABS:
		return xasprintf("%s%s%s", voice_provider_name(v->provider), v->name ? ":" : "",
				 v->name ? v->name : "");
	}
	return xstrdup("flite:slt");
}

int voice_words_per_minute(const struct voice_choice *v)
{
	switch (v->provider) {
	case VOICE_FLITE:
		for (size_t i = 0; i < ARRAY_LEN(flite_voices); i++)
			if (v->name && strcmp(v->name, flite_voices[i]) == 0)
				return flite_wpm[i];
		return flite_wpm[0];
	case VOICE_ESPEAK:
		return 175; /* espeak-ng's default -s */
	case VOICE_PIPER:
		return 160; /* typical of piper's medium voices at length_scale 1 */
	case VOICE_OPENAI:
	case VOICE_ELEVENLABS:
		return SCRIPT_WORDS_PER_MINUTE; /* both speak at a natural pace */
	}
	return SCRIPT_WORDS_PER_MINUTE;
}

/* A program by name (PATH) or path; allocated, or NULL. */
static char *find_program(const char *name)
{
	if (strchr(name, '/')) {
		char *p = paths_expand_home(name);
		if (access(p, X_OK) == 0)
			return p;
		free(p);
		return NULL;
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	const char *p = path;
	while (*p) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > 0) {
			char *cand = xasprintf("%.*s/%s", (int)len, p, name);
			struct stat st;
			if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
				return cand;
			free(cand);
		}
		p = end ? end + 1 : p + len;
	}
	return NULL;
}

int voice_check(const struct voice_choice *v, const struct aura_config *cfg, char **program,
		struct aura_error *err)
{
	*program = NULL;
	/* online voices are checked when they are called: they fall back */
	if (v->provider == VOICE_FLITE || voice_is_online(v->provider))
		return 0;
	if (v->provider == VOICE_ESPEAK) {
		const char *want = cfg && cfg->espeak && *cfg->espeak ? cfg->espeak : "espeak-ng";
		*program = find_program(want);
		if (!*program)
			return aura_error_set(err, AURA_E_VOICE_UNAVAILABLE,
					      "espeak-ng was not found (%s)", want);
		return 0;
	}
	const char *want = cfg && cfg->piper && *cfg->piper ? cfg->piper : "piper";
	if (!v->name)
		return aura_error_set(err, AURA_E_VOICE_UNAVAILABLE,
				      "piper needs a voice model: --voice piper:MODEL.onnx or "
				      "piper_model in [voice]");
	if (access(v->name, R_OK) != 0)
		return aura_error_set(err, AURA_E_VOICE_UNAVAILABLE,
				      "the piper model %s cannot be read: %s", v->name,
				      strerror(errno));
	*program = find_program(want);
	if (!*program)
		return aura_error_set(err, AURA_E_VOICE_UNAVAILABLE, "piper was not found (%s)",
				      want);
	return 0;
}

/* --- params <-> struct -------------------------------------------------------- */

static int want_string(json_t *v, const char *key, const char **out, struct aura_error *err)
{
	const char *s = json_string_value(v);
	if (!s)
		return aura_error_set(err, AURA_E_USAGE, "\"%s\" must be a string", key);
	*out = s;
	return 0;
}

static int want_int(json_t *v, const char *key, json_int_t lo, json_int_t hi, int code,
		    json_int_t *out, struct aura_error *err)
{
	if (!json_is_integer(v))
		return aura_error_set(err, code, "\"%s\" must be a whole number", key);
	json_int_t x = json_integer_value(v);
	if (x < lo || x > hi)
		return aura_error_set(err, code, "%s %lld is out of range (%lld..%lld)", key,
				      (long long)x, (long long)lo, (long long)hi);
	*out = x;
	return 0;
}

static int want_abs_path(json_t *v, const char *key, char **dst, struct aura_error *err)
{
	const char *s = NULL;
	int rc = want_string(v, key, &s, err);
	if (rc < 0 || !s)
		return rc;
	if (s[0] != '/')
		return aura_error_set(err, AURA_E_USAGE,
				      "\"%s\" must be an absolute path, not '%s'", key, s);
	free(*dst);
	*dst = xstrdup(s);
	return 0;
}

int vspec_check_topic(const char *topic, struct aura_error *err)
{
	struct script tmp;
	/* the writer's own validation: the same rules at every door */
	int rc = script_generate(topic, SCRIPT_DURATION_MIN, 0, &tmp, err);
	script_free(&tmp);
	return rc;
}

char *vspec_topic_from_script(const char *text, const char *path)
{
	struct aura_error ignored = {0};
	char *t = script_first_heading(text);
	if (t && vspec_check_topic(t, &ignored) == 0)
		return t;
	free(t);
	if (!path)
		return NULL;
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *dot = strrchr(base, '.');
	t = dot && dot > base ? xstrndup(base, (size_t)(dot - base)) : xstrdup(base);
	for (char *c = t; *c; c++)
		if (*c == '-' || *c == '_')
			*c = ' ';
	if (vspec_check_topic(t, &ignored) == 0)
		return t;
	free(t);
	return NULL;
}

int vspec_from_json(struct vspec *s, json_t *params, struct aura_error *err)
{
	if (!json_is_object(params))
		return aura_error_set(err, AURA_E_USAGE, "the video's params are not an object");
	json_t *topic = json_object_get(params, "topic");
	const char *t = NULL;
	int rc;
	if (!topic)
		return aura_error_set(err, AURA_E_TOPIC_INVALID, "no topic was given");
	if ((rc = want_string(topic, "topic", &t, err)) < 0)
		return rc;
	if ((rc = vspec_check_topic(t, err)) < 0)
		return rc;
	free(s->topic);
	s->topic = xstrdup(t);

	json_t *cwd = json_object_get(params, "cwd");
	if (cwd && !json_is_null(cwd) && (rc = want_abs_path(cwd, "cwd", &s->cwd, err)) < 0)
		return rc;

	json_t *opts = json_object_get(params, "options");
	if (!opts || json_is_null(opts))
		return 0;
	if (!json_is_object(opts))
		return aura_error_set(err, AURA_E_USAGE, "\"options\" must be an object");
	const char *key;
	json_t *v;
	json_object_foreach(opts, key, v)
	{
		json_int_t x = 0;
		const char *str = NULL;
		if (json_is_null(v))
			continue; /* absent: the default */
		if (strcmp(key, "duration") == 0) {
			rc = want_int(v, "duration", SCRIPT_DURATION_MIN, SCRIPT_DURATION_MAX,
				      AURA_E_DURATION_INVALID, &x, err);
			if (rc == 0)
				s->duration = (int)x;
		} else if (strcmp(key, "preset") == 0) {
			rc = want_string(v, key, &str, err);
			if (rc == 0) {
				const struct preset *p = preset_find(str);
				if (!p)
					return aura_error_set(err, AURA_E_PRESET_UNKNOWN,
							      "'%s' is not a preset", str);
				s->preset = p;
			}
		} else if (strcmp(key, "voice") == 0) {
			rc = want_string(v, key, &str, err);
			if (rc == 0) {
				struct voice_choice vc;
				rc = voice_parse(str, NULL, &vc, err);
				if (rc == 0) {
					voice_choice_free(&s->voice);
					s->voice = vc;
				}
			}
		} else if (strcmp(key, "captions") == 0) {
			rc = want_string(v, key, &str, err);
			if (rc == 0) {
				int c = vspec_captions_parse(str);
				if (c < 0)
					return aura_error_set(err, AURA_E_USAGE,
							      "captions '%s': use burn, srt, both "
							      "or none",
							      str);
				s->captions = c;
			}
		} else if (strcmp(key, "output") == 0) {
			rc = want_abs_path(v, key, &s->output, err);
		} else if (strcmp(key, "images") == 0) {
			rc = want_abs_path(v, key, &s->images, err);
		} else if (strcmp(key, "music") == 0) {
			rc = want_abs_path(v, key, &s->music, err);
		} else if (strcmp(key, "script") == 0) {
			rc = want_string(v, key, &str, err);
			if (rc == 0) {
				struct script tmp;
				rc = script_parse(str, &tmp, err);
				script_free(&tmp);
				if (rc == 0) {
					free(s->script);
					s->script = xstrdup(str);
				}
			}
		} else if (strcmp(key, "voice_forced") == 0) {
			if (!json_is_boolean(v))
				return aura_error_set(err, AURA_E_USAGE,
						      "\"voice_forced\" must be true or false");
			s->voice_forced = json_is_true(v);
		} else if (strcmp(key, "seed") == 0) {
			rc = want_int(v, key, 0, UINT32_MAX, AURA_E_USAGE, &x, err);
			if (rc == 0)
				s->seed = (uint32_t)x;
		} else if (strcmp(key, "priority") == 0) {
			rc = want_int(v, key, -VSPEC_PRIORITY_MAX, VSPEC_PRIORITY_MAX, AURA_E_USAGE,
				      &x, err);
			if (rc == 0)
				s->priority = (int)x;
		} else {
			return aura_error_set(err, AURA_E_USAGE, "unknown video option \"%s\"",
					      key);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

int vspec_from_text(struct vspec *s, const char *text, struct aura_error *err)
{
	json_error_t jerr;
	json_t *root = text ? json_loads(text, 0, &jerr) : NULL;
	if (!root)
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "the video's spec is not JSON");
	int rc = vspec_from_json(s, root, err);
	json_decref(root);
	return rc;
}

/* A JSON string of s, its bytes that are not UTF-8 as U+FFFD; null for
 * NULL (as the protocol's strings). */
static json_t *json_text_of(const char *s)
{
	char *t = utf8_repair(s);
	json_t *j = t ? json_string(t) : json_null();
	free(t);
	return j;
}

json_t *vspec_to_json(const struct vspec *s)
{
	json_t *opts = json_object();
	json_object_set_new(opts, "duration", json_integer(s->duration));
	json_object_set_new(opts, "preset", json_string(s->preset->name));
	char *voice = voice_choice_text(&s->voice);
	json_object_set_new(opts, "voice", json_text_of(voice));
	free(voice);
	json_object_set_new(opts, "captions", json_string(vspec_captions_name(s->captions)));
	if (s->output)
		json_object_set_new(opts, "output", json_text_of(s->output));
	if (s->script)
		json_object_set_new(opts, "script", json_text_of(s->script));
	if (s->images)
		json_object_set_new(opts, "images", json_text_of(s->images));
	if (s->music)
		json_object_set_new(opts, "music", json_text_of(s->music));
	if (s->voice_forced)
		json_object_set_new(opts, "voice_forced", json_true());
	json_object_set_new(opts, "seed", json_integer(s->seed));
	if (s->priority)
		json_object_set_new(opts, "priority", json_integer(s->priority));
	json_t *params = json_object();
	json_object_set_new(params, "topic", json_text_of(s->topic));
	json_object_set_new(params, "options", opts);
	if (s->cwd)
		json_object_set_new(params, "cwd", json_text_of(s->cwd));
	return params;
}

/* --- output names -------------------------------------------------------------- */

char *vspec_slug(const char *topic)
{
	struct buf b;
	buf_init(&b);
	bool dash = false;
	for (const unsigned char *p = (const unsigned char *)(topic ? topic : ""); *p; p++) {
		unsigned char c = *p;
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (dash && b.len > 0)
				buf_puts(&b, "-");
			dash = false;
			buf_append(&b, &c, 1);
		} else if (c == '\'' && b.len > 0 && !dash) {
			continue; /* "it's" -> "its", not "it-s" */
		} else {
			dash = true;
		}
	}
	if (b.len > SLUG_MAX) {
		size_t cut = SLUG_MAX;
		while (cut > 0 && b.data[cut] != '-')
			cut--;
		if (cut < SLUG_MAX / 2)
			cut = SLUG_MAX; /* one long word: cut it */
		b.data[cut] = '\0';
		b.len = cut;
		while (b.len > 0 && b.data[b.len - 1] == '-')
			b.data[--b.len] = '\0';
	}
	if (b.len == 0) {
		buf_free(&b);
		return xstrdup("video");
	}
	return b.data;
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

char *vspec_free_output(const char *dir, const char *base, bool srt)
{
	for (int i = 0;; i++) {
		char *stem =
		    i ? xasprintf("%s/%s-%d", dir, base, i) : xasprintf("%s/%s", dir, base);
		char *mp4 = xasprintf("%s.mp4", stem);
		char *part = xasprintf("%s.part.mp4", stem);
		char *sub = xasprintf("%s.srt", stem);
		bool taken = exists(mp4) || exists(part) || (srt && exists(sub));
		free(stem);
		free(part);
		free(sub);
		if (!taken || i >= 100000)
			return mp4;
		free(mp4);
	}
}

char *vspec_default_output(const struct vspec *s, const struct aura_config *cfg)
{
	char *dir = NULL;
	if (cfg && cfg->output_dir && *cfg->output_dir) {
		char *d = paths_expand_home(cfg->output_dir);
		if (d[0] != '/' && s->cwd) {
			dir = xasprintf("%s/%s", s->cwd, d);
			free(d);
		} else {
			dir = d;
		}
	} else if (s->cwd) {
		dir = xstrdup(s->cwd);
	}
	if (!dir)
		return NULL;
	char *slug = vspec_slug(s->topic);
	char *out = vspec_free_output(dir, slug, (s->captions & VSPEC_CAPTIONS_SRT) != 0);
	free(slug);
	free(dir);
	return out;
}

static bool ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

char *vspec_output_path(const char *path, const char *cwd, const char *topic, bool srt)
{
	char *p = paths_expand_home(path);
	char *abs = p[0] == '/' || !cwd ? xstrdup(p) : xasprintf("%s/%s", cwd, p);
	free(p);
	struct stat st;
	size_t len = strlen(abs);
	if ((len > 0 && abs[len - 1] == '/') || (stat(abs, &st) == 0 && S_ISDIR(st.st_mode))) {
		while (len > 1 && abs[len - 1] == '/')
			abs[--len] = '\0';
		char *slug = vspec_slug(topic);
		char *out = vspec_free_output(abs, slug, srt);
		free(slug);
		free(abs);
		return out;
	}
	if (!ends_with_ci(abs, ".mp4")) {
		char *with = xasprintf("%s.mp4", abs);
		free(abs);
		return with;
	}
	return abs;
}

/* --- --images ------------------------------------------------------------------- */

static bool image_name_ok(const char *name)
{
	if (name[0] == '.')
		return false;
	return ends_with_ci(name, ".jpg") || ends_with_ci(name, ".jpeg") ||
	       ends_with_ci(name, ".png") || ends_with_ci(name, ".mp4");
}

bool vspec_is_video_file(const char *path)
{
	return ends_with_ci(path, ".mp4");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void vspec_files_free(char **files)
{
	if (!files)
		return;
	for (char **f = files; *f; f++)
		free(*f);
	free(files);
}

int vspec_list_images(const char *dir, char ***files, int *n, struct aura_error *err)
{
	*files = NULL;
	*n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return aura_error_set(err, AURA_E_INPUT_UNREADABLE, "--images %s: %s", dir,
				      strerror(errno));
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (!image_name_ok(de->d_name))
			continue;
		char *full = xasprintf("%s/%s", dir, de->d_name);
		struct stat st;
		if (stat(full, &st) != 0 || !S_ISREG(st.st_mode) || access(full, R_OK) != 0) {
			free(full);
			continue;
		}
		XGROW(v, cnt + 2, cap, 16);
		v[cnt++] = full;
	}
	closedir(d);
	if (cnt == 0) {
		free(v);
		return aura_error_set(err, AURA_E_INPUT_UNREADABLE,
				      "--images %s holds no readable .jpg, .png or .mp4 file", dir);
	}
	qsort(v, cnt, sizeof(*v), cmp_str);
	v[cnt] = NULL;
	*files = v;
	*n = (int)cnt;
	return 0;
}
