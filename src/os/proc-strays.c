/*
 * proc-strays.c -- what finished runs left behind: the server as a child
 * subreaper, a finished leader's group and the orphans re-parented to us
 * stopped (SIGTERM, then SIGKILL), everything killed before the loop goes,
 * and the recovery kill of a stale child's group at start.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "os/loop.h"
#include "os/proc-int.h"
#include "os/proc.h"
#include "base/util.h"

/*
 * Strays: what finished runs left behind, being stopped. An entry is a
 * process group (a finished leader's pgid whose other members live on;
 * signalled while it has members, so its number cannot have been reused)
 * or one orphan re-parented to us (our child now, so its pid cannot be
 * reused before we reap it).
 */
struct stray {
	pid_t id;
	bool group;
	int64_t kill_at; /* SIGKILL due (time_mono_ms) */
};
static struct {
	struct loop *loop; /* a proc's, while strays are pending; else NULL */
	struct stray *v;
	size_t n, cap;
	uint64_t timer;
} strays;

/* Read a small /proc file into buf (NUL-terminated); bytes read or -1. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t n = 0;
	while (n < size - 1) {
		ssize_t r = read(fd, buf + n, size - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	return (ssize_t)n;
}

/* --- strays: what finished runs left behind ---------------------------------- */

int proc_become_subreaper(void)
{
	return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 ? -1 : 0;
}

static int stray_kill(const struct stray *s, int signo)
{
	return kill(s->group ? -s->id : s->id, signo);
}

static void strays_on_timer(struct loop *l, void *ctx);

/* One timer, for the earliest SIGKILL due; none when nothing is left. */
static void strays_arm(void)
{
	if (strays.timer)
		loop_timer_del(strays.loop, strays.timer);
	strays.timer = 0;
	if (strays.n == 0)
		strays.loop = NULL; /* none pending: a loop may be freed now */
	if (!strays.loop)
		return;
	int64_t due = strays.v[0].kill_at;
	for (size_t i = 1; i < strays.n; i++)
		if (strays.v[i].kill_at < due)
			due = strays.v[i].kill_at;
	int64_t left = due - time_mono_ms();
	strays.timer = loop_timer_add(strays.loop, left > 0 ? left : 0, strays_on_timer, NULL);
}

/* SIGTERM and SIGCONT (a stopped process must run to die) now, SIGKILL
 * after PROC_STRAY_TERM_MS. Nothing if it is gone or listed already. */
static void strays_add(pid_t id, bool group)
{
	for (size_t i = 0; i < strays.n; i++)
		if (strays.v[i].id == id && strays.v[i].group == group)
			return;
	struct stray s = { id, group, time_mono_ms() + PROC_STRAY_TERM_MS };
	if (stray_kill(&s, SIGTERM) < 0)
		return;
	stray_kill(&s, SIGCONT);
	XGROW(strays.v, strays.n + 1, strays.cap, 8);
	strays.v[strays.n++] = s;
}

/* Drop the strays that are gone (a group without members, a reaped orphan). */
static void strays_prune(void)
{
	size_t k = 0;
	for (size_t i = 0; i < strays.n; i++)
		if (stray_kill(&strays.v[i], 0) == 0 || errno != ESRCH)
			strays.v[k++] = strays.v[i];
	strays.n = k;
}

/* Is pid a proc's leader, or pgid the group of a proc that has not
 * finished (a run going on, or in its exit grace)? */
static bool proc_registered(pid_t pid, pid_t pgid)
{
	for (struct proc *p = procs; p; p = p->next)
		if (p->pid == pid || p->pid == pgid)
			return true;
	return false;
}

/* One candidate: pid (a decimal string) is stopped as a stray if its
 * parent is us and it is no live proc's business. */
static void strays_consider(const char *pidstr, pid_t self)
{
	char path[300], buf[1024];
	snprintf(path, sizeof(path), "/proc/%s/stat", pidstr);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return;
	const char *rp = strrchr(buf, ')');
	char state;
	int ppid, pgrp;
	if (!rp || sscanf(rp + 1, " %c %d %d", &state, &ppid, &pgrp) != 3)
		return;
	pid_t pid = (pid_t)atoi(pidstr);
	if (ppid != self || state == 'Z' || state == 'X' || proc_registered(pid, pgrp))
		return;
	bool in_listed_group = false;
	for (size_t i = 0; i < strays.n && !in_listed_group; i++)
		in_listed_group = strays.v[i].group && strays.v[i].id == pgrp;
	if (!in_listed_group)
		strays_add(pid, false);
}

