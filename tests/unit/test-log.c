/*
 * test-log.c -- the logger: line format and level filter, size rotation
 * with exactly `keep` old files, redaction of registered secrets (also
 * split across format arguments, overlapping, repeated, JSON-escaped or
 * URL-encoded, and key-like tokens never registered), escaping of
 * control characters, and surviving a log file deleted behind its back.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/log.h"

struct fx {
	char dir[64];
	char *path;
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	str_copy(f->dir, "/tmp/aura-test-log.XXXXXX", sizeof(f->dir));
	if (!mkdtemp(f->dir))
		return -1;
	f->path = xasprintf("%s/aura.log", f->dir);
	log_set_level(LOG_LEVEL_INFO);
	log_set_stderr(false);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	log_close();
	log_clear_secrets();
	log_set_level(LOG_LEVEL_INFO);
	log_set_stderr(false);
	unlink(f->path);
	for (int i = 1; i <= 10; i++) {
		char *p = xasprintf("%s.%d", f->path, i);
		unlink(p);
		free(p);
	}
	rmdir(f->dir);
	free(f->path);
	free(f);
	return 0;
}

/* Whole file, NUL-terminated; *len gets the byte count. NULL if missing. */
static char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	struct buf b;
	buf_init(&b);
	buf_reserve(&b, 0);
	char chunk[4096];
	ssize_t n;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_append(&b, chunk, (size_t)n);
	close(fd);
	if (len)
		*len = b.len;
	return b.data;
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static bool matches(const char *re, const char *s)
{
	regex_t rx;
	assert_int_equal(regcomp(&rx, re, REG_EXTENDED | REG_NEWLINE), 0);
	bool m = regexec(&rx, s, 0, NULL, 0) == 0;
	regfree(&rx);
	return m;
}

