#!/bin/sh
# tests/load/long.sh -- load scenario 3: one long render (LOAD_LONG
# seconds, 60 by default; 600 for the full form), sampled every second:
# flat server memory (no sample over LOAD_RSS_SLACK KiB above the one
# taken 5 s in) and steady progress events (one per 2 s of wall time at
# least, no gap over 3 s once running; for a video, see the TODO below).
#
#   LOAD_LONG=600 tests/load/long.sh
#   LOAD_KIND=video LOAD_LONG=120 tests/load/long.sh
. "$(dirname "$0")/lib-load.sh"
command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is needed"
command -v sqlite3 >/dev/null 2>&1 || skip_all "sqlite3 is needed"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is needed"

L=${LOAD_LONG:-60}
SLACK=${LOAD_RSS_SLACK:-512}
mkdir -p "$T_TMP/work" && cd "$T_TMP/work" || exit 1
printf '[server]\nmax_jobs = 1\nmax_attempts = 1\n' >"$XDG_CONFIG_HOME/aura/aura.ini"
serve_bg
is $? 0 "the server starts"
P=$SERVE_PID
python3 "$LC" sub "$SOCK" "$T_TMP/events" &
SUB=$!
FD0=$(fd_rest "$P") C0=$(cpu_ticks "$P") T0=$(now_ms)
J=$(submit_one long "$L" 1)
running() { [ "$(state_of "$J")" = running ]; }
wait_for 60 running
: >"$T_TMP/rss"
i=0
while [ "$(state_of "$J")" = running ] && [ $i -lt $((L * 20 + 120)) ]; do
	rss_kb "$P" >>"$T_TMP/rss"
	i=$((i + 1))
	sleep 1
done
is "$(state_of "$J")" succeeded "the $L s $LOAD_KIND render succeeds"
T1=$(now_ms) C1=$(cpu_ticks "$P")
R5=$(sed -n 5p "$T_TMP/rss") RL=$(tail -1 "$T_TMP/rss") RMAX=$(sort -n "$T_TMP/rss" | tail -1)
rss_ok '[ -n "$R5" ] && [ "$RMAX" -le $((R5 + SLACK)) ]' "flat memory: max ${RMAX} KiB vs ${R5:-?} KiB at 5 s (slack $SLACK)"
# Steady: at least one progress event per 2 s of wall time, and no gap
# over 3 s between the job starting to run and its last progress event
# (the gap is named with the stage whose event ended it).
N=$(grep -c " progress $J " "$T_TMP/events")
WALL_S=$(((T1 - T0) / 1000))
gap() {
	awk -v j="$J" -v only="$1" '$3 != j { next }
		only == "" && $2 == "job" && $4 == "running" && !p { p = $1; next }
		$2 == "progress" && (only == "" || $4 == only) {
			if (p) { g = $1 - p; if (g > m) { m = g; at = $4 } }
			p = $1 }
		END { print m + 0, (at == "" ? "-" : at) }' "$T_TMP/events"
}
[ "$N" -ge $((WALL_S / 2)) ] && ok "steady progress: $N events in ${WALL_S} s" ||
	not_ok "steady progress: $N events in ${WALL_S} s"
set -- $(gap "")
GAP=$1 AT=$2
if [ "$LOAD_KIND" = video ]; then
	# The render is where a long video spends its time: its progress must
	# be steady. Known gap before it: the voice stage synthesises every
	# scene while FFmpeg opens its flite inputs, with no progress meanwhile.
	set -- $(gap render)
	[ "$1" -le 3000 ] && ok "no gap between render progress events over 3 s (longest $1 ms)" ||
		not_ok "no gap between render progress events over 3 s (longest $1 ms)"
	[ "$GAP" -le 3000 ] && ok "no gap over 3 s from running to the end (longest ${GAP} ms, before $AT)" ||
		{ T_N=$((T_N + 1)) # a TAP TODO: reported, not counted as a failure
		echo "not ok $T_N - no gap over 3 s from running to the end (longest ${GAP} ms, before $AT) # TODO voice stage: no progress while flite synthesises"; }
else
	[ "$GAP" -le 3000 ] && ok "no gap over 3 s from running to the end (longest ${GAP} ms)" ||
		not_ok "no gap over 3 s from running to the end (longest ${GAP} ms)"
fi
wait_for 3 fd_is "$P" "$((FD0 + 1))"
FD1=$(nfds "$P")
table_head
table_row "long-$LOAD_KIND" 1 $((T1 - T0)) $((C1 - C0)) "$(hwm_kb "$P")" "$FD0" "$FD1"
serve_stop
is "$SERVE_RC" 0 "the server shuts down cleanly"
wait "$SUB"
done_testing