/* Our children as the kernel lists them, per thread of ours
 * (/proc/self/task/TID/children, CONFIG_PROC_CHILDREN): a few small reads
 * instead of one per process on the machine. Returns -1 when the kernel
 * does not list them. */
static int strays_scan_children(pid_t self)
{
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return -1;
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		char path[300], buf[8192];
		snprintf(path, sizeof(path), "/proc/self/task/%s/children", e->d_name);
		ssize_t n = read_small(path, buf, sizeof(buf));
		if (n < 0 || (size_t)n >= sizeof(buf) - 1) {
			rc = -1; /* not listed, or more than fits: scan it all */
			break;
		}
		for (char *tok = strtok(buf, " \n"); tok; tok = strtok(NULL, " \n"))
			strays_consider(tok, self);
	}
	closedir(d);
	return rc;
}

/*
 * Orphans: as a child subreaper we inherit every process whose parent died
 * below us, so a live process whose parent is us and that is no proc's
 * leader was left behind by some run: the only children the server has
 * are procs (the few synchronous forks elsewhere wait for their child
 * before the loop can get here). Those in the group of a proc that has not
 * finished are that proc's business, stopped when it finishes. The rest
 * (a group's members after their parent died, and setsid escapees, which
 * left every group we know) are stopped as strays. Only our children are
 * read when the kernel lists them; else /proc/PID/stat of every process.
 * This runs when a run finishes and when an unknown child was reaped, not
 * per loop turn.
 */
static void strays_scan(void)
{
	pid_t self = getpid();
	if (strays_scan_children(self) == 0)
		return;
	DIR *d = opendir("/proc");
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
			strays_consider(e->d_name, self);
	closedir(d);
}

/* A proc finished: its group's other members and whatever was re-parented
 * to us are strays now. The leader was reaped; a group with members left
 * keeps its number, so kill(-pgid) reaches only them. */
void strays_collect(struct loop *l, pid_t pgid)
{
	strays.loop = l;
	if (kill(-pgid, 0) == 0)
		strays_add(pgid, true);
	strays_scan();
	strays_arm();
}

/* The deadline came: SIGKILL, and forget them (their children, re-parented
 * to us, are found when we reap them). */
static void strays_on_timer(struct loop *l, void *ctx)
{
	strays.timer = 0;
	int64_t now = time_mono_ms();
	size_t k = 0;
	for (size_t i = 0; i < strays.n; i++) {
		if (strays.v[i].kill_at <= now)
			stray_kill(&strays.v[i], SIGKILL);
		else
			strays.v[k++] = strays.v[i];
	}
	strays.n = k;
	strays_arm();
}

/* After reaping: drop strays that are gone; an unknown child reaped may
 * have left children of its own to us. */
void strays_after_reap(bool unknown)
{
	if (!strays.loop)
		strays.loop = procs ? procs->loop : NULL;
	if (!strays.loop)
		return; /* nothing of ours runs: no loop known to be alive */
	strays_prune();
	if (unknown)
		strays_scan();
	strays_arm();
}

void proc_kill_leftovers(void)
{
	strays_scan();
	for (size_t i = 0; i < strays.n; i++)
		stray_kill(&strays.v[i], SIGKILL);
	if (strays.timer)
		loop_timer_del(strays.loop, strays.timer);
	free(strays.v);
	memset(&strays, 0, sizeof(strays));
}

int proc_kill_stale(pid_t pid, const char *expect_comm)
{
	if (pid <= 1 || pid == getpid() || !expect_comm || !*expect_comm)
		return 0;
	char path[64], buf[4096];

	/* Zombies are dead already; their comm would still match. */
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return 0;
	const char *rp = strrchr(buf, ')');
	if (!rp || rp[1] != ' ' || rp[2] == 'Z' || rp[2] == 'X')
		return 0;

	/* comm is cut at 15 bytes. */
	bool match = false;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (read_small(path, buf, sizeof(buf)) > 0) {
		buf[strcspn(buf, "\n")] = '\0';
		match = strncmp(buf, expect_comm, 15) == 0 &&
			(strlen(expect_comm) >= 15 || strcmp(buf, expect_comm) == 0);
	}
	if (!match) {
		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
		if (read_small(path, buf, sizeof(buf)) > 0) {
			const char *base = strrchr(buf, '/');
			match = strcmp(base ? base + 1 : buf, expect_comm) == 0;
		}
	}
	if (!match || getpgid(pid) != pid)
		return 0;
	return kill(-pid, SIGKILL) == 0 ? 1 : 0;
}
