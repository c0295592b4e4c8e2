#!/bin/sh
# tests/load/soak.sh -- load scenario 6, months of uptime in minutes:
# SOAK_N tiny raw FFmpeg jobs through one server (max_jobs 2) with a
# subscriber connected throughout (a dashboard left open, following every
# job's log lines too), submitted over
# the socket in chunks so that at most SOAK_CHUNK + SOAK_LOW jobs wait at
# once. At each checkpoint the queue is drained and the server measured:
# RSS (VmRSS), open fds, store size (aura.db + aura.db-wal) and data
# directory size (du -sb). After the first checkpoint (the warm-up) the fd
# count must not move and RSS must stay within SOAK_RSS_SLACK_PCT % or
# SOAK_RSS_SLACK KiB of it, whichever is bigger; the store and data
# directory are held flat too, within SOAK_DISK_SLACK_PCT %, by the
# [retention] section the scenario writes (keep_jobs and keep_records:
# SOAK_KEEP_JOBS, SOAK_KEEP_RECORDS; 10 and 20 in the short form so that
# it prunes too). SOAK_RETENTION=0 runs without retention and asserts
# nothing of the disk (its growth per job is then the figure).
#
#   SOAK_N=20000 /path/to/src/tests/load/soak.sh   (from a build dir; the long form)
#   make check TESTS=tests/load/soak.sh             (short form: LOAD_SHORT=1, N=120)
#   SOAK_CHECKPOINTS="500 1000 2000" SOAK_N=2000 ...  (explicit checkpoints)
#   SOAK_STUB=1 SOAK_N=20000 ...   (a stand-in ffmpeg: the server's cost only)
. "$(dirname "$0")/lib-load.sh"
command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v sqlite3 >/dev/null 2>&1 || skip_all "sqlite3 is needed"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is needed"

if [ "${LOAD_SHORT:-0}" = 1 ]; then
	: "${SOAK_N:=120}" "${SOAK_KEEP_JOBS:=10}" "${SOAK_KEEP_RECORDS:=20}"
fi
N=${SOAK_N:-20000}
CHUNK=${SOAK_CHUNK:-200}
LOW=${SOAK_LOW:-50}
# RSS: the first checkpoint is taken once SQLite's page cache (bounded,
# doc/performance.md) and the allocator's arenas have grown to their
# working size; what may still move after it is the cache filling with a
# bigger store and malloc's free lists (a few hundred KiB). 4 MiB is eight
# times SQLite's cache (cache_size 512 KiB, src/store/store.c); 10 % only
# matters for a bigger server. A leak of 200 bytes a job is +4 MiB over
# 20 000 jobs; the script prints the growth per job as well.
SLACK_PCT=${SOAK_RSS_SLACK_PCT:-10}
SLACK_KB=${SOAK_RSS_SLACK:-4096}
DISK_PCT=${SOAK_DISK_SLACK_PCT:-25}
if [ -n "${SOAK_CHECKPOINTS:-}" ]; then
	CPS=$SOAK_CHECKPOINTS
elif [ "${LOAD_SHORT:-0}" = 1 ] || [ "$N" -lt 6000 ]; then
	CPS=$(awk -v n="$N" 'BEGIN { for (i = 1; i <= 6; i++) printf "%d ", int(n * i / 6) }')
else
	CPS=$(awk -v n="$N" 'BEGIN { split("1000 5000 10000 20000 50000 100000", c, " ")
		for (i = 1; i in c && c[i] < n; i++) printf "%d ", c[i]; printf "%d", n }')
fi

mkdir -p "$T_TMP/work" && cd "$T_TMP/work" || exit 1
INI="$XDG_CONFIG_HOME/aura/aura.ini"
printf '[server]\nmax_jobs = 2\nmax_attempts = 1\n' >"$INI"
# The server's own log (aura.log) grows a line or two a job until its
# rotation (log_max_size, log_keep) bounds it: the smallest rotation, so
# the bound is reached within the warm-up and the data directory is flat.
printf '[general]\nlog_max_size = 64K\nlog_keep = 1\n' >>"$INI"
if [ "${SOAK_RETENTION:-1}" = 1 ]; then
	# keep_days = 0 would prune at once; 1 day keeps everything by age, so
	# the job-count bounds are what this scenario holds the server to.
	printf '[retention]\nkeep_days = %s\nkeep_jobs = %s\nkeep_records = %s\n' \
		"${SOAK_KEEP_DAYS:-1}" "${SOAK_KEEP_JOBS:-200}" "${SOAK_KEEP_RECORDS:-500}" >>"$INI"
fi
if [ "${SOAK_STUB:-0}" = 1 ]; then
	# By hand only: the server's own cost per job, without FFmpeg's
	# start-up (tests/load/ffmpeg-stub.sh); the figures say which was used.
	printf '[ffmpeg]\nffmpeg = %s\n' "$AURA_SRCDIR/tests/load/ffmpeg-stub.sh" >>"$INI"
	diag "ffmpeg: the stand-in tests/load/ffmpeg-stub.sh (SOAK_STUB=1)"
fi
serve_bg
RC=$?
is "$RC" 0 "the server starts"
if [ "$RC" != 0 ]; then
	diag "$(cat "$T_TMP/serve.out")" # e.g. [retention] keys this build does not know
	done_testing
	exit 1
fi
P=$SERVE_PID
EV="$T_TMP/events"
python3 "$LC" sub "$SOCK" "$EV" logs &
SUB=$!
subscribed() { grep -q ' snapshot ' "$EV"; }
wait_for 10 subscribed

