#!/bin/sh
# tests/cli/server.sh -- `aura serve` for real: socket modes, the lock,
# orderly shutdown with running FFmpeg, kill -9 and recovery, stale socket,
# connection churn, a subscriber that never reads, the line cap, bad
# requests, another uid, and idleness. Raw protocol through python3.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v python3 >/dev/null 2>&1 || skip_all "python3 is needed for raw protocol checks"
command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is needed"
command -v sqlite3 >/dev/null 2>&1 || skip_all "sqlite3 is needed"

GRACE=10
mkdir -p "$XDG_CONFIG_HOME/aura"
cat >"$XDG_CONFIG_HOME/aura/aura.ini" <<EOF
[general]
log_level = debug
[server]
max_jobs = 4
shutdown_grace = $GRACE
client_buffer = 64K
EOF

SOCK="$AURA_DATA_DIR/run/aura.sock"
PIDF="$AURA_DATA_DIR/aura.pid"
LOG="$AURA_DATA_DIR/logs/aura.log"
DB="$AURA_DATA_DIR/aura.db"
MARK="aura-srv-$$"

# The raw client (tests/cli/pc.py), copied where the peer check's other
# user can read it.
PC="$T_TMP/pc.py"
cp "$AURA_SRCDIR/tests/cli/pc.py" "$PC"
py() { python3 "$PC" "$@"; }

