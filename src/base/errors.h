/*
 * errors.h -- the error catalogue: codes, messages, hints, transience and
 * exit statuses, generated from errors.def. The only place user-facing
 * error text lives.
 *
 * Convention: functions return 0 or -AURA_E_X; details go into a caller's
 * struct aura_error (which may be NULL).
 */
#ifndef AURA_ERRORS_H
#define AURA_ERRORS_H

#include <stdbool.h>

#include "base/util.h"

enum aura_errcode {
	AURA_OK = 0,
#define AURA_ERROR(name, exit, transient, msg, hint, desc) AURA_E_##name,
#include "base/errors.def"
#undef AURA_ERROR
	AURA_E__COUNT
};

struct aura_error {
	int code;	   /* positive catalogue code, 0 when no error */
	char detail[1024]; /* specifics: file:line, the key, the path... */
};

/* Record code and a printf detail into err (NULL-safe); returns -code. */
int aura_error_set(struct aura_error *err, int code, const char *fmt, ...) AURA_PRINTF(3, 4);
void aura_error_clear(struct aura_error *err);

/* Accessors accept a positive or negative code; unknown codes map to INTERNAL. */
const char *aura_error_name(int code);
const char *aura_error_message(int code);
const char *aura_error_hint(int code);
const char *aura_error_description(int code);
bool aura_error_transient(int code);
int aura_error_exit(int code);
/* Code from a symbolic name (case-insensitive); 0 if none. */
int aura_error_lookup(const char *name);

/* Print "aura: NAME: message: detail\n  hint: ...\n" to stderr. These two are
 * the only writers of a line that starts "aura: " (`make lint` checks):
 * whatever else a verb says on stderr is no error and carries no prefix. */
void aura_error_print(const struct aura_error *err);
/* The same, about something: "aura: ABOUT: NAME: message: detail" -- ABOUT
 * says whose error it is ("job 12 failed") or that it is only a "warning". */
void aura_error_print_about(const char *about, const struct aura_error *err);

#endif
