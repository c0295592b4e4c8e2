/*
 * cmdline.c -- the `:` command line (as vim's and tmux's): one line, split
 * as a shell would (shsplit) but never given to one, run as `aura VERB
 * ARGS` by this same binary (/proc/self/exe, with the UI's --config and
 * --data-dir) in a child on the UI's loop (os/proc). A verb that acts on
 * a job gets the selected job's id when the line names none (`:priority
 * 5` is `aura priority ID 5`, `:retry --force` is `aura retry --force
 * ID`). When the child exits, the message line says its exit status and
 * its first line of output (of stderr when it failed). Up and Down walk
 * the lines run in this session.
 *
 * Must never: block the UI on the child (one runs at a time, its stdin is
 * /dev/null), let it touch the terminal, run a verb that takes the
 * terminal over (the UI itself, `logs -f`, `setup`, `serve`), or leave it
 * running when the UI leaves.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "base/shsplit.h"
#include "os/proc.h"
#include "tui/ui.h"

#define ESC	   27
#define OUTPUT_CAP 65536

/* The verbs that act on a job, and where its id goes when none is given. */
enum id_place { ID_NONE, ID_LAST, ID_FIRST };

static const struct {
	const char *verb;
	enum id_place place;
} id_verbs[] = {
	{ "show", ID_LAST },   { "logs", ID_LAST },  { "wait", ID_LAST },
	{ "cancel", ID_LAST }, { "retry", ID_LAST }, { "pause", ID_LAST },
	{ "resume", ID_LAST }, { "rm", ID_LAST },    { "priority", ID_FIRST },
};

/* Options that choose jobs themselves: no id is added next to them. */
static const char *const select_opts[] = { "--all", "--state", "--batch", NULL };

static enum id_place id_place_of(const char *verb)
{
	for (size_t i = 0; i < ARRAY_LEN(id_verbs); i++)
		if (strcmp(id_verbs[i].verb, verb) == 0)
			return id_verbs[i].place;
	return ID_NONE;
}

/* Why the verb cannot run under the UI, or NULL. */
static const char *refused(int argc, char **argv)
{
	if (argc == 0)
		return "type a verb, e.g. :retry or :priority 5 (the UI is already running)";
	const char *v = argv[0];
	if (strcmp(v, "setup") == 0 || strcmp(v, "serve") == 0 || strcmp(v, "tui") == 0)
		return "it takes the terminal over: run it in a shell";
	if (strcmp(v, "logs") == 0)
		for (int i = 1; i < argc; i++)
			if (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--follow") == 0)
				return "logs -f follows for ever: the log pane follows already";
	return NULL;
}

/* Is word a positional argument (an id, a number), not an option? */
static bool positional(const char *w)
{
	return w[0] != '-' || (w[1] >= '0' && w[1] <= '9');
}

/*
 * The argv to run: argv[0] is the verb; the selected job's id is added
 * where the verb takes it, unless the line already names a job. Returns
 * the words (the caller frees the array, not the words but *idbuf), or
 * NULL with *why.
 */
static const char **with_id(struct tui *t, int argc, char **argv, char *idbuf, size_t idlen,
			    const char **why)
{
	const char **out = xcalloc((size_t)argc + 2, sizeof(*out));
	enum id_place place = id_place_of(argv[0]);
	int npos = 0, first_pos = -1;
	bool selects = false;
	for (int i = 1; i < argc; i++) {
		for (int k = 0; select_opts[k]; k++)
			if (str_starts_with(argv[i], select_opts[k]))
				selects = true;
		if (positional(argv[i])) {
			npos++;
			if (first_pos < 0)
				first_pos = i;
		}
	}
	bool add = place != ID_NONE && !selects &&
		   (place == ID_LAST ? npos == 0 : npos < 2); /* priority ID N */
	if (add) {
		const struct job *j = jobview_selected(&t->v);
		if (!j) {
			*why = "no job selected: name one (e.g. :cancel 12)";
			free(out);
			return NULL;
		}
		snprintf(idbuf, idlen, "%lld", (long long)j->id);
	}
	int n = 0;
	for (int i = 0; i < argc; i++) {
		if (add && place == ID_FIRST && i == first_pos)
			out[n++] = idbuf;
		out[n++] = argv[i];
	}
	if (add && (place == ID_LAST || first_pos < 0))
		out[n++] = idbuf;
	out[n] = NULL;
	return out;
}

/* The first non-empty line of b ("" if none), at most cap bytes. */
static void first_line(const struct buf *b, char *dst, size_t cap)
{
	dst[0] = '\0';
	const char *s = b->data ? b->data : "";
	const char *end = s + b->len;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
		if (n > 0) {
			if (n >= cap)
				n = cap - 1;
			memcpy(dst, s, n);
			dst[n] = '\0';
			return;
		}
		s += n + 1;
	}
}

