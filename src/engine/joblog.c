/*
 * joblog.c -- job.log's size cap: head as it comes, then a ring of the
 * last lines, appended with a marker when the run ends (joblog.h).
 *
 * Must never: rewrite, truncate or seek the file (followers read it by
 * byte offset), or block the loop on anything but a regular file's write.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/joblog.h"

void joblog_init(struct joblog *l, int fd, uint64_t max)
{
	struct stat st;
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->head_max = max ? max / 2 : UINT64_MAX;
	l->tail_max = max ? max - max / 2 : 0;
	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0)
		l->size = (uint64_t)st.st_size;
	buf_init(&l->tail);
}

static void write_all(struct joblog *l, const char *p, size_t n)
{
	while (l->fd >= 0 && n > 0) {
		ssize_t w = write(l->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break; /* a full disk must not stop the job's bookkeeping */
		p += w;
		n -= (size_t)w;
		l->size += (uint64_t)w;
	}
}

/* Keep at most tail_max bytes of whole lines in the ring. */
static void ring_trim(struct joblog *l)
{
	while (l->tail.len > l->tail_max) {
		size_t excess = l->tail.len - (size_t)l->tail_max;
		const char *nl = memchr(l->tail.data + excess - 1, '\n', l->tail.len - excess + 1);
		size_t drop = nl ? (size_t)(nl - l->tail.data) + 1 : l->tail.len;
		buf_consume(&l->tail, drop);
		l->cut += drop;
	}
}

bool joblog_fits(const struct joblog *l, uint64_t pending, size_t n)
{
	return l->fd < 0 || (!l->cutting && l->size + pending + n <= l->head_max);
}

void joblog_write(struct joblog *l, const char *data, size_t n)
{
	if (l->fd < 0)
		return;
	size_t head = 0;
	while (!l->cutting && head < n) {
		const char *nl = memchr(data + head, '\n', n - head);
		size_t line = nl ? (size_t)(nl - (data + head)) + 1 : n - head;
		if (l->size + head + line > l->head_max) {
			l->cutting = true;
			break;
		}
		head += line;
	}
	write_all(l, data, head);
	if (head < n) {
		buf_append(&l->tail, data + head, n - head);
		ring_trim(l);
	}
}

void joblog_finish(struct joblog *l)
{
	if (l->cutting && l->fd >= 0) {
		if (l->cut) {
			char mark[160];
			int m = snprintf(mark, sizeof(mark),
					 "[aura] [... %" PRIu64
					 " bytes cut: job.log keeps the first and "
					 "last part of a run past max_job_log ...]\n",
					 l->cut);
			write_all(l, mark, (size_t)m);
		}
		write_all(l, l->tail.data, l->tail.len);
	}
	buf_free(&l->tail);
	l->cutting = false;
	l->cut = 0;
}
