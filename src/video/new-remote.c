/*
 * new-remote.c -- the files of a `new` request from a client on another
 * machine (`aura --host`, doc/remote.md), looked up here, on the server, at
 * submit: what `aura new` does on its own side for a local user. The
 * request names them as the server's absolute paths ("script_path",
 * "from_path", "output_path"; "variant" of `new --variants`); they are
 * read or resolved with the client's own code (new-input.c, vspec-files.c,
 * vspec-music.c) and replaced by what a local client sends (the script's
 * text, the document's summary, the output's final name), so the stored
 * spec is the same as for a local submit and retries read no file again.
 * A request without "cwd" (a client elsewhere, which could not look) gets
 * its --images and --music checked here too.
 *
 * Must never: change the request unless every file was found (a batch
 * row's error names the field it came from), or accept a relative path.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "base/errors.h"
#include "base/paths.h"
#include "base/utf8.h"
#include "base/util.h"
#include "video/new-input.h"
#include "video/vspec.h"

#define VARIANTS_MAX 100

/* A file's error says where it was looked up: the user may have meant
 * one on their own machine. */
static int on_server(int rc, struct aura_error *err)
{
	size_t n = strlen(err->detail);
	if (rc < 0 && n + 20 < sizeof(err->detail))
		snprintf(err->detail + n, sizeof(err->detail) - n, " (on the server)");
	return rc;
}

