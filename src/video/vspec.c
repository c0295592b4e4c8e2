/*
 * vspec.c -- a video job's options: defaults, the `new` params <-> struct,
 * validation with catalogue errors. See vspec.h; the voice is
 * vspec-voice.c's, the output names and the --images listing
 * vspec-files.c's.
 *
 * Must never: read a file the caller did not name, or accept a value it
 * would have to guess about (an unknown option, a relative path).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "base/utf8.h"
#include "video/script.h"
#include "base/util.h"
#include "video/vspec.h"

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
	s->lang = xstrdup(cfg && cfg->lang && *cfg->lang ? cfg->lang : "en");
	s->cfg = cfg;
	config_style(cfg, NULL, &s->look);
	s->voice_speed = s->look.voice_speed;
	s->voice_volume = s->look.voice_volume;
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
	free(s->lang);
	vspec_doc_free(s);
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
	struct aura_error ignored = { 0 };
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
	if ((rc = vspec_style_from_json(s, opts, err)) < 0)
		return rc;
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
		} else if (strcmp(key, "lang") == 0) {
			rc = want_string(v, key, &str, err);
			if (rc == 0 && (rc = vspec_lang_check(str, err)) == 0) {
				free(s->lang);
				s->lang = xstrdup(str);
			}
		} else if (vspec_style_option(key)) {
			continue; /* vspec_style_from_json's */
		} else if (strcmp(key, "seed") == 0) {
			rc = want_int(v, key, 0, UINT32_MAX, AURA_E_USAGE, &x, err);
			if (rc == 0)
				s->seed = (uint32_t)x;
		} else if (strcmp(key, "priority") == 0) {
			rc = want_int(v, key, -VSPEC_PRIORITY_MAX, VSPEC_PRIORITY_MAX, AURA_E_USAGE,
				      &x, err);
			if (rc == 0)
				s->priority = (int)x;
		} else if (vspec_doc_key(key)) {
			rc = vspec_doc_set(s, key, v, err);
		} else {
			return aura_error_set(err, AURA_E_USAGE, "unknown video option \"%s\"",
					      key);
		}
		if (rc < 0)
			return rc;
	}
	if (s->document && !s->script)
		return aura_error_set(err, AURA_E_USAGE,
				      "\"document\" needs its extractive \"script\" with it");
	return 0;
}

int vspec_from_text(struct vspec *s, const char *text, struct aura_error *err)
{
	json_error_t jerr;
	json_t *root = text ? json_loads(text, 0, &jerr) : NULL;
	if (!root)
		return aura_error_set(err, AURA_E_PROTO_BAD_REQUEST,
				      "the video's spec is not JSON");
	s->stored = true;
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
	if (s->lang)
		json_object_set_new(opts, "lang", json_string(s->lang));
	vspec_style_to_json(s, opts);
	if (s->priority)
		json_object_set_new(opts, "priority", json_integer(s->priority));
	vspec_doc_to_json(s, opts);
	json_t *params = json_object();
	json_object_set_new(params, "topic", json_text_of(s->topic));
	json_object_set_new(params, "options", opts);
	if (s->cwd)
		json_object_set_new(params, "cwd", json_text_of(s->cwd));
	return params;
}
