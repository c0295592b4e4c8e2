/*
 * vspec-voice.c -- a video job's voice (declared in vspec.h): the
 * PROVIDER[:VOICE] text <-> struct voice_choice, whether it can run here
 * (the program and the model found), and how fast it speaks.
 *
 * Must never: run the voice's program, or look for it anywhere but the
 * path configured or PATH.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/paths.h"
#include "video/script.h"
#include "base/util.h"
#include "video/vspec.h"

static const char *const flite_voices[] = { "slt", "kal", "awb", "rms", "kal16" };

/* Measured with FFmpeg 5.1's flite on a generated one-minute script, pauses
 * at punctuation included (doc/pipeline.md, "Voice"). */
static const int flite_wpm[] = { 168, 161, 172, 152, 161 };

int vspec_lang_check(const char *lang, struct aura_error *err)
{
	const char *p = lang ? lang : "";
	size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
	bool ok = n >= 2 && n <= 3;
	if (ok && (p[n] == '-' || p[n] == '_')) {
		const char *r = p + n + 1;
		size_t m = strlen(r);
		bool alpha = m == 2, digit = m == 3;
		for (size_t i = 0; i < m; i++) {
			alpha =
			    alpha && ((r[i] >= 'a' && r[i] <= 'z') || (r[i] >= 'A' && r[i] <= 'Z'));
			digit = digit && r[i] >= '0' && r[i] <= '9';
		}
		ok = alpha || digit;
	} else if (ok) {
		ok = p[n] == '\0';
	}
	if (!ok)
		return aura_error_set(err, AURA_E_LANG_INVALID,
				      "'%.40s' is not a language code (like en, de, pt-BR)", p);
	return 0;
}

bool vspec_lang_english(const char *lang)
{
	return !lang || !*lang ||
	       ((lang[0] == 'e' || lang[0] == 'E') && (lang[1] == 'n' || lang[1] == 'N') &&
		(lang[2] == '\0' || lang[2] == '-' || lang[2] == '_'));
}

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

int voice_for_lang(const char *lang, const struct aura_config *cfg, struct voice_choice *v,
		   char **program, struct aura_error *err)
{
	voice_choice_free(v);
	free(*program);
	*program = NULL;
	v->provider = VOICE_ESPEAK;
	v->name = xstrdup(lang);
	for (char *p = v->name; *p; p++)
		*p = *p == '_' ? '-' : (char)((*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p);
	if (voice_check(v, cfg, program, NULL) == 0)
		return 0;
	return aura_error_set(err, AURA_E_VOICE_UNAVAILABLE,
			      "the language '%s' needs espeak-ng (flite speaks only English): "
			      "apt-get install espeak-ng, or set espeak in [voice]",
			      lang);
}
