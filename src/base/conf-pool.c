/*
 * conf-pool.c -- [pool NAME] sections of aura.ini: a pool's executor,
 * its limit of jobs at once and the executor's keys, checked with the
 * same key machinery as the fixed sections (conf-value.c); the pools'
 * life (copy, free) and their look-up by name.
 *
 * Must never: accept a key of one executor in a pool of another, or a
 * default pool ([server] pool) that no section defines. The [style NAME]
 * sections go to conf-style.c first (the same hooks).
 */
#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/conf.h"
#include "base/conf-int.h"
#include "base/job.h"
#include "base/util.h"

static const char *const w_executor[] = { "local", "slurm", NULL };

#define P(field) offsetof(struct pool_config, field)

/* The order here is the order of doc/cluster.md. The first two keys are
 * every pool's; the rest are the Slurm executor's (SLURM_FROM). */
/* clang-format off */
static const struct key pool_keys[] = {
	{"pool", "executor", KT_ENUM, P(executor), 0, 0, w_executor, "local",
	 "where the pool's jobs run: local (this machine) or slurm (srun on a cluster)"},
	{"pool", "max_jobs", KT_INT, P(max_jobs), 1, 10000, NULL, "4",
	 "jobs of this pool running at once (1 to 10000)"},
	{"pool", "srun", KT_PATH, P(srun), 0, 0, NULL, "",
	 "srun program (empty: srun in PATH); squeue, scancel and sinfo are taken from beside it"},
	{"pool", "partition", KT_STRING, P(partition), 0, 0, NULL, "",
	 "Slurm partition, srun --partition (empty: the cluster's default)"},
	{"pool", "account", KT_STRING, P(account), 0, 0, NULL, "",
	 "Slurm account, srun --account (empty: your default account)"},
	{"pool", "cpus_per_task", KT_INT, P(cpus_per_task), 1, 1024, NULL, "2",
	 "CPUs of one render, srun --cpus-per-task (1 to 1024)"},
	{"pool", "mem", KT_STRING, P(mem), 0, 0, NULL, "",
	 "memory of one render, srun --mem, e.g. 4G (empty: the partition's default)"},
	{"pool", "time_limit", KT_STRING, P(time_limit), 0, 0, NULL, "",
	 "time limit of one render, srun --time, e.g. 2:00:00 (empty: the partition's default)"},
	{"pool", "extra_args", KT_STRING, P(extra_args), 0, 0, NULL, "",
	 "more srun options, split like a shell would split them (never run through a shell)"},
};
/* clang-format on */
#define SLURM_FROM 2

_Static_assert(ARRAY_LEN(pool_keys) <= sizeof(unsigned) * 8, "pool_config.set has a bit per key");

static const struct pool_config local_pool = {
	.name = (char *)POOL_LOCAL_NAME, /* never freed: not in cfg->pools */
	.executor = POOL_LOCAL,
};

