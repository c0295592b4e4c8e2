/*
 * test-pipeline.c -- the video pipeline's pure parts: the `new` spec
 * (validation with the catalogue's codes, defaults, round trip), voices,
 * the topic of a --script without one, output names (slug, never
 * overwrite, -o forms), the --images listing,
 * the timeline plan (frames, padding to the duration, crossfades), the
 * script's sizing for a voice, and the readers of ebur128's summary and
 * of ffprobe's answer that verify trusts.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/utf8.h"
#include "video/stage.h"
#include "video/vspec.h"

static char tmpdir[64];

static void touch(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs("x", f);
	fclose(f);
	free(p);
}

static int spec_code(const char *json)
{
	struct vspec s;
	struct aura_error err = { 0 };
	vspec_init(&s, NULL);
	int rc = vspec_from_text(&s, json, &err);
	vspec_free(&s);
	return rc < 0 ? -rc : 0;
}

/* ---- the spec ------------------------------------------------------------------ */

/* A request naming a style no aura.ini has is refused, even when it carries
 * every key of a look; a stored spec like it reads (its style left aura.ini
 * after the job was made: its keys are the look). */
static void test_spec_style_unknown(void **state)
{
	(void)state;
	struct vspec s;
	struct aura_error err = { 0 };
	vspec_init(&s, NULL);
	s.topic = xstrdup("volcanoes");
	json_t *params = vspec_to_json(&s);
	vspec_free(&s);
	json_object_set_new(json_object_get(params, "options"), "style", json_string("gone"));
	vspec_init(&s, NULL);
	assert_int_equal(vspec_from_json(&s, params, &err), -AURA_E_STYLE_UNKNOWN);
	vspec_free(&s);
	char *text = json_dumps(params, 0);
	vspec_init(&s, NULL);
	assert_int_equal(vspec_from_text(&s, text, &err), 0);
	assert_string_equal(s.look.name, "gone");
	vspec_free(&s);
	free(text);
	/* without all its keys, even a stored spec needs its style */
	json_object_del(json_object_get(params, "options"), "headings");
	text = json_dumps(params, 0);
	assert_int_equal(spec_code(text), AURA_E_STYLE_UNKNOWN);
	free(text);
	json_decref(params);
}

static void test_spec_defaults_and_values(void **state)
{
	(void)state;
	struct aura_config cfg;
	config_defaults(&cfg);
	struct vspec s;
	struct aura_error err = { 0 };
	vspec_init(&s, &cfg);
	assert_int_equal(s.duration, 30);
	assert_string_equal(s.preset->name, "landscape-720p");
	assert_int_equal(s.voice.provider, VOICE_FLITE);
	assert_string_equal(s.voice.name, "slt");
	assert_int_equal(s.captions, VSPEC_CAPTIONS_BURN | VSPEC_CAPTIONS_SRT);
	assert_int_equal(vspec_from_text(&s,
					 "{\"topic\":\"how volcanoes work\",\"cwd\":\"/tmp\","
					 "\"options\":{\"duration\":12,\"preset\":\"draft-480p\","
					 "\"voice\":\"flite:kal\",\"captions\":\"srt\",\"seed\":7,"
					 "\"priority\":-3,\"output\":\"/tmp/x.mp4\"}}",
					 &err),
			 0);
	assert_int_equal(s.duration, 12);
	assert_string_equal(s.preset->name, "draft-480p");
	assert_string_equal(s.voice.name, "kal");
	assert_int_equal(s.captions, VSPEC_CAPTIONS_SRT);
	assert_int_equal(s.seed, 7);
	assert_int_equal(s.priority, -3);
	assert_string_equal(s.output, "/tmp/x.mp4");
	assert_string_equal(s.cwd, "/tmp");

	/* round trip through the request's JSON */
	json_t *params = vspec_to_json(&s);
	struct vspec t;
	vspec_init(&t, NULL);
	assert_int_equal(vspec_from_json(&t, params, &err), 0);
	assert_string_equal(t.topic, s.topic);
	assert_int_equal(t.duration, 12);
	assert_string_equal(t.preset->name, "draft-480p");
	assert_string_equal(t.voice.name, "kal");
	assert_int_equal(t.captions, VSPEC_CAPTIONS_SRT);
	assert_int_equal(t.seed, 7);
	assert_int_equal(t.priority, -3);
	json_decref(params);
	vspec_free(&t);
	vspec_free(&s);
	config_free(&cfg);
}

