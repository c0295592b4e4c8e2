#!/bin/sh
# jobs.sh -- the job verbs against the real server and real FFmpeg (lavfi
# sources): auto-start, submit/wait/show/ls/logs, failures classified,
# cancel/pause/resume/retry/rm, Ctrl-C while watching, shutdown, one server
# when two clients race to start it, and exit 4 when none can start.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"

WORK="$T_TMP/work"
mkdir -p "$WORK"
cd "$WORK" || exit 1
PIDF="$AURA_DATA_DIR/aura.pid"
SRC="testsrc=duration=1:size=64x48:rate=10"

# The verb watches SIGINT (it is watching): the process runs aura already
# (not the shell's child before exec), and SigBlk has bit 2 (SIGINT is
# blocked and read from a signalfd on the loop the client waits on).
AURA_REAL=$(readlink -f "$AURA_BIN")
catches_int() {
	local m
	[ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$AURA_REAL" ] || return 1
	m=$(awk '/^SigBlk:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$m" ] && [ $(( 0x$m & 2 )) -ne 0 ]
}

# --- auto-start and a job that succeeds --------------------------------------
if server_alive; then not_ok "no server before the first command"; else ok "no server before the first command"; fi

run aura submit --name first -o ok.mp4 -- -f lavfi -i "$SRC" -pix_fmt yuv420p ok.mp4
is "$RC" 0 "submit with no server running starts one and exits 0"
like "$OUT" '^[0-9]+$' "submit prints the job id alone"
OK_ID=$OUT
if wait_for 5 server_alive; then ok "the auto-started server wrote its pid file"; else not_ok "the auto-started server wrote its pid file"; fi

run aura wait "$OK_ID"
is "$RC" 0 "wait on a job that succeeds exits 0"
like "$OUT" "^$OK_ID succeeded $WORK/ok.mp4\$" "wait prints the id, the state and the output"
if [ -s "$WORK/ok.mp4" ]; then ok "the output file exists in the submit directory"; else not_ok "the output file exists in the submit directory"; fi

run aura show "$OK_ID"
is "$RC" 0 "show exits 0"
like "$OUT" "^job $OK_ID: first" "show names the job"
like "$OUT" 'state +succeeded \(attempt 1' "show gives state and attempt"
like "$OUT" "output +$WORK/ok.mp4" "show gives the absolute output"
like "$OUT" "command +ffmpeg -f lavfi -i $SRC" "show gives the command"
like "$OUT" "directory +$WORK" "show gives the directory the job ran in"

run aura show --json "#$OK_ID"
is "$RC" 0 "show --json exits 0 (and takes #ID)"
is "$(printf '%s' "$OUT" | jq -r '.job.state + " " + .job.kind + " " + (.job.id|tostring)')" \
	"succeeded ffmpeg $OK_ID" "show --json is the job as JSON"

run aura ls --json
is "$RC" 0 "ls --json exits 0"
is "$(printf '%s' "$OUT" | jq -r "[.jobs[] | select(.id == $OK_ID) | .name] | join(\",\")")" \
	"first" "ls --json lists the job"
is "$(printf '%s' "$OUT" | jq -r .total)" 1 "ls --json gives the total"

run aura ls
like "$OUT" '^ID +NAME +KIND +STATE +STAGE +PROGRESS +ETA +AGE$' "ls prints the table header"
like "$OUT" "^ *$OK_ID +first +ffmpeg +succeeded +- +100%" "ls prints a row per job"

# An output of "-" (stdout, here to the null muxer) is not appended twice.
run aura submit --name tonull -- -f lavfi -i "$SRC" -f null -
NULL_ID=$OUT
run aura wait "$NULL_ID"
is "$RC" 0 "a job writing to '-' succeeds"

# --- failures --------------------------------------------------------------------
run aura submit --name bad -- -f lavfi -i "$SRC" -c:v no_such_encoder bad.mp4
is "$RC" 0 "submit of a job that will fail exits 0"
BAD_ID=$OUT

run aura wait "$BAD_ID"
is "$RC" 1 "wait on a failing job exits 1"
like "$OUT" "^$BAD_ID failed FFMPEG_UNKNOWN_ENCODER" "wait names the error code"

run aura show "$BAD_ID"
like "$OUT" 'error +FFMPEG_UNKNOWN_ENCODER: ffmpeg does not know the requested encoder' "show gives code and message"
like "$OUT" 'hint +list encoders' "show gives the hint"
like "$OUT" 'stderr \(last lines\):' "show has the stderr tail"
like "$OUT" 'no_such_encoder' "the tail holds FFmpeg's words"
is "$(aura show --json "$BAD_ID" | jq -r .job.error.code)" FFMPEG_UNKNOWN_ENCODER "show --json has error.code"

run aura wait "$OK_ID" "$BAD_ID"
is "$RC" 1 "wait on several exits 1 when any failed"
run aura wait --json "$OK_ID" "$BAD_ID"
is "$(printf '%s' "$OUT" | jq -r '[.jobs[].state] | join(" ")')" "succeeded failed" "wait --json prints the final jobs"

run aura ls --state failed --json
is "$(printf '%s' "$OUT" | jq -r '[.jobs[].id] | join(" ")')" "$BAD_ID" "ls --state failed lists only the failed job"
run aura ls --state succeeded
unlike "$OUT" "^ *$BAD_ID " "ls --state succeeded leaves the failed job out"
like "$OUT" "^ *$OK_ID " "ls --state succeeded lists the succeeded one"
run aura ls --state exploded
is "$RC" 2 "ls with an unknown state is a usage error"

run aura show 99999
is "$RC" 2 "show of an unknown id exits 2"
like "$ERR" 'JOB_NOT_FOUND' "show of an unknown id says JOB_NOT_FOUND"
run aura show abc
is "$RC" 2 "show of a non-number is a usage error"
run aura submit -i x.mp4 y.mp4
is "$RC" 2 "submit without -- is a usage error"
run aura submit --name x --
is "$RC" 2 "submit with no FFmpeg arguments is a usage error"

# --- logs ----------------------------------------------------------------------------
run aura logs "$BAD_ID"
is "$RC" 0 "logs exits 0"
like "$OUT" 'no_such_encoder' "logs prints FFmpeg's stderr lines"
run aura logs "$OK_ID"
like "$OUT" 'Input #0, lavfi' "logs of a finished job has FFmpeg's input report"
FULL=$OUT
run aura logs -f "$OK_ID"
is "$RC" 0 "logs -f of a finished job returns at once"
is "$OUT" "$FULL" "logs -f of a finished job prints the whole log once"
run aura logs 99999
is "$RC" 2 "logs of an unknown id exits 2"

# Follow a job while it runs: what -f printed must be the log exactly,
# with no line lost or repeated between the file and the events.
FOLLOW_ID=$(aura submit --name follow -- -re -f lavfi -i "testsrc=duration=2:size=64x48:rate=10" \
	-f lavfi -i "sine=duration=2" -loglevel verbose -c:v mpeg4 follow.mkv)
aura logs -f "$FOLLOW_ID" >"$T_TMP/follow.out" 2>"$T_TMP/follow.err"
is "$?" 0 "logs -f exits 0 when the job ends"
is "$(state_of "$FOLLOW_ID")" succeeded "the followed job ended (logs -f waited for it)"
aura logs "$FOLLOW_ID" >"$T_TMP/final.out"
if cmp -s "$T_TMP/follow.out" "$T_TMP/final.out"; then
	ok "logs -f printed exactly the final log"
else
	not_ok "logs -f printed exactly the final log"
	diag "$(diff "$T_TMP/follow.out" "$T_TMP/final.out" | head -20)"
fi

# --- cancel, pause, resume, retry, rm -------------------------------------------------
run aura cancel "$OK_ID"
is "$RC" 2 "cancel of a finished job exits 2"
like "$ERR" 'JOB_BAD_STATE' "cancel of a finished job says JOB_BAD_STATE"

LONG_ID=$(aura submit --name long -- -re -f lavfi -i "testsrc=duration=60:size=64x48:rate=10" -c:v mpeg4 long.mkv)
if wait_for 10 is_state "$LONG_ID" running; then ok "the long job runs"; else not_ok "the long job runs"; fi

run aura pause "$LONG_ID"
is "$RC" 0 "pause exits 0"
is "$OUT" "$LONG_ID paused" "pause prints the new state"
run aura resume "$LONG_ID"
is "$OUT" "$LONG_ID running" "resume prints the new state"

# Ctrl-C during wait only stops watching.
"$AURA_BIN" wait "$LONG_ID" >/dev/null 2>&1 &
WPID=$!
wait_for 5 catches_int "$WPID"
kill -INT "$WPID"
wait "$WPID"
is "$?" 130 "SIGINT during wait exits 130"
is "$(state_of "$LONG_ID")" running "the job goes on after wait is interrupted"

"$AURA_BIN" logs -f "$LONG_ID" >/dev/null 2>&1 &
LPID=$!
wait_for 5 catches_int "$LPID"
kill -INT "$LPID"
wait "$LPID"
is "$?" 130 "SIGINT during logs -f exits 130"

run aura cancel "$LONG_ID" 99999
is "$RC" 2 "cancel with an unknown id exits 2"
like "$OUT" "^$LONG_ID cancelled\$" "the other id is still cancelled"
like "$ERR" 'JOB_NOT_FOUND' "the unknown id is reported"
run aura wait "$LONG_ID"
is "$RC" 1 "wait on a cancelled job exits 1"
like "$OUT" "^$LONG_ID cancelled" "wait says cancelled"

run aura retry --json "$LONG_ID"
is "$RC" 0 "retry of a cancelled job exits 0"
is "$(printf '%s' "$OUT" | jq -r '.results[0].ok')" true "retry --json reports ok"
if wait_for 10 is_state "$LONG_ID" running; then ok "the retried job runs again"; else not_ok "the retried job runs again"; fi
run aura rm "$LONG_ID"
is "$RC" 2 "rm of a running job exits 2"
aura cancel "$LONG_ID" >/dev/null

run aura rm "$OK_ID"
is "$RC" 0 "rm exits 0"
is "$OUT" "$OK_ID removed (its record and work directory; its output is kept)" "rm prints removed and what"
run aura show "$OK_ID"
is "$RC" 2 "a removed job is gone"

# --- shutdown -------------------------------------------------------------------------
SPID=$(cat "$PIDF")
run aura shutdown
is "$RC" 0 "shutdown exits 0"
is "$OUT" "server $SPID stopped" "shutdown waits for the server to exit"
if kill -0 "$SPID" 2>/dev/null; then not_ok "the server process is gone"; else ok "the server process is gone"; fi
run aura shutdown
is "$RC" 0 "shutdown with no server exits 0"
like "$ERR" 'no server is running' "shutdown with no server says so"
if server_alive; then not_ok "shutdown does not start a server"; else ok "shutdown does not start a server"; fi

# The jobs survive: a new server (auto-started) still has them.
run aura show --json "$BAD_ID"
is "$(printf '%s' "$OUT" | jq -r .job.state)" failed "jobs survive a restart"
aura shutdown >/dev/null 2>&1

# --- two clients racing to start a server start one ---------------------------------
RACE="$T_TMP/race"
count_servers() { pgrep -f -- "--data-dir $RACE serve" | wc -l; }
env AURA_DATA_DIR="$RACE" "$AURA_BIN" ls >"$T_TMP/r1" 2>&1 &
P1=$!
env AURA_DATA_DIR="$RACE" "$AURA_BIN" ls >"$T_TMP/r2" 2>&1 &
P2=$!
wait "$P1"; R1=$?
wait "$P2"; R2=$?
is "$R1 $R2" "0 0" "two racing clients both succeed"
is "$(count_servers)" 1 "two racing clients start one server"
RPID=$(cat "$RACE/aura.pid" 2>/dev/null)
run env AURA_DATA_DIR="$RACE" "$AURA_BIN" shutdown
is "$OUT" "server $RPID stopped" "the race's server is the one in its pid file, and stops"
if [ "$(count_servers)" -ne 0 ]; then
	not_ok "no server is left for the race's data directory"
	pkill -KILL -f -- "--data-dir $RACE serve"
else
	ok "no server is left for the race's data directory"
fi

# --- no server and none can be started: exit 4 ---------------------------------------
NOSTART="$T_TMP/nostart"
mkdir -p "$NOSTART/spawn.lock"   # a directory: the lock cannot be opened
run env AURA_DATA_DIR="$NOSTART" "$AURA_BIN" ls
is "$RC" 4 "ls exits 4 when no server runs and none can be started"
like "$ERR" 'SERVER_UNREACHABLE' "the error is SERVER_UNREACHABLE"

BROKEN="$T_TMP/broken"
mkdir -p "$BROKEN"
chmod 700 "$BROKEN"
printf 'this is not a database, and it is long enough to have a header...\n' >"$BROKEN/aura.db"
START=$(date +%s)
run env AURA_DATA_DIR="$BROKEN" "$AURA_BIN" ls
is "$RC" 4 "ls exits 4 when the server it starts cannot open the store"
like "$ERR" 'could not start' "the error says the server could not start"
[ $(( $(date +%s) - START )) -lt 8 ] && ok "a server that cannot start is not waited for" \
	|| not_ok "a server that cannot start is not waited for"

done_testing
