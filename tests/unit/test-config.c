/*
 * test-config.c -- the typed configuration: defaults, every value type,
 * every error class with file:line and key, range limits at both ends,
 * secrets (file mode, never echoed, env resolution), reloading without
 * leaks, and aura.ini.example / doc/configuration.md against the key table.
 */
#include "config.h"

#include <errno.h>
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

#include "base/conf.h"
#include "base/util.h"

static char tmpdir[256];
static char ini[512];

static int group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/aura-test-config.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(ini, sizeof(ini), "%s/aura.ini", tmpdir);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	rm_tree(tmpdir);
	return 0;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	unlink(path);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* Write text to tmpdir/aura.ini (0600) and load it over cfg. */
static int load_text(struct aura_config *cfg, const char *text, struct aura_error *err)
{
	write_file(ini, text, 0600);
	aura_error_clear(err);
	return config_load(cfg, ini, true, err);
}

static size_t key_index(const char *section, const char *name)
{
	struct config_key_info k;
	for (size_t i = 0; config_key_get(i, &k); i++)
		if (strcmp(k.section, section) == 0 && strcmp(k.name, name) == 0)
			return i;
	fail_msg("no key [%s] %s in the table", section, name);
	return 0;
}

static void assert_value(const struct aura_config *cfg, const char *section, const char *name,
			 const char *want)
{
	char *got = config_value_text(cfg, key_index(section, name));
	if (strcmp(got, want) != 0)
		fail_msg("[%s] %s: got '%s', want '%s'", section, name, got, want);
	free(got);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("'%s' not found in '%s'", needle, hay);
}

/* err.detail starts "INI:LINE: " */
static void assert_at_line(const struct aura_error *err, int line)
{
	char want[600];
	snprintf(want, sizeof(want), "%s:%d: ", ini, line);
	if (strncmp(err->detail, want, strlen(want)) != 0)
		fail_msg("detail '%s' does not start with '%s'", err->detail, want);
}

static void test_defaults(void **state)
{
	(void)state;
	struct aura_config c;
	config_defaults(&c);
	assert_null(c.source);
	assert_null(c.data_dir);
	assert_int_equal(c.log_level, LOG_LEVEL_INFO);
	assert_int_equal(c.log_max_size, 10 * 1024 * 1024);
	assert_int_equal(c.log_keep, 5);
	assert_null(c.ffmpeg);
	assert_null(c.ffprobe);
	assert_int_equal(c.max_jobs, 2);
	assert_int_equal(c.max_attempts, 3);
	assert_int_equal(c.retry_backoff, 5);
	assert_int_equal(c.stall_timeout, 60);
	assert_int_equal(c.quit_grace, 5);
	assert_int_equal(c.term_grace, 5);
	assert_int_equal(c.shutdown_grace, 15);
	assert_int_equal(c.job_timeout, 0);
	assert_int_equal(c.client_buffer, 4 * 1024 * 1024);
	assert_int_equal(c.keep_days, 14);
	assert_int_equal(c.keep_jobs, 1000);
	assert_int_equal(c.keep_records, 0);
	assert_int_equal(c.job_log_max, 8 * 1024 * 1024);
	assert_string_equal(c.preset, "landscape-720p");
	assert_int_equal(c.duration, 30);
	assert_string_equal(c.voice, "flite:slt");
	assert_string_equal(c.captions, "both");
	assert_null(c.font);
	assert_int_equal(c.scene_gap_ms, 400);
	assert_null(c.output_dir);
	assert_string_equal(c.stock, "videos");
	assert_null(c.espeak);
	assert_null(c.piper);
	assert_null(c.piper_model);
	assert_string_equal(c.chain_script, "rulebased");
	assert_string_equal(c.chain_voice, "flite");
	assert_string_equal(c.chain_visuals, "generated");

	assert_string_equal(c.openai.base_url, "https://api.openai.com/v1");
	assert_string_equal(c.openai.api_key_env, "OPENAI_API_KEY");
	assert_string_equal(c.openai.model, "gpt-4o-mini");
	assert_string_equal(c.openai.voice, "alloy");
	assert_string_equal(c.elevenlabs.base_url, "https://api.elevenlabs.io");
	assert_string_equal(c.elevenlabs.api_key_env, "ELEVENLABS_API_KEY");
	assert_string_equal(c.pexels.base_url, "https://api.pexels.com");
	assert_string_equal(c.pexels.api_key_env, "PEXELS_API_KEY");
	assert_string_equal(c.pixabay.base_url, "https://pixabay.com/api");
	assert_string_equal(c.pixabay.api_key_env, "PIXABAY_API_KEY");
	assert_string_equal(c.sdwebui.base_url, "http://127.0.0.1:7860");
	assert_null(c.sdwebui.api_key_env);
	const struct provider_config *all[] = { &c.openai, &c.elevenlabs, &c.pexels, &c.pixabay,
						&c.sdwebui };
	for (size_t i = 0; i < ARRAY_LEN(all); i++) {
		assert_null(all[i]->api_key);
		assert_int_equal(all[i]->timeout, 60);
	}
	assert_string_equal(config_log_level_name(c.log_level), "info");
	config_free(&c);
	assert_null(c.preset); /* freed and zeroed: a second free is harmless */
	config_free(&c);
	config_free(NULL);
}

