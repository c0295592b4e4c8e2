/*
 * vspec-style.c -- a video job's look: the "style" option (a style of
 * aura.ini or a built-in, resolved with conf-style.c) and every style key
 * as its own option over it, read from and written to the `new` params.
 * The spec keeps every key, so a stored job looks the same whatever
 * aura.ini says later.
 *
 * Must never: refuse a stored spec because its style left aura.ini (its
 * keys are all there), or accept a key's value of the wrong JSON type.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "base/util.h"
#include "video/vspec.h"

bool vspec_style_option(const char *key)
{
	if (strcmp(key, "style") == 0)
		return true;
	for (size_t i = 0; i < config_style_key_count(); i++)
		if (strcmp(key, config_style_key_name(i)) == 0)
			return true;
	return false;
}

int vspec_style_set(struct vspec *s, const char *name, struct aura_error *err)
{
	struct style_config look;
	if (config_style(s->cfg, name, &look) < 0) {
		char *known = config_style_names(s->cfg);
		aura_error_set(err, AURA_E_STYLE_UNKNOWN, "no style '%.64s' (styles: %s)", name,
			       known);
		free(known);
		return -AURA_E_STYLE_UNKNOWN;
	}
	s->look = look;
	s->voice_speed = look.voice_speed;
	s->voice_volume = look.voice_volume;
	return 0;
}

/* A key's JSON value as the text config_style_set reads; NULL when its
 * type is not the key's. */
static char *value_text(json_t *v, int kind)
{
	switch (kind) {
	case STYLE_VAL_INT:
		return json_is_integer(v) ? xasprintf("%lld", (long long)json_integer_value(v))
					  : NULL;
	case STYLE_VAL_NUM:
		return json_is_number(v) ? xasprintf("%.17g", json_number_value(v)) : NULL;
	case STYLE_VAL_BOOL:
		return json_is_boolean(v) ? xstrdup(json_is_true(v) ? "on" : "off") : NULL;
	default:
		return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
	}
}

static const char *kind_name(int kind)
{
	switch (kind) {
	case STYLE_VAL_INT:
		return "a whole number";
	case STYLE_VAL_NUM:
		return "a number";
	case STYLE_VAL_BOOL:
		return "true or false";
	default:
		return "a string";
	}
}

int vspec_style_from_json(struct vspec *s, json_t *opts, struct aura_error *err)
{
	size_t nkeys = config_style_key_count(), given = 0;
	for (size_t i = 0; i < nkeys; i++) {
		json_t *v = json_object_get(opts, config_style_key_name(i));
		given += v && !json_is_null(v);
	}
	json_t *style = json_object_get(opts, "style");
	if (style && !json_is_null(style)) {
		const char *name = json_string_value(style);
		if (!name)
			return aura_error_set(err, AURA_E_USAGE, "\"style\" must be a string");
		int rc = vspec_style_set(s, name, err);
		if (rc < 0 && (!s->stored || given < nkeys))
			return rc;
		if (rc < 0) /* a stored spec: its keys are the look */
			snprintf(s->look.name, sizeof(s->look.name), "%s", name);
		aura_error_clear(err);
	}
	for (size_t i = 0; i < nkeys; i++) {
		const char *key = config_style_key_name(i);
		json_t *v = json_object_get(opts, key);
		if (!v || json_is_null(v))
			continue;
		int kind = config_style_key_kind(i);
		char *text = value_text(v, kind);
		if (!text)
			return aura_error_set(err, AURA_E_USAGE, "\"%s\" must be %s", key,
					      kind_name(kind));
		char why[256];
		int rc = config_style_set(&s->look, key, text, why, sizeof(why));
		free(text);
		if (rc < 0)
			return aura_error_set(err, AURA_E_USAGE, "\"%s\" %s", key, why);
	}
	s->voice_speed = s->look.voice_speed;
	s->voice_volume = s->look.voice_volume;
	return 0;
}

void vspec_style_to_json(const struct vspec *s, json_t *opts)
{
	struct style_config look = s->look;
	look.voice_speed = s->voice_speed; /* --voice-speed and --voice-volume set these */
	look.voice_volume = s->voice_volume;
	json_object_set_new(opts, "style", json_string(look.name));
	for (size_t i = 0; i < config_style_key_count(); i++) {
		char *text = config_style_value_text(&look, i);
		json_t *v;
		switch (config_style_key_kind(i)) {
		case STYLE_VAL_INT:
			v = json_integer(strtoll(text, NULL, 10));
			break;
		case STYLE_VAL_NUM:
			v = json_real(strtod(text, NULL));
			break;
		case STYLE_VAL_BOOL:
			v = json_boolean(strcmp(text, "on") == 0);
			break;
		default:
			v = json_string(text);
			break;
		}
		json_object_set_new(opts, config_style_key_name(i), v);
		free(text);
	}
}
