/*
 * follow.h -- following jobs until they end: the one follower of `aura wait`
 * and `aura new --wait`. It subscribes to the jobs, learns each one's state
 * (the subscription's snapshot, a `get` for an id it lacks), applies events
 * and answers in the order they arrived (so an older event never overwrites
 * a newer state), and waits for events until every job has ended, the
 * server stops, or Ctrl-C (watch_begin) -- what to draw and what Ctrl-C
 * does are the verb's hooks.
 *
 * Must never: change a job by itself (a hook may), or exit().
 */
#ifndef AURA_CLI_FOLLOW_H
#define AURA_CLI_FOLLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "client/client.h"

struct cli_followed {
	int64_t id;
	json_t *job;	 /* latest JOB, NULL until known; owned */
	double progress; /* from the job and progress events */
	double eta_s;
	int64_t out_time_us, duration_us;
	char stage[32];
	bool removed;
	bool reported; /* free for the verb (wait: its final line was printed) */
};

struct cli_follower {
	struct client *cl;
	struct cli_followed *w;
	size_t n;
	/* progress only grows while a job runs (a bar that never goes back) */
	bool monotonic;
	/* a removed job counts as ended (else it is waited for still) */
	bool removed_ends;
	bool shutdown; /* the server announced its shutdown */
	bool snapshot; /* the subscription's snapshot came */
};

/* A follower of no job yet (cli_follow_add adds them). */
void cli_follow_init(struct cli_follower *fw, struct client *cl);
/* Add a job id (a repeated id is followed once). */
void cli_follow_add(struct cli_follower *fw, int64_t id);
void cli_follow_free(struct cli_follower *fw);

struct cli_followed *cli_follow_find(struct cli_follower *fw, int64_t id);
/* A job's last known enum job_state, -1 unknown. */
int cli_follow_state(const struct cli_followed *w);
/* It ended (a terminal state, or removed when removed_ends). */
bool cli_follow_done(const struct cli_follower *fw, const struct cli_followed *w);
/* Take JOB as the job's latest state (a job of another id is ignored). */
void cli_follow_set_job(struct cli_follower *fw, json_t *job);

/* Subscribe (with "progress": progress, unless progress < 0) and learn
 * every job's state. 0, or a negative catalogue code in err. */
int cli_follow_start(struct cli_follower *fw, int progress, struct aura_error *err);

/* Hooks of cli_follow_run; each may be NULL. */
struct cli_follow_hooks {
	/* at the top of every turn, before the end is checked (print lines) */
	void (*turn)(struct cli_follower *fw, void *ctx);
	/* before each wait (draw progress) */
	void (*draw)(struct cli_follower *fw, void *ctx);
	/* Ctrl-C came: CLI_FOLLOW_INTERRUPTED ends the run, CLI_FOLLOW_AGAIN
	 * checks the end again, 0 goes on waiting, negative fails */
	int (*interrupted)(struct cli_follower *fw, void *ctx, struct aura_error *err);
};
#define CLI_FOLLOW_ENDED       0
#define CLI_FOLLOW_INTERRUPTED 1
#define CLI_FOLLOW_AGAIN       2
#define CLI_FOLLOW_SHUTDOWN    3

/*
 * Wait for events (each wait up to timeout_ms, -1: no limit) until every
 * job ended (CLI_FOLLOW_ENDED), the interrupted hook ends it
 * (CLI_FOLLOW_INTERRUPTED), or the server stops (CLI_FOLLOW_SHUTDOWN:
 * the verb words the error); negative: an error in err.
 */
int cli_follow_run(struct cli_follower *fw, int timeout_ms, const struct cli_follow_hooks *h,
		   void *ctx, struct aura_error *err);

#endif
