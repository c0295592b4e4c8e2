#!/bin/sh
# tests/cli/follow.sh -- `aura logs -f` under a stderr flood it cannot keep
# up with (tests/fixtures/fake-ffmpeg floods numbered lines; the follower
# is stopped with SIGSTOP while the server goes on): the server holds the
# lines back (log_gap) instead of dropping it, the follower re-reads
# job.log from its offset, follows again, exits 0 when the job ends and
# has printed job.log byte for byte. A real server loss (kill -9) while
# following still exits 4 (SERVER_UNREACHABLE).
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"
FAKE="$AURA_BUILDDIR/tests/fixtures/fake-ffmpeg"
[ -x "$FAKE" ] || skip_all "tests/fixtures/fake-ffmpeg is not built"

WORK="$T_TMP/work"
mkdir -p "$WORK" "$XDG_CONFIG_HOME/aura"
cd "$WORK" || exit 1
PIDF="$AURA_DATA_DIR/aura.pid"
GATE="$T_TMP/gate"
# A small client_buffer: the flood passes it many times over.
cat >"$XDG_CONFIG_HOME/aura/aura.ini" <<EOF
[ffmpeg]
ffmpeg = $FAKE
[general]
log_level = debug
[server]
client_buffer = 64K
stall_timeout = 600
max_attempts = 1
job_log_max = 0
EOF

size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
alive() { kill -0 "$1" 2>/dev/null; }

# --- a follower that falls behind twice ----------------------------------------------
# Two floods of 150 000 lines (15 MB each), each when the test opens the gate.
id=$(aura submit --name flood -- --gate "$GATE" --stderr-lines 150000 --floods 2 \
	--duration-ms 200 -f lavfi -i "testsrc=d=1" -f null -)
like "$id" '^[0-9]+$' "the flooding job is submitted"
LOG="$AURA_DATA_DIR/jobs/$id/job.log"
OUT="$T_TMP/follow.out"
"$AURA_BIN" logs -f "$id" >"$OUT" 2>"$T_TMP/follow.err" &
FPID=$!
# Its first line printed: the follower has subscribed (that comes first).
started() { grep -q 'attempt 1 of 1 started' "$OUT"; }
wait_for 60 started
is $? 0 "the follower prints the job's first line"

kill -STOP "$FPID"
: >"$GATE"
flooded() { [ "$(size_of "$LOG")" -ge 15000000 ]; }
wait_for 120 flooded
is $? 0 "the first flood is in job.log while the follower is stopped"
kill -CONT "$FPID"
# It reads what it missed from job.log, then follows again.
caught_up() { ! alive "$FPID" || [ "$(size_of "$OUT")" -ge "$(size_of "$LOG")" ]; }
wait_for 120 caught_up
if alive "$FPID"; then ok "the follower catches up and goes on following"; else
	not_ok "the follower catches up and goes on following"; diag "$(cat "$T_TMP/follow.err")"; fi

kill -STOP "$FPID" 2>/dev/null
: >"$GATE"
ended() { [ "$(state_of "$id")" = succeeded ]; }
wait_for 120 ended
is $? 0 "the flooding job succeeds"
kill -CONT "$FPID" 2>/dev/null
wait "$FPID"
rc=$?
is "$rc" 0 "logs -f exits 0 when the job ends, although it fell behind"
[ "$rc" = 0 ] || diag "$(cat "$T_TMP/follow.err")"
is "$(size_of "$OUT")" "$(size_of "$LOG")" "it printed as many bytes as job.log holds"
if cmp -s "$OUT" "$LOG"; then ok "it printed job.log byte for byte (no line lost or twice)"; else
	not_ok "it printed job.log byte for byte (no line lost or twice)"
	diag "$(cmp "$OUT" "$LOG" 2>&1)"
fi
SLOG="$AURA_DATA_DIR/logs/aura.log"
gaps=$(grep -c "pid $FPID: behind on job $id's log" "$SLOG")
if [ "$gaps" -ge 2 ]; then ok "the server held lines back twice (behind, caught up, behind again)"; else
	not_ok "the server held lines back twice (behind, caught up, behind again)"; diag "$gaps times"; fi
if grep -q "pid $FPID dropped" "$SLOG"; then not_ok "the follower was never dropped"; else
	ok "the follower was never dropped"; fi
# 300 000 numbered lines, each once, in order.
is "$(grep -c '^flood line ' "$OUT")" 300000 "all 300 000 flood lines are there"
is "$(grep '^flood line ' "$OUT" | awk '$3 + 0 != NR { print; exit }')" "" "... in order, none twice"

# --- a real server loss still ends following with SERVER_UNREACHABLE ------------------
id=$(aura submit --name long -- --duration-ms 60000 -f lavfi -i "testsrc=d=1" -f null -)
running() { [ "$(state_of "$id")" = running ]; }
wait_for 60 running
CHILD=$(aura show --json "$id" | jq -r .job.pid)
OUT2="$T_TMP/follow2.out"
"$AURA_BIN" logs -f "$id" >"$OUT2" 2>"$T_TMP/follow2.err" &
FPID=$!
wait_for 60 grep -q 'attempt 1 of 1 started' "$OUT2"
kill -KILL "$(cat "$PIDF")"
gone() { ! alive "$FPID"; }
wait_for 60 gone
wait "$FPID"
is "$?" 4 "kill -9 of the server while following exits 4"
like "$(cat "$T_TMP/follow2.err")" 'SERVER_UNREACHABLE' "... with SERVER_UNREACHABLE"
[ -n "$CHILD" ] && [ "$CHILD" != null ] && kill -KILL "$CHILD" 2>/dev/null
rm -f "$PIDF"

# --- a flood past job_log_max: the follower ends with the file as it is kept -----------
# The head goes to job.log and to the follower as it comes; the rest waits
# in the ring, and at the run's end the cut marker and the last lines are
# appended and the follower reads them from job.log (a log_gap).
sed -i 's/^job_log_max = 0$/job_log_max = 2M/' "$XDG_CONFIG_HOME/aura/aura.ini"
rm -f "$GATE"
id=$(aura submit --name capped -- --gate "$GATE" --stderr-lines 100000 --floods 1 \
	--duration-ms 200 -f lavfi -i "testsrc=d=1" -f null -)
LOG="$AURA_DATA_DIR/jobs/$id/job.log"
OUT3="$T_TMP/follow3.out"
"$AURA_BIN" logs -f "$id" >"$OUT3" 2>"$T_TMP/follow3.err" &
FPID=$!
wait_for 60 grep -q 'attempt 1 of 1 started' "$OUT3"
: >"$GATE"
wait "$FPID"
rc=$?
is "$rc" 0 "a capped log: logs -f exits 0 when the job ends"
[ "$rc" = 0 ] || diag "$(cat "$T_TMP/follow3.err")"
is "$(grep -c 'bytes cut' "$LOG")" 1 "a capped log: job.log has one cut marker"
[ "$(size_of "$LOG")" -le 2200000 ] && ok "a capped log: job.log stays near job_log_max" ||
	not_ok "a capped log: job.log stays near job_log_max ($(size_of "$LOG") bytes)"
if cmp -s "$OUT3" "$LOG"; then ok "a capped log: the follower printed job.log byte for byte"; else
	not_ok "a capped log: the follower printed job.log byte for byte"
	diag "$(cmp "$OUT3" "$LOG" 2>&1)"
fi
like "$(tail -1 "$OUT3")" 'job succeeded' "a capped log: the follower saw the run's last line"

done_testing
