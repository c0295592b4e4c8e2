#!/bin/sh
# tests/load/long.sh -- load scenario 3: one long render (LOAD_LONG
# seconds, 60 by default; 600 for the full form), sampled every second:
# flat server memory (the last sample within LOAD_RSS_SLACK KiB of the one
# taken 5 s in) and steady progress events (no gap over 3 s once running).
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
[ -n "$R5" ] && [ "$RMAX" -le $((R5 + SLACK)) ] && ok "flat memory: max ${RMAX} KiB vs ${R5} KiB at 5 s (slack $SLACK)" ||
	not_ok "flat memory: max ${RMAX} KiB vs ${R5:-?} KiB at 5 s (slack $SLACK)"
N=$(grep -c " progress $J " "$T_TMP/events")
GAP=$(awk -v j="$J" '$2 == "progress" && $3 == j { if (p) { g = $1 - p; if (g > m) m = g } p = $1 } END { print m + 0 }' "$T_TMP/events")
[ "$N" -ge $((L / 2)) ] && ok "steady progress: $N events for $L s" || not_ok "steady progress: $N events for $L s"
[ "$GAP" -le 3000 ] && ok "no gap between progress events over 3 s (longest ${GAP} ms)" ||
	not_ok "no gap between progress events over 3 s (longest ${GAP} ms)"
wait_for 3 fd_is "$P" "$((FD0 + 1))"
FD1=$(nfds "$P")
table_head
table_row "long-$LOAD_KIND" 1 $((T1 - T0)) $((C1 - C0)) "$(hwm_kb "$P")" "$FD0" "$FD1"
serve_stop
is "$SERVE_RC" 0 "the server shuts down cleanly"
wait "$SUB"
done_testing
