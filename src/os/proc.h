/*
 * proc.h -- child processes on the loop: spawn from an argv (never a
 * shell) with pipes, each child in its own process group with
 * PR_SET_PDEATHSIG, output always drained, stdin fed without blocking,
 * reaping, pause/resume, the stop escalation q -> SIGTERM -> SIGKILL, and
 * the stop of whatever a finished child left behind (its process group's
 * other members, and orphans re-parented to us as a child subreaper).
 *
 * Knows nothing of FFmpeg or jobs: "q\n" is just what proc_stop writes to
 * a stdin pipe first.
 *
 * Must never: block the loop (except the bounded wait for the exec result
 * in proc_spawn), leave a zombie once SIGCHLD has been handled, leave a
 * timer or fd behind after a child ended, or call on_exit twice.
 *
 * Requirements on the owner:
 *   - SIGCHLD must reach proc_reap_all(): with sig.c, call proc_reap_all()
 *     from the sig_init callback on SIGCHLD. proc owns reaping for the
 *     whole process: waitpid(-1) also reaps children it did not spawn
 *     (their status is discarded).
 *   - A server calls proc_become_subreaper() once, after its signals are
 *     set up (after any daemonizing fork), so that what a child leaves
 *     behind, even in a session of its own, is ours to find and stop.
 *   - Before loop_free(): proc_kill_leftovers() (engine_free does).
 *   - SIGPIPE must be ignored (sig_init does it) before writing to stdin.
 *   - Spawn from the loop's (main) thread: PR_SET_PDEATHSIG fires when
 *     the spawning *thread* ends.
 *   - A proc lives on its loop: let every proc finish (or abandon it)
 *     before loop_free().
 */
#ifndef AURA_PROC_H
#define AURA_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/errors.h"
#include "base/util.h"

struct loop;
struct proc;

enum proc_stdin_mode {
	PROC_STDIN_NULL = 0, /* /dev/null */
	PROC_STDIN_PIPE = 1, /* a pipe: proc_write_stdin, and 'q' on stop */
	PROC_STDIN_FILE = 2, /* the file stdin_path, read-only (no 'q' on stop) */
};

struct proc_spec {
	const char *const *argv;     /* NULL-terminated; argv[0] is looked up in PATH */
	const char *cwd;	     /* NULL: ours */
	int stdin_mode;		     /* enum proc_stdin_mode */
	const char *stdin_path;	     /* PROC_STDIN_FILE: relative to cwd (if set) */
	bool extra_fd;		     /* also a pipe on the child's fd 3 (-progress pipe:3) */
	const char *const *envp_add; /* NULL or NULL-terminated "NAME=VALUE"s, added to
					our environment (replacing the same NAMEs) */
	int stderr_hold_ms;	     /* > 0: after stderr was read, leave it unwatched
					this long so a burst of small writes is read in
					one go; read early whenever fd 3 has data (its
					EOF and the exit are never delayed) */
};

/*
 * Callbacks, all optional (NULL discards). ctx is the pointer given to
 * proc_spawn. Data callbacks get what one read() returned: arbitrary
 * chunks, not lines, not NUL-terminated.
 */
struct proc_ops {
	void (*on_stdout)(void *ctx, const char *data, size_t n);
	void (*on_stderr)(void *ctx, const char *data, size_t n);
	void (*on_fd3)(void *ctx, const char *data, size_t n);
	/*
	 * Called exactly once, only after BOTH the exit status was reaped AND
	 * every output pipe (stdout, stderr, fd 3) reached EOF, in whichever
	 * order they came -- or, when something the child left behind (a
	 * background grandchild) holds a pipe open, a short grace (500 ms)
	 * after the exit: then the pipes are closed on our side. status is
	 * the waitpid() status (WIFEXITED...). By then every timer of the
	 * proc is cancelled and every fd closed, and whatever the child left
	 * behind (the other members of its group, processes re-parented to
	 * us) is being stopped: SIGTERM now, SIGKILL 2 s later, then reaped.
	 *
	 * Ownership: the proc module frees the struct proc right after on_exit
	 * returns. Inside on_exit the pointer may still be passed to proc_pid()
	 * and the other calls (they do nothing); after on_exit returns it is
	 * dangling, so the owner forgets it there. The owner never frees it.
	 */
	void (*on_exit)(void *ctx, int status);
};

/*
 * Start argv in a new process group (pgid = pid). ops must outlive the
 * proc (a static table); argv, cwd and envp_add are only read during the
 * call. Returns the proc, owned by this module until on_exit (see above),
 * or NULL with err set to SPAWN_FAILED: "fork: ...", "PROG: No such file
 * or directory" (exec failure is reported here, synchronously: the call
 * waits until the child has exec'd or failed), "chdir DIR: ...", "PROG:
 * stdin FILE: ..." (PROC_STDIN_FILE that cannot be opened).
 */
