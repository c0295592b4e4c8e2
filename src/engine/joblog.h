/*
 * joblog.h -- the size cap of a job's job.log (`[retention] max_job_log`):
 * the head of a run's output goes to the file as it comes; once the file
 * holds half the cap, further lines are kept in a ring of the last half,
 * and when the run ends a marker line "[aura] [... N bytes cut ...]" and
 * the ring are appended. The file is only ever appended to, so a reader
 * that follows it by byte offset (`aura logs -f`) is never confused.
 *
 * Must never: rewrite or truncate the file, own the fd (the caller opens
 * and closes it), or let a failed write stop the job's bookkeeping.
 */
#ifndef AURA_JOBLOG_H
#define AURA_JOBLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

struct joblog {
	int fd;		   /* job.log, O_APPEND; -1 writes nothing */
	uint64_t head_max; /* file bytes written as they come */
	uint64_t tail_max; /* bytes of the ring */
	uint64_t size;	   /* bytes in the file */
	uint64_t cut;	   /* bytes dropped from the ring */
	bool cutting;	   /* the head is full: lines go to the ring */
	struct buf tail;
};

/* max 0: no cap. The file's current size counts toward the head. */
void joblog_init(struct joblog *l, int fd, uint64_t max);
/* Whether a line of n bytes (its '\n' included) written after `pending`
 * bytes not yet given to joblog_write goes to the file now (else to the
 * ring, as every line after it in the run). */
bool joblog_fits(const struct joblog *l, uint64_t pending, size_t n);
/* Whole lines (each ending in '\n'), in order. */
void joblog_write(struct joblog *l, const char *data, size_t n);
/* The run ends: the marker and the ring are appended (if any), the ring
 * freed. The fd stays open. Safe on a zeroed struct joblog. */
void joblog_finish(struct joblog *l);

#endif
