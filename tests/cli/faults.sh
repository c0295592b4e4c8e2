#!/bin/sh
# tests/cli/faults.sh -- fault injection against the real server, real
# FFmpeg and real SQLite files: kill -9 of the server at random moments over
# rounds of a mixed workload (no orphan FFmpeg, no lost job, an intact
# database, every job terminal in the end), a full disk (DISK_FULL, no
# partial output), FFmpeg that crashes, fails or hangs, the database locked
# by another process (STORE_BUSY, then recovery) and a read-only data dir.
#
# FAULT_ROUNDS=N sets the kill -9 rounds (8 by default; the long form is
#   make check TESTS=tests/cli/faults.sh FAULT_ROUNDS=50
# and FAULT_SEED=N replays a run's random kill moments).
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"
command -v sqlite3 >/dev/null 2>&1 || skip_all "the sqlite3 program is not installed"

ROUNDS=${FAULT_ROUNDS:-8}
SEED=${FAULT_SEED:-$$}
diag "rounds $ROUNDS, seed $SEED (FAULT_SEED=$SEED replays the kill moments)"
WORK="$T_TMP/work"
mkdir -p "$WORK" "$XDG_CONFIG_HOME/aura"
cd "$WORK" || exit 1
PIDF="$AURA_DATA_DIR/aura.pid"
DB="$AURA_DATA_DIR/aura.db"
CONF="$XDG_CONFIG_HOME/aura/aura.ini"
# Every FFmpeg this file starts carries the marker in its arguments, so an
# orphan is found by it and nothing else on the machine is matched.
MARK="aura-fault-$$"
FAKE="$AURA_BUILDDIR/tests/fixtures/fake-ffmpeg"
SHIM="$AURA_BUILDDIR/tests/fixtures/enospc-shim.so"

# conf [SERVER-KEYS...] [ffmpeg=PROGRAM]: the config of the next server.
conf() {
	{
		echo "[general]"
		echo "log_level = debug"
		echo "[ffmpeg]"
		echo "ffmpeg = ${FFMPEG_PROG:-}"
		echo "[server]"
		for kv in "$@"; do echo "$kv"; done
	} >"$CONF"
}

no_marker() { ! pgrep -f "$1" >/dev/null; }
all_terminal() {
	[ "$(sqlite3 "$DB" "select count(*) from jobs where state not in ('succeeded','failed','cancelled');" 2>/dev/null)" = 0 ]
}
integrity() { sqlite3 "$DB" 'PRAGMA integrity_check;' 2>&1; }

# A random number in [0, $1): awk's rand with the run's seed, reproducible.
RNG_N=0
rnd() {
	RNG_N=$((RNG_N + 1))
	awk -v s="$SEED" -v n="$RNG_N" -v m="$1" 'BEGIN { srand(s); for (i = 0; i < n; i++) r = rand(); print int(r * m) }'
}

# --- kill -9 at random moments over rounds of a mixed workload ----------------
# A job killed with the server is queued again with its attempts kept, so
# many rounds must not exhaust its retries: max_attempts is high here.
conf "max_jobs = 4" "max_attempts = 20" "retry_backoff = 1" "stall_timeout = 10"
IDS=""
GOOD=""
BAD=""
orphans=0 lost=0 corrupt=0
for r in $(seq "$ROUNDS"); do
	start || { not_ok "round $r: the server starts"; break; }
	# Realtime encodes (they run when the kill comes), one that fails, one
	# to /dev/null that is cancelled at a random moment.
	a=$(aura submit --name "a$r" -o "a-$MARK-$r.mkv" -- -re -f lavfi -i "testsrc=d=2:s=64x48:r=10" -c:v mpeg4 "a-$MARK-$r.mkv")
	b=$(aura submit --name "b$r" -- -f lavfi -i "testsrc=d=1:s=64x48:r=10" -c:v no_such_encoder "b-$MARK-$r.mkv")
	c=$(aura submit --name "c$r" -- -re -f lavfi -i "testsrc=d=3:s=64x48:r=10" -metadata "comment=c-$MARK-$r" -f null -)
	IDS="$IDS $a $b $c"
	GOOD="$GOOD $a"
	BAD="$BAD $b"
	# The kill comes 0 to 1.5 s in (the injected fault's moment, not a wait).
	sleep "$(awk -v m="$(rnd 1500)" 'BEGIN { printf "%.3f", m / 1000 }')"
	[ "$(rnd 2)" = 1 ] && aura cancel "$c" >/dev/null 2>&1
	p=$(server_pid)
	kill -KILL "$p"
	wait_for 5 eval '! kill -0 '"$p"
	# PDEATHSIG takes the children down with the server: no orphan.
	if ! wait_for 5 no_marker "$MARK"; then
		orphans=$((orphans + 1))
		diag "round $r: orphan FFmpeg: $(pgrep -af "$MARK")"
		pkill -KILL -f "$MARK"
	fi
	[ "$(integrity)" = ok ] || { corrupt=$((corrupt + 1)); diag "round $r: integrity_check: $(integrity)"; }
	n=$(echo $IDS | wc -w)
	have=$(sqlite3 "$DB" "select count(*) from jobs where id in ($(echo $IDS | tr ' ' ','));")
	[ "$have" = "$n" ] || { lost=$((lost + n - have)); diag "round $r: $have of $n jobs in the store"; }
