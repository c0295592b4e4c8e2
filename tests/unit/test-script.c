/*
 * test-script.c -- the offline writer (word and scene budgets, structure,
 * determinism, keywords, topic validation, user text never read as a
 * template), the user-script parser, and the script.json round trip.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "video/script.h"
#include "base/utf8.h"

static const char *const topics[] = {
	"coffee",
	"the history of coffee",
	"Why is the sky blue?",
	"how bees make honey",
	"The Beatles",
	"\xE6\x9C\xBA\xE5\x99\xA8\xE5\xAD\xA6\xE4\xB9\xA0", /* 机器学习 */
	"quantum computing for complete beginners who never studied physics at school",
};

static char *gen_json(const char *topic, int d, uint32_t seed)
{
	struct script s;
	struct aura_error err;
	assert_int_equal(script_generate(topic, d, seed, &s, &err), 0);
	char *j = script_to_json(&s);
	script_free(&s);
	return j;
}

/* ---- budgets ------------------------------------------------------------- */

static void test_targets(void **state)
{
	(void)state;
	assert_int_equal(script_target_words(60), 150);
	assert_int_equal(script_target_words(30), 75);
	assert_int_equal(script_target_words(5), 13);
	assert_int_equal(script_target_words(1800), 4500);
	assert_int_equal(script_target_scenes(5), 3);
	assert_int_equal(script_target_scenes(30), 3);
	assert_int_equal(script_target_scenes(60), 6);
	assert_int_equal(script_target_scenes(120), 12);
	assert_int_equal(script_target_scenes(300), 20);
	assert_int_equal(script_target_scenes(1800), 20);
}

static void test_word_count_within_bounds(void **state)
{
	(void)state;
	const int durations[] = { 5, 30, 60, 300, 1800 };
	for (size_t d = 0; d < ARRAY_LEN(durations); d++) {
		int target = script_target_words(durations[d]);
		for (size_t t = 0; t < ARRAY_LEN(topics); t++) {
			for (uint32_t seed = 0; seed < 4; seed++) {
				struct script s;
				assert_int_equal(
				    script_generate(topics[t], durations[d], seed, &s, NULL), 0);
				int w = script_word_count(&s);
				if (w < target * 85 / 100 || w > target * 115 / 100)
					fail_msg("%s, %d s, seed %u: %d words for a target of %d",
						 topics[t], durations[d], seed, w, target);
				script_free(&s);
			}
		}
	}
}

static void test_scene_count(void **state)
{
	(void)state;
	for (int d = SCRIPT_DURATION_MIN; d <= SCRIPT_DURATION_MAX; d += d < 60 ? 1 : 47) {
		struct script s;
		assert_int_equal(script_generate("volcanoes", d, 1, &s, NULL), 0);
		assert_int_equal(s.n, script_target_scenes(d));
		assert_true(s.n >= SCRIPT_SCENES_MIN && s.n <= SCRIPT_SCENES_MAX);
		for (int i = 0; i < s.n; i++) {
			assert_true(strlen(s.scenes[i].heading) > 0);
			assert_true(script_text_word_count(s.scenes[i].narration) > 0);
			assert_true(utf8_valid(s.scenes[i].narration, NULL));
			assert_null(strchr(s.scenes[i].narration, '\n'));
			assert_null(strchr(s.scenes[i].narration, '{')); /* no slot left */
		}
		script_free(&s);
	}
	/* longer videos get more scenes, up to the cap */
	assert_true(script_target_scenes(90) > script_target_scenes(30));
}

/* ---- determinism ----------------------------------------------------------- */

