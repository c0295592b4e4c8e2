/*
 * doc-read.c -- the document readers (doc.h): Markdown through cmark's
 * AST, HTML through libxml2's HTML parser, plain text by blank lines. Each
 * keeps prose only -- headings, paragraphs, list items -- and drops code,
 * tables, raw HTML, scripts and page furniture; it remembers the first
 * image of each section.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmark.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "base/errors.h"
#include "base/util.h"
#include "video/doc.h"

#define DOC_MAX_BYTES (16u << 20)

/* ---- building a document ------------------------------------------------ */

struct builder {
	struct doc *d;
	size_t cap;
	int para; /* paragraphs so far in the last section */
};

static struct doc_section *b_section(struct builder *b, const char *heading)
{
	XGROW(b->d->sections, b->d->n + 1, b->cap, 8);
	struct doc_section *s = &b->d->sections[b->d->n++];
	memset(s, 0, sizeof *s);
	s->heading = xstrdup(heading);
	b->para = 0;
	return s;
}

static struct doc_section *b_cur(struct builder *b)
{
	return b->d->n > 0 ? &b->d->sections[b->d->n - 1] : b_section(b, "");
}

static void b_image(struct builder *b, const char *url)
{
	struct doc_section *s = b_cur(b);
	if (s->image == NULL && url != NULL && url[0] != '\0')
		s->image = xstrdup(url);
}

static void b_para(struct builder *b, const char *text)
{
	char **v;
	size_t n = doc_split_sentences(text, &v);
	if (n == 0) {
		free(v);
		return;
	}
	struct doc_section *s = b_cur(b);
	s->sentences = xrealloc(s->sentences, (s->n + n) * sizeof *s->sentences);
	s->para = xrealloc(s->para, (s->n + n) * sizeof *s->para);
	for (size_t i = 0; i < n; i++) {
		s->sentences[s->n] = v[i];
		s->para[s->n++] = b->para;
	}
	free(v);
	b->para++;
}

/* Trimmed, white space collapsed; a new string. */
static char *plain(const char *s)
{
	char **v;
	size_t n = doc_split_sentences(s, &v);
	struct buf o;
	buf_init(&o);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_puts(&o, " ");
		buf_puts(&o, v[i]);
		free(v[i]);
	}
	free(v);
	char *r = xstrdup(o.data != NULL ? o.data : "");
	buf_free(&o);
	return r;
}

static void b_title(struct builder *b, const char *text)
{
	free(b->d->title);
	b->d->title = plain(text);
}

static void b_heading(struct builder *b, const char *text)
{
	char *h = plain(text);
	b_section(b, h);
	free(h);
}

/* Drops sections without sentences. */
static struct doc *b_finish(struct builder *b)
{
	struct doc *d = b->d;
	size_t k = 0;
	for (size_t i = 0; i < d->n; i++) {
		if (d->sections[i].n > 0) {
			d->sections[k++] = d->sections[i];
		} else {
			free(d->sections[i].heading);
			free(d->sections[i].image);
			free(d->sections[i].sentences);
			free(d->sections[i].para);
		}
	}
	d->n = k;
	if (d->title == NULL)
		d->title = xstrdup("");
	return d;
}

/* ---- Markdown ------------------------------------------------------------ */

static void md_inline(struct builder *b, cmark_node *n, struct buf *o)
{
	for (cmark_node *c = cmark_node_first_child(n); c != NULL; c = cmark_node_next(c)) {
		switch (cmark_node_get_type(c)) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
			buf_puts(o, cmark_node_get_literal(c));
			break;
		case CMARK_NODE_SOFTBREAK:
		case CMARK_NODE_LINEBREAK:
			buf_puts(o, "\n");
			break;
		case CMARK_NODE_IMAGE:
			b_image(b, cmark_node_get_url(c));
			break;
		case CMARK_NODE_HTML_INLINE:
			break;
		default:
			md_inline(b, c, o);
		}
	}
}

/* A pipe table (GitHub's extension, not in cmark's core): a paragraph with
 * a delimiter row -- only '|', '-', ':' and spaces, with a '|' and a '-'. */
