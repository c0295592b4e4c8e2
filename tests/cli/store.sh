#!/bin/sh
# tests/cli/store.sh -- the store stays the truth (doc/stability.md): a state
# a client sees is in aura.db. With the real server, real FFmpeg and a real
# SQLite file:
#  - another process holds aura.db's write lock while a job ends: nothing is
#    announced until it is saved, the loop does not freeze, no job starts,
#    changes are refused (no crash), and the server catches up after;
#  - the data directory's disk fills up (a small tmpfs) while a job ends:
#    the same, with DISK_FULL;
#  - a job that takes the server down with it (kill -9 in each attempt)
#    ends failed with SERVER_CRASHED_DURING_JOB, never past max_attempts;
#  - a 0-byte aura.db beside earlier jobs' work directories is refused
#    (STORE_EMPTY), doctor says so, and --accept-empty-store begins a new
#    store whose ids never reuse a directory's.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"
command -v sqlite3 >/dev/null 2>&1 || skip_all "the sqlite3 program is not installed"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"

WORK="$T_TMP/work"
mkdir -p "$WORK" "$XDG_CONFIG_HOME/aura"
cd "$WORK" || exit 1
CONF="$XDG_CONFIG_HOME/aura/aura.ini"
MARK="aura-store-$$"

conf() {
	{
		echo "[general]"
		echo "log_level = debug"
		echo "[server]"
		for kv in "$@"; do echo "$kv"; done
	} >"$CONF"
}
db() { echo "$AURA_DATA_DIR/aura.db"; }
saved_state() { sqlite3 "$(db)" "select state from jobs where id = $1"; }
store_code() { aura ls --json 2>/dev/null | jq -r '.store.code // "ok"'; }
store_code_is() { [ "$(store_code)" = "$1" ]; }
job_logged() { grep -q "$2" "$AURA_DATA_DIR/jobs/$1/job.log" 2>/dev/null; }
# A job that runs in real time for $2 seconds, writing $1.
slow_job() {
	aura submit -o "$1" -- -re -f lavfi -i "testsrc=d=$2:s=160x120:r=10" -metadata "comment=$MARK" \
		-c:v mpeg4 -y "$1"
}
quick_job() {
	aura submit -o "$1" -- -f lavfi -i "testsrc=d=1:s=160x120:r=10" -c:v mpeg4 -y "$1"
}


# --- 1, 2: the write lock held by another process while a job ends ----------------
conf "max_jobs = 1"
start || { not_ok "the server starts"; done_testing; exit 1; }
j1=$(slow_job "$WORK/a.mkv" 3)
j2=$(quick_job "$WORK/b.mkv")
wait_for 30 is_state "$j1" running || diag "job $j1 never ran: $(aura show "$j1")"
hold_lock
ok "another process holds the write lock"
aura wait "$j1" >"$T_TMP/wait.out" 2>&1 &
WAITER=$!
wait_for 60 job_logged "$j1" "job succeeded"
ok "the job's FFmpeg finished while the lock is held"
wait_for 30 store_code_is STORE_BUSY
is "$(store_code)" STORE_BUSY "ls reports that the store cannot be written (STORE_BUSY)"
run aura ls
like "$ERR" "cannot write its store.*STORE_BUSY" "ls says so on stderr"
like "$ERR" "^aura: warning: .*: STORE_BUSY: $(aura explain STORE_BUSY | sed -n 's/^STORE_BUSY: //p')" \
	"...in the catalogue's words"
is "$(saved_state "$j1")" running "aura.db still says running: the end is not saved"
is "$(state_of "$j1")" running "show tells what is saved, not the unsaved end"
if kill -0 "$WAITER" 2>/dev/null; then ok "wait has not announced an unsaved state"; else
	not_ok "wait has not announced an unsaved state"; diag "$(cat "$T_TMP/wait.out")"; fi
run aura pause "$j1"
like "$RC $ERR" "^[1-9].*STORE_BUSY" "pause is refused with STORE_BUSY while the store cannot be written"
run aura cancel "$j1"
like "$RC $ERR" "^[1-9].*STORE_BUSY" "cancel is refused the same way"
server_alive && ok "the server lives on (no run-less job is acted on)" || not_ok "the server lives on"
run aura submit -o "$WORK/c.mkv" -- -f lavfi -i "testsrc=d=1" "$WORK/c.mkv"
like "$RC $ERR" "^[1-9].*STORE_BUSY" "a submit is refused, nothing is lost"
is "$(state_of "$j2")" queued "no job starts while the store cannot be written"
run aura doctor
like "$OUT" "server .*cannot write its store" "doctor reports it"
release_lock
wait_for 60 store_code_is ok
is "$(store_code)" ok "the store is writable again"
wait "$WAITER"
is $? 0 "wait ends once the end is saved"
like "$(cat "$T_TMP/wait.out")" "succeeded" "wait says succeeded"
is "$(saved_state "$j1")" succeeded "aura.db has the job's end"
wait_for 60 is_state "$j2" succeeded
is "$(state_of "$j2")" succeeded "the queued job starts after the catch-up"
test -s "$WORK/a.mkv" && ok "the first job's output is there" || not_ok "the first job's output is there"
grep -q "store: writable again" "$AURA_DATA_DIR/logs/aura.log" &&
	ok "aura.log tells the catch-up" || not_ok "aura.log tells the catch-up"