static void test_spec_errors(void **state)
{
	(void)state;
	assert_int_equal(spec_code("{\"topic\":\"\"}"), AURA_E_TOPIC_INVALID);
	assert_int_equal(spec_code("{\"topic\":\"   \"}"), AURA_E_TOPIC_INVALID);
	assert_int_equal(spec_code("{}"), AURA_E_TOPIC_INVALID);
	char *longt = xcalloc(1, 260);
	memset(longt, 'a', 201);
	char *json = xasprintf("{\"topic\":\"%s\"}", longt);
	assert_int_equal(spec_code(json), AURA_E_TOPIC_INVALID);
	free(json);
	memset(longt, 0, 260);
	memset(longt, 'a', 200);
	json = xasprintf("{\"topic\":\"%s\"}", longt);
	assert_int_equal(spec_code(json), 0);
	free(json);
	free(longt);
	assert_int_equal(spec_code("{\"topic\":\"x\",\"options\":{\"duration\":4}}"),
			 AURA_E_DURATION_INVALID);
	assert_int_equal(spec_code("{\"topic\":\"x\",\"options\":{\"duration\":1801}}"),
			 AURA_E_DURATION_INVALID);
	assert_int_equal(spec_code("{\"topic\":\"x\",\"options\":{\"duration\":5}}"), 0);
	assert_int_equal(spec_code("{\"topic\":\"x\",\"options\":{\"duration\":1800}}"), 0);
	assert_int_equal(spec_code("{\"topic\":\"x\",\"options\":{\"duration\":\"30\"}}"),
			 AURA_E_DURATION_INVALID);
	assert_int_equal(spec_code("{\"topic\":\"x\",\"options\":{\"preset\":\"8k\"}}"),
			 AURA_E_PRESET_UNKNOWN);
	assert_int_equal(spec_code("{\"topic\":\"x\",\"options\":{\"voice\":\"flite:bob\"}}"),
			 AURA_E_VOICE_UNKNOWN);
	assert_int_equal(spec_code("{\"topic\":\"x\",\"options\":{\"voice\":\"sam\"}}"),
			 AURA_E_VOICE_UNKNOWN);
	assert_int_equal(spec_code("{\"topic\":\"x\",\"options\":{\"captions\":\"yes\"}}"),
			 AURA_E_USAGE);
	assert_int_equal(spec_code("{\"topic\":\"x\",\"options\":{\"output\":\"rel.mp4\"}}"),
			 AURA_E_USAGE);
	assert_int_equal(spec_code("{\"topic\":\"x\",\"options\":{\"images\":\"pics\"}}"),
			 AURA_E_USAGE);
	assert_int_equal(spec_code("{\"topic\":\"x\",\"options\":{\"durration\":30}}"),
			 AURA_E_USAGE);
	assert_int_equal(spec_code("{\"topic\":\"x\",\"options\":{\"seed\":-1}}"), AURA_E_USAGE);
	assert_int_equal(spec_code("{\"topic\":\"x\",\"options\":{\"script\":\"\"}}"),
			 AURA_E_SCRIPT_INVALID);
	assert_int_equal(spec_code("{\"topic\":\"x\",\"options\":{\"script\":\"# A\\nSay it.\"}}"),
			 0);
	assert_int_equal(spec_code("{\"topic\":\"x\",\"cwd\":\"here\"}"), AURA_E_USAGE);
	/* what the TUI's form sends */
	assert_int_equal(spec_code("{\"topic\":\"bees\",\"options\":{\"duration\":30,\"preset\":"
				   "\"landscape-720p\",\"voice\":\"flite:slt\",\"captions\":"
				   "\"both\",\"output\":\"/tmp/b.mp4\"},\"cwd\":\"/tmp\"}"),
			 0);
}

