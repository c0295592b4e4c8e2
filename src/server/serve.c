/*
 * serve.c -- the server's life (serve.h): takes the data directory's lock,
 * opens the log and the store, recovers jobs, listens, and runs the loop
 * until an orderly shutdown (SIGINT/SIGTERM or the `shutdown` request) has
 * stopped every child; --daemon detaches and the first process returns
 * once the socket accepts connections (or with the reason it cannot
 * start). See doc/server.md.
 *
 * Must never: run two servers on one data directory, exit before every
 * child is stopped (short of a child that ignores SIGKILL), leave the
 * socket or pid file behind after a clean exit, or block the loop.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/errors.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/paths.h"
#include "base/util.h"
#include "engine/engine.h"
#include "os/loop.h"
#include "os/proc.h"
#include "os/sig.h"
#include "providers/http.h"
#include "providers/provider.h"
#include "server/serve.h"
#include "server/server.h"
#include "store/store.h"
#include "video/kind.h"

#define FINISH_FLUSH_MS 500  /* what clients have queued may take this long */
#define LAST_RESORT_MS	5000 /* after the grace: children that ignore SIGKILL */

struct serve {
	const struct aura_config *cfg;
	const struct aura_paths *paths;
	bool daemon;
	bool accept_empty; /* --accept-empty-store */
	int ready_fd;	   /* --daemon: the pipe to the waiting first process */
	int lock_fd;
	bool pid_written;
	bool log_opened;
	struct loop *loop;
	struct store *st;
	struct server *srv;
	struct engine *eng;
	struct http *http;		/* one curl multi + share for every provider call */
	struct provider_set *providers; /* the jobs' online providers, one per name */
	struct metrics *metrics;	/* what the engine and the providers count */
	bool stopping;
	uint64_t grace_timer;
	int exit_status;
};

/* As a verb reports an error: print it, return its exit status. */
static int fail(const struct aura_error *err)
{
	aura_error_print(err);
	return aura_error_exit(err->code ? err->code : AURA_E_INTERNAL);
}

/* --- lock and pid file ---------------------------------------------------- */

static long read_pid(const char *path)
{
	char b[32];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, b, sizeof(b) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	b[n] = '\0';
	b[strcspn(b, "\n")] = '\0';
	int64_t v;
	return parse_int64(b, &v) == 0 && v > 0 ? (long)v : 0;
}

static int take_lock(struct serve *sv, struct aura_error *err)
{
	const struct aura_paths *p = sv->paths;
	int fd = open(p->lock_file, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return aura_error_set(err, AURA_E_DATA_DIR, "%s: %s", p->lock_file,
				      strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		close(fd);
		if (e != EWOULDBLOCK)
			return aura_error_set(err, AURA_E_DATA_DIR, "flock %s: %s", p->lock_file,
					      strerror(e));
		long pid = read_pid(p->pid_file);
		if (pid > 0)
			return aura_error_set(err, AURA_E_SERVER_RUNNING,
					      "server pid %ld serves %s", pid, p->data_dir);
		return aura_error_set(err, AURA_E_SERVER_RUNNING,
				      "a server (pid not known yet) serves %s", p->data_dir);
	}
	sv->lock_fd = fd;
	return 0;
}

/* tmp + rename: a reader sees the old pid or the new one, never half. */
static int write_pid(struct serve *sv, struct aura_error *err)
{
	const char *path = sv->paths->pid_file;
	char *tmp = xasprintf("%s.tmp", path);
	char *text = xasprintf("%ld\n", (long)getpid());
	int rc = 0;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	size_t len = strlen(text);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || close(fd) < 0 ||
	    rename(tmp, path) < 0) {
		rc = aura_error_set(err, AURA_E_DATA_DIR, "writing %s: %s", path, strerror(errno));
		if (fd >= 0)
			unlink(tmp);
	} else {
		sv->pid_written = true;
	}
	free(tmp);
	free(text);
	return rc;
}

/* --- shutdown ------------------------------------------------------------- */

static void finished(void *ctx)
{
	struct serve *sv = ctx;
	loop_stop(sv->loop);
}

static void last_resort(struct loop *l, void *ctx)
{
	struct serve *sv = ctx;
	(void)l;
	sv->grace_timer = 0;
	log_error("shutdown: children are still running %d s after SIGKILL; exiting anyway",
		  LAST_RESORT_MS / 1000);
	server_finish(sv->srv, FINISH_FLUSH_MS, finished, sv);
}

static void grace_expired(struct loop *l, void *ctx)
{
	struct serve *sv = ctx;
	sv->grace_timer = loop_timer_add(l, LAST_RESORT_MS, last_resort, sv);
	log_warn("shutdown: shutdown_grace (%d s) is over; killing what still runs",
		 sv->cfg->shutdown_grace);
	engine_shutdown(sv->eng, true);
}