static void test_every_type_parses(void **state)
{
	(void)state;
	struct aura_config c;
	struct aura_error err;
	config_defaults(&c);
	int rc = load_text(&c,
			   "; a comment\n"
			   "# another\n"
			   "[general]\n"
			   "data_dir = /srv/aura ; inline comment\n"
			   "LOG_LEVEL = Debug\n"
			   "log_max_size = 512K\n"
			   "log_keep = 7\n"
			   "[ffmpeg]\n"
			   "ffmpeg = ~/bin/ffmpeg\n"
			   "ffprobe = /opt/ffprobe\n"
			   "[Server]\n"
			   "max_jobs=8\n"
			   "client_buffer = 128M\n"
			   "[server]\n"
			   "job_timeout = 3600\n"
			   "[video]\n"
			   "preset = Portrait-1080p\n"
			   "voice = espeak:en-us\n"
			   "captions = srt\n"
			   "font = /usr/share/fonts/x.ttf\n"
			   "[voice]\n"
			   "piper_model = ~\n"
			   "[providers]\n"
			   "script = OpenAI ,rulebased\n"
			   "voice = elevenlabs,openai, flite\n"
			   "visuals = pexels, pixabay, sdwebui, generated\n"
			   "[openai]\n"
			   "base_url = http://localhost:11434/v1\n"
			   "model = llama3\n"
			   "api_key_env = MY_KEY_2\n"
			   "timeout = 120\n"
			   "[sdwebui]\n"
			   "api_key = not-a-real-key\n",
			   &err);
	if (rc < 0)
		fail_msg("%s", err.detail);
	assert_int_equal(rc, 0);
	char *home = getenv("HOME");
	assert_non_null(home);

	assert_string_equal(c.source, ini);
	assert_string_equal(c.data_dir, "/srv/aura");
	assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);
	assert_int_equal(c.log_max_size, 512 * 1024);
	assert_int_equal(c.log_keep, 7);
	char *want = xasprintf("%s/bin/ffmpeg", home);
	assert_string_equal(c.ffmpeg, want);
	free(want);
	assert_string_equal(c.ffprobe, "/opt/ffprobe");
	assert_int_equal(c.max_jobs, 8);
	assert_int_equal(c.client_buffer, 128 * 1024 * 1024);
	assert_int_equal(c.job_timeout, 3600);
	assert_string_equal(c.preset, "portrait-1080p");
	assert_string_equal(c.voice, "espeak:en-us");
	assert_string_equal(c.captions, "srt");
	assert_string_equal(c.font, "/usr/share/fonts/x.ttf");
	assert_string_equal(c.piper_model, home);
	assert_string_equal(c.chain_script, "openai, rulebased");
	assert_string_equal(c.chain_voice, "elevenlabs, openai, flite");
	assert_string_equal(c.chain_visuals, "pexels, pixabay, sdwebui, generated");
	assert_string_equal(c.openai.base_url, "http://localhost:11434/v1");
	assert_string_equal(c.openai.model, "llama3");
	assert_string_equal(c.openai.api_key_env, "MY_KEY_2");
	assert_int_equal(c.openai.timeout, 120);
	assert_string_equal(c.sdwebui.api_key, "not-a-real-key");
	/* untouched keys keep their defaults */
	assert_int_equal(c.max_attempts, 3);
	assert_string_equal(c.openai.voice, "alloy");

	assert_value(&c, "general", "log_max_size", "512K");
	assert_value(&c, "general", "log_level", "debug");
	assert_value(&c, "sdwebui", "api_key", "***");
	assert_value(&c, "openai", "api_key", "");
	config_free(&c);
}

static void test_sizes_parse(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		uint64_t bytes;
		const char *shown;
	} cases[] = {
		{ "65536", 65536, "64K" },     { "100000", 100000, "100000" },
		{ "64k", 65536, "64K" },       { "3M", 3ULL << 20, "3M" },
		{ "2048K", 2ULL << 20, "2M" }, { "1G", 1ULL << 30, "1G" },
		{ "5MB", 5ULL << 20, "5M" },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct aura_config c;
		struct aura_error err;
		config_defaults(&c);
		char *text = xasprintf("[general]\nlog_max_size = %s\n", cases[i].text);
		int rc = load_text(&c, text, &err);
		if (rc < 0)
			fail_msg("%s: %s", cases[i].text, err.detail);
		assert_int_equal(c.log_max_size, cases[i].bytes);
		assert_value(&c, "general", "log_max_size", cases[i].shown);
		free(text);
		config_free(&c);
	}
}

static void test_empty_means_default(void **state)
{
	(void)state;
	struct aura_config c;
	struct aura_error err;
	config_defaults(&c);
	/* first move away from the defaults, then empty them again */
	assert_int_equal(load_text(&c,
				   "[video]\npreset = draft-480p\nfont = /f.ttf\n"
				   "[openai]\nmodel = x\nbase_url = http://h/\n"
				   "[server]\nmax_jobs = 9\n",
				   &err),
			 0);
	int rc = load_text(&c,
			   "[video]\npreset =\nfont =\n"
			   "[openai]\nmodel =\nbase_url =\napi_key_env =\n"
			   "[server]\nmax_jobs =\n",
			   &err);
	if (rc < 0)
		fail_msg("%s", err.detail);
	assert_string_equal(c.preset, "landscape-720p");
	assert_null(c.font);
	assert_string_equal(c.openai.model, "gpt-4o-mini");
	assert_string_equal(c.openai.base_url, "https://api.openai.com/v1");
	assert_null(c.openai.api_key_env); /* empty: read no variable */
	assert_int_equal(c.max_jobs, 2);
	config_free(&c);
}

static void test_duplicate_key_last_wins(void **state)
{
	(void)state;
	struct aura_config c;
	struct aura_error err;
	config_defaults(&c);
	assert_int_equal(load_text(&c, "[server]\nmax_jobs = 3\nmax_jobs = 5\n", &err), 0);
	assert_int_equal(c.max_jobs, 5);
	config_free(&c);
}

