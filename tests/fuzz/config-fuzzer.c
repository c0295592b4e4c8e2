/*
 * config-fuzzer.c -- libFuzzer target for the configuration loader: any
 * bytes written to a file and loaded over the defaults either load or give
 * a CONFIG_* error with a detail; nothing crashes, leaks (ASan's leak
 * check) or reads out of bounds, and a failed load leaves a config that
 * config_free releases.
 *
 * Input: the file's contents, as is (inih reads it, aura validates).
 * Must never: read any file but its own temporary one.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/errors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void drop_file(void)
{
	unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aura_config cfg;
	struct aura_error err = {0};

	if (!path[0]) {
		snprintf(path, sizeof(path), "/tmp/aura-config-fuzz.%ld.ini", (long)getpid());
		/* An api_key needs a private file; the fuzzer must reach that path. */
		umask(077);
		atexit(drop_file);
	}
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);

	memset(&cfg, 0, sizeof(cfg));
	config_defaults(&cfg);
	int rc = config_load(&cfg, path, true, &err);
	if (rc > 0)
		abort();
	if (rc < 0 && (rc < -AURA_E__COUNT || !err.detail[0]))
		abort();
	config_free(&cfg);
	aura_error_clear(&err);
	return 0;
}
