/*
 * setup-io.c -- how `aura setup` reads its answers: plain lines from a
 * pipe (scripts), libedit's readline() on a terminal (arrow keys, Home,
 * End, Ctrl-A/E/U edit the answer), a key with echo off; and the output
 * directory's check (created on request, mode 0755, then tested for
 * writing).
 *
 * Must never: echo a key, keep a key in libedit's history, or leave the
 * terminal without echo.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <editline/readline.h>

#include "base/conf.h"
#include "base/util.h"
#include "cli/setup.h"
#include "os/sig.h"

char *setup_read_line(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, stdin);

	if (n < 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

/* prompt, then one edited line on a terminal, a plain line otherwise. */
static char *prompt_line(const char *prompt)
{
	if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
		char *a;
		fflush(stdout);
		a = readline(prompt); /* no add_history: answers are not recalled */
		if (!a)
			putchar('\n'); /* Ctrl-D: leave the prompt's line */
		return a;
	}
	fputs(prompt, stdout);
	fflush(stdout);
	return setup_read_line();
}

static struct termios saved_tio;
static volatile sig_atomic_t echo_off;

static void restore_echo(int sig)
{
	if (echo_off)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	echo_off = 0;
	if (sig) {
		sig_default(sig);
		raise(sig);
	}
}

/* Echo goes off before the prompt shows, so nothing typed after the
 * prompt is ever echoed, and typed-ahead input is kept (TCSANOW). */
char *setup_read_secret(const char *prompt)
{
	struct termios tio;
	static const int sigs[] = { SIGINT, SIGTERM };
	struct sig_saved saved;
	char *s;

	if (tcgetattr(STDIN_FILENO, &saved_tio) < 0) {
		fputs(prompt, stdout);
		fflush(stdout);
		return setup_read_line();
	}
	tio = saved_tio;
	tio.c_lflag &= ~(tcflag_t)ECHO;
	tio.c_lflag |= ECHONL;
	sig_handle(sigs, 2, restore_echo, 0, &saved);
	echo_off = 1;
	tcsetattr(STDIN_FILENO, TCSANOW, &tio);
	fputs(prompt, stdout);
	fflush(stdout);
	s = setup_read_line();
	restore_echo(0);
	sig_restore(&saved);
	return s;
}

char *setup_ask(const char *q, const char *def)
{
	char *p = def && *def ? xasprintf("%s [%s]: ", q, def) : xasprintf("%s: ", q);
	char *a = prompt_line(p);

	free(p);
	if (!a)
		return NULL;
	if (!*a && def) {
		free(a);
		return xstrdup(def);
	}
	return a;
}

bool setup_ask_yes(const char *q, bool def)
{
	char *p = xasprintf("%s [%s]: ", q, def ? "Y/n" : "y/N");

	for (;;) {
		char *a = prompt_line(p);
		bool v = false;

		if (!a || !*a) {
			free(a);
			free(p);
			return def; /* EOF and Enter keep the default */
		}
		if (strcasecmp(a, "y") == 0 || strcasecmp(a, "n") == 0 ||
		    config_parse_bool(a, &v)) {
			v = strcasecmp(a, "y") == 0 || (strcasecmp(a, "n") != 0 && v);
			free(a);
			free(p);
			return v;
		}
		free(a);
		printf("  please answer yes or no\n");
	}
}

int setup_check_dir(const char *dir, bool create, struct aura_error *err)
{
	struct stat st;

	if (stat(dir, &st) != 0) {
		if (errno != ENOENT)
			return aura_error_set(err, AURA_E_OUTPUT_UNWRITABLE, "output_dir %s: %s",
					      dir, strerror(errno));
		if (!create)
			return 1;
		if (mkdir_p(dir, 0755) < 0)
			return aura_error_set(err, AURA_E_OUTPUT_UNWRITABLE,
					      "output_dir %s cannot be created: %s", dir,
					      strerror(errno));
		if (stat(dir, &st) != 0)
			return aura_error_set(err, AURA_E_OUTPUT_UNWRITABLE, "output_dir %s: %s",
					      dir, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return aura_error_set(err, AURA_E_OUTPUT_UNWRITABLE,
				      "output_dir %s is not a directory", dir);
	if (access(dir, W_OK | X_OK) != 0)
		return aura_error_set(err, AURA_E_OUTPUT_UNWRITABLE, "output_dir %s: %s", dir,
				      strerror(errno));
	return 0;
}