/* [retention] max_job_log, and [server] job_log_max (its name before
 * issue 15) still read as it: the later line wins. */
static void test_retention_keys(void **state)
{
	(void)state;
	struct aura_config c;
	struct aura_error err;
	config_defaults(&c);
	assert_int_equal(load_text(&c,
				   "[retention]\nkeep_days = 0\nkeep_jobs = 3\nkeep_records = 7\n"
				   "max_job_log = 64K\n",
				   &err),
			 0);
	assert_int_equal(c.keep_days, 0);
	assert_int_equal(c.keep_jobs, 3);
	assert_int_equal(c.keep_records, 7);
	assert_int_equal(c.job_log_max, 64 * 1024);
	config_free(&c);

	config_defaults(&c);
	assert_int_equal(load_text(&c, "[server]\njob_log_max = 2M\n", &err), 0);
	assert_int_equal(c.job_log_max, 2 * 1024 * 1024);
	config_free(&c);

	config_defaults(&c);
	assert_int_equal(
	    load_text(&c, "[server]\njob_log_max = 2M\n[retention]\nmax_job_log = 0\n", &err), 0);
	assert_int_equal(c.job_log_max, 0);
	config_free(&c);

	config_defaults(&c);
	assert_int_equal(load_text(&c, "[retention]\nkeep_days = -1\n", &err),
			 -AURA_E_CONFIG_BAD_VALUE);
	assert_int_equal(load_text(&c, "[retention]\njob_log_max = 1M\n", &err),
			 -AURA_E_CONFIG_UNKNOWN_KEY); /* the old name only in its old section */
	config_free(&c);
}

static void test_syntax_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int line;
	} cases[] = {
		{ "[server]\nmax_jobs = 2\nthis line has no equals sign\n", 3 },
		{ "; c\n\n[server\nmax_jobs = 2\n", 3 },
		{ "[server]\nmax_jobs = 2\n  max_attempts = 4\n", 3 }, /* continuation */
		{ "[server]\nmax_jobs = 2\n\n\t4\n", 4 },	       /* continuation */
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct aura_config c;
		struct aura_error err;
		config_defaults(&c);
		assert_int_equal(load_text(&c, cases[i].text, &err), -AURA_E_CONFIG_SYNTAX);
		assert_int_equal(err.code, AURA_E_CONFIG_SYNTAX);
		assert_at_line(&err, cases[i].line);
		/* nothing of a failed file is applied */
		assert_int_equal(c.max_jobs, 2);
		config_free(&c);
	}

	/* an indented key right after a section header is a key, not a continuation */
	struct aura_config c;
	struct aura_error err;
	config_defaults(&c);
	assert_int_equal(load_text(&c, "[server]\n  max_jobs = 6\n", &err), 0);
	assert_int_equal(c.max_jobs, 6);

	/* a line too long for the parser's buffer is refused, not split in two */
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "[video]\nfont = /");
	for (int i = 0; i < 300; i++)
		buf_puts(&b, "x");
	buf_puts(&b, "\n");
	assert_int_equal(load_text(&c, b.data, &err), -AURA_E_CONFIG_SYNTAX);
	assert_at_line(&err, 2);
	assert_contains(err.detail, "longer than");
	buf_free(&b);
	config_free(&c);
}

static void test_unknown_key(void **state)
{
	(void)state;
	struct aura_config c;
	struct aura_error err;
	config_defaults(&c);
	assert_int_equal(
	    load_text(&c, "[general]\nlog_keep = 3\n\n[server]\n\n\nmax_job = 4\n", &err),
	    -AURA_E_CONFIG_UNKNOWN_KEY);
	assert_int_equal(err.code, AURA_E_CONFIG_UNKNOWN_KEY);
	assert_at_line(&err, 7);
	assert_contains(err.detail, "unknown key [server] max_job");
	assert_contains(err.detail, "did you mean max_jobs?");
	assert_int_equal(c.log_keep, 5); /* the whole file is refused */

	assert_int_equal(load_text(&c, "[video]\nmax_jobs = 4\n", &err),
			 -AURA_E_CONFIG_UNKNOWN_KEY);
	assert_at_line(&err, 2);
	assert_contains(err.detail, "unknown key [video] max_jobs");
	assert_contains(err.detail, "belongs in [server]");

	assert_int_equal(load_text(&c, "[server]\ncompletely_different = 1\n", &err),
			 -AURA_E_CONFIG_UNKNOWN_KEY);
	assert_null(strstr(err.detail, "did you mean"));

	assert_int_equal(load_text(&c, "max_jobs = 4\n[server]\n", &err),
			 -AURA_E_CONFIG_UNKNOWN_KEY);
	assert_at_line(&err, 1);
	assert_contains(err.detail, "before any [section]");
	assert_contains(err.detail, "[server]");
	config_free(&c);
}

static void test_unknown_section(void **state)
{
	(void)state;
	struct aura_config c;
	struct aura_error err;
	config_defaults(&c);
	assert_int_equal(load_text(&c, "[server]\nmax_jobs = 4\n[sever]\nmax_jobs = 4\n", &err),
			 -AURA_E_CONFIG_UNKNOWN_KEY);
	assert_at_line(&err, 3);
	assert_contains(err.detail, "unknown section [sever]");
	assert_contains(err.detail, "did you mean [server]?");
	/* even with no key in it: a misspelt section must not pass silently */
	assert_int_equal(load_text(&c, "[server]\nmax_jobs = 4\n[nonsense]\n", &err),
			 -AURA_E_CONFIG_UNKNOWN_KEY);
	assert_at_line(&err, 3);
	assert_contains(err.detail, "unknown section [nonsense]");
	assert_int_equal(c.max_jobs, 2);
	config_free(&c);
}

