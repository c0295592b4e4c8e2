/*
 * new-remote.h -- the paths of `aura new` when the server is on another
 * machine (cmd-new-remote.c, doc/remote.md): they are the server's, so
 * they are checked for form here and sent as paths; the server reads them
 * (video/new-remote.c).
 *
 * Must never: open, list or resolve one of them on this machine.
 */
#ifndef AURA_NEW_REMOTE_H
#define AURA_NEW_REMOTE_H

#include <jansson.h>

#include "base/errors.h"

/* The paths of `new` as given (NULL: not given). */
struct new_remote {
	const char *script, *from, *images, *music, *output;
};

/* A path the job protocol can carry: UTF-8, else -AURA_E_USAGE naming
 * opt (also for a local `new`). */
int new_check_utf8_path(const char *opt, const char *path, struct aura_error *err);

/* Each path given is absolute and UTF-8: 0, -AURA_E_REMOTE_PATH_RELATIVE
 * naming the option and the path, or -AURA_E_USAGE. */
int new_remote_check(const struct new_remote *r, struct aura_error *err);

/* The paths into a `new` request's "options": "script_path",
 * "from_path", "images", "music", "output_path" (doc/protocol.md). */
void new_remote_params(json_t *params, const struct new_remote *r);

#endif
