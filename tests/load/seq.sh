#!/bin/sh
# tests/load/seq.sh -- load scenario 1: N jobs one after the other; after
# each, the server's descriptor count is back to its baseline and its RSS
# within LOAD_RSS_SLACK KiB of it (the baseline is taken after a first,
# warm-up job: SQLite's page cache and the allocator's arenas grow once).
#
#   LOAD_N=100 tests/load/seq.sh        (from a build dir; default N=10)
#   LOAD_KIND=video LOAD_N=5 tests/load/seq.sh
. "$(dirname "$0")/lib-load.sh"
command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is needed"
command -v sqlite3 >/dev/null 2>&1 || skip_all "sqlite3 is needed"

N=${LOAD_N:-10}
SLACK=${LOAD_RSS_SLACK:-1024}
mkdir -p "$T_TMP/work" && cd "$T_TMP/work" || exit 1
printf '[server]\nmax_jobs = 2\nmax_attempts = 1\n' >"$XDG_CONFIG_HOME/aura/aura.ini"
serve_bg
is $? 0 "the server starts"
P=$SERVE_PID
j=$(submit_one warm 1) && "$AURA_BIN" wait "$j" >/dev/null
FD0=$(fd_rest "$P") RSS0=$(rss_kb "$P") C0=$(cpu_ticks "$P") T0=$(now_ms)
bad_fd="" bad_rss="" failed=0 worst=0
for i in $(seq "$N"); do
	j=$(submit_one "s$i" 1)
	"$AURA_BIN" wait "$j" >/dev/null || failed=$((failed + 1))
	wait_for 3 fd_is "$P" "$FD0"
	f=$(nfds "$P") r=$(rss_kb "$P")
	[ "$f" = "$FD0" ] || bad_fd="$bad_fd $i:$f"
	[ "$r" -le $((RSS0 + SLACK)) ] || bad_rss="$bad_rss $i:${r}k"
	[ $((r - RSS0)) -gt "$worst" ] && worst=$((r - RSS0))
done
T1=$(now_ms) C1=$(cpu_ticks "$P") FD1=$(nfds "$P") PEAK=$(hwm_kb "$P")
is "$failed" 0 "$N $LOAD_KIND jobs in sequence all succeed"
is "$bad_fd" "" "the server's fd count is back to $FD0 after every job"
rss_ok '[ -z "$bad_rss" ]' "the server's RSS stays within $SLACK KiB of ${RSS0} KiB after every job (worst +${worst} KiB)"
[ -z "$bad_rss" ] || diag "over the bound after job:${bad_rss}"
table_head
table_row "seq-$LOAD_KIND" "$N" $((T1 - T0)) $((C1 - C0)) "$PEAK" "$FD0" "$FD1"
serve_stop
is "$SERVE_RC" 0 "the server shuts down cleanly"
done_testing