done
is "$orphans" 0 "kill -9 x $ROUNDS: no orphan FFmpeg after any kill"
is "$corrupt" 0 "kill -9 x $ROUNDS: PRAGMA integrity_check ok after every kill"
is "$lost" 0 "kill -9 x $ROUNDS: every submitted job is still in the store"
start
is $? 0 "a server starts over the killed one's leftovers"
# The survivors are realtime encodes (2 to 3 s each, 4 at once).
wait_for $((30 + ROUNDS * 2)) all_terminal
is $? 0 "every job becomes terminal after the last restart"
all_terminal || diag "$(sqlite3 "$DB" "select id, state, attempts from jobs where state not in ('succeeded','failed','cancelled');" | head)"
bad_good=""
for j in $GOOD; do
	is_state "$j" succeeded && [ -s "$(aura show --json "$j" | jq -r .job.output)" ] || bad_good="$bad_good $j:$(state_of "$j")"
done
is "$bad_good" "" "every interrupted encode succeeds in the end, with its output"
bad_bad=""
for j in $BAD; do [ "$(code_of "$j")" = FFMPEG_UNKNOWN_ENCODER ] || bad_bad="$bad_bad $j:$(code_of "$j")"; done
is "$bad_bad" "" "every failing job fails with its own error, not a recovery artefact"
is "$(integrity)" ok "the database is intact at the end"
stop
is $? 0 "the server stops cleanly after the rounds"

# --- ENOSPC: a full disk -----------------------------------------------------------
# A small tmpfs where mounting is permitted (root), and an LD_PRELOAD shim
# in FFmpeg always (it works unprivileged). Either way: DISK_FULL, not
# retried to death (max_attempts = 1), and no partial output left.
conf "max_jobs = 2" "max_attempts = 1"
enospc_job() { # DIR DESC
	out="$1/big-$MARK.mkv"
	start
	j=$(aura submit --name full -o "$out" -- -f lavfi -i "testsrc=d=10:s=320x240:r=25" -c:v mpeg4 -q:v 1 "$out")
	wait_for 30 terminal "$j"
	is "$(state_of "$j") $(code_of "$j")" "failed DISK_FULL" "$2: the job fails with DISK_FULL"
	[ -e "$out" ] && { not_ok "$2: no partial output remains"; diag "$(ls -l "$out")"; } ||
		ok "$2: no partial output remains"
	like "$(aura show "$j")" 'No space left on device|no space' "$2: show gives FFmpeg's words"
	stop
}
mkdir -p "$T_TMP/tmpfs"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=256k tmpfs "$T_TMP/tmpfs" 2>/dev/null; then
	enospc_job "$T_TMP/tmpfs" "tmpfs of 256 KiB"
	umount "$T_TMP/tmpfs"
else
	ok "tmpfs of 256 KiB: the job fails with DISK_FULL # SKIP mount -t tmpfs is not permitted here"
	ok "tmpfs of 256 KiB: no partial output remains # SKIP mount -t tmpfs is not permitted here"
	ok "tmpfs of 256 KiB: show gives FFmpeg's words # SKIP mount -t tmpfs is not permitted here"
fi
if [ -f "$SHIM" ]; then
	mkdir -p "$T_TMP/full"
	cat >"$T_TMP/ffmpeg" <<EOF
#!/bin/sh
AURA_ENOSPC_DIR='$T_TMP/full' AURA_ENOSPC_BYTES=100000 LD_PRELOAD='$SHIM' exec ffmpeg "\$@"
EOF
	chmod +x "$T_TMP/ffmpeg"
	FFMPEG_PROG="$T_TMP/ffmpeg" conf "max_jobs = 2" "max_attempts = 1"
	enospc_job "$T_TMP/full" "LD_PRELOAD ENOSPC shim"
else
	not_ok "the ENOSPC shim was built ($SHIM)"
fi

