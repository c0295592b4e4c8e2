/*
 * test-paths.c -- where files live: config and data precedence (command
 * line > environment > config > XDG > home), relative paths made absolute,
 * socket placement and its length limit, directory creation modes.
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
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

#include "base/paths.h"
#include "base/util.h"

static char tmpdir[256];
static char home[300];
static char *start_cwd;

static int group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/aura-test-paths.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(home, sizeof(home), "%s/home", tmpdir);
	start_cwd = getcwd(NULL, 0);
	return mkdir(home, 0700);
}

static int group_teardown(void **state)
{
	(void)state;
	if (start_cwd && chdir(start_cwd) < 0)
		return -1;
	free(start_cwd);
	rm_tree(tmpdir);
	return 0;
}

/* A known environment: HOME set, everything else unset. */
static int env_reset(void **state)
{
	(void)state;
	setenv("HOME", home, 1);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_DATA_HOME");
	unsetenv("XDG_RUNTIME_DIR");
	unsetenv("AURA_CONFIG");
	unsetenv("AURA_DATA_DIR");
	umask(022);
	return chdir(tmpdir);
}

/* dir + suffix, newly allocated */
static char *t(const char *dir, const char *suffix)
{
	return xasprintf("%s%s", dir, suffix);
}

static void assert_str_free(char *want, const char *got)
{
	if (!got || strcmp(want, got) != 0)
		fail_msg("got '%s', want '%s'", got ? got : "(null)", want);
	free(want);
}

static void test_config_precedence(void **state)
{
	(void)state;
	struct aura_paths p = { 0 };
	struct aura_error err;

	/* nothing set: the home directory */
	assert_int_equal(paths_resolve_config(&p, NULL, &err), 0);
	assert_str_free(t(home, "/.config/aura/aura.ini"), p.config_file);
	assert_false(p.config_explicit);

	/* XDG_CONFIG_HOME beats HOME; a relative one is ignored (XDG spec) */
	setenv("XDG_CONFIG_HOME", "relative/dir", 1);
	assert_int_equal(paths_resolve_config(&p, NULL, &err), 0);
	assert_str_free(t(home, "/.config/aura/aura.ini"), p.config_file);
	char *xdg = t(tmpdir, "/xdgconf/");
	setenv("XDG_CONFIG_HOME", xdg, 1);
	free(xdg);
	assert_int_equal(paths_resolve_config(&p, NULL, &err), 0);
	assert_str_free(t(tmpdir, "/xdgconf/aura/aura.ini"), p.config_file);
	assert_false(p.config_explicit);

	/* AURA_CONFIG beats XDG, and must exist */
	setenv("AURA_CONFIG", "/etc/aura-env.ini", 1);
	assert_int_equal(paths_resolve_config(&p, NULL, &err), 0);
	assert_string_equal(p.config_file, "/etc/aura-env.ini");
	assert_true(p.config_explicit);

	/* an empty AURA_CONFIG counts as unset */
	setenv("AURA_CONFIG", "", 1);
	assert_int_equal(paths_resolve_config(&p, NULL, &err), 0);
	assert_str_free(t(tmpdir, "/xdgconf/aura/aura.ini"), p.config_file);
	assert_false(p.config_explicit);

	/* -c beats everything; relative becomes absolute against the cwd */
	setenv("AURA_CONFIG", "/etc/aura-env.ini", 1);
	assert_int_equal(paths_resolve_config(&p, "/etc/aura-cli.ini", &err), 0);
	assert_string_equal(p.config_file, "/etc/aura-cli.ini");
	assert_true(p.config_explicit);
	assert_int_equal(paths_resolve_config(&p, "./sub//my.ini", &err), 0);
	assert_str_free(t(tmpdir, "/sub/my.ini"), p.config_file);
	assert_int_equal(paths_resolve_config(&p, "~/my.ini", &err), 0);
	assert_str_free(t(home, "/my.ini"), p.config_file);

	/* an empty -c is a mistake, not "no file" */
	assert_int_equal(paths_resolve_config(&p, "", &err), -AURA_E_CONFIG_UNREADABLE);
	paths_free(&p);
	assert_null(p.config_file);
}

