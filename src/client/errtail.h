/*
 * errtail.h -- the end of what a child (a remote client's ssh) writes on
 * its stderr pipe: read without blocking whenever the client waits, so
 * the child never blocks on a full pipe, and its last line given as the
 * reason a connection failed or dropped.
 *
 * Must never: block (but the bounded wait of errtail_last_line), or keep
 * more than its buffer.
 */
#ifndef AURA_CLIENT_ERRTAIL_H
#define AURA_CLIENT_ERRTAIL_H

#include <stdbool.h>
#include <stddef.h>

struct errtail {
	int fd; /* the pipe's read end, -1 none; closed by the owner */
	char buf[512];
	size_t len;
};

/* Take fd (made non-blocking), nothing read yet. */
void errtail_init(struct errtail *t, int fd);
/* Read what is there, keeping the end; true at EOF. */
bool errtail_drain(struct errtail *t);
/* The last line that is not blank, waiting up to wait_ms for EOF (the
 * child is leaving: its last words come with it); NULL if none. Valid
 * until the next call. */
const char *errtail_last_line(struct errtail *t, int wait_ms);

#endif
