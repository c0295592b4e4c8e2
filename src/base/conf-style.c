/*
 * conf-style.c -- styles: the look of a video (captions, headings,
 * transitions, Ken Burns, the music bed, the voice) as one set of keys.
 * The built-in styles (clean, shorts, lecture), the [style NAME] sections
 * of aura.ini over a base style, one key's value checked and shown, and a
 * style resolved by name.
 *
 * Must never: accept a value outside a key's range or words, or resolve a
 * style whose base chain loops or names no style.
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/conf.h"
#include "base/conf-int.h"
#include "base/util.h"

enum style_type { SK_TEXT, SK_COLOR, SK_INT, SK_NUM, SK_WORD, SK_BOOL };

struct style_key {
	const char *name;
	enum style_type type;
	size_t off, size;
	double min, max; /* SK_INT, SK_NUM; SK_COLOR: min 1 = may be empty */
	const char *const *words;
	const char *help;
};

static const char *const w_position[] = { "bottom", "center", "top", NULL };
static const char *const w_headings[] = { "on", "off", "slides", NULL };
static const char *const w_transition[] = { "fade", "wipe", "slide", "dissolve", "none", NULL };
static const char *const w_xfade[] = { "fade", "wipeleft", "slideleft", "dissolve", "" };

#define S(field) offsetof(struct style_config, field), sizeof(((struct style_config *)0)->field)

/* clang-format off */
static const struct style_key style_keys[] = {
	{"caption_font", SK_TEXT, S(caption_font), 0, 0, NULL,
	 "caption font family (empty: the [video] font, else DejaVu Sans)"},
	{"caption_size", SK_INT, S(caption_size), 0, 300, NULL,
	 "caption text size in pixels at 1080 lines (0: automatic)"},
	{"caption_color", SK_COLOR, S(caption_color), 0, 0, NULL, "caption text colour, #RRGGBB"},
	{"caption_outline_color", SK_COLOR, S(caption_outline_color), 0, 0, NULL,
	 "caption outline colour, #RRGGBB"},
	{"caption_outline", SK_INT, S(caption_outline), -1, 40, NULL,
	 "caption outline in pixels at 1080 lines (-1: automatic)"},
	{"caption_shadow", SK_INT, S(caption_shadow), -1, 40, NULL,
	 "caption shadow in pixels at 1080 lines (-1: automatic)"},
	{"caption_box", SK_BOOL, S(caption_box), 0, 0, NULL,
	 "on: a translucent box behind the caption text"},
	{"caption_position", SK_WORD, S(caption_position), 0, 0, w_position,
	 "where captions sit: bottom, center or top"},
	{"caption_max_chars", SK_INT, S(caption_max_chars), 0, 200, NULL,
	 "longest caption line in columns (0: automatic)"},
	{"caption_highlight", SK_COLOR, S(caption_highlight), 1, 0, NULL,
	 "colour of the word being spoken, #RRGGBB (empty: no highlight)"},
	{"headings", SK_WORD, S(headings), 0, 0, w_headings,
	 "on: headings on generated cards; off: cards without text; slides: every scene is its heading card"},
	{"transition", SK_WORD, S(transition), 0, 0, w_transition,
	 "between scenes: fade, wipe, slide, dissolve or none (a cut)"},
	{"transition_ms", SK_INT, S(transition_ms), 0, 2000, NULL,
	 "length of a transition in milliseconds (0 to 2000)"},
	{"ken_burns", SK_BOOL, S(ken_burns), 0, 0, NULL, "on: a slow zoom over still pictures"},
	{"ken_burns_strength", SK_INT, S(ken_burns_strength), 0, 30, NULL,
	 "Ken Burns zoom in percent (0 to 30)"},
	{"music_volume", SK_NUM, S(music_volume), -40, 0, NULL,
	 "level of the --music bed in dB (-40 to 0)"},
	{"ducking", SK_NUM, S(ducking), 0, 30, NULL,
	 "dB the music bed drops while the voice speaks (0 to 30, 0: no ducking)"},
	{"voice_speed", SK_NUM, S(voice_speed), 0.5, 2, NULL,
	 "narration tempo (0.5 to 2, 1: as spoken)"},
	{"voice_volume", SK_NUM, S(voice_volume), -20, 10, NULL,
	 "narration gain in dB (-20 to 10)"},
};
/* clang-format on */
#define NSKEYS ARRAY_LEN(style_keys)
_Static_assert(NSKEYS <= sizeof(unsigned) * 8, "style_config.set has a bit per key");

