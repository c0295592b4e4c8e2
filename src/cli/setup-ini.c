/*
 * setup-ini.c -- the aura.ini that `aura setup` writes (src/cli/cmd-setup.c
 * asks the questions): the provider chains from the answers, and an atomic
 * write (mode 0600) of a file aura itself accepts.
 *
 * Must never: leave a half-written aura.ini, or a temporary file beside it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/setup.h"
#include "base/conf.h"
#include "providers/services.h"
#include "base/util.h"

/* Ollama's OpenAI-compatible API (port 11434, or a host named for it)
 * answers chat completions only: no speech, no images. */
static bool is_ollama_url(const char *url)
{
	const char *h = url ? strstr(url, "://") : NULL;
	if (!h)
		return false;
	h += 3;
	size_t n = strcspn(h, "/?#");
	for (size_t i = 0; i + 6 <= n; i++)
		if (strncasecmp(h + i, "ollama", 6) == 0)
			return true;
	const char *colon = memrchr(h, ':', n);
	return colon && (size_t)(h + n - colon - 1) == 5 && strncmp(colon + 1, "11434", 5) == 0;
}

/* media: the voice and visuals chains, which a chat-only server cannot serve */
static void chain(struct buf *b, const char *key, const struct setup *s, const char *const *order,
		  const char *last, bool media)
{
	buf_printf(b, "%s = ", key);
	for (const char *const *n = order; *n; n++) {
		int i = setup_prov_index(*n);
		if (i < 0 || !s->prov[i].use)
			continue;
		if (media && strcmp(*n, "openai") == 0 && is_ollama_url(s->prov[i].base_url))
			continue;
		buf_printf(b, "%s, ", *n);
	}
	buf_printf(b, "%s\n", last);
}

char *setup_render_ini(const struct setup *s)
{
	static const char *const script[] = { "openai", NULL };
	static const char *const voice[] = { "openai", "elevenlabs", NULL };
	static const char *const visuals[] = { "pexels", "pixabay", "sdwebui", "openai", NULL };
	struct buf b;

	buf_init(&b);
	buf_puts(&b, "# aura.ini -- written by `aura setup`; every key is described in "
		     "aura.ini.example.\n\n");
	if (s->data_dir && *s->data_dir)
		buf_printf(&b, "[general]\ndata_dir = %s\n\n", s->data_dir);
	if (s->ffmpeg && *s->ffmpeg)
		buf_printf(&b, "[ffmpeg]\nffmpeg = %s\n\n", s->ffmpeg);
	if (s->output_dir && *s->output_dir)
		buf_printf(&b, "[video]\noutput_dir = %s\n\n", s->output_dir);
	buf_puts(&b, "[providers]\n");
	chain(&b, "script", s, script, "rulebased", false);
	chain(&b, "voice", s, voice, "flite", true);
	chain(&b, "visuals", s, visuals, "generated", true);
	for (int i = 0; i < SETUP_NPROV; i++) {
		const struct choice *c = &s->prov[i];
		if (!c->use)
			continue;
		buf_printf(&b, "\n[%s]\n", provider_names[i]);
		if (c->base_url && *c->base_url)
			buf_printf(&b, "base_url = %s\n", c->base_url);
		if (c->key)
			buf_printf(&b, "api_key = %s\n", c->key);
		else if (c->key_env)
			buf_printf(&b, "api_key_env = %s\n", c->key_env);
	}
	return b.data;
}

int setup_write_config(const char *path, const char *text, struct aura_error *err)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	struct aura_config check;
	size_t len = strlen(text), off = 0;
	int fd, rc = 0;

	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir_p(dir, 0700) < 0) {
			rc = aura_error_set(err, AURA_E_CONFIG_UNREADABLE, "cannot create %s: %s",
					    dir, strerror(errno));
			goto out;
		}
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = aura_error_set(err, AURA_E_CONFIG_UNREADABLE, "cannot write %s: %s", tmp,
				    strerror(errno));
		goto out;
	}
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = aura_error_set(
			    err, errno == ENOSPC ? AURA_E_DISK_FULL : AURA_E_CONFIG_UNREADABLE,
			    "cannot write %s: %s", tmp, strerror(errno));
			close(fd);
			goto fail;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		rc = aura_error_set(err, AURA_E_CONFIG_UNREADABLE, "cannot write %s: %s", tmp,
				    strerror(errno));
		goto fail;
	}
	memset(&check, 0, sizeof(check));
	config_defaults(&check);
	rc = config_load(&check, tmp, true, err);
	config_free(&check);
	if (rc < 0)
		goto fail;
	if (rename(tmp, path) < 0) {
		rc = aura_error_set(err, AURA_E_CONFIG_UNREADABLE, "cannot rename onto %s: %s",
				    path, strerror(errno));
		goto fail;
	}
	goto out;
fail:
	unlink(tmp);
out:
	free(tmp);
	free(dir);
	return rc;
}
