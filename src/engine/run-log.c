/*
 * run-log.c -- a job's log: job.log (redacted lines, written one batch per
 * read of the child's stderr, its size cap in joblog.c) and the lines told
 * to followers with where the next one starts.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "base/log.h"
#include "engine/engine-int.h"
#include "ff/locate.h"
#include "os/loop.h"
#include "os/proc.h"
#include "store/store.h"

/* --- the job log ---------------------------------------------------------- */

/* One line (no newline) to job.log and to subscribers; redacted. */
/* Write out the job.log lines gathered so far. */
void run_log_flush(struct run *r)
{
	joblog_write(&r->jlog, r->log_batch.data, r->log_batch.len);
	/* the next lines' offsets follow the file, also after a lost write */
	r->log_end = (int64_t)r->jlog.size;
	buf_reset(&r->log_batch);
}

/* The run's log is complete: the cut marker and the kept last lines go to
 * the file, and followers are told to read them from where they stopped
 * (a line of NULL: a gap at `end`). */
void run_log_finish(struct run *r)
{
	run_log_flush(r);
	int64_t before = (int64_t)r->jlog.size;
	joblog_finish(&r->jlog);
	bool cut = r->log_cut;
	r->log_cut = false;
	r->log_end = (int64_t)r->jlog.size;
	if (cut && r->log_end > before && r->e->ev.job_log)
		r->e->ev.job_log(r->job.id, NULL, before, r->e->ctx);
}

void run_log_line(struct run *r, const char *line)
{
	char *red = log_redact(line);
	int64_t end = -1;
	size_t n = strlen(red) + 1;
	if (r->log_fd >= 0) {
		/* Past max_job_log a line waits in the ring until the run ends
		 * (joblog.h): it is not in the file, so no follower is told of
		 * it now; the end of the run tells them to read the file. */
		if (!r->log_cut && !joblog_fits(&r->jlog, r->log_batch.len, n))
			r->log_cut = true;
		buf_puts(&r->log_batch, red);
		buf_puts(&r->log_batch, "\n");
		if (!r->log_cut) {
			r->log_end += (int64_t)n;
			end = r->log_end;
		}
		if (!r->batching)
			run_log_flush(r);
	}
	if (r->e->ev.job_log && !r->log_cut)
		r->e->ev.job_log(r->job.id, red, end, r->e->ctx);
	free(red);
}

/* Our own lines in job.log are marked so they never pass for FFmpeg's. */
void run_logf(struct run *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	char *line = xasprintf("[aura] %s", text);
	run_log_line(r, line);
	free(line);
	free(text);
	/* the run's last line (its end is set before it is logged): the cut
	 * marker and the kept tail go to the file before the end is announced */
	if (r->job.state != JOB_RUNNING && r->job.state != JOB_PAUSED)
		run_log_finish(r);
}

/* Append to a job's log when no run holds it (recovery, retry). */
void job_log_append(struct engine *e, const struct job *j, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	char *dir = paths_job_dir(e->paths, j->id);
	char *path = xasprintf("%s/job.log", dir);
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	int64_t end = -1;
	if (fd >= 0) {
		char *line = xasprintf("[aura] %s\n", text);
		ssize_t w = write(fd, line, strlen(line));
		off_t at = lseek(fd, 0, SEEK_END);
		if (w == (ssize_t)strlen(line) && at >= 0)
			end = (int64_t)at;
		free(line);
		close(fd);
	}
	if (e->ev.job_log) {
		char *line = xasprintf("[aura] %s", text);
		e->ev.job_log(j->id, line, end, e->ctx);
		free(line);
	}
	free(path);
	free(dir);
	free(text);
}