/* clean is the look aura always had: every automatic value is today's. */
static const struct style_config builtins[] = {
	{ .name = "clean",
	  .base = "clean",
	  .caption_color = "#FFFFFF",
	  .caption_outline_color = "#000000",
	  .caption_outline = -1,
	  .caption_shadow = -1,
	  .caption_position = STYLE_POS_BOTTOM,
	  .headings = STYLE_HEADINGS_ON,
	  .transition = STYLE_TRANS_FADE,
	  .transition_ms = 500,
	  .ken_burns = true,
	  .ken_burns_strength = 10,
	  .music_volume = -10.46, /* the gain 0.3 */
	  .ducking = 12,	  /* sidechaincompress ratio 8 */
	  .voice_speed = 1.0 },
	{ .name = "shorts",
	  .base = "shorts",
	  .caption_size = 90,
	  .caption_color = "#FFFFFF",
	  .caption_outline_color = "#000000",
	  .caption_outline = 6,
	  .caption_shadow = -1,
	  .caption_position = STYLE_POS_CENTER,
	  .caption_max_chars = 18,
	  .caption_highlight = "#FFD700",
	  .headings = STYLE_HEADINGS_ON,
	  .transition = STYLE_TRANS_SLIDE,
	  .transition_ms = 300,
	  .ken_burns = true,
	  .ken_burns_strength = 15,
	  .music_volume = -10.46,
	  .ducking = 12,
	  .voice_speed = 1.0 },
	{ .name = "lecture",
	  .base = "lecture",
	  .caption_size = 44,
	  .caption_color = "#FFFFFF",
	  .caption_outline_color = "#000000",
	  .caption_outline = -1,
	  .caption_shadow = 0,
	  .caption_box = true,
	  .caption_position = STYLE_POS_BOTTOM,
	  .headings = STYLE_HEADINGS_SLIDES,
	  .transition = STYLE_TRANS_FADE,
	  .transition_ms = 500,
	  .ken_burns = false,
	  .ken_burns_strength = 10,
	  .music_volume = -16,
	  .ducking = 12,
	  .voice_speed = 1.0 },
};
#define NBUILTIN ARRAY_LEN(builtins)

static const struct style_key *skey_find(const char *name)
{
	for (size_t i = 0; i < NSKEYS; i++)
		if (strcasecmp(style_keys[i].name, name) == 0)
			return &style_keys[i];
	return NULL;
}

static void *skey_field(struct style_config *s, const struct style_key *k)
{
	return (char *)s + k->off;
}

bool config_color_rgb(const char *v, uint32_t *rgb)
{
	if (!v || v[0] != '#' || strlen(v) != 7)
		return false;
	for (int i = 1; i < 7; i++)
		if (!isxdigit((unsigned char)v[i]))
			return false;
	if (rgb)
		*rgb = (uint32_t)strtoul(v + 1, NULL, 16);
	return true;
}

static bool style_name_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > STYLE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

