/*
 * vspec-files.c -- the files a video job names (declared in vspec.h): its
 * output's name (a slug of the topic, numbered so nothing is overwritten;
 * a folder or a name without .mp4 completed) and the --images folder's
 * listing.
 *
 * Must never: create, change or remove a file; list a directory the
 * caller did not name.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/paths.h"
#include "base/utf8.h"
#include "base/util.h"
#include "video/vspec.h"

#define SLUG_MAX 60

/* --- output names -------------------------------------------------------------- */

/*
 * Non-ASCII code points that are no letter or digit of any script, so a
 * separator: C1 controls, Latin-1's spaces and symbols, general
 * punctuation (spaces, dashes, quotes, ZWJ, line separators), arrows
 * to dingbats and the other symbol blocks, CJK spaces, marks and
 * brackets, private use, variation selectors, the BOM, specials, emoji,
 * tags, and malformed bytes (U+FFFD).
 */
static bool slug_cp_is_separator(uint32_t cp)
{
	static const struct {
		uint32_t lo, hi;
	} sep[] = {
		{ 0x80, 0xA9 },	      { 0xAB, 0xB4 },	    { 0xB6, 0xB9 },
		{ 0xBB, 0xBF },	      { 0xD7, 0xD7 },	    { 0xF7, 0xF7 },
		{ 0x2000, 0x206F },   { 0x20A0, 0x20CF },   { 0x2190, 0x2BFF },
		{ 0x3000, 0x3004 },   { 0x3008, 0x3020 },   { 0xE000, 0xF8FF },
		{ 0xFE00, 0xFE0F },   { 0xFE10, 0xFE1F },   { 0xFE30, 0xFE4F },
		{ 0xFEFF, 0xFEFF },   { 0xFF01, 0xFF0F },   { 0xFF1A, 0xFF20 },
		{ 0xFF3B, 0xFF40 },   { 0xFF5B, 0xFF65 },   { 0xFFF0, 0xFFFF },
		{ 0x1F000, 0x1FAFF }, { 0xE0000, 0xE007F }, { 0xF0000, 0x10FFFF },
	};
	for (size_t i = 0; i < ARRAY_LEN(sep); i++)
		if (cp >= sep[i].lo && cp <= sep[i].hi)
			return true;
	return false;
}

/*
 * ASCII keeps its letters (lower-cased) and digits, drops apostrophes and
 * turns everything else into one dash: no quote, $, `, \, glob, redirect,
 * ; or & and no space reaches a file name, none leads with '-' or '.'.
 * Other scripts' letters and digits are kept as they are (no case
 * mapping without a locale); their punctuation, symbols and emoji are
 * separators too.
 */
char *vspec_slug(const char *topic)
{
	struct buf b;
	buf_init(&b);
	bool dash = false;
	const char *p = topic ? topic : "";
	size_t n;
	uint32_t cp;
	while ((n = utf8_next(p, &cp)) > 0) {
		const char *at = p;
		p += n;
		if (cp < 0x80) {
			char c = (char)cp;
			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
				if (dash && b.len > 0)
					buf_puts(&b, "-");
				dash = false;
				buf_append(&b, &c, 1);
			} else if (c == '\'' && b.len > 0 && !dash) {
				continue; /* "it's" -> "its", not "it-s" */
			} else {
				dash = true;
			}
		} else if (cp == 0x2019 && b.len > 0 && !dash) {
			continue; /* the typographic apostrophe too */
		} else if (slug_cp_is_separator(cp)) {
			dash = true;
		} else {
			if (dash && b.len > 0)
				buf_puts(&b, "-");
			dash = false;
			buf_append(&b, at, n);
		}
	}
	if (b.len > SLUG_MAX) {
		size_t cut = SLUG_MAX;
		while (cut > 0 && b.data[cut] != '-')
			cut--;
		if (cut < SLUG_MAX / 2) {
			cut = SLUG_MAX; /* one long word: cut it, on a character's start */
			while (cut > 0 && ((unsigned char)b.data[cut] & 0xC0) == 0x80)
				cut--;
		}
		b.data[cut] = '\0';
		b.len = cut;
		while (b.len > 0 && b.data[b.len - 1] == '-')
			b.data[--b.len] = '\0';
	}
	if (b.len == 0) {
		buf_free(&b);
		return xstrdup("video");
	}
	return b.data;
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

