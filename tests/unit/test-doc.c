/*
 * test-doc.c -- the document readers (Markdown, HTML, plain text), the
 * sentence splitter, and the extractive summariser on an article-length
 * Markdown fixture (tests/fixtures/article.md).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/errors.h"
#include "base/script.h"
#include "base/util.h"
#include "video/doc.h"
#include "video/script.h"

static struct doc *parse(const char *s, enum doc_format f)
{
	return doc_parse(s, strlen(s), f);
}

/* Does any sentence of d contain needle? */
static bool doc_has(const struct doc *d, const char *needle)
{
	for (size_t i = 0; i < d->n; i++)
		for (size_t k = 0; k < d->sections[i].n; k++)
			if (strstr(d->sections[i].sentences[k], needle) != NULL)
				return true;
	return false;
}

/* ---- sentences ----------------------------------------------------------- */

static void split_is(const char *text, size_t n, const char *const *want)
{
	char **v;
	size_t got = doc_split_sentences(text, &v);
	for (size_t i = 0; i < got && i < n; i++)
		assert_string_equal(v[i], want[i]);
	assert_int_equal(got, n);
	for (size_t i = 0; i < got; i++)
		free(v[i]);
	free(v);
}

static void test_split(void **state)
{
	(void)state;
	split_is("One. Two! Three?", 3, (const char *const[]){ "One.", "Two!", "Three?" });
	split_is("Use a sieve, e.g. a fine one. Then stir.", 2,
		 (const char *const[]){ "Use a sieve, e.g. a fine one.", "Then stir." });
	split_is("Ask Dr. Lopez about it. She knows.", 2,
		 (const char *const[]){ "Ask Dr. Lopez about it.", "She knows." });
	split_is("It grew 3.5 percent. Prices rose.", 2,
		 (const char *const[]){ "It grew 3.5 percent.", "Prices rose." });
	split_is("He said \"Stop.\" Then he left.", 2,
		 (const char *const[]){ "He said \"Stop.\"", "Then he left." });
	split_is("Wait... What happened?", 2, (const char *const[]){ "Wait...", "What happened?" });
	split_is("J. R. Smith wrote it. Read it.", 2,
		 (const char *const[]){ "J. R. Smith wrote it.", "Read it." });
	split_is("see example.com for more. it goes on", 1,
		 (const char *const[]){ "see example.com for more. it goes on" });
	split_is("  spread\n over\tlines.  ", 1, (const char *const[]){ "spread over lines." });
	split_is("It was (mostly) fine. \xE2\x80\x9CYes,\xE2\x80\x9D she said.", 2,
		 (const char *const[]){ "It was (mostly) fine.",
					"\xE2\x80\x9CYes,\xE2\x80\x9D she said." });
	split_is("", 0, NULL);
	split_is("   \n ", 0, NULL);
	assert_int_equal(doc_count_words("  one two\tthree\n"), 3);
	assert_int_equal(doc_count_words(""), 0);
}

/* ---- readers ------------------------------------------------------------- */

static void test_markdown(void **state)
{
	(void)state;
	const char *md = "# The Title\n\n"
			 "Intro text here. It has two sentences.\n\n"
			 "## First *part*\n\n"
			 "Some `inline` words and a [link](http://x.test).\n"
			 "Soft break joins lines.\n\n"
			 "![pic one](img/one.png)\n\n"
			 "```\ncode block. Never read.\n```\n\n"
			 "| a | b |\n|---|---|\n| tab. | le. |\n\n"
			 "<div>html block. Never read.</div>\n\n"
			 "- item one.\n- item two.\n\n"
			 "## Second\n\n"
			 "![pic two](img/two.png) After the picture.\n\n"
			 "### Empty\n\n"
			 "    indented code. Never read.\n";
	struct doc *d = parse(md, DOC_MARKDOWN);
	assert_string_equal(d->title, "The Title");
	assert_int_equal(d->n, 3); /* "Empty" has no prose and is dropped */
	assert_string_equal(d->sections[0].heading, "");
	assert_int_equal(d->sections[0].n, 2);
	assert_string_equal(d->sections[0].sentences[1], "It has two sentences.");
	assert_null(d->sections[0].image);

	const struct doc_section *s = &d->sections[1];
	assert_string_equal(s->heading, "First part");
	assert_int_equal(s->n, 4);
	assert_string_equal(s->sentences[0], "Some inline words and a link.");
	assert_string_equal(s->sentences[1], "Soft break joins lines.");
	assert_string_equal(s->sentences[2], "item one.");
	assert_string_equal(s->sentences[3], "item two.");
	assert_int_equal(s->para[1], 0);
	assert_int_equal(s->para[2], 1);
	assert_string_equal(s->image, "img/one.png");

	assert_string_equal(d->sections[2].heading, "Second");
	assert_string_equal(d->sections[2].sentences[0], "After the picture.");
	assert_string_equal(d->sections[2].image, "img/two.png");
	assert_false(doc_has(d, "Never read"));
	assert_false(doc_has(d, "tab."));
	assert_false(doc_has(d, "pic one"));
	assert_false(doc_has(d, "pic two"));
	doc_free(d);
}

