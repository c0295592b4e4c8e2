#!/bin/sh
# tests/load/stress.sh -- load scenario 4: a stress ramp. Each step restarts
# the server on the same store with a higher [server] max_jobs, queues more
# short raw jobs at once (over several connections; one in ten is meant to
# fail: its input does not exist) and watches them with more subscribers.
# Per step: every submit is answered with an id or a refusal that names a
# catalogue code; every id ends (good ones succeeded, bad ones failed with
# a catalogue code), every subscriber hears every job end, and the server
# answers pings while saturated. After the last (heaviest) step, on the
# same server: its fds are back to the baseline, its RSS near it, and a
# fresh job runs and finishes promptly (the server recovers when load
# drops). Prints the load table and a ramp table (throughput, busy cores,
# slowest ping) that shows where the machine saturates.
#
#   tests/load/stress.sh                          (default ramp, below)
#   STRESS_STEPS="2:12:3 6:40:10" tests/load/stress.sh   (the make check form)
# A step is MAX_JOBS:JOBS:SUBSCRIBERS.
# Must never: hide a refusal by retrying it, or wait without a bound.
. "$(dirname "$0")/lib-load.sh"
command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v sqlite3 >/dev/null 2>&1 || skip_all "sqlite3 is needed"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is needed"

STEPS=${STRESS_STEPS:-"1:25:2 2:50:5 4:100:10 8:200:25 16:400:50"}
SLACK=${LOAD_RSS_SLACK:-8192}
mkdir -p "$T_TMP/work" && cd "$T_TMP/work" || exit 1
# The catalogue, from the binary itself: a refusal or failure must name one.
CODES=" $("$AURA_BIN" explain --all | sed -n 's/^\([A-Z][A-Z_]*\): .*/\1/p' | tr '\n' ' ') "
in_catalogue() { case $CODES in *" $1 "*) return 0 ;; esac; return 1; }
in_catalogue INTERNAL || { echo "Bail out! cannot read the catalogue from aura explain --all"; exit 1; }

sql() { sqlite3 -cmd '.timeout 5000' "$AURA_DATA_DIR/aura.db" "$1"; }
unfinished() { sql "select count(*) from jobs where state in ('queued', 'running', 'paused');"; }
settled() { [ "$(unfinished)" = 0 ]; }

