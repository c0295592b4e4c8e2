#!/bin/sh
# after.sh -- --after ID[,ID] (new, submit, a batch row's after column):
# a job starts only once every job it names succeeded; while one may
# still succeed it waits, saying so ("waiting for #3"); when one failed,
# was cancelled or was removed it fails with DEPENDENCY_FAILED without
# running; a retry checks again; an unknown id is refused at submit with
# nothing queued. Jobs are held with a pool at max_jobs and an endless
# source, never with sleeps.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"

WORK="$T_TMP/work"
mkdir -p "$WORK" "$XDG_CONFIG_HOME/aura"
cd "$WORK" || exit 1
cat >"$XDG_CONFIG_HOME/aura/aura.ini" <<'INI'
[server]
max_jobs = 4

[pool one]
max_jobs = 1
INI
start || { not_ok "the server starts"; done_testing; exit 1; }

forever() { aura submit --name "$1" --pool one -- -re -f lavfi -i "testsrc=s=64x64:r=10" -f null -; }
short() { aura submit --name "$1" ${2:+--pool "$2"} ${3:+--after "$3"} -- \
	-f lavfi -i "testsrc=s=64x64:r=10:d=0.5" -f null -; }

# --- a job waits for its dependency, then runs ------------------------------------
A=$(forever a)
wait_for 10 is_state "$A" running || not_ok "a job holds pool one"
B=$(short b one)
C=$(short c "" "$B")
is "$(aura show --json "$C" | jq -c .job.after)" "[$B]" "show --json gives \"after\""
is "$(aura show --json "$C" | jq -r .job.substate)" "waiting for #$B" "its substate says what it waits for"
run aura ls
like "$OUT" "c +ffmpeg +queued .*waiting for #$B" "ls shows the wait"
E=$(short e)
wait_for 10 is_state "$E" succeeded || not_ok "another local job runs"
is "$(state_of "$C")" queued "the dependent still waits while its dependency is queued (slots free)"
aura cancel "$A" >/dev/null
wait_for 10 is_state "$B" succeeded && ok "the dependency runs" || not_ok "the dependency runs"
wait_for 10 is_state "$C" succeeded && ok "then the dependent runs" || not_ok "then the dependent runs"
is "$(aura show --json "$C" | jq -r '.job.substate // "none"')" none "and no longer says it waits"

# --- two dependencies, written with # and a comma ----------------------------------
D=$(short d "" "#$B,$C")
wait_for 10 is_state "$D" succeeded && ok "--after '#B,C' of succeeded jobs runs at once" ||
	not_ok "--after '#B,C' of succeeded jobs runs at once"

# --- a cancelled dependency fails the dependent, unrun -----------------------------
F=$(forever f)
wait_for 10 is_state "$F" running || not_ok "f holds pool one"
G=$(short g "" "$F,$B")
is "$(aura show --json "$G" | jq -r .job.substate)" "waiting for #$F" "only the unfinished one is named"
aura cancel "$F" >/dev/null
wait_for 10 is_state "$G" failed && ok "the dependent fails once its dependency is cancelled" ||
	not_ok "the dependent fails once its dependency is cancelled"
is "$(code_of "$G")" DEPENDENCY_FAILED "with DEPENDENCY_FAILED"
like "$(aura show --json "$G" | jq -r .job.error.detail)" "job $F cancelled" "naming the job and its state"
is "$(aura show --json "$G" | jq -r .job.attempts)" 0 "it never ran"
aura retry "$G" >/dev/null
wait_for 10 is_state "$G" failed && ok "a retry checks again (still failed)" || not_ok "a retry checks again"
is "$(code_of "$G")" DEPENDENCY_FAILED "for the same reason"
aura retry "$F" >/dev/null
wait_for 10 is_state "$F" running || not_ok "f runs again"
aura retry "$G" >/dev/null
is "$(aura show --json "$G" | jq -r .job.substate)" "waiting for #$F" "retried while its dependency runs again: it waits"
aura cancel "$F" >/dev/null
wait_for 10 is_state "$G" failed || not_ok "g fails again"

