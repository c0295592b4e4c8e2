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

/*
 * A style: the look of a video (doc/pipeline.md, "Styles"). The built-in
 * clean (the look aura always had), shorts and lecture, and [style NAME]
 * sections over a base style (conf-style.c). Plain data: copy it freely.
 */
#define STYLE_NAME_MAX 32
enum style_position { STYLE_POS_BOTTOM, STYLE_POS_CENTER, STYLE_POS_TOP };
enum style_headings { STYLE_HEADINGS_ON, STYLE_HEADINGS_OFF, STYLE_HEADINGS_SLIDES };
enum style_transition {
	STYLE_TRANS_FADE,
	STYLE_TRANS_WIPE,
	STYLE_TRANS_SLIDE,
	STYLE_TRANS_DISSOLVE,
	STYLE_TRANS_NONE
};
struct style_config {
	char name[STYLE_NAME_MAX + 1];
	char base[STYLE_NAME_MAX + 1]; /* a section's base ("" in a section: the default) */
	char caption_font[128];	       /* family, "": [video] font, else DejaVu Sans */
	int caption_size;	       /* px at 1080 lines, 0 automatic */
	char caption_color[8];	       /* #RRGGBB */
	char caption_outline_color[8]; /* #RRGGBB */
	int caption_outline;	       /* px at 1080 lines, -1 automatic */
	int caption_shadow;	       /* px at 1080 lines, -1 automatic */
	bool caption_box;	       /* a translucent box behind the text */
	int caption_position;	       /* enum style_position */
	int caption_max_chars;	       /* columns of a line, 0 automatic */
	char caption_highlight[8];     /* #RRGGBB of the spoken word, "": none */
	int headings;		       /* enum style_headings */
	int transition;		       /* enum style_transition */
	int transition_ms;	       /* 0..2000 */
	bool ken_burns;
	int ken_burns_strength; /* percent zoom, 0..30 */
	double music_volume;	/* dB, -40..0 */
	double ducking;		/* dB the bed drops under the voice, 0..30 */
	double voice_speed;	/* 0.5..2 */
	double voice_volume;	/* dB, -20..10 */
	unsigned set;		/* [style NAME]: which keys the section set */
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
	int lanes;		/* commands of one job at once here; 0: the CPUs */
	int max_attempts;	/* attempts per job before it fails for good */
	int retry_backoff;	/* seconds; doubles per attempt */
	int stall_timeout;	/* seconds without progress before a stop */
	int quit_grace;		/* seconds after 'q' before SIGTERM */
	int term_grace;		/* seconds after SIGTERM before SIGKILL */
	int shutdown_grace;	/* seconds the whole shutdown may take */
	int job_timeout;	/* seconds a job may run; 0 = no limit */
	uint64_t client_buffer; /* bytes queued to one client before it is dropped */
	int health_interval; /* seconds between provider health rounds while video jobs wait or run
			      */
	char *pool;	     /* the default pool of new jobs ("local") */
	char *server_id;     /* names this server's cluster jobs; NULL: derived (doc/cluster.md) */
	char *on_done;	     /* command run when a job ends (hook.c); NULL: none */
	int on_done_timeout; /* seconds it may take before it is stopped */

	/* [metrics] (doc/metrics.md) */
	char *metrics_textfile; /* Prometheus text file the server writes; NULL: none */
	int metrics_interval;	/* seconds between two writes at most */
	/* [retention] (doc/retention.md) */
	int keep_days;	      /* a finished job's work directory, days; 0 no age limit */
	int keep_jobs;	      /* the newest finished jobs keeping theirs; 0 no limit */
	int keep_records;     /* the newest finished jobs keeping their records; 0 all */
	uint64_t job_log_max; /* max_job_log ([server] job_log_max before): bytes of one
				 job's job.log (head + tail), 0 no cap */

	/* [client] */
	char *client_host;    /* ssh://... of the server to drive; NULL/"": local */
	char *remote_command; /* the remote aura, split as a shell would ("aura") */
	char *ssh_command;    /* ssh and its options, split as a shell would ("ssh") */

	/* [video] */
	char *preset;	  /* landscape-720p... */
	int duration;	  /* seconds, default target duration */
	char *voice;	  /* PROVIDER[:VOICE], default flite:slt */
	char *captions;	  /* burn|srt|both|none */
	char *font;	  /* NULL: search the system fonts */
	int scene_gap_ms; /* silence between scenes */
	char *output_dir; /* NULL: the client's working directory */
	char *stock;	  /* videos|photos|mixed: what the stock sites supply */
	char *segments;	  /* auto|off: the render split into segments (doc/render.md) */
	char *lang;	  /* narration language code, default en */
	char *style;	  /* the style of new videos (clean) */

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

	/* [style NAME] sections as written (only the keys they set), in file order */
	struct style_config *styles;
	size_t nstyles;
};

/*
 * Styles: the built-ins (clean, shorts, lecture), then the [style NAME]
 * sections not named like one. config_style resolves name (NULL: [video]
 * style) into out: 0, or -1 when no style has the name (out: clean).
 */
size_t config_style_count(const struct aura_config *cfg);
const char *config_style_name_at(const struct aura_config *cfg, size_t i);
int config_style(const struct aura_config *cfg, const char *name, struct style_config *out);
/* "clean, shorts, lecture, NAME..." for hints. Caller frees. */
char *config_style_names(const struct aura_config *cfg);
/* The keys of a style, in the order of doc/pipeline.md. */
enum { STYLE_VAL_TEXT, STYLE_VAL_INT, STYLE_VAL_NUM, STYLE_VAL_BOOL };
size_t config_style_key_count(void);
const char *config_style_key_name(size_t i);
const char *config_style_key_help(size_t i);
int config_style_key_kind(size_t i); /* STYLE_VAL_* */
/* Set key from its text: 0; -1 not a style key; -2 a bad value (why: the
 * accepted values). */
int config_style_set(struct style_config *s, const char *key, const char *value, char *why,
		     size_t whylen);
/* Key i's value as text ("on", "#FFFFFF", "-10.46"). Caller frees. */
char *config_style_value_text(const struct style_config *s, size_t i);
/* "#RRGGBB" (any case) -> 0xRRGGBB in *rgb (may be NULL); false if it is no such colour. */
bool config_color_rgb(const char *v, uint32_t *rgb);
/* FFmpeg's xfade transition of a style's transition ("" for none). */
const char *config_style_xfade(int transition);

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
