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
	size_t off; /* of the field in struct aura_config (struct pool_config) */
	long long min, max;
	const char *const *words; /* NULL-terminated, canonical lower case */
	const char *def;	  /* default, as written in aura.ini.example */
	const char *help;	  /* one line */
};

#define KIB 1024LL
#define MIB (1024LL * 1024)
#define GIB (1024LL * 1024 * 1024)

bool conf_key_is_string(const struct key *k);
/* The key's field in base: a struct aura_config, or a struct pool_config
 * for the keys of a [pool NAME] section. */
void *conf_key_field(void *base, const struct key *k);
const void *conf_key_cfield(const void *base, const struct key *k);
/* v as "10M" when a whole number of K, M or G, else in bytes. */
void conf_size_text(char *out, size_t n, uint64_t v);
/* Parse value into k's field. 0, or -1 with the reason (never the value of a
 * no-echo key) in why. */
int conf_key_set(void *base, const struct key *k, const char *value, char *why, size_t whylen);
/* conf-value.c: whether typed is a likely misspelling of known (an edit
 * distance of 1, 2 for names of 6 or more) closer than *best, which it
 * then lowers. */
bool conf_close_enough(const char *typed, const char *known, size_t *best);

/* conf-pool.c: [pool NAME] sections. */
/* A section header: 0 when it is not "pool NAME"; 1 when it is (the pool
 * is declared, so an empty section is a pool); -code with the message in
 * why when NAME is not a pool's name. */
int conf_pool_header(struct aura_config *cfg, const char *section, char *why, size_t whylen);
/* key = value in a section: 0 when the section is not a pool's; 1 when
 * it was set; -code with the whole message in why (unknown key, bad
 * value; key_shown false: the key's name is not repeated, it may be a
 * pasted secret). */
int conf_pool_line(struct aura_config *cfg, const char *section, const char *key, const char *value,
		   bool key_shown, char *why, size_t whylen);
/* After the whole file: the keys of each pool fit its executor, [server]
 * pool names a pool. 0 or -1 with why. */
int conf_pools_check(const struct aura_config *cfg, char *why, size_t whylen);
void conf_pools_free(struct aura_config *cfg);
void conf_pools_copy(struct aura_config *dst, const struct aura_config *src);

/* conf-style.c: [style NAME] sections, the same contract as the pool's. */
int conf_style_header(struct aura_config *cfg, const char *section, char *why, size_t whylen);
int conf_style_line(struct aura_config *cfg, const char *section, const char *key,
		    const char *value, char *why, size_t whylen);
int conf_styles_check(const struct aura_config *cfg, char *why, size_t whylen);
void conf_styles_free(struct aura_config *cfg);
void conf_styles_copy(struct aura_config *dst, const struct aura_config *src);

#endif
