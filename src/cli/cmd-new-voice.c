/*
 * cmd-new-voice.c -- `aura new`'s voice options (new-voice.h): --voice,
 * --lang (default [video] lang, en), --voice-speed and --voice-volume,
 * checked before anything is sent.
 *
 * Must never: run a voice engine (only look for its program).
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "cli/new-voice.h"

static int number(const char *opt, const char *text, double lo, double hi, double *out,
		  struct aura_error *err)
{
	char *end = NULL;
	double d = text && *text ? strtod(text, &end) : NAN;
	if (!end || *end || !(d >= lo && d <= hi))
		return aura_error_set(err, AURA_E_USAGE, "--%s %s: a number from %g to %g", opt,
				      text ? text : "", lo, hi);
	*out = d;
	return 0;
}

int new_voice_options(struct vspec *s, const struct aura_config *cfg, const char *voice,
		      const char *lang, const char *speed, const char *volume,
		      struct aura_error *err)
{
	if (lang) {
		if (vspec_lang_check(lang, err) < 0)
			return -AURA_E_LANG_INVALID;
		free(s->lang);
		s->lang = xstrdup(lang);
	} else if (vspec_lang_check(s->lang, err) < 0) {
		return aura_error_set(err, AURA_E_LANG_INVALID,
				      "[video] lang '%.40s' is not a language code (like en, de, "
				      "pt-BR)",
				      s->lang);
	}
	if (speed && number("voice-speed", speed, VSPEC_SPEED_MIN, VSPEC_SPEED_MAX, &s->voice_speed,
			    err) < 0)
		return -AURA_E_USAGE;
	if (volume && number("voice-volume", volume, VSPEC_VOLUME_MIN, VSPEC_VOLUME_MAX,
			     &s->voice_volume, err) < 0)
		return -AURA_E_USAGE;
	if (voice) {
		voice_choice_free(&s->voice);
		if (voice_parse(voice, cfg, &s->voice, err) < 0)
			return -AURA_E_VOICE_UNKNOWN;
		s->voice_forced = true; /* the server does not walk the voice chain */
	}
	char *prog = NULL;
	int rc = voice_check(&s->voice, cfg, &prog, err);
	if (rc == 0 && s->voice.provider == VOICE_FLITE && !vspec_lang_english(s->lang)) {
		/* the server speaks it with espeak-ng: is it here? */
		struct voice_choice tmp = { VOICE_FLITE, NULL };
		rc = voice_for_lang(s->lang, cfg, &tmp, &prog, err);
		voice_choice_free(&tmp);
	}
	free(prog);
	return rc;
}
