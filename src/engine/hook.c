/*
 * hook.c -- the on-done hook (doc/cli.md, "--on-done"): when a job ends
 * (succeeded, failed, cancelled), its own --on-done command, else aura.ini's
 * [server] on_done, runs as a loop child (src/os/proc.c: split by
 * src/base/shsplit.c, never a shell, its own process group) with
 * AURA_JOB_ID, AURA_JOB_STATE, AURA_JOB_NAME, AURA_JOB_OUTPUT, and
 * AURA_JOB_ERROR_CODE for a job that did not succeed. Its output goes to
 * the job's log; it may take [server] on_done_timeout seconds, then it is stopped.
 *
 * Must never: wait for a hook on the loop, let a hook change the job's
 * state, or leave a hook running after engine_free (it is killed).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "base/log.h"
#include "base/shsplit.h"
#include "engine/engine-int.h"
#include "os/loop.h"
#include "os/proc.h"
#include "store/store.h"

struct hook {
	struct hook *next;
	struct engine *e;
	struct proc *p;
	uint64_t timer;
	struct job job;	 /* id and name, for its log lines */
	struct buf line; /* output not yet ended by a newline */
	size_t logged;	 /* bytes of output written to the log */
};

static void hook_free(struct hook *h)
{
	for (struct hook **pp = &h->e->hooks; *pp; pp = &(*pp)->next)
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	loop_timer_del(h->e->loop, h->timer);
	buf_free(&h->line);
	job_clear(&h->job);
	free(h);
}

static void hook_log(struct hook *h, const char *s, size_t n)
{
	if (h->logged >= HOOK_LOG_MAX)
		return;
	h->logged += n;
	job_log_append(h->e, &h->job, "on_done: %.*s", (int)n, s);
}

/* Output, a line at a time, into the job's log (at most HOOK_LOG_MAX). */
static void hook_output(void *ctx, const char *data, size_t n)
{
	struct hook *h = ctx;
	buf_append(&h->line, data, n);
	char *start = h->line.data;
	char *nl;
	while ((nl = memchr(start, '\n', h->line.len - (size_t)(start - h->line.data)))) {
		hook_log(h, start, (size_t)(nl - start));
		start = nl + 1;
	}
	size_t rest = h->line.len - (size_t)(start - h->line.data);
	memmove(h->line.data, start, rest);
	h->line.len = rest;
	if (rest > 4096) { /* a very long line: write what there is */
		hook_log(h, h->line.data, rest);
		h->line.len = 0;
	}
}

static void hook_exit(void *ctx, int status)
{
	struct hook *h = ctx;
	h->p = NULL;
	if (h->line.len)
		hook_log(h, h->line.data, h->line.len);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		log_info("job %lld: on_done hook ended", (long long)h->job.id);
	} else {
		char how[64];
		if (WIFEXITED(status))
			snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(status));
		else
			snprintf(how, sizeof(how), "was killed by signal %d",
				 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		log_warn("job %lld: on_done hook %s", (long long)h->job.id, how);
		job_log_append(h->e, &h->job, "on_done: the hook %s", how);
	}
	hook_free(h);
}

static const struct proc_ops hook_ops = {
	.on_stdout = hook_output,
	.on_stderr = hook_output,
	.on_exit = hook_exit,
};

static void hook_deadline(struct loop *l, void *ctx)
{
	struct hook *h = ctx;
	(void)l;
	h->timer = 0;
	log_warn("job %lld: on_done hook still runs after %d s: stopped", (long long)h->job.id,
		 h->e->cfg->on_done_timeout);
	job_log_append(h->e, &h->job, "on_done: still running after %d s: stopped",
		       h->e->cfg->on_done_timeout);
	proc_stop(h->p, 0, 2000);
}

void hook_job_ended(struct engine *e, const struct job *j)
{
	if (!job_state_terminal(j->state))
		return;
	deps_settle(e, j->id);
	retain_kick(e); /* keep_jobs, keep_records, and the next deadline */
	char *cmd = NULL;
	struct aura_error err = { 0 };
	if (store_hook_get(e->st, j->id, &cmd, &err) < 0)
		log_warn("job %lld: cannot read its on_done hook: %s", (long long)j->id,
			 err.detail);
	if (!cmd && e->cfg->on_done && *e->cfg->on_done)
		cmd = xstrdup(e->cfg->on_done);
	if (!cmd)
		return;
	char **argv = NULL;
	int argc = 0;
	if (shsplit(cmd, &argv, &argc, &err) < 0 || argc == 0) {
		log_warn("job %lld: on_done '%s' is not a command: %s", (long long)j->id, cmd,
			 argc == 0 && !err.code ? "empty" : err.detail);
		job_log_append(e, j, "on_done: '%s' is not a command", cmd);
		shsplit_free(argv);
		free(cmd);
		return;
	}
	char *env[7];
	size_t k = 0;
	env[k++] = xasprintf("AURA_JOB_ID=%lld", (long long)j->id);
	env[k++] = xasprintf("AURA_JOB_STATE=%s", job_state_name(j->state));
	env[k++] = xasprintf("AURA_JOB_NAME=%s", j->name ? j->name : "");
	env[k++] = xasprintf("AURA_JOB_OUTPUT=%s", j->output ? j->output : "");
	if (j->state != JOB_SUCCEEDED)
		env[k++] = xasprintf("AURA_JOB_ERROR_CODE=%s", j->error_code ? j->error_code : "");
	env[k] = NULL;

	struct hook *h = xcalloc(1, sizeof(*h));
	h->e = e;
	buf_init(&h->line);
	job_init(&h->job);
	h->job.id = j->id;
	h->job.name = xstrdup(j->name);
	struct proc_spec spec = { .argv = (const char *const *)argv,
				  .envp_add = (const char *const *)env };
	h->p = proc_spawn(e->loop, &spec, &hook_ops, h, &err);
	h->next = e->hooks;
	e->hooks = h;
	if (!h->p) {
		log_warn("job %lld: on_done hook: %s", (long long)j->id, err.detail);
		job_log_append(e, j, "on_done: %s", err.detail);
		hook_free(h);
	} else {
		log_info("job %lld: on_done hook started: %s", (long long)j->id, cmd);
		h->timer = loop_timer_add(e->loop, (int64_t)e->cfg->on_done_timeout * 1000,
					  hook_deadline, h);
	}
	for (size_t i = 0; i < k; i++)
		free(env[i]);
	shsplit_free(argv);
	free(cmd);
}

void hooks_abandon(struct engine *e)
{
	while (e->hooks) {
		proc_abandon(e->hooks->p);
		hook_free(e->hooks);
	}
}