static void test_voices(void **state)
{
	(void)state;
	struct voice_choice v;
	struct aura_error err = { 0 };
	assert_int_equal(voice_parse("flite", NULL, &v, &err), 0);
	assert_string_equal(v.name, "slt");
	char *t = voice_choice_text(&v);
	assert_string_equal(t, "flite:slt");
	free(t);
	voice_choice_free(&v);
	const char *ok[] = { "flite:slt",    "flite:kal", "flite:awb",
			     "flite:rms",    "espeak",	  "espeak:en-us",
			     "espeak-ng:fr", "piper",	  "piper:/m/a.onnx" };
	for (size_t i = 0; i < ARRAY_LEN(ok); i++) {
		assert_int_equal(voice_parse(ok[i], NULL, &v, &err), 0);
		voice_choice_free(&v);
	}
	const char *bad[] = { "",	    "flite:",	  "flite:SLT",	    "espeak:a b",
			      "espeak:x;y", "openai:a b", "elevenlabs:x;y", "festival" };
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		int rc = voice_parse(bad[i], NULL, &v, &err);
		if (strcmp(bad[i], "flite:") == 0) {
			/* an empty voice is the default */
			assert_int_equal(rc, 0);
			voice_choice_free(&v);
			continue;
		}
		assert_int_equal(rc, -AURA_E_VOICE_UNKNOWN);
	}
	/* online voices: the provider's [section] voice when none is named */
	assert_int_equal(voice_parse("openai:nova", NULL, &v, &err), 0);
	assert_int_equal(v.provider, VOICE_OPENAI);
	char *text = voice_choice_text(&v);
	assert_string_equal(text, "openai:nova");
	free(text);
	voice_choice_free(&v);
	assert_int_equal(voice_parse("elevenlabs", NULL, &v, &err), 0);
	assert_int_equal(v.provider, VOICE_ELEVENLABS);
	assert_null(v.name);
	text = voice_choice_text(&v);
	assert_string_equal(text, "elevenlabs");
	free(text);
	voice_choice_free(&v);
	/* espeak's default voice and piper's model from the config */
	struct aura_config cfg;
	config_defaults(&cfg);
	free(cfg.piper_model);
	cfg.piper_model = xstrdup("/nonexistent/voice.onnx");
	assert_int_equal(voice_parse("piper", &cfg, &v, &err), 0);
	assert_string_equal(v.name, "/nonexistent/voice.onnx");
	char *prog;
	assert_int_equal(voice_check(&v, &cfg, &prog, &err), -AURA_E_VOICE_UNAVAILABLE);
	assert_null(prog);
	voice_choice_free(&v);
	assert_int_equal(voice_parse("espeak", &cfg, &v, &err), 0);
	assert_string_equal(v.name, "en");
	voice_choice_free(&v);
	assert_int_equal(voice_parse("flite:rms", &cfg, &v, &err), 0);
	assert_int_equal(voice_check(&v, &cfg, &prog, &err), 0);
	assert_null(prog);
	assert_true(voice_words_per_minute(&v) > 150);
	voice_choice_free(&v);
	config_free(&cfg);
}

/* ---- names ------------------------------------------------------------------- */