int config_style_set(struct style_config *s, const char *key, const char *value, char *why,
		     size_t whylen)
{
	const struct style_key *k = skey_find(key);
	if (!k) {
		snprintf(why, whylen, "not a style key (aura styles lists them)");
		return -1;
	}
	void *f = skey_field(s, k);
	char *end = NULL;
	switch (k->type) {
	case SK_TEXT:
		if (strlen(value) >= k->size || strpbrk(value, ",{}\\\n")) {
			snprintf(why, whylen, "must be a font family name, at most %zu bytes",
				 k->size - 1);
			return -2;
		}
		snprintf(f, k->size, "%s", value);
		break;
	case SK_COLOR:
		if (!(k->min && !*value) && !config_color_rgb(value, NULL)) {
			snprintf(why, whylen, "must be a colour #RRGGBB%s",
				 k->min ? " (or empty: none)" : "");
			return -2;
		}
		snprintf(f, k->size, "%s", value);
		for (char *p = f; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		break;
	case SK_INT: {
		long v = *value ? strtol(value, &end, 10) : 0;
		if (!*value || *end || v < k->min || v > k->max) {
			snprintf(why, whylen, "must be a whole number from %g to %g", k->min,
				 k->max);
			return -2;
		}
		*(int *)f = (int)v;
		break;
	}
	case SK_NUM: {
		double v = *value ? strtod(value, &end) : NAN;
		if (!*value || *end || !(v >= k->min && v <= k->max)) {
			snprintf(why, whylen, "must be a number from %g to %g", k->min, k->max);
			return -2;
		}
		*(double *)f = v;
		break;
	}
	case SK_WORD: {
		for (int i = 0; k->words[i]; i++) {
			if (strcasecmp(k->words[i], value) == 0) {
				*(int *)f = i;
				return 0;
			}
		}
		struct buf b;
		buf_init(&b);
		for (int i = 0; k->words[i]; i++)
			buf_printf(&b, "%s%s", i ? ", " : "", k->words[i]);
		snprintf(why, whylen, "must be one of: %s", b.data);
		buf_free(&b);
		return -2;
	}
	case SK_BOOL:
		if (!config_parse_bool(value, (bool *)f)) {
			snprintf(why, whylen, "must be on or off");
			return -2;
		}
		break;
	}
	return 0;
}

size_t config_style_key_count(void)
{
	return NSKEYS;
}

const char *config_style_key_name(size_t i)
{
	return i < NSKEYS ? style_keys[i].name : NULL;
}

const char *config_style_key_help(size_t i)
{
	return i < NSKEYS ? style_keys[i].help : NULL;
}

int config_style_key_kind(size_t i)
{
	if (i >= NSKEYS)
		return STYLE_VAL_TEXT;
	switch (style_keys[i].type) {
	case SK_INT:
		return STYLE_VAL_INT;
	case SK_NUM:
		return STYLE_VAL_NUM;
	case SK_BOOL:
		return STYLE_VAL_BOOL;
	default:
		return STYLE_VAL_TEXT;
	}
}

char *config_style_value_text(const struct style_config *s, size_t i)
{
	if (i >= NSKEYS)
		return NULL;
	const struct style_key *k = &style_keys[i];
	const void *f = (const char *)s + k->off;
	switch (k->type) {
	case SK_INT:
		return xasprintf("%d", *(const int *)f);
	case SK_NUM:
		return xasprintf("%.10g", *(const double *)f);
	case SK_WORD:
		return xstrdup(k->words[*(const int *)f]);
	case SK_BOOL:
		return xstrdup(*(const bool *)f ? "on" : "off");
	default:
		return xstrdup(f);
	}
}

const char *config_style_xfade(int transition)
{
	return transition >= 0 && transition <= STYLE_TRANS_NONE ? w_xfade[transition] : "fade";
}

/* --- [style NAME] sections ----------------------------------------------------------- */

static bool conf_style_section(const char *section, const char **name)
{
	if (strncasecmp(section, "style", 5) != 0 || !isspace((unsigned char)section[5]))
		return false;
	const char *p = section + 5;
	while (isspace((unsigned char)*p))
		p++;
	*name = p;
	return true;
}

static struct style_config *style_raw(struct aura_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nstyles; i++)
		if (strcmp(cfg->styles[i].name, name) == 0)
			return &cfg->styles[i];
	cfg->styles = xrealloc(cfg->styles, (cfg->nstyles + 1) * sizeof(*cfg->styles));
	struct style_config *s = &cfg->styles[cfg->nstyles++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	return s;
}

int conf_style_header(struct aura_config *cfg, const char *section, char *why, size_t whylen)
{
	const char *name;
	if (!conf_style_section(section, &name))
		return 0;
	if (!style_name_valid(name)) {
		snprintf(why, whylen, "[%.64s]: a style's name is 1 to %d letters, digits, - and _",
			 section, STYLE_NAME_MAX);
		return -AURA_E_CONFIG_BAD_VALUE;
	}
	style_raw(cfg, name);
	return 1;
}

int conf_style_line(struct aura_config *cfg, const char *section, const char *key,
		    const char *value, char *why, size_t whylen)
{
	const char *name;
	if (!conf_style_section(section, &name) || !style_name_valid(name))
		return 0;
	struct style_config *s = style_raw(cfg, name);
	char reason[256];
	if (strcasecmp(key, "base") == 0) {
		if (!style_name_valid(value)) {
			snprintf(why, whylen, "[%s] base = %.64s: must be a style's name", section,
				 value);
			return -AURA_E_CONFIG_BAD_VALUE;
		}
		snprintf(s->base, sizeof(s->base), "%s", value);
		return 1;
	}
	int rc = config_style_set(s, key, value, reason, sizeof(reason));
	if (rc == -1) {
		snprintf(why, whylen,
			 "unknown key [%s] %.64s (a style takes base, caption_*, headings, "
			 "transition, transition_ms, ken_burns, ken_burns_strength, music_volume, "
			 "ducking, voice_speed, voice_volume)",
			 section, key);
		return -AURA_E_CONFIG_UNKNOWN_KEY;
	}
	if (rc < 0) {
		snprintf(why, whylen, "[%s] %s = %.160s: %s", section, key, value, reason);
		return -AURA_E_CONFIG_BAD_VALUE;
	}
	s->set |= 1u << (skey_find(key) - style_keys);
	return 1;
}

static const struct style_config *builtin(const char *name)
{
	for (size_t i = 0; i < NBUILTIN; i++)
		if (strcmp(builtins[i].name, name) == 0)
			return &builtins[i];
	return NULL;
}

static const struct style_config *user_style(const struct aura_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nstyles; i++)
		if (strcmp(cfg->styles[i].name, name) == 0)
			return &cfg->styles[i];
	return NULL;
}