: >"$T_TMP/ramp"
table_head >"$T_TMP/table"
nstep=0
for step in $STEPS; do
	nstep=$((nstep + 1))
	K=${step%%:*} rest=${step#*:}
	J=${rest%%:*} S=${rest#*:}
	NBAD=$((J / 10)) NGOOD=$((J - J / 10))
	C=$((K * 2 > 8 ? 8 : K * 2))
	printf '[server]\nmax_jobs = %d\nmax_attempts = 1\nstall_timeout = 300\n' "$K" \
		>"$XDG_CONFIG_HOME/aura/aura.ini"
	serve_bg
	is $? 0 "step $nstep: the server starts with max_jobs = $K"
	P=$SERVE_PID
	w=$(submit_one "warm$nstep" 1) && "$AURA_BIN" wait "$w" >/dev/null
	FD0=$(fd_rest "$P") RSS0=$(rss_kb "$P")
	rm -f "$T_TMP/subs" "$T_TMP/subs.ready"
	python3 "$LC" subs "$SOCK" "$S" "$J" $((J * 3 + 120)) "$T_TMP/subs" &
	SUBS=$!
	wait_for 30 test -e "$T_TMP/subs.ready" || diag "the subscribers are not ready"
	C0=$(cpu_ticks "$P") T0=$(now_ms)
	CH0=$(awk '{sub(/^.*\) /, ""); print $14 + $15}' "/proc/$P/stat")
	# The good and the bad jobs are submitted at the same time, over C
	# connections between them.
	python3 "$LC" submit "$SOCK" "$NGOOD" $((C - C / 2)) -nostdin -f lavfi \
		-i "testsrc=d=1:s=160x120:r=25" -c:v mpeg4 -y "g$nstep-{i}.mkv" >"$T_TMP/good" &
	GP=$!
	python3 "$LC" submit "$SOCK" "$NBAD" $((C / 2 > 0 ? C / 2 : 1)) -nostdin \
		-i "missing-$nstep-{i}.mkv" -c:v mpeg4 -y "b$nstep-{i}.mkv" >"$T_TMP/bad"
	wait "$GP"
	PING=$(python3 "$LC" pings "$SOCK" 100 2>&1)
	wait_for $((J * 3 + 120)) settled
	is "$(unfinished)" 0 "step $nstep: all $J jobs end (max_jobs $K, $S subscribers)"
	T1=$(now_ms) C1=$(cpu_ticks "$P")
	CH1=$(awk '{sub(/^.*\) /, ""); print $14 + $15}' "/proc/$P/stat")
	wait "$SUBS"

	# Nothing lost: each answer is an id or a refusal naming a known code.
	refused=$(cat "$T_TMP/good" "$T_TMP/bad" | grep -c '^ERR')
	badref=$(grep -h '^ERR' "$T_TMP/good" "$T_TMP/bad" | while read -r _ code; do
		in_catalogue "$code" || printf ' %s' "$code"; done)
	is "$(cat "$T_TMP/good" "$T_TMP/bad" | grep -cvE '^([0-9]+|ERR [A-Z_]+)$')" 0 \
		"step $nstep: every submit is answered with an id or a coded refusal"
	is "$badref" "" "step $nstep: every refusal names a catalogue code ($refused refused)"
	grep -E '^[0-9]+$' "$T_TMP/good" | sort -n >"$T_TMP/good.ids"
	grep -E '^[0-9]+$' "$T_TMP/bad" | sort -n >"$T_TMP/bad.ids"
	ids() { paste -sd, "$1"; }
	G=$(ids "$T_TMP/good.ids") B=$(ids "$T_TMP/bad.ids")
	is "$(sql "select count(*) from jobs where id in (${G:-0}) and state = 'succeeded';")" \
		"$(wc -l <"$T_TMP/good.ids")" "step $nstep: every good job succeeded"
	sql "select coalesce(error_code, 'NULL') from jobs where id in (${B:-0}) and state = 'failed';" \
		>"$T_TMP/bad.codes"
	is "$(wc -l <"$T_TMP/bad.codes")" "$(wc -l <"$T_TMP/bad.ids")" \
		"step $nstep: every bad job failed"
	badcode=$(sort -u "$T_TMP/bad.codes" | while read -r code; do
		in_catalogue "$code" || printf ' %s' "$code"; done)
	is "$badcode" "" "step $nstep: ... each with a catalogue code ($(sort -u "$T_TMP/bad.codes" | paste -sd' '))"
	# Every subscriber heard every job of the step end.
	cat "$T_TMP/good.ids" "$T_TMP/bad.ids" | sort -n >"$T_TMP/all.ids"
	deaf=0
	while read -r k nev nprog ends; do
		echo "$ends" | tr ',' '\n' | sort -n >"$T_TMP/seen"
		[ -z "$(comm -23 "$T_TMP/all.ids" "$T_TMP/seen")" ] || deaf=$((deaf + 1))
	done <"$T_TMP/subs"
	is "$(wc -l <"$T_TMP/subs")/$deaf" "$S/0" "step $nstep: each of the $S subscribers heard every job end"
	like "$PING" '^[0-9.]+$' "step $nstep: the server answers 100 pings under load"
	[ -n "${PING%.*}" ] && [ "${PING%.*}" -lt 5000 ] 2>/dev/null &&
		ok "step $nstep: ... the slowest in under 5 s (${PING} ms)" ||
		not_ok "step $nstep: ... the slowest in under 5 s (${PING} ms)"

	wait_for 5 fd_is "$P" "$FD0"
	FD1=$(nfds "$P")
	table_row "stress-$K/$J/$S" "$J" $((T1 - T0)) $((C1 - C0)) "$(hwm_kb "$P")" "$FD0" "$FD1" >>"$T_TMP/table"
	awk -v k="$K" -v j="$J" -v s="$S" -v w=$((T1 - T0)) -v ch=$((CH1 - CH0)) -v t="$CLK_TCK" \
		-v p="$PING" -v r="$refused" 'BEGIN { printf "# %8d %6d %5d %8.1f %8.2f %9s %8d\n", k, j, s,
		j / (w / 1000), ch / t / (w / 1000), p, r }' >>"$T_TMP/ramp"
	LAST=$nstep
	if [ "$nstep" -lt "$(echo $STEPS | wc -w)" ]; then
		serve_stop
		is "$SERVE_RC" 0 "step $nstep: the server shuts down cleanly"
	fi
done

# Load drops: the last server, with the heaviest step behind it.
is "$FD1" "$FD0" "after the ramp the server's fd count is back to its baseline ($FD0)"
RSS1=$(rss_kb "$P")
rss_ok '[ "$RSS1" -le $((RSS0 + SLACK)) ]' "... and its RSS near it: ${RSS1} KiB vs ${RSS0} KiB (slack $SLACK)"
T0=$(now_ms)
j=$(submit_one fresh 1)
run timeout 60 "$AURA_BIN" wait "$j"
T1=$(now_ms)
is "$RC" 0 "a fresh job after the ramp succeeds"
[ $((T1 - T0)) -lt 30000 ] && ok "... promptly ($((T1 - T0)) ms)" || not_ok "... promptly ($((T1 - T0)) ms)"
PING=$(python3 "$LC" pings "$SOCK" 20 2>&1)
like "$PING" '^[0-9.]+$' "the server answers pings after the ramp (${PING} ms)"

serve_stop
is "$SERVE_RC" 0 "the server shuts down cleanly"

# STRESS_FDLIMIT=N: one more round with the server's descriptors starved
# (ulimit -n N, max_jobs 8, 30 jobs, 10 subscribers): jobs that cannot get
# a pipe fail with a catalogue code (SPAWN_FAILED) after their attempts,
# none is lost, and the server answers throughout.
if [ -n "${STRESS_FDLIMIT:-}" ]; then
	printf '[server]\nmax_jobs = 8\nmax_attempts = 2\nretry_backoff = 1\n' >"$XDG_CONFIG_HOME/aura/aura.ini"
	(ulimit -n "$STRESS_FDLIMIT" && exec "$AURA_BIN" serve) >"$T_TMP/serve.out" 2>&1 &
	SERVE_PID=$!
	wait_for 20 answers
	is $? 0 "fd-starved: the server starts under ulimit -n $STRESS_FDLIMIT"
	rm -f "$T_TMP/subs" "$T_TMP/subs.ready"
	python3 "$LC" subs "$SOCK" 10 30 120 "$T_TMP/subs" &
	SUBS=$!
	wait_for 30 test -e "$T_TMP/subs.ready"
	python3 "$LC" submit "$SOCK" 30 4 -nostdin -f lavfi -i "testsrc=d=1:s=160x120:r=25" -c:v mpeg4 \
		-y "fd-{i}.mkv" >"$T_TMP/fd.ids"
	PING=$(python3 "$LC" pings "$SOCK" 50 2>&1)
	like "$PING" '^[0-9.]+$' "fd-starved: the server answers pings ($PING ms)"
	wait_for 120 settled
	is "$(unfinished)" 0 "fd-starved: every job ends"
	wait "$SUBS"
	I=$(grep -E '^[0-9]+$' "$T_TMP/fd.ids" | paste -sd,)
	sql "select state || ' ' || coalesce(error_code, '-') from jobs where id in (${I:-0});" | sort | uniq -c >"$T_TMP/fd.out"
	diag "fd-starved outcome: $(tr -s ' \n' ' ' <"$T_TMP/fd.out")"
	is "$(awk '$2 != "succeeded" && $2 != "failed" { n += $1 } END { print n + 0 }' "$T_TMP/fd.out")" 0 \
		"fd-starved: each job succeeded or failed"
	nocode=$(awk '$2 == "failed" {print $3}' "$T_TMP/fd.out" | while read -r code; do
		in_catalogue "$code" || printf ' %s' "$code"; done)
	is "$nocode" "" "fd-starved: each failure carries a catalogue code"
	is "$(awk '{ if (split($4, a, ",") >= 30) n++ } END { print n + 0 }' "$T_TMP/subs")" 10 \
		"fd-starved: each of the 10 subscribers heard every job end"
	serve_stop
	is "$SERVE_RC" 0 "fd-starved: the server shuts down cleanly"
fi

cat "$T_TMP/table"
printf '# %8s %6s %5s %8s %8s %9s %8s\n' max_jobs jobs subs jobs/s ff_cores ping_ms refused
cat "$T_TMP/ramp"
done_testing
