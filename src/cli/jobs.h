/*
 * jobs.h -- what the job verbs (submit, ls, show, logs, wait, cancel...)
 * share: connecting (cli/connect.h), following jobs (cli/follow.h), and
 * the formatting here: JSON output, table cells (the human
 * formats are client/format.h, shared with the TUI).
 *
 * Must never: hold state across verbs, or exit() (verbs return a status).
 */
#ifndef AURA_CLI_JOBS_H
#define AURA_CLI_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cli/cmd.h"
#include "cli/connect.h"
#include "cli/follow.h"
#include "client/client.h"
#include "client/format.h"
#include "base/job.h"

/* When a "store" object of an answer says the server cannot write its
 * store, say so on stderr (one line: why, since when, what waits). */
void cli_warn_store(json_t *store);

/* --key K of new and submit: params["key"] = K, or PARAM_KEY_INVALID in
 * err when K is not UTF-8 (the server checks the rest: doc/protocol.md). */
int cli_key_param(json_t *params, const char *key, struct aura_error *err);
/* --after ID[,ID...] (an id may be written #3) of new, submit and a batch
 * row's after column: params["after"] = [ID, ...] (list NULL or "": none);
 * USAGE naming `what` when a part is not a job id. */
int cli_after_param(json_t *params, const char *what, const char *list, struct aura_error *err);
/* When a submit's answer says "existing" (its key was already used), say
 * on stderr which job has the key and that nothing new was queued. */
void cli_note_existing(json_t *result);

/* Print v as indented JSON and a newline on stdout. */
void cli_print_json(json_t *v);

/* Decode result[key] as a job; false (and a message) if it is not one. */
bool cli_job_from(json_t *result, const char *key, struct job *out);

/*
 * Text from a job made safe for a terminal, as the TUI draws it
 * (src/tui/draw.c): every C0 control, DEL and C1 control becomes '?', so
 * no escape sequence from a job name, path, error or log reaches the
 * terminal. A tab becomes a space, unless lines (multi-line text: logs,
 * FFmpeg's stderr), which keeps '\n' and '\t'. Works in place (the text
 * only shrinks) and returns s; s is UTF-8, as every protocol string is.
 */
char *cli_text_clean(char *s, bool lines);
/* cli_text_clean() on every string of v, in place, for human output (never
 * for --json, which stays exact): "stderr_tail" and "data" as lines. */
void cli_json_clean(json_t *v);

/* Print s in exactly `width` display columns (fmt_text_width(), as the TUI
 * measures): cut with "…" or padded. */
void print_cell(const char *s, size_t width);

/*
 * Job ids from the arguments of a job verb: each argument is an id ("3",
 * "#3"), a range ("3-9", both ends included, never going down) or a
 * comma list of those ("3,5,7", "1,4-6"). *ids is ascending, without
 * duplicates, allocated. A bad word (0, "9-3", not a number, an id past
 * 18 digits, more than CLI_IDS_MAX ids) is a USAGE error, printed; the
 * return is then 2.
 */
#define CLI_IDS_MAX 100000
int cli_parse_id_list(int argc, char **argv, int64_t **ids, size_t *n);
/* --state S[,S]: the bits (1 << job_state) named; a state outside
 * `allowed` (or no state) is a USAGE error naming the allowed ones, 2. */
int cli_parse_states(const char *list, unsigned allowed, unsigned *mask);
/* The ids of the jobs in the states of mask, ascending (allocated), from
 * the server's `list`; or a negative catalogue code with err set. */
int cli_ids_in_states(struct client *cl, unsigned mask, int64_t **ids, size_t *n,
		      struct aura_error *err);

#endif