static void test_bad_values(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		const char *want; /* in the detail, after "INI:2: " */
	} cases[] = {
		{ "[general]\nlog_level = loud\n",
		  "[general] log_level = loud: must be one of: error, warn, info, debug" },
		{ "[server]\nmax_jobs = two\n",
		  "[server] max_jobs = two: must be a whole number from 1 to 64" },
		{ "[server]\nmax_jobs = 2x\n", "max_jobs = 2x: must be a whole number" },
		{ "[server]\nmax_jobs = 2.5\n", "max_jobs = 2.5: must be a whole number" },
		{ "[server]\nmax_jobs = 99999999999999999999\n",
		  "must be a whole number from 1 to 64" },
		{ "[general]\nlog_max_size = 10X\n",
		  "log_max_size = 10X: must be a size from 64K to 1G" },
		{ "[general]\nlog_max_size = -5M\n", "must be a size from 64K to 1G" },
		{ "[video]\npreset = 4k\n",
		  "[video] preset = 4k: must be one of: landscape-720p, "
		  "landscape-1080p, portrait-1080p, square-1080p, draft-480p" },
		{ "[video]\ncaptions = maybe\n", "must be one of: burn, srt, both, none" },
		{ "[video]\nstock = gifs\n",
		  "[video] stock = gifs: must be one of: videos, photos, mixed" },
		{ "[video]\nvoice = alexa:x\n", "[video] voice = alexa:x: must be PROVIDER or" },
		{ "[video]\nvoice = flite:\n", "[video] voice = flite:: must be PROVIDER or" },
		{ "[providers]\nvisuals = pexles, generated\n",
		  "'pexles' is not one of: pexels, pixabay" },
		{ "[providers]\nscript = openai,,rulebased\n", "has an empty entry" },
		{ "[openai]\nbase_url = api.openai.com\n",
		  "[openai] base_url = api.openai.com: must be a URL starting with http:// or "
		  "https://" },
		{ "[openai]\ntimeout = 0\n",
		  "[openai] timeout = 0: must be a whole number from 1 to 600" },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct aura_config c;
		struct aura_error err;
		config_defaults(&c);
		assert_int_equal(load_text(&c, cases[i].text, &err), -AURA_E_CONFIG_BAD_VALUE);
		assert_int_equal(err.code, AURA_E_CONFIG_BAD_VALUE);
		assert_at_line(&err, 2);
		assert_contains(err.detail, cases[i].want);
		config_free(&c);
	}
}

/* The ranges of the issue, not of the table: a wrong table entry fails here. */
static void test_int_ranges_both_ends(void **state)
{
	(void)state;
	static const struct {
		const char *section, *name;
		long long min, max;
	} r[] = {
		{ "general", "log_keep", 1, 50 },	 { "server", "max_jobs", 1, 64 },
		{ "server", "max_attempts", 1, 20 },	 { "server", "retry_backoff", 1, 3600 },
		{ "server", "stall_timeout", 5, 86400 }, { "server", "quit_grace", 1, 600 },
		{ "server", "term_grace", 1, 600 },	 { "server", "shutdown_grace", 1, 3600 },
		{ "server", "job_timeout", 0, 604800 },	 { "video", "duration", 5, 1800 },
		{ "video", "scene_gap_ms", 0, 5000 },	 { "openai", "timeout", 1, 600 },
		{ "elevenlabs", "timeout", 1, 600 },	 { "pexels", "timeout", 1, 600 },
		{ "pixabay", "timeout", 1, 600 },	 { "sdwebui", "timeout", 1, 600 },
	};
	for (size_t i = 0; i < ARRAY_LEN(r); i++) {
		long long vals[] = { r[i].min - 1, r[i].min, r[i].max, r[i].max + 1 };
		for (size_t j = 0; j < ARRAY_LEN(vals); j++) {
			struct aura_config c;
			struct aura_error err;
			config_defaults(&c);
			char *text =
			    xasprintf("[%s]\n%s = %lld\n", r[i].section, r[i].name, vals[j]);
			int rc = load_text(&c, text, &err);
			bool inside = j == 1 || j == 2;
			if (inside) {
				if (rc != 0)
					fail_msg("[%s] %s = %lld refused: %s", r[i].section,
						 r[i].name, vals[j], err.detail);
				char *shown = xasprintf("%lld", vals[j]);
				assert_value(&c, r[i].section, r[i].name, shown);
				free(shown);
			} else {
				if (rc != -AURA_E_CONFIG_BAD_VALUE)
					fail_msg("[%s] %s = %lld accepted", r[i].section, r[i].name,
						 vals[j]);
				char *want =
				    xasprintf("[%s] %s = %lld: must be a whole number from "
					      "%lld to %lld",
					      r[i].section, r[i].name, vals[j], r[i].min, r[i].max);
				assert_at_line(&err, 2);
				assert_contains(err.detail, want);
				free(want);
			}
			free(text);
			config_free(&c);
		}
	}
}