static void test_html(void **state)
{
	(void)state;
	const char *html =
	    "<!DOCTYPE html><html><head><title>Page Title</title>"
	    "<style>p { color: red. }</style>"
	    "<script>var x = 'Never read.';</script></head><body>"
	    "<nav><p>Home. About.</p></nav>"
	    "<h1>Big Heading</h1>"
	    "<p>First <b>bold</b> paragraph.<br>Second line here.</p>"
	    "<h2>Part &amp; parcel</h2>"
	    "<img src=\"a.jpg\"><p>Para <code>x</code> two. <script>no()</script>End.</p>"
	    "<pre>pre text. Never read.</pre>"
	    "<table><tr><td><p>Cell. Never read.</p></td></tr></table>"
	    "<ul><li>Item one.</li><li>Item two.</li></ul>"
	    "<h3>Third</h3><div><p>Nested in a div.</p></div>"
	    "<footer><p>Copyright. Never read.</p></footer>"
	    "</body></html>";
	struct doc *d = parse(html, DOC_HTML);
	assert_string_equal(d->title, "Page Title");
	assert_int_equal(d->n, 3);
	assert_string_equal(d->sections[0].heading, "Big Heading");
	assert_int_equal(d->sections[0].n, 2);
	assert_string_equal(d->sections[0].sentences[0], "First bold paragraph.");
	assert_string_equal(d->sections[1].heading, "Part & parcel");
	assert_string_equal(d->sections[1].image, "a.jpg");
	assert_int_equal(d->sections[1].n, 4);
	assert_string_equal(d->sections[1].sentences[0], "Para x two.");
	assert_string_equal(d->sections[1].sentences[1], "End.");
	assert_string_equal(d->sections[1].sentences[3], "Item two.");
	assert_string_equal(d->sections[2].sentences[0], "Nested in a div.");
	assert_false(doc_has(d, "Never read"));
	assert_false(doc_has(d, "Home"));
	assert_false(doc_has(d, "color"));
	doc_free(d);
}

static void test_text(void **state)
{
	(void)state;
	const char *txt = "A Plain Title\n\n"
			  "The first paragraph runs\nover two lines. And on.\n"
			  "   \n\n"
			  "Next Part\n\n"
			  "Body of the next part.\n";
	struct doc *d = parse(txt, DOC_TEXT);
	assert_string_equal(d->title, "A Plain Title");
	assert_int_equal(d->n, 2);
	assert_string_equal(d->sections[0].heading, "");
	assert_int_equal(d->sections[0].n, 2);
	assert_string_equal(d->sections[0].sentences[0],
			    "The first paragraph runs over two lines.");
	assert_string_equal(d->sections[1].heading, "Next Part");
	assert_string_equal(d->sections[1].sentences[0], "Body of the next part.");
	doc_free(d);

	d = parse("No title here, just a sentence.\n\nAnd another.", DOC_TEXT);
	assert_string_equal(d->title, "");
	assert_int_equal(d->n, 1);
	assert_int_equal(d->sections[0].n, 2);
	doc_free(d);

	d = parse("", DOC_TEXT);
	assert_int_equal(d->n, 0);
	doc_free(d);

	assert_int_equal(doc_format_of("a/b.md"), DOC_MARKDOWN);
	assert_int_equal(doc_format_of("x.HTML"), DOC_HTML);
	assert_int_equal(doc_format_of("x.htm"), DOC_HTML);
	assert_int_equal(doc_format_of("notes.txt"), DOC_TEXT);
	assert_int_equal(doc_format_of("dir.md/README"), DOC_TEXT);
}

static void test_read_file_missing(void **state)
{
	(void)state;
	struct doc *d = (struct doc *)1;
	struct aura_error err;
	assert_int_equal(doc_read_file("/nonexistent/x.md", &d, &err), -AURA_E_INPUT_UNREADABLE);
	assert_null(d);
}

/* ---- the summariser ------------------------------------------------------ */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	struct buf b;
	buf_init(&b);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	return b.data;
}