static void keep(struct buf *b, const char *data, size_t n)
{
	if (b->len < OUTPUT_CAP)
		buf_append(b, data, n < OUTPUT_CAP - b->len ? n : OUTPUT_CAP - b->len);
}

static void on_out(void *ctx, const char *data, size_t n)
{
	struct tui *t = ctx;
	keep(&t->cmd.out, data, n);
}

static void on_err(void *ctx, const char *data, size_t n)
{
	struct tui *t = ctx;
	keep(&t->cmd.err, data, n);
}

static void on_exit_cmd(void *ctx, int status)
{
	struct tui *t = ctx;
	struct ui_cmd *c = &t->cmd;
	char line[300];
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	/* a failure says why on stderr; a success says what on stdout */
	first_line(code == 0 ? &c->out : &c->err, line, sizeof(line));
	if (!line[0])
		first_line(code == 0 ? &c->err : &c->out, line, sizeof(line));
	if (WIFSIGNALED(status))
		ui_msg(t, MSG_ERROR, ":%s: killed by signal %d", c->line, WTERMSIG(status));
	else
		ui_msg(t, code == 0 ? MSG_OK : MSG_ERROR, ":%s: exit %d%s%s", c->line, code,
		       line[0] ? ": " : "", line);
	c->proc = NULL;
	buf_reset(&c->out);
	buf_reset(&c->err);
	t->counts_stale = true;
}

static const struct proc_ops cmd_ops = {
	.on_stdout = on_out,
	.on_stderr = on_err,
	.on_exit = on_exit_cmd,
};

static void remember(struct ui_cmd *c, const char *line)
{
	if (c->n_hist > 0 && strcmp(c->hist[c->n_hist - 1], line) == 0)
		return;
	if (c->n_hist == UI_CMD_HISTORY) {
		free(c->hist[0]);
		memmove(c->hist, c->hist + 1, (UI_CMD_HISTORY - 1) * sizeof(*c->hist));
		c->n_hist--;
	}
	c->hist[c->n_hist++] = xstrdup(line);
}

/* Run the line; false with *why when it cannot run. */
static bool run_line(struct tui *t, const char *text, char *why, size_t whylen)
{
	struct ui_cmd *c = &t->cmd;
	char **argv;
	int argc;
	struct aura_error err;
	aura_error_clear(&err);
	if (shsplit(text, &argv, &argc, &err) < 0) {
		str_copy(why, err.detail, whylen);
		return false;
	}
	/* ":aura retry" reads naturally: the word is dropped */
	int skip = argc > 0 && strcmp(argv[0], "aura") == 0 ? 1 : 0;
	const char *no = refused(argc - skip, argv + skip);
	char idbuf[24];
	const char **words =
	    no ? NULL : with_id(t, argc - skip, argv + skip, idbuf, sizeof(idbuf), &no);
	if (!words) {
		str_copy(why, no, whylen);
		shsplit_free(argv);
		return false;
	}
	if (c->proc) {
		snprintf(why, whylen, ":%s is still running", c->line);
		free(words);
		shsplit_free(argv);
		return false;
	}
	/* the same aura, with the same --config and --data-dir as this UI */
	struct buf shown;
	buf_init(&shown);
	size_t nw = 0;
	while (words[nw])
		nw++;
	const char **full = xcalloc(nw + 8, sizeof(*full));
	int n = 0;
	full[n++] = "/proc/self/exe";
	if (t->ctx->cli_config) {
		full[n++] = "--config";
		full[n++] = t->ctx->cli_config;
	}
	if (t->ctx->cli_data_dir) {
		full[n++] = "--data-dir";
		full[n++] = t->ctx->cli_data_dir;
	}
	if (t->ctx->host) { /* the same server, however it was chosen */
		full[n++] = "--host";
		full[n++] = t->ctx->host;
	}
	for (size_t i = 0; i < nw; i++) {
		full[n++] = words[i];
		buf_printf(&shown, "%s%s", i ? " " : "", words[i]);
	}
	full[n] = NULL;
	free(c->line);
	c->line = xstrdup(shown.data ? shown.data : "");
	buf_free(&shown);
	struct proc_spec spec = { .argv = full, .cwd = t->cwd, .stdin_mode = PROC_STDIN_NULL };
	c->proc = proc_spawn(t->loop, &spec, &cmd_ops, t, &err);
	free(full);
	free(words);
	shsplit_free(argv);
	if (!c->proc) {
		str_copy(why, err.detail[0] ? err.detail : aura_error_message(err.code), whylen);
		return false;
	}
	ui_msg(t, MSG_INFO, ":%s: running…", c->line);
	return true;
}