/* --lang and [video] lang: 2-3 letters, an optional region */
static void test_lang(void **state)
{
	(void)state;
	struct aura_error err = { 0 };
	const char *good[] = { "en", "de", "fil", "pt-BR", "pt_br", "es-419", "EN" };
	const char *bad[] = { "",      "e",	"engl", "de-",	   "de-D", "de-DEU",
			      "es-41", "de DE", "d3",	"en-GB-x", "../x", "es-4x9" };
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		assert_int_equal(vspec_lang_check(good[i], &err), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(vspec_lang_check(bad[i], &err), -AURA_E_LANG_INVALID);
	assert_int_equal(vspec_lang_check(NULL, &err), -AURA_E_LANG_INVALID);
	assert_true(vspec_lang_english("en"));
	assert_true(vspec_lang_english("en-GB"));
	assert_true(vspec_lang_english(NULL));
	assert_false(vspec_lang_english("de"));
	assert_false(vspec_lang_english("eng-x"));

	/* in the spec: the default, a value, the round trip, the refusals */
	struct vspec s;
	vspec_init(&s, NULL);
	assert_string_equal(s.lang, "en");
	assert_true(s.voice_speed == 1.0 && s.voice_volume == 0.0);
	assert_int_equal(vspec_from_text(&s,
					 "{\"topic\":\"x\",\"options\":{\"lang\":\"de\","
					 "\"voice_speed\":1.5,\"voice_volume\":-6}}",
					 &err),
			 0);
	json_t *params = vspec_to_json(&s);
	struct vspec t;
	vspec_init(&t, NULL);
	assert_int_equal(vspec_from_json(&t, params, &err), 0);
	assert_string_equal(t.lang, "de");
	assert_true(t.voice_speed == 1.5 && t.voice_volume == -6.0);
	json_decref(params);
	vspec_free(&t);
	vspec_free(&s);
	assert_int_equal(spec_code("{\"topic\":\"x\",\"options\":{\"lang\":\"german\"}}"),
			 AURA_E_LANG_INVALID);
	assert_int_equal(spec_code("{\"topic\":\"x\",\"options\":{\"voice_speed\":2.5}}"),
			 AURA_E_USAGE);
	assert_int_equal(spec_code("{\"topic\":\"x\",\"options\":{\"voice_volume\":-21}}"),
			 AURA_E_USAGE);
	assert_int_equal(spec_code("{\"topic\":\"x\",\"options\":{\"voice_speed\":\"1\"}}"),
			 AURA_E_USAGE);
}

static void test_topic_from_script(void **state)
{
	(void)state;
	char *t = vspec_topic_from_script("\xEF\xBB\xBFIntro line\n\n##  How bees work  \r\n"
					  "text\n# Later\n",
					  "/x/y.txt");
	assert_string_equal(t, "How bees work");
	free(t);
	/* #hashtag is not a heading: the file's name, '-' and '_' as spaces */
	t = vspec_topic_from_script("#hashtag only\nwords\n", "/x/how-bees_work.md");
	assert_string_equal(t, "how bees work");
	free(t);
	/* a heading that is no topic (only punctuation) gives way to the name */
	t = vspec_topic_from_script("# ?!...\nwords\n", "notes");
	assert_string_equal(t, "notes");
	free(t);
	assert_null(vspec_topic_from_script("words\n", "/x/!!!.txt"));
	assert_null(vspec_topic_from_script("", NULL));
}

static void test_slug(void **state)
{
	(void)state;
	struct {
		const char *in, *want;
	} cases[] = {
		{ "How volcanoes work", "how-volcanoes-work" },
		{ "  Why is the sky blue?  ", "why-is-the-sky-blue" },
		{ "It's 100% C: a/b\\c", "its-100-c-a-b-c" },
		{ "火山 🌋", "火山" },
		{ "café au lait", "café-au-lait" },
		{ "Ça va? Über café", "Ça-va-Über-café" },
		{ "東京の夜", "東京の夜" },
		{ "🌋🎉 party 👩‍👩‍👧", "party" },
		{ "🌋🎉", "video" },
		{ "l’été, à Paris!", "lété-à-paris" },
		{ "«Привет» мир", "Привет-мир" },
		{ "$(rm -rf ~)`x`;a&b|c<d>e*f?g[h]\"i\"", "rm-rf-x-a-b-c-d-e-f-g-h-i" },
		{ "\xff\xfe"
		  "bad",
		  "bad" },
		{ "'quoted'", "quoted" },
		{ "", "video" },
		{ "--x--", "x" },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *s = vspec_slug(cases[i].in);
		assert_string_equal(s, cases[i].want);
		free(s);
	}
	/* long topics are cut at a dash, within 60 bytes */
	char *s = vspec_slug("the quick brown fox jumps over the lazy dog and keeps on "
			     "running far away");
	assert_true(strlen(s) <= 60);
	assert_true(s[strlen(s) - 1] != '-');
	assert_string_equal(s, "the-quick-brown-fox-jumps-over-the-lazy-dog-and-keeps-on");
	free(s);
	/* one long word of 3-byte characters is cut on a character's start */
	s = vspec_slug(
	    "東京東京東京東京東京東京東京東京東京東京東京東京東京東京東京東京東京東京東京東京東京");
	assert_true(strlen(s) <= 60);
	assert_int_equal(strlen(s) % 3, 0);
	assert_true(utf8_valid(s, NULL));
	free(s);
	s = vspec_slug("a東京東京東京東京東京東京東京東京東京東京東京東京東京東京東京東京東京東京東"
		       "京東京東京");
	assert_true(strlen(s) <= 60);
	assert_true(utf8_valid(s, NULL));
	free(s);
}

static void test_free_output_never_overwrites(void **state)
{
	(void)state;
	char *p = vspec_free_output(tmpdir, "talk", true);
	char *want = xasprintf("%s/talk.mp4", tmpdir);
	assert_string_equal(p, want);
	free(p);
	free(want);
	touch(tmpdir, "talk.mp4");
	p = vspec_free_output(tmpdir, "talk", true);
	want = xasprintf("%s/talk-1.mp4", tmpdir);
	assert_string_equal(p, want);
	free(p);
	free(want);
	/* the captions' name counts when they are written, and a .part too */
	touch(tmpdir, "talk-1.srt");
	touch(tmpdir, "talk-2.part.mp4");
	p = vspec_free_output(tmpdir, "talk", true);
	want = xasprintf("%s/talk-3.mp4", tmpdir);
	assert_string_equal(p, want);
	free(p);
	free(want);
	p = vspec_free_output(tmpdir, "talk", false);
	want = xasprintf("%s/talk-1.mp4", tmpdir);
	assert_string_equal(p, want);
	free(p);
	free(want);
}

static void test_output_path_forms(void **state)
{
	(void)state;
	char *p = vspec_output_path("clip", "/home/u", "x", true);
	assert_string_equal(p, "/home/u/clip.mp4");
	free(p);
	p = vspec_output_path("/a/b.MP4", "/home/u", "x", true);
	assert_string_equal(p, "/a/b.MP4");
	free(p);
	p = vspec_output_path("sub/v.mp4", "/home/u", "x", true);
	assert_string_equal(p, "/home/u/sub/v.mp4");
	free(p);
	/* a directory gets the topic's name inside */
	p = vspec_output_path(tmpdir, "/", "Fresh Topic", true);
	char *want = xasprintf("%s/fresh-topic.mp4", tmpdir);
	assert_string_equal(p, want);
	free(p);
	free(want);
}

static void test_images_listing(void **state)
{
	(void)state;
	char *dir = xasprintf("%s/imgs", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	char **files;
	int n;
	struct aura_error err = { 0 };
	assert_int_equal(vspec_list_images(dir, &files, &n, &err), -AURA_E_INPUT_UNREADABLE);
	touch(dir, "b.PNG");
	touch(dir, "a.jpg");
	touch(dir, "c.mp4");
	touch(dir, "notes.txt");
	touch(dir, ".hidden.png");
	touch(dir, "d.jpeg");
	assert_int_equal(vspec_list_images(dir, &files, &n, &err), 0);
	assert_int_equal(n, 4);
	assert_true(strstr(files[0], "/a.jpg") != NULL);
	assert_true(strstr(files[1], "/b.PNG") != NULL);
	assert_true(strstr(files[2], "/c.mp4") != NULL);
	assert_true(strstr(files[3], "/d.jpeg") != NULL);
	assert_null(files[4]);
	assert_true(vspec_is_video_file(files[2]));
	assert_false(vspec_is_video_file(files[0]));
	vspec_files_free(files);
	char *missing = xasprintf("%s/none", tmpdir);
	assert_int_equal(vspec_list_images(missing, &files, &n, &err), -AURA_E_INPUT_UNREADABLE);
	free(missing);
	free(dir);
}

/* ---- the plan ------------------------------------------------------------------ */

static void test_plan_frames_and_gaps(void **state)
{
	(void)state;
	struct vscene s[3];
	memset(s, 0, sizeof(s));
	s[0].window_us = 1500000; /* the audio rules when longer */
	s[0].audio_us = 2000000;  /* 60 frames */
	s[1].audio_us = 1000001;  /* 30.00003 frames: 31 */
	s[2].audio_us = 200000;	  /* 6 frames: held to the 1 s minimum */
	int xf;
	int total = vplan_compute(s, 3, 400, 0, 500, &xf);
	assert_int_equal(s[0].frames, 60 + 12);
	assert_int_equal(s[1].frames, 31 + 12);
	assert_int_equal(s[2].frames, SCENE_MIN_FRAMES);
	assert_int_equal(s[0].start_frame, 0);
	assert_int_equal(s[1].start_frame, 72);
	assert_int_equal(s[2].start_frame, 72 + 43);
	assert_int_equal(total, 72 + 43 + 30);
	assert_int_equal(xf, 10); /* a third of the shortest scene */
	/* every scene's audio fits inside it */
	for (int i = 0; i < 3; i++)
		assert_true((int64_t)s[i].frames * 1000000 / VIDEO_FPS >= s[i].audio_us);

	/* a scene whose captions need longer than its audio lasts for them */
	s[1].window_us = 3000000;
	total = vplan_compute(s, 3, 400, 0, 500, &xf);
	assert_int_equal(s[1].frames, 90 + 12);
	s[1].window_us = 0;

	/* the style's transition length: 300 ms is 9 frames; 0 (none) a cut */
	int before = vplan_compute(s, 3, 400, 0, 500, &xf);
	assert_int_equal(xf, 10); /* held to a third of the shortest */
	assert_int_equal(vplan_compute(s, 3, 400, 0, 300, &xf), before);
	assert_int_equal(xf, 9);
	assert_int_equal(vplan_compute(s, 3, 400, 0, 0, &xf), before);
	assert_int_equal(xf, 0);

	/* one scene: no crossfade */
	total = vplan_compute(s, 1, 0, 0, 500, &xf);
	assert_int_equal(xf, 0);
	assert_int_equal(total, 60);
}

static void test_plan_pads_to_duration(void **state)
{
	(void)state;
	struct vscene s[4];
	memset(s, 0, sizeof(s));
	for (int i = 0; i < 4; i++)
		s[i].audio_us = 5000000;
	int xf;
	/* 4 x (150 + 12) = 648 frames, 21.6 s; asked 25 s: 102 frames more */
	int total = vplan_compute(s, 4, 400, 25, 500, &xf);
	assert_int_equal(total, 750);
	assert_int_equal(s[0].frames, 162 + 26);
	assert_int_equal(s[3].frames, 162 + 25);
	assert_int_equal(xf, XFADE_FRAMES);
	/* but never more than SCENE_PAD_MAX a scene */
	total = vplan_compute(s, 4, 400, 60, 500, &xf);
	assert_int_equal(total, 648 + 4 * SCENE_PAD_MAX);
	/* and never shortened to it */
	total = vplan_compute(s, 4, 400, 10, 500, &xf);
	assert_int_equal(total, 648);
}

static void test_script_seconds_and_reading(void **state)
{
	(void)state;
	assert_int_equal(vjob_script_seconds(30, 150, 0), 30);
	assert_int_equal(vjob_script_seconds(30, 194, 0), 39);
	/* 3 scenes of 30 s lose 3 x 0.4 s to pauses: 28.8 s of speech */
	assert_int_equal(vjob_script_seconds(30, 150, 400), 29);
	assert_int_equal(vjob_script_seconds(30, 194, 400), 37);
	/* 6 scenes in a minute: 57.6 s of speech at 194 words a minute */
	assert_int_equal(vjob_script_seconds(60, 194, 400), 74);
	assert_int_equal(vjob_script_seconds(5, 100, 400), 5); /* the writer's floor */
	assert_int_equal(vjob_script_seconds(1800, 194, 400), 1800);
	assert_int_equal(vjob_script_seconds(60, 0, 0), 60);
	assert_int_equal(vplan_reading_us(""), 2000000);
	/* English speech covers its text; a voice that skipped most of it
	 * leaves the captions their reading time */
	assert_int_equal(vplan_window_us(3000000, "Short English text."), 3000000);
	assert_int_equal(vplan_window_us(500000, "火山是如何运作的火山是如何运作的 then words"),
			 43 * 60000);
	assert_int_equal(vplan_reading_us("火山火山火山火山火山火山火山火山火山火山"), 40 * 60000);
}

/* ---- readers ------------------------------------------------------------------ */

static const char ebur_tail[] =
    "[Parsed_ebur128_1 @ 0x55] t: 99.4 TARGET:-23 LUFS M: -20.6 S: -17.3 I: -17.2 LUFS\n"
    "[Parsed_ebur128_1 @ 0x55] Summary:\n\n"
    "  Integrated loudness:\n    I:         -17.2 LUFS\n    Threshold: -27.2 LUFS\n\n"
    "  Loudness range:\n    LRA:         1.7 LU\n    Threshold: -37.3 LUFS\n"
    "    LRA low:   -18.1 LUFS\n    LRA high:  -16.4 LUFS\n\n"
    "  True peak:\n    Peak:       -6.0 dBFS\n";

static void test_ebur128_summary(void **state)
{
	(void)state;
	double i, p;
	assert_int_equal(render_parse_ebur128(ebur_tail, &i, &p), 0);
	assert_true(i > -17.21 && i < -17.19);
	assert_true(p > -6.01 && p < -5.99);
	assert_int_equal(render_parse_ebur128("no summary here\n", &i, &p), -1);
	assert_int_equal(render_parse_ebur128(NULL, &i, &p), -1);
	/* silence: -70 LUFS and -inf peak still parse */
	assert_int_equal(render_parse_ebur128("Integrated loudness:\n I: -70.0 LUFS\n"
					      "True peak:\n Peak: -inf dBFS\n",
					      &i, &p),
			 0);
	assert_true(i < -69.9);
}

static const char probe_ok[] =
    "{\"streams\":[{\"index\":0,\"codec_name\":\"h264\",\"codec_type\":\"video\","
    "\"pix_fmt\":\"yuv420p\",\"r_frame_rate\":\"30/1\"},{\"index\":1,\"codec_name\":\"aac\","
    "\"codec_type\":\"audio\",\"sample_rate\":\"48000\",\"channels\":2}],"
    "\"format\":{\"duration\":\"6.042000\"}}";

static void test_verify_probe(void **state)
{
	(void)state;
	struct aura_error err = { 0 };
	assert_int_equal(probe_duration_us(probe_ok, strlen(probe_ok)), 6042000);
	assert_int_equal(verify_check_probe(probe_ok, strlen(probe_ok), 6000000, &err), 0);
	assert_int_equal(verify_check_probe(probe_ok, strlen(probe_ok), 6542000, &err), 0);
	assert_int_equal(verify_check_probe(probe_ok, strlen(probe_ok), 6543000, &err),
			 -AURA_E_VERIFY_FAILED);
	assert_non_null(strstr(err.detail, "6.042"));
	assert_int_equal(verify_check_probe(probe_ok, strlen(probe_ok), 5541000, &err),
			 -AURA_E_VERIFY_FAILED);

	const char *no_audio = "{\"streams\":[{\"codec_name\":\"h264\",\"codec_type\":\"video\","
			       "\"pix_fmt\":\"yuv420p\",\"r_frame_rate\":\"30/1\"}],"
			       "\"format\":{\"duration\":\"6.0\"}}";
	assert_int_equal(verify_check_probe(no_audio, strlen(no_audio), 6000000, &err),
			 -AURA_E_VERIFY_FAILED);
	assert_non_null(strstr(err.detail, "0 audio"));
	const char *two_video =
	    "{\"streams\":[{\"codec_name\":\"h264\",\"codec_type\":\"video\",\"pix_fmt\":"
	    "\"yuv420p\"},{\"codec_name\":\"h264\",\"codec_type\":\"video\",\"pix_fmt\":"
	    "\"yuv420p\"},{\"codec_name\":\"aac\",\"codec_type\":\"audio\",\"sample_rate\":"
	    "\"48000\",\"channels\":2}],\"format\":{\"duration\":\"6.0\"}}";
	assert_int_equal(verify_check_probe(two_video, strlen(two_video), 6000000, &err),
			 -AURA_E_VERIFY_FAILED);
	const char *yuv444 = "{\"streams\":[{\"codec_name\":\"h264\",\"codec_type\":\"video\","
			     "\"pix_fmt\":\"yuv444p\"},{\"codec_name\":\"aac\",\"codec_type\":"
			     "\"audio\",\"sample_rate\":\"48000\",\"channels\":2}],"
			     "\"format\":{\"duration\":\"6.0\"}}";
	assert_int_equal(verify_check_probe(yuv444, strlen(yuv444), 6000000, &err),
			 -AURA_E_VERIFY_FAILED);
	assert_int_equal(verify_check_probe("not json", 8, 6000000, &err), -AURA_E_VERIFY_FAILED);
	assert_int_equal(probe_duration_us("{\"format\":{}}", 13), 0);
	assert_int_equal(probe_duration_us("{\"format\":{\"duration\":\"N/A\"}}", 30), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/aura-tp.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int rm_made_files(const char *dir)
{
	/* the files the tests made, by name: nothing else is removed */
	char *sub = xasprintf("%s/imgs", dir);
	const char *names[] = { "a.jpg", "b.PNG", "c.mp4", "d.jpeg", "notes.txt", ".hidden.png" };
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		char *p = xasprintf("%s/%s", sub, names[i]);
		unlink(p);
		free(p);
	}
	rmdir(sub);
	free(sub);
	const char *top[] = { "talk.mp4", "talk-1.srt", "talk-2.part.mp4" };
	for (size_t i = 0; i < ARRAY_LEN(top); i++) {
		char *p = xasprintf("%s/%s", dir, top[i]);
		unlink(p);
		free(p);
	}
	return rmdir(dir);
}

static int teardown(void **state)
{
	(void)state;
	rm_made_files(tmpdir);
	return 0;
}

/* Light work in parts, one a lane: contiguous runs of scenes cut by
 * weight, every part a scene at least, every scene in one part. */
static void test_part_ranges(void **state)
{
	(void)state;
	static const struct {
		size_t w[8];
		int n, parts;
		int to[8]; /* each part's end; a part starts where the last ended */
	} cases[] = {
		{ { 1, 1, 1, 1, 1, 1, 1 }, 7, 2, { 4, 7 } }, /* equal scenes: 4 and 3 */
		{ { 90, 10, 10, 10 }, 4, 2, { 1, 4 } },	     /* a heavy first: alone */
		{ { 1, 1, 100 }, 3, 3, { 1, 2, 3 } },	     /* a heavy last: a scene each */
		/* scenes that weigh nothing (spoken online, not cards) still
		 * fall in a part; one part is all of them */
		{ { 0, 5, 0, 5, 0 }, 5, 2, { 2, 5 } },
		{ { 0, 5, 0, 5, 0 }, 5, 1, { 5 } },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		int start = 0;
		for (int p = 0; p < cases[c].parts; p++) {
			int from, to;
			vjob_part_range(cases[c].w, cases[c].n, p, cases[c].parts, &from, &to);
			assert_int_equal(from, start);
			assert_int_equal(to, cases[c].to[p]);
			start = to;
		}
		assert_int_equal(start, cases[c].n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_defaults_and_values),
		cmocka_unit_test(test_spec_errors),
		cmocka_unit_test(test_spec_style_unknown),
		cmocka_unit_test(test_voices),
		cmocka_unit_test(test_lang),
		cmocka_unit_test(test_topic_from_script),
		cmocka_unit_test(test_slug),
		cmocka_unit_test(test_free_output_never_overwrites),
		cmocka_unit_test(test_output_path_forms),
		cmocka_unit_test(test_images_listing),
		cmocka_unit_test(test_plan_frames_and_gaps),
		cmocka_unit_test(test_plan_pads_to_duration),
		cmocka_unit_test(test_script_seconds_and_reading),
		cmocka_unit_test(test_ebur128_summary),
		cmocka_unit_test(test_verify_probe),
		cmocka_unit_test(test_part_ranges),
	};
	return cmocka_run_group_tests_name("pipeline", tests, setup, teardown);
}
