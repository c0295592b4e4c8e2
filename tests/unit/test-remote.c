/*
 * test-remote.c -- the remote client's pure parts: the
 * ssh://[USER@]HOST[:PORT][/DATA_DIR] address (every part, IPv6, the
 * remote home, and what is refused), the quoting of a word for the remote
 * login shell (checked by running it through sh), and the ssh argv.
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
#include "base/shsplit.h"
#include "client/remote.h"

static void parse_ok(const char *url, const char *user, const char *host, int port, const char *dir)
{
	struct remote_url u;
	struct aura_error err;
	aura_error_clear(&err);
	if (remote_url_parse(url, &u, &err) != 0)
		fail_msg("%s: %s", url, err.detail);
	if (user)
		assert_string_equal(u.user, user);
	else
		assert_null(u.user);
	assert_string_equal(u.host, host);
	assert_int_equal(u.port, port);
	if (dir)
		assert_string_equal(u.data_dir, dir);
	else
		assert_null(u.data_dir);
	remote_url_free(&u);
}

static void parse_bad(const char *url)
{
	struct remote_url u;
	struct aura_error err;
	aura_error_clear(&err);
	if (remote_url_parse(url, &u, &err) != -AURA_E_HOST_INVALID)
		fail_msg("%s was accepted", url);
	assert_int_equal(err.code, AURA_E_HOST_INVALID);
	assert_non_null(strstr(err.detail, url[0] ? url : ""));
}

static void test_url(void **state)
{
	(void)state;
	parse_ok("ssh://render1", NULL, "render1", 0, NULL);
	parse_ok("ssh://render1/", NULL, "render1", 0, NULL);
	parse_ok("ssh://me@render1.example.org:2222/srv/aura", "me", "render1.example.org", 2222,
		 "/srv/aura");
	parse_ok("ssh://10.0.0.7:22", NULL, "10.0.0.7", 22, NULL);
	parse_ok("ssh://[::1]:2200/d", NULL, "::1", 2200, "/d");
	parse_ok("ssh://u@[fe80::1%eth0]", "u", "fe80::1%eth0", 0, NULL);
}

static void test_url_home(void **state)
{
	(void)state;
	parse_ok("ssh://h/~/aura", NULL, "h", 0, "aura");
	parse_ok("ssh://h/~", NULL, "h", 0, ".");
	parse_ok("ssh://h/~x/aura", NULL, "h", 0, "/~x/aura");
}

static void test_url_bad(void **state)
{
	(void)state;
	parse_bad("render1");
	parse_bad("tcp://render1");
	parse_bad("ssh://");
	parse_bad("ssh://-oProxyCommand=x");
	parse_bad("ssh://@h");
	parse_bad("ssh://h:");
	parse_bad("ssh://h:0");
	parse_bad("ssh://h:65536");
	parse_bad("ssh://h:22x");
	parse_bad("ssh://[::1");
	parse_bad("ssh://[]");
	parse_bad("ssh://h?x=1");
	parse_bad("ssh://h/a b");
	parse_bad("ssh://h;rm");
}

/* What sh makes of the quoted word is the word. */
static void quote_roundtrip(const char *word)
{
	char *q = remote_quote(word);
	char **argv;
	int argc;
	struct aura_error err;
	aura_error_clear(&err);
	/* shsplit follows sh's quoting rules (and refuses what sh would
	 * expand): the quoted word must come back as one, unchanged */
	if (shsplit(q, &argv, &argc, &err) != 0)
		fail_msg("%s -> %s: %s", word, q, err.detail);
	assert_int_equal(argc, 1);
	assert_string_equal(argv[0], word);
	shsplit_free(argv);
	free(q);
}

static void test_quote(void **state)
{
	(void)state;
	char *q = remote_quote("/usr/bin/aura");
	assert_string_equal(q, "/usr/bin/aura");
	free(q);
	q = remote_quote("it's");
	assert_string_equal(q, "'it'\\''s'");
	free(q);
	q = remote_quote("");
	assert_string_equal(q, "''");
	free(q);
	const char *words[] = { "a b", "$(reboot)",  "`x`",	    "a;b", "*",
				"~",   "\\",	     "\"",	    "'",   "x\ny",
				"é ü", "--data-dir", "/srv/my aura" };
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		quote_roundtrip(words[i]);
}

static void test_argv(void **state)
{
	(void)state;
	struct remote_url u;
	struct aura_error err;
	char **v;
	aura_error_clear(&err);
	assert_int_equal(remote_url_parse("ssh://me@h:2222/srv/my aura", &u, &err),
			 -AURA_E_HOST_INVALID);
	assert_int_equal(remote_url_parse("ssh://me@h:2222/srv/it's", &u, &err), 0);
	assert_int_equal(remote_argv(&u, "ssh -F '/x y/cfg'", "env A=1 /opt/aura", true, &v, &err),
			 0);
	const char *want[] = { "ssh",
			       "-F",
			       "/x y/cfg",
			       "-T",
			       "-p",
			       "2222",
			       "-l",
			       "me",
			       "--",
			       "h",
			       "env A=1 /opt/aura --data-dir '/srv/it'\\''s' dial-stdio",
			       NULL };
	for (size_t i = 0; want[i]; i++) {
		assert_non_null(v[i]);
		assert_string_equal(v[i], want[i]);
	}
	assert_null(v[10 + 1]);
	remote_argv_free(v);
	/* defaults, and --no-start for a reconnect */
	assert_int_equal(remote_argv(&u, NULL, "", false, &v, &err), 0);
	assert_string_equal(v[0], "ssh");
	assert_string_equal(v[8], "aura --data-dir '/srv/it'\\''s' dial-stdio --no-start");
	remote_argv_free(v);
	/* a command that cannot be split is refused */
	assert_int_equal(remote_argv(&u, "ssh 'oops", NULL, true, &v, &err), -AURA_E_HOST_INVALID);
	assert_null(v);
	remote_url_free(&u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url),	cmocka_unit_test(test_url_home),
		cmocka_unit_test(test_url_bad), cmocka_unit_test(test_quote),
		cmocka_unit_test(test_argv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
