/*
 * new-voice.h -- the voice options of `aura new` (cmd-new-voice.c):
 * --voice, --lang, --voice-speed and --voice-volume checked into a spec.
 *
 * Must never: run a voice engine.
 */
#ifndef AURA_NEW_VOICE_H
#define AURA_NEW_VOICE_H

#include "base/conf.h"
#include "base/errors.h"
#include "video/vspec.h"

/*
 * Apply the options given (NULL: not given) over s's defaults and check
 * that the voice can run here: a non-English language spoken offline by
 * flite needs espeak-ng. -AURA_E_VOICE_UNKNOWN, _LANG_INVALID, _USAGE,
 * _VOICE_UNAVAILABLE (also for a bad [video] lang).
 */
int new_voice_options(struct vspec *s, const struct aura_config *cfg, const char *voice,
		      const char *lang, const char *speed, const char *volume,
		      struct aura_error *err);

#endif
