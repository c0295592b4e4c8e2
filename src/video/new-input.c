/*
 * new-input.c -- what a new video's client (`aura new`, the UI's form)
 * reads from files on its side: the text of a --script file, and the
 * script made from a --from document (video/doc.h: read, summarised to
 * the duration at the voice's pace), with the document's text for a
 * script provider to condense and the local pictures its sections name,
 * resolved and checked here. The server calls the same code for a client
 * on another machine, whose paths are the server's (new-remote.c).
 *
 * Must never: be given a relative path by the server (its directory is
 * not the user's).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/errors.h"
#include "base/utf8.h"
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

/* A section's picture as a path the server can open: NULL (with a
 * warning when it was meant to be a local file) for a remote URL, another
 * kind of file, or one that cannot be read. Caller frees. */
static char *doc_image_path(const char *doc, const char *cwd, const char *url)
{
	if (strstr(url, "://") || str_starts_with(url, "//") || str_starts_with(url, "data:") ||
	    !vspec_doc_image_name(url))
		return NULL; /* remote (offline, never fetched), or not a picture we use */
	char *path;
	if (url[0] == '/') {
		path = xstrdup(url);
	} else {
		const char *slash = strrchr(doc, '/');
		char *dir = slash ? xstrndup(doc, (size_t)(slash - doc + 1)) : xstrdup("");
		if (dir[0] == '/')
			path = xasprintf("%s%s", dir, url);
		else
			path = xasprintf("%s/%s%s", cwd, dir, url);
		free(dir);
	}
	struct stat st;
	char *real = realpath(path, NULL); /* no "..": the path the server shows */
	if (real) {
		free(path);
		path = real;
	}
	if (!real || !utf8_valid(path, NULL) || access(path, R_OK) < 0 || stat(path, &st) < 0 ||
	    !S_ISREG(st.st_mode)) {
		struct aura_error w;
		aura_error_set(&w, AURA_E_IMAGE_UNUSABLE,
			       "--from %s: the picture %s cannot be read; its scene gets the usual "
			       "visuals",
			       doc, url);
		aura_error_print_about("warning", &w);
		free(path);
		return NULL;
	}
	return path;
}

int new_from_doc(const char *path, struct vspec *s, bool want_topic, struct aura_error *err)
{
	char *topic = NULL;
	struct doc *d;
	int rc = doc_read_file(path, &d, err);
	if (rc < 0)
		return rc;
	rc = doc_script_from_doc(d, path, s->duration, voice_words_per_minute(&s->voice),
				 &s->script, want_topic ? &topic : NULL, err);
	if (rc < 0) {
		doc_free(d);
		return rc;
	}
	free(s->document);
	s->document = doc_plain_text(d, VSPEC_DOCUMENT_MAX);
	if (s->document[0] == '\0') { /* a first sentence over 64 KiB */
		free(s->document);
		s->document = NULL;
	}
	for (size_t i = 0; i < d->n && s->ndoc_images < VSPEC_DOC_IMAGES_MAX; i++) {
		const char *h = doc_section_heading(d, i);
		char *img = d->sections[i].image && h[0] != '\0'
				? doc_image_path(path, s->cwd ? s->cwd : ".", d->sections[i].image)
				: NULL;
		if (img)
			vspec_doc_image_add(s, h, img);
		free(img);
	}
	doc_free(d);
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
