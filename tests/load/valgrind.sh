#!/bin/sh
# tests/load/valgrind.sh -- the server under valgrind memcheck through
# submits (succeeding, failing), a cancel of a running job, pause/resume,
# subscribers (python3, with and without logs, one that hangs up early),
# the read verbs, and an orderly shutdown with a job still running:
# 0 bytes definitely lost, no memcheck error, no descriptor left open.
#
# By hand, from a build directory:  /path/to/src/tests/load/valgrind.sh
# (VG_JOBS=N raises the number of plain jobs; default 4.)
. "$(dirname "$0")/lib-load.sh"

command -v valgrind >/dev/null 2>&1 || skip_all "valgrind is not installed"
command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is needed for the subscribers"
command -v sqlite3 >/dev/null 2>&1 || skip_all "the sqlite3 program is not installed"
case $(file -L "$AURA_BIN" 2>/dev/null; nm "$AURA_BIN" 2>/dev/null | grep -m1 __asan_init) in
*__asan_init*) skip_all "$AURA_BIN is built with sanitizers; valgrind needs a plain build" ;;
esac

NJOBS=${VG_JOBS:-4}
WORK="$T_TMP/work"
mkdir -p "$WORK"
cd "$WORK" || exit 1
cat >"$XDG_CONFIG_HOME/aura/aura.ini" <<CONF
[general]
log_level = debug
[server]
max_jobs = 2
max_attempts = 1
shutdown_grace = 10
CONF

SUB="$T_TMP/sub.py"
cat >"$SUB" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(json.dumps({"id": 1, "method": "subscribe", "params": {"logs": sys.argv[2] == "logs"}}).encode() + b"\n")
n = 0
f = s.makefile("rb")
for line in f:
    n += 1
    if sys.argv[2] == "quit" and n >= 3:
        break
    if json.loads(line).get("event") == "shutdown":
        break
print(n)
PY

VG="$T_TMP/vg.log"
valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
	--track-fds=yes --log-file="$VG" "$AURA_BIN" serve >"$T_TMP/serve.out" 2>&1 &
SERVE_PID=$!
wait_for 60 answers
is $? 0 "the server starts under valgrind"

python3 "$SUB" "$SOCK" logs >"$T_TMP/sub1" 2>&1 &
S1=$!
python3 "$SUB" "$SOCK" nologs >"$T_TMP/sub2" 2>&1 &
S2=$!
python3 "$SUB" "$SOCK" quit >"$T_TMP/sub3" 2>&1 &
S3=$!

SRC="testsrc=d=1:s=64x48:r=10"
IDS=""
for i in $(seq "$NJOBS"); do
	IDS="$IDS $(aura submit --name "p$i" -o "p$i.mkv" -- -f lavfi -i "$SRC" -c:v mpeg4 "p$i.mkv")"
done
BAD=$(aura submit --name bad -- -f lavfi -i "$SRC" -c:v no_such_encoder bad.mkv)
LONG=$(aura submit --name long -- -re -f lavfi -i "testsrc=d=30:s=64x48:r=10" -f null -)
running() { [ "$(aura show --json "$1" | jq -r .job.state)" = running ]; }
wait_for 60 running "$LONG"
aura pause "$LONG" >/dev/null
aura resume "$LONG" >/dev/null
aura cancel "$LONG" >/dev/null
run aura wait $IDS
is "$RC" 0 "$NJOBS jobs succeed under valgrind"
run aura wait "$BAD"
is "$RC" 1 "the failing job fails"
run aura wait "$LONG"
like "$OUT" cancelled "the running job is cancelled"
aura ls >/dev/null; aura show "$BAD" >/dev/null; aura logs "$BAD" >/dev/null
wait "$S3"
# A job still running at shutdown: its stop sequence and requeue are in the run.
LAST=$(aura submit --name last -- -re -f lavfi -i "testsrc=d=30:s=64x48:r=10" -f null -)
wait_for 60 running "$LAST"
aura shutdown >/dev/null
wait "$SERVE_PID"
rc=$?
wait "$S1" "$S2"
is "$rc" 0 "the server exits 0 under valgrind (99 would be a memcheck error)"
like "$(cat "$T_TMP/sub1")" '^[0-9]+$' "a subscriber with logs reads events until shutdown"
like "$(cat "$VG")" 'definitely lost: 0 bytes|All heap blocks were freed' "0 bytes definitely lost"
like "$(cat "$VG")" 'ERROR SUMMARY: 0 errors' "memcheck reports 0 errors"
# --track-fds lists the descriptors open at exit: only the inherited stdio
# (and valgrind's own log) may remain.
open=$(grep -c 'Open file descriptor [0-9]*:' "$VG")
std=$(grep -A1 'Open file descriptor [0-9]*:' "$VG" | grep -c 'inherited from parent')
is "$((open - std))" 0 "no descriptor is left open at exit"
[ "$T_FAILED" -eq 0 ] || diag "$(grep -A15 'definitely lost in\|Open file descriptor' "$VG" | head -60)"
is "$(sqlite3 "$AURA_DATA_DIR/aura.db" "select state from jobs where id = $LAST;")" queued "the job running at shutdown is queued again"
done_testing