# --- FFmpeg crashing, failing, hanging (tests/fixtures/fake-ffmpeg) -------------------
FFMPEG_PROG="$FAKE" conf "max_jobs = 4" "max_attempts = 1" "stall_timeout = 5"
start
cr=$(aura submit --name crash -- --crash --duration-ms 300 -f lavfi -i "testsrc=d=1" -f null "crash-$MARK")
nz=$(aura submit --name nonzero -- --exit 1 --stderr "Conversion failed!" --duration-ms 200 -f lavfi -i "testsrc=d=1" -f null "nz-$MARK")
hg=$(aura submit --name hang -- --hang -f lavfi -i "testsrc=d=1" -f null "hang-$MARK")
wait_for 10 terminal "$cr"
is "$(state_of "$cr") $(code_of "$cr")" "failed FFMPEG_KILLED" "FFmpeg dying by SIGSEGV fails the job with FFMPEG_KILLED"
like "$(aura show "$cr")" 'signal 11|SIGSEGV|Segmentation' "... and show names the signal"
wait_for 10 terminal "$nz"
is "$(state_of "$nz") $(code_of "$nz")" "failed FFMPEG_FAILED" "FFmpeg exiting 1 fails the job with FFMPEG_FAILED"
like "$(aura show "$nz")" 'Conversion failed' "... and show gives its last words"
wait_for 25 terminal "$hg"
is "$(state_of "$hg") $(code_of "$hg")" "failed JOB_STALLED" "FFmpeg that hangs is stopped as JOB_STALLED after stall_timeout"
wait_for 10 no_marker "hang-$MARK"
is $? 0 "... and the hung FFmpeg is gone"
server_alive && ok "the server survives crashing, failing and hanging FFmpeg" || not_ok "the server survives crashing, failing and hanging FFmpeg"
stop

# --- the database locked by another process ----------------------------------------------
conf "max_jobs = 2" "max_attempts = 1"
start
mkfifo "$T_TMP/sqlin"
sqlite3 "$DB" <"$T_TMP/sqlin" >"$T_TMP/sqlout" 2>&1 &
SQL_PID=$!
exec 3>"$T_TMP/sqlin"
printf "BEGIN EXCLUSIVE;\nSELECT 'locked';\n" >&3
locked() { grep -q locked "$T_TMP/sqlout"; }
wait_for 10 locked
is $? 0 "another process holds the database with BEGIN EXCLUSIVE"
run aura submit --name locked -- -f lavfi -i "testsrc=d=1:s=64x48" -f null -
is "$RC" 5 "submit while the database is locked exits 5"
like "$ERR" 'STORE_BUSY' "... with STORE_BUSY"
like "$ERR" 'locked by another process' "... and says the database is locked by another process"
server_alive && ok "the server survives the locked database" || not_ok "the server survives the locked database"
printf "COMMIT;\n" >&3
exec 3>&-
wait "$SQL_PID"
run aura submit --name unlocked -- -f lavfi -i "testsrc=d=1:s=64x48" -f null -
is "$RC" 0 "once the lock is released a submit succeeds"
run aura wait "$OUT"
is "$RC" 0 "... and its job runs to success"
stop

# --- a read-only data directory --------------------------------------------------------------
# As root permissions do not bind, so the check runs as nobody (setpriv);
# as anyone else the directory is made read-only for us.
RO="$(mktemp -d /tmp/aura-ro.XXXXXX)"
chmod 755 "$RO"
mkdir -p "$RO/data" "$RO/home" "$RO/run"
ro_run() {
	if [ "$(id -u)" = 0 ]; then
		chown nobody "$RO/home" "$RO/run"
		chmod 700 "$RO/run"
		setpriv --reuid=nobody --regid=nogroup --clear-groups \
			env HOME="$RO/home" XDG_CONFIG_HOME="$RO/home" XDG_RUNTIME_DIR="$RO/run" \
			AURA_DATA_DIR="$RO/data" "$AURA_BIN" "$@"
	else
		chmod 555 "$RO/data"
		AURA_DATA_DIR="$RO/data" "$AURA_BIN" "$@"
	fi
}
chmod 555 "$RO/data"
if [ "$(id -u)" = 0 ] && ! setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$AURA_BIN" 2>/dev/null; then
	ok "a read-only data dir is DATA_DIR # SKIP nobody cannot run $AURA_BIN here"
else
	run ro_run serve
	is "$RC" 3 "serve on a read-only data dir exits 3"
	like "$ERR" 'DATA_DIR' "... with DATA_DIR"
	like "$ERR" "$RO/data" "... naming the directory"
fi
rm -rf "$RO"

done_testing