static void test_size_ranges_both_ends(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		const char *below, *min, *max, *above, *range;
	} r[] = {
		{ "log_max_size", "65535", "64K", "1G", "1073741825", "from 64K to 1G" },
		{ "client_buffer", "63K", "65536", "256M", "268435457", "from 64K to 256M" },
	};
	for (size_t i = 0; i < ARRAY_LEN(r); i++) {
		const char *section = strcmp(r[i].name, "log_max_size") == 0 ? "general" : "server";
		const char *vals[] = { r[i].below, r[i].min, r[i].max, r[i].above };
		for (size_t j = 0; j < ARRAY_LEN(vals); j++) {
			struct aura_config c;
			struct aura_error err;
			config_defaults(&c);
			char *text = xasprintf("[%s]\n%s = %s\n", section, r[i].name, vals[j]);
			int rc = load_text(&c, text, &err);
			if (j == 1 || j == 2) {
				if (rc != 0)
					fail_msg("%s = %s refused: %s", r[i].name, vals[j],
						 err.detail);
			} else {
				assert_int_equal(rc, -AURA_E_CONFIG_BAD_VALUE);
				assert_at_line(&err, 2);
				assert_contains(err.detail, r[i].range);
				assert_contains(err.detail, r[i].name);
			}
			free(text);
			config_free(&c);
		}
	}
}

static void test_unreadable(void **state)
{
	(void)state;
	struct aura_config c;
	struct aura_error err;
	config_defaults(&c);
	char *missing = xasprintf("%s/no-such.ini", tmpdir);

	aura_error_clear(&err);
	assert_int_equal(config_load(&c, missing, true, &err), -AURA_E_CONFIG_UNREADABLE);
	assert_int_equal(err.code, AURA_E_CONFIG_UNREADABLE);
	assert_contains(err.detail, missing);
	assert_contains(err.detail, strerror(ENOENT));

	/* absent and not required: nothing happens, the defaults stay */
	aura_error_clear(&err);
	assert_int_equal(config_load(&c, missing, false, &err), 0);
	assert_int_equal(err.code, 0);
	assert_null(c.source);
	assert_int_equal(c.max_jobs, 2);

	/* a directory is not a config, required or not */
	assert_int_equal(config_load(&c, tmpdir, false, &err), -AURA_E_CONFIG_UNREADABLE);
	assert_contains(err.detail, tmpdir);
	assert_contains(err.detail, strerror(EISDIR));

	if (geteuid() != 0) {
		write_file(ini, "[server]\nmax_jobs = 3\n", 0);
		assert_int_equal(config_load(&c, ini, false, &err), -AURA_E_CONFIG_UNREADABLE);
		assert_contains(err.detail, strerror(EACCES));
	}
	assert_int_equal(config_load(&c, NULL, true, &err), 0);
	free(missing);
	config_free(&c);
}

static const char secret[] = "sk-SECRET-0123456789abcdef";

static void test_insecure_inline_key(void **state)
{
	(void)state;
	char *text = xasprintf("[general]\nlog_keep = 4\n[openai]\napi_key = %s\n", secret);
	static const mode_t refused[] = { 0644, 0640, 0604, 0660, 0606 };
	for (size_t i = 0; i < ARRAY_LEN(refused); i++) {
		struct aura_config c;
		struct aura_error err;
		config_defaults(&c);
		write_file(ini, text, refused[i]);
		aura_error_clear(&err);
		assert_int_equal(config_load(&c, ini, true, &err), -AURA_E_CONFIG_INSECURE);
		assert_int_equal(err.code, AURA_E_CONFIG_INSECURE);
		char mode[8];
		snprintf(mode, sizeof(mode), "%04o", (unsigned)refused[i]);
		assert_contains(err.detail, ini);
		assert_contains(err.detail, mode);
		assert_contains(err.detail, "chmod 600");
		assert_contains(err.detail, "api_key_env");
		assert_contains(err.detail, "[openai] api_key = ***");
		assert_null(strstr(err.detail, secret));
		assert_null(c.openai.api_key); /* refused: not applied */
		assert_int_equal(c.log_keep, 5);
		config_free(&c);
	}

	struct aura_config c;
	struct aura_error err;
	config_defaults(&c);
	write_file(ini, text, 0600);
	assert_int_equal(config_load(&c, ini, true, &err), 0);
	assert_string_equal(c.openai.api_key, secret);
	assert_int_equal(c.log_keep, 4);
	config_free(&c);

	/* 0400 is private too */
	config_defaults(&c);
	write_file(ini, text, 0400);
	assert_int_equal(config_load(&c, ini, true, &err), 0);
	config_free(&c);

	/* a readable file without an inline key is fine, an empty key is no key */
	config_defaults(&c);
	write_file(ini, "[openai]\napi_key =\napi_key_env = OPENAI_API_KEY\n", 0644);
	assert_int_equal(config_load(&c, ini, true, &err), 0);
	/* a key set and then emptied again in the same file is no key either */
	write_file(ini, "[pexels]\napi_key = x\napi_key =\n", 0644);
	assert_int_equal(config_load(&c, ini, true, &err), 0);
	assert_null(c.pexels.api_key);
	config_free(&c);
	free(text);
}

/* texts[i] with "%s" replaced by the secret (no format string from data). */
static char *subst_key(const char *t)
{
	const char *at = strstr(t, "%s");
	assert_non_null(at);
	return xasprintf("%.*s%s%s", (int)(at - t), t, secret, at + 2);
}

