/*
 * cmd-new-remote.c -- `aura new --host ...`'s paths (new-remote.h): the
 * server's, refused here when relative (this shell's directory means
 * nothing there) and sent as they are; the server looks them up at submit
 * (video/new-remote.c) with the code `new` runs here for a local server.
 *
 * Must never: open, list or resolve one of them on this machine (a file
 * of the same name here is not the server's).
 */
#include "config.h"

#include "base/utf8.h"
#include "base/util.h"
#include "cli/new-remote.h"

int new_check_utf8_path(const char *opt, const char *path, struct aura_error *err)
{
	if (utf8_valid(path, NULL))
		return 0;
	return aura_error_set(
	    err, AURA_E_USAGE,
	    "%s %s: the name is not UTF-8, which the job protocol carries; rename "
	    "it",
	    opt, path);
}

int new_remote_check(const struct new_remote *r, struct aura_error *err)
{
	const struct {
		const char *opt, *path;
	} p[] = { { "--script", r->script },
		  { "--from", r->from },
		  { "--images", r->images },
		  { "--music", r->music },
		  { "-o", r->output } };
	for (size_t i = 0; i < ARRAY_LEN(p); i++) {
		if (!p[i].path)
			continue;
		if (p[i].path[0] != '/')
			return aura_error_set(err, AURA_E_REMOTE_PATH_RELATIVE,
					      "%s %s: paths are the server's with --host", p[i].opt,
					      p[i].path);
		int rc = new_check_utf8_path(p[i].opt, p[i].path, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void new_remote_params(json_t *params, const struct new_remote *r)
{
	json_t *o = json_object_get(params, "options");
	const struct {
		const char *key, *path;
	} p[] = { { "script_path", r->script },
		  { "from_path", r->from },
		  { "images", r->images },
		  { "music", r->music },
		  { "output_path", r->output } };
	for (size_t i = 0; i < ARRAY_LEN(p); i++)
		if (p[i].path)
			json_object_set_new(o, p[i].key, json_string(p[i].path));
}
