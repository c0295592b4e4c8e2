/*
 * script-int.h -- what script.c lends the offline writer (script-gen.c),
 * and the writer's text (script-text.c). Internal to the script module;
 * nothing else includes it.
 */
#ifndef AURA_SCRIPT_INT_H
#define AURA_SCRIPT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "video/script.h"

/* Append a scene; the script takes the three strings. */
void script_push(struct script *s, char *heading, char *narration, char *keywords);
/* The text's words by frequency, comma-separated, at most max of them. */
char *script_keywords_all(const char *text, int max, bool drop_stopwords);
/* Whitespace and control characters become single spaces; ends trimmed. */
char *script_normalize_space(const char *s, size_t len);
/* Upper-case an ASCII first letter in place. */
void script_capitalize(char *s);

/* ---- the offline writer's text (script-text.c) --------------------------- */

/* A body scene's angle: its phrase, headings, visuals and sentences. */
struct angle {
	const char *phrase; /* for {PLAN} and {RECAP}: "where it began" */
	const char *headings[3];
	const char *visuals[2];
	const char *const *lines;
};

enum { ANGLE_HOW = 1, ANGLE_WHY = 4, ANGLE_FUTURE = 11, N_ANGLES = 12 };

/* Each a NULL-terminated pool of sentence templates (see script-text.c for
 * the slots and roles); script_angles has N_ANGLES entries. */
extern const struct angle script_angles[];
extern const char *const script_intro_topic[];
extern const char *const script_intro_question[];
extern const char *const script_intro_plain[];
extern const char *const script_opening_lines[];
extern const char *const script_close_lead[];
extern const char *const script_close_lines[];
extern const char *const script_signoffs[];
extern const char *const script_generic_lines[];
extern const char *const script_filler_lines[];
extern const char *const script_again_prefix[];
extern const char *const script_close_headings[];

#endif
