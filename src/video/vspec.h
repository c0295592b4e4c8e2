/*
 * vspec.h -- the options of a video job (the `new` request's params, kept
 * as the job's spec): parsing and validating them, their defaults from the
 * configuration, the voice choice, the default output name (a slug of the
 * topic that never overwrites), and the --images listing. Shared by
 * `aura new` (which validates before it submits), the video kind (kind.c:
 * the engine refuses a bad `new` request) and the pipeline (which reads
 * the spec). Written in vspec.c (the options), vspec-voice.c (the voice)
 * and vspec-files.c (the output's name, the --images listing).
 *
 * Must never: read a --script file or list a directory the caller did not
 * name, or touch the network. Shape: doc/pipeline.md, "The `new` request".
 */
#ifndef AURA_VSPEC_H
#define AURA_VSPEC_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "base/conf.h"
#include "base/errors.h"
#include "ff/ffargs.h"

/* Caption outputs, as bits: burn into the picture, an SRT beside it. */
enum { VSPEC_CAPTIONS_BURN = 1, VSPEC_CAPTIONS_SRT = 2 };

enum voice_provider { VOICE_FLITE, VOICE_ESPEAK, VOICE_PIPER, VOICE_OPENAI, VOICE_ELEVENLABS };

/* "flite", "espeak", "piper", "openai", "elevenlabs" */
const char *voice_provider_name(enum voice_provider p);
/* openai and elevenlabs: spoken by an online provider, with fallback */
bool voice_is_online(enum voice_provider p);

struct voice_choice {
	enum voice_provider provider;
	char *name; /* flite: slt/kal/awb/rms/kal16; espeak: its voice; piper: model path;
		       openai/elevenlabs: the service's voice, NULL: [openai] voice... */
};

struct vspec {
	char *topic;
	char *cwd;    /* absolute: the client's working directory, NULL if unknown */
	int duration; /* seconds, 5..1800 */
	const struct preset *preset;
	struct voice_choice voice;
	bool voice_forced; /* the user chose the voice (--voice): no chain */
	int captions;	   /* VSPEC_CAPTIONS_* bits */
	char *output;	   /* absolute final path, NULL: the default (vspec_default_output) */
	char *script;	   /* the text of the user's script, NULL: write one from the topic */
	char *images;	   /* absolute directory, NULL: generated backgrounds */
	char *music;	   /* absolute file or directory (vspec_music_pick), NULL: none */
	uint32_t seed;	   /* the script writer's and the palette's */
	int priority;
	char *lang;	     /* BCP-47-ish language code, "en" by default (vspec_lang_check) */
	double voice_speed;  /* narration tempo, VSPEC_SPEED_MIN..MAX, 1: as spoken */
	double voice_volume; /* narration gain in dB, VSPEC_VOLUME_MIN..MAX */
	/* --from DOC (vspec-doc.c): script holds the extractive summary */
	char *document;			   /* plain sections "# heading\n\nparagraphs", NULL */
	struct vspec_docimage *doc_images; /* pictures the document's sections name */
	int ndoc_images;
	/* the look (vspec-style.c): the style resolved, then its keys given
	 * one by one; voice_speed and voice_volume above are its two voice
	 * keys (kept in step by vspec_from_json) */
	struct style_config look;
	bool stored;		       /* read from a job's stored spec (vspec_from_text): a style
					  that left aura.ini is no error when all its keys are there */
	const struct aura_config *cfg; /* vspec_init's, for styles by name; not owned */
};

/* A local picture a document's section refers to: the heading its scene
 * takes (the section's, else the document's title) and its absolute path. */
struct vspec_docimage {
	char *heading;
	char *path;
};

#define VSPEC_DOCUMENT_MAX   (64 * 1024) /* bytes of a document's text sent */
#define VSPEC_DOC_IMAGES_MAX 200

/* vspec-doc.c: the "document" and "doc_images" options. Whether key is
 * one of them; reading one (-AURA_E_USAGE for a wrong value); adding them
 * to a request's options; freeing them. */
