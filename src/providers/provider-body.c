/*
 * provider-body.c -- what the providers do with an answer's body once the
 * request policy (provider.c) delivered it: base64 decoded (and a
 * generated image's checked to be a PNG), and data written to a file
 * atomically (path.part, then rename).
 *
 * Must never: leave a partial file under the name the caller gave.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/errors.h"
#include "providers/provider.h"
#include "base/util.h"

int provider_b64_decode(const char *in, size_t len, struct buf *out)
{
	static signed char map[256];
	static bool ready;
	uint32_t acc = 0;
	int bits = 0;

	if (!ready) {
		const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		memset(map, -1, sizeof(map));
		for (int i = 0; a[i]; i++)
			map[(unsigned char)a[i]] = (signed char)i;
		map['-'] = 62; /* the URL-safe alphabet too */
		map['_'] = 63;
		ready = true;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)in[i];
		char byte;
		if (ch == '=')
			break;
		if (ch == '\n' || ch == '\r' || ch == ' ')
			continue;
		if (map[ch] < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)map[ch];
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			byte = (char)((acc >> bits) & 0xff);
			buf_append(out, &byte, 1);
		}
	}
	return 0;
}

int provider_png_decode(const char *b64, struct buf *png)
{
	if (!b64 || provider_b64_decode(b64, strlen(b64), png) < 0)
		return -1;
	return png->len >= 8 && memcmp(png->data, "\x89PNG", 4) == 0 ? 0 : -1;
}

int provider_write_file(const char *path, const void *data, size_t len, struct aura_error *err)
{
	char *tmp = xasprintf("%s.part", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	const char *p = data;
	size_t off = 0;

	if (fd < 0)
		goto fail;
	while (off < len) {
		ssize_t w = write(fd, p + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			close(fd);
			goto fail;
		}
		off += (size_t)w;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0)
		goto fail;
	free(tmp);
	return 0;
fail:;
	int e = errno;
	unlink(tmp);
	free(tmp);
	return aura_error_set(err, e == ENOSPC ? AURA_E_DISK_FULL : AURA_E_DATA_DIR,
			      "cannot write %s: %s", path, strerror(e));
}
