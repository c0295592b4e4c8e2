/*
 * ffhealth.c -- FFmpeg's health for the status bar: `aura doctor`'s checks
 * run in a forked child (they run ffmpeg and may take a second), whose
 * one-line verdict comes back on a pipe the UI's loop watches.
 *
 * Must never: block the UI, let the child touch the screen (its stdio is
 * /dev/null; it never returns into curses code: it _exits), or leave a
 * zombie behind.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "doctor/doctor.h"
#include "os/sig.h"
#include "tui/ui.h"

static bool ffmpeg_check(const char *name)
{
	return strcmp(name, "ffmpeg") == 0 || strcmp(name, "ffprobe") == 0 ||
	       str_starts_with(name, "filter:") || str_starts_with(name, "encoder:");
}

/* In the child: "LEVEL text\n" on fd. */
static void child_run(struct tui *t, int fd)
{
	struct doctor_report r;
	doctor_run(&t->ctx->cfg, &t->ctx->paths, &r);
	const struct doctor_check *fail = NULL, *warn = NULL;
	for (size_t i = 0; i < r.n; i++) {
		const struct doctor_check *c = &r.checks[i];
		if (!ffmpeg_check(c->name))
			continue;
		if (c->status == DOCTOR_FAIL && !fail)
			fail = c;
		if (c->status == DOCTOR_WARN && !warn)
			warn = c;
	}
	char line[160];
	if (fail)
		snprintf(line, sizeof(line), "%d ffmpeg: %s %s\n", MSG_ERROR, fail->name,
			 strcmp(fail->name, "ffmpeg") == 0 || strcmp(fail->name, "ffprobe") == 0
			     ? "not found"
			     : "missing");
	else if (warn)
		snprintf(line, sizeof(line), "%d ffmpeg: %s?\n", MSG_INFO, warn->name);
	else
		snprintf(line, sizeof(line), "%d ffmpeg ok\n", MSG_OK);
	size_t n = strlen(line);
	ssize_t w;
	do
		w = write(fd, line, n);
	while (w < 0 && errno == EINTR);
	doctor_report_free(&r);
}

void ffhealth_start(struct tui *t)
{
	int fds[2];
	snprintf(t->ffhealth, sizeof(t->ffhealth), "ffmpeg: checking…");
	t->ffhealth_level = MSG_INFO;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(t->ffhealth, sizeof(t->ffhealth), "ffmpeg: not checked");
		return;
	}
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid_t pid = fork();
	if (pid == 0) {
		sig_child_reset();
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		close(fds[0]);
		if (t->c)
			close(client_fd(t->c)); /* the server sees only the UI's end */
		child_run(t, fds[1]);
		_exit(0);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		snprintf(t->ffhealth, sizeof(t->ffhealth), "ffmpeg: not checked");
		return;
	}
	fd_set_nonblock(fds[0]);
	t->ffhealth_pid = (int)pid;
	t->ffhealth_pipe = fds[0];
}

int ffhealth_fd(const struct tui *t)
{
	return t->ffhealth_pipe;
}

static void reap(struct tui *t, bool kill_it)
{
	if (t->ffhealth_pipe >= 0) {
		close(t->ffhealth_pipe);
		t->ffhealth_pipe = -1;
	}
	if (t->ffhealth_pid > 0) {
		if (kill_it)
			kill(t->ffhealth_pid, SIGKILL);
		while (waitpid(t->ffhealth_pid, NULL, 0) < 0 && errno == EINTR)
			;
		t->ffhealth_pid = 0;
	}
}

void ffhealth_read(struct tui *t)
{
	char chunk[256];
	ssize_t n = read(t->ffhealth_pipe, chunk, sizeof(chunk));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		buf_append(&t->ffhealth_buf, chunk, (size_t)n);
		return;
	}
	/* EOF: the verdict is complete (or the child died without one). */
	char *nl = t->ffhealth_buf.data ? strchr(t->ffhealth_buf.data, '\n') : NULL;
	if (nl && t->ffhealth_buf.len > 2) {
		*nl = '\0';
		t->ffhealth_level = (enum msg_level)(t->ffhealth_buf.data[0] - '0');
		snprintf(t->ffhealth, sizeof(t->ffhealth), "%s", t->ffhealth_buf.data + 2);
	} else {
		t->ffhealth_level = MSG_INFO;
		snprintf(t->ffhealth, sizeof(t->ffhealth), "ffmpeg: not checked");
	}
	buf_reset(&t->ffhealth_buf);
	reap(t, false);
	ui_dirty(t, PANE_STATUS);
}

void ffhealth_stop(struct tui *t)
{
	reap(t, true);
	buf_free(&t->ffhealth_buf);
}
