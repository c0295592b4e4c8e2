/*
 * conf-value.c -- one key's value of the typed configuration: its text
 * checked against the key's type (number and range, size with K/M/G,
 * word, list, voice, URL, environment variable name, yes/no), set into
 * struct aura_config, and a size shown back as text; and how close a
 * misspelt name is to a known one. The table of keys and the parsing of
 * aura.ini are conf.c.
 *
 * Must never: accept a value outside the key's range or words, or put a
 * value into `why` (it may be a key pasted into the wrong field).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/conf.h"
#include "base/conf-int.h"
#include "base/paths.h"
#include "base/util.h"

bool conf_key_is_string(const struct key *k)
{
	switch (k->type) {
	case KT_INT:
	case KT_SIZE:
	case KT_ENUM:
	case KT_BOOL:
		return false;
	default:
		return true;
	}
}

void *conf_key_field(void *base, const struct key *k)
{
	return (char *)base + k->off;
}

const void *conf_key_cfield(const void *base, const struct key *k)
{
	return (const char *)base + k->off;
}

static int word_index(const char *const *words, const char *s, size_t len)
{
	for (int i = 0; words[i]; i++)
		if (strlen(words[i]) == len && strncasecmp(words[i], s, len) == 0)
			return i;
	return -1;
}

static void words_join(char *out, size_t n, const char *const *words)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; words[i] && used < n; i++) {
		int w = snprintf(out + used, n - used, "%s%s", i ? ", " : "", words[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

void conf_size_text(char *out, size_t n, uint64_t v)
{
	if (v && v % GIB == 0)
		snprintf(out, n, "%lluG", (unsigned long long)(v / GIB));
	else if (v && v % MIB == 0)
		snprintf(out, n, "%lluM", (unsigned long long)(v / MIB));
	else if (v && v % KIB == 0)
		snprintf(out, n, "%lluK", (unsigned long long)(v / KIB));
	else
		snprintf(out, n, "%llu", (unsigned long long)v);
}

static bool envname_valid(const char *s)
{
	if (!(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return false;
	return true;
}

static bool url_valid(const char *s)
{
	size_t n = 0;
	if (strncasecmp(s, "http://", 7) == 0)
		n = 7;
	else if (strncasecmp(s, "https://", 8) == 0)
		n = 8;
	return n && s[n] != '\0' && s[n] != '/' && !strpbrk(s, " \t");
}

bool config_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "false", "off", "0", NULL };
	if (!s)
		return false;
	if (word_index(yes, s, strlen(s)) >= 0) {
		*out = true;
		return true;
	}
	if (word_index(no, s, strlen(s)) >= 0) {
		*out = false;
		return true;
	}
	return false;
}

static void set_string(void *cfg, const struct key *k, char *v)
{
	char **f = conf_key_field(cfg, k);
	free(*f);
	*f = v;
}

/* "openai , Flite" -> "openai, flite"; NULL and why filled on a bad word. */
static char *list_normalise(const char *const *words, const char *s, char *why, size_t whylen)
{
	char all[256];
	words_join(all, sizeof(all), words);
	struct buf b;
	buf_init(&b);
	for (const char *p = s;;) {
		const char *comma = strchr(p, ',');
		const char *end = comma ? comma : p + strlen(p);
		while (p < end && isspace((unsigned char)*p))
			p++;
		const char *e = end;
		while (e > p && isspace((unsigned char)e[-1]))
			e--;
		if (e == p) {
			snprintf(why, whylen,
				 "has an empty entry; use a comma-separated list of: %s", all);
			buf_free(&b);
			return NULL;
		}
		int i = word_index(words, p, (size_t)(e - p));
		if (i < 0) {
			snprintf(why, whylen, "'%.*s' is not one of: %s",
				 (int)(e - p < 64 ? e - p : 64), p, all);
			buf_free(&b);
			return NULL;
		}
		buf_printf(&b, "%s%s", b.len ? ", " : "", words[i]);
		if (!comma)
			break;
		p = comma + 1;
	}
	return b.data;
}

/* Parse value into k's field. 0, or -1 with the reason (never the value of a
 * no-echo key) in why. */
