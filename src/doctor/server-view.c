/*
 * server-view.c -- the "server" checks of `aura doctor`: whether a server
 * runs, and when one does, what it sees (its `ping` answer,
 * doc/protocol.md): whether it can write its store, the FFmpeg it runs
 * jobs with, and whether the configuration file changed since it read it.
 *
 * Must never: print, start a server, or wait on one without a bound (one
 * connect and one ping, 2 s each).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "client/client.h"
#include "doctor/check.h"

#define PING_TIMEOUT_MS 2000

/* The server's store: NULL when it can write it (or did not say), else
 * what it said, with its code in *code. */
static char *store_trouble(json_t *res, int *code)
{
	json_t *store = json_object_get(res, "store");
	if (!json_is_false(json_object_get(store, "writable")))
		return NULL;
	const char *name = json_string_value(json_object_get(store, "code"));
	const char *detail = json_string_value(json_object_get(store, "detail"));
	json_int_t pending = json_integer_value(json_object_get(store, "pending"));
	json_int_t since = json_integer_value(json_object_get(store, "since_ms"));
	*code = name ? aura_error_lookup(name) : 0;
	if (*code <= 0)
		*code = AURA_E_STORE_IO;
	return xasprintf("the server cannot write its store for %lld s (%s); %lld change%s "
			 "wait; no job starts until it can",
			 (long long)((time_now_ms() - since) / 1000), detail ? detail : "",
			 (long long)pending, pending == 1 ? "" : "s");
}

/* "HH:MM" of a wall-clock time in ms, local time, into buf; a different
 * day is shown as "YYYY-MM-DD HH:MM". */
static const char *clock_text(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000), now = time(NULL);
	struct tm tm, tn;
	localtime_r(&t, &tm);
	localtime_r(&now, &tn);
	bool today = tm.tm_year == tn.tm_year && tm.tm_yday == tn.tm_yday;
	strftime(buf, len, today ? "%H:%M" : "%Y-%m-%d %H:%M", &tm);
	return buf;
}

/* "server:ffmpeg": the path the server would run (its own PATH,
 * AURA_FFMPEG and configuration), with the version it answers here. */
static void check_server_ffmpeg(struct doctor_report *r, json_t *res, const char *ours)
{
	json_t *jf = json_object_get(res, "ffmpeg");
	if (!jf)
		return; /* a server older than this field */
	struct doctor_check *c = doctor_check_add(r, "server:ffmpeg", false);
	const char *path = json_string_value(jf);
	if (!path) {
		doctor_check_fail(c, DOCTOR_WARN, AURA_E_FFMPEG_NOT_FOUND,
				  xstrdup("the server found no ffmpeg (its PATH, AURA_FFMPEG and "
					  "[ffmpeg] ffmpeg): its FFmpeg jobs fail"));
		return;
	}
	char *why = NULL;
	char *ver = doctor_version_of(path, &why);
	if (!ver) {
		doctor_check_fail(c, DOCTOR_WARN, AURA_E_FFMPEG_NOT_FOUND,
				  xasprintf("the server's ffmpeg: %s", why));
		free(why);
		return;
	}
	bool other = ours && strcmp(ours, path) != 0;
	c->value = xasprintf("%s (%s)%s%s", path, ver, other ? "; this shell finds " : "",
			     other ? ours : "");
	free(ver);
}

/* "server:config": the server read its configuration once, when it
 * started; a file changed (or created) since is not what it runs with. */
static void check_server_config(struct doctor_report *r, json_t *res)
{
	json_t *conf = json_object_get(res, "config");
	if (!json_is_object(conf))
		return;
	struct doctor_check *c = doctor_check_add(r, "server:config", false);
	const char *file = json_string_value(json_object_get(conf, "file"));
	bool read = json_is_true(json_object_get(conf, "read"));
	json_t *jread = json_object_get(conf, "read_ms");
	json_t *jmtime = json_object_get(conf, "mtime_ms");
	char at[32], changed[32];
	if (!file)
		file = "the configuration file";
	if (!json_is_integer(jread)) {
		c->value = xasprintf("%s (%s)", file, read ? "read" : "defaults");
		return;
	}
	int64_t read_ms = json_integer_value(jread);
	clock_text(read_ms, at, sizeof(at));
	if (json_is_integer(jmtime) && (json_integer_value(jmtime) > read_ms || !read)) {
		clock_text(json_integer_value(jmtime), changed, sizeof(changed));
		doctor_check_fail(c, DOCTOR_WARN, AURA_E_CONFIG_CHANGED,
				  read ? xasprintf("the server runs with the configuration of %s; "
						   "%s changed since (%s) \xe2\x80\x94 restart it",
						   at, file, changed)
				       : xasprintf("the server runs with the defaults since %s; %s "
						   "was created since (%s) \xe2\x80\x94 restart it",
						   at, file, changed));
		return;
	}
	c->value = read ? xasprintf("%s, read at %s, unchanged since", file, at)
			: xasprintf("defaults since %s (no %s)", at, file);
}

void doctor_check_server(struct doctor_report *r, const struct aura_paths *paths,
			 const char *ffmpeg)
{
	const char *sock_path = paths ? paths->socket_path : NULL;
	struct doctor_check *c = doctor_check_add(r, "server", false);
	if (!sock_path) {
		c->status = DOCTOR_INFO;
		c->value = xstrdup("no server running");
		return;
	}
	struct client *cl;
	struct aura_error err;
	int rc = client_connect_within(sock_path, PING_TIMEOUT_MS, &cl, &err);
	int e = errno;
	if (rc == -AURA_E_PATH_TOO_LONG) {
		doctor_check_fail(c, DOCTOR_WARN, AURA_E_PATH_TOO_LONG,
				  xasprintf("socket path %s is too long", sock_path));
		return;
	}
	if (rc < 0) {
		client_free(cl);
		if (e == EINPROGRESS || e == EAGAIN) {
			c->value = xasprintf("running (%s), busy", sock_path);
		} else if (e == ENOENT || e == ECONNREFUSED) {
			c->status = DOCTOR_INFO;
			c->value = e == ENOENT ? xstrdup("no server running")
					       : xasprintf("no server running (stale socket %s)",
							   sock_path);
		} else {
			doctor_check_fail(c, DOCTOR_WARN, AURA_E_SERVER_UNREACHABLE,
					  xasprintf("%s: %s", sock_path, strerror(e)));
		}
		return;
	}
	json_t *res = NULL;
	if (client_call_within(cl, "ping", NULL, PING_TIMEOUT_MS, &res, &err) < 0) {
		client_free(cl);
		c->value = xasprintf("running (%s), no answer to ping: %s", sock_path, err.detail);
		return;
	}
	client_free(cl);
	int code = 0;
	char *trouble = store_trouble(res, &code);
	json_int_t pid = json_integer_value(json_object_get(res, "pid"));
	const char *ver = json_string_value(json_object_get(res, "version"));
	if (trouble)
		doctor_check_fail(c, DOCTOR_FAIL, code, trouble);
	else
		c->value = xasprintf("running (%s), pid %lld, aura %s", sock_path, (long long)pid,
				     ver ? ver : "?");
	check_server_ffmpeg(r, res, ffmpeg);
	check_server_config(r, res);
	json_decref(res);
}
