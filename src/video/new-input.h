/*
 * new-input.h -- the files a new video's request names: `aura new` and
 * the terminal UI's form read --script and --from files on their side and
 * send the text (new-input.c); a client on another machine (`--host`)
 * sends the server's paths instead, and the server reads them with the
 * same code at submit (new-remote.c, called by the video kind).
 */
#ifndef AURA_VIDEO_NEW_INPUT_H
#define AURA_VIDEO_NEW_INPUT_H

#include <stdbool.h>

#include <jansson.h>

struct aura_config;
struct aura_error;
struct vspec;

/* The whole of a --script file (at most SCRIPT_TEXT_MAX + 1 bytes, so the
 * parser can say it is too big) in *out (caller frees). 0,
 * -AURA_E_INPUT_UNREADABLE or -AURA_E_SCRIPT_INVALID (NUL bytes). */
int new_read_script(const char *path, char **out, struct aura_error *err);
/* --from FILE: the document's summary for s->duration at s->voice's pace
 * as s->script; with want_topic, s->topic from its title (else the file's
 * name). 0, or the errors of doc_script_from_file and TOPIC_INVALID. */
int new_from_doc(const char *path, struct vspec *s, bool want_topic, struct aura_error *err);

/*
 * A `new` request's files on the server (doc/remote.md): options
 * "script_path" and "from_path" read into "script" (with "document" and
 * "doc_images"; "topic" from the file when the request has none),
 * "output_path" (and "variant") made the final "output"; without "cwd"
 * --images and --music are checked too. Errors are the ones `new` gives
 * on its side, their detail ending "(on the server)"; a relative path is
 * -AURA_E_REMOTE_PATH_RELATIVE. params change only on success, and keys
 * other than those are left as they are (their values stay valid).
 */
int new_input_on_server(json_t *params, const struct aura_config *cfg, struct aura_error *err);

#endif
