/*
 * treerm.h -- a directory tree removed a slice at a time, so that the
 * server's loop never spends long on one huge work directory: each step
 * unlinks at most a given number of entries and remembers where it was.
 *
 * Must never: follow a symbolic link (a link is removed, never what it
 * points to), leave the tree it was given, or remove the one file it was
 * told to keep (the tree's directories holding it stay).
 */
#ifndef AURA_TREERM_H
#define AURA_TREERM_H

#include <stdbool.h>
#include <sys/types.h>

#define TREERM_DEPTH 32 /* deeper directories are left as they are */

struct treerm {
	int fd[TREERM_DEPTH];	  /* the open directories, root first */
	void *dir[TREERM_DEPTH];  /* their DIR streams */
	char *name[TREERM_DEPTH]; /* each one's name in its parent (root: NULL) */
	int depth;		  /* 0: done */
	char *root;
	bool keep; /* keep_dev/keep_ino name a file to keep */
	dev_t keep_dev;
	ino_t keep_ino;
	long removed; /* entries removed so far */
};

/* Begin removing root (nothing happens yet); keep, when not NULL, is a
 * file that stays if it is inside. A root that is not a directory (gone
 * already, a link) leaves the walk done at once. */
void treerm_start(struct treerm *t, const char *root, const char *keep);
/* Remove up to budget (>= 1) entries: true once the walk is over (the
 * tree is gone, or what is left cannot be removed). */
bool treerm_step(struct treerm *t, int budget);
/* Stop where it is: close what is open (safe on a finished walk). */
void treerm_end(struct treerm *t);
bool treerm_done(const struct treerm *t);

#endif