static void test_home_from_passwd(void **state)
{
	(void)state;
	struct passwd *pw = getpwuid(getuid());
	if (!pw || !pw->pw_dir || !*pw->pw_dir)
		skip();
	struct aura_paths p = { 0 };
	struct aura_error err;
	unsetenv("HOME");
	assert_int_equal(paths_resolve_config(&p, NULL, &err), 0);
	char *want =
	    xasprintf("%s/.config/aura/aura.ini", strcmp(pw->pw_dir, "/") ? pw->pw_dir : "");
	assert_str_free(want, p.config_file);
	assert_int_equal(paths_resolve_data(&p, NULL, NULL, &err), 0);
	want = xasprintf("%s/.local/share/aura", strcmp(pw->pw_dir, "/") ? pw->pw_dir : "");
	assert_str_free(want, p.data_dir);
	setenv("HOME", "", 1); /* empty is unset too */
	char *h = paths_home();
	assert_string_equal(h, pw->pw_dir);
	free(h);
	paths_free(&p);
}

static void test_data_precedence(void **state)
{
	(void)state;
	struct aura_paths p = { 0 };
	struct aura_error err;

	assert_int_equal(paths_resolve_data(&p, NULL, NULL, &err), 0);
	assert_str_free(t(home, "/.local/share/aura"), p.data_dir);

	char *xdg = t(tmpdir, "/xdgdata");
	setenv("XDG_DATA_HOME", xdg, 1);
	free(xdg);
	assert_int_equal(paths_resolve_data(&p, NULL, NULL, &err), 0);
	assert_str_free(t(tmpdir, "/xdgdata/aura"), p.data_dir);

	/* config beats XDG */
	assert_int_equal(paths_resolve_data(&p, NULL, "/srv/from-config", &err), 0);
	assert_string_equal(p.data_dir, "/srv/from-config");
	assert_int_equal(paths_resolve_data(&p, NULL, "", &err), 0); /* empty: unset */
	assert_str_free(t(tmpdir, "/xdgdata/aura"), p.data_dir);

	/* environment beats config */
	setenv("AURA_DATA_DIR", "/srv/from-env", 1);
	assert_int_equal(paths_resolve_data(&p, NULL, "/srv/from-config", &err), 0);
	assert_string_equal(p.data_dir, "/srv/from-env");

	/* command line beats environment */
	assert_int_equal(paths_resolve_data(&p, "/srv/from-cli", "/srv/from-config", &err), 0);
	assert_string_equal(p.data_dir, "/srv/from-cli");

	/* derived files */
	assert_string_equal(p.db_file, "/srv/from-cli/aura.db");
	assert_string_equal(p.jobs_dir, "/srv/from-cli/jobs");
	assert_string_equal(p.logs_dir, "/srv/from-cli/logs");
	assert_string_equal(p.log_file, "/srv/from-cli/logs/aura.log");
	assert_string_equal(p.pid_file, "/srv/from-cli/aura.pid");
	assert_string_equal(p.lock_file, "/srv/from-cli/aura.lock");
	assert_string_equal(p.spawn_lock, "/srv/from-cli/spawn.lock");
	char *job = paths_job_dir(&p, 42);
	assert_string_equal(job, "/srv/from-cli/jobs/42");
	free(job);
	paths_free(&p);
}

static void test_relative_becomes_absolute(void **state)
{
	(void)state;
	struct aura_paths p = { 0 };
	struct aura_error err;
	char *sub = t(tmpdir, "/cwd");
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(chdir(sub), 0);

	assert_int_equal(paths_resolve_data(&p, "data//", NULL, &err), 0);
	assert_str_free(t(tmpdir, "/cwd/data"), p.data_dir);
	assert_str_free(t(tmpdir, "/cwd/data/aura.db"), p.db_file);

	setenv("AURA_DATA_DIR", "./env-data/./x/", 1);
	assert_int_equal(paths_resolve_data(&p, NULL, NULL, &err), 0);
	assert_str_free(t(tmpdir, "/cwd/env-data/x"), p.data_dir);
	unsetenv("AURA_DATA_DIR");

	assert_int_equal(paths_resolve_data(&p, NULL, "cfg-data", &err), 0);
	assert_str_free(t(tmpdir, "/cwd/cfg-data"), p.data_dir);

	assert_int_equal(paths_resolve_data(&p, "/abs//trailing///", NULL, &err), 0);
	assert_string_equal(p.data_dir, "/abs/trailing");

	assert_int_equal(paths_resolve_data(&p, "~/d", NULL, &err), 0);
	assert_str_free(t(home, "/d"), p.data_dir);
	free(sub);
	paths_free(&p);
}

