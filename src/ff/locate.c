/*
 * locate.c -- finding ffmpeg, ffprobe and the font: the configured value,
 * then the environment, then PATH (or a bounded walk of the system's
 * fonts), as doc/doctor.md describes. Shared by the engine, the pipeline
 * and `aura doctor`, which also shows why a place was not used.
 *
 * Must never: fall through from a configured or environment value that is
 * set but unusable to another place (a typo must not pick another binary).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/util.h"
#include "ff/locate.h"

#define FONT_WALK_DEPTH	  6
#define FONT_WALK_ENTRIES 20000
#define DEFAULT_PATH	  "/usr/local/bin:/usr/bin:/bin"

/* ---- locating programs and fonts ---------------------------------------- */

static bool is_executable_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

static bool is_readable_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, R_OK) == 0;
}

/* execvp's own search, done by hand so doctor can name what it found. An
 * empty PATH entry means the current directory, as for execvp. */
static char *search_path(const char *name)
{
	const char *path = getenv("PATH");
	if (!path)
		path = DEFAULT_PATH;
	const char *p = path;
	for (;;) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char *cand =
		    len ? xasprintf("%.*s/%s", (int)len, p, name) : xasprintf("./%s", name);
		if (is_executable_file(cand))
			return cand;
		free(cand);
		if (!end)
			return NULL;
		p = end + 1;
	}
}

/* A configured value: a path if it has a '/', else a name to find in PATH. */
static char *resolve_program(const char *value, const char *origin, char **why)
{
	if (strchr(value, '/')) {
		if (is_executable_file(value))
			return xstrdup(value);
		if (why)
			*why = xasprintf("%s %s is not an executable file", origin, value);
		return NULL;
	}
	char *found = search_path(value);
	if (!found && why)
		*why = xasprintf("%s %s was not found in PATH", origin, value);
	return found;
}

static char *find_program(const char *cfg_value, const char *cfg_key, const char *env_name,
			  const char *beside, const char *name, char **why)
{
	if (cfg_value && *cfg_value) {
		char *origin = xasprintf("[ffmpeg] %s =", cfg_key);
		char *r = resolve_program(cfg_value, origin, why);
		free(origin);
		return r;
	}
	const char *env = getenv(env_name);
	if (env && *env) {
		char *origin = xasprintf("%s=", env_name);
		char *r = resolve_program(env, origin, why);
		free(origin);
		return r;
	}
	if (beside) {
		const char *slash = strrchr(beside, '/');
		if (slash) {
			char *cand = xasprintf("%.*s/%s", (int)(slash - beside), beside, name);
			if (is_executable_file(cand))
				return cand;
			free(cand);
		}
	}
	char *r = search_path(name);
	if (!r && why)
		*why = xasprintf("%s is not in the config, %s or PATH", name, env_name);
	return r;
}

char *locate_ffmpeg(const struct aura_config *cfg, char **why)
{
	return find_program(cfg ? cfg->ffmpeg : NULL, "ffmpeg", "AURA_FFMPEG", NULL, "ffmpeg", why);
}

char *locate_ffprobe(const struct aura_config *cfg, const char *ffmpeg_path, char **why)
{
	return find_program(cfg ? cfg->ffprobe : NULL, "ffprobe", "AURA_FFPROBE", ffmpeg_path,
			    "ffprobe", why);
}

static bool has_font_ext(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot && (strcasecmp(dot, ".ttf") == 0 || strcasecmp(dot, ".otf") == 0);
}

/* Sorted (alphasort) so the same machine always yields the same font; the
 * depth and entry budget keep a huge or looping font tree from stalling. */
static char *walk_fonts(const char *dir, int depth, int *budget)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0)
		return NULL;
	char *found = NULL;
	for (int i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;
		if (found || *budget <= 0 || nm[0] == '.')
			continue;
		(*budget)--;
		char *full = xasprintf("%s/%s", dir, nm);
		struct stat st;
		if (lstat(full, &st) == 0) {
			if (S_ISDIR(st.st_mode) && depth > 0)
				found = walk_fonts(full, depth - 1, budget);
			else if (has_font_ext(nm) && is_readable_file(full))
				found = xstrdup(full);
		}
		free(full);
	}
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return found;
}

char *locate_font(const struct aura_config *cfg, char **why)
{
	static const char *const preferred[] = {
		"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
		"/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
	};
	if (cfg && cfg->font && *cfg->font) {
		if (is_readable_file(cfg->font))
			return xstrdup(cfg->font);
		if (why)
			*why = xasprintf("[video] font = %s is not a readable file", cfg->font);
		return NULL;
	}
	for (size_t i = 0; i < ARRAY_LEN(preferred); i++)
		if (is_readable_file(preferred[i]))
			return xstrdup(preferred[i]);
	int budget = FONT_WALK_ENTRIES;
	char *f = walk_fonts("/usr/share/fonts", FONT_WALK_DEPTH, &budget);
	if (!f && why)
		*why = xstrdup("no .ttf or .otf file under /usr/share/fonts");
	return f;
}