int conf_key_set(void *cfg, const struct key *k, const char *value, char *why, size_t whylen)
{
	char all[256] = "";
	if (k->words)
		words_join(all, sizeof(all), k->words);

	/*
	 * Empty means the built-in default, so `key =` is always safe; except
	 * for api_key_env, where it is the way to say "read no variable".
	 */
	if (*value == '\0') {
		if (k->type == KT_ENVNAME || (conf_key_is_string(k) && *k->def == '\0')) {
			set_string(cfg, k, NULL);
			return 0;
		}
		if (*k->def)
			return conf_key_set(cfg, k, k->def, why, whylen);
	}

	switch (k->type) {
	case KT_STRING:
	case KT_SECRET:
		set_string(cfg, k, xstrdup(value));
		return 0;
	case KT_PATH:
		set_string(cfg, k, paths_expand_home(value));
		return 0;
	case KT_URL:
		if (!url_valid(value)) {
			snprintf(why, whylen, "must be a URL starting with http:// or https://");
			return -1;
		}
		set_string(cfg, k, xstrdup(value));
		return 0;
	case KT_ENVNAME:
		if (!envname_valid(value)) {
			snprintf(
			    why, whylen,
			    "must be the name of an environment variable (letters, digits and _), "
			    "not the key itself");
			return -1;
		}
		set_string(cfg, k, xstrdup(value));
		return 0;
	case KT_INT: {
		int64_t v;
		if (parse_int64(value, &v) < 0 || v < k->min || v > k->max) {
			snprintf(why, whylen, "must be a whole number from %lld to %lld", k->min,
				 k->max);
			return -1;
		}
		*(int *)conf_key_field(cfg, k) = (int)v;
		return 0;
	}
	case KT_SIZE: {
		uint64_t v;
		if (parse_size(value, &v) < 0 || v < (uint64_t)k->min || v > (uint64_t)k->max) {
			char lo[32], hi[32];
			conf_size_text(lo, sizeof(lo), (uint64_t)k->min);
			conf_size_text(hi, sizeof(hi), (uint64_t)k->max);
			snprintf(
			    why, whylen,
			    "must be a size from %s to %s (bytes, or a number with a K, M or G "
			    "suffix)",
			    lo, hi);
			return -1;
		}
		*(uint64_t *)conf_key_field(cfg, k) = v;
		return 0;
	}
	case KT_ENUM: {
		int i = word_index(k->words, value, strlen(value));
		if (i < 0) {
			snprintf(why, whylen, "must be one of: %s", all);
			return -1;
		}
		*(int *)conf_key_field(cfg, k) = i;
		return 0;
	}
	case KT_WORD: {
		int i = word_index(k->words, value, strlen(value));
		if (i < 0) {
			snprintf(why, whylen, "must be one of: %s", all);
			return -1;
		}
		set_string(cfg, k, xstrdup(k->words[i]));
		return 0;
	}
	case KT_LIST: {
		char *v = list_normalise(k->words, value, why, whylen);
		if (!v)
			return -1;
		set_string(cfg, k, v);
		return 0;
	}
	case KT_VOICE: {
		const char *colon = strchr(value, ':');
		size_t plen = colon ? (size_t)(colon - value) : strlen(value);
		int i = word_index(k->words, value, plen);
		if (i < 0 || (colon && colon[1] == '\0')) {
			snprintf(why, whylen,
				 "must be PROVIDER or PROVIDER:VOICE, PROVIDER one of: %s", all);
			return -1;
		}
		set_string(cfg, k, xasprintf("%s%s", k->words[i], colon ? colon : ""));
		return 0;
	}
	case KT_BOOL: {
		bool b;
		if (!config_parse_bool(value, &b)) {
			snprintf(why, whylen, "must be yes or no (or true/false, on/off, 1/0)");
			return -1;
		}
		*(bool *)conf_key_field(cfg, k) = b;
		return 0;
	}
	}
	snprintf(why, whylen, "has an unknown type");
	return -1;
}

/* --- suggestions for misspelt names (conf.c) ------------------------------ */

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[65];
	if (la > 64 || lb > 64)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost =
			    tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			size_t best = diag + cost;
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

bool conf_close_enough(const char *typed, const char *known, size_t *best)
{
	size_t d = edit_distance(typed, known);
	size_t limit = strlen(typed) >= 6 ? 2 : 1;
	if (d <= limit && d < *best) {
		*best = d;
		return true;
	}
	return false;
}

/* --- secrets ---------------------------------------------------------------- */

const char *config_api_key(const struct provider_config *p)
{
	if (!p)
		return NULL;
	if (p->api_key && *p->api_key)
		return p->api_key;
	if (p->api_key_env && *p->api_key_env) {
		const char *v = getenv(p->api_key_env);
		if (v && *v)
			return v;
	}
	return NULL;
}

void config_foreach_secret(const struct aura_config *cfg, void (*fn)(const char *, void *),
			   void *ctx)
{
	const struct provider_config *all[] = { &cfg->openai, &cfg->elevenlabs, &cfg->pexels,
						&cfg->pixabay, &cfg->sdwebui };
	for (size_t i = 0; i < ARRAY_LEN(all); i++) {
		const struct provider_config *p = all[i];
		if (p->api_key && *p->api_key)
			fn(p->api_key, ctx);
		if (p->api_key_env && *p->api_key_env) {
			const char *v = getenv(p->api_key_env);
			if (v && *v)
				fn(v, ctx);
		}
	}
}
