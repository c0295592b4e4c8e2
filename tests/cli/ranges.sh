#!/bin/sh
# ranges.sh -- the job verbs take ranges and lists (3-9, 3,5,7, 1,4-6, several
# arguments), --all and --state; bad ranges are USAGE errors (exit 2) before
# anything is sent; on a partial failure the others are acted on, each
# failing id is reported on stderr and the exit status is the first
# failure's (doc/cli.md). rm --all removes only finished jobs.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"

WORK="$T_TMP/work"
mkdir -p "$WORK" "$XDG_CONFIG_HOME/aura"
cd "$WORK" || exit 1
# one slot: the first job runs, the rest stay queued without sleeps
cat >"$XDG_CONFIG_HOME/aura/aura.ini" <<'INI'
[server]
max_jobs = 1
INI
start || { not_ok "the server starts"; done_testing; exit 1; }

forever() { aura submit --name "$1" -- -f lavfi -re -i "testsrc=size=64x48:rate=5" -f null -; }
quick() { aura submit --name "$1" -- -f lavfi -i "testsrc=duration=0.2:size=64x48:rate=5" -f null -; }

# --- bad ranges: USAGE, exit 2, nothing sent ----------------------------------------
run aura cancel -3
is "$RC" 2 "cancel -3 (an option to getopt): exit 2"
for bad in 9-3 0 0-3 3- 3,,5 x 1-99999999999999999999 99999999999999999999 1-200000 '3 5'; do
	run aura cancel "$bad"
	is "$RC" 2 "cancel '$bad' is a usage error (exit 2)"
	like "$ERR" "USAGE" "cancel '$bad' names the catalogue's USAGE error"
done
run aura rm --all 3
is "$RC" 2 "ids and --all together: exit 2"
run aura rm --state running
is "$RC" 2 "rm --state running (not a state rm takes): exit 2"
like "$ERR" "queued, succeeded, failed, cancelled" "the error names the states rm takes"

# --- a range and lists ------------------------------------------------------------------
R=$(forever r)
wait_for 10 is_state "$R" running || not_ok "the first job runs"
Q1=$(forever q1)
Q2=$(forever q2)
Q3=$(forever q3)
Q4=$(forever q4)
run aura cancel "$Q1-$Q2" "$Q4"
is "$RC" 0 "cancel A-B C: exit 0"
is "$OUT" "$Q1 cancelled
$Q2 cancelled
$Q4 cancelled" "a line per job, in id order"
is "$(state_of "$Q3")" queued "the id outside the range and list is untouched"
run aura wait "$Q1-$Q2"
is "$RC" 1 "wait on a range of cancelled jobs: exit 1"
like "$OUT" "^$Q1 cancelled" "wait takes a range: the first"
like "$OUT" "
$Q2 cancelled" "wait takes a range: the second"

# --- partial failure: the others go on, the failed one on stderr ------------------------
run aura retry "$Q1,$Q3"
is "$RC" 2 "retry of a list where one is queued: exit 2 (JOB_BAD_STATE's status)"
is "$OUT" "$Q1 queued" "the retryable one is queued again"
like "$ERR" "job $Q3 is queued" "the refused one is named with its reason on stderr"
run aura cancel --json "$Q1,$Q3"
is "$RC" 0 "cancel --json of a list: exit 0"
is "$(printf '%s' "$OUT" | jq -c '[.results[] | [.id, .ok, .job.state]]')" \
	"[[$Q1,true,\"cancelled\"],[$Q3,true,\"cancelled\"]]" "--json gives a result per id"

# --- --state and --all --------------------------------------------------------------------
Q5=$(forever q5)
run aura rm --all
is "$RC" 0 "rm --all: exit 0"
is "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" 4 "rm --all removed the four finished jobs"
is "$(state_of "$Q5")" queued "rm --all leaves a queued job"
is "$(state_of "$R")" running "rm --all leaves a running job"
run aura pause --all
is "$RC" 0 "pause --all: exit 0"
is "$OUT" "$R paused" "pause --all pauses the running job"
run aura resume --state paused
is "$OUT" "$R running" "resume --state paused resumes it"
run aura cancel --all
is "$RC" 0 "cancel --all: exit 0"
is "$(aura ls --json | jq -r '[.jobs[] | select(.state != "cancelled")] | length')" 0 \
	"cancel --all cancelled every queued and running job"
run aura rm --state queued
is "$OUT" "" "rm --state queued with none queued does nothing"
is "$RC" 0 "and exits 0"

# --- rm of a range with a missing id: the rest are removed ----------------------------------
D=$(quick d)
wait_for 10 terminal "$D" || not_ok "the quick job ends"
run aura rm "$R-$D"
like "$ERR" "JOB_NOT_FOUND" "ids already removed are reported"
is "$(aura ls --json | jq -r .total)" 0 "every job in the range that existed is removed"

# --- retry --force: a succeeded job runs again -------------------------------------------
S=$(quick s)
wait_for 10 terminal "$S" || not_ok "the quick job ends"
is "$(state_of "$S")" succeeded "a job succeeded"
run aura retry "$S"
is "$RC" 2 "retry of a succeeded job without --force: exit 2"
like "$ERR" "JOB_BAD_STATE.*job $S is succeeded.*retry --force $S" "the refusal names --force"
run aura retry --force "$S"
is "$RC" 0 "retry --force of a succeeded job: exit 0"
is "$OUT" "$S queued" "it is queued again"
wait_for 10 terminal "$S" || not_ok "it runs again"
is "$(state_of "$S")" succeeded "and succeeds again"
is "$(aura show --json "$S" | jq -r .job.attempts)" 2 "a new attempt"
run aura retry --batch 1 --failed --force
is "$RC" 2 "--force with --batch: exit 2"

stop
done_testing