/* Wherever the error is, the key's value is not in it. */
static void test_secret_never_in_error(void **state)
{
	(void)state;
	const char *texts[] = {
		/* bad value elsewhere in a file holding a key */
		"[openai]\napi_key = %s\n[server]\nmax_jobs = 0\n",
		/* the key pasted into api_key_env */
		"[openai]\napi_key_env = %s\n",
		/* the key on a line of its own */
		"[openai]\n%s\n",
		/* a misspelt key name */
		"[openai]\napi_kye = %s\n",
		/* indented under api_key: a continuation */
		"[openai]\napi_key = x\n   %s\n",
		/* in an unknown section */
		"[opneai]\napi_key = %s\n",
	};
	for (size_t i = 0; i < ARRAY_LEN(texts); i++) {
		struct aura_config c;
		struct aura_error err;
		config_defaults(&c);
		char *text = subst_key(texts[i]);
		assert_true(load_text(&c, text, &err) < 0);
		assert_true(err.code != 0);
		if (strstr(err.detail, secret) || strstr(err.detail, "SECRET"))
			fail_msg("case %zu: the key is in '%s'", i, err.detail);
		free(text);
		config_free(&c);
	}

	struct aura_config c;
	struct aura_error err;
	config_defaults(&c);
	char *text = xasprintf("[openai]\napi_key_env = %s\n", secret);
	assert_int_equal(load_text(&c, text, &err), -AURA_E_CONFIG_BAD_VALUE);
	assert_contains(err.detail, "[openai] api_key_env = ***");
	assert_contains(err.detail, "name of an environment variable");
	free(text);
	config_free(&c);
}

/* A key pasted where inih sees a key name: on a line of its own with '='
 * in it, or after api_key with the '=' forgotten. The error names the
 * line and what is wrong, and holds no text of the key. */
static void test_pasted_key_not_echoed(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int line;
		const char *want;
		const char *key; /* must not be in the detail, nor any part of it */
	} cases[] = {
		{ "[openai]\nmodel = gpt-4o-mini\nsk-proj-Abc123SECRETxyz==\n", 3,
		  "unknown key in [openai] (the line is not shown", "Abc123SECRETxyz" },
		{ "[openai]\napi_key sk-proj-Abc123SECRETxyz==\n", 2,
		  "[openai] api_key: the = between api_key and the key is missing",
		  "Abc123SECRETxyz" },
		{ "[openai]\napi_key pk-SECRET:short\n", 2,
		  "[openai] api_key: the = between api_key and the key is missing", "SECRET" },
		{ "[pexels]\n563492ad6f91700001000001SECRETc4d5e6f7a8b9c0==\n", 2,
		  "unknown key in [pexels]", "SECRET" },
		{ "sk-proj-Abc123SECRETxyz==\n[openai]\n", 1, "comes before any [section]",
		  "SECRET" },
		/* the value side of a non-secret key */
		{ "[providers]\nscript = sk-proj-Abc123SECRETxyz\n", 2,
		  "[providers] script = ***:", "SECRET" },
		{ "[openai]\nbase_url = sk-proj-Abc123SECRETxyz\n", 2,
		  "[openai] base_url = ***: must be a URL", "SECRET" },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct aura_config c;
		struct aura_error err;
		config_defaults(&c);
		assert_true(load_text(&c, cases[i].text, &err) < 0);
		assert_at_line(&err, cases[i].line);
		assert_contains(err.detail, cases[i].want);
		if (strstr(err.detail, cases[i].key) || strstr(err.detail, "sk-proj"))
			fail_msg("case %zu: the key is in '%s'", i, err.detail);
		config_free(&c);
	}
}

static void test_api_key_resolution(void **state)
{
	(void)state;
	struct provider_config p = { 0 };
	assert_null(config_api_key(&p));
	assert_null(config_api_key(NULL));

	char env_name[] = "AURA_TEST_KEY_VAR", empty[] = "", inline_key[] = "inline";
	p.api_key_env = env_name;
	unsetenv("AURA_TEST_KEY_VAR");
	assert_null(config_api_key(&p));
	setenv("AURA_TEST_KEY_VAR", "", 1);
	assert_null(config_api_key(&p)); /* empty is not a key */
	setenv("AURA_TEST_KEY_VAR", "from-env", 1);
	assert_string_equal(config_api_key(&p), "from-env");

	p.api_key = empty;
	assert_string_equal(config_api_key(&p), "from-env");
	p.api_key = inline_key;
	assert_string_equal(config_api_key(&p), "inline"); /* inline wins */
	unsetenv("AURA_TEST_KEY_VAR");
	assert_string_equal(config_api_key(&p), "inline");

	/* through a loaded config */
	struct aura_config c;
	struct aura_error err;
	config_defaults(&c);
	setenv("AURA_TEST_PEXELS", "pexels-key", 1);
	setenv("OPENAI_API_KEY", "openai-key", 1);
	assert_int_equal(load_text(&c, "[pexels]\napi_key_env = AURA_TEST_PEXELS\n", &err), 0);
	assert_string_equal(config_api_key(&c.pexels), "pexels-key");
	assert_string_equal(config_api_key(&c.openai), "openai-key"); /* the default name */
	assert_null(config_api_key(&c.sdwebui));
	unsetenv("AURA_TEST_PEXELS");
	unsetenv("OPENAI_API_KEY");
	config_free(&c);
}

struct seen {
	char *all[16];
	size_t n;
};

static void collect(const char *s, void *ctx)
{
	struct seen *seen = ctx;
	assert_true(seen->n < ARRAY_LEN(seen->all));
	seen->all[seen->n++] = xstrdup(s);
}

static bool seen_has(const struct seen *s, const char *v)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->all[i], v) == 0)
			return true;
	return false;
}