stop
is $? 0 "the server stops cleanly"

# --- 1: the data directory's disk is full when a job ends -------------------------
SMALL="$T_TMP/small"
mkdir -p "$SMALL"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=8m tmpfs "$SMALL" 2>/dev/null; then
	OLD_DATA=$AURA_DATA_DIR
	export AURA_DATA_DIR="$SMALL/data"
	start || not_ok "the server starts on the small tmpfs"
	j=$(slow_job "$WORK/d.mkv" 3)
	wait_for 30 is_state "$j" running
	dd if=/dev/zero of="$SMALL/filler" bs=64k >/dev/null 2>&1
	wait_for 60 store_code_is DISK_FULL
	is "$(store_code)" DISK_FULL "a full disk: ls reports DISK_FULL"
	wait_for 60 eval '! pgrep -f '"$MARK"
	is "$(saved_state "$j")" running "a full disk: aura.db still says running after FFmpeg ended"
	server_alive && ok "a full disk: the server lives on" || not_ok "a full disk: the server lives on"
	rm -f "$SMALL/filler"
	wait_for 60 eval '[ "$(saved_state "$j")" = succeeded ]'
	is "$(saved_state "$j")" succeeded "a full disk: the end is saved once there is room"
	is "$(store_code)" ok "a full disk: the store is writable again"
	stop
	export AURA_DATA_DIR="$OLD_DATA"
	umount "$SMALL"
else
	for d in "ls reports DISK_FULL" "aura.db still says running after FFmpeg ended" \
		"the server lives on" "the end is saved once there is room" "the store is writable again"; do
		ok "a full disk: $d # SKIP mount -t tmpfs is not permitted here"
	done
fi

# --- 3: a job that takes the server down in each attempt --------------------------
conf "max_jobs = 1" "max_attempts = 2"
start
j=$(slow_job "$WORK/e.mkv" 120)
crash_while_running() { # ATTEMPT
	wait_for 30 is_state "$j" running
	wait_for 30 test "$(sqlite3 "$(db)" "select attempts from jobs where id = $j")" = "$1"
	p=$(server_pid)
	kill -KILL "$p"
	wait_for 30 eval '! kill -0 '"$p"
	rm -f "$AURA_DATA_DIR/aura.pid"
}
crash_while_running 1
start
crash_while_running 2
start
is "$(state_of "$j") $(code_of "$j")" "failed SERVER_CRASHED_DURING_JOB" \
	"after max_attempts crashes the job fails with SERVER_CRASHED_DURING_JOB"
is "$(sqlite3 "$(db)" "select attempts from jobs where id = $j")" 2 "its attempts never pass max_attempts"
like "$(aura logs "$j")" "the server stopped while the job was running, in attempt 2 of 2: failed" \
	"its log says why"
wait_for 30 eval '! pgrep -f '"$MARK"
if pgrep -f "$MARK" >/dev/null; then not_ok "no FFmpeg of the crashed runs is left"; else
	ok "no FFmpeg of the crashed runs is left"; fi
stop

# --- 4: a 0-byte aura.db beside earlier jobs ---------------------------------------
conf
start
ids=$(sqlite3 "$(db)" "select max(id) from jobs")
stop
: >"$(db)"
rm -f "$(db)-wal" "$(db)-shm"
run "$AURA_BIN" serve --daemon
is "$RC" 5 "a 0-byte aura.db beside work directories: serve refuses (exit 5)"
like "$ERR" "STORE_EMPTY.*aura.db holds no job.*jobs holds [0-9]+ job work director" \
	"the error names the empty store and the work directories"
server_alive && not_ok "no server runs" || ok "no server runs"
run aura doctor
like "$OUT" "FAIL +store .*holds no job" "doctor reports the empty store"
is "$RC" 5 "doctor fails with it"
start --accept-empty-store || not_ok "--accept-empty-store starts the server"
n=$(quick_job "$WORK/f.mkv")
[ "$n" -gt "$ids" ] && ok "new ids start after the directories' ($n > $ids)" ||
	not_ok "new ids start after the directories' ($n > $ids)"
stop

done_testing
