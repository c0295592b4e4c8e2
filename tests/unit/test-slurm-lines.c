/*
 * test-slurm-lines.c -- srun's stderr lines as the Slurm executor reads
 * them (engine/slurm.c), each seen from Slurm 22.05 on the private test
 * cluster (tests/slurm/cluster.sh); FFmpeg's lines are never taken for
 * srun's; the srun command line of a pool; job names and the SERVERID.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/errors.h"
#include "engine/slurm.h"

static void check(const char *line, enum slurm_line want, int want_code, int64_t want_id)
{
	int64_t id = -1;
	enum slurm_line k = slurm_line_classify(line, &id);
	if (k != want)
		fail_msg("'%s': kind %d, want %d", line, (int)k, (int)want);
	if (slurm_line_code(k) != want_code)
		fail_msg("'%s': code %d, want %d", line, slurm_line_code(k), want_code);
	if (id != want_id)
		fail_msg("'%s': job id %lld, want %lld", line, (long long)id, (long long)want_id);
}

static void test_progress_of_allocation(void **state)
{
	(void)state;
	check("srun: job 6 queued and waiting for resources", SLURM_LINE_QUEUED, 0, 6);
	check("srun: job 6 has been allocated resources", SLURM_LINE_ALLOCATED, 0, 6);
	check("srun: jobid 3: nodes(1):`vm', cpu counts: 1(x1)", SLURM_LINE_JOBID, 0, 3);
	check("srun: Requested partition configuration not available now", SLURM_LINE_INFO, 0, -1);
	check("srun: Required node not available (down, drained or reserved)", SLURM_LINE_INFO, 0,
	      -1);
	check("srun: launching StepId=3.0 on host vm, 1 tasks: 0", SLURM_LINE_INFO, 0, -1);
	check("srun: Job step aborted: Waiting up to 32 seconds for job step to finish.",
	      SLURM_LINE_INFO, 0, -1);
}

static void test_failures(void **state)
{
	(void)state;
	check("srun: error: invalid partition specified: nope", SLURM_LINE_PARTITION,
	      AURA_E_SLURM_PARTITION_UNKNOWN, -1);
	check("srun: error: Unable to allocate resources: Invalid partition name specified",
	      SLURM_LINE_PARTITION, AURA_E_SLURM_PARTITION_UNKNOWN, -1);
	check("srun: error: Unable to allocate resources: Requested node configuration is not "
	      "available",
	      SLURM_LINE_REJECTED, AURA_E_SLURM_REJECTED, -1);
	check("srun: error: Unable to allocate resources: Invalid account or account/partition "
	      "combination specified",
	      SLURM_LINE_REJECTED, AURA_E_SLURM_REJECTED, -1);
	check("srun: error: Node failure on vm", SLURM_LINE_NODE_FAIL, AURA_E_SLURM_NODE_FAILURE,
	      -1);
	check("slurmstepd-vm: error: *** STEP 9.0 ON vm CANCELLED AT 2026-12-05T21:08:08 DUE TO "
	      "NODE FAILURE ***",
	      SLURM_LINE_NODE_FAIL, AURA_E_SLURM_NODE_FAILURE, -1);
	check("srun: error: *** JOB 9 ON vm CANCELLED AT 2026-12-05T21:08:08 DUE TO PREEMPTION ***",
	      SLURM_LINE_NODE_FAIL, AURA_E_SLURM_NODE_FAILURE, -1);
	check("slurmstepd-vm: error: *** STEP 4.0 ON vm CANCELLED AT 2026-12-05T21:08:08 DUE TO "
	      "TIME LIMIT ***",
	      SLURM_LINE_TIME_LIMIT, AURA_E_SLURM_TIME_LIMIT, -1);
	check("slurmstepd-vm: error: *** STEP 4.0 ON vm CANCELLED AT 2026-12-05T21:08:08 ***",
	      SLURM_LINE_CANCELLED, 0, -1);
}

static void test_ffmpeg_lines_are_not_sruns(void **state)
{
	(void)state;
	check("[out#0/mp4 @ 0x55] Error opening output x.mp4: No such file or directory",
	      SLURM_LINE_NONE, 0, -1);
	check("Input #0, lavfi, from 'testsrc':", SLURM_LINE_NONE, 0, -1);
	check("frame=  100 fps=25 TIMEOUT", SLURM_LINE_NONE, 0, -1);
	check("slurmstepd is not here", SLURM_LINE_NONE, 0, -1);
	check("", SLURM_LINE_NONE, 0, -1);
}

static void test_srun_argv(void **state)
{
	(void)state;
	char name[] = "farm", part[] = "debug", mem[] = "1G";
	char extra[] = "--qos 'a b' --exclusive", bad[] = "--comment 'open";
	struct pool_config p = { .name = name, .executor = POOL_SLURM, .cpus_per_task = 2 };
	p.partition = part;
	p.mem = mem;
	p.extra_args = extra;
	const char *args[] = { "ffmpeg", "-i", "in.mp4", "out.mp4", NULL };
	char **v = NULL;
	struct aura_error err = { 0 };
	assert_int_equal(
	    slurm_srun_argv(&p, "aura-x-1-1", "/d", "/usr/bin/ffmpeg", args + 1, &v, &err), 0);
	const char *want[] = { "srun",
			       "--job-name=aura-x-1-1",
			       "--ntasks=1",
			       "--cpus-per-task=2",
			       "--partition=debug",
			       "--mem=1G",
			       "--qos",
			       "a b",
			       "--exclusive",
			       "--verbose",
			       "--chdir=/d",
			       "--",
			       "/usr/bin/ffmpeg",
			       "-hide_banner",
			       "-nostats",
			       "-progress",
			       "pipe:1",
			       "-i",
			       "in.mp4",
			       "out.mp4",
			       NULL };
	size_t i = 0;
	for (; want[i]; i++) {
		assert_non_null(v[i]);
		assert_string_equal(v[i], want[i]);
	}
	assert_null(v[i]);
	for (i = 0; v[i]; i++)
		free(v[i]);
	free(v);

	p.extra_args = bad;
	assert_int_equal(slurm_srun_argv(&p, "n", "/d", "ffmpeg", args + 1, &v, &err),
			 -AURA_E_CONFIG_BAD_VALUE);
	assert_non_null(strstr(err.detail, "extra_args"));
}

static void test_stdout_outputs(void **state)
{
	(void)state;
	const char *a[] = { "-i", "-", "out.mp4", NULL };
	assert_false(slurm_args_use_stdout(a));
	const char *b[] = { "-i", "in.mp4", "-f", "mpegts", "pipe:1", NULL };
	assert_true(slurm_args_use_stdout(b));
	const char *c[] = { "-i", "in.mp4", "-f", "null", "-", NULL };
	assert_true(slurm_args_use_stdout(c));
}

static void test_names(void **state)
{
	(void)state;
	char *n = slurm_job_name("0a1b2c3d", 42, 3);
	assert_string_equal(n, "aura-0a1b2c3d-42-3");
	free(n);
	char *id = slurm_server_id("mine", "/tmp");
	assert_string_equal(id, "mine");
	free(id);
	char *a = slurm_server_id(NULL, "/tmp");
	char *b = slurm_server_id(NULL, "/tmp/");
	char *c = slurm_server_id(NULL, "/");
	assert_int_equal(strlen(a), 8);
	assert_string_equal(a, b); /* the real path counts */
	assert_string_not_equal(a, c);
	free(a);
	free(b);
	free(c);
	char srun[] = "/opt/slurm/bin/srun";
	struct pool_config p = { .srun = srun };
	char *s = slurm_program(&p, "scancel");
	assert_string_equal(s, "/opt/slurm/bin/scancel");
	free(s);
	p.srun = NULL;
	s = slurm_program(&p, "squeue");
	assert_string_equal(s, "squeue");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_progress_of_allocation),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_ffmpeg_lines_are_not_sruns),
		cmocka_unit_test(test_srun_argv),
		cmocka_unit_test(test_stdout_outputs),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests_name("slurm-lines", tests, NULL, NULL);
}
