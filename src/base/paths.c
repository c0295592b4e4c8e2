/*
 * paths.c -- where aura's files live: the config file and the data
 * directory (command line, then environment, then config, then the XDG base
 * directories, then the home directory), the socket's directory, and
 * creating the directories 0700.
 *
 * Must never: create anything group- or world-accessible, chmod a data
 * directory the user chose (it may be shared on purpose), or read the config.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/paths.h"
#include "base/util.h"

/* sun_path holds the terminating NUL too. */
#define SOCKET_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

char *paths_home(void)
{
	const char *h = getenv("HOME");
	if (h && *h)
		return xstrdup(h);
	struct passwd *pw = getpwuid(getuid());
	if (pw && pw->pw_dir && *pw->pw_dir)
		return xstrdup(pw->pw_dir);
	return NULL;
}

char *paths_expand_home(const char *path)
{
	if (!path)
		return NULL;
	if (path[0] == '~' && (path[1] == '\0' || path[1] == '/')) {
		char *home = paths_home();
		if (home) {
			char *r = xasprintf("%s%s", home, path + 1);
			free(home);
			return r;
		}
	}
	return xstrdup(path);
}

/* Lexical only ("a/../b" stays): fold "//" and "/./", drop trailing '/'. */
static char *path_normalise(const char *abs)
{
	struct buf b;
	buf_init(&b);
	for (const char *p = abs; *p;) {
		while (*p == '/')
			p++;
		const char *e = p;
		while (*e && *e != '/')
			e++;
		size_t n = (size_t)(e - p);
		if (n && !(n == 1 && *p == '.')) {
			buf_puts(&b, "/");
			buf_append(&b, p, n);
		}
		p = e;
	}
	if (!b.len)
		buf_puts(&b, "/");
	return b.data;
}

/* Absolute against the working directory, normalised; NULL (errno) if the
 * working directory is unknown. */
static char *path_absolute(const char *path)
{
	if (path[0] == '/')
		return path_normalise(path);
	char *cwd = getcwd(NULL, 0);
	if (!cwd)
		return NULL;
	char *joined = xasprintf("%s/%s", cwd, path);
	char *r = path_normalise(joined);
	free(cwd);
	free(joined);
	return r;
}

static char *path_join(const char *dir, const char *leaf)
{
	size_t n = strlen(dir);
	return xasprintf("%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", leaf);
}

/* $ENV/leaf when ENV holds an absolute path (the XDG spec says to ignore a
 * relative one), else HOME/home_rel/leaf. NULL when there is no home. */
static char *xdg_path(const char *env, const char *home_rel, const char *leaf)
{
	const char *x = getenv(env);
	char *raw;
	if (x && x[0] == '/') {
		raw = xasprintf("%s/%s", x, leaf);
	} else {
		char *home = paths_home();
		if (!home)
			return NULL;
		raw = xasprintf("%s/%s/%s", home, home_rel, leaf);
		free(home);
	}
	char *r = path_absolute(raw);
	free(raw);
	return r;
}

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

int paths_resolve_config(struct aura_paths *p, const char *cli_config, struct aura_error *err)
{
	const char *pick = NULL;
	const char *from = NULL;
	if (cli_config) {
		if (!*cli_config)
			return aura_error_set(err, AURA_E_CONFIG_UNREADABLE,
					      "-c/--config was given an empty file name");
		pick = cli_config;
		from = "-c";
	} else if ((pick = env_nonempty("AURA_CONFIG"))) {
		from = "AURA_CONFIG";
	}

	char *file;
	if (pick) {
		char *expanded = paths_expand_home(pick);
		file = path_absolute(expanded);
		int e = errno;
		free(expanded);
		if (!file)
			return aura_error_set(err, AURA_E_CONFIG_UNREADABLE,
					      "%s (from %s): cannot make the path absolute: %s",
					      pick, from, strerror(e));
	} else {
		file = xdg_path("XDG_CONFIG_HOME", ".config", "aura/aura.ini");
		if (!file)
			return aura_error_set(
			    err, AURA_E_CONFIG_UNREADABLE,
			    "cannot find the home directory (HOME is not set and "
			    "uid %u has no passwd entry); name a file with -c FILE",
			    (unsigned)getuid());
	}
	free(p->config_file);
	p->config_file = file;
	p->config_explicit = pick != NULL;
	return 0;
}