# --- a dependency that ends is announced on its dependents (the TUI's view) ---------
A2=$(forever a2)
wait_for 10 is_state "$A2" running || not_ok "a2 holds pool one"
P1=$(short p1 one)
P2=$(aura submit --name p2 -- -re -f lavfi -i "testsrc=s=64x64:r=10" -f null -)
W=$(short w "" "$P1,$P2")
is "$(aura show --json "$W" | jq -r .job.substate)" "waiting for #$P1, #$P2" "waits for both"
EV=$(timeout 20 python3 - "$AURA_DATA_DIR/run/aura.sock" "$W" "$A2" <<'PY'
import json, socket, sys
sock, w, a = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_UNIX); s.connect(sock); f = s.makefile()
s.sendall(json.dumps({"id": 1, "method": "subscribe", "params": {"ids": [w]}}).encode() + b"\n")
c = socket.socket(socket.AF_UNIX); c.connect(sock)
sent = False
for line in f:
    m = json.loads(line)
    if m.get("id") == 1 and not sent:
        c.sendall(json.dumps({"id": 2, "method": "cancel", "params": {"id": a}}).encode() + b"\n")
        sent = True
    j = m.get("job") or (m.get("params") or {}).get("job") or {}
    if j.get("id") == w and j.get("substate") and "#" in j["substate"] and str(a) not in j["substate"]:
        if j["substate"].count("#") == 1:
            print(j["substate"]); break
PY
)
is "$EV" "waiting for #$P2" "a dependency's end sends the dependent with what it still waits for"
aura cancel "$P2" >/dev/null
wait_for 10 is_state "$W" failed || not_ok "w fails with p2 cancelled"

# --- a removed dependency ---------------------------------------------------------
H=$(forever h)
wait_for 10 is_state "$H" running || not_ok "h holds pool one"
Q=$(short q one)
R=$(short r "" "$Q")
aura rm "$Q" >/dev/null
wait_for 10 is_state "$R" failed && ok "a removed dependency fails the dependent" ||
	not_ok "a removed dependency fails the dependent"
like "$(aura show --json "$R" | jq -r .job.error.detail)" "job $Q was removed" "saying it was removed"

# --- a dependent fails at once, though its pool has no free slot ------------------
# (pool one is still held by h: the dependent is never read by the scheduler)
X=$(aura submit --name x -- -f lavfi -i nosuchsource -f null -)
Y=$(short y one "$X")
wait_for 20 is_state "$X" failed || not_ok "x fails"
wait_for 10 is_state "$Y" failed && ok "a dependent in a full pool fails when its dependency fails" ||
	not_ok "a dependent in a full pool fails when its dependency fails"
is "$(code_of "$Y")" DEPENDENCY_FAILED "with DEPENDENCY_FAILED"
Y2=$(short y2 one "$X")
wait_for 10 is_state "$Y2" failed && ok "so does one submitted after its dependency failed" ||
	not_ok "so does one submitted after its dependency failed"
aura retry "$Y2" >/dev/null
wait_for 10 is_state "$Y2" failed && ok "and its retry, checked again at once" ||
	not_ok "and its retry, checked again at once"
is "$(state_of "$H")" running "the job holding the pool runs on"

# --- an unknown id is refused, nothing queued -------------------------------------
before=$(aura ls --json | jq -r .total)
run aura submit --after 99999 -- -f lavfi -i testsrc=d=1 -f null -
is "$RC" 2 "an unknown id: exit 2"
like "$ERR" "JOB_NOT_FOUND" "JOB_NOT_FOUND"
like "$ERR" "there is no job 99999" "naming the id"
run aura submit --after 3x -- -f lavfi -i testsrc=d=1 -f null -
is "$RC" 2 "a bad --after: exit 2"
like "$ERR" "USAGE" "a usage error"
run aura new --after 99999 "a topic"
like "$ERR" "JOB_NOT_FOUND" "new --after refuses it the same way"
is "$(aura ls --json | jq -r .total)" "$before" "nothing was queued"

# --- batch rows -------------------------------------------------------------------
printf 'kind,args,after\nffmpeg,-f lavfi -i testsrc=s=64x64:r=10:d=0.5 -f null -,%s\n' "$H" >rows.csv
run aura batch --json rows.csv
BR=$(printf '%s' "$OUT" | jq -r '.rows[0].id // .jobs[0].id // empty')
[ -n "$BR" ] || BR=$(aura ls --json | jq -r '.jobs[0].id')
is "$(aura show --json "$BR" | jq -c .job.after)" "[$H]" "a batch row's after column"
is "$(state_of "$BR")" queued "waits for it"
printf 'kind,args,after\nffmpeg,-f lavfi -i testsrc=d=1 -f null -,x\n' >bad.csv
run aura batch bad.csv
like "$ERR" "line 2, column after: BATCH_FILE_INVALID" "a bad after cell names its line"
printf 'kind,args,after\nffmpeg,-f lavfi -i testsrc=d=1 -f null -,99999\n' >unknown.csv
run aura batch unknown.csv
like "$ERR" "JOB_NOT_FOUND" "an unknown id in a row refuses the batch"
aura cancel "$H" >/dev/null
wait_for 10 is_state "$BR" failed && ok "the row's job fails with it" || not_ok "the row's job fails with it"
done_testing
