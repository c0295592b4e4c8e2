#!/bin/sh
# pools.sh -- named pools: each pool runs at most its own max_jobs at once
# (the local pool [server] max_jobs), a job runs in the pool it was given
# (--pool, else [server] pool), priorities order the jobs inside a pool,
# an unknown pool is refused at submit naming the pools (nothing queued),
# and the pool shows in ls, show, --json and the `list` answer's "pools".
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"

WORK="$T_TMP/work"
mkdir -p "$WORK" "$XDG_CONFIG_HOME/aura"
cd "$WORK" || exit 1
cat >"$XDG_CONFIG_HOME/aura/aura.ini" <<'INI'
[server]
max_jobs = 2
pool = one

[pool one]
max_jobs = 1
INI
start || { not_ok "the server starts"; done_testing; exit 1; }

# a job that runs until cancelled
forever() { aura submit --name "$1" ${2:+--pool "$2"} ${3:+--priority "$3"} -- \
	-f lavfi -re -i "testsrc=size=64x48:rate=5" -f null -; }
count() { aura ls --json | jq -r "[.jobs[] | select(.pool == \"$1\" and .state == \"$2\")] | length"; }

# --- the default pool is [server] pool; a pool runs its own max_jobs -----------------
A=$(forever a)
B=$(forever b)
L1=$(forever l1 local)
L2=$(forever l2 local)
L3=$(forever l3 local)
is "$(aura show --json "$A" | jq -r .job.pool)" one "a job without --pool is in [server] pool"
is "$(aura show --json "$L1" | jq -r .job.pool)" local "--pool local puts it in local"
running3() { [ "$(aura ls --json | jq -r '[.jobs[] | select(.state == "running")] | length')" = 3 ]; }
wait_for 10 running3 &&
	ok "three jobs run: one in pool one, two in local" || not_ok "three jobs run"
is "$(count one running)" 1 "pool one runs max_jobs = 1"
is "$(count one queued)" 1 "the other job of pool one waits"
is "$(count local running)" 2 "local runs [server] max_jobs = 2"
is "$(count local queued)" 1 "the third local job waits"
is "$(state_of "$A")" running "the first job of pool one runs"

# --- the list answer names each pool's running/limit (the TUI's header) --------------
POOLS=$(python3 - "$AURA_DATA_DIR/run/aura.sock" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b'{"id":1,"method":"list","params":{"counts":true,"limit":1}}\n')
f = s.makefile()
print(json.dumps(json.loads(f.readline())["result"]["pools"]))
PY
)
is "$(printf '%s' "$POOLS" | jq -c '[.[] | [.name, .executor, .max_jobs, .running]]')" \
	'[["local","local",2,2],["one","local",1,1]]' "the list answer gives running/limit per pool"

# --- priorities inside a pool: the higher one starts when the slot frees -------------
LOW=$(forever low one -5)
HIGH=$(forever high one 7)
aura cancel "$A" >/dev/null
wait_for 10 is_state "$HIGH" running && ok "the higher priority job of pool one starts next" ||
	not_ok "the higher priority job of pool one starts next"
is "$(state_of "$B")" queued "the earlier job of lower priority waits"
is "$(state_of "$LOW")" queued "the lowest waits"
is "$(count local running)" 2 "local is not touched by pool one's turn"

# --- ls and show ------------------------------------------------------------------
run aura ls
like "$OUT" 'POOL' "ls has a POOL column once a job is outside local"
like "$OUT" "high +[a-z]+ +running +one " "ls shows the pool of each job"
run aura show "$HIGH"
like "$OUT" 'pool +one' "show names the pool"

# --- an unknown pool is refused at submit, nothing queued -----------------------------
before=$(aura ls --json | jq -r .total)
run aura submit --pool nowhere -- -f lavfi -i testsrc=duration=1 -f null -
is "$RC" 2 "an unknown pool: exit 2"
like "$ERR" "POOL_UNKNOWN" "with the POOL_UNKNOWN code"
like "$ERR" "pools are: local, one" "naming the pools there are"
run aura new --pool nowhere "a topic"
like "$ERR" "POOL_UNKNOWN" "new --pool refuses it the same way"
is "$(aura ls --json | jq -r .total)" "$before" "nothing was queued"
printf 'kind,args,pool\nffmpeg,-f lavfi -i testsrc=d=1 -f null -,one\nffmpeg,-f lavfi -i testsrc=d=1 -f null -,nowhere\n' >bad.csv
run aura batch bad.csv
is "$RC" 2 "a batch row in an unknown pool: exit 2"
like "$ERR" "line 3, column pool: POOL_UNKNOWN" "names its line and column"
is "$(aura ls --json | jq -r .total)" "$before" "and nothing of the batch was queued"

for id in $(aura ls --json | jq -r '.jobs[] | select(.state == "running" or .state == "queued") | .id'); do
	aura cancel "$id" >/dev/null 2>&1
done

# --- a pool that leaves aura.ini: its jobs wait and say why -----------------------------
G=$(forever gone one)
wait_for 10 is_state "$G" running || not_ok "a job of pool one runs"
stop
printf '[server]\nmax_jobs = 2\n' >"$XDG_CONFIG_HOME/aura/aura.ini"
start || not_ok "the server starts without pool one"
is "$(state_of "$G")" queued "a job of a pool no longer defined is queued again, not failed"
is "$(aura show --json "$G" | jq -r .job.substate)" "pool one is not configured" \
	"its substate says why it waits"
run aura ls
like "$OUT" "gone +ffmpeg +queued +one +pool one is not co" "ls shows it in the STAGE column"
like "$(cat "$AURA_DATA_DIR/logs/aura.log")" "1 queued job wait for a pool that aura.ini does not define" \
	"aura.log counts them"
stop
printf '[server]\nmax_jobs = 2\n[pool one]\nmax_jobs = 1\n' >"$XDG_CONFIG_HOME/aura/aura.ini"
start || not_ok "the server starts with pool one again"
wait_for 10 is_state "$G" running && ok "once the pool is back, the job runs" ||
	not_ok "once the pool is back, the job runs"
is "$(aura show --json "$G" | jq -r '.job.substate // "none"')" none "and its substate is gone"
aura cancel "$G" >/dev/null
done_testing