static bool pool_name_valid(const char *s, size_t n)
{
	if (n == 0 || n > JOB_POOL_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

static bool conf_pool_section(const char *section, const char **name, bool *bad)
{
	if (strncasecmp(section, "pool", 4) != 0 || !isspace((unsigned char)section[4]))
		return false;
	const char *p = section + 4;
	while (isspace((unsigned char)*p))
		p++;
	*name = p;
	*bad = !pool_name_valid(p, strlen(p)) || strcasecmp(p, POOL_LOCAL_NAME) == 0;
	return true;
}

static struct pool_config *pool_get(struct aura_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->npools; i++)
		if (strcmp(cfg->pools[i].name, name) == 0)
			return &cfg->pools[i];
	cfg->pools = xrealloc(cfg->pools, (cfg->npools + 1) * sizeof(*cfg->pools));
	struct pool_config *p = &cfg->pools[cfg->npools++];
	memset(p, 0, sizeof(*p));
	p->name = xstrdup(name);
	for (size_t i = 0; i < ARRAY_LEN(pool_keys); i++) {
		char why[128];
		if (conf_key_set(p, &pool_keys[i], pool_keys[i].def, why, sizeof(why)) < 0)
			abort(); /* the table contradicts itself */
	}
	return p;
}

/* Slurm's --mem (a number with an optional K, M, G or T) and --time
 * ("minutes", "MM:SS", "HH:MM:SS", "D-HH", "D-HH:MM", "D-HH:MM:SS"). */
static bool mem_valid(const char *s)
{
	size_t d = strspn(s, "0123456789");
	return d > 0 && (s[d] == '\0' || (strchr("KMGTkmgt", s[d]) && s[d + 1] == '\0'));
}

static bool time_valid(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n < 24 && strspn(s, "0123456789:-") == n && isdigit((unsigned char)s[0]) &&
	       isdigit((unsigned char)s[n - 1]) && !strstr(s, "::") && !strstr(s, "--");
}

/* Set a key of the pool NAME (created on its first key; key NULL: only
 * create it). 0; -1 unknown key (why: a hint, may be empty); -2 bad value
 * (why: the reason). */
static int conf_pool_key(struct aura_config *cfg, const char *name, const char *key,
			 const char *value, char *why, size_t whylen)
{
	if (!key) {
		pool_get(cfg, name);
		return 0;
	}
	const struct key *k = NULL;
	for (size_t i = 0; i < ARRAY_LEN(pool_keys); i++)
		if (strcasecmp(pool_keys[i].name, key) == 0)
			k = &pool_keys[i];
	if (!k) {
		snprintf(why, whylen,
			 " (a pool takes executor, max_jobs, srun, partition, account, "
			 "cpus_per_task, mem, time_limit, extra_args)");
		return -1;
	}
	struct pool_config *p = pool_get(cfg, name);
	if (*value && strcmp(k->name, "mem") == 0 && !mem_valid(value)) {
		snprintf(why, whylen, "must be a size as srun --mem takes it: 4096, 500M, 4G");
		return -2;
	}
	if (*value && strcmp(k->name, "time_limit") == 0 && !time_valid(value)) {
		snprintf(why, whylen,
			 "must be a time as srun --time takes it: MINUTES, HH:MM:SS or D-HH:MM:SS");
		return -2;
	}
	if (conf_key_set(p, k, value, why, whylen) < 0)
		return -2;
	p->set |= 1u << (k - pool_keys);
	return 0;
}

int conf_pool_header(struct aura_config *cfg, const char *section, char *why, size_t whylen)
{
	const char *pool;
	bool bad;
	int sc = conf_style_header(cfg, section, why, whylen);
	if (sc)
		return sc;
	if (!conf_pool_section(section, &pool, &bad))
		return 0;
	if (bad) {
		snprintf(why, whylen,
			 "[%s]: a pool's name is 1 to %d letters, digits, - and _, and not local "
			 "(the built-in pool takes [server] max_jobs)",
			 section, JOB_POOL_MAX);
		return -AURA_E_CONFIG_BAD_VALUE;
	}
	conf_pool_key(cfg, pool, NULL, NULL, NULL, 0);
	return 1;
}

int conf_pool_line(struct aura_config *cfg, const char *section, const char *key, const char *value,
		   bool key_shown, char *why, size_t whylen)
{
	const char *pool;
	bool bad;
	int sc = conf_style_line(cfg, section, key, value, why, whylen);
	if (sc)
		return sc;
	if (!conf_pool_section(section, &pool, &bad))
		return 0;
	char reason[384];
	int rc = conf_pool_key(cfg, pool, key, value, reason, sizeof(reason));
	if (rc == 0)
		return 1;
	if (rc == -1 && !key_shown)
		snprintf(why, whylen, "unknown key in [%s] (the line is not shown)", section);
	else if (rc == -1)
		snprintf(why, whylen, "unknown key [%s] %.64s%s", section, key, reason);
	else
		snprintf(why, whylen, "[%s] %s = %.160s: %s", section, key, value, reason);
	return rc == -1 ? -AURA_E_CONFIG_UNKNOWN_KEY : -AURA_E_CONFIG_BAD_VALUE;
}

int conf_pools_check(const struct aura_config *cfg, char *why, size_t whylen)
{
	if (conf_styles_check(cfg, why, whylen) < 0)
		return -1;
	for (size_t i = 0; i < cfg->npools; i++) {
		const struct pool_config *p = &cfg->pools[i];
		if (p->executor == POOL_SLURM)
			continue;
		for (size_t k = SLURM_FROM; k < ARRAY_LEN(pool_keys); k++) {
			if (p->set & (1u << k)) {
				snprintf(why, whylen,
					 "[pool %s] %s: only a Slurm pool takes it (add executor = "
					 "slurm, or remove the key)",
					 p->name, pool_keys[k].name);
				return -1;
			}
		}
	}
	if (cfg->pool && !config_pool(cfg, cfg->pool)) {
		snprintf(why, whylen,
			 "[server] pool = %.64s: no such pool (define [pool %.64s], or use local)",
			 cfg->pool, cfg->pool);
		return -1;
	}
	if (cfg->server_id) {
		size_t n = strlen(cfg->server_id);
		if (n > 16 || strspn(cfg->server_id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
						     "abcdefghijklmnopqrstuvwxyz0123456789") != n) {
			snprintf(why, whylen, "[server] server_id: 1 to 16 letters and digits");
			return -1;
		}
	}
	return 0;
}

static void pool_free(struct pool_config *p)
{
	for (size_t k = 0; k < ARRAY_LEN(pool_keys); k++)
		if (conf_key_is_string(&pool_keys[k]))
			free(*(char **)conf_key_field(p, &pool_keys[k]));
	free(p->name);
}

void conf_pools_free(struct aura_config *cfg)
{
	for (size_t i = 0; i < cfg->npools; i++)
		pool_free(&cfg->pools[i]);
	free(cfg->pools);
	cfg->pools = NULL;
	cfg->npools = 0;
	conf_styles_free(cfg);
}

void conf_pools_copy(struct aura_config *dst, const struct aura_config *src)
{
	dst->pools = src->npools ? xcalloc(src->npools, sizeof(*dst->pools)) : NULL;
	dst->npools = src->npools;
	conf_styles_copy(dst, src);
	for (size_t i = 0; i < src->npools; i++) {
		struct pool_config *p = &dst->pools[i];
		*p = src->pools[i];
		p->name = xstrdup(src->pools[i].name);
		for (size_t k = 0; k < ARRAY_LEN(pool_keys); k++)
			if (conf_key_is_string(&pool_keys[k]))
				*(char **)conf_key_field(p, &pool_keys[k]) = xstrdup(
				    *(char *const *)conf_key_cfield(&src->pools[i], &pool_keys[k]));
	}
}

size_t config_pool_count(const struct aura_config *cfg)
{
	return 1 + cfg->npools;
}

const struct pool_config *config_pool_at(const struct aura_config *cfg, size_t i)
{
	if (i == 0)
		return &local_pool;
	return i <= cfg->npools ? &cfg->pools[i - 1] : NULL;
}

const struct pool_config *config_pool(const struct aura_config *cfg, const char *name)
{
	if (!name)
		name = cfg->pool ? cfg->pool : POOL_LOCAL_NAME;
	for (size_t i = 0; i < config_pool_count(cfg); i++) {
		const struct pool_config *p = config_pool_at(cfg, i);
		if (p && strcmp(p->name, name) == 0)
			return p;
	}
	return NULL;
}

int config_pool_max_jobs(const struct aura_config *cfg, const struct pool_config *p)
{
	return p == &local_pool ? cfg->max_jobs : p->max_jobs;
}

const char *config_pool_executor_name(int executor)
{
	return executor == POOL_SLURM ? "slurm" : "local";
}
