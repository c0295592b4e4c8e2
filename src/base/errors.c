/*
 * errors.c -- turns catalogue codes into text (as curl's strerror.c).
 *
 * Must never: invent a message outside errors.def, or print a secret (the
 * detail strings are written by callers, which must not put keys in them).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/errors.h"

struct entry {
	const char *name;
	int exit;
	bool transient;
	const char *message;
	const char *hint;
	const char *description;
};

static const struct entry table[AURA_E__COUNT] = {
	[AURA_OK] = { "OK", 0, false, "success", "", "No error." },
#define AURA_ERROR(n, e, t, m, h, d) [AURA_E_##n] = { #n, e, t, m, h, d },
#include "base/errors.def"
#undef AURA_ERROR
};

static const struct entry *get(int code)
{
	if (code < 0)
		code = -code;
	if (code >= AURA_E__COUNT)
		code = AURA_E_INTERNAL;
	return &table[code];
}

int aura_error_set(struct aura_error *err, int code, const char *fmt, ...)
{
	if (code < 0)
		code = -code;
	if (err) {
		err->code = code;
		err->detail[0] = '\0';
		if (fmt) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
			va_end(ap);
		}
	}
	return -code;
}

void aura_error_clear(struct aura_error *err)
{
	if (err) {
		err->code = 0;
		err->detail[0] = '\0';
	}
}

const char *aura_error_name(int code)
{
	return get(code)->name;
}
const char *aura_error_message(int code)
{
	return get(code)->message;
}
const char *aura_error_hint(int code)
{
	return get(code)->hint;
}
const char *aura_error_description(int code)
{
	return get(code)->description;
}
bool aura_error_transient(int code)
{
	return get(code)->transient;
}
int aura_error_exit(int code)
{
	return get(code)->exit;
}

int aura_error_lookup(const char *name)
{
	for (int i = 1; i < AURA_E__COUNT; i++)
		if (strcasecmp(table[i].name, name) == 0)
			return i;
	return 0;
}

void aura_error_print_about(const char *about, const struct aura_error *err)
{
	int code = err && err->code ? err->code : AURA_E_INTERNAL;
	const struct entry *e = get(code);
	fprintf(stderr, "aura: %s%s%s: %s", about ? about : "", about ? ": " : "", e->name,
		e->message);
	if (err && err->detail[0])
		fprintf(stderr, ": %s", err->detail);
	fprintf(stderr, "\n  hint: %s\n", e->hint);
}

void aura_error_print(const struct aura_error *err)
{
	aura_error_print_about(NULL, err);
}
