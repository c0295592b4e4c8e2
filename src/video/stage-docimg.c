/*
 * stage-docimg.c -- the pictures of a --from document in the `visuals`
 * stage (doc/pipeline.md, "Document -> video"): a scene whose heading is
 * that of a section naming a local picture (the spec's doc_images, found
 * and checked by the client) shows it as a still, scaled to cover the
 * frame and moved over by the render (Ken Burns), like an --images still.
 * The file is checked again here: one that cannot be read leaves its
 * scene to the visuals chain, with a warning.
 *
 * Must never: fetch a remote picture, or fail the job for one picture.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "video/stage.h"

/* The picture for a heading (compared without case), or NULL. */
static const char *picture_for(const struct vjob *v, const char *heading)
{
	for (int k = 0; heading && k < v->spec.ndoc_images; k++)
		if (strcasecmp(v->spec.doc_images[k].heading, heading) == 0)
			return v->spec.doc_images[k].path;
	return NULL;
}

int vdoc_assign_images(struct vjob *v)
{
	int used = 0;
	for (int i = 0; i < v->n && i < v->script.n; i++) {
		const char *path = picture_for(v, v->script.scenes[i].heading);
		if (!path)
			continue;
		struct stat st;
		errno = 0;
		if (access(path, R_OK) < 0 || stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
			vjob_warn(v, AURA_E_IMAGE_UNUSABLE,
				  "scene %d: the document's picture %s cannot be read (%s); using "
				  "the visuals chain",
				  vjob_num(i), path, errno ? strerror(errno) : "not a file");
			continue;
		}
		struct vscene *s = &v->scenes[i];
		free(s->source);
		s->source = xstrdup(path);
		free(s->visual);
		s->visual = xasprintf("visuals/%03d.png", vjob_num(i));
		s->kind = VIS_STILL;
		vjob_log(v, "visuals: scene %d: the document's picture %s", vjob_num(i), path);
		used++;
	}
	return used;
}
