/*
 * doctor.h -- health checks (FFmpeg, ffprobe, filters, encoders, font, data
 * directory, disk, store, server, providers, pools and their Slurm
 * clusters) as data.
 *
 * Must never: print (the CLI verb and the TUI present the report), or run a
 * child through a shell.
 */
#ifndef AURA_DOCTOR_H
#define AURA_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "base/conf.h"
#include "base/paths.h"

/* SKIP: not run, another check's failure (blocked_by) stands in its way;
 * INFO: nothing to judge ("no server running"). Neither counts as a failure. */
enum doctor_status { DOCTOR_OK, DOCTOR_WARN, DOCTOR_FAIL, DOCTOR_SKIP, DOCTOR_INFO };

struct doctor_check {
	const char *name; /* "ffmpeg", "filter:flite", "disk", "pool:farm:probe"... */
	char *name_owned; /* name when it was built at run time ("pool:NAME..."), or NULL */
	enum doctor_status status;
	bool required;		/* a required check that FAILs fails doctor */
	char *value;		/* what was found (path, version...), or NULL */
	int code;		/* positive catalogue code when not OK, else 0 */
	char *detail;		/* the specifics of a WARN/FAIL, or NULL */
	const char *blocked_by; /* SKIP: the name of the check that failed, else NULL */
};

struct doctor_report {
	struct doctor_check *checks; /* owned, n entries, in a stable order */
	size_t n;
};

/*
 * config_err: the configuration could not be read (NULL or code 0: it was).
 * It becomes the first check, "config", which then fails; cfg holds the
 * defaults the other checks run with, and the checks that only show the
 * configuration (providers, pools) are skipped, blocked by it.
 *
 * Run every check (blocking: it runs ffmpeg a few times, each bounded by a
 * 10 s timeout; a Slurm pool's probe steps wait for the cluster up to
 * 60 s + 2 x 30 s, doctor/slurm.c). out is always filled, also on failure; free it with
 * doctor_report_free. Returns 0 if every required check passed, else
 * -code of the first required check that failed.
 */
int doctor_run(const struct aura_config *cfg, const struct aura_paths *paths,
	       const struct aura_error *config_err, struct doctor_report *out);
void doctor_report_free(struct doctor_report *r);

/* The first required check that failed, or NULL when doctor passes. */
const struct doctor_check *doctor_report_first_failure(const struct doctor_report *r);

/* "ok", "warn", "fail", "skipped", "info". */
const char *doctor_status_name(enum doctor_status s);

#endif
