/*
 * doc-script.c -- a document's summary as a script (doc.h): the text of a
 * user's script (doc/pipeline.md, "A user's script") that script_parse
 * reads, one scene per section the summary covers, and the video's topic
 * from the document's title.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/errors.h"
#include "base/util.h"
#include "video/doc.h"
#include "video/script.h"
#include "video/vspec.h"

char *doc_script_text(const struct doc *d, const struct doc_summary *s)
{
	struct buf o;
	buf_init(&o);
	size_t scenes = 0, last = (size_t)-1;
	for (size_t i = 0; i < s->n; i++) {
		const struct doc_section *sec = &d->sections[s->picks[i].section];
		const char *sent = sec->sentences[s->picks[i].sentence];
		if (s->picks[i].section != last && scenes < SCRIPT_USER_SCENES_MAX) {
			const char *h = sec->heading[0] != '\0' ? sec->heading : d->title;
			if (scenes > 0)
				buf_puts(&o, "\n\n");
			if (h[0] != '\0')
				buf_printf(&o, "# %s\n", h);
			buf_puts(&o, sent);
			scenes++;
		} else {
			buf_printf(&o, " %s", sent);
		}
		last = s->picks[i].section;
	}
	if (o.data != NULL)
		buf_puts(&o, "\n");
	char *r = xstrdup(o.data != NULL ? o.data : "");
	buf_free(&o);
	return r;
}

char *doc_topic(const struct doc *d, const char *path)
{
	if (d->title[0] != '\0' && vspec_check_topic(d->title, NULL) == 0)
		return xstrdup(d->title);
	return vspec_topic_from_script("", path);
}

const char *doc_section_heading(const struct doc *d, size_t i)
{
	return d->sections[i].heading[0] != '\0' ? d->sections[i].heading : d->title;
}

char *doc_plain_text(const struct doc *d, size_t max)
{
	struct buf o;
	buf_init(&o);
	buf_puts(&o, "");
	for (size_t i = 0; i < d->n; i++) {
		const struct doc_section *sec = &d->sections[i];
		struct buf part; /* the heading and first sentence, or one more sentence */
		buf_init(&part);
		if (o.len > 0)
			buf_puts(&part, "\n\n");
		if (sec->heading[0] != '\0')
			buf_printf(&part, "# %s\n\n", sec->heading);
		for (size_t k = 0; k < sec->n; k++) {
			if (k > 0)
				buf_puts(&part, sec->para[k] != sec->para[k - 1] ? "\n\n" : " ");
			buf_puts(&part, sec->sentences[k]);
			if (o.len + part.len > max) {
				buf_free(&part);
				goto full;
			}
			buf_append(&o, part.data, part.len);
			buf_reset(&part);
		}
		buf_free(&part);
	}
full:
	buf_puts(&o, o.len > 0 ? "\n" : "");
	if (o.len > max) /* the newline did not fit */
		o.data[--o.len] = '\0';
	return o.data;
}

int doc_script_from_doc(const struct doc *d, const char *path, int duration_s, int words_per_minute,
			char **text, char **topic, struct aura_error *err)
{
	*text = NULL;
	if (topic != NULL)
		*topic = NULL;
	struct doc_summary s;
	doc_summarise(d, doc_word_budget(duration_s, words_per_minute), &s);
	if (s.n == 0) {
		bool prose = d->n > 0;
		doc_summary_free(&s);
		if (!prose)
			return aura_error_set(err, AURA_E_SCRIPT_INVALID,
					      "%s holds no prose (paragraphs, list items)", path);
		return aura_error_set(err, AURA_E_SCRIPT_INVALID, "%s: no sentence of it fits %d s",
				      path, duration_s);
	}
	*text = doc_script_text(d, &s);
	if (topic != NULL)
		*topic = doc_topic(d, path);
	doc_summary_free(&s);
	return 0;
}

int doc_script_from_file(const char *path, int duration_s, int words_per_minute, char **text,
			 char **topic, struct aura_error *err)
{
	*text = NULL;
	if (topic != NULL)
		*topic = NULL;
	struct doc *d;
	int rc = doc_read_file(path, &d, err);
	if (rc < 0)
		return rc;
	rc = doc_script_from_doc(d, path, duration_s, words_per_minute, text, topic, err);
	doc_free(d);
	return rc;
}
