/*
 * slurm.c -- Slurm as text (slurm.h): srun's stderr lines classified, the
 * srun command line of a pool, job names and the SERVERID. The lines were
 * taken from Slurm 22.05 (tests/slurm/cluster.sh's private cluster) and are
 * pinned in tests/unit/test-slurm-lines.c.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/shsplit.h"
#include "base/util.h"
#include "engine/slurm.h"

static bool has(const char *s, const char *what)
{
	return strstr(s, what) != NULL;
}

/* The number after prefix at the start of s (or -1). */
static int64_t number_after(const char *s, const char *prefix)
{
	if (!str_starts_with(s, prefix))
		return -1;
	s += strlen(prefix);
	if (*s < '0' || *s > '9')
		return -1;
	return strtoll(s, NULL, 10);
}

enum slurm_line slurm_line_classify(const char *line, int64_t *jobid)
{
	/* srun's own lines start "srun: "; slurmstepd's reach us through
	 * srun as "slurmstepd: ..." or "slurmstepd-HOST: ..." */
	if (!str_starts_with(line, "srun: ") && !str_starts_with(line, "slurmstepd"))
		return SLURM_LINE_NONE;
	if (str_starts_with(line, "slurmstepd") && !strchr(line, ':'))
		return SLURM_LINE_NONE;
	int64_t id;
	if ((id = number_after(line, "srun: job ")) >= 0) {
		if (has(line, "queued and waiting for resources")) {
			*jobid = id;
			return SLURM_LINE_QUEUED;
		}
		if (has(line, "has been allocated resources")) {
			*jobid = id;
			return SLURM_LINE_ALLOCATED;
		}
	}
	if ((id = number_after(line, "srun: jobid ")) >= 0) {
		*jobid = id;
		return SLURM_LINE_JOBID;
	}
	if (has(line, "Invalid partition name") || has(line, "invalid partition specified"))
		return SLURM_LINE_PARTITION;
	if (has(line, "Node failure") || has(line, "NODE_FAIL") ||
	    has(line, "DUE TO NODE FAILURE") || has(line, "PREEMPT"))
		return SLURM_LINE_NODE_FAIL;
	if (has(line, "DUE TO TIME LIMIT") || has(line, "TIMEOUT") ||
	    has(line, "time limit exceeded"))
		return SLURM_LINE_TIME_LIMIT;
	if (has(line, "Unable to allocate resources") || has(line, "Invalid account") ||
	    has(line, "Invalid qos") || has(line, "Job violates accounting") ||
	    has(line, "unrecognized option") || has(line, "invalid option") ||
	    has(line, "Unable to create step"))
		return SLURM_LINE_REJECTED;
	if (has(line, " CANCELLED AT "))
		return SLURM_LINE_CANCELLED;
	return SLURM_LINE_INFO;
}

int slurm_line_code(enum slurm_line k)
{
	switch (k) {
	case SLURM_LINE_PARTITION:
		return AURA_E_SLURM_PARTITION_UNKNOWN;
	case SLURM_LINE_REJECTED:
		return AURA_E_SLURM_REJECTED;
	case SLURM_LINE_NODE_FAIL:
		return AURA_E_SLURM_NODE_FAILURE;
	case SLURM_LINE_TIME_LIMIT:
		return AURA_E_SLURM_TIME_LIMIT;
	default:
		return 0;
	}
}

static uint32_t fnv1a32(uint32_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

char *slurm_server_id(const char *cfg_id, const char *data_dir)
{
	if (cfg_id && *cfg_id)
		return xstrdup(cfg_id);
	char host[256] = "";
	if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	char real[PATH_MAX];
	const char *dir = data_dir ? data_dir : "";
	if (data_dir && realpath(data_dir, real))
		dir = real;
	uint32_t h = 2166136261u;
	h = fnv1a32(h, host, strlen(host) + 1);
	h = fnv1a32(h, dir, strlen(dir));
	return xasprintf("%08x", h);
}

char *slurm_job_name(const char *server_id, int64_t job_id, int attempt)
{
	return xasprintf("aura-%s-%lld-%d", server_id, (long long)job_id, attempt);
}

char *slurm_program(const struct pool_config *p, const char *prog)
{
	const char *srun = p && p->srun ? p->srun : NULL;
	const char *slash = srun ? strrchr(srun, '/') : NULL;
	if (!slash)
		return xstrdup(prog);
	return xasprintf("%.*s/%s", (int)(slash - srun), srun, prog);
}

int slurm_srun_argv(const struct pool_config *p, const char *name, const char *dir,
		    const char *ffmpeg, const char *const *args, char ***out,
		    struct aura_error *err)
{
	char **extra = NULL;
	int nextra = 0;
	if (p->extra_args && *p->extra_args) {
		struct aura_error serr = { 0 };
		if (shsplit(p->extra_args, &extra, &nextra, &serr) < 0)
			return aura_error_set(err, AURA_E_CONFIG_BAD_VALUE,
					      "[pool %s] extra_args: %s", p->name, serr.detail);
	}
	size_t nargs = 0;
	while (args && args[nargs])
		nargs++;
	char **v = xcalloc(16 + (size_t)nextra + nargs + 1, sizeof(char *));
	size_t k = 0;
	v[k++] = xstrdup(p->srun ? p->srun : "srun");
	v[k++] = xasprintf("--job-name=%s", name);
	v[k++] = xstrdup("--ntasks=1");
	v[k++] = xasprintf("--cpus-per-task=%d", p->cpus_per_task > 0 ? p->cpus_per_task : 1);
	if (p->partition)
		v[k++] = xasprintf("--partition=%s", p->partition);
	if (p->account)
		v[k++] = xasprintf("--account=%s", p->account);
	if (p->mem)
		v[k++] = xasprintf("--mem=%s", p->mem);
	if (p->time_limit)
		v[k++] = xasprintf("--time=%s", p->time_limit);
	for (int i = 0; i < nextra; i++)
		v[k++] = xstrdup(extra[i]);
	shsplit_free(extra);
	v[k++] = xstrdup("--verbose"); /* "srun: jobid N: ..." once allocated */
	v[k++] = xasprintf("--chdir=%s", dir);
	v[k++] = xstrdup("--");
	v[k++] = xstrdup(ffmpeg);
	v[k++] = xstrdup("-hide_banner");
	v[k++] = xstrdup("-nostats");
	v[k++] = xstrdup("-progress");
	v[k++] = xstrdup("pipe:1");
	for (size_t i = 0; i < nargs; i++)
		v[k++] = xstrdup(args[i]);
	v[k] = NULL;
	*out = v;
	return 0;
}

bool slurm_args_use_stdout(const char *const *args)
{
	for (size_t i = 0; args && args[i]; i++) {
		const char *a = args[i];
		if (strcmp(a, "-i") == 0 && args[i + 1]) {
			i++; /* an input may come from stdin */
			continue;
		}
		if (strcmp(a, "-") == 0 || strcmp(a, "pipe:") == 0 || strcmp(a, "pipe:1") == 0 ||
		    strcmp(a, "/dev/stdout") == 0 || strcmp(a, "file:/dev/stdout") == 0)
			return true;
	}
	return false;
}