static void test_foreach_secret(void **state)
{
	(void)state;
	struct aura_config c;
	struct aura_error err;
	config_defaults(&c);
	setenv("ELEVENLABS_API_KEY", "eleven-env", 1);
	setenv("AURA_TEST_EMPTY", "", 1);
	unsetenv("OPENAI_API_KEY");
	unsetenv("PEXELS_API_KEY");
	unsetenv("PIXABAY_API_KEY");
	int rc = load_text(&c,
			   "[openai]\napi_key = openai-inline\n"
			   "[pixabay]\napi_key_env = AURA_TEST_EMPTY\n"
			   "[sdwebui]\napi_key = sd-inline\napi_key_env = AURA_TEST_SD\n",
			   &err);
	assert_int_equal(rc, 0);
	setenv("AURA_TEST_SD", "sd-env", 1);

	struct seen s = { 0 };
	config_foreach_secret(&c, collect, &s);
	assert_int_equal(s.n, 4);
	assert_true(seen_has(&s, "openai-inline"));
	assert_true(seen_has(&s, "eleven-env"));
	assert_true(seen_has(&s, "sd-inline"));
	assert_true(seen_has(&s, "sd-env")); /* both, when both are set */
	for (size_t i = 0; i < s.n; i++)
		free(s.all[i]);
	unsetenv("ELEVENLABS_API_KEY");
	unsetenv("AURA_TEST_EMPTY");
	unsetenv("AURA_TEST_SD");
	config_free(&c);
}

/* Under ASan (LeakSanitizer) a leaked string here fails the run. */
static void test_load_twice_no_leak(void **state)
{
	(void)state;
	const char *text = "[general]\ndata_dir = /a\n[video]\npreset = draft-480p\nfont = /f\n"
			   "voice = flite:kal\n[providers]\nvisuals = pexels, generated\n"
			   "[openai]\napi_key = k1\nmodel = m\n";
	struct aura_config c;
	struct aura_error err;
	config_defaults(&c);
	assert_int_equal(load_text(&c, text, &err), 0);
	assert_int_equal(load_text(&c, text, &err), 0);
	assert_int_equal(load_text(&c, "[video]\nfont = /g\n", &err), 0);
	assert_string_equal(c.font, "/g");
	assert_string_equal(c.preset, "draft-480p"); /* from the earlier load */
	assert_string_equal(c.openai.api_key, "k1");

	/* a failed load leaves the config as it was */
	assert_int_equal(load_text(&c, "[video]\nfont = /h\npreset = nope\n", &err),
			 -AURA_E_CONFIG_BAD_VALUE);
	assert_string_equal(c.font, "/g");
	assert_string_equal(c.source, ini);
	config_free(&c);
}

static void test_bool_parse(void **state)
{
	(void)state;
	const char *yes[] = { "yes", "YES", "true", "On", "1" };
	const char *no[] = { "no", "False", "off", "0" };
	const char *bad[] = { "", "y", "2", "yes!", "nope" };
	bool b;
	for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
		b = false;
		assert_true(config_parse_bool(yes[i], &b));
		assert_true(b);
	}
	for (size_t i = 0; i < ARRAY_LEN(no); i++) {
		b = true;
		assert_true(config_parse_bool(no[i], &b));
		assert_false(b);
	}
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		assert_false(config_parse_bool(bad[i], &b));
	assert_false(config_parse_bool(NULL, &b));
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	if (!fp)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	struct buf b;
	buf_init(&b);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(&b, chunk, n);
	fclose(fp);
	return b.data ? b.data : xstrdup("");
}

/* Does text have "name =" (at a line start) inside "[section]"? */
static bool ini_text_has(const char *text, const char *section, const char *name)
{
	char *copy = xstrdup(text);
	char *save = NULL;
	char cur[64] = "";
	bool found = false;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '[') {
			char *end = strchr(line, ']');
			if (end)
				snprintf(cur, sizeof(cur), "%.*s", (int)(end - line - 1), line + 1);
			continue;
		}
		size_t n = strlen(name);
		if (strcmp(cur, section) == 0 && strncmp(line, name, n) == 0 &&
		    strncmp(line + n, " =", 2) == 0)
			found = true;
	}
	free(copy);
	return found;
}

/* [pool NAME]: a Slurm pool's keys, the built-in local pool, the default
 * pool, and every way a pool section can be wrong. */