struct proc *proc_spawn(struct loop *l, const struct proc_spec *spec, const struct proc_ops *ops,
			void *ctx, struct aura_error *err);

/*
 * Give up on a running proc without waiting for it (e.g. tearing down in
 * an emergency): SIGKILL its group, close its pipes, cancel its timers and
 * free it now; on_exit is never called. Its exit status is later reaped
 * and discarded by proc_reap_all. Does nothing inside on_exit; may be
 * called from the proc's own data callbacks. NULL is fine.
 */
void proc_abandon(struct proc *p);

pid_t proc_pid(const struct proc *p);
/* The child's user + system CPU time in ms (wait4's rusage: the child and
 * the children it waited for), once proc_reap_all reaped it: meant for
 * on_exit. 0 before, or when it was reaped otherwise (proc_run). */
int64_t proc_cpu_ms(const struct proc *p);

/*
 * Queue data for the child's stdin; what the pipe does not take now is
 * buffered and written when the pipe is writable. Returns 0, or -1 with
 * errno EPIPE when stdin is not a pipe, was closed, or the child closed
 * its end (the buffered rest is then dropped).
 */
int proc_write_stdin(struct proc *p, const void *data, size_t n);
/* Close stdin once the buffered data is written (EOF for the child). */
void proc_close_stdin(struct proc *p);

/*
 * Stop the child with an escalation, each step aimed at its whole process
 * group (kill(-pgid)):
 *   1. stdin is an open pipe: write "q\n", wait quit_grace_ms;
 *   2. SIGTERM then SIGCONT (a stopped group must run to die), wait
 *      term_grace_ms;
 *   3. SIGKILL.
 * Without a stdin pipe, or once the leader has exited, it starts at step
 * 2. A paused group is continued first so that it can read the "q". Once
 * the leader exited, the proc finishes at EOF or after the exit grace, and
 * the rest of its group is stopped as a leftover (see on_exit).
 * Idempotent: a later call never restarts the sequence, but smaller graces
 * shorten it (measured from the start of the current step; a grace already
 * exceeded escalates at once): proc_stop(p, 0, 0) means "kill now".
 * Graces < 0 count as 0. Does nothing once on_exit has been called.
 */
void proc_stop(struct proc *p, int quit_grace_ms, int term_grace_ms);
bool proc_is_stopping(const struct proc *p);

/* The step of the stop sequence a child had reached when it exited. */
enum proc_stop_step {
	PROC_STOP_NONE = 0, /* no stop had begun: it exited by itself */
	PROC_STOP_QUIT,	    /* after the "q" on its stdin */
	PROC_STOP_TERM,	    /* after SIGTERM */
	PROC_STOP_KILL,	    /* after SIGKILL */
};
/*
 * Which step ended the child (for its log: "stopped by SIGTERM after
 * 2.0 s"), and in *after_ms (may be NULL) how long after proc_stop began
 * the sequence its exit was reaped. PROC_STOP_NONE, 0 until the exit was
 * reaped. Meant for on_exit, where p is still valid.
 */
enum proc_stop_step proc_stop_step(const struct proc *p, int64_t *after_ms);
const char *proc_stop_step_name(enum proc_stop_step s); /* "q", "SIGTERM", "SIGKILL" */

/* SIGSTOP / SIGCONT to the group. 0, or -1 with errno: ESRCH (already
 * exited), EBUSY (pause during a stop). Repeating one is harmless. */
int proc_pause(struct proc *p);
int proc_resume(struct proc *p);
bool proc_is_paused(const struct proc *p);

/*
 * Reap every child that has exited: waitpid(-1, WNOHANG) until nothing is
 * left, handing each status to its proc (which may then call on_exit from
 * here). Statuses of unknown pids (orphans re-parented to us, leftovers
 * being stopped, abandoned procs) are discarded, and an unknown one makes
 * us look for orphans it left in turn. Call on every SIGCHLD.
 */
void proc_reap_all(void);

/*
 * Make this process a child subreaper (PR_SET_CHILD_SUBREAPER): an orphan
 * below it (a grandchild whose parent exited, even one that called setsid)
 * is re-parented to it rather than to init, so proc_reap_all reaps it and
 * a finished child's leftovers are found and stopped. Not inherited by
 * children. 0, or -1 with errno (a kernel before 3.4: leftovers that left
 * their group then escape).
 */
int proc_become_subreaper(void);

/*
 * SIGKILL now whatever finished children left behind and is still being
 * stopped, and every orphan re-parented to us; forget the loop. Call
 * before loop_free() (the server, when every proc has finished or been
 * abandoned).
 */