active() { sqlite3 "$AURA_DATA_DIR/aura.db" "select count(*) from jobs where state in ('queued','running','paused');" 2>/dev/null; }
active_le() { a=$(active) && [ -n "$a" ] && [ "$a" -le "$1" ]; }
# Ends the subscriber heard: job events in a terminal state (the records
# themselves may be pruned by retention, the events are not).
# A job is counted once: retention's pruning of a finished job tells its
# subscribers again (the job's pruned time), in the same terminal state.
ended() { grep -E '^[0-9]+ job [0-9]+ (succeeded|failed|cancelled)$' "$EV" | awk '{ print $3 }' | sort -u | wc -l; }
ended_is() { [ "$(ended)" = "$1" ]; }
store_bytes() { cat "$AURA_DATA_DIR/aura.db" "$AURA_DATA_DIR/aura.db-wal" 2>/dev/null | wc -c; }
dir_bytes() { du -sb "$AURA_DATA_DIR" | cut -f1; }

: >"$T_TMP/table"
sent=0 refused=0 lost=0 T0=$(now_ms) C0=$(cpu_ticks "$P")
for cp in $CPS; do
	while [ "$sent" -lt "$cp" ]; do
		b=$((cp - sent < CHUNK ? cp - sent : CHUNK))
		# The wait bounds (minutes) are for a broken server, not a
		# slow machine: a chunk of 200 took up to 150 s on 2 cores
		# shared with three builds.
		wait_for 600 active_le "$LOW" || { lost=1; break 2; }
		python3 "$LC" submit "$SOCK" "$b" 2 -nostdin -f lavfi -i "color=c=black:s=32x32:d=0.04" \
			-f null - >"$T_TMP/ids"
		refused=$((refused + $(grep -c ERR "$T_TMP/ids")))
		sent=$((sent + b))
	done
	# A checkpoint: every job sent has ended and the subscriber heard it,
	# and no client but the subscriber is connected.
	wait_for 600 ended_is "$sent" || { lost=1; break; }
	f=$(fd_rest "$P")
	printf '%d %d %d %d %d %d\n' "$sent" "$(rss_kb "$P")" "$f" "$(store_bytes)" "$(dir_bytes)" \
		$(($(now_ms) - T0)) >>"$T_TMP/table"
done
T1=$(now_ms) C1=$(cpu_ticks "$P")
is "$lost" 0 "every job ends and the subscriber hears it ($sent sent)"
is "$refused" 0 "no submit refused"
SUCC=$(grep -E '^[0-9]+ job [0-9]+ succeeded$' "$EV" | awk '{ print $3 }' | sort -u | wc -l)
is "$SUCC" "$N" "all $N jobs succeed"

printf '# %8s %9s %5s %12s %14s %8s\n' jobs rss_kb fds store_bytes datadir_bytes wall_s
awk '{ printf "# %8d %9d %5d %12d %14d %8.1f\n", $1, $2, $3, $4, $5, $6 / 1000 }' "$T_TMP/table"
# Warm-up: the first checkpoint; every later one is held to it.
set -- $(head -1 "$T_TMP/table")
R0=${2:-0} F0=${3:-0} S0=${4:-0} D0=${5:-0}
BOUND=$((R0 * SLACK_PCT / 100 > SLACK_KB ? R0 + R0 * SLACK_PCT / 100 : R0 + SLACK_KB))
bad_fd=$(awk -v f="$F0" 'NR > 1 && $3 != f { printf " %d:%d", $1, $3 }' "$T_TMP/table")
bad_rss=$(awk -v b="$BOUND" 'NR > 1 && $2 > b { printf " %d:%dk", $1, $2 }' "$T_TMP/table")
RMAX=$(awk 'NR > 1 && $2 > m { m = $2 } END { print m + 0 }' "$T_TMP/table")
is "$bad_fd" "" "fds flat after the warm-up: $F0 at every checkpoint"
rss_ok '[ -z "$bad_rss" ]' "RSS flat after the warm-up: at most ${RMAX} KiB, bound ${BOUND} KiB (${R0} + max(${SLACK_PCT} %, ${SLACK_KB} KiB))"
[ -z "$bad_rss" ] || diag "over the bound at:${bad_rss}"
diag "$(awk 'NR == 1 { j = $1; r = $2 } END { if (NR > 1 && $1 > j)
	printf "RSS from the warm-up to the last checkpoint: %+d KiB, %+.1f bytes a job", $2 - r, ($2 - r) * 1024 / ($1 - j) }' "$T_TMP/table")"
if [ "${SOAK_RETENTION:-1}" = 1 ]; then
	bad_disk=$(awk -v s="$S0" -v d="$D0" -v p="$DISK_PCT" 'NR > 1 && ($4 > s * (100 + p) / 100 || $5 > d * (100 + p) / 100) {
		printf " %d:%d/%d", $1, $4, $5 }' "$T_TMP/table")
	is "$bad_disk" "" "store and data dir flat after the warm-up (within $DISK_PCT % of $S0 / $D0 bytes)"
else
	diag "store/datadir growth not asserted: SOAK_RETENTION=0"
fi
table_head
table_row "soak-raw" "$sent" $((T1 - T0)) $((C1 - C0)) "$(hwm_kb "$P")" "$F0" "$(nfds "$P")"
serve_stop
is "$SERVE_RC" 0 "the server shuts down cleanly"
wait "$SUB"
done_testing