static void test_pools(void **state)
{
	(void)state;
	struct aura_config c;
	struct aura_error err;
	config_defaults(&c);
	assert_int_equal(config_pool_count(&c), 1);
	assert_string_equal(config_pool(&c, NULL)->name, "local");
	assert_int_equal(config_pool_max_jobs(&c, config_pool(&c, "local")), c.max_jobs);
	assert_null(config_pool(&c, "farm"));
	int rc = load_text(&c,
			   "[server]\npool = farm\nmax_jobs = 3\n"
			   "[pool farm]\nexecutor = slurm\nmax_jobs = 40\npartition = render\n"
			   "cpus_per_task = 4\nmem = 4G\ntime_limit = 1-02:00:00\n"
			   "extra_args = --exclusive --qos='a b'\n"
			   "[pool  gpu_1]\n",
			   &err);
	if (rc < 0)
		fail_msg("%s", err.detail);
	assert_int_equal(config_pool_count(&c), 3);
	const struct pool_config *f = config_pool(&c, NULL);
	assert_non_null(f);
	assert_string_equal(f->name, "farm");
	assert_int_equal(f->executor, POOL_SLURM);
	assert_int_equal(config_pool_max_jobs(&c, f), 40);
	assert_string_equal(f->partition, "render");
	assert_int_equal(f->cpus_per_task, 4);
	assert_string_equal(f->mem, "4G");
	assert_string_equal(f->time_limit, "1-02:00:00");
	assert_string_equal(f->extra_args, "--exclusive --qos='a b'");
	assert_null(f->account);
	const struct pool_config *g = config_pool(&c, "gpu_1"); /* an empty section is a pool */
	assert_non_null(g);
	assert_int_equal(g->executor, POOL_LOCAL);
	assert_int_equal(config_pool_max_jobs(&c, g), 4);
	assert_int_equal(config_pool_max_jobs(&c, config_pool(&c, "local")), 3);

	/* a failed load leaves the pools as they were */
	static const struct {
		const char *text, *want;
		int code;
	} bad[] = {
		{ "[pool x]\npartition = p\n", "only a Slurm pool takes it",
		  AURA_E_CONFIG_BAD_VALUE },
		{ "[server]\npool = nowhere\n", "no such pool", AURA_E_CONFIG_BAD_VALUE },
		{ "[pool local]\nmax_jobs = 9\n", "not local", AURA_E_CONFIG_BAD_VALUE },
		{ "[pool a.b]\n", "letters, digits", AURA_E_CONFIG_BAD_VALUE },
		{ "[pool y]\nexecutor = pbs\n", "local, slurm", AURA_E_CONFIG_BAD_VALUE },
		{ "[pool y]\nexecutor = slurm\nmem = lots\n", "srun --mem",
		  AURA_E_CONFIG_BAD_VALUE },
		{ "[pool y]\nexecutor = slurm\ntime_limit = 1::2\n", "srun --time",
		  AURA_E_CONFIG_BAD_VALUE },
		{ "[pool y]\nmax_job = 2\n", "a pool takes", AURA_E_CONFIG_UNKNOWN_KEY },
		{ "[server]\nserver_id = a-b\n", "letters and digits", AURA_E_CONFIG_BAD_VALUE },
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		aura_error_clear(&err);
		rc = load_text(&c, bad[i].text, &err);
		if (rc != -bad[i].code || !strstr(err.detail, bad[i].want))
			fail_msg("%s: got %d '%s'", bad[i].text, rc, err.detail);
	}
	assert_int_equal(config_pool_count(&c), 3);
	assert_string_equal(config_pool(&c, NULL)->name, "farm");
	config_free(&c);
}

static void test_example_is_the_defaults(void **state)
{
	(void)state;
	const char *src = getenv("AURA_SRCDIR");
	if (!src)
		skip();
	char *path = xasprintf("%s/aura.ini.example", src);
	struct aura_config def, ex;
	struct aura_error err;
	config_defaults(&def);
	config_defaults(&ex);
	/* load over values that differ from every default: each must be reset */
	int rc = load_text(&ex,
			   "[general]\nlog_keep = 9\nlog_level = error\ndata_dir = /x\n"
			   "[server]\nmax_jobs = 7\n[video]\npreset = draft-480p\nfont = /f\n"
			   "stock = mixed\n[openai]\nmodel = m\n",
			   &err);
	assert_int_equal(rc, 0);
	aura_error_clear(&err);
	rc = config_load(&ex, path, true, &err);
	if (rc < 0)
		fail_msg("%s", err.detail);

	char *text = slurp(path);
	struct config_key_info k;
	size_t n = 0;
	for (size_t i = 0; config_key_get(i, &k); i++, n++) {
		char *a = config_value_text(&def, i);
		char *b = config_value_text(&ex, i);
		if (strcmp(a, b) != 0)
			fail_msg("[%s] %s: example gives '%s', default is '%s'", k.section, k.name,
				 b, a);
		/* the table's default text is what the value reads as */
		if (strcmp(a, k.def) != 0)
			fail_msg("[%s] %s: default text '%s' reads back as '%s'", k.section, k.name,
				 k.def, a);
		if (!ini_text_has(text, k.section, k.name))
			fail_msg("[%s] %s is missing from aura.ini.example", k.section, k.name);
		assert_true(strlen(k.help) > 5);
		free(a);
		free(b);
	}
	assert_int_equal(n, config_key_count());
	assert_true(n >= 58);
	assert_false(config_key_get(n, &k));
	assert_null(config_value_text(&def, n));

	/* doc/configuration.md names every key too */
	char *docpath = xasprintf("%s/doc/configuration.md", src);
	char *doc = slurp(docpath);
	for (size_t i = 0; config_key_get(i, &k); i++) {
		char *tick = xasprintf("`%s`", k.name);
		char *sect = xasprintf("[%s]", k.section);
		if (!strstr(doc, tick) || !strstr(doc, sect))
			fail_msg("doc/configuration.md does not mention [%s] %s", k.section,
				 k.name);
		free(tick);
		free(sect);
	}
	free(doc);
	free(docpath);
	free(text);
	free(path);
	config_free(&def);
	config_free(&ex);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_type_parses),
		cmocka_unit_test(test_sizes_parse),
		cmocka_unit_test(test_empty_means_default),
		cmocka_unit_test(test_duplicate_key_last_wins),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_unknown_section),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_int_ranges_both_ends),
		cmocka_unit_test(test_size_ranges_both_ends),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_insecure_inline_key),
		cmocka_unit_test(test_secret_never_in_error),
		cmocka_unit_test(test_pasted_key_not_echoed),
		cmocka_unit_test(test_api_key_resolution),
		cmocka_unit_test(test_foreach_secret),
		cmocka_unit_test(test_load_twice_no_leak),
		cmocka_unit_test(test_bool_parse),
		cmocka_unit_test(test_example_is_the_defaults),
		cmocka_unit_test(test_retention_keys),
		cmocka_unit_test(test_pools),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
