/*
 * new-style.h -- the style options of `aura new` (cmd-new-style.c):
 * --style NAME and one flag per style key (--caption-size N,
 * --transition KIND...), checked into a spec's look before it is sent.
 * --voice-speed and --voice-volume are the voice's (new-voice.h).
 *
 * Must never: read anything but the client's configuration.
 */
#ifndef AURA_NEW_STYLE_H
#define AURA_NEW_STYLE_H

#include <getopt.h>

#include "base/errors.h"
#include "cli/args.h"
#include "video/vspec.h"

/* getopt values of the style options: NEW_STYLE_OPT + 0 is --style, + 1 + i
 * the style key i (config_style_key_name). Above cmd-new.c's own. */
#define NEW_STYLE_OPT 600

/* clang-format off */
#define NEW_STYLE_LONGS \
	{ "style", required_argument, NULL, NEW_STYLE_OPT }, \
	{ "caption-font", required_argument, NULL, NEW_STYLE_OPT + 1 }, \
	{ "caption-size", required_argument, NULL, NEW_STYLE_OPT + 2 }, \
	{ "caption-color", required_argument, NULL, NEW_STYLE_OPT + 3 }, \
	{ "caption-outline-color", required_argument, NULL, NEW_STYLE_OPT + 4 }, \
	{ "caption-outline", required_argument, NULL, NEW_STYLE_OPT + 5 }, \
	{ "caption-shadow", required_argument, NULL, NEW_STYLE_OPT + 6 }, \
	{ "caption-box", required_argument, NULL, NEW_STYLE_OPT + 7 }, \
	{ "caption-position", required_argument, NULL, NEW_STYLE_OPT + 8 }, \
	{ "caption-max-chars", required_argument, NULL, NEW_STYLE_OPT + 9 }, \
	{ "caption-highlight", required_argument, NULL, NEW_STYLE_OPT + 10 }, \
	{ "headings", required_argument, NULL, NEW_STYLE_OPT + 11 }, \
	{ "transition", required_argument, NULL, NEW_STYLE_OPT + 12 }, \
	{ "transition-ms", required_argument, NULL, NEW_STYLE_OPT + 13 }, \
	{ "ken-burns", required_argument, NULL, NEW_STYLE_OPT + 14 }, \
	{ "ken-burns-strength", required_argument, NULL, NEW_STYLE_OPT + 15 }, \
	{ "music-volume", required_argument, NULL, NEW_STYLE_OPT + 16 }, \
	{ "ducking", required_argument, NULL, NEW_STYLE_OPT + 17 }
/* the keys voice_speed and voice_volume: --voice-speed, --voice-volume */
#define NEW_STYLE_NKEYS 17

#define NEW_STYLE_HELP \
	"      --style NAME      the look: clean (default, or [video] style), shorts,\n" \
	"                        lecture or a [style NAME] of aura.ini (aura styles);\n" \
	"                        the flags below change one key of it each\n" \
	"      --caption-font F  caption font family (default: [video] font)\n" \
	"      --caption-size N  caption size in px at 1080 lines (0: automatic)\n" \
	"      --caption-color C caption colour, #RRGGBB\n" \
	"      --caption-outline-color C  outline colour, #RRGGBB\n" \
	"      --caption-outline N  outline in px at 1080 lines (-1: automatic)\n" \
	"      --caption-shadow N   shadow in px at 1080 lines (-1: automatic)\n" \
	"      --caption-box on|off a translucent box behind the captions\n" \
	"      --caption-position P bottom, center or top\n" \
	"      --caption-max-chars N  longest caption line in columns (0: automatic)\n" \
	"      --caption-highlight C  colour of the spoken word (\"\": none)\n" \
	"      --headings H      on (headings on cards), off (cards without text) or\n" \
	"                        slides (every scene is its heading card)\n" \
	"      --transition T    fade, wipe, slide, dissolve or none (a cut)\n" \
	"      --transition-ms N length of a transition, 0 to 2000 ms\n" \
	"      --ken-burns on|off   a slow zoom over still pictures\n" \
	"      --ken-burns-strength N  its zoom in percent, 0 to 30\n" \
	"      --music-volume DB level of the --music bed, -40 to 0 dB\n" \
	"      --ducking DB      how far the bed drops under the voice, 0 to 30 dB\n"
/* clang-format on */

/* --style and the key flags given in a, over s's look (the [video]
 * style): 0, -AURA_E_STYLE_UNKNOWN or -AURA_E_USAGE (naming the flag). */
int new_style_options(struct vspec *s, const struct args *a, struct aura_error *err);

#endif