static void paths_free_data(struct aura_paths *p)
{
	char **all[] = { &p->data_dir,	&p->db_file,	 &p->jobs_dir,	  &p->logs_dir,
			 &p->log_file,	&p->runtime_dir, &p->socket_path, &p->pid_file,
			 &p->lock_file, &p->spawn_lock };
	for (size_t i = 0; i < ARRAY_LEN(all); i++) {
		free(*all[i]);
		*all[i] = NULL;
	}
}

int paths_resolve_data(struct aura_paths *p, const char *cli_data_dir, const char *cfg_data_dir,
		       struct aura_error *err)
{
	const char *pick = NULL;
	const char *from = NULL;
	if (cli_data_dir && *cli_data_dir) {
		pick = cli_data_dir;
		from = "--data-dir";
	} else if ((pick = env_nonempty("AURA_DATA_DIR"))) {
		from = "AURA_DATA_DIR";
	} else if (cfg_data_dir && *cfg_data_dir) {
		pick = cfg_data_dir;
		from = "data_dir in the config";
	}

	char *def = xdg_path("XDG_DATA_HOME", ".local/share", "aura");
	char *data;
	if (pick) {
		char *expanded = paths_expand_home(pick);
		data = path_absolute(expanded);
		int e = errno;
		free(expanded);
		if (!data) {
			free(def);
			return aura_error_set(err, AURA_E_DATA_DIR,
					      "%s (from %s): cannot make the path absolute: %s",
					      pick, from, strerror(e));
		}
	} else if (def) {
		data = xstrdup(def);
	} else {
		return aura_error_set(err, AURA_E_DATA_DIR,
				      "cannot find the home directory (HOME is not set and uid %u "
				      "has no passwd entry); choose one with --data-dir DIR",
				      (unsigned)getuid());
	}

	/*
	 * Naming the default directory explicitly must reach the same server,
	 * so "default" is decided by the path, not by how it was given.
	 */
	bool is_default = def && strcmp(data, def) == 0;
	free(def);

	if (strlen(data) > PATH_MAX - 64) {
		int rc =
		    aura_error_set(err, AURA_E_PATH_TOO_LONG,
				   "the data directory path is %zu bytes; at most %d are allowed",
				   strlen(data), PATH_MAX - 64);
		free(data);
		return rc;
	}

	const char *rt = env_nonempty("XDG_RUNTIME_DIR");
	char *runtime;
	if (is_default && rt && rt[0] == '/') {
		char *raw = path_join(rt, "aura");
		runtime = path_normalise(raw);
		free(raw);
	} else {
		runtime = path_join(data, "run");
	}
	char *sock = path_join(runtime, "aura.sock");
	if (strlen(sock) > SOCKET_PATH_MAX) {
		int rc = aura_error_set(
		    err, AURA_E_PATH_TOO_LONG,
		    "the socket path %s is %zu bytes, a Unix socket allows at most %zu%s", sock,
		    strlen(sock), SOCKET_PATH_MAX,
		    is_default ? "; set XDG_RUNTIME_DIR to a short directory"
			       : "; with --data-dir, AURA_DATA_DIR or data_dir the socket lives "
				 "in DATA/run, so choose a shorter data directory");
		free(sock);
		free(runtime);
		free(data);
		return rc;
	}

	paths_free_data(p);
	p->data_dir = data;
	p->db_file = path_join(data, "aura.db");
	p->jobs_dir = path_join(data, "jobs");
	p->logs_dir = path_join(data, "logs");
	p->log_file = path_join(p->logs_dir, "aura.log");
	p->runtime_dir = runtime;
	p->socket_path = sock;
	p->pid_file = path_join(data, "aura.pid");
	p->lock_file = path_join(data, "aura.lock");
	p->spawn_lock = path_join(data, "spawn.lock");
	return 0;
}