/* Signals and the `shutdown` request come here. The first stops accepting
 * work and starts the stop sequences; a later forceful one skips the
 * graces. */
static void begin_shutdown(struct serve *sv, const char *why, bool now)
{
	if (sv->stopping) {
		if (now) {
			log_info("shutdown: %s again; stopping every job now", why);
			engine_shutdown(sv->eng, true);
		}
		return;
	}
	sv->stopping = true;
	log_info("shutdown: %s; %d job%s to stop%s", why, engine_running_count(sv->eng),
		 engine_running_count(sv->eng) == 1 ? "" : "s", now ? " now" : "");
	server_close_listener(sv->srv);
	server_broadcast_shutdown(sv->srv);
	sv->grace_timer =
	    loop_timer_add(sv->loop, (int64_t)sv->cfg->shutdown_grace * 1000, grace_expired, sv);
	engine_shutdown(sv->eng, now);
}

static void on_shutdown_request(bool now, void *ctx)
{
	begin_shutdown(ctx, now ? "`shutdown --now` request" : "`shutdown` request", now);
}

static void on_drained(void *ctx)
{
	struct serve *sv = ctx;
	loop_timer_del(sv->loop, sv->grace_timer);
	sv->grace_timer = 0;
	log_info("shutdown: every job is stopped and saved");
	server_finish(sv->srv, FINISH_FLUSH_MS, finished, sv);
}

static void on_signal(struct loop *l, int signo, void *ctx)
{
	struct serve *sv = ctx;
	(void)l;
	switch (signo) {
	case SIGCHLD:
		proc_reap_all();
		break;
	case SIGHUP: {
		/* For logrotate: reopen aura.log by name. */
		const struct aura_config *cfg = sv->cfg;
		if (log_open(sv->paths->log_file, cfg->log_max_size, cfg->log_keep) < 0)
			log_error("SIGHUP: cannot reopen %s: %s", sv->paths->log_file,
				  strerror(errno));
		else
			log_info("SIGHUP: log file reopened");
		break;
	}
	case SIGINT:
	case SIGTERM:
		/* The second signal is the impatient one. */
		begin_shutdown(sv, signo == SIGINT ? "SIGINT" : "SIGTERM", sv->stopping);
		break;
	default:
		break;
	}
}

/* --- readiness (--daemon) ------------------------------------------------- */