static int path_opt(json_t *opts, const char *key, const char *opt, const char **out,
		    struct aura_error *err)
{
	json_t *v = json_object_get(opts, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	const char *s = json_string_value(v);
	if (!s)
		return aura_error_set(err, AURA_E_USAGE, "\"%s\" must be a string", key);
	if (s[0] != '/')
		return aura_error_set(err, AURA_E_REMOTE_PATH_RELATIVE, "%s %s", opt, s);
	*out = s;
	return 0;
}

static json_t *text_json(const char *s)
{
	char *t = utf8_repair(s);
	json_t *j = json_string(t);
	free(t);
	return j;
}

/* -o of a remote `new` (and its variant): as vspec_output_path and
 * `new` do it on this side. Caller frees *out. */
static int output_name(const struct vspec *vs, const struct aura_config *cfg, const char *given,
		       json_int_t variant, char **out, struct aura_error *err)
{
	bool srt = (vs->captions & VSPEC_CAPTIONS_SRT) != 0;
	struct stat st;
	char *o;
	*out = NULL;
	if (given) {
		if (stat(given, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
			return aura_error_set(err, AURA_E_OUTPUT_UNWRITABLE,
					      "-o %s is not a regular file or a folder (on the "
					      "server)",
					      given);
		o = vspec_output_path(given, NULL, vs->topic, srt);
	} else {
		o = vspec_default_output(vs, cfg);
	}
	if (!o)
		return aura_error_set(err, AURA_E_OUTPUT_UNWRITABLE,
				      "no output was named and the server has no home directory");
	if (variant > 0) { /* STEM-vI.mp4 beside it, as `new --variants` */
		size_t len = strlen(o);
		if (len > 4 && strcmp(o + len - 4, ".mp4") == 0)
			o[len - 4] = '\0';
		char *slash = strrchr(o, '/');
		*slash = '\0';
		char *base = xasprintf("%s-v%lld", slash + 1, (long long)variant);
		char *v = given ? xasprintf("%s/%s.mp4", o, base) : vspec_free_output(o, base, srt);
		free(base);
		free(o);
		o = v;
	}
	if (given && lstat(o, &st) == 0) {
		aura_error_set(err, AURA_E_OUTPUT_EXISTS, "%s (on the server)", o);
		free(o);
		return -AURA_E_OUTPUT_EXISTS;
	}
	int rc = on_server(paths_check_output(o, err), err);
	if (rc < 0)
		free(o);
	else
		*out = o;
	return rc;
}

/* --images and --music of a client that could not look: listed and
 * picked here, as `new` does on its side. */
static int check_media(const struct vspec *vs, struct aura_error *err)
{
	int rc = 0, n;
	if (vs->images) {
		char **files;
		rc = on_server(vspec_list_images(vs->images, &files, &n, err), err);
		if (rc == 0)
			vspec_files_free(files);
	}
	if (rc == 0 && vs->music) {
		char *track;
		rc = on_server(vspec_music_pick(vs->music, vs->seed, &track, &n, err), err);
		if (rc == 0)
			free(track);
	}
	return rc;
}

int new_input_on_server(json_t *params, const struct aura_config *cfg, struct aura_error *err)
{
	json_t *opts = json_object_get(params, "options");
	json_t *cwd = json_object_get(params, "cwd");
	bool remote = !cwd || json_is_null(cwd);
	if (!json_is_object(opts))
		return 0; /* vspec_from_json says what is wrong */
	const char *script, *from, *given;
	json_t *vv = json_object_get(opts, "variant");
	json_int_t variant = 0;
	int rc;
	if ((rc = path_opt(opts, "script_path", "--script", &script, err)) < 0 ||
	    (rc = path_opt(opts, "from_path", "--from", &from, err)) < 0 ||
	    (rc = path_opt(opts, "output_path", "-o", &given, err)) < 0)
		return rc;
	if (vv && !json_is_null(vv)) {
		variant = json_is_integer(vv) ? json_integer_value(vv) : -1;
		if (variant < 1 || variant > VARIANTS_MAX)
			return aura_error_set(err, AURA_E_USAGE,
					      "\"variant\" must be a whole number from 1 to %d",
					      VARIANTS_MAX);
	}
	if (!script && !from && !given && !variant && !remote)
		return 0; /* a local client's request: it looked itself */
	if (script && from)
		return aura_error_set(err, AURA_E_USAGE, "--script and --from: one or the other");

	/* everything worked out on a copy; params change only at the end */
	json_t *copy = json_deep_copy(params), *copts = json_object_get(copy, "options");
	static const char *const mine[] = { "script_path", "from_path", "output_path", "variant" };
	for (size_t i = 0; i < ARRAY_LEN(mine); i++)
		json_object_del(copts, mine[i]);
	json_t *topic = json_object_get(params, "topic");
	bool want_topic = !json_is_string(topic) || !json_string_value(topic)[0];
	struct vspec vs;
	vspec_init(&vs, cfg);
	char *text = NULL, *out = NULL;
	if (script) {
		if ((rc = on_server(new_read_script(script, &text, err), err)) < 0)
			goto done;
		json_object_set_new(copts, "script", text_json(text));
		if (want_topic) {
			char *t = vspec_topic_from_script(text, script);
			if (!t) {
				rc = aura_error_set(err, AURA_E_TOPIC_INVALID,
						    "--script %s has no heading or file name to "
						    "take a topic from (on the server)",
						    script);
				goto done;
			}
			json_object_set_new(copy, "topic", text_json(t));
			free(t);
		}
	} else if (from && want_topic) {
		json_object_set_new(copy, "topic", json_string("video")); /* for now */
	}
	if ((rc = vspec_from_json(&vs, copy, err)) < 0)
		goto done;
	if (from) {
		if ((rc = on_server(new_from_doc(from, &vs, want_topic, err), err)) < 0)
			goto done;
		json_object_set_new(copts, "script", text_json(vs.script));
		vspec_doc_to_json(&vs, copts);
		if (want_topic)
			json_object_set_new(copy, "topic", text_json(vs.topic));
	}
	if (remote && (rc = check_media(&vs, err)) < 0)
		goto done;
	if (given || variant) {
		if ((rc = output_name(&vs, cfg, given, variant, &out, err)) < 0)
			goto done;
		json_object_set_new(copts, "output", text_json(out));
	}
	/* the request becomes what a local client would have sent */
	for (size_t i = 0; i < ARRAY_LEN(mine); i++)
		json_object_del(opts, mine[i]);
	static const char *const made[] = { "script", "document", "doc_images", "output" };
	for (size_t i = 0; i < ARRAY_LEN(made); i++)
		if (json_object_get(copts, made[i]))
			json_object_set(opts, made[i], json_object_get(copts, made[i]));
	if (want_topic)
		json_object_set(params, "topic", json_object_get(copy, "topic"));
done:
	free(text);
	free(out);
	vspec_free(&vs);
	json_decref(copy);
	return rc;
}
