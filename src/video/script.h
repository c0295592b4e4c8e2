/*
 * script.h -- a video's script: scenes with a heading, narration and
 * visual keywords. The offline rule-based writer (topic -> scenes sized
 * to a duration), the parser for a user's own script file, and the JSON
 * form the pipeline keeps as script.json in a job's work directory.
 *
 * Must never: depend on the network, the clock or the locale (the writer
 * is a pure function of topic, duration and seed), or accept text that is
 * not UTF-8. Rules: doc/pipeline.md, "Script writer rules".
 */
#ifndef AURA_SCRIPT_H
#define AURA_SCRIPT_H

#include <stdint.h>

#include "base/errors.h"
#include "base/script.h" /* the scenes as data, the sizes */

#define SCRIPT_DURATION_MIN    5    /* seconds */
#define SCRIPT_DURATION_MAX    1800 /* the writer runs out of things to say */
#define SCRIPT_TOPIC_MAX       200  /* characters (code points) */
#define SCRIPT_USER_SCENES_MAX 50   /* --script files and script.json */
#define SCRIPT_TEXT_MAX	       (1024 * 1024)

/*
 * The offline writer: an opening that introduces the topic, body scenes
 * on angles (origins, how it works, why it matters, misconceptions,
 * practical tips, what comes next...), and a close. Narration totals
 * script_target_words(duration_s) words within 15 %. The same topic,
 * duration and seed give the same script, byte for byte.
 * Errors: -AURA_E_TOPIC_INVALID (empty, blank, no word, more than 200
 * characters, not UTF-8), -AURA_E_USAGE (duration outside 5..3600 s).
 * On error out is left empty.
 */
int script_generate(const char *topic, int duration_s, uint32_t seed, struct script *out,
		    struct aura_error *err);

/*
 * A user's script: one scene per paragraph (paragraphs are separated by
 * one or more blank lines); a paragraph's first line may be "# heading"
 * (one to six '#', then a space). A heading line inside a paragraph starts
 * a new scene; a heading alone is the heading of the paragraph after it.
 * Without a heading, one is made from the first words. Lines of a
 * paragraph are joined with single spaces. CRLF and a UTF-8 BOM are
 * accepted. 1..50 scenes. Errors: -AURA_E_SCRIPT_INVALID with the line in
 * err (empty, too many scenes, heading with no text, not UTF-8, > 1 MiB).
 */
int script_parse(const char *text, struct script *out, struct aura_error *err);
/* The text of the first "# heading" line of a user's script (as
 * script_parse reads one), trimmed; NULL if it has none. Caller frees. */
char *script_first_heading(const char *text);

/*
 * script.json: {"version":1,"title":...,"scenes":[{"heading":...,
 * "narration":...,"keywords":["a","b"]}...]}. Returns JSON text the caller
 * frees with free().
 */
char *script_to_json(const struct script *s);
/* Parse script.json (keywords may also be one comma-separated string).
 * -AURA_E_SCRIPT_INVALID with the reason in err. */
int script_from_json(const char *json, struct script *out, struct aura_error *err);

/* Words spoken: whitespace-separated tokens holding a letter or digit. */
int script_word_count(const struct script *s);
int script_text_word_count(const char *text);

/*
 * Up to max content words of text, lower-cased (ASCII), stopwords and
 * duplicates dropped, most frequent first (ties: first seen), joined with
 * ','. Caller frees; "" when there are none.
 */
char *script_keywords(const char *text, int max);

#endif
