/*
 * ctx.c -- the client context (ctx.h): loading paths and config once, and
 * printing an error as the exit status it maps to.
 *
 * Must never: exit() (front ends return a status to main).
 */
#include "config.h"

#include "base/log.h"
#include "client/ctx.h"

static void add_secret(const char *s, void *ctx)
{
	(void)ctx;
	log_add_secret(s);
}

int cli_ctx_load(struct cli_ctx *ctx, bool ensure_dirs)
{
	struct aura_error err;
	aura_error_clear(&err);
	if (!ctx->loaded) {
		config_defaults(&ctx->cfg);
		if (paths_resolve_config(&ctx->paths, ctx->cli_config, &err) < 0 ||
		    config_load(&ctx->cfg, ctx->paths.config_file, ctx->paths.config_explicit,
				&err) < 0 ||
		    paths_resolve_data(&ctx->paths, ctx->cli_data_dir, ctx->cfg.data_dir, &err) <
			0) {
			/* both are safe on half-filled structs */
			config_free(&ctx->cfg);
			paths_free(&ctx->paths);
			return cli_fail(&err);
		}
		config_foreach_secret(&ctx->cfg, add_secret, NULL);
		ctx->loaded = true;
	}
	if (ensure_dirs && paths_ensure(&ctx->paths, &err) < 0)
		return cli_fail(&err);
	return 0;
}

void cli_ctx_free(struct cli_ctx *ctx)
{
	if (ctx->loaded) {
		config_free(&ctx->cfg);
		paths_free(&ctx->paths);
		ctx->loaded = false;
	}
}

int cli_fail(const struct aura_error *err)
{
	aura_error_print(err);
	return aura_error_exit(err->code ? err->code : AURA_E_INTERNAL);
}