static bool md_is_table(const char *text)
{
	const char *line = strchr(text, '\n');
	while (line != NULL) {
		line++;
		bool bar = false, dash = false, other = false;
		const char *p = line;
		for (; *p != '\0' && *p != '\n'; p++) {
			if (*p == '|')
				bar = true;
			else if (*p == '-')
				dash = true;
			else if (*p != ':' && *p != ' ' && *p != '\t')
				other = true;
		}
		if (bar && dash && !other)
			return true;
		line = *p == '\n' ? p : NULL;
	}
	return false;
}

static void md_block(struct builder *b, cmark_node *n)
{
	for (cmark_node *c = cmark_node_first_child(n); c != NULL; c = cmark_node_next(c)) {
		struct buf o;
		switch (cmark_node_get_type(c)) {
		case CMARK_NODE_HEADING:
			buf_init(&o);
			md_inline(b, c, &o);
			if (cmark_node_get_heading_level(c) == 1 && b->d->title == NULL)
				b_title(b, o.data != NULL ? o.data : "");
			else
				b_heading(b, o.data != NULL ? o.data : "");
			buf_free(&o);
			break;
		case CMARK_NODE_PARAGRAPH:
			buf_init(&o);
			md_inline(b, c, &o);
			if (o.data != NULL && !md_is_table(o.data))
				b_para(b, o.data);
			buf_free(&o);
			break;
		case CMARK_NODE_CODE_BLOCK:
		case CMARK_NODE_HTML_BLOCK:
		case CMARK_NODE_THEMATIC_BREAK:
		case CMARK_NODE_CUSTOM_BLOCK:
			break;
		default: /* block quotes, lists, items */
			md_block(b, c);
		}
	}
}

static void read_markdown(struct builder *b, const char *text, size_t len)
{
	cmark_node *root = cmark_parse_document(text, len, CMARK_OPT_DEFAULT);
	md_block(b, root);
	cmark_node_free(root);
}

/* ---- HTML ---------------------------------------------------------------- */

/* Elements whose whole content is not prose. */
static const char *const html_skip[] = {
	"script", "style",    "pre",	  "code", "table", "nav",
	"footer", "noscript", "template", "svg",  "form",  "aside",
};

static bool html_is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcasecmp((const char *)n->name, name) == 0;
}

static bool html_skipped(const xmlNode *n)
{
	for (size_t i = 0; i < sizeof html_skip / sizeof html_skip[0]; i++)
		if (html_is(n, html_skip[i]))
			return true;
	return false;
}

static void html_image(struct builder *b, xmlNode *n)
{
	xmlChar *src = xmlGetProp(n, (const xmlChar *)"src");
	if (src != NULL)
		b_image(b, (const char *)src);
	xmlFree(src);
}

/* The text inside a paragraph-like element. Inline code stays (it is part
 * of the sentence); scripts and styles do not. */
static void html_inline(struct builder *b, xmlNode *n, struct buf *o)
{
	for (xmlNode *c = n->children; c != NULL; c = c->next) {
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
			if (c->content != NULL)
				buf_puts(o, (const char *)c->content);
		} else if (c->type != XML_ELEMENT_NODE) {
			continue;
		} else if (html_is(c, "img")) {
			if (b != NULL)
				html_image(b, c);
		} else if (html_is(c, "br")) {
			buf_puts(o, " ");
		} else if (!html_is(c, "script") && !html_is(c, "style") &&
			   !html_is(c, "noscript")) {
			html_inline(b, c, o);
		}
	}
}

static void html_walk(struct builder *b, xmlNode *n)
{
	for (xmlNode *c = n->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || html_skipped(c))
			continue;
		struct buf o;
		buf_init(&o);
		if (html_is(c, "title")) {
			html_inline(NULL, c, &o);
			if (b->d->title == NULL)
				b_title(b, o.data != NULL ? o.data : "");
		} else if (html_is(c, "h1") || html_is(c, "h2") || html_is(c, "h3")) {
			html_inline(b, c, &o);
			if (html_is(c, "h1") && b->d->title == NULL)
				b_title(b, o.data != NULL ? o.data : "");
			else
				b_heading(b, o.data != NULL ? o.data : "");
		} else if (html_is(c, "p") || html_is(c, "li")) {
			html_inline(b, c, &o);
			if (o.data != NULL)
				b_para(b, o.data);
		} else if (html_is(c, "img")) {
			html_image(b, c);
		} else {
			html_walk(b, c);
		}
		buf_free(&o);
	}
}

