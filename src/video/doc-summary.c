/*
 * doc-summary.c -- the extractive summariser (doc.h). Every sentence gets
 * a score from the terms it holds (weighted over the whole document, as
 * TF-IDF weighs them), how many of them are in its section's heading or
 * the title, where it stands (a section's and a paragraph's first
 * sentences say what they are about) and its length. The picks fill a word
 * budget: first the best sentence of each section, best sections first, so
 * a summary covers the document; then the best of the rest. Output is in
 * document order and deterministic.
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "video/doc.h"

/* Words too common to say what a sentence is about. */
static const char *const stopwords[] = {
	"the",	 "and",	  "for",    "are",     "but",	"not",	 "you",	   "all",   "any",
	"can",	 "had",	  "her",    "was",     "one",	"our",	 "out",	   "has",   "have",
	"his",	 "how",	  "its",    "may",     "new",	"now",	 "see",	   "two",   "who",
	"did",	 "get",	  "him",    "let",     "say",	"she",	 "too",	   "use",   "that",
	"with",	 "this",  "they",   "from",    "been",	"were",	 "will",   "what",  "when",
	"than",	 "then",  "them",   "there",   "their", "these", "those",  "which", "while",
	"would", "could", "should", "into",    "also",	"more",	 "most",   "some",  "such",
	"only",	 "very",  "each",   "other",   "about", "after", "before", "over",  "just",
	"like",	 "your",  "does",   "because", "where", "many",	 "much",   "here",  "being",
	"both",	 "same",  "well",
};

/* ---- terms: a small open-addressing table ------------------------------- */

struct term {
	char *w;
	int tf;	     /* occurrences in the document */
	int df;	     /* sentences holding it */
	size_t last; /* the last sentence (global index + 1) that counted df */
};

struct terms {
	struct term *t;
	size_t cap, n;
};

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static struct term *terms_get(struct terms *ts, const char *w, bool add)
{
	if (add && (ts->n + 1) * 2 > ts->cap) {
		struct terms big = { .cap = ts->cap ? ts->cap * 2 : 256 };
		big.t = xcalloc(big.cap, sizeof *big.t);
		for (size_t i = 0; i < ts->cap; i++)
			if (ts->t[i].w != NULL) {
				size_t k = hash(ts->t[i].w) & (big.cap - 1);
				while (big.t[k].w != NULL)
					k = (k + 1) & (big.cap - 1);
				big.t[k] = ts->t[i];
			}
		big.n = ts->n;
		free(ts->t);
		*ts = big;
	}
	if (ts->cap == 0)
		return NULL;
	size_t k = hash(w) & (ts->cap - 1);
	while (ts->t[k].w != NULL) {
		if (strcmp(ts->t[k].w, w) == 0)
			return &ts->t[k];
		k = (k + 1) & (ts->cap - 1);
	}
	if (!add)
		return NULL;
	ts->t[k].w = xstrdup(w);
	ts->n++;
	return &ts->t[k];
}

static void terms_free(struct terms *ts)
{
	for (size_t i = 0; i < ts->cap; i++)
		free(ts->t[i].w);
	free(ts->t);
}

static bool is_stopword(const char *w)
{
	for (size_t i = 0; i < sizeof stopwords / sizeof stopwords[0]; i++)
		if (strcmp(w, stopwords[i]) == 0)
			return true;
	return false;
}

/* Calls fn for each term of s: a run of letters, digits (and non-ASCII
 * bytes), lower-cased, at least 3 bytes, not a stop word. */
static void each_term(const char *s, void (*fn)(const char *w, void *arg), void *arg)
{
	char w[64];
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s;; p++) {
		if (*p != '\0' && (isalnum(*p) || *p >= 0x80)) {
			if (n + 1 < sizeof w)
				w[n++] = (char)tolower(*p);
			continue;
		}
		w[n] = '\0';
		if (n >= 3 && !is_stopword(w))
			fn(w, arg);
		n = 0;
		if (*p == '\0')
			break;
	}
}

struct count_arg {
	struct terms *ts;
	size_t sentence; /* global index + 1 */
};

static void count_term(const char *w, void *arg)
{
	struct count_arg *a = arg;
	struct term *t = terms_get(a->ts, w, true);
	t->tf++;
	if (t->last != a->sentence) {
		t->last = a->sentence;
		t->df++;
	}
}

struct score_arg {
	struct terms *ts;
	struct terms heading; /* terms of the section's heading and the title */
	double n_sentences;
	double sum;
	int terms, in_heading;
};

static void mark_heading(const char *w, void *arg)
{
	terms_get(arg, w, true)->tf = 1;
}

