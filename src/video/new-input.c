/*
 * new-input.c -- what a new video's client (`aura new`, the UI's form)
 * reads from files on its side: the text of a --script file, and the
 * script made from a --from document (video/doc.h: read, summarised to
 * the duration at the voice's pace).
 *
 * Must never: be called by the server (a user's files are the client's).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/errors.h"
#include "base/util.h"
#include "video/new-input.h"
#include "video/doc.h"
#include "video/script.h"
#include "video/vspec.h"

/* The whole of a --script file (at most SCRIPT_TEXT_MAX + 1 bytes, so the
 * parser can say it is too big). */
int new_read_script(const char *path, char **out, struct aura_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return aura_error_set(err, AURA_E_INPUT_UNREADABLE, "--script %s: %s", path,
				      strerror(errno));
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		return aura_error_set(err, AURA_E_INPUT_UNREADABLE, "--script %s is a directory",
				      path);
	}
	struct buf b;
	buf_init(&b);
	char chunk[16384];
	int rc = 0;
	while (b.len <= SCRIPT_TEXT_MAX) {
		ssize_t r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = aura_error_set(err, AURA_E_INPUT_UNREADABLE, "--script %s: %s", path,
					    strerror(errno));
			break;
		}
		if (r == 0)
			break;
		buf_append(&b, chunk, (size_t)r);
	}
	close(fd);
	if (rc == 0 && memchr(b.data ? b.data : "", '\0', b.len))
		rc =
		    aura_error_set(err, AURA_E_SCRIPT_INVALID, "--script %s holds NUL bytes", path);
	if (rc < 0) {
		buf_free(&b);
		return rc;
	}
	if (!b.data)
		buf_append(&b, "", 0);
	*out = b.data;
	return 0;
}

int new_from_doc(const char *path, struct vspec *s, bool want_topic, struct aura_error *err)
{
	char *topic = NULL;
	int rc = doc_script_from_file(path, s->duration, voice_words_per_minute(&s->voice),
				      &s->script, want_topic ? &topic : NULL, err);
	if (rc < 0)
		return rc;
	if (want_topic) {
		if (topic == NULL)
			return aura_error_set(
			    err, AURA_E_TOPIC_INVALID,
			    "--from %s has no title or file name to take a topic from", path);
		free(s->topic);
		s->topic = topic;
	}
	return vspec_check_topic(s->topic, err);
}
