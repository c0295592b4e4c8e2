/*
 * cmd-dial-stdio.c -- `aura dial-stdio [--no-start]`: the far end of a
 * remote client (doc/remote.md). ssh runs it on the server's machine; it
 * connects to the data directory's server exactly as a local client does
 * (starting one under the spawn lock unless --no-start) and relays its
 * stdin to the socket and the socket to its stdout until either side
 * closes. The protocol passes through untouched.
 *
 * Must never: buffer without bound (a side is not read while what it
 * gave is still waiting to be written), read or write the protocol's
 * lines itself, or print anything on stdout but the server's bytes.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "cli/connect.h"
#include "client/remote.h"
#include "os/loop.h"
#include "os/sig.h"

extern const struct cmd_entry cmd_dial_stdio_entry;

#define RELAY_BUF 65536

/* One direction: bytes read from `in`, waiting to be written to `out`. */
struct relay_dir {
	int in, out;
	char buf[RELAY_BUF];
	size_t off, len;
	bool eof; /* `in` ended: once buf is written, the relay is over */
};

struct relay {
	struct loop *l;
	struct relay_dir up;   /* stdin -> the server */
	struct relay_dir down; /* the server -> stdout */
	int sock;
	bool done;
};

static void relay_arm(struct relay *r);

/* Write what is waiting; false when out is gone. */
static bool dir_flush(struct relay_dir *d)
{
	while (d->off < d->len) {
		ssize_t w = d->out == STDOUT_FILENO
				? write(d->out, d->buf + d->off, d->len - d->off)
				: send(d->out, d->buf + d->off, d->len - d->off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (w <= 0)
			return false;
		d->off += (size_t)w;
	}
	d->off = d->len = 0;
	return true;
}

/* Read once into an empty buffer; false at EOF or an error. */
static bool dir_fill(struct relay_dir *d)
{
	ssize_t n;
	do
		n = read(d->in, d->buf, sizeof(d->buf));
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return true;
	if (n <= 0) {
		d->eof = true;
		return false;
	}
	d->off = 0;
	d->len = (size_t)n;
	return true;
}

static void on_fd(struct loop *l, int fd, int revents, void *ctx)
{
	struct relay *r = ctx;
	struct relay_dir *dirs[] = { &r->up, &r->down };
	(void)l;
	for (size_t i = 0; i < 2; i++) {
		struct relay_dir *d = dirs[i];
		if (fd == d->out && (revents & LOOP_WRITE) && !dir_flush(d))
			r->done = true;
		if (fd == d->in && (revents & LOOP_READ) && !d->eof && d->len == 0 && dir_fill(d) &&
		    !dir_flush(d))
			r->done = true;
	}
	/* either side closed and what it sent is delivered: over */
	if ((r->up.eof && r->up.len == 0) || (r->down.eof && r->down.len == 0))
		r->done = true;
	relay_arm(r);
}

/* Watch each fd for what its directions need now. */
static void relay_arm(struct relay *r)
{
	int ev_in = (!r->up.eof && r->up.len == 0) ? LOOP_READ : 0;
	int ev_out = r->down.len ? LOOP_WRITE : 0;
	int ev_sock =
	    ((!r->down.eof && r->down.len == 0) ? LOOP_READ : 0) | (r->up.len ? LOOP_WRITE : 0);
	loop_fd_set_events(r->l, STDIN_FILENO, ev_in);
	loop_fd_set_events(r->l, STDOUT_FILENO, ev_out);
	loop_fd_set_events(r->l, r->sock, ev_sock);
}

static void on_signal(struct loop *l, int signo, void *ctx)
{
	(void)l;
	(void)signo;
	((struct relay *)ctx)->done = true;
}

static const struct option dial_opts[] = {
	{ "no-start", no_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 },
};

static int cmd_dial_stdio_run(struct cli_ctx *ctx, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&cmd_dial_stdio_entry, argc, argv, &a, NULL);
	if (rc)
		return rc;
	if ((rc = cli_ctx_local_only(ctx, "aura dial-stdio")) != 0)
		return rc;
	struct client *cl;
	if ((rc = cli_connect(ctx, !args_has(&a, 'n'), &cl)) != 0)
		return rc;

	static struct relay r; /* 128 KiB of buffers: not on the stack */
	memset(&r, 0, sizeof(r));
	r.sock = client_fd(cl);
	r.up.in = STDIN_FILENO;
	r.up.out = r.sock;
	r.down.in = r.sock;
	r.down.out = STDOUT_FILENO;
	int fds[] = { STDIN_FILENO, STDOUT_FILENO, r.sock };
	for (size_t i = 0; i < 3; i++)
		fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);

	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct aura_error err;
	r.l = loop_new();
	if (sig_init_set(r.l, sigs, 3, on_signal, &r, &err) < 0) {
		loop_free(r.l);
		client_free(cl);
		return cli_fail(&err);
	}
	for (size_t i = 0; i < 3; i++)
		loop_fd_add(r.l, fds[i], 0, on_fd, &r);
	relay_arm(&r);
	while (!r.done)
		if (loop_run_once(r.l, -1) < 0 && errno != EINTR)
			break;
	sig_fini();
	loop_free(r.l);
	client_free(cl);
	return 0;
}

const struct cmd_entry cmd_dial_stdio_entry = {
	.name = "dial-stdio",
	.usage = "[--no-start]",
	.args = { .shorts = "", .longs = dial_opts, .min = 0, .max = 0 },
	.summary = "join stdin and stdout to the server's socket (the far end of --host)",
	.help = "      --no-start   fail if no server runs, instead of starting one\n"
		"\n"
		"What `aura --host ssh://HOST ...` runs on HOST through ssh: it connects to\n"
		"the server of its data directory as any local client does (starting it\n"
		"when none runs), then copies stdin to the server and the server's answers\n"
		"to stdout until either side closes. Not meant to be typed. See\n"
		"doc/remote.md.\n",
	.flags = CMD_NEEDS_DATA | CMD_HIDDEN,
	.run = cmd_dial_stdio_run,
};
