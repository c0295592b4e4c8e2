/*
 * test-style.c -- styles (src/base/conf-style.c): the built-ins, [style
 * NAME] sections over a base, a built-in overridden key by key, bad
 * values with file:line, bases that loop or name nothing, the iterator.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/conf.h"
#include "base/util.h"

static int load_text(struct aura_config *cfg, const char *text, struct aura_error *err)
{
	char path[] = "/tmp/aura-test-style-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	aura_error_clear(err);
	int rc = config_load(cfg, path, true, err);
	unlink(path);
	return rc;
}

static void test_builtins(void **state)
{
	(void)state;
	struct aura_config c;
	config_defaults(&c);
	struct style_config s;
	assert_int_equal(config_style(&c, NULL, &s), 0);
	assert_string_equal(s.name, "clean");
	assert_int_equal(s.transition, STYLE_TRANS_FADE);
	assert_int_equal(s.transition_ms, 500);
	assert_true(s.ken_burns);
	assert_int_equal(s.ken_burns_strength, 10);
	assert_int_equal(s.headings, STYLE_HEADINGS_ON);
	assert_string_equal(s.caption_color, "#FFFFFF");
	assert_string_equal(s.caption_highlight, "");
	assert_true(s.voice_speed == 1.0 && s.voice_volume == 0.0);
	assert_int_equal(config_style(&c, "shorts", &s), 0);
	assert_int_equal(s.caption_position, STYLE_POS_CENTER);
	assert_string_equal(s.caption_highlight, "#FFD700");
	assert_int_equal(config_style(&c, "lecture", &s), 0);
	assert_int_equal(s.headings, STYLE_HEADINGS_SLIDES);
	assert_true(s.caption_box);
	assert_false(s.ken_burns);
	assert_int_equal(config_style(&c, "nope", &s), -1);
	assert_int_equal(config_style_count(&c), 3);
	assert_string_equal(config_style_name_at(&c, 2), "lecture");
	assert_null(config_style_name_at(&c, 3));
	assert_string_equal(config_style_xfade(STYLE_TRANS_WIPE), "wipeleft");
	assert_string_equal(config_style_xfade(STYLE_TRANS_SLIDE), "slideleft");
	assert_string_equal(config_style_xfade(STYLE_TRANS_NONE), "");
	config_free(&c);
}

static void test_sections(void **state)
{
	(void)state;
	struct aura_config c;
	struct aura_error err;
	config_defaults(&c);
	int rc = load_text(&c,
			   "[video]\nstyle = promo\n"
			   "[style promo]\nbase = mine\ntransition = wipe\n"
			   "[style mine]\nbase = shorts\ncaption_color = #00ff00\nducking = 20\n"
			   "[style lecture]\nken_burns = on\n"
			   "[style plain]\n",
			   &err);
	if (rc < 0)
		fail_msg("%s", err.detail);
	struct style_config s;
	assert_int_equal(config_style(&c, NULL, &s), 0);
	assert_string_equal(s.name, "promo");
	assert_string_equal(s.base, "mine");
	assert_int_equal(s.transition, STYLE_TRANS_WIPE);
	assert_string_equal(s.caption_color, "#00FF00");	/* from mine */
	assert_true(s.ducking == 20.0);				/* from mine */
	assert_int_equal(s.caption_position, STYLE_POS_CENTER); /* from shorts */
	assert_int_equal(config_style(&c, "lecture", &s), 0);
	assert_true(s.ken_burns);			     /* overridden */
	assert_int_equal(s.headings, STYLE_HEADINGS_SLIDES); /* the rest is lecture's */
	assert_true(s.caption_box);
	assert_int_equal(config_style(&c, "plain", &s), 0); /* default base clean */
	assert_int_equal(s.transition_ms, 500);
	/* built-ins first, then the sections not named like one */
	assert_int_equal(config_style_count(&c), 6);
	assert_string_equal(config_style_name_at(&c, 3), "promo");
	assert_string_equal(config_style_name_at(&c, 5), "plain");
	char *v = config_style_value_text(&s, 0);
	assert_string_equal(v, "");
	free(v);

	static const struct {
		const char *text, *want;
		int code;
	} bad[] = {
		{ "[style x]\ncaption_color = red\n",
		  ":2: [style x] caption_color = red: must be a "
		  "colour",
		  AURA_E_CONFIG_BAD_VALUE },
		{ "[style x]\ntransition = spin\n", "fade, wipe, slide, dissolve, none",
		  AURA_E_CONFIG_BAD_VALUE },
		{ "[style x]\ntransition_ms = 2001\n", "0 to 2000", AURA_E_CONFIG_BAD_VALUE },
		{ "[style x]\nmusic_volume = 3\n", "-40 to 0", AURA_E_CONFIG_BAD_VALUE },
		{ "[style x]\nvoice_speed = 3\n", "0.5 to 2", AURA_E_CONFIG_BAD_VALUE },
		{ "[style x]\nken_burns = maybe\n", "on or off", AURA_E_CONFIG_BAD_VALUE },
		{ "[style x]\nwobble = 1\n", "a style takes", AURA_E_CONFIG_UNKNOWN_KEY },
		{ "[style a.b]\n", "letters, digits", AURA_E_CONFIG_BAD_VALUE },
		{ "[style x]\nbase = nowhere\n", "no such style", AURA_E_CONFIG_BAD_VALUE },
		{ "[style x]\nbase = y\n[style y]\nbase = x\n", "loops", AURA_E_CONFIG_BAD_VALUE },
		{ "[video]\nstyle = gone\n", "[video] style = gone", AURA_E_CONFIG_BAD_VALUE },
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct aura_config t;
		config_defaults(&t);
		rc = load_text(&t, bad[i].text, &err);
		if (rc != -bad[i].code || !strstr(err.detail, bad[i].want))
			fail_msg("%s: got %d '%s'", bad[i].text, rc, err.detail);
		config_free(&t);
	}
	config_free(&c);
}

static void test_set(void **state)
{
	(void)state;
	struct style_config s;
	char why[256];
	assert_int_equal(config_style(NULL, "clean", &s), 0);
	assert_int_equal(config_style_set(&s, "caption_highlight", "", why, sizeof(why)), 0);
	assert_int_equal(config_style_set(&s, "caption_color", "", why, sizeof(why)), -2);
	assert_int_equal(config_style_set(&s, "nope", "1", why, sizeof(why)), -1);
	assert_int_equal(config_style_set(&s, "ducking", "7.5", why, sizeof(why)), 0);
	assert_true(s.ducking == 7.5);
	assert_int_equal(config_style_set(&s, "headings", "off", why, sizeof(why)), 0);
	assert_int_equal(s.headings, STYLE_HEADINGS_OFF);
	/* every key's text reads back into the same value */
	struct style_config t = s;
	for (size_t i = 0; i < config_style_key_count(); i++) {
		char *v = config_style_value_text(&s, i);
		if (config_style_set(&t, config_style_key_name(i), v, why, sizeof(why)) != 0)
			fail_msg("%s = %s: %s", config_style_key_name(i), v, why);
		free(v);
	}
	assert_memory_equal(&s, &t, sizeof(s));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtins),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_set),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