bool vspec_doc_key(const char *key);
int vspec_doc_set(struct vspec *s, const char *key, json_t *v, struct aura_error *err);
void vspec_doc_to_json(const struct vspec *s, json_t *opts);
void vspec_doc_free(struct vspec *s);
/* Whether a path names a picture a document may use: .png, .jpg, .jpeg
 * (any case). */
bool vspec_doc_image_name(const char *path);
/* Adds a picture (both strings copied). */
void vspec_doc_image_add(struct vspec *s, const char *heading, const char *path);

#define VSPEC_SPEED_MIN	 0.5
#define VSPEC_SPEED_MAX	 2.0
#define VSPEC_VOLUME_MIN -20.0
#define VSPEC_VOLUME_MAX 10.0

/* A language code: 2-3 ASCII letters, optionally '-' or '_' and a region
 * of 2 letters or 3 digits ("en", "de", "pt-BR", "es-419"). 0 or
 * -AURA_E_LANG_INVALID. */
int vspec_lang_check(const char *lang, struct aura_error *err);
/* Whether lang is English ("en", "en-GB"...): flite speaks only English. */
bool vspec_lang_english(const char *lang);

#define VSPEC_PRIORITY_MAX 1000000

/* Defaults from cfg ([video]); strings owned by s. cfg may be NULL. */
void vspec_init(struct vspec *s, const struct aura_config *cfg);
void vspec_free(struct vspec *s);

/*
 * Read a `new` request's params ({"topic", "options": {...}, "cwd"}) over
 * the defaults in s and validate every value (not the files):
 * -AURA_E_TOPIC_INVALID, _DURATION_INVALID, _PRESET_UNKNOWN,
 * _VOICE_UNKNOWN, _USAGE (captions, seed, priority, a relative path, a
 * value of the wrong JSON type), _SCRIPT_INVALID (the script text).
 * Unknown option names are refused (_USAGE): a typo never passes.
 */
int vspec_from_json(struct vspec *s, json_t *params, struct aura_error *err);
/* The same from JSON text (the stored spec). */
int vspec_from_text(struct vspec *s, const char *text, struct aura_error *err);
/* The params of a `new` request for s (a new reference). */
json_t *vspec_to_json(const struct vspec *s);

/*
 * The style options of a `new` request (vspec-style.c): "style" (a name:
 * its keys over the look) and each style key (over the style). Called by
 * vspec_from_json; an unknown style is -AURA_E_STYLE_UNKNOWN unless opts
 * carry every key (a stored spec, whose style may have left aura.ini); a
 * bad value -AURA_E_USAGE.
 */
int vspec_style_from_json(struct vspec *s, json_t *opts, struct aura_error *err);
/* Whether key is "style" or a style key (vspec_from_json skips it). */
bool vspec_style_option(const char *key);
/* The style's name and every key of the look into opts. */
void vspec_style_to_json(const struct vspec *s, json_t *opts);
/* Set the look to the style name of s->cfg: 0 or -AURA_E_STYLE_UNKNOWN. */
int vspec_style_set(struct vspec *s, const char *name, struct aura_error *err);

/* The topic rules of the script writer (1..200 characters of UTF-8 with a
 * word): 0 or -AURA_E_TOPIC_INVALID. */
int vspec_check_topic(const char *topic, struct aura_error *err);
/* The topic of `new --script FILE` without one: the script's first
 * heading, else the file's name without its directory and extension ('-'
 * and '_' read as spaces), whichever first passes vspec_check_topic; NULL
 * when neither does. Caller frees. */
char *vspec_topic_from_script(const char *text, const char *path);

/* "burn" | "srt" | "both" | "none" <-> bits; -1 if unknown. */
int vspec_captions_parse(const char *s);
const char *vspec_captions_name(int bits);