SERVE_PID=
start_server() {
	"$AURA_BIN" serve >>"$T_TMP/serve.out" 2>&1 &
	SERVE_PID=$!
	wait_for 10 py call "$SOCK" '{"id":1,"method":"ping"}'
}
alive() { kill -0 "$1" 2>/dev/null; }
gone() { ! kill -0 "$1" 2>/dev/null; }
no_marker() { ! pgrep -f "$1" >/dev/null; }
nfds() { ls "/proc/$1/fd" | wc -l; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
job_state() { sqlite3 "$DB" "select state from jobs where id = $1;" 2>/dev/null; }
state_is() { [ "$(job_state "$1")" = "$2" ]; }
ffargs_long() { printf '["-re","-f","lavfi","-i","testsrc=d=600","-f","null","%s"]' "$1"; }

# --- start, modes, lock ------------------------------------------------------
start_server
is $? 0 "aura serve starts in the foreground and answers ping"
is "$(cat "$PIDF")" "$SERVE_PID" "the pid file names the server"
is "$(stat -c %a "$SOCK")" 600 "the socket is 0600"
is "$(stat -c %a "$(dirname "$SOCK")")" 700 "the socket's directory is 0700"
like "$(py call "$SOCK" '{"id":9,"method":"ping"}')" "\"pid\":$SERVE_PID" "ping answers with the server's pid"

run "$AURA_BIN" serve
is "$RC" 3 "a second server on the same data directory exits 3"
like "$ERR" "SERVER_RUNNING.*pid $SERVE_PID" "... naming the running server's pid"
alive "$SERVE_PID" && ok "... and the first one keeps running" || not_ok "... and the first one keeps running"

# --- requests ----------------------------------------------------------------
OUT=$(py call "$SOCK" '{not json' '{"id":2,"method":"ping"}')
like "$(echo "$OUT" | sed -n 1p)" '"id":null,"ok":false.*PROTO_BAD_REQUEST' "invalid JSON gets PROTO_BAD_REQUEST"
like "$(echo "$OUT" | sed -n 2p)" '"id":2,"ok":true' "... and the connection still works"
like "$(py call "$SOCK" '{"id":3,"method":"frobnicate"}')" '"id":3,"ok":false.*PROTO_BAD_REQUEST.*unknown method' \
	"an unknown method gets PROTO_BAD_REQUEST with its id"
like "$(py call "$SOCK" '{"id":4,"method":"submit","params":{"argv":["-i","x"],"cwd":"rel"}}')" \
	'"id":4,"ok":false.*PROTO_BAD_REQUEST.*cwd' "submit refuses a relative cwd"
like "$(py call "$SOCK" '{"id":5,"method":"submit","params":{"argv":[],"cwd":"/"}}')" \
	'PROTO_BAD_REQUEST.*argv' "submit refuses an empty argv"
like "$(py call "$SOCK" '{"id":6,"method":"get","params":{"id":99999}}')" '"id":6,"ok":false.*JOB_NOT_FOUND' \
	"get of an unknown job is JOB_NOT_FOUND"
like "$(py call "$SOCK" '{"id":7,"method":"new","params":{"topic":""}}')" 'PROTO_BAD_REQUEST.*topic' \
	"new refuses an empty topic"

run py big "$SOCK"
is "$OUT" "PROTO_TOO_LARGE EOF" "a line past 1 MiB gets PROTO_TOO_LARGE, then the connection is closed"
alive "$SERVE_PID" && ok "... and the server goes on" || not_ok "... and the server goes on"

# --- idle: no wake-ups ---------------------------------------------------------
sleep 0.3 # let the requests above settle before sampling
T0=$(cpu_ticks "$SERVE_PID")
sleep 2
is "$(cpu_ticks "$SERVE_PID")" "$T0" "an idle server uses no CPU over 2 s"
# strace's attach interrupts the poll in progress; one ping then makes the
# loop go round, and every poll() it makes must sleep without a timeout.
if command -v strace >/dev/null 2>&1; then
	timeout -s INT 3 strace -qq -p "$SERVE_PID" -e trace=poll,ppoll -o "$T_TMP/strace" 2>/dev/null &
	ST=$!
	# ping only once strace is attached (the server's TracerPid is set)
	wait_for 5 sh -c "! grep -q '^TracerPid:[[:space:]]*0\$' /proc/$SERVE_PID/status"
	py call "$SOCK" '{"id":1,"method":"ping"}' >/dev/null
	wait "$ST"
	POLLS=$(grep -c 'poll(' "$T_TMP/strace")
	TIMED=$(grep 'poll(' "$T_TMP/strace" | grep -vc ', -1[) ]')
	if [ "$POLLS" -ge 1 ] && [ "$TIMED" -eq 0 ]; then
		ok "the idle server sleeps in poll() with an infinite timeout ($POLLS polls)"
	else
		not_ok "the idle server sleeps in poll() with an infinite timeout"
		diag "$(cat "$T_TMP/strace")"
	fi
	if [ "$POLLS" -le 5 ]; then ok "... and wakes up only for the ping in 2 s"; else
		not_ok "... and wakes up only for the ping in 2 s"; diag "$POLLS polls"; fi
else
	ok "# SKIP strace is not installed"
	ok "# SKIP strace is not installed"
fi

# --- connection churn ----------------------------------------------------------
FD0=$(nfds "$SERVE_PID")
is "$(py cycles "$SOCK" 500)" done "500 connect/disconnect cycles"
fds_back() { [ "$(nfds "$SERVE_PID")" -eq "$FD0" ]; }
wait_for 5 fds_back
is "$(nfds "$SERVE_PID")" "$FD0" "... leave the server's fd count unchanged"

# --- another uid ---------------------------------------------------------------
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1 && [ -x /usr/bin/python3 ]; then
	chmod o+x "$T_TMP" "$AURA_DATA_DIR" "$(dirname "$SOCK")"
	chmod 0666 "$SOCK"
	chmod o+r "$PC"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 "$PC" peer "$SOCK"
	chmod 0600 "$SOCK"
	chmod o-x "$T_TMP" "$AURA_DATA_DIR" "$(dirname "$SOCK")"
	is "$OUT" "PEER_REFUSED EOF" "a client of another uid gets PEER_REFUSED and is closed"
	like "$(cat "$LOG")" "refused a connection from uid $(id -u nobody)" "... and the server logs it"
else
	ok "# SKIP not root: cannot run a client as another user"
	ok "# SKIP not root: cannot run a client as another user"
fi

# --- subscribers that never read --------------------------------------------
# One asks for log lines, one only for job and progress events. A job
# writes 1000 log lines a second: the first is held back (one log_gap; it
# would re-read job.log), not dropped; the second (progress coalesced, no
# log events) is not dropped either, and pings meanwhile stay quick.
# (A subscriber dropped for events that cannot be held back or coalesced:
# tests/unit/test-server.c, test_event_flood_drops.)
RSS0=$(awk '/VmRSS/ {print $2}' "/proc/$SERVE_PID/status")
python3 "$PC" slow "$SOCK" 60 true >"$T_TMP/slow.out" &
SLOW=$!
python3 "$PC" slow "$SOCK" 60 false >"$T_TMP/calm.out" &
CALM=$!
wait_for 5 grep -q subscribed "$T_TMP/slow.out"
wait_for 5 grep -q subscribed "$T_TMP/calm.out"
SLOW_PID=$(awk '{print $2}' "$T_TMP/slow.out")
CALM_PID=$(awk '{print $2}' "$T_TMP/calm.out")
NOISY=$(py submit "$SOCK" "[\"-re\",\"-f\",\"lavfi\",\"-i\",\"testsrc=d=120:s=32x32:r=1000\",\"-vf\",\"showinfo\",\"-f\",\"null\",\"$T_TMP/noisy-$MARK\"]")
like "$NOISY" '^[0-9]+$' "a job writing 1000 log lines a second is queued"
WORST=$(py pings "$SOCK" 40)
if [ -n "$WORST" ] && [ "$WORST" -lt 1000 ]; then ok "pings stay answered within 1 s meanwhile (slowest ${WORST} ms)"; else
	not_ok "pings stay answered within 1 s meanwhile"; diag "slowest: '$WORST' ms"; fi
held() { grep -q "pid $SLOW_PID: behind on job $NOISY's log" "$LOG"; }
wait_for 30 held
is $? 0 "the log subscriber that never reads is held back, with a log line naming it"
if grep -q "pid $SLOW_PID dropped" "$LOG"; then not_ok "... and it is not dropped"; else
	ok "... and it is not dropped"; fi
if grep -q "pid $CALM_PID dropped" "$LOG"; then not_ok "the subscriber without logs is not dropped"; else
	ok "the subscriber without logs is not dropped"; fi
RSS1=$(awk '/VmRSS/ {print $2}' "/proc/$SERVE_PID/status")
if [ $((RSS1 - RSS0)) -lt 16384 ]; then ok "the server's memory stays flat (RSS +$((RSS1 - RSS0)) KiB)"; else
	not_ok "the server's memory stays flat"; diag "RSS $RSS0 -> $RSS1 KiB"; fi
py call "$SOCK" "{\"id\":1,\"method\":\"cancel\",\"params\":{\"id\":$NOISY}}" >/dev/null
kill "$SLOW" "$CALM" 2>/dev/null
wait "$SLOW" "$CALM" 2>/dev/null
wait_for 10 no_marker "noisy-$MARK"

# --- SIGTERM with two jobs running ---------------------------------------------
A=$(py submit "$SOCK" "$(ffargs_long "$T_TMP/a-$MARK")")
B=$(py submit "$SOCK" "$(ffargs_long "$T_TMP/b-$MARK")")
both_running() { state_is "$A" running && state_is "$B" running && [ "$(pgrep -fc "[ab]-$MARK")" -eq 2 ]; }
wait_for 10 both_running
is $? 0 "two long FFmpeg jobs are running"
py sub "$SOCK" >"$T_TMP/sub.out" &
SUB=$!
wait_for 5 grep -q snapshot "$T_TMP/sub.out"
T0=$(date +%s)
kill -TERM "$SERVE_PID"
wait_for $((GRACE + 2)) gone "$SERVE_PID"
wait "$SERVE_PID"
RC=$?
T1=$(date +%s)
is "$RC" 0 "SIGTERM: the server exits 0"
if [ $((T1 - T0)) -le "$GRACE" ]; then ok "... within shutdown_grace ($((T1 - T0)) s)"; else
	not_ok "... within shutdown_grace"; diag "took $((T1 - T0)) s"; fi
is "$(pgrep -fc "[ab]-$MARK")" 0 "... leaving no FFmpeg behind"
[ ! -e "$SOCK" ] && [ ! -e "$PIDF" ] && ok "... removing the socket and the pid file" ||
	not_ok "... removing the socket and the pid file"
is "$(job_state "$A") $(job_state "$B")" "queued queued" "... with both jobs queued again in the store"
wait "$SUB"
like "$(tr '\n' ' ' <"$T_TMP/sub.out")" 'snapshot.* shutdown EOF' "a subscriber gets the shutdown event, then EOF"

# --- kill -9 mid-render, restart ------------------------------------------------
start_server
is $? 0 "the server starts again"
# The two requeued jobs start again; cancel them, we only need one job now.
for j in "$A" "$B"; do py call "$SOCK" "{\"id\":1,\"method\":\"cancel\",\"params\":{\"id\":$j}}" >/dev/null; done
wait_for 10 no_marker "[ab]-$MARK"
K=$(py submit "$SOCK" "[\"-re\",\"-f\",\"lavfi\",\"-i\",\"testsrc=d=3:s=64x64\",\"-c:v\",\"mpeg4\",\"$T_TMP/k-$MARK.mkv\"]" "$T_TMP/k-$MARK.mkv")
k_running() { state_is "$K" running && pgrep -f "k-$MARK" >/dev/null; }
wait_for 10 k_running
is $? 0 "a short realtime job is running"
# FFmpeg writes the output under its temporary name until it succeeds
wait_for 5 test -e "$T_TMP/k-$MARK.aura-$K.part.mkv"
INODE0=$(stat -c %i "$SOCK")
kill -KILL "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
wait_for 5 no_marker "k-$MARK"
is $? 0 "kill -9 of the server leaves no FFmpeg behind (PDEATHSIG)"
[ -S "$SOCK" ] && ok "... the dead server's socket file is left" || not_ok "... the dead server's socket file is left"
# a second name keeps the stale socket's inode in use, so the new socket
# cannot get the same number back (tmpfs reuses a freed one at once)
ln "$SOCK" "$T_TMP/stale.sock"
start_server
is $? 0 "a new server replaces the stale socket and answers"
[ "$(stat -c %i "$SOCK")" != "$INODE0" ] && ok "... on a new socket file" || not_ok "... on a new socket file"
wait_for 20 state_is "$K" succeeded
is "$(job_state "$K")" succeeded "the interrupted job is requeued and succeeds"
is "$(sqlite3 "$DB" "select attempts from jobs where id = $K;")" 2 "... on its second attempt"
like "$(cat "$AURA_DATA_DIR/jobs/$K/job.log")" "removed the temporary output of an earlier attempt" \
	"... after removing its own temporary output"
[ -s "$T_TMP/k-$MARK.mkv" ] && [ ! -e "$T_TMP/k-$MARK.aura-$K.part.mkv" ] &&
	ok "... renamed to its real name, no temporary left" ||
	not_ok "... renamed to its real name, no temporary left"
like "$(cat "$LOG")" "replaced the stale socket" "the replacement is logged"

# --- shutdown request ------------------------------------------------------------
like "$(py call "$SOCK" '{"id":8,"method":"shutdown"}')" '"id":8,"ok":true.*"shutting_down":true' \
	"the shutdown request is answered first"
wait_for $((GRACE + 2)) gone "$SERVE_PID"
wait "$SERVE_PID"
is $? 0 "... then the server exits 0"

# --- --daemon ---------------------------------------------------------------------
run "$AURA_BIN" serve --daemon
is "$RC" 0 "serve --daemon returns 0 once it listens"
like "$(py call "$SOCK" '{"id":1,"method":"ping"}')" '"ok":true' "... and the daemon answers at once"
DPID=$(cat "$PIDF")
is "$(awk '{print $6 == $1 ? "leader" : "not-leader"}' "/proc/$DPID/stat") $(awk '{print $7}' "/proc/$DPID/stat")" \
	"not-leader 0" "... detached: not a session leader, no controlling terminal"
run "$AURA_BIN" serve --daemon
is "$RC" 3 "a second serve --daemon fails with exit 3"
like "$ERR" "SERVER_RUNNING.*pid $DPID" "... and says why, naming the pid"
kill -TERM "$DPID"
wait_for $((GRACE + 2)) gone "$DPID"
is $? 0 "the daemon stops on SIGTERM"

done_testing