static void test_socket_placement(void **state)
{
	(void)state;
	struct aura_paths p = { 0 };
	struct aura_error err;
	char *rt = t(tmpdir, "/run");

	/* default data dir, XDG_RUNTIME_DIR set: the socket lives there */
	setenv("XDG_RUNTIME_DIR", rt, 1);
	assert_int_equal(paths_resolve_data(&p, NULL, NULL, &err), 0);
	assert_str_free(t(tmpdir, "/run/aura"), p.runtime_dir);
	assert_str_free(t(tmpdir, "/run/aura/aura.sock"), p.socket_path);

	/* naming the default directory explicitly reaches the same socket */
	char *def = t(home, "/.local/share/aura/");
	assert_int_equal(paths_resolve_data(&p, def, NULL, &err), 0);
	assert_str_free(t(tmpdir, "/run/aura/aura.sock"), p.socket_path);
	free(def);

	/* any other data dir: one server per directory, the socket inside it */
	assert_int_equal(paths_resolve_data(&p, "/srv/d", NULL, &err), 0);
	assert_string_equal(p.runtime_dir, "/srv/d/run");
	assert_string_equal(p.socket_path, "/srv/d/run/aura.sock");
	assert_int_equal(paths_resolve_data(&p, NULL, "/srv/c", &err), 0);
	assert_string_equal(p.socket_path, "/srv/c/run/aura.sock");

	/* no XDG_RUNTIME_DIR, or a relative one: inside the data dir */
	unsetenv("XDG_RUNTIME_DIR");
	assert_int_equal(paths_resolve_data(&p, NULL, NULL, &err), 0);
	assert_str_free(t(home, "/.local/share/aura/run"), p.runtime_dir);
	assert_str_free(t(home, "/.local/share/aura/run/aura.sock"), p.socket_path);
	setenv("XDG_RUNTIME_DIR", "run", 1);
	assert_int_equal(paths_resolve_data(&p, NULL, NULL, &err), 0);
	assert_str_free(t(home, "/.local/share/aura/run/aura.sock"), p.socket_path);
	free(rt);
	paths_free(&p);
}

static void test_socket_too_long(void **state)
{
	(void)state;
	struct aura_paths p = { 0 };
	struct aura_error err;
	const size_t limit = 107; /* sizeof(sun_path) - 1 */
	const size_t tail = strlen("/run/aura.sock");

	/* exactly at the limit is fine, one byte more is not */
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "/d");
	while (b.len < limit - tail)
		buf_puts(&b, "x");
	assert_int_equal(paths_resolve_data(&p, b.data, NULL, &err), 0);
	assert_int_equal(strlen(p.socket_path), limit);
	buf_puts(&b, "y");
	aura_error_clear(&err);
	assert_int_equal(paths_resolve_data(&p, b.data, NULL, &err), -AURA_E_PATH_TOO_LONG);
	assert_int_equal(err.code, AURA_E_PATH_TOO_LONG);
	assert_non_null(strstr(err.detail, "108 bytes"));
	assert_non_null(strstr(err.detail, "at most 107"));
	assert_non_null(strstr(err.detail, "shorter data directory"));
	/* the failed call left the earlier result alone */
	assert_int_equal(strlen(p.socket_path), limit);

	/* the default data dir under a long XDG_RUNTIME_DIR */
	buf_reset(&b);
	buf_puts(&b, "/run/user/");
	while (b.len < 120)
		buf_puts(&b, "r");
	setenv("XDG_RUNTIME_DIR", b.data, 1);
	assert_int_equal(paths_resolve_data(&p, NULL, NULL, &err), -AURA_E_PATH_TOO_LONG);
	assert_non_null(strstr(err.detail, "XDG_RUNTIME_DIR"));
	buf_free(&b);
	paths_free(&p);
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		fail_msg("stat %s: %s", path, strerror(errno));
	return st.st_mode & 07777;
}

