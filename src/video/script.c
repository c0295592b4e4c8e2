/*
 * script.c -- a script's word counts and keyword extraction, the
 * user-script parser (--script FILE) and the script.json form. The
 * offline writer is script-gen.c; the scenes as data, src/base/script.c.
 *
 * Must never: consult the clock, the locale or rand(): keywords and parsed
 * scripts are pure functions of their text.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "video/script.h"
#include "video/script-int.h"
#include "base/utf8.h"
#include "base/util.h"

void script_push(struct script *s, char *heading, char *narration, char *keywords)
{
	s->scenes = xrealloc(s->scenes, (size_t)(s->n + 1) * sizeof(*s->scenes));
	s->scenes[s->n].heading = heading;
	s->scenes[s->n].narration = narration;
	s->scenes[s->n].keywords = keywords;
	s->n++;
}

/* ---- words ----------------------------------------------------------------- */

/* A letter or digit, roughly: ASCII alphanumerics and any code point that
 * is not punctuation, a symbol, an emoji or a format character. */
static bool is_word_cp(uint32_t cp)
{
	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
		       (cp >= '0' && cp <= '9');
	if ((cp >= 0x80 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7)
		return false;
	if ((cp >= 0x2000 && cp <= 0x2BFF) || (cp >= 0x3000 && cp <= 0x303F) ||
	    (cp >= 0xE000 && cp <= 0xF8FF) || (cp >= 0xFE00 && cp <= 0xFE0F) ||
	    (cp >= 0xFE30 && cp <= 0xFE6F) || (cp >= 0xFF00 && cp <= 0xFF0F) ||
	    (cp >= 0xFF1A && cp <= 0xFF20) || (cp >= 0xFF3B && cp <= 0xFF40) ||
	    (cp >= 0xFF5B && cp <= 0xFF65) || (cp >= 0xFFF0 && cp <= 0xFFFF) ||
	    (cp >= 0x1F000 && cp <= 0x1FAFF) || cp >= 0xE0000)
		return false;
	return true;
}

static bool is_space_byte(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int script_text_word_count(const char *text)
{
	int words = 0;
	const char *p = text ? text : "";
	while (*p) {
		while (*p && is_space_byte(*p))
			p++;
		bool word = false;
		while (*p && !is_space_byte(*p)) {
			uint32_t cp;
			size_t n = utf8_next(p, &cp);
			if (is_word_cp(cp))
				word = true;
			p += n;
		}
		if (word)
			words++;
	}
	return words;
}

int script_word_count(const struct script *s)
{
	int words = 0;
	for (int i = 0; i < s->n; i++)
		words += script_text_word_count(s->scenes[i].narration);
	return words;
}

/* ---- keywords -------------------------------------------------------------- */

/* Words that say nothing about what to show. Sorted, for bsearch. */
/* the word and sentence tables read best as written */
/* clang-format off */
static const char *const stopwords[] = {
	"a", "about", "above", "after", "again", "against", "all", "also", "am", "among", "an",
	"and", "any", "are", "around", "as", "at", "basics", "be", "because", "been", "before",
	"being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "does",
	"doing", "down", "during", "each", "every", "everything", "explained", "few", "for",
	"from", "further", "get", "gets", "got", "guide", "had", "has", "have", "having", "he",
	"her", "here", "hers", "him", "his", "how", "i", "if", "in", "into", "intro",
	"introduction", "is", "it", "its", "just", "let", "lets", "like", "lot", "lots", "make",
	"makes", "many", "may", "me", "might", "more", "most", "much", "must", "my", "no", "nor",
	"not", "of", "off", "on", "once", "one", "only", "or", "other", "our", "ours", "out",
	"over", "overview", "own", "really", "same", "she", "should", "so", "some", "something",
	"such", "than", "that", "the", "their", "them", "then", "there", "these", "they",
	"thing", "things", "this", "those", "through", "to", "too", "under", "until", "up",
	"us", "very", "versus", "vs", "want", "was", "way", "ways", "we", "were", "what", "when",
	"where", "which", "while", "who", "whom", "whose", "why", "will", "with", "without",
	"would", "you", "your", "yours",
};
/* clang-format on */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool is_stopword(const char *w)
{
	return bsearch(&w, stopwords, ARRAY_LEN(stopwords), sizeof(stopwords[0]), cmp_str) != NULL;
}

struct kw {
	char *word;
	int count, first;
};

static int cmp_kw(const void *a, const void *b)
{
	const struct kw *x = a, *y = b;
	if (x->count != y->count)
		return y->count - x->count;
	return x->first - y->first;
}

/* Normalise one raw word: trim apostrophes and hyphens at the ends, fold
 * U+2019 to ', lower-case ASCII, drop a possessive 's. NULL if it is no
 * use as a keyword (a stopword, one letter, a number, too long). */
static char *keyword_form(const char *s, size_t len, bool drop_stopwords)
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "");
	size_t off = 0;
	bool has_alpha = false;
	size_t cps = 0;
	while (off < len) {
		uint32_t cp;
		size_t n = utf8_next(s + off, &cp);
		if (cp == 0x2019)
			buf_puts(&b, "'");
		else if (cp >= 'A' && cp <= 'Z')
			buf_append(&b, &(char){ (char)(cp - 'A' + 'a') }, 1);
		else
			buf_append(&b, s + off, n);
		if (is_word_cp(cp) && !(cp >= '0' && cp <= '9'))
			has_alpha = true;
		cps++;
		off += n;
	}
	char *w = b.data;
	size_t l = strlen(w);
	while (l && (w[l - 1] == '\'' || w[l - 1] == '-'))
		w[--l] = '\0';
	if (l > 2 && strcmp(w + l - 2, "'s") == 0)
		w[l -= 2] = '\0';
	size_t start = 0;
	while (w[start] == '\'' || w[start] == '-')
		start++;
	if (start)
		memmove(w, w + start, l - start + 1);
	l = strlen(w);
	if (!has_alpha || l == 0 || cps > 24 || (l == 1 && (unsigned char)w[0] < 0x80) ||
	    (drop_stopwords && is_stopword(w))) {
		free(w);
		return NULL;
	}
	return w;
}

