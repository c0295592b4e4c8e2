/*
 * paths.h -- where aura's files live: XDG resolution with --config,
 * --data-dir, AURA_CONFIG and AURA_DATA_DIR overrides; safe directory modes.
 *
 * Must never: create anything group- or world-writable.
 */
#ifndef AURA_PATHS_H
#define AURA_PATHS_H

#include "base/errors.h"

struct aura_paths {
	char *config_file;    /* the ini (may not exist) */
	bool config_explicit; /* named by -c or AURA_CONFIG: must exist */
	char *data_dir;	      /* aura.db, jobs/, logs/ */
	char *db_file;	      /* DATA/aura.db */
	char *jobs_dir;	      /* DATA/jobs */
	char *logs_dir;	      /* DATA/logs */
	char *log_file;	      /* DATA/logs/aura.log */
	char *runtime_dir;    /* socket's directory, 0700 */
	char *socket_path;    /* RUNTIME/aura.sock */
	char *pid_file;	      /* DATA/aura.pid */
	char *lock_file;      /* DATA/aura.lock (server lock) */
	char *spawn_lock;     /* DATA/spawn.lock (client auto-start lock) */
};

/*
 * Step 1: the config file. cli_config (from -c) wins, then AURA_CONFIG,
 * then $XDG_CONFIG_HOME/aura/aura.ini, then ~/.config/aura/aura.ini.
 * p must be zeroed (or hold an earlier resolve, whose strings are freed).
 */
int paths_resolve_config(struct aura_paths *p, const char *cli_config, struct aura_error *err);

/*
 * Step 2, after the config is read: the data directory. cli_data_dir wins,
 * then AURA_DATA_DIR, then cfg_data_dir (config [general] data_dir), then
 * $XDG_DATA_HOME/aura, then ~/.local/share/aura. The socket is
 * $XDG_RUNTIME_DIR/aura/aura.sock for the default data directory, and
 * DATA/run/aura.sock for any other one (one server per data directory).
 * Relative paths are made absolute.
 */
int paths_resolve_data(struct aura_paths *p, const char *cli_data_dir, const char *cfg_data_dir,
		       struct aura_error *err);

/* Create data, jobs, logs and runtime directories (0700). -AURA_E_DATA_DIR. */
int paths_ensure(const struct aura_paths *p, struct aura_error *err);

/* DATA/jobs/ID, newly allocated. */
char *paths_job_dir(const struct aura_paths *p, long long id);
/* How many job work directories (DATA/jobs/ID) exist; the highest ID in
 * *max_id (0 when none or the folder is missing). */
int paths_job_dirs_scan(const struct aura_paths *p, long long *max_id);

void paths_free(struct aura_paths *p);

/* The home directory: $HOME if set and not empty, else the passwd entry.
 * Newly allocated; NULL if neither is known. */
char *paths_home(void);

/* "~" or "~/..." with the home directory put in; any other path copied.
 * Newly allocated (NULL for NULL). */
char *paths_expand_home(const char *path);

/*
 * An output file a job will write, checked before it is queued: an
 * absolute path that is a regular file if it exists (not a directory, a
 * device such as /dev/null or a FIFO), in a folder that exists, is a
 * directory and is writable. 0, or -AURA_E_OUTPUT_UNWRITABLE with a detail
 * naming the file or the folder and what is wrong.
 */
int paths_check_output(const char *path, struct aura_error *err);

#endif
