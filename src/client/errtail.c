/*
 * errtail.c -- the end of a child's stderr (errtail.h).
 *
 * Must never: block but for errtail_last_line's bounded wait.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "client/errtail.h"
#include "os/loop.h"

void errtail_init(struct errtail *t, int fd)
{
	t->fd = fd;
	t->len = 0;
	t->buf[0] = '\0';
	if (fd >= 0)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

bool errtail_drain(struct errtail *t)
{
	char chunk[4096];
	for (;;) {
		ssize_t n = read(t->fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0;
		size_t k = (size_t)n, cap = sizeof(t->buf) - 1;
		if (k >= cap) {
			memcpy(t->buf, chunk + k - cap, cap);
			t->len = cap;
		} else {
			if (t->len + k > cap) {
				size_t drop = t->len + k - cap;
				memmove(t->buf, t->buf + drop, t->len - drop);
				t->len -= drop;
			}
			memcpy(t->buf + t->len, chunk, k);
			t->len += k;
		}
		t->buf[t->len] = '\0';
	}
}

struct err_wait {
	struct errtail *t;
	bool eof;
};

static void on_err_fd(struct loop *l, int fd, int revents, void *ctx)
{
	struct err_wait *w = ctx;
	(void)revents;
	if (errtail_drain(w->t)) {
		w->eof = true;
		loop_fd_del(l, fd);
	}
}

const char *errtail_last_line(struct errtail *t, int wait_ms)
{
	if (!errtail_drain(t) && wait_ms > 0) {
		/* the child is leaving: its last words come with its EOF */
		struct loop *l = loop_new();
		struct err_wait w = { t, false };
		int64_t deadline = time_mono_ms() + wait_ms;
		if (loop_fd_add(l, t->fd, LOOP_READ, on_err_fd, &w) == 0)
			while (!w.eof && time_mono_ms() < deadline)
				if (loop_run_once(l, (int)(deadline - time_mono_ms())) < 0 &&
				    errno != EINTR)
					break;
		loop_free(l);
	}
	/* the last line that is not blank */
	char *e = t->buf + t->len;
	while (e > t->buf && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' '))
		*--e = '\0';
	t->len = (size_t)(e - t->buf);
	char *b = e;
	while (b > t->buf && b[-1] != '\n')
		b--;
	return *b ? b : NULL;
}