static void test_summary_article(void **state)
{
	(void)state;
	const char *path = AURA_FIXTURES "/article.md";
	char *raw = slurp(path);
	struct doc *d;
	assert_int_equal(doc_read_file(path, &d, NULL), 0);
	assert_string_equal(d->title, "How Cities Learned to Love the Rain");
	assert_true(d->n >= 7);
	assert_string_equal(d->sections[0].image, "images/rain-garden.jpg");
	assert_false(doc_has(d, "coefficient")); /* the code block */
	assert_false(doc_has(d, "Downtown"));	 /* the table */

	int budget = doc_word_budget(60, SCRIPT_WORDS_PER_MINUTE);
	assert_int_equal(budget, 150);
	struct doc_summary s;
	doc_summarise(d, budget, &s);
	assert_true(s.n >= 3);
	assert_true(s.sections >= 3);
	assert_true(s.words <= budget);
	assert_true(s.words >= budget * 3 / 4);

	int words = 0;
	size_t sections = 0, last_section = SIZE_MAX;
	const char *at = raw;
	for (size_t i = 0; i < s.n; i++) {
		const char *sent = d->sections[s.picks[i].section].sentences[s.picks[i].sentence];
		/* verbatim and in the document's order: found after the last one */
		const char *p = strstr(at, sent);
		assert_non_null(p);
		at = p + strlen(sent);
		words += doc_count_words(sent);
		if (s.picks[i].section != last_section)
			sections++;
		last_section = s.picks[i].section;
	}
	assert_int_equal(words, s.words);
	assert_int_equal(sections, s.sections);

	/* deterministic */
	struct doc_summary again;
	doc_summarise(d, budget, &again);
	assert_int_equal(again.n, s.n);
	assert_memory_equal(again.picks, s.picks, s.n * sizeof *s.picks);
	doc_summary_free(&again);

	/* a budget too small for anything picks nothing */
	doc_summarise(d, 2, &again);
	assert_int_equal(again.n, 0);
	assert_int_equal(again.words, 0);
	doc_summary_free(&again);

	doc_summary_free(&s);
	doc_free(d);
	free(raw);
}

/* One section of long, on-topic sentences and two with short weak ones:
 * the budget still goes to the best of each section first. */
static void test_summary_covers_sections(void **state)
{
	(void)state;
	const char *md = "# Bees and hives\n\n"
			 "## Hives\n\n"
			 "Bees build their hives from wax that the bees make.\n\n"
			 "Hives hold honey that bees store for the winter.\n\n"
			 "Bees keep hives warm by shivering their wing muscles.\n\n"
			 "## Honey\n\nHoney tastes sweet.\n\n"
			 "## Flowers\n\nFlowers smell nice.\n";
	struct doc *d = parse(md, DOC_MARKDOWN);
	assert_int_equal(d->n, 3);
	struct doc_summary s;
	doc_summarise(d, 22, &s);
	assert_int_equal(s.sections, 3);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.picks[0].section, 0);
	assert_int_equal(s.picks[1].section, 1);
	assert_int_equal(s.picks[2].section, 2);
	assert_true(s.words <= 22);
	doc_summary_free(&s);
	doc_free(d);
}

/* The summary as a user's script: a scene per covered section, headings
 * as the scenes' headings, the picked sentences as narration. */
static void test_script_text(void **state)
{
	(void)state;
	const char *md = "# Bees and hives\n\n"
			 "Bees are insects that live together.\n\n"
			 "## Hives\n\nBees build hives from wax. Hives keep honey.\n\n"
			 "## Honey\n\nHoney is dried nectar.\n";
	struct doc *d = parse(md, DOC_MARKDOWN);
	struct doc_summary s;
	doc_summarise(d, 100, &s);
	assert_int_equal(s.n, 4);
	char *text = doc_script_text(d, &s);
	assert_string_equal(text, "# Bees and hives\nBees are insects that live together.\n\n"
				  "# Hives\nBees build hives from wax. Hives keep honey.\n\n"
				  "# Honey\nHoney is dried nectar.\n");
	struct script sc;
	struct aura_error err;
	assert_int_equal(script_parse(text, &sc, &err), 0);
	assert_int_equal(sc.n, 3);
	assert_string_equal(sc.scenes[1].heading, "Hives");
	assert_string_equal(sc.scenes[1].narration, "Bees build hives from wax. Hives keep honey.");
	script_free(&sc);
	free(text);

	char *topic = doc_topic(d, "/x/some-file.md");
	assert_string_equal(topic, "Bees and hives");
	free(topic);
	free(d->title);
	d->title = xstrdup("");
	topic = doc_topic(d, "/x/some-file.md");
	assert_string_equal(topic, "some file");
	free(topic);
	doc_summary_free(&s);
	doc_summarise(d, 0, &s);
	text = doc_script_text(d, &s);
	assert_string_equal(text, "");
	free(text);
	doc_summary_free(&s);
	doc_free(d);

	char *topic2;
	assert_int_equal(doc_script_from_file(AURA_FIXTURES "/article.md", 60,
					      SCRIPT_WORDS_PER_MINUTE, &text, &topic2, &err),
			 0);
	assert_string_equal(topic2, "How Cities Learned to Love the Rain");
	assert_int_equal(script_parse(text, &sc, &err), 0);
	assert_true(sc.n >= 3);
	script_free(&sc);
	free(text);
	free(topic2);
	assert_int_equal(doc_script_from_file(AURA_FIXTURES "/article.md", 1,
					      SCRIPT_WORDS_PER_MINUTE, &text, NULL, &err),
			 -AURA_E_SCRIPT_INVALID);
	assert_null(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_markdown),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_read_file_missing),
		cmocka_unit_test(test_summary_article),
		cmocka_unit_test(test_summary_covers_sections),
		cmocka_unit_test(test_script_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
