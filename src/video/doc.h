/*
 * doc.h -- documents for "document -> video" (doc/pipeline.md): a reader
 * for Markdown (cmark's AST), HTML (libxml2's HTML parser) and plain text
 * that keeps only prose -- a title and sections of plain sentences, each
 * section with its first image -- and an extractive summariser that picks
 * the document's own sentences, verbatim and in order, to fill a word
 * budget.
 *
 * Files: doc-read.c (the three readers), doc-sentence.c (sentence
 * splitting, words), doc-summary.c (the summariser), doc-script.c (a
 * summary as a user's script).
 *
 * Must never: read markup with regexes (each format goes through its
 * parser), or do I/O other than doc_read_file's one read.
 */
#ifndef AURA_VIDEO_DOC_H
#define AURA_VIDEO_DOC_H

#include <stddef.h>

enum doc_format { DOC_TEXT, DOC_MARKDOWN, DOC_HTML };

struct doc_section {
	char *heading;	  /* plain text; "" for text before the first heading */
	char **sentences; /* plain sentences, whitespace collapsed */
	int *para;	  /* the paragraph (0-based, in this section) of each */
	size_t n;	  /* sentences */
	char *image;	  /* the first image's path or URL as written, or NULL */
};

struct doc {
	char *title; /* plain text; "" when the document has none */
	struct doc_section *sections;
	size_t n;
};

/* The format a file name's extension says: .md/.markdown -> Markdown,
 * .html/.htm/.xhtml -> HTML, anything else -> text. */
enum doc_format doc_format_of(const char *path);

/* Parses len bytes of text (need not be NUL-terminated). Sections that end
 * up with no sentences are dropped. Never fails; the caller frees. */
struct doc *doc_parse(const char *text, size_t len, enum doc_format fmt);
/* Reads and parses a file, its format from its name. Returns 0 or
 * -AURA_E_* with *out NULL (the error's detail names the file). */
struct aura_error;
int doc_read_file(const char *path, struct doc **out, struct aura_error *err);
void doc_free(struct doc *d); /* accepts NULL */

/* Splits a paragraph of plain text into sentences: ends at . ! ? (and any
 * closing quotes or brackets after them) followed by space and a capital,
 * digit or opening quote; not after abbreviations ("e.g.", "Dr.") or
 * initials, never inside numbers ("3.5"). Returns the count; *out is an
 * array of new strings, whitespace collapsed (caller frees each and it). */
size_t doc_split_sentences(const char *text, char ***out);
/* Words in s: runs of non-space characters. */
int doc_count_words(const char *s);

/* A summary: the chosen sentences, in document order. */
struct doc_pick {
	size_t section, sentence;
};
struct doc_summary {
	struct doc_pick *picks;
	size_t n;
	int words;    /* sum of doc_count_words over the picks; <= the budget */
	int sections; /* distinct sections covered */
};

/* Words for a narration of duration_s seconds at a voice's pace. */
int doc_word_budget(int duration_s, int words_per_minute);
/* Picks the document's best sentences to fill at most budget_words:
 * first the best sentence of each section (best sections first), then the
 * best of the rest. Scores: term weight over the document (TF-IDF-like),
 * overlap with the section's heading and the title, place in the section
 * and paragraph, a penalty for very short or long sentences. Deterministic
 * (ties go to the earlier sentence). The caller frees with
 * doc_summary_free(). */
void doc_summarise(const struct doc *d, int budget_words, struct doc_summary *out);
void doc_summary_free(struct doc_summary *s);

/* A summary as the text of a user's script (script_parse, `--script`): a
 * scene per section it covers, "# heading" (a section without one takes
 * the title; neither: no heading line) and the section's picked sentences
 * as one paragraph. Past SCRIPT_USER_SCENES_MAX sections the sentences go
 * to the last scene. "" for an empty summary. Caller frees. */
char *doc_script_text(const struct doc *d, const struct doc_summary *s);
/* The video's topic: the title if it passes the topic rules, else the
 * file's name (vspec_topic_from_script); NULL when neither does. */
char *doc_topic(const struct doc *d, const char *path);
/* Reads path, summarises it to duration_s at words_per_minute and gives
 * the script's text and (topic may be NULL) the topic; caller frees both.
 * 0, the errors of doc_read_file, or -AURA_E_SCRIPT_INVALID when no
 * sentence fits. */
int doc_script_from_file(const char *path, int duration_s, int words_per_minute, char **text,
			 char **topic, struct aura_error *err);
/* The same from a document already read (path names it in errors and
 * gives the topic when the title does not). */
int doc_script_from_doc(const struct doc *d, const char *path, int duration_s, int words_per_minute,
			char **text, char **topic, struct aura_error *err);
/* The heading section i's scene takes: its own, else the title ("" when
 * neither). */
const char *doc_section_heading(const struct doc *d, size_t i);
/* The document as plain sections for a script writer to condense:
 * "# heading\n\n" (when it has one), its paragraphs' sentences separated
 * by blank lines, sections by blank lines; at most max bytes, cut before
 * the first sentence that does not fit. Caller frees. */
char *doc_plain_text(const struct doc *d, size_t max);

#endif
