/*
 * locate.h -- where ffmpeg, ffprobe and the font are (ff/locate.c).
 */
#ifndef AURA_LOCATE_H
#define AURA_LOCATE_H

#include "base/conf.h"

/*
 * Locators (the caller frees the result; NULL if not found). Order:
 *   ffmpeg:  cfg->ffmpeg, then $AURA_FFMPEG, then PATH.
 *   ffprobe: cfg->ffprobe, then $AURA_FFPROBE, then the directory of
 *            ffmpeg_path (may be NULL), then PATH.
 *   font:    cfg->font, then DejaVuSans(.ttf, -Bold.ttf), then the first
 *            *.ttf / *.otf of a bounded, sorted walk of /usr/share/fonts.
 * A configured or environment value that is set but unusable is "not
 * found": it never falls through to the next place, so a typo in the
 * config cannot silently pick another binary. A value without a '/' is
 * looked up in PATH. cfg may be NULL; why, if not NULL, gets what was
 * wrong (allocated) when NULL is returned.
 */
char *locate_ffmpeg(const struct aura_config *cfg, char **why);
char *locate_ffprobe(const struct aura_config *cfg, const char *ffmpeg_path, char **why);
char *locate_font(const struct aura_config *cfg, char **why);

#endif