/*
 * PROVIDER[:VOICE] -> out (name allocated): flite[:slt|kal|awb|rms|kal16]
 * (default slt), espeak[:VOICE] or espeak-ng[:VOICE] (default en),
 * piper[:MODEL] (default cfg->piper_model, may stay NULL), openai[:VOICE]
 * and elevenlabs[:VOICE] (NULL name: the voice of their [section]).
 * -AURA_E_VOICE_UNKNOWN. The canonical text is voice_choice_text().
 */
int voice_parse(const char *text, const struct aura_config *cfg, struct voice_choice *out,
		struct aura_error *err);
char *voice_choice_text(const struct voice_choice *v); /* caller frees */
void voice_choice_free(struct voice_choice *v);
/*
 * Whether the voice can run here: espeak-ng (cfg->espeak or PATH), piper
 * (cfg->piper or PATH) and a readable model. *program receives the
 * program to run (NULL for flite; caller frees). -AURA_E_VOICE_UNAVAILABLE.
 */
int voice_check(const struct voice_choice *v, const struct aura_config *cfg, char **program,
		struct aura_error *err);
/*
 * flite speaks only English: the offline voice for another language is
 * espeak-ng's voice for it. v (freed first) becomes espeak:LANG, *program
 * the espeak-ng to run. -AURA_E_VOICE_UNAVAILABLE (with the apt-get hint)
 * when espeak-ng is not installed.
 */
int voice_for_lang(const char *lang, const struct aura_config *cfg, struct voice_choice *v,
		   char **program, struct aura_error *err);
/* Spoken words per minute of a voice, measured (doc/pipeline.md): what
 * the script writer's 150 words a minute are scaled by. */
int voice_words_per_minute(const struct voice_choice *v);

/* A file name from the topic: lower-case ASCII letters and digits, other
 * runs become one '-', at most 60 bytes, cut at a dash; "video" when
 * nothing is left. Caller frees. */
char *vspec_slug(const char *topic);

/*
 * The first of DIR/BASE.mp4, DIR/BASE-1.mp4, DIR/BASE-2.mp4... for which
 * neither that file nor its .srt (when srt) nor its .part.mp4 exists.
 * Caller frees.
 */
char *vspec_free_output(const char *dir, const char *base, bool srt);

/*
 * The output when none was given: cfg->output_dir (~ expanded), else cwd,
 * else (a request without cwd: a client on another machine) the home
 * directory, then the topic's slug, numbered so nothing is overwritten.
 * NULL when none is known. Caller frees.
 */
char *vspec_default_output(const struct vspec *s, const struct aura_config *cfg);

/*
 * Make a user's -o PATH a final path: absolute (from cwd), ".mp4" added
 * when it has no .mp4 ending, an existing directory (or a trailing '/')
 * gets the default name inside. Caller frees.
 */
char *vspec_output_path(const char *path, const char *cwd, const char *topic, bool srt);

/*
 * Files of an --images directory that can be used: *.jpg, *.jpeg, *.png,
 * *.mp4 (any case), regular files, not hidden, sorted by name (bytes).
 * 0 with *files (absolute paths, NULL-terminated, free with
 * vspec_files_free) and *n; -AURA_E_INPUT_UNREADABLE when the directory
 * cannot be read or holds none.
 */
int vspec_list_images(const char *dir, char ***files, int *n, struct aura_error *err);
void vspec_files_free(char **files);
bool vspec_is_video_file(const char *path); /* by its name: .mp4 */

/*
 * The music track of --music PATH (vspec-music.c): PATH itself when it is
 * a file; of a directory, one of its audio files (.mp3 .wav .ogg .oga
 * .opus .m4a .aac .flac, any case, not hidden, sorted by name) picked by
 * seed, with *count the number it holds (0 for a file). *track: caller
 * frees. -AURA_E_INPUT_UNREADABLE when unreadable or it holds none.
 */
int vspec_music_pick(const char *path, uint32_t seed, char **track, int *count,
		     struct aura_error *err);

#endif