char *script_keywords_all(const char *text, int max, bool drop_stopwords)
{
	struct kw *v = NULL;
	int n = 0, order = 0;
	const char *p = text ? text : "";
	while (*p) {
		/* a word: word characters, with ' U+2019 and - allowed inside */
		const char *s = NULL, *e = NULL;
		uint32_t cp;
		size_t k;
		while ((k = utf8_next(p, &cp)) > 0) {
			bool inner = cp == '\'' || cp == 0x2019 || cp == '-';
			if (is_word_cp(cp) || (inner && s)) {
				if (!s)
					s = p;
				if (is_word_cp(cp))
					e = p + k;
			} else if (s) {
				break;
			}
			p += k;
		}
		if (!s)
			break;
		char *w = keyword_form(s, (size_t)(e - s), drop_stopwords);
		if (!w)
			continue;
		int i;
		for (i = 0; i < n; i++)
			if (strcmp(v[i].word, w) == 0)
				break;
		if (i < n) {
			v[i].count++;
			free(w);
		} else {
			v = xrealloc(v, (size_t)(n + 1) * sizeof(*v));
			v[n++] = (struct kw){ w, 1, order++ };
		}
	}
	if (n)
		qsort(v, (size_t)n, sizeof(*v), cmp_kw);
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "");
	for (int i = 0; i < n; i++) {
		if (i < max) {
			if (i)
				buf_puts(&b, ",");
			buf_puts(&b, v[i].word);
		}
		free(v[i].word);
	}
	free(v);
	return b.data;
}

char *script_keywords(const char *text, int max)
{
	return script_keywords_all(text, max, true);
}

