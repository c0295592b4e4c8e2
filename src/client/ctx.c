/*
 * ctx.c -- the client context (ctx.h): loading paths and config once, and
 * printing an error as the exit status it maps to.
 *
 * Must never: exit() (front ends return a status to main).
 */
#include "config.h"

#include <stdlib.h>

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
		const char *env = getenv("AURA_HOST");
		ctx->host = ctx->cli_host ? ctx->cli_host : env ? env : ctx->cfg.client_host;
		if (ctx->host && !*ctx->host)
			ctx->host = NULL;
		env = getenv("AURA_SSH_COMMAND");
		ctx->ssh_command = env && *env ? env : ctx->cfg.ssh_command;
		env = getenv("AURA_REMOTE_COMMAND");
		ctx->remote_command = env && *env ? env : ctx->cfg.remote_command;
		ctx->loaded = true;
	}
	if (ensure_dirs && !ctx->host && paths_ensure(&ctx->paths, &err) < 0)
		return cli_fail(&err);
	return 0;
}

void cli_ctx_free(struct cli_ctx *ctx)
{
	if (ctx->loaded) {
		config_free(&ctx->cfg);
		paths_free(&ctx->paths);
		ctx->host = ctx->ssh_command = ctx->remote_command = NULL;
		ctx->loaded = false;
	}
}

int cli_ctx_local_only(const struct cli_ctx *ctx, const char *what)
{
	/* before the config is read (doctor reads a broken one itself) the
	 * flag and the environment are what is known */
	const char *host = ctx->loaded ? ctx->host : ctx->cli_host;
	if (!ctx->loaded && !host)
		host = getenv("AURA_HOST");
	if (!host || !*host)
		return 0;
	struct aura_error err;
	aura_error_set(&err, AURA_E_REMOTE_UNSUPPORTED,
		       "%s with --host %s: run it on the server (ssh HOST aura ...)", what, host);
	return cli_fail(&err);
}

int cli_fail(const struct aura_error *err)
{
	aura_error_print(err);
	return aura_error_exit(err->code ? err->code : AURA_E_INTERNAL);
}
