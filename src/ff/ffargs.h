/*
 * ffargs.h -- FFmpeg command lines as data: a growable argv, escaping of
 * text for filtergraphs (drawtext, subtitles), the output presets and the
 * encoding options every render shares.
 *
 * Must never: build a command as one string for a shell, or put a string a
 * user gave into a filtergraph without one of the escape functions below.
 * See doc/pipeline.md, "Escaping strategy".
 */
#ifndef AURA_FFARGS_H
#define AURA_FFARGS_H

#include "base/errors.h"
#include "base/util.h"

/* ---- argv ----------------------------------------------------------------- */

/*
 * A NULL-terminated argv that owns its strings. Zero-initialised (or
 * ffargs_init) is empty; argv[n] is NULL whenever argv is not NULL.
 */
struct ffargs {
	char **argv;
	int n;
	size_t cap;
};

void ffargs_init(struct ffargs *a);
void ffargs_add(struct ffargs *a, const char *s); /* copies s */
void ffargs_addf(struct ffargs *a, const char *fmt, ...) AURA_PRINTF(2, 3);
/* Add several arguments: ffargs_addv(a, "-i", path). The macro supplies
 * the terminating NULL (typed, as varargs need). */
void ffargs_addv_(struct ffargs *a, ...) __attribute__((sentinel));
#define ffargs_addv(a, ...) ffargs_addv_((a), __VA_ARGS__, (const char *)NULL)
/* Hand the NULL-terminated argv to the caller (e.g. task_cmd.argv, which
 * frees every string and the array) and leave a empty. Never NULL. */
char **ffargs_steal(struct ffargs *a);
void ffargs_free(struct ffargs *a);

/*
 * The command for humans (logs, `aura show`): every argument shell-quoted
 * so that it could be pasted into a POSIX shell; arguments holding control
 * characters use bash's $'...' form so a log line stays one line. Never
 * executed by aura. Caller frees.
 */
char *ffargs_to_display(const struct ffargs *a);
char *ffargs_quote_display(const char *arg); /* one argument of the above */

/* ---- escaping (doc/pipeline.md, "Escaping strategy") ---------------------- */

/*
 * A value for `key=VALUE` inside a filtergraph given to -vf/-af/
 * -filter_complex: level 1 (the filter's option list: \ ' : and leading or
 * trailing whitespace) then level 2 (the graph: \ ' [ ] , ; and again the
 * ends). The filter receives exactly s, whatever it holds. Caller frees.
 */
char *ffargs_escape_filter_value(const char *s);

/*
 * drawtext's text= with the default expansion=normal: drawtext itself
 * first reads \ as an escape and %{...} as an expansion, so those are
 * escaped before the two filtergraph levels. Prefer drawtext's textfile=
 * with expansion=none (ffargs_write_textfile): the text then never enters
 * the filtergraph at all. Caller frees.
 */
char *ffargs_escape_drawtext(const char *s);

/*
 * The filename= of the subtitles filter: a relative path whose first
 * component holds ':' would be taken by FFmpeg for a protocol URL
 * ("a:b.srt" -> protocol "a"), so such a path gets a "./" in front; then
 * filtergraph escaping as above. Caller frees.
 */
char *ffargs_escape_subtitles_path(const char *path);

/*
 * Write text verbatim (no newline added) to path for drawtext's
 * textfile=...:expansion=none. Replaces the file atomically (temp + rename).
 * 0, or -AURA_E_DISK_FULL (no space) / -AURA_E_DATA_DIR (anything else)
 * with the path and reason in err.
 */
int ffargs_write_textfile(const char *path, const char *text, struct aura_error *err);

/* ---- presets and shared output settings ----------------------------------- */

#define FFARGS_FPS	      30
#define FFARGS_AUDIO_RATE     48000
#define FFARGS_AUDIO_CHANNELS 2
/* EBU R128 single pass; loudnorm resamples to 192 kHz internally, so the
 * chain resamples back to the output rate. */
#define FFARGS_LOUDNORM_FILTER "loudnorm=I=-16:TP=-1.5:LRA=11,aresample=48000"

struct preset {
	const char *name;
	int w, h;
	int crf;		 /* libx264 constant rate factor */
	const char *x264_preset; /* libx264 speed/size trade-off */
	int audio_kbps;		 /* AAC bit rate */
	int caption_cols;	 /* caption line width in columns (<= 42) */
	const char *summary;	 /* one line for `aura help new` and the TUI */
};

#define PRESET_DEFAULT "landscape-720p"

/* By exact name; NULL if unknown. */
const struct preset *preset_find(const char *name);
/* All presets, the default first; *n receives the count. */
const struct preset *preset_list(int *n);
bool preset_is_portrait(const struct preset *p);

/*
 * The filter that makes any picture fit the preset: scaled down or up to
 * fit inside w x h keeping its aspect, padded (black) to exactly w x h,
 * square pixels, 30 fps CFR. Caller frees.
 */
char *preset_fit_filter(const struct preset *p);

/*
 * The output options every render shares: H.264 (libx264) yuv420p at the
 * preset's CRF, 30 fps CFR, AAC 48 kHz stereo, +faststart. Added before
 * the output path, after the filters.
 */
void ffargs_add_encode(struct ffargs *a, const struct preset *p);

#endif