static void test_deterministic_and_seeded(void **state)
{
	(void)state;
	for (size_t t = 0; t < ARRAY_LEN(topics); t++) {
		char *a = gen_json(topics[t], 60, 42);
		char *b = gen_json(topics[t], 60, 42);
		assert_string_equal(a, b);
		char *c = gen_json(topics[t], 60, 43);
		assert_string_not_equal(a, c);
		char *d = gen_json(topics[t], 61, 42);
		assert_string_not_equal(a, d);
		free(a);
		free(b);
		free(c);
		free(d);
	}
	/* the topic itself changes the text, not just the slots */
	struct script x, y;
	assert_int_equal(script_generate("sailing", 120, 7, &x, NULL), 0);
	assert_int_equal(script_generate("gardening", 120, 7, &y, NULL), 0);
	int same = 0;
	for (int i = 0; i < x.n; i++)
		same += strcmp(x.scenes[i].heading, y.scenes[i].heading) == 0;
	assert_true(same < x.n);
	script_free(&x);
	script_free(&y);
}

/* ---- structure ------------------------------------------------------------- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void test_opening_body_close(void **state)
{
	(void)state;
	const char *closes[] = { "The Takeaway", "Wrapping Up", "In Short" };
	const char *signoffs[] = { "Thanks for watching.",
				   "Thanks for watching, and see you next time.",
				   "Thanks for your time.", "Stay curious.",
				   "Keep exploring, and stay curious." };
	for (uint32_t seed = 0; seed < 10; seed++) {
		struct script s;
		assert_int_equal(script_generate("the history of coffee", 60, seed, &s, NULL), 0);
		assert_string_equal(s.title, "The history of coffee");
		/* the opening is headed by the title and names the topic */
		assert_string_equal(s.scenes[0].heading, s.title);
		assert_non_null(strstr(s.scenes[0].narration, "the history of coffee"));
		/* body scenes: distinct angle headings, none is the title or a close */
		for (int i = 1; i < s.n - 1; i++) {
			assert_string_not_equal(s.scenes[i].heading, s.title);
			for (int j = 1; j < i; j++)
				assert_string_not_equal(s.scenes[i].heading, s.scenes[j].heading);
			for (size_t k = 0; k < ARRAY_LEN(closes); k++)
				assert_string_not_equal(s.scenes[i].heading, closes[k]);
		}
		/* the close: a closing heading, ending on a sign-off */
		const struct scene *last = &s.scenes[s.n - 1];
		bool heading_ok = false, signoff_ok = false;
		for (size_t k = 0; k < ARRAY_LEN(closes); k++)
			heading_ok = heading_ok || strcmp(last->heading, closes[k]) == 0;
		for (size_t k = 0; k < ARRAY_LEN(signoffs); k++)
			signoff_ok = signoff_ok || ends_with(last->narration, signoffs[k]);
		assert_true(heading_ok);
		assert_true(signoff_ok);
		script_free(&s);
	}
}

static void test_body_angles(void **state)
{
	(void)state;
	/* how it works and why it matters come first; what comes next is last */
	struct script s;
	assert_int_equal(script_generate("tides", 60, 3, &s, NULL), 0);
	assert_int_equal(s.n, 6);
	const char *how[] = { "How It Works", "Under the Hood", "The Mechanics" };
	const char *why[] = { "Why It Matters", "The Bigger Picture", "What Is at Stake" };
	const char *next[] = { "What Comes Next", "The Future", "Looking Ahead" };
	bool has_how = false, has_why = false, last_next = false;
	for (int i = 1; i < s.n - 1; i++)
		for (int k = 0; k < 3; k++) {
			has_how = has_how || strcmp(s.scenes[i].heading, how[k]) == 0;
			has_why = has_why || strcmp(s.scenes[i].heading, why[k]) == 0;
		}
	for (int k = 0; k < 3; k++)
		last_next = last_next || strcmp(s.scenes[s.n - 2].heading, next[k]) == 0;
	assert_true(has_how && has_why && last_next);
	script_free(&s);
}

