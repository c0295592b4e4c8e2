/*
 * conf-int.h -- what conf.c (the table of keys, parsing aura.ini) and
 * conf-value.c (one key's value) share: a key of the table and its type.
 *
 * Must never: be included outside src/base/conf*.c.
 */
#ifndef AURA_BASE_CONF_INT_H
#define AURA_BASE_CONF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/conf.h"

enum key_type {
	KT_STRING,  /* free text; empty: unset (NULL) */
	KT_PATH,    /* a file or directory, "~/" expanded; empty: unset */
	KT_URL,	    /* http:// or https://...; empty: unset */
	KT_SECRET,  /* an API key, never echoed; empty: unset */
	KT_ENVNAME, /* the name of an environment variable; empty: unset */
	KT_INT,	    /* whole number in [min, max] */
	KT_SIZE,    /* bytes, optional K/M/G suffix, in [min, max] */
	KT_ENUM,    /* one of words, stored as its index (enum log_level) */
	KT_WORD,    /* one of words, stored as the word */
	KT_LIST,    /* comma-separated words, stored as "a, b" */
	KT_VOICE,   /* PROVIDER[:VOICE], PROVIDER one of words */
	KT_BOOL,    /* yes/no; no key uses it yet, the parser is ready for one */
};

struct key {
	const char *section;
	const char *name;
	enum key_type type;
	size_t off; /* of the field in struct aura_config */
	long long min, max;
	const char *const *words; /* NULL-terminated, canonical lower case */
	const char *def;	  /* default, as written in aura.ini.example */
	const char *help;	  /* one line */
};

#define KIB 1024LL
#define MIB (1024LL * 1024)
#define GIB (1024LL * 1024 * 1024)

bool conf_key_is_string(const struct key *k);
/* The key's field in cfg. */
void *conf_key_field(struct aura_config *cfg, const struct key *k);
const void *conf_key_cfield(const struct aura_config *cfg, const struct key *k);
/* v as "10M" when a whole number of K, M or G, else in bytes. */
void conf_size_text(char *out, size_t n, uint64_t v);
/* Parse value into k's field. 0, or -1 with the reason (never the value of a
 * no-echo key) in why. */
int conf_key_set(struct aura_config *cfg, const struct key *k, const char *value, char *why,
		 size_t whylen);

#endif
