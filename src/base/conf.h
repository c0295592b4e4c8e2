/*
 * conf.h -- the typed configuration: defaults, loading aura.ini with inih,
 * validation, secrets. The only module that includes <ini.h>. (Named apart
 * from autoconf's config.h, which every .c includes first.)
 *
 * Must never: ignore an unknown key, log or print an api_key value.
 */
#ifndef AURA_CONFIG_H
#define AURA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/errors.h"

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* One online provider's settings ([openai], [elevenlabs], [pexels]...). */
struct provider_config {
	char *base_url;	   /* NULL: the provider's public default */
	char *api_key;	   /* inline key (secret), NULL if not set */
	char *api_key_env; /* name of an environment variable holding the key */
	char *model;	   /* chat/tts/image model or voice id, provider-specific */
	char *voice;	   /* tts voice (openai, elevenlabs voice id) */
	int timeout;	   /* seconds, total per request */
};

/* Where a pool's jobs run. */
enum pool_executor { POOL_LOCAL, POOL_SLURM };

/*
 * A pool: a name, an executor and its own limit of jobs at once
 * ([pool NAME] in aura.ini; doc/cluster.md). The built-in "local" pool is
 * this machine with [server] max_jobs.
 */
#define POOL_LOCAL_NAME "local"
struct pool_config {
	char *name;
	int executor; /* enum pool_executor */
	int max_jobs; /* jobs of the pool at once; the local pool: [server] max_jobs */
	/* executor = slurm */
	char *srun;	   /* srun program, NULL: PATH; squeue, scancel, sinfo beside it */
	char *partition;   /* --partition, NULL: the cluster's default */
	char *account;	   /* --account, NULL: the user's default */
	int cpus_per_task; /* --cpus-per-task */
	char *mem;	   /* --mem (e.g. 4G), NULL: the partition's default */
	char *time_limit;  /* --time (e.g. 1:00:00), NULL: the partition's default */
	char *extra_args;  /* more srun options, split like a shell would */
	unsigned set;	   /* which keys the file set (bit = index in the pool key table) */
};

struct aura_config {
	char *source; /* path the config was read from, NULL if defaults */

	/* [general] */
	char *data_dir; /* NULL: XDG default */
	enum log_level log_level;
	uint64_t log_max_size; /* bytes before aura.log rotates */
	int log_keep;	       /* rotated files kept */

	/* [ffmpeg] */
	char *ffmpeg;  /* NULL: AURA_FFMPEG, then PATH */
	char *ffprobe; /* NULL: AURA_FFPROBE, beside ffmpeg, PATH */

	/* [server] */
	int max_jobs;		/* jobs running at once */
	int max_attempts;	/* attempts per job before it fails for good */
	int retry_backoff;	/* seconds; doubles per attempt */
	int stall_timeout;	/* seconds without progress before a stop */
	int quit_grace;		/* seconds after 'q' before SIGTERM */
	int term_grace;		/* seconds after SIGTERM before SIGKILL */
	int shutdown_grace;	/* seconds the whole shutdown may take */
	int job_timeout;	/* seconds a job may run; 0 = no limit */
	uint64_t client_buffer; /* bytes queued to one client before it is dropped */
	uint64_t job_log_max;	/* bytes of one job's job.log (head + tail), 0 no cap */
	int health_interval; /* seconds between provider health rounds while video jobs wait or run
			      */
	char *pool;	     /* the default pool of new jobs ("local") */
	char *server_id;     /* names this server's cluster jobs; NULL: derived (doc/cluster.md) */
	char *on_done;	     /* command run when a job ends (hook.c); NULL: none */
	int on_done_timeout; /* seconds it may take before it is stopped */

	/* [video] */
	char *preset;	  /* landscape-720p... */
	int duration;	  /* seconds, default target duration */
	char *voice;	  /* PROVIDER[:VOICE], default flite:slt */
	char *captions;	  /* burn|srt|both|none */
	char *font;	  /* NULL: search the system fonts */
	int scene_gap_ms; /* silence between scenes */
	char *output_dir; /* NULL: the client's working directory */
	char *stock;	  /* videos|photos|mixed: what the stock sites supply */
	char *lang;	  /* narration language code, default en */

	/* [voice] local engines */
	char *espeak;	   /* espeak-ng binary, NULL: PATH */
	char *piper;	   /* piper binary, NULL: PATH */
	char *piper_model; /* .onnx voice model for piper */

	/* [providers] fallback chains, comma-separated, offline last */
	char *chain_script;  /* e.g. "openai, rulebased" */
	char *chain_voice;   /* e.g. "openai, flite" */
	char *chain_visuals; /* e.g. "pexels, pixabay, generated" */

	struct provider_config openai, elevenlabs, pexels, pixabay, sdwebui;

	/* [pool NAME] sections, in file order; "local" is not among them */
	struct pool_config *pools;
	size_t npools;
};

/*
 * The pools: index 0 is the built-in "local" pool (max_jobs follows
 * [server] max_jobs), then the [pool NAME] sections. config_pool(cfg,
 * NULL) is the default pool ([server] pool); NULL if no pool has the name.
 * The pointers are valid while cfg is.
 */
size_t config_pool_count(const struct aura_config *cfg);
const struct pool_config *config_pool_at(const struct aura_config *cfg, size_t i);
const struct pool_config *config_pool(const struct aura_config *cfg, const char *name);
/* Jobs of the pool that may run at once. */
int config_pool_max_jobs(const struct aura_config *cfg, const struct pool_config *p);
const char *config_pool_executor_name(int executor); /* "local", "slurm" */

/* Fill cfg with the built-in defaults (all strings owned by cfg). cfg's
 * previous contents are overwritten, not freed: call it on a zeroed or freed
 * struct. */
void config_defaults(struct aura_config *cfg);

/*
 * Read path over the current values of cfg. If required is false and the
 * file does not exist, cfg is left as it is and 0 is returned. Errors name
 * file, line, key and the accepted values in err->detail:
 * -AURA_E_CONFIG_UNREADABLE, _SYNTAX, _UNKNOWN_KEY, _BAD_VALUE, _INSECURE.
 */
int config_load(struct aura_config *cfg, const char *path, bool required, struct aura_error *err);

void config_free(struct aura_config *cfg);

/* The key for a provider: inline api_key, else getenv(api_key_env); NULL if none. */
const char *config_api_key(const struct provider_config *p);

/* Every secret value configured (inline or from env), for log redaction.
 * Calls fn(secret, ctx) for each non-empty one. */
void config_foreach_secret(const struct aura_config *cfg, void (*fn)(const char *, void *),
			   void *ctx);

const char *config_log_level_name(enum log_level l);

/*
 * The key table, read-only, for aura.ini.example checks, `aura setup`,
 * documentation and showing the effective configuration. Index 0 up to
 * config_key_count() - 1, in the order of aura.ini.example.
 */
struct config_key_info {
	const char *section; /* "server" */
	const char *name;    /* "max_jobs" */
	const char *def;     /* the default as written in aura.ini.example, "" if none */
	const char *help;    /* one line */
	bool secret;	     /* its value is never shown (api_key) */
};
size_t config_key_count(void);
/* Fill out with key i; false if i is out of range. */
bool config_key_get(size_t i, struct config_key_info *out);
/* Key i's current value in cfg as it would be written in the ini ("10M",
 * "info", "" when unset); a set secret reads "***". Caller frees. NULL if i
 * is out of range. */
char *config_value_text(const struct aura_config *cfg, size_t i);

/* yes/no, true/false, on/off, 1/0 (any case). */
bool config_parse_bool(const char *s, bool *out);

#endif