static void test_long_and_question_topics(void **state)
{
	(void)state;
	struct script s;
	/* a question is asked as typed, and not pasted into "the roots of ..." */
	assert_int_equal(script_generate("Why is the sky blue?", 60, 1, &s, NULL), 0);
	assert_non_null(strstr(s.scenes[0].narration, "Why is the sky blue?"));
	for (int i = 1; i < s.n; i++)
		assert_null(strstr(s.scenes[i].narration, "sky blue"));
	script_free(&s);
	/* a topic too long for a 5 s video is left to the title card */
	const char *longer = "the complete and surprisingly complicated history of the humble "
			     "pencil from graphite mines to modern factories";
	assert_int_equal(script_generate(longer, 5, 1, &s, NULL), 0);
	assert_null(strstr(s.scenes[0].narration, "pencil"));
	assert_string_equal(s.scenes[0].heading,
			    "The complete and surprisingly complicated history "
			    "of the humble pencil from graphite mines to "
			    "modern factories");
	script_free(&s);
	assert_int_equal(script_generate(longer, 60, 1, &s, NULL), 0);
	assert_non_null(strstr(s.scenes[0].narration, longer));
	script_free(&s);
}

static void test_topic_is_text_not_template(void **state)
{
	(void)state;
	struct script s;
	assert_int_equal(script_generate("the {T} and {PLAN} 100% \\n tokens", 60, 5, &s, NULL), 0);
	assert_non_null(strstr(s.scenes[0].narration, "the {T} and {PLAN} 100% \\n tokens"));
	assert_string_equal(s.title, "The {T} and {PLAN} 100% \\n tokens");
	script_free(&s);
	/* line breaks and tabs in a topic are spaces */
	assert_int_equal(script_generate("  deep\n\tsea \r\n fish  ", 30, 5, &s, NULL), 0);
	assert_string_equal(s.title, "Deep sea fish");
	script_free(&s);
}

/* ---- keywords -------------------------------------------------------------- */

static void test_keywords(void **state)
{
	(void)state;
	struct {
		const char *text;
		int max;
		const char *want;
	} cases[] = {
		{ "The History of Coffee in Ethiopia", 5, "history,coffee,ethiopia" },
		{ "how is it what it is", 5, "" },
		{ "bees bees honey bees honey wax", 2, "bees,honey" },
		{ "The world's oceans", 5, "world,oceans" },
		{ "self-driving cars -- and 2024 trends", 5, "self-driving,cars,trends" },
		{ "Caf\xC3\xA9 cr\xC3\xA8me \xF0\x9F\x9A\x80 rockets!", 5,
		  "caf\xC3\xA9,cr\xC3\xA8me,rockets" },
		{ "don\xE2\x80\x99t panic", 5, "don't,panic" },
		{ "", 5, "" },
		{ "a b c x y z", 5, "" },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *k = script_keywords(cases[i].text, cases[i].max);
		assert_string_equal(k, cases[i].want);
		free(k);
	}
	/* generated scenes carry the topic's words plus a visual word */
	struct script s;
	assert_int_equal(script_generate("how volcanoes form", 60, 2, &s, NULL), 0);
	assert_string_equal(s.scenes[0].keywords, "volcanoes,form");
	for (int i = 1; i < s.n - 1; i++) {
		assert_true(str_starts_with(s.scenes[i].keywords, "volcanoes,form,"));
		assert_null(strchr(s.scenes[i].keywords, ' '));
	}
	script_free(&s);
	/* a topic of stopwords only still has keywords */
	assert_int_equal(script_generate("What is it?", 30, 2, &s, NULL), 0);
	assert_string_equal(s.scenes[0].keywords, "what,is,it");
	script_free(&s);
}

/* ---- validation ------------------------------------------------------------ */

