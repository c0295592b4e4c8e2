#!/bin/sh
# priority.sh -- `aura priority ID N` changes a queued job's priority and the
# scheduler's next pick follows it (a pool held at max_jobs keeps the jobs
# queued, without sleeps); a running or finished job is refused with
# JOB_BAD_STATE (exit 2); a bad N is a USAGE error.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"

WORK="$T_TMP/work"
mkdir -p "$WORK" "$XDG_CONFIG_HOME/aura"
cd "$WORK" || exit 1
printf '[server]\nmax_jobs = 1\n' >"$XDG_CONFIG_HOME/aura/aura.ini"

for bad in x 1.5 2000000 -2000000 ''; do
	run aura priority 1 "$bad"
	is "$RC" 2 "priority 1 '$bad': exit 2"
	like "$ERR" "USAGE" "priority 1 '$bad' is a USAGE error"
done
run aura priority 0 3
is "$RC" 2 "priority of job 0: exit 2"

start || { not_ok "the server starts"; done_testing; exit 1; }
forever() { aura submit --name "$1" -- -f lavfi -re -i "testsrc=size=64x48:rate=5" -f null -; }

BLOCK=$(forever block)
wait_for 10 is_state "$BLOCK" running && ok "the blocker runs" || not_ok "the blocker runs"
A=$(forever a)
B=$(forever b)
C=$(forever c)
run aura priority "$C" 10
is "$RC" 0 "priority of a queued job: exit 0"
is "$OUT" "$C priority 10" "it says the new priority"
run aura priority --json "$B" -5
is "$(printf '%s' "$OUT" | jq -r .job.priority)" -5 "a negative priority (after the id) is no option"
is "$(aura show --json "$C" | jq -r .job.priority)" 10 "show has the new priority"

aura cancel "$BLOCK" >/dev/null
wait_for 10 is_state "$C" running && ok "the job raised to 10 starts first" ||
	not_ok "the job raised to 10 starts first"
is "$(state_of "$A")" queued "the earlier job of priority 0 waits"
aura priority "$A" -10 >/dev/null
aura cancel "$C" >/dev/null
wait_for 10 is_state "$B" running && ok "then -5 starts before the job lowered to -10" ||
	not_ok "then -5 starts before the job lowered to -10"
is "$(state_of "$A")" queued "the job lowered to -10 waits"

run aura priority "$B" 3
is "$RC" 2 "priority of a running job: exit 2"
like "$ERR" "JOB_BAD_STATE.*job $B is running: only a queued job's priority can change" \
	"a running job is refused with JOB_BAD_STATE"
run aura priority "$C" 3
is "$RC" 2 "priority of a cancelled job: exit 2"
like "$ERR" "JOB_BAD_STATE.*is cancelled" "a finished job is refused"
run aura priority 999 3
like "$ERR" "JOB_NOT_FOUND" "an unknown job: JOB_NOT_FOUND"

aura cancel --all >/dev/null
stop
done_testing