/* Child side: "R" when listening, else "E<code> <detail>". */
static void ready_send(struct serve *sv, const struct aura_error *err)
{
	if (sv->ready_fd < 0)
		return;
	char *msg = err ? xasprintf("E%d %s", err->code ? err->code : AURA_E_INTERNAL, err->detail)
			: xstrdup("R");
	size_t len = strlen(msg);
	const char *p = msg;
	while (len > 0) {
		ssize_t w = write(sv->ready_fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		p += w;
		len -= (size_t)w;
	}
	free(msg);
	close(sv->ready_fd);
	sv->ready_fd = -1;
}

/* Parent side: wait for the verdict of the detached server. */
static int ready_wait(int fd, pid_t child)
{
	struct buf b;
	buf_init(&b);
	char tmp[1024];
	for (;;) {
		ssize_t n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf_append(&b, tmp, (size_t)n);
	}
	close(fd);
	int st;
	while (waitpid(child, &st, 0) < 0 && errno == EINTR)
		;
	struct aura_error err;
	aura_error_clear(&err);
	int rc;
	if (b.len > 0 && b.data[0] == 'R') {
		rc = 0;
	} else if (b.len > 0 && b.data[0] == 'E') {
		char *sp = strchr(b.data, ' ');
		int code = atoi(b.data + 1);
		aura_error_set(&err, code > 0 && code < AURA_E__COUNT ? code : AURA_E_INTERNAL,
			       "%s", sp ? sp + 1 : "");
		rc = fail(&err);
	} else {
		aura_error_set(&err, AURA_E_INTERNAL,
			       "the server exited while starting; see the log file");
		rc = fail(&err);
	}
	buf_free(&b);
	return rc;
}

/* Our own command line, from /proc/self/cmdline: a NULL-terminated
 * array into *store (free both), or NULL. */
static const char **own_argv(char **store)
{
	FILE *f = fopen("/proc/self/cmdline", "re");
	if (!f)
		return NULL;
	struct buf b;
	buf_init(&b);
	char tmp[4096];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_append(&b, tmp, n);
	fclose(f);
	buf_append(&b, "", 1);
	size_t count = 0;
	for (size_t i = 0; i + 1 < b.len; i++)
		count += b.data[i] == '\0';
	const char **argv = xcalloc(count + 2, sizeof(*argv));
	size_t k = 0;
	for (size_t i = 0; i + 1 < b.len; i += strlen(b.data + i) + 1)
		argv[k++] = b.data + i;
	*store = b.data; /* buf_free would free it: keep the bytes */
	if (k == 0) {
		free(argv);
		free(b.data);
		return NULL;
	}
	return argv;
}

/*
 * Returns -1 in the server (go on), else the first process's exit status.
 * The first process runs its own command line again, detached
 * (proc_spawn_detached: a new session, a grandchild that is no session
 * leader, stdio on /dev/null) with the ready pipe as its fd 3, named in
 * READY_FD_ENV; that process is the server, and takes the role here.
 */
#define READY_FD_ENV "AURA_SERVE_READY_FD"

/* The parent's last words when the server could not be started: exit 5. */
static int daemon_failed(const char *what)
{
	struct aura_error err;
	aura_error_set(&err, AURA_E_SPAWN_FAILED, "serve --daemon: %s: %s", what, strerror(errno));
	aura_error_print(&err);
	return 5;
}

static int daemonize(struct serve *sv)
{
	const char *role = getenv(READY_FD_ENV);
	if (role) {
		sv->ready_fd = atoi(role);
		unsetenv(READY_FD_ENV); /* not for the server's children */
		if (sv->ready_fd < 3 || fcntl(sv->ready_fd, F_SETFD, FD_CLOEXEC) < 0)
			return 5;
		if (chdir("/") < 0)
			return 5;
		return -1;
	}
	char *store = NULL;
	const char **argv = own_argv(&store);
	if (!argv)
		return daemon_failed("reading /proc/self/cmdline");
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		free(argv);
		free(store);
		return daemon_failed("pipe");
	}
	static const char *const env[] = { READY_FD_ENV "=3", NULL };
	fflush(NULL);
	pid_t pid = proc_spawn_detached("/proc/self/exe", argv, pfd[1], env, PROC_DETACH_SESSION);
	int e = errno;
	free(argv);
	free(store);
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		errno = e;
		return daemon_failed("starting the server");
	}
	return ready_wait(pfd[0], pid);
}

/* --- the server ----------------------------------------------------------- */

/*
 * An empty store beside the work directories of earlier jobs is a lost or
 * truncated aura.db, not a first start: refuse, unless told to begin a new
 * store, whose ids then start after the directories' (never reused).
 */
static int check_not_lost(struct serve *sv, struct aura_error *err)
{
	const struct aura_paths *p = sv->paths;
	if (store_job_count(sv->st, -1) != 0)
		return 0;
	long long max_id;
	int n = paths_job_dirs_scan(p, &max_id);
	if (n == 0)
		return 0;
	if (!sv->accept_empty)
		return aura_error_set(err, AURA_E_STORE_EMPTY,
				      "%s holds no job, but %s holds %d job work director%s (up to "
				      "job %lld)",
				      p->db_file, p->jobs_dir, n, n == 1 ? "y" : "ies", max_id);
	int rc = store_reserve_ids(sv->st, max_id, err);
	if (rc == 0)
		log_warn("store: %s was empty beside %d work directories; a new store begins "
			 "(--accept-empty-store), new jobs start at id %lld",
			 p->db_file, n, max_id + 1);
	return rc;
}

