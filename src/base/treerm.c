/*
 * treerm.c -- a directory tree removed a slice at a time (treerm.h): a
 * stack of open directories, each read with readdir and emptied through
 * unlinkat relative to its fd, so no path is ever resolved twice and no
 * link is followed (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW).
 *
 * Must never: follow a symbolic link, remove the kept file, or block on
 * anything but the file system calls of its budget.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/treerm.h"
#include "base/util.h"

void treerm_start(struct treerm *t, const char *root, const char *keep)
{
	memset(t, 0, sizeof(*t));
	struct stat ks;
	if (keep && lstat(keep, &ks) == 0 && S_ISREG(ks.st_mode)) {
		t->keep = true;
		t->keep_dev = ks.st_dev;
		t->keep_ino = ks.st_ino;
	}
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	t->root = xstrdup(root);
	t->fd[0] = fd;
	t->dir[0] = d;
	t->name[0] = NULL;
	t->depth = 1;
}

/* The top directory is read to its end: close it and remove it. */
static void pop(struct treerm *t)
{
	int i = --t->depth;
	closedir(t->dir[i]); /* closes fd[i] */
	if (i == 0) {
		if (rmdir(t->root) == 0)
			t->removed++;
	} else if (unlinkat(t->fd[i - 1], t->name[i], AT_REMOVEDIR) == 0) {
		t->removed++;
	}
	free(t->name[i]);
	t->name[i] = NULL;
}

bool treerm_step(struct treerm *t, int budget)
{
	int spent = 0;
	while (t->depth > 0 && spent < budget) {
		int i = t->depth - 1;
		errno = 0;
		struct dirent *de = readdir(t->dir[i]);
		if (!de) {
			pop(t); /* a read error ends this directory too */
			spent++;
			continue;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(t->fd[i], de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		spent++;
		if (S_ISDIR(st.st_mode)) {
			if (t->depth == TREERM_DEPTH)
				continue;
			int fd = openat(t->fd[i], de->d_name,
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
			if (!d) {
				if (fd >= 0)
					close(fd);
				continue;
			}
			t->fd[t->depth] = fd;
			t->dir[t->depth] = d;
			t->name[t->depth] = xstrdup(de->d_name);
			t->depth++;
			continue;
		}
		if (t->keep && st.st_dev == t->keep_dev && st.st_ino == t->keep_ino)
			continue;
		if (unlinkat(t->fd[i], de->d_name, 0) == 0)
			t->removed++;
	}
	return t->depth == 0;
}

void treerm_end(struct treerm *t)
{
	while (t->depth > 0) {
		int i = --t->depth;
		closedir(t->dir[i]);
		free(t->name[i]);
		t->name[i] = NULL;
	}
	free(t->root);
	t->root = NULL;
}

bool treerm_done(const struct treerm *t)
{
	return t->depth == 0;
}
