/*
 * progress.h -- FFmpeg `-progress` output: an incremental parser of its
 * key=value blocks, a tracker that turns blocks into a monotonic percent,
 * a smoothed ETA and a stall verdict, and the multi-stage scaling helper.
 * See doc/progress.md for how each number is computed.
 *
 * Pure: no I/O, no clock reads (callers pass a monotonic now_ms), no
 * allocation. Must never: block, grow memory with its input, or report
 * 100 % before the caller says the process succeeded.
 */
#ifndef AURA_PROGRESS_H
#define AURA_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A line longer than this (terminator excluded) is discarded whole, up to
 * its next newline; FFmpeg's longest lines are well under 100 bytes. */
#define PROGRESS_LINE_MAX 4096

/* The highest fraction reported before the caller confirms success: low
 * enough that no rounding ("%.0f%%") shows 100 % for unfinished work. */
#define PROGRESS_FRACTION_CAP 0.99

/*
 * One block: the fields FFmpeg printed between two `progress=` lines.
 * Every field FFmpeg left out or printed as N/A is unknown: -1 for the
 * counters and rates, out_time_known false for out_time_us (which may be
 * legitimately negative at the start of an encode, so it has a flag).
 */
struct progress {
	int64_t frame;	     /* frames written */
	double fps;	     /* current encoding frame rate */
	double bitrate_kbps; /* output bitrate so far, kbit/s */
	int64_t total_size;  /* output bytes so far */
	int64_t out_time_us; /* output timestamp reached, microseconds */
	bool out_time_known;
	int64_t dup_frames, drop_frames;
	double speed; /* FFmpeg's own average: out_time / wall time */
	bool end;     /* the block ended with progress=end */
};

/* Set every field to unknown (and end to false). */
void progress_clear(struct progress *p);

/* The parser: one per child process. All state is inline (no allocation);
 * nothing to free. Fields are private. */
struct progress_parser {
	struct progress cur; /* the block being assembled */
	int out_time_rank;   /* which key set cur.out_time_us (see .c) */
	bool discarding;     /* inside an over-long line: skip to newline */
	size_t len;	     /* bytes in line */
	char line[PROGRESS_LINE_MAX];
};

void progress_parser_init(struct progress_parser *p);

/*
 * Feed n bytes exactly as read from the pipe: a line may be split across
 * calls at any byte. Lines end with \n, \r\n or a lone \r. on_block is
 * called once per complete block (at each `progress=` line) with a block
 * valid only during the call. Lines without '=', unknown keys and values
 * that do not parse are ignored (the field stays unknown). Returns the
 * number of blocks delivered by this call.
 */
int progress_parser_feed(struct progress_parser *p, const char *data, size_t n,
			 void (*on_block)(const struct progress *blk, void *ctx), void *ctx);

/*
 * The tracker: one per child process (or per attempt). All times are a
 * monotonic clock in milliseconds chosen by the caller (time_mono_ms() in
 * the server, synthetic in tests). Fields are readable; change them only
 * through the functions below.
 */
struct progress_tracker {
	int64_t duration_us;  /* expected output duration, <= 0 unknown */
	struct progress last; /* latest known value of each field (carried
				 over blocks that left it unknown) */
	double fraction;      /* 0..PROGRESS_FRACTION_CAP, monotonic; 1 only
				 after progress_tracker_finish(t, true) */
	bool end;	      /* FFmpeg printed progress=end */
	bool finished;	      /* the caller said the process ended */
	bool succeeded;	      /* ...and that it succeeded */
	/* stall detection */
	int64_t max_out_time_us; /* highest out_time seen (never below 0) */
	int64_t max_size;	 /* highest output size seen, -1 none */
	int64_t last_advance_ms; /* when either last grew (or start/rebase) */
	/* ETA: exponential moving average of media time per wall time */
	int64_t base_ms, base_out_us; /* last rate sample point, base_ms < 0: none */
	double rate;		      /* media us per wall us (a "speed") */
	int rate_samples;
	int64_t first_rate_ms; /* when rate sampling began, -1 not yet */
	double eta_s;	       /* as of eta_at_ms; < 0 unknown */
	int64_t eta_at_ms;
};

/* Start tracking at now_ms. duration_us <= 0: unknown (no percent, no ETA). */
void progress_tracker_init(struct progress_tracker *t, int64_t duration_us, int64_t now_ms);

/* Account one parsed block received at now_ms. */
void progress_tracker_update(struct progress_tracker *t, const struct progress *blk,
			     int64_t now_ms);

/* The output file's size measured by the caller (e.g. stat()), for the
 * stall detector when FFmpeg reports total_size=N/A. */
void progress_tracker_note_size(struct progress_tracker *t, int64_t size, int64_t now_ms);

/* Restart the stall clock and the rate baseline, e.g. after SIGCONT: a
 * paused job is neither stalled nor slow. Percent is kept. */
void progress_tracker_rebase(struct progress_tracker *t, int64_t now_ms);

/* The process ended; succeeded moves the fraction to 1 (100 %), a failure
 * leaves it where it was. Separate from `end`, which FFmpeg prints even
 * when the output is then rejected (verify) or the exit status is bad. */
void progress_tracker_finish(struct progress_tracker *t, bool succeeded);

/* 0..1 (see fraction), or -1 when the duration is unknown and the process
 * has not succeeded. */
double progress_tracker_fraction(const struct progress_tracker *t);
/* The same in percent: 0..99 while running, 100 after success, -1 unknown. */
double progress_tracker_percent(const struct progress_tracker *t);

/* Seconds left, counting down between blocks; -1 when unknown: duration
 * unknown, too early (under 2 rate samples spanning >= 1 s), no forward
 * progress yet, or the process has finished (0 after success). */
double progress_tracker_eta_s(const struct progress_tracker *t, int64_t now_ms);

/* True when neither out_time nor the output size advanced for stall_ms
 * (>= stall_ms since the last advance). stall_ms <= 0 disables: false.
 * Always false once finished. */
bool progress_tracker_stalled(const struct progress_tracker *t, int64_t now_ms, int64_t stall_ms);

/*
 * Multi-stage jobs: the overall fraction when a stage spanning
 * [stage_start, stage_start + stage_weight] of the job is stage_fraction
 * done. stage_fraction is clamped to 0..1 (unknown, -1, counts as 0);
 * the result is clamped to 0..1. NaN inputs count as 0.
 */
double progress_scale(double stage_fraction, double stage_start, double stage_weight);

#endif
