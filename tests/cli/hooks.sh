#!/bin/sh
# hooks.sh -- --on-done CMD and [server] on_done: run when a job ends
# (succeeded, failed, cancelled) as a child, never through a shell, with
# AURA_JOB_ID/STATE/NAME/OUTPUT (and AURA_JOB_ERROR_CODE when it did not
# succeed); its output goes to the job's log; a failing hook is logged and
# never changes the job's state; shell syntax is refused at submit.
# A hook still running after [server] on_done_timeout is stopped.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"

WORK="$T_TMP/work"
mkdir -p "$WORK" "$XDG_CONFIG_HOME/aura"
cd "$WORK" || exit 1
cat >"$XDG_CONFIG_HOME/aura/aura.ini" <<'INI'
[server]
max_attempts = 1
on_done_timeout = 2
on_done = printenv AURA_JOB_STATE AURA_JOB_ERROR_CODE AURA_JOB_NAME
INI
start || { not_ok "the server starts"; done_testing; exit 1; }

logs_have() { aura logs "$1" 2>/dev/null | grep -qF -- "$2"; }

# --- a job's own hook: its environment -------------------------------------------
A=$(aura submit --name "a b" -o "$WORK/a.nut" --on-done "env" -- \
	-f lavfi -i "testsrc=s=64x64:r=10:d=0.5" -f nut)
wait_for 10 is_state "$A" succeeded || not_ok "a short job succeeds"
wait_for 10 logs_have "$A" "on_done: AURA_JOB_ID=$A" &&
	ok "--on-done runs when the job ends, its output in the job's log" ||
	not_ok "--on-done runs when the job ends"
LOG=$(aura logs "$A")
like "$LOG" "on_done: AURA_JOB_STATE=succeeded" "AURA_JOB_STATE"
like "$LOG" "on_done: AURA_JOB_NAME=a b" "AURA_JOB_NAME"
like "$LOG" "on_done: AURA_JOB_OUTPUT=$WORK/a.nut" "AURA_JOB_OUTPUT"
unlike "$LOG" "AURA_JOB_ERROR_CODE" "no error code for a job that succeeded"
unlike "$LOG" "on_done: succeeded" "the job's own hook replaces aura.ini's"

# --- aura.ini's hook; one that fails changes nothing --------------------------------
B=$(aura submit --name bee -- -f lavfi -i "testsrc=s=64x64:r=10:d=0.5" -f null -)
wait_for 10 logs_have "$B" "on_done: the hook exited with status 1" &&
	ok "[server] on_done runs for a job without --on-done; its failure is logged" ||
	not_ok "[server] on_done runs; its failure is logged"
like "$(aura logs "$B")" "on_done: succeeded" "its output is in the log"
is "$(state_of "$B")" succeeded "a failing hook never changes the job's state"
like "$(cat "$AURA_DATA_DIR/logs/aura.log")" "job $B: on_done hook exited with status 1" \
	"and aura.log says so"

# --- failed and cancelled jobs ----------------------------------------------------
F=$(aura submit --name eff -- -i "$WORK/missing.mp4" -f null -)
wait_for 10 is_state "$F" failed || not_ok "a job fails"
wait_for 10 logs_have "$F" "on_done: eff" && ok "the hook runs for a failed job" ||
	not_ok "the hook runs for a failed job"
like "$(aura logs "$F")" "on_done: failed" "AURA_JOB_STATE=failed"
like "$(aura logs "$F")" "on_done: $(code_of "$F")" "AURA_JOB_ERROR_CODE is its code"
C=$(aura submit --name sea -- -re -f lavfi -i "testsrc=s=64x64:r=10" -f null -)
wait_for 10 is_state "$C" running || not_ok "an endless job runs"
aura cancel "$C" >/dev/null
wait_for 10 logs_have "$C" "on_done: JOB_CANCELLED" &&
	ok "the hook runs for a cancelled job, with JOB_CANCELLED" ||
	not_ok "the hook runs for a cancelled job"
like "$(aura logs "$C")" "on_done: cancelled" "AURA_JOB_STATE=cancelled"

# --- never a shell; a hook that cannot start ----------------------------------------
run aura submit --on-done 'echo a | wc' -- -f lavfi -i testsrc=d=1 -f null -
is "$RC" 2 "a pipe in --on-done is refused at submit (never a shell)"
like "$ERR" "USAGE" "a usage error"
run aura submit --on-done 'echo $HOME' -- -f lavfi -i testsrc=d=1 -f null -
is "$RC" 2 "so is a \$"
Q=$(aura submit --on-done "echo 'one  word' \"x\"" -- -f lavfi -i "testsrc=s=64x64:r=10:d=0.5" -f null -)
wait_for 10 logs_have "$Q" "on_done: one  word x" && ok "quotes are split as a shell would" ||
	not_ok "quotes are split as a shell would"
N=$(aura submit --on-done "$WORK/no-such-program" -- -f lavfi -i "testsrc=s=64x64:r=10:d=0.5" -f null -)
wait_for 10 logs_have "$N" "on_done: " && ok "a hook that cannot start is logged" ||
	not_ok "a hook that cannot start is logged"
like "$(aura logs "$N")" "no-such-program" "naming the program"
is "$(state_of "$N")" succeeded "and the job still succeeded"

# --- a hook that outlives on_done_timeout is stopped ------------------------------
S=$(aura submit --on-done "sleep 613" -- -f lavfi -i "testsrc=s=64x64:r=10:d=0.5" -f null -)
wait_for 20 logs_have "$S" "on_done: still running after 2 s: stopped" &&
	ok "a hook running past on_done_timeout is stopped, and the log says so" ||
	not_ok "a hook running past on_done_timeout is stopped"
hook_gone() { ! pgrep -x -f "sleep 613" >/dev/null; }
wait_for 10 hook_gone && ok "its process is gone" || not_ok "its process is gone"
is "$(state_of "$S")" succeeded "the job's state is unchanged"
done_testing