static void score_term(const char *w, void *arg)
{
	struct score_arg *a = arg;
	const struct term *t = terms_get(a->ts, w, false);
	if (t == NULL)
		return;
	double idf = log(1.0 + a->n_sentences / t->df);
	a->sum += (1.0 + log((double)t->tf)) * idf;
	a->terms++;
	if (terms_get(&a->heading, w, false) != NULL)
		a->in_heading++;
}

/* ---- the summary --------------------------------------------------------- */

struct cand {
	size_t section, sentence, order; /* order: place in the document */
	double score;
	int words;
	bool picked;
};

static int by_score(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int by_order(const void *a, const void *b)
{
	const struct doc_pick *x = a, *y = b;
	if (x->section != y->section)
		return x->section < y->section ? -1 : 1;
	return x->sentence < y->sentence ? -1 : x->sentence > y->sentence;
}

int doc_word_budget(int duration_s, int words_per_minute)
{
	if (duration_s <= 0 || words_per_minute <= 0)
		return 0;
	return (int)(((long)duration_s * words_per_minute) / 60);
}

static double sentence_score(struct score_arg *a, const struct doc_section *s, size_t k, int words)
{
	a->sum = 0;
	a->terms = a->in_heading = 0;
	each_term(s->sentences[k], score_term, a);
	if (a->terms == 0)
		return 0;
	double score = a->sum / sqrt((double)a->terms); /* long sentences do not win by length */
	score *= 1.0 + 0.25 * a->in_heading;
	if (k == 0)
		score *= 1.5; /* the section's first sentence */
	else if (s->para[k] != s->para[k - 1])
		score *= 1.2; /* a paragraph's first sentence */
	if (words < 6 || words > 40)
		score *= 0.5;
	return score;
}

void doc_summarise(const struct doc *d, int budget_words, struct doc_summary *out)
{
	memset(out, 0, sizeof *out);
	struct terms ts = { 0 };
	size_t total = 0;
	for (size_t i = 0; i < d->n; i++)
		for (size_t k = 0; k < d->sections[i].n; k++) {
			struct count_arg ca = { &ts, ++total };
			each_term(d->sections[i].sentences[k], count_term, &ca);
		}
	if (total == 0 || budget_words <= 0) {
		terms_free(&ts);
		return;
	}

	struct cand *c = xcalloc(total, sizeof *c);
	size_t *best = xcalloc(d->n, sizeof *best); /* per section: index into c */
	size_t nc = 0;
	for (size_t i = 0; i < d->n; i++) {
		const struct doc_section *s = &d->sections[i];
		struct score_arg sa = { .ts = &ts, .n_sentences = (double)total };
		each_term(s->heading, mark_heading, &sa.heading);
		each_term(d->title, mark_heading, &sa.heading);
		best[i] = nc;
		for (size_t k = 0; k < s->n; k++, nc++) {
			c[nc] =
			    (struct cand){ i, k, nc, 0, doc_count_words(s->sentences[k]), false };
			c[nc].score = sentence_score(&sa, s, k, c[nc].words);
			if (c[nc].score > c[best[i]].score)
				best[i] = nc;
		}
		terms_free(&sa.heading);
	}

	/* first the best of each section, best sections first */
	struct cand *tops = xcalloc(d->n, sizeof *tops);
	for (size_t i = 0; i < d->n; i++)
		tops[i] = c[best[i]];
	qsort(tops, d->n, sizeof *tops, by_score);
	int words = 0;
	for (size_t i = 0; i < d->n; i++)
		if (words + tops[i].words <= budget_words) {
			words += tops[i].words;
			c[tops[i].order].picked = true;
		}
	/* then the best of the rest */
	struct cand *rank = xmalloc(total * sizeof *rank);
	memcpy(rank, c, total * sizeof *rank);
	qsort(rank, total, sizeof *rank, by_score);
	for (size_t i = 0; i < total; i++)
		if (!c[rank[i].order].picked && words + rank[i].words <= budget_words) {
			words += rank[i].words;
			c[rank[i].order].picked = true;
		}

	out->picks = xcalloc(total, sizeof *out->picks);
	size_t last_section = SIZE_MAX;
	for (size_t i = 0; i < total; i++)
		if (c[i].picked) {
			out->picks[out->n++] = (struct doc_pick){ c[i].section, c[i].sentence };
			if (c[i].section != last_section)
				out->sections++;
			last_section = c[i].section;
		}
	qsort(out->picks, out->n, sizeof *out->picks, by_order);
	out->words = words;
	free(rank);
	free(tops);
	free(best);
	free(c);
	terms_free(&ts);
}

void doc_summary_free(struct doc_summary *s)
{
	free(s->picks);
	memset(s, 0, sizeof *s);
}