/* ---- text normalisation ---------------------------------------------------- */

/* Whitespace and control characters become single spaces; ends trimmed. */
char *script_normalize_space(const char *s, size_t len)
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "");
	bool pending = false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7F) {
			pending = b.len > 0;
			continue;
		}
		if (c == ' ') {
			pending = b.len > 0;
			continue;
		}
		if (pending)
			buf_append(&b, " ", 1);
		pending = false;
		buf_append(&b, &s[i], 1);
	}
	return b.data;
}

void script_capitalize(char *s)
{
	if (s[0] >= 'a' && s[0] <= 'z')
		s[0] = (char)(s[0] - 'a' + 'A');
}

/* ---- user scripts ---------------------------------------------------------- */

/* "# text" (one to six '#', then a space or tab, or the end): the text
 * after it, trimmed; NULL if the line is not a heading. */
static const char *heading_text(const char *line, size_t len, size_t *text_len)
{
	size_t i = 0;
	while (i < len && (line[i] == ' ' || line[i] == '\t') && i < 3)
		i++;
	size_t h = 0;
	while (i + h < len && line[i + h] == '#')
		h++;
	if (h < 1 || h > 6)
		return NULL;
	i += h;
	if (i < len && line[i] != ' ' && line[i] != '\t')
		return NULL;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	*text_len = len - i;
	return line + i;
}

static bool line_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_space_byte(s[i]))
			return false;
	return true;
}

/* A heading from the first words: the first sentence, cut to six words
 * and 48 characters with an ellipsis. */
static char *derive_heading(const char *narration)
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "");
	const char *p = narration;
	int words = 0;
	size_t chars = 0;
	bool cut = false;
	while (*p) {
		const char *s = p;
		while (*p && *p != ' ')
			p++;
		size_t wl = (size_t)(p - s);
		char *w = xstrndup(s, wl);
		size_t wc = utf8_length(w);
		if (words == 0 && wc > 48) {
			/* one long run (CJK has no spaces): its first characters */
			const char *q = w;
			uint32_t cp;
			for (int k = 0; k < 47; k++)
				q += utf8_next(q, &cp);
			buf_append(&b, w, (size_t)(q - w));
			free(w);
			cut = true;
			break;
		}
		if (words == 6 || (words > 0 && chars + 1 + wc > 48)) {
			free(w);
			cut = true;
			break;
		}
		if (words)
			buf_puts(&b, " ");
		buf_puts(&b, w);
		chars += wc + (words ? 1 : 0);
		words++;
		free(w);
		while (*p == ' ')
			p++;
		if (wl && strchr(".!?", s[wl - 1]))
			break; /* a whole sentence */
	}
	while (b.len && strchr(".,;:!?-", b.data[b.len - 1]))
		b.data[--b.len] = '\0';
	if (cut)
		buf_puts(&b, "\xE2\x80\xA6"); /* U+2026 HORIZONTAL ELLIPSIS */
	return b.data;
}

struct para {
	char *heading;
	struct buf text;
	int line;
};

char *script_first_heading(const char *text)
{
	if (!text)
		return NULL;
	if (str_starts_with(text, "\xEF\xBB\xBF"))
		text += 3;
	for (const char *p = text; *p;) {
		const char *s = p;
		size_t len = strcspn(p, "\r\n");
		p += len;
		p += strspn(p, "\r\n");
		size_t tlen;
		const char *t = heading_text(s, len, &tlen);
		while (t && tlen > 0 && is_space_byte(t[tlen - 1]))
			tlen--;
		if (t && tlen > 0)
			return xstrndup(t, tlen);
	}
	return NULL;
}

