/*
 * ffclass.h -- why an FFmpeg run failed: the failure classifier (exit
 * status + the tail of stderr -> a catalogue code), the one-line summary
 * shown to users, and the bounded ring that keeps the last 16 KiB of a
 * child's stderr. Rules are listed in doc/progress.md.
 *
 * Pure: no I/O, no clock. Must never: let a job's output grow its memory
 * beyond FFCLASS_TAIL_MAX, or call a run successful that exited non-zero.
 */
#ifndef AURA_FFCLASS_H
#define AURA_FFCLASS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exactly this many of the last bytes of stderr are kept (DESIGN §7). */
#define FFCLASS_TAIL_MAX 16384

/* Summaries longer than this (bytes) are cut, with "..." appended. */
#define FFCLASS_SUMMARY_MAX 300

/* A ring buffer: inline, no allocation, nothing to free. */
struct ffclass_tail {
	size_t start;	/* index of the oldest kept byte */
	size_t len;	/* bytes kept, <= FFCLASS_TAIL_MAX */
	uint64_t total; /* bytes ever appended */
	char buf[FFCLASS_TAIL_MAX];
};

void ffclass_tail_init(struct ffclass_tail *t);
/* Keep the last FFCLASS_TAIL_MAX bytes of everything appended so far. */
void ffclass_tail_append(struct ffclass_tail *t, const char *data, size_t n);
/* The kept bytes as a NUL-terminated string that is valid UTF-8 (so it
 * can go into SQLite text and JSON as is): NUL bytes and bytes that are
 * not part of a valid UTF-8 sequence (such as a character cut at the
 * ring's start) become '?', one for one, so strlen() == the kept length.
 * The caller frees it. */
char *ffclass_tail_text(const struct ffclass_tail *t);

/*
 * Classify an FFmpeg run that has ended. wait_status is waitpid()'s
 * status; stderr_tail/n the end of its stderr (need not be NUL-terminated;
 * may be NULL when n is 0); stopped_by_us says that we asked it to stop
 * (cancel, pause timeout, stall, shutdown), so a signal death is expected
 * and is not FFMPEG_KILLED.
 *
 * Returns 0 for success (exit 0) -- except that a run which printed
 * "No space left on device" is DISK_FULL even with exit 0 (FFmpeg exits 0
 * after a failed write to some muxers, leaving a truncated file) -- else a
 * positive code: AURA_E_FFMPEG_KILLED, AURA_E_DISK_FULL,
 * AURA_E_FFMPEG_PERMISSION, AURA_E_FFMPEG_INPUT_NOT_FOUND,
 * AURA_E_FFMPEG_UNKNOWN_ENCODER, AURA_E_FFMPEG_INVALID_DATA,
 * AURA_E_FFMPEG_BAD_ARGS, or AURA_E_FFMPEG_FAILED when nothing matched.
 */
int ffclass_classify(int wait_status, const char *stderr_tail, size_t n, bool stopped_by_us);

/* The text rules alone: the code the stderr tail points to, 0 if none. */
int ffclass_classify_text(const char *stderr_tail, size_t n);

/*
 * The most relevant error line of a NUL-terminated stderr tail, for the
 * job's error_message: the line that names the cause, with FFmpeg's
 * "[ctx @ 0xADDR]" address removed, trimmed, control characters blanked,
 * valid UTF-8, at most FFCLASS_SUMMARY_MAX bytes plus "...". NULL when the
 * tail holds no line worth showing. The caller frees it.
 */
char *ffclass_summary(const char *tail);

#endif