static void test_line_format(void **state)
{
	struct fx *f = *state;
	assert_int_equal(log_open(f->path, 0, 3), 0);
	time_t before = time(NULL);
	log_info("hello %d", 42);
	log_close();

	char *s = slurp(f->path, NULL);
	assert_non_null(s);
	char *re = xasprintf("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
			     "INFO \\[%ld\\] hello 42\n$",
			     (long)getpid());
	assert_true(matches(re, s));
	assert_int_equal(count_lines(s), 1);
	free(re);

	/* The stamp is UTC and now. */
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	assert_non_null(strptime(s, "%Y-%m-%dT%H:%M:%S", &tm));
	time_t stamp = timegm(&tm);
	assert_true(stamp >= before - 1 && stamp <= time(NULL) + 1);
	free(s);

	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_appends_to_existing_file(void **state)
{
	struct fx *f = *state;
	assert_int_equal(log_open(f->path, 0, 3), 0);
	log_info("first");
	log_close();
	assert_int_equal(log_open(f->path, 0, 3), 0);
	log_info("second");
	log_close();
	char *s = slurp(f->path, NULL);
	assert_int_equal(count_lines(s), 2);
	assert_true(matches(" first\n.* second\n$", s));
	free(s);
}

static void test_level_filter(void **state)
{
	struct fx *f = *state;
	assert_int_equal(log_open(f->path, 0, 3), 0);
	log_set_level(LOG_LEVEL_WARN);
	log_error("e1");
	log_warn("w1");
	log_info("i1");
	log_debug("d1");
	log_set_level(LOG_LEVEL_DEBUG);
	log_debug("d2");
	log_close();

	char *s = slurp(f->path, NULL);
	assert_int_equal(count_lines(s), 3);
	assert_true(matches("^.* ERROR \\[[0-9]+\\] e1$", s));
	assert_true(matches("^.* WARN \\[[0-9]+\\] w1$", s));
	assert_true(matches("^.* DEBUG \\[[0-9]+\\] d2$", s));
	assert_null(strstr(s, "i1"));
	assert_null(strstr(s, "d1"));
	free(s);
}

/* Line numbers of "line NNNN" entries in a file, appended to nums. */
static void collect(const char *path, int *nums, int *n)
{
	char *s = slurp(path, NULL);
	assert_non_null(s);
	for (char *p = s; (p = strstr(p, "line ")) != NULL; p += 5)
		nums[(*n)++] = atoi(p + 5);
	free(s);
}

static void test_rotation(void **state)
{
	struct fx *f = *state;
	const uint64_t max = 300;
	const int keep = 3, total = 100;
	assert_int_equal(log_open(f->path, max, keep), 0);
	for (int i = 0; i < total; i++)
		log_info("line %04d padding padding", i);
	log_close();

	int nums[200], n = 0;
	for (int i = keep; i >= 1; i--) {
		char *p = xasprintf("%s.%d", f->path, i);
		struct stat st;
		assert_int_equal(stat(p, &st), 0);
		assert_true((uint64_t)st.st_size <= max);
		assert_true(st.st_size > 0);
		collect(p, nums, &n);
		free(p);
	}
	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	assert_true((uint64_t)st.st_size <= max);
	collect(f->path, nums, &n);

	/* exactly `keep` old files */
	char *beyond = xasprintf("%s.%d", f->path, keep + 1);
	assert_int_equal(access(beyond, F_OK), -1);
	free(beyond);

	/* oldest .. newest is one unbroken run ending with the last line: no
	 * line lost or reordered by rotation, and the oldest were dropped. */
	assert_true(n > 0 && n < total);
	assert_int_equal(nums[n - 1], total - 1);
	for (int i = 1; i < n; i++)
		assert_int_equal(nums[i], nums[i - 1] + 1);
	assert_true(nums[0] > 0);
}

static void test_rotation_keep_zero(void **state)
{
	struct fx *f = *state;
	assert_int_equal(log_open(f->path, 200, 0), 0);
	for (int i = 0; i < 50; i++)
		log_info("line %04d padding padding", i);
	log_close();
	char *p = xasprintf("%s.1", f->path);
	assert_int_equal(access(p, F_OK), -1);
	free(p);
	char *s = slurp(f->path, NULL);
	assert_non_null(strstr(s, "line 0049"));
	assert_null(strstr(s, "line 0000"));
	free(s);
}

static void test_oversized_line_is_written_once(void **state)
{
	struct fx *f = *state;
	char big[512];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(log_open(f->path, 100, 2), 0);
	log_info("%s", big);
	log_info("after");
	log_close();
	char *s = slurp(f->path, NULL);
	assert_non_null(strstr(s, "after"));
	free(s);
	char *p = xasprintf("%s.1", f->path);
	s = slurp(p, NULL);
	assert_non_null(s);
	assert_non_null(strstr(s, big));
	free(s);
	free(p);
}

static void test_secret_never_written(void **state)
{
	struct fx *f = *state;
	const char *secret = "sk-live-4f9a8b7c6d5e";
	log_add_secret(secret);
	assert_int_equal(log_open(f->path, 0, 3), 0);
	log_info("key=%s", secret);
	/* split across two format arguments: redaction sees the whole line */
	log_info("Authorization: Bearer %s%s", "sk-live-4f9a", "8b7c6d5e");
	log_error("multi\nline %s\ttab", secret);
	log_info("%.*s|%s", 8, secret, secret + 8); /* halves with a gap: no secret */
	log_close();

	size_t len;
	char *s = slurp(f->path, &len);
	assert_null(memmem(s, len, secret, strlen(secret)));
	int redacted = 0;
	for (char *p = s; (p = strstr(p, "[REDACTED]")) != NULL; p++)
		redacted++;
	assert_int_equal(redacted, 3);
	assert_non_null(strstr(s, "key=[REDACTED]\n"));
	assert_non_null(strstr(s, "Bearer [REDACTED]\n"));
	free(s);
}

static void test_redact_overlapping_and_repeated(void **state)
{
	(void)state;
	char *r;
	log_add_secret("abcdef");
	log_add_secret("defghi");
	log_add_secret("zzzz");

	r = log_redact("xx abcdefghi yy");
	assert_string_equal(r, "xx [REDACTED] yy");
	free(r);
	r = log_redact("abcdef-abcdef abcdef");
	assert_string_equal(r, "[REDACTED]-[REDACTED] [REDACTED]");
	free(r);
	r = log_redact("zzzzzzz"); /* self-overlapping: no z may survive */
	assert_string_equal(r, "[REDACTED]");
	free(r);
	r = log_redact("defabc nothing here");
	assert_string_equal(r, "defabc nothing here");
	free(r);
	r = log_redact("");
	assert_string_equal(r, "");
	free(r);
	assert_null(log_redact(NULL));

	/* registering twice changes nothing; clearing forgets */
	log_add_secret("abcdef");
	r = log_redact("abcdef");
	assert_string_equal(r, "[REDACTED]");
	free(r);
	log_clear_secrets();
	r = log_redact("abcdef");
	assert_string_equal(r, "abcdef");
	free(r);
}

/* r == want, then free r. */
static void redacts_to(const char *in, const char *want)
{
	char *r = log_redact(in);
	assert_string_equal(r, want);
	free(r);
}

/* A key a service echoes back in another spelling is still redacted:
 * JSON-escaped in each legal way (also mixed with raw bytes), URL-encoded
 * in either hex case and with '+' for a space, keys holding " and \. */
static void test_redact_encoded_forms(void **state)
{
	(void)state;
	log_add_secret("sk-AbC/dEf\"gh\\ij kl");
	const char *const forms[] = {
		"sk-AbC/dEf\"gh\\ij kl",				   /* raw */
		"sk-AbC\\/dEf\\\"gh\\\\ij kl",				   /* \/ \" \\ */
		"sk-AbC/dEf\\\"gh\\\\ij kl",				   /* / left raw */
		"\\u0073\\u006B-AbC\\u002FdEf\\u0022gh\\u005cij\\u0020kl", /* \u, both cases */
		"sk-AbC%2FdEf%22gh%5Cij%20kl",				   /* %XX upper */
		"sk-AbC%2fdEf%22gh%5cij+kl", /* %xx lower, + for space */
		"%73%6b%2D%41%62%43%2F%64%45%66%22%67%68%5C%69%6A%20%6B%6C", /* every byte */
	};
	for (size_t i = 0; i < ARRAY_LEN(forms); i++) {
		char *in = xasprintf("{\"error\": \"Incorrect API key provided: %s.\"}", forms[i]);
		char *r = log_redact(in);
		if (strcmp(r, "{\"error\": \"Incorrect API key provided: [REDACTED].\"}") != 0)
			fail_msg("form %zu: %s -> %s", i, in, r);
		free(r);
		free(in);
	}
	/* a surrogate pair: a key with a character beyond the BMP */
	log_add_secret("key-\xF0\x9F\x94\x91-x");
	redacts_to("a key-\\uD83D\\uDD11-x b", "a [REDACTED] b");
	redacts_to("a key-%F0%9F%94%91-x b", "a [REDACTED] b");
	/* near misses stay */
	redacts_to("sk-AbC\\/dEf\\\"gh\\\\ij k", "sk-AbC\\/dEf\\\"gh\\\\ij k");
	redacts_to("sk-AbC%2", "sk-AbC%2");
}

/* A token that looks like a key is redacted even if it was never
 * configured; ordinary words, paths and hex digests are not. */
static void test_redact_key_like_tokens(void **state)
{
	(void)state;
	redacts_to("Incorrect API key provided: sk-proj-Abc123SECRETxyz.",
		   "Incorrect API key provided: [REDACTED].");
	redacts_to("key sk_0123456789abcdef0123 refused", "key [REDACTED] refused");
	redacts_to("pexels 563492ad6f91700001000001Ab3c4d5e6f7a8b9c0 refused",
		   "pexels [REDACTED] refused");
	const char *keep = "/tmp/aura-t.Ab12Cd/data/jobs/12/scene-1.openai.wav sk-short "
			   "yuv420p(tv, progressive) 3f786850e387550fdab836ed7e6dc881de23001b "
			   "HowBeesMakeHoney2024";
	redacts_to(keep, keep);
	assert_true(log_looks_like_key("sk-proj-Abc123SECRETxyz", 23));
	assert_false(log_looks_like_key("api_key sk-proj-Abc123SECRETxyz", 31));
	assert_false(log_looks_like_key("max_jobs", 8));
}

static void test_short_secrets_ignored(void **state)
{
	(void)state;
	log_add_secret("");
	log_add_secret("abc");
	log_add_secret(NULL);
	char *r = log_redact("abc a b c");
	assert_string_equal(r, "abc a b c");
	free(r);
	log_add_secret("abcd"); /* the minimum length counts */
	r = log_redact("abcd");
	assert_string_equal(r, "[REDACTED]");
	free(r);
}

static void test_control_chars_escaped(void **state)
{
	struct fx *f = *state;
	assert_int_equal(log_open(f->path, 0, 3), 0);
	log_info("a\x01"
		 "b\x1b[31m\nnext\tline\r\x7f\n");
	log_close();
	char *s = slurp(f->path, NULL);
	assert_true(matches(" a\\\\x01b\\\\x1b\\[31m\nnext\tline\\\\x0d\\\\x7f\n$", s));
	assert_int_equal(count_lines(s), 2); /* the trailing newline is not doubled */
	free(s);
}

static void test_deleted_file(void **state)
{
	struct fx *f = *state;
	assert_int_equal(log_open(f->path, 1000, 2), 0);
	log_info("before");
	assert_int_equal(unlink(f->path), 0);
	log_info("after");
	/* the directory too: nothing can be written, and nothing breaks */
	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(rmdir(f->dir), 0);
	errno = 1234;
	log_info("into the void");
	assert_int_equal(errno, 1234); /* the caller's errno is kept */
	log_close();
	assert_int_equal(mkdir(f->dir, 0700), 0);
}

static void test_deleted_file_is_recreated(void **state)
{
	struct fx *f = *state;
	assert_int_equal(log_open(f->path, 1000, 2), 0);
	log_info("before");
	assert_int_equal(unlink(f->path), 0);
	log_info("after");
	log_close();
	char *s = slurp(f->path, NULL);
	assert_non_null(s);
	assert_null(strstr(s, "before"));
	assert_non_null(strstr(s, "after"));
	free(s);
}

static void test_open_failure(void **state)
{
	(void)state;
	errno = 0;
	assert_int_equal(log_open("/nonexistent-aura-dir/aura.log", 0, 1), -1);
	assert_int_equal(errno, ENOENT);
}

/* Not opened: lines go to stderr, still filtered and redacted. */
static void test_unopened_goes_to_stderr(void **state)
{
	struct fx *f = *state;
	char *errpath = xasprintf("%s/stderr", f->dir);
	int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	log_add_secret("hunter2hunter2");
	log_warn("to stderr hunter2hunter2");
	log_debug("filtered");
	dup2(saved, STDERR_FILENO);
	close(saved);

	char *s = slurp(errpath, NULL);
	assert_true(matches("^.*Z WARN \\[[0-9]+\\] to stderr \\[REDACTED\\]\n$", s));
	free(s);
	unlink(errpath);
	free(errpath);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_line_format),	       T(test_appends_to_existing_file),
		T(test_level_filter),	       T(test_rotation),
		T(test_rotation_keep_zero),    T(test_oversized_line_is_written_once),
		T(test_secret_never_written),  T(test_redact_overlapping_and_repeated),
		T(test_redact_encoded_forms),  T(test_redact_key_like_tokens),
		T(test_short_secrets_ignored), T(test_control_chars_escaped),
		T(test_deleted_file),	       T(test_deleted_file_is_recreated),
		T(test_open_failure),	       T(test_unopened_goes_to_stderr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