/* Resolve name into out: its base's values (a user section's base, else
 * one named like a built-in starts from that built-in, else clean), then
 * the keys the section set. -1 with why when a base is missing or loops. */
static int resolve(const struct aura_config *cfg, const char *name, int depth,
		   struct style_config *out, char *why, size_t whylen)
{
	const struct style_config *u = user_style(cfg, name);
	const struct style_config *b = builtin(name);
	if (!u) {
		if (!b) {
			snprintf(why, whylen, "no style %.64s", name);
			return -1;
		}
		*out = *b;
		return 0;
	}
	if (depth > 16) {
		snprintf(why, whylen, "[style %s] base: the chain of bases loops", name);
		return -1;
	}
	const char *base = *u->base ? u->base : b ? name : "clean";
	if (strcmp(base, name) == 0) {
		if (!b) {
			snprintf(why, whylen,
				 "[style %s] base = %s: a style cannot be its own base", name,
				 base);
			return -1;
		}
		*out = *b;
	} else if (resolve(cfg, base, depth + 1, out, why, whylen) < 0) {
		if (!user_style(cfg, base) && !builtin(base))
			snprintf(why, whylen,
				 "[style %s] base = %s: no such style (clean, shorts, lecture or a "
				 "[style NAME])",
				 name, base);
		return -1;
	}
	for (size_t i = 0; i < NSKEYS; i++)
		if (u->set & (1u << i))
			memcpy((char *)out + style_keys[i].off, (const char *)u + style_keys[i].off,
			       style_keys[i].size);
	snprintf(out->name, sizeof(out->name), "%s", name);
	snprintf(out->base, sizeof(out->base), "%s", base);
	out->set = u->set;
	return 0;
}

int conf_styles_check(const struct aura_config *cfg, char *why, size_t whylen)
{
	struct style_config tmp;
	for (size_t i = 0; i < cfg->nstyles; i++)
		if (resolve(cfg, cfg->styles[i].name, 0, &tmp, why, whylen) < 0)
			return -1;
	if (cfg->style && resolve(cfg, cfg->style, 0, &tmp, why, whylen) < 0) {
		snprintf(why, whylen,
			 "[video] style = %.64s: no such style (clean, shorts, lecture or a "
			 "[style NAME])",
			 cfg->style);
		return -1;
	}
	return 0;
}

void conf_styles_free(struct aura_config *cfg)
{
	free(cfg->styles);
	cfg->styles = NULL;
	cfg->nstyles = 0;
}

void conf_styles_copy(struct aura_config *dst, const struct aura_config *src)
{
	dst->styles = src->nstyles ? xcalloc(src->nstyles, sizeof(*dst->styles)) : NULL;
	dst->nstyles = src->nstyles;
	if (src->nstyles)
		memcpy(dst->styles, src->styles, src->nstyles * sizeof(*dst->styles));
}

/* --- look-up ------------------------------------------------------------------------- */

size_t config_style_count(const struct aura_config *cfg)
{
	size_t n = NBUILTIN;
	for (size_t i = 0; cfg && i < cfg->nstyles; i++)
		n += !builtin(cfg->styles[i].name);
	return n;
}

const char *config_style_name_at(const struct aura_config *cfg, size_t i)
{
	if (i < NBUILTIN)
		return builtins[i].name;
	i -= NBUILTIN;
	for (size_t k = 0; cfg && k < cfg->nstyles; k++) {
		if (builtin(cfg->styles[k].name))
			continue;
		if (i-- == 0)
			return cfg->styles[k].name;
	}
	return NULL;
}

int config_style(const struct aura_config *cfg, const char *name, struct style_config *out)
{
	static const struct aura_config none;
	if (!cfg)
		cfg = &none;
	if (!name)
		name = cfg->style ? cfg->style : "clean";
	char why[256];
	if (resolve(cfg, name, 0, out, why, sizeof(why)) < 0) {
		*out = builtins[0];
		return -1;
	}
	return 0;
}

char *config_style_names(const struct aura_config *cfg)
{
	struct buf b;
	buf_init(&b);
	for (size_t i = 0; i < config_style_count(cfg); i++)
		buf_printf(&b, "%s%s", i ? ", " : "", config_style_name_at(cfg, i));
	return b.data;
}
