/*
 * provider-set.c -- the online providers by name: their names, their
 * sections of the configuration (base_url and its default, whether one can
 * be called, whether the user asked for it), a provider built from them,
 * and the server's set of instances, one per name, made on first use.
 *
 * Must never: make a provider that cannot be called (no key, no base_url),
 * or more than one instance of a name in a set.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "providers/provider.h"
#include "base/util.h"

const char *const provider_names[] = {
	"openai", "elevenlabs", "pexels", "pixabay", "sdwebui", NULL
};

const struct provider_config *provider_config_for(const struct aura_config *cfg, const char *name)
{
	if (!cfg || !name)
		return NULL;
	if (strcmp(name, "openai") == 0)
		return &cfg->openai;
	if (strcmp(name, "elevenlabs") == 0)
		return &cfg->elevenlabs;
	if (strcmp(name, "pexels") == 0)
		return &cfg->pexels;
	if (strcmp(name, "pixabay") == 0)
		return &cfg->pixabay;
	if (strcmp(name, "sdwebui") == 0)
		return &cfg->sdwebui;
	return NULL;
}

const char *provider_base_url(const struct aura_config *cfg, const char *name)
{
	const struct provider_config *pc = provider_config_for(cfg, name);
	struct config_key_info k;

	if (pc && pc->base_url && *pc->base_url)
		return pc->base_url;
	for (size_t i = 0; config_key_get(i, &k); i++)
		if (strcmp(k.section, name) == 0 && strcmp(k.name, "base_url") == 0)
			return k.def;
	return NULL;
}

static bool is_local_url(const char *u)
{
	return u && (str_starts_with(u, "http://127.") || str_starts_with(u, "http://localhost") ||
		     str_starts_with(u, "http://[::1]"));
}

bool provider_usable(const struct aura_config *cfg, const char *name)
{
	const struct provider_config *pc = provider_config_for(cfg, name);

	if (!pc)
		return false;
	if (strcmp(name, "sdwebui") == 0)
		return true;
	if (config_api_key(pc))
		return true;
	/* Ollama, LM Studio and vLLM on this machine need no key. */
	return strcmp(name, "openai") == 0 && pc->base_url && is_local_url(pc->base_url);
}

static bool chain_has(const char *chain, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = chain; p && *p;) {
		p += strspn(p, ", ");
		if (strncmp(p, name, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
			return true;
		p += strcspn(p, ",");
	}
	return false;
}

bool provider_mentioned(const struct aura_config *cfg, const char *name)
{
	const struct provider_config *pc = provider_config_for(cfg, name);

	if (!pc)
		return false;
	if (chain_has(cfg->chain_script, name) || chain_has(cfg->chain_voice, name) ||
	    chain_has(cfg->chain_visuals, name) || config_api_key(pc))
		return true;
	return pc->base_url && *pc->base_url &&
	       strcmp(pc->base_url, provider_base_url(NULL, name)) != 0;
}

struct provider *provider_from_config(struct loop *l, struct http *h, const struct aura_config *cfg,
				      const char *name)
{
	const struct provider_config *pc = provider_config_for(cfg, name);
	struct provider_policy pol;

	if (!pc)
		return NULL;
	provider_policy_default(&pol, pc->timeout);
	return provider_new(l, h, name, provider_base_url(cfg, name), config_api_key(pc), &pol);
}

/* ---- the server's instances ---- */

/* one slot per name of provider_names (its NULL's slot is never used) */
#define PROVIDER_SET_MAX ARRAY_LEN(provider_names)

struct provider_set {
	struct loop *loop;
	struct http *http; /* NULL: online providers are off */
	const struct aura_config *cfg;
	/* one per provider name (provider_names), made on first use */
	struct provider *p[PROVIDER_SET_MAX];
};

struct provider_set *provider_set_new(struct loop *l, struct http *h, const struct aura_config *cfg)
{
	struct provider_set *ps = xcalloc(1, sizeof(*ps));
	ps->loop = l;
	ps->http = h;
	ps->cfg = cfg;
	return ps;
}

struct provider *provider_set_get(void *set, const char *name)
{
	struct provider_set *ps = set;
	if (!ps || !ps->http || !name)
		return NULL;
	for (size_t i = 0; provider_names[i]; i++) {
		if (strcmp(provider_names[i], name) != 0)
			continue;
		if (!provider_usable(ps->cfg, name))
			return NULL;
		if (!ps->p[i])
			ps->p[i] = provider_from_config(ps->loop, ps->http, ps->cfg, name);
		return ps->p[i];
	}
	return NULL;
}

void provider_set_free(struct provider_set *ps)
{
	if (!ps)
		return;
	for (size_t i = 0; i < PROVIDER_SET_MAX; i++)
		provider_free(ps->p[i]);
	free(ps);
}
