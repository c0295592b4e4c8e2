/*
 * term.c -- taking the terminal and giving it back, on every exit path:
 * curses set up and torn down, stderr sent to DATA/logs/tui.log while the
 * screen is ours, the terminal's size followed after SIGWINCH or a ^Z, and,
 * after a crash, the terminal put back by a handler that writes precomputed
 * bytes and restores the termios (both async-signal-safe).
 *
 * Must never: call curses from a signal handler, or leave the terminal in
 * curses mode when the UI ends, however it ends.
 */
#include "config.h"

#include <fcntl.h>
#include <langinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <term.h>

#include "os/sig.h"
#include "tui/ui.h"

/* ---- restoring the terminal after a crash -------------------------------------------- */

static struct termios saved_tio;
static bool tio_saved;
static char reset_seq[256];
static size_t reset_len;
static volatile sig_atomic_t screen_taken;
static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
static struct sig_saved old_crash;

static int reset_putc(int c)
{
	if (reset_len + 1 < sizeof(reset_seq))
		reset_seq[reset_len++] = (char)c;
	return c;
}

/* The bytes that leave curses mode, computed while it is safe to. */
static void prepare_reset(void)
{
	static const char *const caps[] = { "sgr0", "cnorm", "rmkx", "rmcup" };
	reset_len = 0;
	for (size_t i = 0; i < ARRAY_LEN(caps); i++) {
		char *s = tigetstr(caps[i]);
		if (s && s != (char *)-1)
			tputs(s, 1, reset_putc);
	}
	reset_putc('\r');
	reset_putc('\n');
}

static void on_crash(int sig)
{
	if (screen_taken) {
		ssize_t w = write(STDOUT_FILENO, reset_seq, reset_len);
		(void)w;
		if (tio_saved)
			tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
		screen_taken = 0;
	}
	/* Hand the signal to whoever had it (the default: a core dump; a
	 * sanitizer: its report). */
	sig_restore_one(&old_crash, sig);
	raise(sig);
}

static void crash_handlers(bool on)
{
	if (on)
		sig_handle(crash_signals, ARRAY_LEN(crash_signals), on_crash,
			   SA_NODEFER | SA_RESETHAND, &old_crash);
	else
		sig_restore(&old_crash);
}

/* ---- the screen ------------------------------------------------------------------------------ */

static int saved_stderr = -1;

/* While the screen is ours, stderr goes to a file: nothing scribbles. */
static void stderr_to_file(const struct tui *t)
{
	char *path = xasprintf("%s/tui.log", t->ctx->paths.logs_dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	free(path);
	if (fd < 0)
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	fflush(stderr);
	saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

static void stderr_back(void)
{
	if (saved_stderr < 0)
		return;
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	saved_stderr = -1;
}

/* ---- the terminal type ------------------------------------------------------------------ */

int term_check(struct aura_error *err)
{
	const char *name = getenv("TERM");
	if (!name || !*name)
		return aura_error_set(err, AURA_E_TERMINAL_UNSUPPORTED, "TERM is not set");
	int found = 0;
	/* errors come back in found, not on the terminal or by exit() */
	if (setupterm(NULL, STDOUT_FILENO, &found) != OK)
		return aura_error_set(err, AURA_E_TERMINAL_UNSUPPORTED, "TERM=%s: %s", name,
				      found == 1 ? "a hardcopy terminal"
						 : "no terminfo entry here");
	/* dumb, or anything else that cannot move the cursor or clear */
	char *cup = tigetstr("cup");
	char *clear = tigetstr("clear");
	bool can = cup && cup != (char *)-1 && clear && clear != (char *)-1;
	del_curterm(cur_term);
	if (!can)
		return aura_error_set(err, AURA_E_TERMINAL_UNSUPPORTED,
				      "TERM=%s: it cannot move the cursor", name);
	return 0;
}

static WINDOW *input_win;

void term_init(struct tui *t)
{
	if (tcgetattr(STDIN_FILENO, &saved_tio) == 0)
		tio_saved = true;
	stderr_to_file(t);
	const char *cs = nl_langinfo(CODESET);
	t->utf8 = cs && strcmp(cs, "UTF-8") == 0;
	initscr();
	/* raw: ^C and ^Z come as keys, handled in the loop (no handlers) */
	raw();
	noecho();
	nonl();
	curs_set(0);
	set_escdelay(50);
	/* ncurses installed a SIGTSTP handler that calls curses: undo it */
	sig_default(SIGTSTP);
	/* keys are read from a window nobody draws in, so reading a key
	 * never refreshes anything */
	input_win = newwin(1, 1, 0, 0);
	keypad(input_win, TRUE);
	nodelay(input_win, TRUE);
	mouse_set(t, true);
	untouchwin(input_win);
	ui_styles_init(t);
	prepare_reset();
	screen_taken = 1;
	crash_handlers(true);
	ui_layout(t);
}

void term_fini(struct tui *t)
{
	if (!screen_taken)
		return;
	ui_dialog_close(t);
	for (int i = 0; i < PANE__COUNT; i++)
		if (t->panes[i].win) {
			delwin(t->panes[i].win);
			t->panes[i].win = NULL;
		}
	if (input_win)
		delwin(input_win);
	input_win = NULL;
	curs_set(1);
	endwin();
	screen_taken = 0;
	crash_handlers(false);
	stderr_back();
}

void term_resize(struct tui *t)
{
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	ui_layout(t);
}

void term_suspend(struct tui *t)
{
	endwin();
	kill(0, SIGTSTP); /* the default action stops the whole job */
	/* continued: the terminal may have changed size meanwhile */
	term_resize(t);
}

bool term_key(int *key)
{
	wint_t ch;
	int rc = wget_wch(input_win, &ch);
	if (rc == ERR)
		return false;
	*key = rc == KEY_CODE_YES ? UI_FN((int)ch) : (int)ch;
	return true;
}

bool term_gone(void)
{
	/* Readable with nothing to read: EOF or an error (a hung-up
	 * terminal's ioctls fail; a closed pty master leaves 0 bytes). */
	int n = 0;
	return ioctl(STDIN_FILENO, FIONREAD, &n) < 0 || n == 0;
}
