/*
 * proc-io.c -- a proc's pipes: its output drained (a bounded number of
 * reads per turn), stderr held after a read so a burst of small writes is
 * read in one go -- never once it floods or the child exited -- and stdin
 * fed from a buffer without blocking.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "os/loop.h"
#include "os/proc-int.h"
#include "os/proc.h"
#include "base/util.h"

/* --- I/O ------------------------------------------------------------------- */

/* The hold is over: read what came meanwhile, which holds stderr again if
 * there was any, or watch it once more. May free p. */
static void proc_err_hold_end(struct loop *l, void *ctx)
{
	struct proc *p = ctx;
	p->err_timer = 0;
	loop_fd_set_events(l, p->out_fd[1], LOOP_READ);
	proc_on_output(l, p->out_fd[1], LOOP_READ, p);
}

/* Awake anyway (fd 3 had data): end the hold early, at no extra wake-up. */
static void proc_err_drain(struct proc *p)
{
	loop_timer_del(p->loop, p->err_timer);
	proc_err_hold_end(p->loop, p);
}

/* A child writes its log in many small pieces (FFmpeg: each part of a
 * line): rather than a wake-up for each, stop watching stderr for a while
 * after a read. Never once the child has exited: then its EOF is due. */
static void proc_err_hold(struct proc *p, size_t just_read)
{
	if (just_read >= PROC_HOLD_MAX_BYTES)
		p->err_flood = true;
	if (p->err_hold_ms <= 0 || p->err_flood || p->exited || p->out_fd[1] < 0 || p->err_timer)
		return;
	loop_fd_set_events(p->loop, p->out_fd[1], 0);
	p->err_timer = loop_timer_add(p->loop, p->err_hold_ms, proc_err_hold_end, p);
}

void proc_on_output(struct loop *l, int fd, int revents, void *ctx)
{
	static char chunk[65536];
	struct proc *p = ctx;
	int i = fd == p->out_fd[0] ? 0 : fd == p->out_fd[1] ? 1 : 2;
	void (*fns[3])(void *ctx, const char *data,
		       size_t n) = { p->ops->on_stdout, p->ops->on_stderr, p->ops->on_fd3 };
	void (*fn)(void *ctx, const char *data, size_t n) = fns[i];

	size_t total = 0;
	for (int round = 0; round < PROC_READS_PER_TURN; round++) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			/* EOF, or a read error: nothing more will come either way. */
			proc_close_fd(p, &p->out_fd[i]);
			proc_maybe_finish(p);
			return;
		}
		total += (size_t)n;
		if (!fn)
			continue;
		p->in_data_cb = true;
		fn(p->ctx, chunk, (size_t)n);
		p->in_data_cb = false;
		if (p->abandoned) {
			free(p);
			return;
		}
		if (p->out_fd[i] != fd) { /* the callback made us give up the pipe */
			proc_maybe_finish(p);
			return;
		}
		/* A short read emptied the pipe: poll() tells when there is
		 * more, without a read that only says EAGAIN. */
		if ((size_t)n < sizeof(chunk))
			break;
	}
	if (i == 1)
		proc_err_hold(p, total);
	else if (i == 2 && p->err_timer)
		proc_err_drain(p); /* FFmpeg's progress block: its log comes along */
}

/* Write what we can; 0, or -1 (EPIPE) with stdin closed. */
static int proc_flush_stdin(struct proc *p)
{
	while (p->in_buf.len > 0) {
		ssize_t n = write(p->in_fd, p->in_buf.data, p->in_buf.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			proc_close_stdin_now(p);
			errno = EPIPE;
			return -1;
		}
		buf_consume(&p->in_buf, (size_t)n);
	}
	if (p->in_buf.len > 0) {
		loop_fd_set_events(p->loop, p->in_fd, LOOP_WRITE);
	} else if (p->in_closing) {
		proc_close_stdin_now(p);
	} else {
		loop_fd_set_events(p->loop, p->in_fd, 0);
	}
	return 0;
}

void proc_on_stdin(struct loop *l, int fd, int revents, void *ctx)
{
	proc_flush_stdin(ctx);
}

int proc_write_stdin(struct proc *p, const void *data, size_t n)
{
	if (!p || p->in_fd < 0 || p->in_closing) {
		errno = EPIPE;
		return -1;
	}
	buf_append(&p->in_buf, data, n);
	return proc_flush_stdin(p);
}

void proc_close_stdin(struct proc *p)
{
	if (!p || p->in_fd < 0)
		return;
	p->in_closing = true;
	proc_flush_stdin(p);
}
