#!/bin/sh
# retention.sh -- [retention] (doc/retention.md): keep_jobs prunes the
# oldest finished jobs' work directories as jobs end (records, outputs and
# the newest ones kept; a link's target and an output inside the directory
# untouched); keep_days prunes by age at start-up (finished times aged in
# the real store with sqlite3 while the server is stopped) and by hand
# (`aura clean --retention`, --dry-run first); queued, running and paused
# jobs are never touched; `aura show` and `aura logs` of a pruned job;
# keep_records removes old records; max_job_log caps job.log; the -wal file
# is checkpointed when idle; an idle server with nothing due sleeps
# without a timer.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"
command -v sqlite3 >/dev/null 2>&1 || skip_all "sqlite3 is not installed (./bootstrap installs it)"

WORK="$T_TMP/work"
DB="$AURA_DATA_DIR/aura.db"
INI="$XDG_CONFIG_HOME/aura/aura.ini"
mkdir -p "$WORK" "$XDG_CONFIG_HOME/aura"
cd "$WORK" || exit 1
config() { # keep_jobs keep_days keep_records
	printf '[server]\nmax_jobs = 3\n[retention]\nkeep_jobs = %s\nkeep_days = %s\nkeep_records = %s\nmax_job_log = 16K\n' \
		"$1" "$2" "$3" >"$INI"
}
config 3 14 0

quick() { aura submit --name "$1" -o "$2" -- -f lavfi -i "testsrc=duration=0.2:size=64x48:rate=5" -y "$2"; }
forever() { aura submit --name "$1" -- -f lavfi -re -i "testsrc=size=64x48:rate=5" -f null -; }
dir() { echo "$AURA_DATA_DIR/jobs/$1"; }
gone() { [ ! -e "$(dir "$1")" ]; }
pruned_ms() { aura show --json "$1" | jq -r '.job.pruned_ms // 0'; }
is_pruned() { [ "$(pruned_ms "$1")" -gt 0 ]; }
# run a quick job to its end; prints its id
one() {
	_id=$(quick "$1" "$2") || return 1
	wait_for 20 terminal "$_id" || return 1
	echo "$_id"
}

start || { not_ok "the server starts"; done_testing; exit 1; }

# a running and a paused job all along: retention never touches them
R=$(forever running)
P=$(forever paused)
wait_for 10 is_state "$R" running && wait_for 10 is_state "$P" running || not_ok "two jobs run"
aura pause "$P" >/dev/null
wait_for 10 is_state "$P" paused || not_ok "one is paused"

# --- keep_jobs = 3: six jobs end one after the other ----------------------------------
# the first writes its output inside its own work directory (its id is the next one)
FIRST=$((P + 1))
INSIDE="$(dir "$FIRST")/inside.mkv"
mkdir -p "$(dir "$FIRST")" # submit checks that the output's folder exists
J1=$(one j1 "$INSIDE")
is "$J1" "$FIRST" "the first job's id was foreseen (its output is inside its work directory)"
echo precious >"$WORK/precious.txt"
ln -s "$WORK/precious.txt" "$(dir "$J1")/link"
ln -s "$WORK" "$(dir "$J1")/linkdir"
mkdir -p "$(dir "$J1")/sub/deeper"
for i in $(seq 40); do echo "$i" >"$(dir "$J1")/sub/deeper/f$i"; done
IDS="$J1"
for n in 2 3 4 5 6; do
	IDS="$IDS $(one "j$n" "$WORK/j$n.mkv")"
done
set -- $IDS
J1=$1 J2=$2 J3=$3 J4=$4 J5=$5 J6=$6
is "$#" 6 "six jobs ran"
wait_for 10 is_pruned "$J3" || not_ok "the third job is marked pruned"
is "$( (gone "$J1" || [ "$(ls "$(dir "$J1")")" = inside.mkv ]) && gone "$J2" && gone "$J3" && echo yes)" yes \
	"keep_jobs = 3: the three oldest work directories are gone"