void proc_kill_leftovers(void);

/*
 * Recovery at start: if pid is alive, leads its own process group (as
 * every child of ours does) and is the program expect_comm (its
 * /proc/PID/comm, or the basename of its argv[0]), SIGKILL its group.
 * Returns 1 if it sent the kill, 0 if not (gone, a zombie, another
 * program, not a group leader, not ours to kill). pid <= 1 or our own
 * pid is never killed.
 */
int proc_kill_stale(pid_t pid, const char *expect_comm);

/*
 * A bounded synchronous run, for doctor and setup (never the server's
 * loop): argv (no shell, looked up in PATH) with stdin on /dev/null, on a
 * private loop of its own. Up to out_cap / err_cap bytes of stdout and
 * stderr are kept (the rest is read and dropped); at deadline_ms the stop
 * sequence is applied (SIGTERM to the group, SIGKILL term_grace_ms later).
 * It never waits longer than deadline_ms + term_grace_ms + about 1.5 s,
 * whatever the child does. Reaps only its own child (waitpid(pid)), so it
 * is safe in a process with children of its own, and whatever the child
 * left in its group is killed when it ends. Needs no SIGCHLD handling.
 */
struct proc_run_spec {
	const char *const *argv;
	int deadline_ms;   /* <= 0: 10 s */
	int term_grace_ms; /* <= 0: 1 s */
	size_t out_cap, err_cap;
};
struct proc_run_result {
	struct buf out, err;		/* the caller buf_frees both, also after an error */
	int status;			/* the waitpid() status */
	bool timed_out;			/* the deadline came and the child was stopped */
	enum proc_stop_step stopped_by; /* timed_out: the step that ended it */
};
/* 0 when the child ran (see res), else -AURA_E_SPAWN_FAILED with err set
 * as proc_spawn sets it (exec failure included). */
int proc_run(const struct proc_run_spec *spec, struct proc_run_result *res, struct aura_error *err);

/* Wait up to timeout_ms for process pid (not necessarily our child) to
 * be gone (exited and reaped), on a private loop: its pidfd wakes it at
 * the exit, then the reaping by its parent is looked for each 20 ms turn
 * (as on a kernel without pidfd_open). Never the server's loop. true: it
 * is gone. */
bool proc_wait_gone(pid_t pid, int64_t timeout_ms);
/* The same wait for done(pid, ctx) to hold (proc_wait_gone: kill -0
 * fails; proc_end_child: waitpid reaps it). */
bool proc_wait_until(pid_t pid, int64_t timeout_ms, bool (*done)(pid_t, void *), void *ctx);

/*
 * Start a process that outlives us: exe (when it is "/proc/self/exe", by
 * the real path it names while that still exists, so ps shows "aura")
 * with argv (argv[0] is only its name), stdin and stdout on /dev/null,
 * stderr inherited (or /dev/null with PROC_DETACH_SESSION), every signal
 * disposition and the mask reset, every fd above 2 closed but pass_fd
 * (when >= 0), which becomes its fd 3; envp_add as in proc_spec.
 * Without flags it gets a process group of its own and the returned pid
 * is its own (a child the caller reaps with waitpid). With
 * PROC_DETACH_SESSION it runs in a new session, as a grandchild that is
 * no session leader (so it can never acquire a controlling terminal), in
 * our working directory: the returned pid is the middle process, which exits 0 at once
 * (127 if the fork failed) and which the caller reaps. The exec's
 * failure is printed on stderr and exits 127. -1 with errno if fork
 * failed. Not for the server's children: they are proc_spawn's.
 */
#define PROC_DETACH_SESSION 1
pid_t proc_spawn_detached(const char *exe, const char *const *argv, int pass_fd,
			  const char *const *envp_add, int flags);

/*
 * A child whose stdin and stdout are io_fd and whose stderr is err_fd
 * (both stay open in the caller), run from argv (argv[0] looked up in
 * PATH, never a shell) in OUR process group, so that it may prompt on
 * the terminal (ssh's password and host key questions), with
 * PR_SET_PDEATHSIG (SIGTERM when we die). An exec failure is written to
 * err_fd ("aura: cannot run PROG: ...") and the child exits 127. Returns
 * its pid (the caller ends it with proc_end_child) or -1 with errno.
 */
pid_t proc_spawn_stdio(const char *const *argv, int io_fd, int err_fd);

/*
 * End a child of proc_spawn_stdio: wait up to grace_ms for it to exit by
 * itself (its stdin closed), then SIGTERM, 1 s later SIGKILL; reap it.
 * Never waits more than grace_ms + 6 s. A child already reaped by
 * proc_reap_all counts as ended. Returns its waitpid status (0 unknown).
 */
int proc_end_child(pid_t pid, int grace_ms);

#endif