static void test_topic_validation(void **state)
{
	(void)state;
	struct script s;
	struct aura_error err;
	const char *bad[] = {
		"", "   ", " \t\n\r ", "!!! ???", "\xF0\x9F\x9A\x80", "bad \xC3( utf8"
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		aura_error_clear(&err);
		assert_int_equal(script_generate(bad[i], 30, 0, &s, &err), -AURA_E_TOPIC_INVALID);
		assert_int_equal(err.code, AURA_E_TOPIC_INVALID);
		assert_true(strlen(err.detail) > 0);
		assert_int_equal(s.n, 0);
		assert_null(s.scenes);
	}
	assert_int_equal(script_generate(NULL, 30, 0, &s, &err), -AURA_E_TOPIC_INVALID);

	/* 200 characters is fine (even when they are 400 bytes), 201 is not */
	struct buf t;
	buf_init(&t);
	for (int i = 0; i < 200; i++)
		buf_puts(&t, "\xC3\xA9");
	assert_int_equal(script_generate(t.data, 30, 0, &s, &err), 0);
	script_free(&s);
	buf_puts(&t, "x");
	assert_int_equal(script_generate(t.data, 30, 0, &s, &err), -AURA_E_TOPIC_INVALID);
	assert_non_null(strstr(err.detail, "201"));
	buf_free(&t);

	/* durations outside the writer's range are usage errors */
	assert_int_equal(script_generate("bees", SCRIPT_DURATION_MIN - 1, 0, &s, &err),
			 -AURA_E_USAGE);
	assert_int_equal(script_generate("bees", SCRIPT_DURATION_MAX + 1, 0, &s, &err),
			 -AURA_E_USAGE);
	assert_int_equal(script_generate("bees", -30, 0, &s, &err), -AURA_E_USAGE);

	/* the catalogue entry exists and is a usage-class error */
	assert_int_equal(aura_error_exit(AURA_E_TOPIC_INVALID), 2);
	assert_int_equal(aura_error_lookup("TOPIC_INVALID"), AURA_E_TOPIC_INVALID);
	assert_int_equal(aura_error_lookup("SCRIPT_INVALID"), AURA_E_SCRIPT_INVALID);
}

/* ---- user scripts ---------------------------------------------------------- */

static void test_parse_paragraphs_and_headings(void **state)
{
	(void)state;
	struct script s;
	struct aura_error err;
	const char *text = "# Welcome\n"
			   "Bees are small.\n"
			   "They are also busy.\n"
			   "\n"
			   "\n"
			   "   \t \n"
			   "A paragraph without a heading gets one from its first words, cut to "
			   "size.\n"
			   "\n"
			   "## Second level works too\n"
			   "Text.\n"
			   "#hashtag is not a heading\n"
			   "\n"
			   "# A heading alone\n"
			   "\n"
			   "names the paragraph after it.\n"
			   "# Inline heading\n"
			   "starts a new scene.\n";
	assert_int_equal(script_parse(text, &s, &err), 0);
	assert_int_equal(s.n, 5);
	assert_string_equal(s.title, "Welcome");
	assert_string_equal(s.scenes[0].heading, "Welcome");
	assert_string_equal(s.scenes[0].narration, "Bees are small. They are also busy.");
	assert_string_equal(s.scenes[1].heading, "A paragraph without a heading gets\xE2\x80\xA6");
	assert_string_equal(s.scenes[1].narration,
			    "A paragraph without a heading gets one from its first words, cut to "
			    "size.");
	assert_string_equal(s.scenes[2].heading, "Second level works too");
	assert_string_equal(s.scenes[2].narration, "Text. #hashtag is not a heading");
	assert_string_equal(s.scenes[3].heading, "A heading alone");
	assert_string_equal(s.scenes[3].narration, "names the paragraph after it.");
	assert_string_equal(s.scenes[4].heading, "Inline heading");
	assert_string_equal(s.scenes[4].narration, "starts a new scene.");
	assert_string_equal(s.scenes[0].keywords, "welcome,bees,small,busy");
	script_free(&s);

	/* a first sentence short enough is the heading, without its stop */
	assert_int_equal(script_parse("Tides rise. The moon pulls the sea.", &s, &err), 0);
	assert_string_equal(s.scenes[0].heading, "Tides rise");
	script_free(&s);
}