/* ---- the prompt ----------------------------------------------------------------------- */

struct cmdline {
	struct edit e;
	int hist; /* the history line shown, n_hist: the one being typed */
	char *typed;
	char error[256];
};

static void cmdline_draw(struct tui *t, struct dialog *d)
{
	struct cmdline *p = d->state;
	const struct job *j = jobview_selected(&t->v);
	char title[96];
	if (j)
		snprintf(title, sizeof(title), "aura VERB on job #%lld", (long long)j->id);
	else
		snprintf(title, sizeof(title), "aura VERB");
	ui_dialog_frame(t, d, title);
	ui_text(t, d->win, 2, 2, ":", 1, A_BOLD, false);
	d->cx = 4 + edit_draw(t, &p->e, d->win, 2, 4, d->w - 6, A_UNDERLINE);
	d->cy = 2;
	if (p->error[0])
		ui_text(t, d->win, 3, 2, p->error, d->w - 4, ui_attr(t, ST_ERROR), false);
	else
		ui_text(t, d->win, 3, 2,
			"e.g. retry --force, priority 5, show; the job's id is added. "
			"Up/Down: history",
			d->w - 4, ui_attr(t, ST_DIM), false);
	d->cursor = true;
}

static void history_move(struct tui *t, struct cmdline *p, int delta)
{
	struct ui_cmd *c = &t->cmd;
	int h = p->hist + delta;
	if (h < 0 || h > c->n_hist)
		return;
	if (p->hist == c->n_hist) {
		free(p->typed);
		p->typed = xstrdup(p->e.buf);
	}
	p->hist = h;
	edit_set(&p->e, h == c->n_hist ? (p->typed ? p->typed : "") : c->hist[h]);
}

static int cmdline_key(struct tui *t, struct dialog *d, int key)
{
	struct cmdline *p = d->state;
	if (key == ESC)
		return UI_HANDLED | UI_CLOSE;
	if (key == UI_FN(KEY_UP) || key == UI_FN(KEY_DOWN)) {
		history_move(t, p, key == UI_FN(KEY_UP) ? -1 : 1);
		p->error[0] = '\0';
		return UI_HANDLED;
	}
	if (key == '\r' || key == '\n' || key == UI_FN(KEY_ENTER)) {
		char *line = xstrdup(p->e.buf);
		bool blank = strspn(line, " \t") == strlen(line);
		if (!blank)
			remember(&t->cmd, line);
		bool ran = blank || run_line(t, line, p->error, sizeof(p->error));
		free(line);
		return ran ? UI_HANDLED | UI_CLOSE : UI_HANDLED;
	}
	if (edit_key(&p->e, key))
		p->error[0] = '\0';
	return UI_HANDLED;
}

static void cmdline_free(struct dialog *d)
{
	struct cmdline *p = d->state;
	edit_free(&p->e);
	free(p->typed);
	free(p);
}

static const struct dialog_ops cmdline_ops = {
	.draw = cmdline_draw,
	.key = cmdline_key,
	.free = cmdline_free,
};

void dlg_cmdline_open(struct tui *t)
{
	struct cmdline *p = xcalloc(1, sizeof(*p));
	edit_init(&p->e, NULL);
	p->hist = t->cmd.n_hist;
	int w = COLS - 8;
	ui_dialog_open(t, &cmdline_ops, 5, w > 100 ? 100 : w, p);
}

void cmdline_stop(struct tui *t)
{
	struct ui_cmd *c = &t->cmd;
	proc_abandon(c->proc);
	c->proc = NULL;
	buf_free(&c->out);
	buf_free(&c->err);
	free(c->line);
	c->line = NULL;
	for (int i = 0; i < c->n_hist; i++)
		free(c->hist[i]);
	c->n_hist = 0;
}