int script_parse(const char *text, struct script *out, struct aura_error *err)
{
	script_init(out);
	if (!text)
		text = "";
	size_t total = strlen(text);
	if (total > SCRIPT_TEXT_MAX)
		return aura_error_set(err, AURA_E_SCRIPT_INVALID,
				      "the script is %zu bytes; at most %d are read", total,
				      SCRIPT_TEXT_MAX);
	if (str_starts_with(text, "\xEF\xBB\xBF"))
		text += 3, total -= 3;
	size_t bad;
	if (!utf8_valid(text, &bad)) {
		int line = 1;
		for (size_t i = 0; i < bad; i++)
			line += text[i] == '\n' || (text[i] == '\r' && text[i + 1] != '\n');
		return aura_error_set(err, AURA_E_SCRIPT_INVALID, "line %d: not valid UTF-8 text",
				      line);
	}

	struct para *ps = NULL;
	int np = 0;
	bool open = false; /* the last paragraph still takes lines */
	int lineno = 0;
	const char *p = text;
	while (*p) {
		/* a line ends at LF, CRLF or a lone CR */
		const char *s = p;
		while (*p && *p != '\n' && *p != '\r')
			p++;
		size_t len = (size_t)(p - s);
		if (*p == '\r' && p[1] == '\n')
			p += 2;
		else if (*p)
			p++;
		lineno++;
		if (line_blank(s, len)) {
			open = false;
			continue;
		}
		size_t hl;
		const char *h = heading_text(s, len, &hl);
		if (h || !open) {
			ps = xrealloc(ps, (size_t)(np + 1) * sizeof(*ps));
			struct para *q = &ps[np++];
			q->heading = h ? script_normalize_space(h, hl) : NULL;
			buf_init(&q->text);
			buf_puts(&q->text, "");
			q->line = lineno;
			open = true;
			if (h)
				continue;
		}
		struct para *q = &ps[np - 1];
		if (q->text.len)
			buf_puts(&q->text, " ");
		buf_append(&q->text, s, len);
	}

	/* a heading alone names the paragraph after it */
	int rc = 0;
	for (int i = 0; i < np && rc == 0; i++) {
		struct para *q = &ps[i];
		char *narr = script_normalize_space(q->text.data, q->text.len);
		if (!*narr) {
			free(narr);
			if (i + 1 < np && !ps[i + 1].heading) {
				ps[i + 1].heading = q->heading;
				q->heading = NULL;
				continue;
			}
			if (q->heading)
				rc = aura_error_set(
				    err, AURA_E_SCRIPT_INVALID,
				    "line %d: the heading \"%s\" has no text after it", q->line,
				    q->heading);
			else
				rc = aura_error_set(err, AURA_E_SCRIPT_INVALID,
						    "line %d: the paragraph has no printable text",
						    q->line);
			break;
		}
		if (out->n == SCRIPT_USER_SCENES_MAX) {
			free(narr);
			int more = 0;
			for (int j = i; j < np; j++)
				more += ps[j].text.len > 0;
			rc = aura_error_set(err, AURA_E_SCRIPT_INVALID,
					    "the script has %d scenes; at most %d are allowed",
					    SCRIPT_USER_SCENES_MAX + more, SCRIPT_USER_SCENES_MAX);
			break;
		}
		char *heading =
		    q->heading && *q->heading ? xstrdup(q->heading) : derive_heading(narr);
		char *both = xasprintf("%s %s", heading, narr);
		char *kw = script_keywords(both, 4);
		free(both);
		script_push(out, heading, narr, kw);
	}
	for (int i = 0; i < np; i++) {
		free(ps[i].heading);
		buf_free(&ps[i].text);
	}
	free(ps);
	if (rc == 0 && out->n == 0)
		rc = aura_error_set(err, AURA_E_SCRIPT_INVALID, "the script has no text");
	if (rc < 0) {
		script_free(out);
		return rc;
	}
	out->title = xstrdup(out->scenes[0].heading);
	return 0;
}

/* ---- JSON ------------------------------------------------------------------ */