int paths_ensure(const struct aura_paths *p, struct aura_error *err)
{
	const char *dirs[] = { p->data_dir, p->jobs_dir, p->logs_dir, p->runtime_dir };
	for (size_t i = 0; i < ARRAY_LEN(dirs); i++) {
		if (!dirs[i])
			return aura_error_set(err, AURA_E_INTERNAL,
					      "paths_ensure before paths_resolve_data");
		/* New directories (parents too) are 0700; existing ones keep their mode. */
		if (mkdir_p(dirs[i], 0700) < 0)
			return aura_error_set(err, AURA_E_DATA_DIR, "%s: %s", dirs[i],
					      strerror(errno));
		if (access(dirs[i], W_OK | X_OK) < 0)
			return aura_error_set(err, AURA_E_DATA_DIR, "%s: %s", dirs[i],
					      strerror(errno));
	}

	/*
	 * The socket's directory is aura's alone whatever the data directory
	 * is: a directory someone else owns could hold a planted socket, and a
	 * wider mode lets others reach the socket.
	 */
	struct stat st;
	if (lstat(p->runtime_dir, &st) < 0)
		return aura_error_set(err, AURA_E_DATA_DIR, "%s: %s", p->runtime_dir,
				      strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return aura_error_set(err, AURA_E_DATA_DIR, "%s: %s", p->runtime_dir,
				      strerror(ENOTDIR));
	if (st.st_uid != geteuid())
		return aura_error_set(err, AURA_E_DATA_DIR,
				      "%s belongs to uid %u, not to you (uid %u); remove it or "
				      "choose another --data-dir",
				      p->runtime_dir, (unsigned)st.st_uid, (unsigned)geteuid());
	if ((st.st_mode & 077) && chmod(p->runtime_dir, 0700) < 0)
		return aura_error_set(err, AURA_E_DATA_DIR, "chmod 700 %s: %s", p->runtime_dir,
				      strerror(errno));
	return 0;
}

int paths_job_dirs_scan(const struct aura_paths *p, long long *max_id)
{
	*max_id = 0;
	DIR *d = opendir(p->jobs_dir);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		int64_t id;
		if (de->d_name[0] < '1' || de->d_name[0] > '9' ||
		    parse_int64(de->d_name, &id) < 0 || id <= 0)
			continue;
		n++;
		if (id > *max_id)
			*max_id = id;
	}
	closedir(d);
	return n;
}

char *paths_job_dir(const struct aura_paths *p, long long id)
{
	return xasprintf("%s/%lld", p->jobs_dir, id);
}

void paths_free(struct aura_paths *p)
{
	if (!p)
		return;
	paths_free_data(p);
	free(p->config_file);
	memset(p, 0, sizeof(*p));
}

int paths_check_output(const char *path, struct aura_error *err)
{
	struct stat st;
	if (!path || path[0] != '/')
		return aura_error_set(err, AURA_E_OUTPUT_UNWRITABLE,
				      "the output '%s' is not an absolute file path",
				      path ? path : "");
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return aura_error_set(err, AURA_E_OUTPUT_UNWRITABLE,
				      "the output %s is not a regular file (a %s)", path,
				      S_ISDIR(st.st_mode) ? "directory" : "device, FIFO or socket");
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	slash[slash == dir ? 1 : 0] = '\0';
	int rc = 0;
	if (stat(dir, &st) != 0)
		rc = aura_error_set(err, AURA_E_OUTPUT_UNWRITABLE, "the output's folder %s: %s",
				    dir, errno == ENOENT ? "does not exist" : strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		rc = aura_error_set(err, AURA_E_OUTPUT_UNWRITABLE,
				    "the output's folder %s is not a directory", dir);
	else if (access(dir, W_OK | X_OK) != 0)
		rc = aura_error_set(err, AURA_E_OUTPUT_UNWRITABLE, "the output's folder %s: %s",
				    dir, strerror(errno));
	free(dir);
	return rc;
}