static void test_parse_crlf_bom_utf8(void **state)
{
	(void)state;
	struct script s;
	const char *text =
	    "\xEF\xBB\xBF# \xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7\r\n"    /* مرحبا */
	    "\xE4\xBD\xA0\xE5\xA5\xBD\xEF\xBC\x8C\xE4\xB8\x96\xE7\x95\x8C " /* 你好，世界 */
	    "\xF0\x9F\x8C\x8D \"quotes\" 'single' {braces} [x]; 100%\r\n"
	    "\r\n"
	    "second\rscene line\r\n";
	assert_int_equal(script_parse(text, &s, NULL), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.scenes[0].heading, "\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7");
	assert_string_equal(s.scenes[0].narration,
			    "\xE4\xBD\xA0\xE5\xA5\xBD\xEF\xBC\x8C\xE4\xB8\x96\xE7\x95\x8C "
			    "\xF0\x9F\x8C\x8D \"quotes\" 'single' {braces} [x]; 100%");
	/* a lone CR ends a line too */
	assert_string_equal(s.scenes[1].narration, "second scene line");
	for (int i = 0; i < s.n; i++)
		assert_null(strchr(s.scenes[i].narration, '\r'));
	script_free(&s);

	/* CRLF is one line break, not a blank line between two lines */
	assert_int_equal(script_parse("line one\r\nline two\r\n\r\nnext\r\n", &s, NULL), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.scenes[0].narration, "line one line two");
	assert_string_equal(s.scenes[1].narration, "next");
	script_free(&s);
	/* and errors name the line as an editor would, whatever the breaks */
	struct aura_error err;
	assert_int_equal(script_parse("a\r\nb\r\n\r\nc \xFF\r\n", &s, &err),
			 -AURA_E_SCRIPT_INVALID);
	assert_non_null(strstr(err.detail, "line 4"));
	assert_int_equal(script_parse("a\rb\r\rc \xFF\r", &s, &err), -AURA_E_SCRIPT_INVALID);
	assert_non_null(strstr(err.detail, "line 4"));
}

static void test_parse_errors(void **state)
{
	(void)state;
	struct script s;
	struct aura_error err;
	const char *bad[] = { "", "\n\n  \n\t\n", "\xEF\xBB\xBF", "# Only a heading\n",
			      "Fine.\n\n# Dangling\n\n# Next\nText.\n" };
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		assert_int_equal(script_parse(bad[i], &s, &err), -AURA_E_SCRIPT_INVALID);
		assert_int_equal(s.n, 0);
	}
	assert_non_null(strstr(err.detail, "line 3"));
	assert_non_null(strstr(err.detail, "Dangling"));
	assert_int_equal(script_parse(NULL, &s, &err), -AURA_E_SCRIPT_INVALID);

	/* invalid UTF-8 is refused, naming the line */
	assert_int_equal(script_parse("ok\n\nstill ok\nbad \xFF here\n", &s, &err),
			 -AURA_E_SCRIPT_INVALID);
	assert_non_null(strstr(err.detail, "line 4"));

	/* 50 scenes are fine, 51 are not */
	struct buf t;
	buf_init(&t);
	for (int i = 0; i < 50; i++)
		buf_printf(&t, "Scene number %d.\n\n", i + 1);
	assert_int_equal(script_parse(t.data, &s, &err), 0);
	assert_int_equal(s.n, 50);
	assert_string_equal(s.scenes[49].narration, "Scene number 50.");
	script_free(&s);
	buf_puts(&t, "One too many.\n");
	assert_int_equal(script_parse(t.data, &s, &err), -AURA_E_SCRIPT_INVALID);
	assert_non_null(strstr(err.detail, "51"));
	assert_int_equal(s.n, 0);
	buf_free(&t);
}

/* ---- JSON ------------------------------------------------------------------ */