static void test_ensure_modes(void **state)
{
	(void)state;
	struct aura_paths p = { 0 };
	struct aura_error err;
	char *rt = t(tmpdir, "/rt");
	assert_int_equal(mkdir(rt, 0700), 0);
	setenv("XDG_RUNTIME_DIR", rt, 1);
	char *xdg = t(tmpdir, "/new/share");
	setenv("XDG_DATA_HOME", xdg, 1);
	free(xdg);

	umask(0); /* the modes must come from aura, not from a kind umask */
	assert_int_equal(paths_resolve_data(&p, NULL, NULL, &err), 0);
	assert_int_equal(paths_ensure(&p, &err), 0);
	const char *dirs[] = { p.data_dir, p.jobs_dir, p.logs_dir, p.runtime_dir };
	for (size_t i = 0; i < ARRAY_LEN(dirs); i++)
		if (mode_of(dirs[i]) != 0700)
			fail_msg("%s has mode %04o", dirs[i], (unsigned)mode_of(dirs[i]));
	char *parent = t(tmpdir, "/new");
	assert_int_equal(mode_of(parent), 0700); /* parents created on the way too */
	free(parent);
	assert_int_equal(paths_ensure(&p, &err), 0); /* existing is fine */

	/* a runtime dir that became wider is narrowed again */
	assert_int_equal(chmod(p.runtime_dir, 0755), 0);
	assert_int_equal(paths_ensure(&p, &err), 0);
	assert_int_equal(mode_of(p.runtime_dir), 0700);

	/* a data dir the user made and shares keeps its mode */
	char *shared = t(tmpdir, "/shared");
	assert_int_equal(mkdir(shared, 0755), 0);
	assert_int_equal(paths_resolve_data(&p, shared, NULL, &err), 0);
	assert_int_equal(paths_ensure(&p, &err), 0);
	assert_int_equal(mode_of(shared), 0755);
	assert_int_equal(mode_of(p.jobs_dir), 0700);
	assert_int_equal(mode_of(p.runtime_dir), 0700);
	free(shared);
	umask(022);
	free(rt);
	paths_free(&p);
}

static void test_ensure_errors(void **state)
{
	(void)state;
	struct aura_paths p = { 0 };
	struct aura_error err;

	/* a data dir below a regular file cannot be made */
	char *file = t(tmpdir, "/plainfile");
	FILE *fp = fopen(file, "w");
	assert_non_null(fp);
	fclose(fp);
	char *bad = t(tmpdir, "/plainfile/data");
	assert_int_equal(paths_resolve_data(&p, bad, NULL, &err), 0);
	aura_error_clear(&err);
	assert_int_equal(paths_ensure(&p, &err), -AURA_E_DATA_DIR);
	assert_int_equal(err.code, AURA_E_DATA_DIR);
	assert_non_null(strstr(err.detail, bad));
	assert_non_null(strstr(err.detail, strerror(ENOTDIR)));

	/* an unwritable data dir (root writes anyway, so only as a user) */
	if (geteuid() != 0) {
		char *ro = t(tmpdir, "/readonly");
		assert_int_equal(mkdir(ro, 0700), 0);
		char *jobs = t(tmpdir, "/readonly/jobs");
		char *logs = t(tmpdir, "/readonly/logs");
		char *run = t(tmpdir, "/readonly/run");
		assert_int_equal(mkdir(jobs, 0700), 0);
		assert_int_equal(mkdir(logs, 0700), 0);
		assert_int_equal(mkdir(run, 0700), 0);
		assert_int_equal(chmod(ro, 0500), 0);
		assert_int_equal(paths_resolve_data(&p, ro, NULL, &err), 0);
		assert_int_equal(paths_ensure(&p, &err), -AURA_E_DATA_DIR);
		assert_non_null(strstr(err.detail, ro));
		assert_non_null(strstr(err.detail, strerror(EACCES)));
		assert_int_equal(chmod(ro, 0700), 0); /* so the teardown can remove it */
		free(ro);
		free(jobs);
		free(logs);
		free(run);
	}
	free(file);
	free(bad);
	paths_free(&p);
}

static void test_expand_home(void **state)
{
	(void)state;
	char *s = paths_expand_home("~");
	assert_string_equal(s, home);
	free(s);
	s = paths_expand_home("~/a/b");
	assert_str_free(t(home, "/a/b"), s);
	free(s);
	s = paths_expand_home("~other/x"); /* only the user's own home */
	assert_string_equal(s, "~other/x");
	free(s);
	s = paths_expand_home("/a/~/b");
	assert_string_equal(s, "/a/~/b");
	free(s);
	assert_null(paths_expand_home(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_config_precedence, env_reset),
		cmocka_unit_test_setup(test_home_from_passwd, env_reset),
		cmocka_unit_test_setup(test_data_precedence, env_reset),
		cmocka_unit_test_setup(test_relative_becomes_absolute, env_reset),
		cmocka_unit_test_setup(test_socket_placement, env_reset),
		cmocka_unit_test_setup(test_socket_too_long, env_reset),
		cmocka_unit_test_setup(test_ensure_modes, env_reset),
		cmocka_unit_test_setup(test_ensure_errors, env_reset),
		cmocka_unit_test_setup(test_expand_home, env_reset),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
