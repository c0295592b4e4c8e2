/*
 * run.c -- the UI's runtime, on os/loop as the server's: the terminal's
 * stdin, the signals (sig_init_set: SIGINT, SIGTERM, SIGHUP, SIGWINCH, and
 * SIGCHLD for the FFmpeg check's child) and the server connection are fd
 * watchers; the redraw throttle, the fetch and reconnect schedule and the
 * list's ages are loop timers; the before-sleep hook does what is due
 * (reconnect, fetches) and draws the coalesced frame.
 *
 * Must never: draw anywhere but in the before-sleep hook, or sleep in
 * poll while the client library holds events it already read (poll
 * cannot see them: a deferred call keeps the turn from sleeping).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "os/loop.h"
#include "os/proc.h"
#include "os/sig.h"
#include "tui/ui.h"

static const int tui_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGWINCH, SIGCHLD };

static void nothing(struct loop *l, void *ctx)
{
	(void)l;
	(void)ctx;
}

/* ---- timers: each one only wakes the loop up; the before-sleep hook acts ---- */

static void timer_fired(struct ui_timer *tm)
{
	tm->id = 0;
}

static void on_frame_timer(struct loop *l, void *ctx)
{
	(void)l;
	timer_fired(&((struct tui *)ctx)->frame_timer);
}

static void on_sync_timer(struct loop *l, void *ctx)
{
	(void)l;
	timer_fired(&((struct tui *)ctx)->sync_timer);
}

static void on_age_timer(struct loop *l, void *ctx)
{
	(void)l;
	timer_fired(&((struct tui *)ctx)->age_timer);
}

/* Arm tm for mono ms at (< 0: disarm); an armed timer for the same time stays. */
static void timer_at(struct tui *t, struct ui_timer *tm, int64_t at, int64_t now,
		     void (*cb)(struct loop *l, void *ctx))
{
	if (tm->id && tm->at == at)
		return;
	loop_timer_del(t->loop, tm->id);
	tm->id = 0;
	if (at < 0)
		return;
	tm->at = at;
	tm->id = loop_timer_add(t->loop, at - now, cb, t);
}

/* ---- watchers ------------------------------------------------------------------------- */

static void on_signal(struct loop *l, int signo, void *ctx)
{
	(void)l;
	struct tui *t = ctx;
	if (signo == SIGCHLD) {
		proc_reap_all();
	} else if (signo == SIGWINCH) {
		term_resize(t);
	} else {
		t->quit = true;
		t->exit_status = 128 + signo;
	}
}

static void on_stdin(struct loop *l, int fd, int revents, void *ctx)
{
	(void)l;
	(void)fd;
	(void)revents;
	struct tui *t = ctx;
	/* Every key that is there, then one frame: a held key or a burst of
	 * PgDn costs one fetch and one frame, not one each. */
	int n = 0;
	for (int key; n < 4096 && !t->quit && term_key(&key); n++) {
		t->key_seen = true;
		ui_key(t, key);
	}
	/* Readable twice in a row with nothing in it: the terminal went
	 * away (SSH dropped); the jobs go on. */
	if (n == 0 && term_gone()) {
		if (++t->empty_reads >= 2) {
			t->quit = true;
			t->exit_status = 128 + SIGHUP;
		}
	} else {
		t->empty_reads = 0;
	}
}

static void on_server(struct loop *l, int fd, int revents, void *ctx)
{
	(void)l;
	(void)revents;
	struct tui *t = ctx;
	if (t->c && client_fd(t->c) == fd)
		conn_drain(t);
}

/* The connection is replaced on a reconnect: watch the one there is. */
static void watch_server(struct tui *t)
{
	int cfd = t->c ? client_fd(t->c) : -1;
	if (cfd == t->watched_cfd)
		return;
	if (t->watched_cfd >= 0)
		loop_fd_del(t->loop, t->watched_cfd);
	t->watched_cfd = -1;
	if (cfd >= 0 && loop_fd_add(t->loop, cfd, LOOP_READ, on_server, t) == 0)
		t->watched_cfd = cfd;
}

/* ---- one turn ------------------------------------------------------------------------- */

static void before_sleep(struct loop *l, void *ctx)
{
	struct tui *t = ctx;
	if (!t->quit) {
		conn_retry(t);
		conn_sync(t, time_mono_ms());
	}
	if (t->quit) {
		loop_stop(l);
		return;
	}
	int64_t now = time_mono_ms();
	if (t->age_due_ms && now >= t->age_due_ms) {
		t->age_due_ms = 0;
		ui_dirty(t, PANE_LIST);
		ui_dirty(t, PANE_DETAIL);
	}
	int64_t frame_at = -1;
	if (ui_any_dirty(t)) {
		/* the cap is for event storms: a key is answered at once */
		if (now >= t->last_draw_ms + UI_FRAME_MS || t->frames == 0 || t->key_seen)
			ui_draw(t, now);
		else
			frame_at = t->last_draw_ms + UI_FRAME_MS;
	}
	timer_at(t, &t->frame_timer, frame_at, now, on_frame_timer);
	timer_at(t, &t->age_timer, t->age_due_ms ? t->age_due_ms : -1, now, on_age_timer);

	watch_server(t);
	int64_t due = conn_next_due(t, now);
	if (due == 0) {
		/* events the client library already read, or a subscribe to
		 * send: no sleeping in poll */
		timer_at(t, &t->sync_timer, -1, now, on_sync_timer);
		loop_defer(l, nothing, NULL);
	} else {
		timer_at(t, &t->sync_timer, due < 0 ? -1 : now + due, now, on_sync_timer);
	}
}

/* ---- the whole run ---------------------------------------------------------------------- */

int run_main(struct tui *t, struct aura_error *err)
{
	t->loop = loop_new();
	t->watched_cfd = -1;
	int rc = sig_init_set(t->loop, tui_signals, ARRAY_LEN(tui_signals), on_signal, t, err);
	if (rc < 0) {
		loop_free(t->loop);
		t->loop = NULL;
		return rc;
	}
	if (loop_fd_add(t->loop, STDIN_FILENO, LOOP_READ, on_stdin, t) < 0) {
		rc = aura_error_set(err, AURA_E_INTERNAL, "watching the terminal: %s",
				    strerror(errno));
		sig_fini();
		loop_free(t->loop);
		t->loop = NULL;
		return rc;
	}
	term_init(t);
	ffhealth_start(t);
	loop_set_before_sleep(t->loop, before_sleep, t);
	loop_run(t->loop); /* a poll error ends the UI as q does */
	ffhealth_stop(t);
	cmdline_stop(t);
	term_fini(t);
	sig_fini();
	proc_kill_leftovers();
	loop_free(t->loop);
	t->loop = NULL;
	return 0;
}