static void read_html(struct builder *b, const char *text, size_t len)
{
	if (len > (size_t)DOC_MAX_BYTES)
		len = DOC_MAX_BYTES;
	htmlDocPtr h = htmlReadMemory(text, (int)len, NULL, "UTF-8",
				      HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
					  HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	if (h == NULL)
		return;
	html_walk(b, (xmlNode *)h);
	xmlFreeDoc(h);
}

/* ---- plain text ---------------------------------------------------------- */

/* A lone short line without a full stop: a title or a heading. */
static bool text_is_heading(const char *p)
{
	size_t n = strlen(p);
	if (n == 0 || n > 80 || strchr(p, '\n') != NULL || doc_count_words(p) > 12)
		return false;
	char last = p[n - 1];
	return last != '.' && last != '!' && last != '?' && last != ':' && last != ',';
}

static void read_text(struct builder *b, const char *text, size_t len)
{
	size_t i = 0;
	bool first = true;
	while (i < len) {
		/* one paragraph: lines up to a blank one */
		size_t start = i, end = i;
		while (i < len) {
			size_t ls = i;
			while (i < len && text[i] != '\n')
				i++;
			bool blank = true;
			for (size_t k = ls; k < i; k++)
				if (text[k] != ' ' && text[k] != '\t' && text[k] != '\r')
					blank = false;
			if (i < len)
				i++;
			if (blank) {
				if (end > start)
					break;
				start = i;
			} else {
				end = i;
			}
		}
		if (end <= start)
			continue;
		char *raw = xstrndup(text + start, end - start);
		while (end > start &&
		       (raw[end - start - 1] == '\n' || raw[end - start - 1] == '\r' ||
			raw[end - start - 1] == ' ' || raw[end - start - 1] == '\t'))
			raw[--end - start] = '\0';
		char *lead = raw + strspn(raw, " \t");
		if (text_is_heading(lead)) {
			if (first)
				b_title(b, lead);
			else
				b_heading(b, lead);
		} else {
			b_para(b, raw);
		}
		first = false;
		free(raw);
	}
}

/* ---- the API ------------------------------------------------------------- */

enum doc_format doc_format_of(const char *path)
{
	const char *dot = strrchr(path, '.');
	if (dot == NULL || strchr(dot, '/') != NULL)
		return DOC_TEXT;
	if (strcasecmp(dot, ".md") == 0 || strcasecmp(dot, ".markdown") == 0)
		return DOC_MARKDOWN;
	if (strcasecmp(dot, ".html") == 0 || strcasecmp(dot, ".htm") == 0 ||
	    strcasecmp(dot, ".xhtml") == 0)
		return DOC_HTML;
	return DOC_TEXT;
}

struct doc *doc_parse(const char *text, size_t len, enum doc_format fmt)
{
	struct builder b = { .d = xcalloc(1, sizeof(struct doc)) };
	if (fmt == DOC_MARKDOWN)
		read_markdown(&b, text, len);
	else if (fmt == DOC_HTML)
		read_html(&b, text, len);
	else
		read_text(&b, text, len);
	return b_finish(&b);
}

int doc_read_file(const char *path, struct doc **out, struct aura_error *err)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return aura_error_set(err, AURA_E_INPUT_UNREADABLE, "%s: %s", path,
				      strerror(errno));
	struct buf t;
	buf_init(&t);
	char chunk[8192];
	size_t got;
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0 && t.len <= DOC_MAX_BYTES)
		buf_append(&t, chunk, got);
	bool bad = ferror(f) != 0;
	fclose(f);
	if (bad || t.len > DOC_MAX_BYTES) {
		buf_free(&t);
		return aura_error_set(err, AURA_E_INPUT_UNREADABLE, "%s: %s", path,
				      bad ? "read error" : "larger than 16 MiB");
	}
	*out = doc_parse(t.data != NULL ? t.data : "", t.len, doc_format_of(path));
	buf_free(&t);
	return 0;
}

void doc_free(struct doc *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++) {
		struct doc_section *s = &d->sections[i];
		for (size_t k = 0; k < s->n; k++)
			free(s->sentences[k]);
		free(s->sentences);
		free(s->para);
		free(s->heading);
		free(s->image);
	}
	free(d->sections);
	free(d->title);
	free(d);
}
