/*
 * new-input.h -- the files a new video's client reads itself (new-input.c):
 * `aura new` and the terminal UI's form read --script and --from files on
 * their side and send the text, so the server never opens a user's file.
 */
#ifndef AURA_VIDEO_NEW_INPUT_H
#define AURA_VIDEO_NEW_INPUT_H

#include <stdbool.h>

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

#endif