char *vspec_free_output(const char *dir, const char *base, bool srt)
{
	for (int i = 0;; i++) {
		char *stem =
		    i ? xasprintf("%s/%s-%d", dir, base, i) : xasprintf("%s/%s", dir, base);
		char *mp4 = xasprintf("%s.mp4", stem);
		char *part = xasprintf("%s.part.mp4", stem);
		char *sub = xasprintf("%s.srt", stem);
		bool taken = exists(mp4) || exists(part) || (srt && exists(sub));
		free(stem);
		free(part);
		free(sub);
		if (!taken || i >= 100000)
			return mp4;
		free(mp4);
	}
}

char *vspec_default_output(const struct vspec *s, const struct aura_config *cfg)
{
	char *dir = NULL;
	if (cfg && cfg->output_dir && *cfg->output_dir) {
		char *d = paths_expand_home(cfg->output_dir);
		if (d[0] != '/' && s->cwd) {
			dir = xasprintf("%s/%s", s->cwd, d);
			free(d);
		} else {
			dir = d;
		}
	} else if (s->cwd) {
		dir = xstrdup(s->cwd);
	} else {
		dir = paths_home(); /* a client elsewhere (doc/remote.md) */
	}
	if (!dir)
		return NULL;
	char *slug = vspec_slug(s->topic);
	char *out = vspec_free_output(dir, slug, (s->captions & VSPEC_CAPTIONS_SRT) != 0);
	free(slug);
	free(dir);
	return out;
}

static bool ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

char *vspec_output_path(const char *path, const char *cwd, const char *topic, bool srt)
{
	char *p = paths_expand_home(path);
	char *abs = p[0] == '/' || !cwd ? xstrdup(p) : xasprintf("%s/%s", cwd, p);
	free(p);
	struct stat st;
	size_t len = strlen(abs);
	if ((len > 0 && abs[len - 1] == '/') || (stat(abs, &st) == 0 && S_ISDIR(st.st_mode))) {
		while (len > 1 && abs[len - 1] == '/')
			abs[--len] = '\0';
		char *slug = vspec_slug(topic);
		char *out = vspec_free_output(abs, slug, srt);
		free(slug);
		free(abs);
		return out;
	}
	if (!ends_with_ci(abs, ".mp4")) {
		char *with = xasprintf("%s.mp4", abs);
		free(abs);
		return with;
	}
	return abs;
}

/* --- --images ------------------------------------------------------------------- */

static bool image_name_ok(const char *name)
{
	if (name[0] == '.')
		return false;
	return ends_with_ci(name, ".jpg") || ends_with_ci(name, ".jpeg") ||
	       ends_with_ci(name, ".png") || ends_with_ci(name, ".mp4");
}

bool vspec_is_video_file(const char *path)
{
	return ends_with_ci(path, ".mp4");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void vspec_files_free(char **files)
{
	if (!files)
		return;
	for (char **f = files; *f; f++)
		free(*f);
	free(files);
}

int vspec_list_images(const char *dir, char ***files, int *n, struct aura_error *err)
{
	*files = NULL;
	*n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return aura_error_set(err, AURA_E_INPUT_UNREADABLE, "--images %s: %s", dir,
				      strerror(errno));
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (!image_name_ok(de->d_name))
			continue;
		char *full = xasprintf("%s/%s", dir, de->d_name);
		struct stat st;
		if (stat(full, &st) != 0 || !S_ISREG(st.st_mode) || access(full, R_OK) != 0) {
			free(full);
			continue;
		}
		XGROW(v, cnt + 2, cap, 16);
		v[cnt++] = full;
	}
	closedir(d);
	if (cnt == 0) {
		free(v);
		return aura_error_set(err, AURA_E_INPUT_UNREADABLE,
				      "--images %s holds no readable .jpg, .png or .mp4 file", dir);
	}
	qsort(v, cnt, sizeof(*v), cmp_str);
	v[cnt] = NULL;
	*files = v;
	*n = (int)cnt;
	return 0;
}
