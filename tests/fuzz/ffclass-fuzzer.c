/*
 * ffclass-fuzzer.c -- libFuzzer target for the FFmpeg failure classifier,
 * the summary and the stderr ring: the code is always one of the
 * documented ones, a non-zero exit is never success, the summary is one
 * short line of valid UTF-8, the ring keeps exactly the last 16 KiB.
 *
 * Input: byte 0 = flags (bit 0: stopped by us; bits 1-7: the ring's chunk
 * size), bytes 1-2 = the wait status (little-endian), the rest = stderr.
 * Must never: depend on anything but the input.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "base/errors.h"
#include "ff/ffclass.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An independent check of what the module promises: valid UTF-8. */
static bool valid_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i];
		size_t k = c < 0x80	    ? 1
			   : (c >> 5) == 6  ? 2
			   : (c >> 4) == 14 ? 3
			   : (c >> 3) == 30 ? 4
					    : 0;
		if (k == 0 || i + k > n)
			return false;
		unsigned cp = k == 1 ? c : c & (0x7F >> k);
		for (size_t j = 1; j < k; j++) {
			if ((s[i + j] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + j] & 0x3F);
		}
		static const unsigned min[] = {0, 0, 0x80, 0x800, 0x10000};
		if (cp < min[k] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += k;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	bool by_us = data[0] & 1;
	size_t step = (size_t)(data[0] >> 1) * 331 + 1;
	int st = data[1] | (data[2] << 8);
	const char *text = (const char *)data + 3;
	size_t n = size - 3;

	int code = ffclass_classify(st, text, n, by_us);
	switch (code) {
	case 0:
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			abort();
		break;
	case AURA_E_FFMPEG_KILLED:
		if (by_us)
			abort();
		break;
	case AURA_E_DISK_FULL:
	case AURA_E_FFMPEG_PERMISSION:
	case AURA_E_FFMPEG_INPUT_NOT_FOUND:
	case AURA_E_FFMPEG_UNKNOWN_ENCODER:
	case AURA_E_FFMPEG_INVALID_DATA:
	case AURA_E_FFMPEG_BAD_ARGS:
	case AURA_E_FFMPEG_FAILED:
		break;
	default:
		abort();
	}

	char *z = malloc(n + 1);
	if (!z)
		abort();
	memcpy(z, text, n);
	z[n] = '\0';
	char *sum = ffclass_summary(z);
	if (sum) {
		size_t len = strlen(sum);
		if (len == 0 || len > FFCLASS_SUMMARY_MAX + 3)
			abort();
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)sum[i] < 0x20)
				abort();
		if (!valid_utf8((const unsigned char *)sum, len))
			abort();
		free(sum);
	}
	free(z);

	static struct ffclass_tail t;
	ffclass_tail_init(&t);
	for (size_t i = 0; i < n; i += step)
		ffclass_tail_append(&t, text + i, n - i < step ? n - i : step);
	size_t want = n < FFCLASS_TAIL_MAX ? n : FFCLASS_TAIL_MAX;
	if (t.len != want || t.total != n)
		abort();
	char *s = ffclass_tail_text(&t);
	if (strlen(s) != want || !valid_utf8((const unsigned char *)s, want))
		abort();
	/* plain ASCII bytes come through unchanged */
	const char *src = text + n - want;
	for (size_t i = 0; i < want; i++)
		if (src[i] > 0 && src[i] < 0x7F && s[i] != src[i])
			abort();
	free(s);
	return 0;
}