[ -f "$INSIDE" ] && ok "... but an output inside one is kept" || not_ok "... but an output inside one is kept"
is "$(cat "$WORK/precious.txt")" precious "... a link's target is untouched"
[ -d "$WORK" ] && [ -f "$WORK/j2.mkv" ] && [ -f "$WORK/j3.mkv" ] && ok "... outputs outside the data directory are kept" ||
	not_ok "... outputs outside the data directory are kept"
for j in $J4 $J5 $J6; do [ -f "$(dir "$j")/job.log" ] || not_ok "job $j keeps its work directory"; done
ok "the newest three keep their work directories"
[ -d "$(dir "$R")" ] && [ -d "$(dir "$P")" ] && ok "the running and the paused job keep theirs" ||
	not_ok "the running and the paused job keep theirs"
is "$(state_of "$R") $(state_of "$P")" "running paused" "... and go on"
is "$(state_of "$J2")" succeeded "a pruned job's record is kept"
run aura show "$J2"
like "$OUT" "workdir .*removed by retention at [0-9]{4}-" "show says its work directory was removed by retention, and when"
run aura logs "$J2"
is "$RC" 2 "logs of a pruned job: exit 2"
like "$ERR" "JOB_PRUNED.*removed by retention" "... with JOB_PRUNED, not a crash"
[ "$(pruned_ms "$J4")" = 0 ] && ok "a kept job is not marked" || not_ok "a kept job is not marked"

# --- a pruned job retried runs again, with a work directory of its own ------------------
run aura retry --force "$J2"
is "$RC" 0 "a pruned job can be retried (--force: it succeeded)"
wait_for 20 terminal "$J2" || not_ok "... and ends"
is "$(state_of "$J2") $(pruned_ms "$J2")" "succeeded 0" "... runs again and is no longer marked pruned"
[ -f "$(dir "$J2")/job.log" ] && ok "... with its work directory back" || not_ok "... with its work directory back"
wait_for 10 gone "$J4" && ok "its end prunes job $J4 (the fourth newest now)" || not_ok "its end prunes job $J4 (the fourth newest now)"

# --- max_job_log (the new key) ---------------------------------------------------------
L=$(aura submit --name chatty -- -f lavfi -i "testsrc=duration=4:size=32x32:rate=100" -vf showinfo -f null -)
wait_for 30 terminal "$L" || not_ok "the chatty job ends"
SZ=$(stat -c %s "$(dir "$L")/job.log")
if [ "$SZ" -le $((16 * 1024 + 512)) ]; then ok "[retention] max_job_log caps job.log ($SZ bytes)"; else
	not_ok "[retention] max_job_log caps job.log"; diag "$SZ bytes"; fi
like "$(grep -c '^\[aura\] \[\.\.\. [0-9]* bytes cut' "$(dir "$L")/job.log")" '^1$' "... with the cut marked"
wait_for 10 gone "$J5" || not_ok "the chatty job's end pruned job $J5"

is "$(sqlite3 "$DB" 'PRAGMA auto_vacuum')" 2 "the store uses auto_vacuum = incremental"

# --- by hand: age the kept jobs while the server runs, then clean --retention ----------
OLD=$(( ($(date +%s) - 30 * 86400) * 1000 ))
sqlite3 "$DB" ".timeout 5000" "UPDATE jobs SET finished_ms = $OLD WHERE id IN ($J2, $J6, $R, $P)"
run aura clean --retention --dry-run --json
is "$RC" 0 "clean --retention --dry-run: exit 0"
is "$(printf '%s' "$OUT" | jq -c '[.dry_run, (.pruned | sort), .records_removed]')" "[true,[$J2,$J6],[]]" \
	"... lists the two aged finished jobs (not the running or paused one)"
[ -d "$(dir "$J2")" ] && [ -d "$(dir "$J6")" ] && ok "... and removes nothing" || not_ok "... and removes nothing"
run aura clean --dry-run --json --state succeeded
is "$(printf '%s' "$OUT" | jq -c '[.removed, (.ids | length)]')" "[0,7]" "clean --dry-run lists the 7 succeeded jobs, removes none"
is "$(aura ls --json | jq .total)" 9 "... every record is still there"
run aura clean --retention
is "$RC" 0 "clean --retention: exit 0"
like "$OUT" "work directories removed: 2 jobs: $J2 $J6" "... names what it prunes"
wait_for 10 gone "$J6" && gone "$J2" && ok "... and their work directories go" || not_ok "... and their work directories go"
run aura clean --retention --state failed
is "$RC" 2 "--retention with --state: a usage error"

