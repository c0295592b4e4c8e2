/*
 * cmd-new-style.c -- `aura new`'s style options (new-style.h): --style
 * NAME resolved in the client's aura.ini, then each key flag over it. The
 * spec sent carries every key, so the server renders this look.
 *
 * Must never: accept a value the style's key would refuse.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "base/conf.h"
#include "cli/new-style.h"

int new_style_options(struct vspec *s, const struct args *a, struct aura_error *err)
{
	const char *style = args_get(a, NEW_STYLE_OPT);
	if (style && vspec_style_set(s, style, err) < 0)
		return -AURA_E_STYLE_UNKNOWN;
	for (int i = 0; i < NEW_STYLE_NKEYS; i++) {
		const char *v = args_get(a, NEW_STYLE_OPT + 1 + i);
		if (!v)
			continue;
		const char *key = config_style_key_name((size_t)i);
		char flag[64], why[256];
		snprintf(flag, sizeof(flag), "--%s", key);
		for (char *p = flag; *p; p++)
			if (*p == '_')
				*p = '-';
		if (config_style_set(&s->look, key, v, why, sizeof(why)) < 0)
			return aura_error_set(err, AURA_E_USAGE, "%s %s: %s", flag, v, why);
	}
	return 0;
}