char *script_to_json(const struct script *s)
{
	json_t *root = json_object();
	json_object_set_new(root, "version", json_integer(1));
	json_object_set_new(root, "title", json_string(s->title ? s->title : ""));
	json_t *arr = json_array();
	for (int i = 0; i < s->n; i++) {
		const struct scene *sc = &s->scenes[i];
		json_t *o = json_object();
		json_object_set_new(o, "heading", json_string(sc->heading ? sc->heading : ""));
		json_object_set_new(o, "narration",
				    json_string(sc->narration ? sc->narration : ""));
		json_t *kw = json_array();
		const char *p = sc->keywords ? sc->keywords : "";
		while (*p) {
			const char *e = strchr(p, ',');
			size_t l = e ? (size_t)(e - p) : strlen(p);
			if (l)
				json_array_append_new(kw, json_stringn(p, l));
			p += l + (e ? 1 : 0);
		}
		json_object_set_new(o, "keywords", kw);
		json_array_append_new(arr, o);
	}
	json_object_set_new(root, "scenes", arr);
	char *text = json_dumps(root, JSON_INDENT(2));
	json_decref(root);
	if (!text) {
		/* json_dumps fails only on memory or invalid UTF-8, which the
		 * writer and the parser never produce */
		fprintf(stderr, "aura: cannot encode the script as JSON\n");
		abort();
	}
	return text;
}

/* A JSON string, without control characters; NULL if absent/not a string. */
static char *json_text(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v))
		return NULL;
	return script_normalize_space(json_string_value(v), json_string_length(v));
}

/* Keywords from an array of strings or a comma-separated string, as
 * "a,b,c": trimmed, no empty items. */
static char *json_keywords(json_t *v)
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "");
	size_t n = json_is_array(v) ? json_array_size(v) : json_is_string(v) ? 1 : 0;
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
		if (!json_is_string(e))
			continue;
		char *t = script_normalize_space(json_string_value(e), json_string_length(e));
		for (char *tok = t; tok && *tok;) {
			char *c = strchr(tok, ',');
			if (c)
				*c = '\0';
			char *k = script_normalize_space(tok, strlen(tok));
			if (*k) {
				if (b.len)
					buf_puts(&b, ",");
				buf_puts(&b, k);
			}
			free(k);
			tok = c ? c + 1 : NULL;
		}
		free(t);
	}
	return b.data;
}

int script_from_json(const char *json, struct script *out, struct aura_error *err)
{
	script_init(out);
	json_error_t je;
	json_t *root = json_loads(json ? json : "", 0, &je);
	if (!root)
		return aura_error_set(err, AURA_E_SCRIPT_INVALID, "script.json line %d: %s",
				      je.line, je.text);
	int rc = 0;
	json_t *scenes = json_object_get(root, "scenes");
	if (!json_is_object(root) || !json_is_array(scenes)) {
		rc = aura_error_set(err, AURA_E_SCRIPT_INVALID, "script.json has no scenes array");
		goto out;
	}
	size_t n = json_array_size(scenes);
	if (n < 1 || n > SCRIPT_USER_SCENES_MAX) {
		rc = aura_error_set(err, AURA_E_SCRIPT_INVALID,
				    "script.json has %zu scenes; 1 to %d are allowed", n,
				    SCRIPT_USER_SCENES_MAX);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(scenes, i);
		char *narr = json_is_object(o) ? json_text(o, "narration") : NULL;
		if (!narr || !*narr) {
			free(narr);
			rc = aura_error_set(err, AURA_E_SCRIPT_INVALID,
					    "script.json scene %zu has no narration", i + 1);
			goto out;
		}
		char *heading = json_text(o, "heading");
		if (!heading || !*heading) {
			free(heading);
			heading = derive_heading(narr);
		}
		script_push(out, heading, narr, json_keywords(json_object_get(o, "keywords")));
	}
	out->title = json_text(root, "title");
	if (!out->title || !*out->title) {
		free(out->title);
		out->title = xstrdup(out->scenes[0].heading);
	}
out:
	json_decref(root);
	if (rc < 0)
		script_free(out);
	return rc;
}