static int startup(struct serve *sv, struct aura_error *err)
{
	const struct aura_config *cfg = sv->cfg;
	const struct aura_paths *p = sv->paths;
	int rc;

	if ((rc = take_lock(sv, err)) < 0 || (rc = write_pid(sv, err)) < 0)
		return rc;
	if (log_open(p->log_file, cfg->log_max_size, cfg->log_keep) < 0)
		return aura_error_set(err, AURA_E_DATA_DIR, "%s: %s", p->log_file, strerror(errno));
	sv->log_opened = true;
	log_set_level(cfg->log_level);
	log_set_stderr(!sv->daemon);

	if ((rc = store_open(p->db_file, &sv->st, err)) < 0)
		return rc;
	int64_t t0 = time_mono_ms();
	if ((rc = store_integrity_check(sv->st, err)) < 0)
		return rc;
	log_info("store: %s passed its integrity check in %lld ms", p->db_file,
		 (long long)(time_mono_ms() - t0));
	if ((rc = check_not_lost(sv, err)) < 0)
		return rc;

	sv->loop = loop_new();
	if ((rc = sig_init(sv->loop, on_signal, sv, err)) < 0)
		return rc;
	/* after daemonize's forks: what a job leaves behind comes to us */
	if (proc_become_subreaper() < 0)
		log_warn("cannot become a child subreaper (%s): what a job leaves behind "
			 "outside its process group is not stopped",
			 strerror(errno));
	if (!(sv->http = http_new(sv->loop)))
		log_warn("libcurl could not be initialised: online providers are off, offline ones "
			 "serve");
	/* One registry, owned here, handed to each layer that counts: the
	 * server shows it (doc/metrics.md). */
	sv->metrics = metrics_new();
	http_set_metrics(sv->http, sv->metrics);
	sv->srv = server_new(sv->loop, sv->st, cfg, p);
	server_set_metrics(sv->srv, sv->metrics);
	server_set_http(sv->srv, sv->http); /* providers' background health */
	sv->eng = engine_new(sv->loop, sv->st, cfg, p, &server_engine_events, sv->srv);
	engine_set_metrics(sv->eng, sv->metrics);
	sv->providers = provider_set_new(sv->loop, sv->http, cfg);
	engine_set_providers(sv->eng, provider_set_get, sv->providers);
	server_set_engine(sv->srv, sv->eng);
	video_kind_register(sv->eng, server_health(sv->srv)); /* `new`; health while videos wait */
	server_set_handlers(sv->srv, on_shutdown_request, on_drained, sv);
	if ((rc = engine_recover(sv->eng, err)) < 0)
		return rc;
	/* from now on one commit per loop turn (doc/store.md, group commit) */
	store_set_batching(sv->st, true);
	if ((rc = server_listen(sv->srv, err)) < 0)
		return rc;
	server_metrics_write(sv->srv); /* [metrics] textfile, if set */
	log_info("aura %s server started: pid %ld, data %s, socket %s%s", PACKAGE_VERSION,
		 (long)getpid(), p->data_dir, p->socket_path, sv->daemon ? " (daemon)" : "");
	return 0;
}

static void teardown(struct serve *sv)
{
	if (sv->srv && sv->stopping)
		server_metrics_write(sv->srv); /* the last figures: every run ended */
	engine_free(sv->eng); /* abandons what still runs and what runs left: SIGKILL */
	sv->eng = NULL;
	provider_set_free(sv->providers); /* after the runs: their steps are gone */
	sv->providers = NULL;
	if (sv->srv) {
		server_unlink_socket(sv->srv);
		server_free(sv->srv);
		sv->srv = NULL;
	}
	http_free(sv->http); /* after the engine: its calls are cancelled */
	sv->http = NULL;
	metrics_free(sv->metrics); /* after everything that counts in it */
	sv->metrics = NULL;
	sig_fini();
	loop_free(sv->loop);
	sv->loop = NULL;
	struct aura_error err = { 0 };
	if (sv->st) {
		/* The loop is over: the last commit may wait for a lock. */
		store_set_batching(sv->st, false);
		int64_t *ids = NULL;
		size_t n = store_pending_ids(sv->st, &ids);
		if (store_batch_commit(sv->st, &err) < 0) {
			log_error(
			    "server: the last state changes were not saved (%s: %s); the next "
			    "server recovers these jobs:",
			    aura_error_name(err.code), err.detail);
			for (size_t i = 0; i < n; i++)
				log_error("  job %lld", (long long)ids[i]);
		}
		free(ids);
	}
	store_close(sv->st);
	sv->st = NULL;
	if (sv->pid_written)
		unlink(sv->paths->pid_file);
	if (sv->lock_fd >= 0)
		close(sv->lock_fd);
	sv->lock_fd = -1;
}

int server_run(const struct server_opts *o)
{
	struct serve sv = { .cfg = o->cfg,
			    .paths = o->paths,
			    .daemon = o->daemon,
			    .accept_empty = o->accept_empty_store,
			    .ready_fd = -1,
			    .lock_fd = -1 };

	if (sv.daemon) {
		int rc = daemonize(&sv);
		if (rc >= 0)
			return rc;
	}

	struct aura_error err;
	aura_error_clear(&err);
	if (startup(&sv, &err) < 0) {
		if (sv.log_opened) /* before that the log is stderr: printed below */
			log_error("server: cannot start: %s: %s", aura_error_name(err.code),
				  err.detail);
		teardown(&sv);
		if (sv.daemon) {
			ready_send(&sv, &err);
			return aura_error_exit(err.code);
		}
		return fail(&err);
	}
	ready_send(&sv, NULL);

	int status = 0;
	if (loop_run(sv.loop) < 0) {
		log_error("server: the event loop failed: %s", strerror(errno));
		status = 5;
	}
	teardown(&sv);
	log_info("server stopped (pid %ld)", (long)getpid());
	return status;
}
