/*
 * script-int.h -- what script.c lends the offline writer (script-gen.c).
 * Internal to the script module; nothing else includes it.
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

#endif
