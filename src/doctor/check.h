/*
 * check.h -- what the files of doctor/ share: building a report's checks,
 * running a program with a deadline, the FFmpeg filters and encoders the
 * pipeline needs and how a `-filters`/`-encoders` listing is read
 * (doctor.c), the server's view (server-view.c) and the pool checks
 * (slurm.c).
 *
 * Must never: be included outside src/doctor/ (doctor.h is the interface).
 */
#ifndef AURA_DOCTOR_CHECK_H
#define AURA_DOCTOR_CHECK_H

#include <stdbool.h>

#include "base/conf.h"
#include "base/paths.h"
#include "base/util.h"
#include "doctor/doctor.h"

#define DOCTOR_NFILTERS	 3
#define DOCTOR_NENCODERS 2
extern const char *const doctor_filters[DOCTOR_NFILTERS];   /* flite, drawtext, subtitles */
extern const char *const doctor_encoders[DOCTOR_NENCODERS]; /* libx264, aac */

/* A new OK check at the end of r (name static, or owned by the caller). */
struct doctor_check *doctor_check_add(struct doctor_report *r, const char *name, bool required);
/* Mark c SKIP: not run because the check named blocked_by (static) failed. */
void doctor_check_skip(struct doctor_check *c, const char *blocked_by);
/* Mark c WARN or FAIL with a catalogue code; takes ownership of detail. */
void doctor_check_fail(struct doctor_check *c, enum doctor_status s, int code, char *detail);

/* Does a `ffmpeg -filters` / `-encoders` listing name `name`? */
bool doctor_listing_has(const char *list, const char *name);

/*
 * Run argv (no shell), stdin on /dev/null, stdout into out and stderr into
 * err_out (NULL: discarded), up to 1 MiB each, within deadline_ms (then
 * the child's process group is stopped). Returns the exit status (0..255,
 * 127 when it could not be executed), -2 on timeout or death by a signal.
 */
int doctor_run_capture(char *const argv[], int deadline_ms, struct buf *out, struct buf *err_out);

/* The first line of `path -version` up to " Copyright" (allocated), or
 * NULL with *why (allocated) saying what went wrong. Bounded by 10 s. */
char *doctor_version_of(const char *path, char **why);

/*
 * "server": whether one runs (INFO "no server running" when not); when one
 * does, its view (server-view.c): "server:ffmpeg", the FFmpeg it uses, and
 * "server:config", whether the configuration file changed since it read
 * it. ffmpeg: the one these checks found (NULL: none usable).
 */
void doctor_check_server(struct doctor_report *r, const struct aura_paths *paths,
			 const char *ffmpeg);

/*
 * One check per pool (config_pool_at order): a local pool's executor and
 * max_jobs; for a Slurm pool also its programs, its partition and a probe
 * step on a node (slurm.c). ffmpeg: the FFmpeg the probe runs on the
 * nodes (NULL: not usable here, the probe says so).
 */
void doctor_check_pools(struct doctor_report *r, const struct aura_config *cfg,
			const struct aura_paths *paths, const char *ffmpeg);

#endif
