/*
 * slurm.h -- what the Slurm executor knows of Slurm as text, apart from any
 * process: the lines srun (and slurmstepd, through srun) prints on its
 * stderr, what each one means for a run (queued, allocated, a failure and
 * its catalogue code), the srun command line for a pool, the job names
 * (aura-SERVERID-JOB-ATTEMPT) and the SERVERID itself. The processes are
 * run-slurm.c's; doc/cluster.md describes the whole.
 *
 * Must never: spawn, block, or take an FFmpeg line for srun's.
 */
#ifndef AURA_SLURM_H
#define AURA_SLURM_H

#include <stdbool.h>
#include <stdint.h>

#include "base/conf.h"
#include "base/errors.h"

enum slurm_line {
	SLURM_LINE_NONE = 0,   /* not srun's own: FFmpeg's */
	SLURM_LINE_INFO,       /* srun's, nothing to act on */
	SLURM_LINE_QUEUED,     /* "srun: job N queued and waiting for resources" */
	SLURM_LINE_ALLOCATED,  /* "srun: job N has been allocated resources" */
	SLURM_LINE_JOBID,      /* "srun: jobid N: nodes(1)..." (--verbose) */
	SLURM_LINE_PARTITION,  /* the partition does not exist */
	SLURM_LINE_REJECTED,   /* "Unable to allocate resources: ..." (limits, account) */
	SLURM_LINE_NODE_FAIL,  /* node failure, NODE_FAIL, preemption */
	SLURM_LINE_TIME_LIMIT, /* "DUE TO TIME LIMIT" */
	SLURM_LINE_CANCELLED,  /* "*** STEP N.0 ON HOST CANCELLED AT ... ***", other reasons */
};

/* What line (one stderr line of srun, no newline) is; *jobid gets the
 * Slurm job id when the line names one (QUEUED, ALLOCATED, JOBID), else is
 * left alone. */
enum slurm_line slurm_line_classify(const char *line, int64_t *jobid);
/* The catalogue code of a failure kind (AURA_E_SLURM_...), 0 for the rest. */
int slurm_line_code(enum slurm_line k);

/* This server's SERVERID: cfg_id when set, else 8 hex digits of FNV-1a
 * over the host name and the real path of data_dir. Caller frees. */
char *slurm_server_id(const char *cfg_id, const char *data_dir);
/* "aura-SERVERID-JOB-ATTEMPT"; caller frees. */
char *slurm_job_name(const char *server_id, int64_t job_id, int attempt);
/* A Slurm program beside the pool's srun ("squeue", "scancel"): DIR/prog
 * when srun is a path, else prog (PATH). Caller frees. */
char *slurm_program(const struct pool_config *p, const char *prog);

/*
 * The srun command line, NULL-terminated, malloc'ed (free each string and
 * the array): srun --job-name=NAME --ntasks=1 --cpus-per-task=N
 * [--partition= --account= --mem= --time=] EXTRA... --verbose --chdir=DIR
 * -- FFMPEG -hide_banner -nostats -progress pipe:1 ARGS (args without
 * argv[0]). -AURA_E_CONFIG_BAD_VALUE when extra_args does not split.
 */
int slurm_srun_argv(const struct pool_config *p, const char *name, const char *dir,
		    const char *ffmpeg, const char *const *args, char ***out,
		    struct aura_error *err);

/* Does an FFmpeg argument list (without argv[0]) write an output to
 * stdout ("-", "pipe:", "pipe:1", "/dev/stdout" not after -i)? */
bool slurm_args_use_stdout(const char *const *args);

#endif