static void test_json_round_trip(void **state)
{
	(void)state;
	struct script a, b;
	assert_int_equal(script_generate("the history of coffee", 300, 9, &a, NULL), 0);
	char *ja = script_to_json(&a);
	assert_int_equal(script_from_json(ja, &b, NULL), 0);
	assert_int_equal(b.n, a.n);
	assert_string_equal(b.title, a.title);
	for (int i = 0; i < a.n; i++) {
		assert_string_equal(b.scenes[i].heading, a.scenes[i].heading);
		assert_string_equal(b.scenes[i].narration, a.scenes[i].narration);
		assert_string_equal(b.scenes[i].keywords, a.scenes[i].keywords);
	}
	char *jb = script_to_json(&b);
	assert_string_equal(ja, jb);
	free(ja);
	free(jb);
	script_free(&a);
	script_free(&b);

	/* user text with quotes, backslashes and non-Latin scripts survives */
	assert_int_equal(
	    script_parse("# \"Q\" \\ \xF0\x9F\x98\x80\nna\xC3\xAFve \\n \"x\"", &a, NULL), 0);
	ja = script_to_json(&a);
	assert_int_equal(script_from_json(ja, &b, NULL), 0);
	assert_string_equal(b.scenes[0].heading, "\"Q\" \\ \xF0\x9F\x98\x80");
	assert_string_equal(b.scenes[0].narration, "na\xC3\xAFve \\n \"x\"");
	free(ja);
	script_free(&a);
	script_free(&b);
}

static void test_json_lenient_and_strict(void **state)
{
	(void)state;
	struct script s;
	struct aura_error err;
	/* keywords as one string; heading and title may be missing */
	assert_int_equal(script_from_json("{\"scenes\":[{\"narration\":\"Hello world.\","
					  "\"keywords\":\" a , b,,c \"}]}",
					  &s, &err),
			 0);
	assert_string_equal(s.scenes[0].keywords, "a,b,c");
	assert_string_equal(s.scenes[0].heading, "Hello world");
	assert_string_equal(s.title, "Hello world");
	script_free(&s);

	const char *bad[] = {
		"",
		"not json",
		"[]",
		"{\"scenes\":[]}",
		"{\"scenes\":{}}",
		"{\"scenes\":[{\"heading\":\"h\"}]}",
		"{\"scenes\":[{\"narration\":\"  \"}]}",
		"{\"scenes\":[{\"narration\":5}]}",
		"{\"scenes\":[\"text\"]}",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		aura_error_clear(&err);
		assert_int_equal(script_from_json(bad[i], &s, &err), -AURA_E_SCRIPT_INVALID);
		assert_int_equal(err.code, AURA_E_SCRIPT_INVALID);
		assert_int_equal(s.n, 0);
	}
	struct buf t;
	buf_init(&t);
	buf_puts(&t, "{\"scenes\":[");
	for (int i = 0; i < 51; i++)
		buf_printf(&t, "%s{\"narration\":\"n\"}", i ? "," : "");
	buf_puts(&t, "]}");
	assert_int_equal(script_from_json(t.data, &s, &err), -AURA_E_SCRIPT_INVALID);
	buf_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_word_count_within_bounds),
		cmocka_unit_test(test_scene_count),
		cmocka_unit_test(test_deterministic_and_seeded),
		cmocka_unit_test(test_opening_body_close),
		cmocka_unit_test(test_body_angles),
		cmocka_unit_test(test_long_and_question_topics),
		cmocka_unit_test(test_topic_is_text_not_template),
		cmocka_unit_test(test_keywords),
		cmocka_unit_test(test_topic_validation),
		cmocka_unit_test(test_parse_paragraphs_and_headings),
		cmocka_unit_test(test_parse_crlf_bom_utf8),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_json_lenient_and_strict),
	};
	return cmocka_run_group_tests_name("script", tests, NULL, NULL);
}
