/*
 * shsplit.c -- a command line to an argv, with the quoting rules of sh(1)
 * and none of its expansions (see shsplit.h for the exact rules).
 *
 * Must never: run anything, expand a variable or a glob, or accept text
 * that a shell would have read differently (it is refused, with where).
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/paths.h"
#include "base/shsplit.h"
#include "base/util.h"

/* 1-based column of byte offset off (UTF-8 continuation bytes do not count). */
static int column(const char *line, size_t off)
{
	int col = 1;
	for (size_t i = 0; i < off; i++)
		col += ((unsigned char)line[i] & 0xC0) != 0x80;
	return col;
}

/* Would a shell expand "$" followed by c? */
static bool dollar_expands(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("_{(@*#?$!-", c) != NULL);
}

struct words {
	char **v;
	int n;
	size_t cap;
};

static void words_add(struct words *w, struct buf *cur)
{
	XGROW(w->v, (size_t)w->n + 2, w->cap, 8);
	w->v[w->n++] = xstrndup(cur->data ? cur->data : "", cur->len);
	w->v[w->n] = NULL;
	buf_reset(cur);
}

void shsplit_free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}

static int fail(struct aura_error *err, const char *line, size_t off, const char *what)
{
	return aura_error_set(err, AURA_E_USAGE, "column %d: %s", column(line, off), what);
}

int shsplit(const char *line, char ***argvp, int *argcp, struct aura_error *err)
{
	struct words w = { NULL, 0, 0 };
	struct buf cur;
	bool in_word = false;
	int rc = 0;
	size_t i = 0;

	buf_init(&cur);
	*argvp = NULL;
	*argcp = 0;
	while (line[i]) {
		char c = line[i];
		if (c == ' ' || c == '\t') {
			if (in_word)
				words_add(&w, &cur);
			in_word = false;
			i++;
			continue;
		}
		if (!in_word && c == '#')
			break; /* a comment runs to the end of the line */
		if (!in_word && c == '~') {
			char n = line[i + 1];
			if (n && n != '/' && n != ' ' && n != '\t') {
				rc = fail(err, line, i,
					  "~user is not expanded here; write the path out");
				goto out;
			}
			char *home = paths_home();
			if (!home) {
				rc = fail(err, line, i, "~: the home directory is not known");
				goto out;
			}
			buf_puts(&cur, home);
			free(home);
			in_word = true;
			i++;
			continue;
		}
		in_word = true;
		switch (c) {
		case '\\':
			if (!line[i + 1]) {
				rc = fail(err, line, i, "a backslash ends the line");
				goto out;
			}
			if (line[i + 1] != '\n')
				buf_append(&cur, &line[i + 1], 1);
			else if (cur.len == 0)
				in_word = false; /* a lone continuation starts no word */
			i += 2;
			break;
		case '\'': {
			const char *end = strchr(&line[i + 1], '\'');
			if (!end) {
				rc = fail(err, line, i, "the single quote is not closed");
				goto out;
			}
			buf_append(&cur, &line[i + 1], (size_t)(end - &line[i + 1]));
			i = (size_t)(end - line) + 1;
			break;
		}
		case '"': {
			size_t open = i++;
			for (;;) {
				char d = line[i];
				if (!d) {
					rc =
					    fail(err, line, open, "the double quote is not closed");
					goto out;
				}
				if (d == '"') {
					i++;
					break;
				}
				if (d == '`' || (d == '$' && dollar_expands(line[i + 1]))) {
					rc = fail(
					    err, line, i,
					    "$ and ` are not expanded here; put them in single "
					    "quotes to pass them on");
					goto out;
				}
				if (d == '\\' && line[i + 1] && strchr("$`\"\\\n", line[i + 1])) {
					if (line[i + 1] != '\n')
						buf_append(&cur, &line[i + 1], 1);
					i += 2;
					continue;
				}
				buf_append(&cur, &line[i], 1);
				i++;
			}
			break;
		}
		case '$':
			if (dollar_expands(line[i + 1])) {
				rc = fail(err, line, i,
					  "variables are not expanded here; write the value, or "
					  "quote the $ ('$') to pass it on");
				goto out;
			}
			buf_append(&cur, &c, 1);
			i++;
			break;
		case '`':
			rc =
			    fail(err, line, i,
				 "command substitution is not run here; quote the ` to pass it on");
			goto out;
		case '\n':
			rc =
			    fail(err, line, i,
				 "a newline would end the command in a shell; end the line with \\ "
				 "to continue it");
			goto out;
		case '|':
		case '&':
		case ';':
		case '<':
		case '>':
		case '(':
		case ')': {
			char what[128];
			snprintf(
			    what, sizeof(what),
			    "'%c' is a shell operator and no shell runs this command; quote it "
			    "to pass it to ffmpeg",
			    c);
			rc = fail(err, line, i, what);
			goto out;
		}
		default:
			buf_append(&cur, &c, 1);
			i++;
			break;
		}
	}
	if (in_word)
		words_add(&w, &cur);
	if (!w.v) {
		w.v = xcalloc(1, sizeof(*w.v));
		w.n = 0;
	}
	*argvp = w.v;
	*argcp = w.n;
	w.v = NULL;
out:
	shsplit_free(w.v);
	buf_free(&cur);
	return rc;
}
