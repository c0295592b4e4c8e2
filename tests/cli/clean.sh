#!/bin/sh
# clean.sh -- `aura clean` removes finished jobs (succeeded, failed,
# cancelled) in one request, as rm does each (record and work directory,
# never the output), and never a queued or running one; --state,
# --older-than and --batch narrow it; a bad age is a USAGE error.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"

WORK="$T_TMP/work"
mkdir -p "$WORK" "$XDG_CONFIG_HOME/aura"
cd "$WORK" || exit 1
cat >"$XDG_CONFIG_HOME/aura/aura.ini" <<'INI'
[server]
max_jobs = 1
INI

# --- a bad age: USAGE before anything is sent ------------------------------------------
for bad in 7 d 7x 7dd -7d 1.5h 99999999999999999999d ''; do
	run aura clean --older-than "$bad"
	is "$RC" 2 "clean --older-than '$bad': exit 2"
	like "$ERR" "USAGE.*30m, 12h or 7d" "clean --older-than '$bad' says what an age is"
done
if server_alive; then not_ok "no server was started for a usage error"; else ok "no server was started for a usage error"; fi
run aura clean --state queued
is "$RC" 2 "clean --state queued: exit 2 (clean only takes finished states)"

start || { not_ok "the server starts"; done_testing; exit 1; }

quick() { aura submit --name "$1" -o "$WORK/$1.mkv" -- -f lavfi -i "testsrc=duration=0.2:size=64x48:rate=5" "$WORK/$1.mkv"; }
forever() { aura submit --name "$1" -- -f lavfi -re -i "testsrc=size=64x48:rate=5" -f null -; }
bad() { aura submit --name "$1" -- -f lavfi -i "nosuchsource" -f null -; }

S1=$(quick s1)
F1=$(bad f1)
wait_for 20 terminal "$F1" || not_ok "the failing job ends"
wait_for 20 terminal "$S1" || not_ok "the quick job ends"
R=$(forever r)
wait_for 10 is_state "$R" running || not_ok "a job runs"
Q=$(forever q)
C=$(forever c)
aura cancel "$C" >/dev/null
is "$(state_of "$S1") $(state_of "$F1") $(state_of "$C")" "succeeded failed cancelled" \
	"one job of each finished state"
[ -d "$AURA_DATA_DIR/jobs/$S1" ] && ok "the succeeded job has its work directory" ||
	not_ok "the succeeded job has its work directory"

# --- --older-than: none is that old ---------------------------------------------------
run aura clean --older-than 1d
is "$RC" 0 "clean --older-than 1d: exit 0"
is "$OUT" "0 finished jobs removed (records and work directories; outputs are kept)" \
	"nothing finished a day ago"

# --- --state ----------------------------------------------------------------------------
run aura clean --json --state failed,cancelled
is "$RC" 0 "clean --state failed,cancelled: exit 0"
is "$(printf '%s' "$OUT" | jq -c '[.removed, (.ids | sort)]')" "[2,[$F1,$C]]" \
	"--json names the removed ids and their count"
is "$(state_of "$S1")" succeeded "the succeeded job stays"

# --- everything finished; never queued or running ---------------------------------------
run aura clean
is "$RC" 0 "clean: exit 0"
is "$OUT" "1 finished job removed (records and work directories; outputs are kept)" \
	"clean says how many it removed"
run aura show "$S1"
like "$ERR" "JOB_NOT_FOUND" "the succeeded job's record is gone"
[ -d "$AURA_DATA_DIR/jobs/$S1" ] && not_ok "its work directory is gone" || ok "its work directory is gone"
[ -s "$WORK/s1.mkv" ] && ok "its output is kept" || not_ok "its output is kept"
is "$(state_of "$R") $(state_of "$Q")" "running queued" "running and queued jobs are untouched"

# --- --batch ----------------------------------------------------------------------------
aura cancel "$R" "$Q" >/dev/null
printf '%s\n' '{"kind":"ffmpeg","args":"-f lavfi -i testsrc=size=32x24:rate=5 -t 0.2 -f null -","name":"one"}' \
	'{"kind":"ffmpeg","args":"-f lavfi -i testsrc=size=32x24:rate=5 -t 0.3 -f null -","name":"two"}' >rows.jsonl
aura batch --name b1 rows.jsonl >/dev/null || not_ok "a batch is queued"
wait_for 20 sh -c "[ \"\$(\"$AURA_BIN\" ls --json --batch b1 | jq -r '[.jobs[] | select(.state == \"succeeded\")] | length')\" = 2 ]" ||
	not_ok "the batch ends"
run aura clean --batch b1
is "$OUT" "2 finished jobs removed (records and work directories; outputs are kept)" \
	"clean --batch removes only the batch's jobs"
is "$(aura ls --json | jq -r '.total')" 2 "the two cancelled jobs outside the batch stay"
run aura clean --batch nosuch
is "$RC" 2 "clean --batch of an unknown batch: exit 2"

stop
done_testing
