#!/bin/sh
# pool-ctl.sh -- `aura pool`: the list (executor, limit, running, queued,
# paused), --max-jobs at run time (raised: more start at once; lowered:
# none is stopped; default: aura.ini's again), --pause / --resume of a
# pool's queue (--pause --running pauses its running jobs too, --resume
# resumes them), kept over a restart, and the list answer's "paused".
# Jobs are held with endless sources, never with sleeps.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"

WORK="$T_TMP/work"
mkdir -p "$WORK" "$XDG_CONFIG_HOME/aura"
cd "$WORK" || exit 1
cat >"$XDG_CONFIG_HOME/aura/aura.ini" <<'INI'
[server]
max_jobs = 2

[pool one]
max_jobs = 1
INI
start || { not_ok "the server starts"; done_testing; exit 1; }

forever() { aura submit --name "$1" --pool one -- -re -f lavfi -i "testsrc=s=64x64:r=10" -f null -; }
running() { aura ls --json | jq -r '[.jobs[] | select(.pool == "one" and .state == "running")] | length'; }
nrun() { [ "$(running)" = "$1" ]; }
pool_field() { aura pool --json | jq -r ".[] | select(.name == \"one\") | .$1"; }

# --- the list --------------------------------------------------------------------
run aura pool
is "$RC" 0 "aura pool lists the pools"
like "$OUT" "POOL +EXECUTOR +LIMIT +RUNNING +QUEUED +PAUSED" "with a header"
like "$OUT" "local +local +2 +0 +0 +no" "local's line"
like "$OUT" "one +local +1 +0 +0 +no" "one's line"

# --- --max-jobs raised: more start at once ----------------------------------------
A=$(forever a)
B=$(forever b)
C=$(forever c)
wait_for 10 nrun 1 || not_ok "pool one runs one job"
is "$(pool_field queued)" 2 "two wait (queued in the list)"
run aura pool one --max-jobs 3
is "$RC" 0 "--max-jobs 3"
like "$OUT" "one +local +3\\* +[0-9]+ +[0-9]+ +no" "the line shows the new limit, starred"
wait_for 10 nrun 3 && ok "raised: the queued jobs start at once" || not_ok "raised: the queued jobs start"

# --- lowered: nothing is stopped, nothing new starts --------------------------------
aura pool one --max-jobs 1 >/dev/null
D=$(forever d)
E=$(forever e)
is "$(running)" 3 "lowered: the three running go on"
aura cancel "$A" "$B" >/dev/null
wait_for 10 nrun 1 || not_ok "one left running"
is "$(state_of "$D")" queued "no start while over or at the lowered limit"

# --- pause: the queue stops, running jobs go on -------------------------------------
run aura pool one --pause
like "$OUT" "one +local +1 +1 +2 +yes" "paused, in the list (1 is aura.ini's too: no star)"
aura pool one --max-jobs 5 >/dev/null
is "$(state_of "$D")" queued "a paused pool starts nothing, even with room"
is "$(state_of "$C")" running "its running job goes on"

# --- --pause --running pauses them; --resume resumes them ---------------------------
aura pool one --pause --running >/dev/null
wait_for 10 is_state "$C" paused && ok "--pause --running pauses the running job" ||
	not_ok "--pause --running pauses the running job"
aura pool one --resume >/dev/null
wait_for 10 is_state "$C" running && ok "--resume resumes it" || not_ok "--resume resumes it"
wait_for 10 nrun 3 && ok "and starts the queue (limit 5)" || not_ok "and starts the queue"

# --- the list answer carries "paused" (the TUI's header) -----------------------------
aura pool one --pause >/dev/null
POOLS=$(python3 - "$AURA_DATA_DIR/run/aura.sock" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b'{"id":1,"method":"list","params":{"counts":true,"limit":1}}\n')
f = s.makefile()
print(json.dumps(json.loads(f.readline())["result"]["pools"]))
PY
)
is "$(printf '%s' "$POOLS" | jq -c '[.[] | [.name, .max_jobs, .paused]]')" \
	'[["local",2,false],["one",5,true]]' "the list answer gives each pool's limit and paused"

# --- kept over a restart ------------------------------------------------------------
stop
start || not_ok "the server starts again"
is "$(pool_field paused)" true "the pause is kept over a restart"
is "$(pool_field max_jobs)" 5 "and so is the limit"
is "$(running)" 0 "the requeued jobs do not start in a paused pool"
aura pool one --resume >/dev/null
wait_for 10 nrun 3 && ok "--resume starts them" || not_ok "--resume starts them"
run aura pool one --max-jobs default
like "$OUT" "one +local +1 +3 +0 +no" "--max-jobs default: aura.ini's limit again, no star"

# --- refusals -----------------------------------------------------------------------
run aura pool nowhere --pause
is "$RC" 2 "an unknown pool: exit 2"
like "$ERR" "POOL_UNKNOWN" "POOL_UNKNOWN"
like "$ERR" "pools are: local, one" "naming the pools"
run aura pool one --max-jobs 0
is "$RC" 2 "--max-jobs 0: a usage error"
run aura pool one --running
is "$RC" 2 "--running without --pause: a usage error"
run aura pool --pause
is "$RC" 2 "--pause without a pool: a usage error"

for id in $(aura ls --json | jq -r '.jobs[] | select(.state == "running" or .state == "queued" or .state == "paused") | .id'); do
	aura cancel "$id" >/dev/null 2>&1
done
done_testing
