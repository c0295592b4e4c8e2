/*
 * vspec-music.c -- `--music DIR`: a directory's audio files (.mp3 .wav
 * .ogg .oga .opus .m4a .aac .flac, any case, regular, not hidden, sorted
 * by name) and the one a job's seed picks, so a retry plays the same track.
 *
 * Must never: list a directory the caller did not name.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "video/vspec.h"

static bool audio_name_ok(const char *name)
{
	static const char *const ext[] = { ".mp3",  ".wav", ".ogg", ".oga",
					   ".opus", ".m4a", ".aac", ".flac" };
	if (name[0] == '.')
		return false;
	size_t n = strlen(name);
	for (size_t i = 0; i < ARRAY_LEN(ext); i++) {
		size_t e = strlen(ext[i]);
		if (n > e && strcasecmp(name + n - e, ext[i]) == 0)
			return true;
	}
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int vspec_music_pick(const char *path, uint32_t seed, char **track, int *count,
		     struct aura_error *err)
{
	*track = NULL;
	*count = 0;
	struct stat st;
	if (stat(path, &st) != 0 || access(path, R_OK) != 0)
		return aura_error_set(err, AURA_E_INPUT_UNREADABLE, "--music %s: %s", path,
				      strerror(errno));
	if (S_ISREG(st.st_mode)) {
		*track = xstrdup(path);
		return 0;
	}
	DIR *d = S_ISDIR(st.st_mode) ? opendir(path) : NULL;
	if (!d)
		return aura_error_set(err, AURA_E_INPUT_UNREADABLE,
				      "--music %s is neither a file nor a directory", path);
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (!audio_name_ok(de->d_name))
			continue;
		char *full = xasprintf("%s/%s", path, de->d_name);
		struct stat fs;
		if (stat(full, &fs) != 0 || !S_ISREG(fs.st_mode) || access(full, R_OK) != 0) {
			free(full);
			continue;
		}
		XGROW(v, cnt + 1, cap, 16);
		v[cnt++] = full;
	}
	closedir(d);
	if (cnt == 0) {
		free(v);
		return aura_error_set(err, AURA_E_INPUT_UNREADABLE,
				      "--music %s holds no readable audio file (.mp3, .wav, .ogg, "
				      ".oga, .opus, .m4a, .aac, .flac)",
				      path);
	}
	qsort(v, cnt, sizeof(*v), cmp_str);
	/* Knuth's multiplicative hash: neighbouring seeds pick different tracks */
	size_t pick = (size_t)((seed * 2654435761u) % (uint32_t)cnt);
	*track = v[pick];
	for (size_t i = 0; i < cnt; i++)
		if (i != pick)
			free(v[i]);
	free(v);
	*count = (int)cnt;
	return 0;
}
