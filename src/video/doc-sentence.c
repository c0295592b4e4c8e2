/*
 * doc-sentence.c -- splitting a paragraph of plain text into sentences,
 * and counting words (doc.h). A sentence ends at '.', '!' or '?' (a run of
 * them, then any closing quotes and brackets) followed by white space and
 * something that can start a sentence: a capital, a digit, an opening
 * quote or bracket, or any non-ASCII letter. A '.' after a known
 * abbreviation or a one-letter initial does not end one; a '.' between
 * digits never does (no space follows it).
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"
#include "video/doc.h"

/* Words that end with a '.' that is not a full stop (compared without
 * case, without the '.'). "etc." is not here: it usually ends a sentence. */
static const char *const abbrevs[] = {
	"e.g", "i.e", "cf",   "vs",	"mr", "mrs", "ms",  "dr",  "prof", "st",   "jr",  "sr",
	"no",  "fig", "figs", "approx", "al", "inc", "ltd", "co",  "mt",   "gen",  "col", "lt",
	"sgt", "rev", "vol",  "pp",	"ca", "a.m", "p.m", "u.s", "u.k",  "ph.d",
};

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* The length of a closing quote or bracket at s (ASCII or ” ’ »), or 0. */
static size_t closer_len(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	if (*u == '"' || *u == '\'' || *u == ')' || *u == ']')
		return 1;
	if (u[0] == 0xE2 && u[1] == 0x80 && (u[2] == 0x9D || u[2] == 0x99))
		return 3;
	if (u[0] == 0xC2 && u[1] == 0xBB)
		return 2;
	return 0;
}

/* Can the text at s start a sentence? */
static bool starts_sentence(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	if (*u == '\0')
		return true;
	if (isupper(*u) || isdigit(*u) || *u == '"' || *u == '\'' || *u == '(' || *u == '[')
		return true;
	return *u >= 0x80; /* “ ‘ « and letters of other scripts */
}

/* Is the word that ends just before the '.' at s[end] an abbreviation or
 * an initial? start is where the sentence being built begins. */
static bool is_abbrev(const char *s, size_t start, size_t end)
{
	size_t b = end;
	while (b > start && !is_space((unsigned char)s[b - 1]) && s[b - 1] != '(' &&
	       s[b - 1] != '"')
		b--;
	size_t n = end - b;
	if (n == 0)
		return false;
	if (n == 1 && isalpha((unsigned char)s[b]))
		return true; /* initials: "J. Smith", "p. 4" */
	for (size_t i = 0; i < sizeof abbrevs / sizeof abbrevs[0]; i++)
		if (strlen(abbrevs[i]) == n && strncasecmp(s + b, abbrevs[i], n) == 0)
			return true;
	return false;
}

/* A copy of s[a..b) with runs of white space made one space, trimmed. */
static char *collapse(const char *s, size_t a, size_t b)
{
	char *o = xmalloc(b - a + 1);
	size_t n = 0;
	bool sp = false;
	for (size_t i = a; i < b; i++) {
		if (is_space((unsigned char)s[i])) {
			sp = n > 0;
			continue;
		}
		if (sp)
			o[n++] = ' ';
		sp = false;
		o[n++] = s[i];
	}
	o[n] = '\0';
	return o;
}

size_t doc_split_sentences(const char *text, char ***out)
{
	char **v = NULL;
	size_t n = 0, cap = 0;
	size_t start = 0, i = 0;
	while (text[i] != '\0') {
		char c = text[i];
		if (c != '.' && c != '!' && c != '?') {
			i++;
			continue;
		}
		size_t dot = i;
		while (text[i] == '.' || text[i] == '!' || text[i] == '?')
			i++;
		size_t k;
		while ((k = closer_len(text + i)) > 0)
			i += k;
		size_t end = i;
		if (text[i] != '\0' && !is_space((unsigned char)text[i]))
			continue; /* "3.5", "e.g.," , "example.com" */
		while (is_space((unsigned char)text[i]))
			i++;
		if (!starts_sentence(text + i))
			continue;
		if (c == '.' && end == dot + 1 && is_abbrev(text, start, dot) && text[i] != '\0')
			continue;
		char *sent = collapse(text, start, end);
		if (sent[0] != '\0') {
			v = xgrow(v, &cap, n + 1, sizeof *v, 8);
			v[n++] = sent;
		} else {
			free(sent);
		}
		start = i;
	}
	char *last = collapse(text, start, strlen(text));
	if (last[0] != '\0') {
		v = xgrow(v, &cap, n + 1, sizeof *v, 8);
		v[n++] = last;
	} else {
		free(last);
	}
	*out = v;
	return n;
}

int doc_count_words(const char *s)
{
	int n = 0;
	bool in = false;
	for (; *s; s++) {
		bool sp = is_space((unsigned char)*s);
		if (!sp && !in)
			n++;
		in = !sp;
	}
	return n;
}
