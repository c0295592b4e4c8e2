/*
 * shsplit.h -- split one command line into words the way a POSIX shell
 * would (blanks, '…', "…", backslashes, comments, a leading ~), so the TUI
 * can take an FFmpeg command as typed and run it without a shell.
 *
 * Must never: expand a variable, a command substitution or a glob, or
 * silently pass on text that a shell would have given a different meaning
 * (an unquoted | ; & < > ( ), a $ or ` outside single quotes): those are
 * refused with an error naming the column, so the user quotes them.
 */
#ifndef AURA_SHSPLIT_H
#define AURA_SHSPLIT_H

#include "base/errors.h"

/*
 * Split line into a NULL-terminated, malloc'ed argv (*argc words; free
 * with shsplit_free). Rules, as sh(1):
 *   - blanks (space, tab) separate words; runs of them count once; a
 *     newline outside quotes is refused (a shell would end the command);
 *   - '...' keeps everything literally, backslashes included;
 *   - "..." keeps everything but \ before $ ` " \ or a newline (which
 *     escapes it; \newline disappears) — other backslashes stay;
 *   - outside quotes \c is c, and \newline disappears;
 *   - parts of one word concatenate ('a'"b"c is abc); '' is an empty word;
 *   - # at the start of a word starts a comment to the end of the line;
 *   - ~ or ~/... at the start of an unquoted word becomes the home
 *     directory (~user is refused); * ? [ stay literal (no globbing).
 * Errors (-AURA_E_USAGE, detail naming the 1-based column): unterminated
 * quote, a trailing backslash, an unquoted operator or newline, $ or ` outside
 * single quotes, ~user.
 */
int shsplit(const char *line, char ***argv, int *argc, struct aura_error *err);
void shsplit_free(char **argv);

#endif