# --- keep_days at start-up: aged while stopped ------------------------------------------
L2=$(one late1 "$WORK/late1.mkv")
stop || not_ok "the server stops"
is "$(sqlite3 "$DB" "SELECT state FROM jobs WHERE id IN ($R, $P) ORDER BY id" | tr '\n' ' ')" "queued queued " \
	"a stop puts the running and the paused job back in the queue"
sqlite3 "$DB" "UPDATE jobs SET finished_ms = $OLD WHERE id IN ($L, $L2, $R, $P)"
config 0 14 0
start || not_ok "the server starts again"
wait_for 10 gone "$L2" && gone "$L" && ok "keep_days: jobs finished 30 days ago are pruned at start-up" ||
	not_ok "keep_days: jobs finished 30 days ago are pruned at start-up"
[ -d "$(dir "$R")" ] && [ -d "$(dir "$P")" ] && ok "... never a queued one (an old finished_ms or not)" ||
	not_ok "... never a queued one (an old finished_ms or not)"

# --- the -wal file is checkpointed once the server is idle -----------------------------
walsmall() { [ "$(stat -c %s "$DB-wal" 2>/dev/null || echo 0)" -eq 0 ]; }
[ "$(stat -c %s "$DB-wal")" -gt 0 ] && ok "while a job runs the -wal file holds writes" ||
	not_ok "while a job runs the -wal file holds writes"
aura cancel "$R" "$P" >/dev/null 2>&1
wait_for 10 terminal "$R" && wait_for 10 terminal "$P" || not_ok "the long jobs are cancelled"
if wait_for 10 walsmall; then ok "... and is checkpointed to 0 bytes once the server is idle"; else
	not_ok "... and is checkpointed to 0 bytes once the server is idle"; diag "$(stat -c %s "$DB-wal") bytes"; fi

# --- keep_records = 2 --------------------------------------------------------------------
stop
config 0 14 2
start || not_ok "the server starts with keep_records = 2"
nrec() { [ "$(aura ls --json | jq .total)" -eq 2 ]; }
wait_for 10 nrec && ok "keep_records = 2: two records are left" || { not_ok "keep_records = 2: two records are left"; diag "$(aura ls)"; }
is "$(aura ls --json | jq -c '[.jobs[].id] | sort')" "[$R,$P]" "... the newest finished ones (the cancelled jobs)"
run aura show "$J5"
like "$ERR" "JOB_NOT_FOUND" "an older record is gone"
is "$(ls "$AURA_DATA_DIR/jobs" | sort -n | tr '\n' ' ')" "$R $P $FIRST " \
	"... and its work directory (the output kept inside stays), nothing else"
[ -f "$INSIDE" ] && ok "the output inside a work directory survives its record" || not_ok "the output inside a work directory survives its record"

# --- idle with nothing due: no retention timer ---------------------------------------------
stop
config 3 0 0
start || not_ok "the server starts with keep_days = 0"
wait_for 15 walsmall || not_ok "the upkeep after start-up is done"
SERVE_PID=$(server_pid)
timeout -s INT 2 strace -qq -p "$SERVE_PID" -e trace=poll,ppoll -o "$T_TMP/strace" 2>/dev/null &
ST=$!
wait_for 5 sh -c "! grep -q '^TracerPid:[[:space:]]*0\$' /proc/$SERVE_PID/status"
aura ls >/dev/null
wait "$ST"
POLLS=$(grep -c 'poll(' "$T_TMP/strace")
TIMED=$(grep 'poll(' "$T_TMP/strace" | grep -vc ', -1[) ]')
if [ "$POLLS" -ge 1 ] && [ "$TIMED" -eq 0 ]; then
	ok "idle with nothing to prune: poll() sleeps with no timeout ($POLLS polls)"
else
	not_ok "idle with nothing to prune: poll() sleeps with no timeout"
	diag "$(cat "$T_TMP/strace")"
fi

done_testing
