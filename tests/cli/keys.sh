#!/bin/sh
# keys.sh -- idempotency keys (`--key K` on submit and new): the same key
# twice queues one job and prints its id both times (a note on stderr,
# exit 0), ten concurrent submits with one key make one job, a bad key is
# refused with nothing queued, and the key is in `show --json`.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"

WORK="$T_TMP/work"
mkdir -p "$WORK" "$XDG_CONFIG_HOME/aura"
cd "$WORK" || exit 1
# One job at a time, and a first job that runs until cancelled: every
# keyed job below stays queued (nothing renders).
printf '[server]\nmax_jobs = 1\n' >"$XDG_CONFIG_HOME/aura/aura.ini"
start || { not_ok "the server starts"; done_testing; exit 1; }
run aura submit --name blocker -- -f lavfi -re -i "testsrc=size=64x48:rate=5" -f null -
BLOCKER=$OUT
wait_for 10 is_state "$BLOCKER" running && ok "a blocker job runs" || not_ok "a blocker job runs"
total() { aura ls --json | jq -r .total; }

# --- submit --key twice --------------------------------------------------------------
run aura submit --key "render/42 ☕" -- -f lavfi -i testsrc=duration=1 -f null -
is "$RC" 0 "submit --key exits 0"
like "$OUT" '^[0-9]+$' "submit --key prints the id"
S1=$OUT
is "$ERR" "" "a new key: no note"
run aura submit --key "render/42 ☕" -- -f lavfi -i testsrc=duration=1 -f null -
is "$RC" 0 "the same key again exits 0"
is "$OUT" "$S1" "the same key again prints the same id"
like "$ERR" "^aura: job $S1 already has key render/42 ☕ \\(nothing new queued\\)" \
	"and says on stderr that nothing new was queued"
is "$(total)" 2 "one job for the key (and the blocker)"
run aura submit --json --key "render/42 ☕" -- -f lavfi -i testsrc=duration=1 -f null -
is "$(printf '%s' "$OUT" | jq -r '.id')" "$S1" "--json gives the existing job"

run aura show --json "$S1"
is "$(printf '%s' "$OUT" | jq -r .job.key)" "render/42 ☕" "show --json has the key"
run aura show --json "$BLOCKER"
like "$(printf '%s' "$OUT" | jq -r .job.key)" '^cli:[0-9a-f]{32}$' \
	"a job without --key has the CLI's own key (resend.sh)"

# --- new --key twice ------------------------------------------------------------------
run aura new "how bees make honey" -d 5 -p draft-480p --key bees
is "$RC" 0 "new --key exits 0"
N1=$OUT
run aura new "how bees make honey" -d 5 -p draft-480p --key bees
is "$RC" 0 "new with the same key exits 0"
is "$OUT" "$N1" "new with the same key prints the same id"
like "$ERR" "already has key bees \\(nothing new queued\\)" "new says nothing new was queued"
is "$(aura ls --json | jq '[.jobs[] | select(.kind == "video")] | length')" 1 "one video job"

# --- ten at once with one key -------------------------------------------------------
i=0
while [ $i -lt 10 ]; do
	aura submit --key same -- -f lavfi -i testsrc=duration=1 -f null - \
		>"$T_TMP/c$i.out" 2>"$T_TMP/c$i.err" &
	i=$((i + 1))
done
wait
ids=$(cat "$T_TMP"/c*.out | sort -u)
like "$ids" '^[0-9]+$' "ten concurrent submits with one key all print one id"
is "$(aura ls --json | jq "[.jobs[] | select(.key == \"same\")] | length")" 1 \
	"exactly one job has the key"
is "$(cat "$T_TMP"/c*.err | grep -c 'nothing new queued')" 9 "nine were told it existed"
BEFORE=$(total)

# --- bad keys -------------------------------------------------------------------------
run aura submit --key "" -- -f lavfi -i testsrc=duration=1 -f null -
is "$RC" 2 "an empty key: exit 2"
like "$ERR" 'PARAM_KEY_INVALID.*"key" is empty' "an empty key is named"
run aura submit --key "$(printf 'a\tb')" -- -f lavfi -i testsrc=duration=1 -f null -
is "$RC" 2 "a key with a tab: exit 2"
like "$ERR" 'PARAM_KEY_INVALID.*control character U\+0009' "the control character is named"
run aura new "how bees make honey" -d 5 -p draft-480p --key "$(printf 'x\033[2J')"
is "$RC" 2 "new with an escape in the key: exit 2"
like "$ERR" 'PARAM_KEY_INVALID' "new refuses it with PARAM_KEY_INVALID"
run aura submit --key "$(printf '%0201d' 0)" -- -f lavfi -i testsrc=duration=1 -f null -
is "$RC" 2 "a 201-byte key: exit 2"
like "$ERR" 'PARAM_TOO_LONG.*"key" has 201 bytes' "a key too long is named"
run aura submit --key "$(printf '%0200d' 0)" -- -f lavfi -i testsrc=duration=1 -f null -
is "$RC" 0 "a 200-byte key is fine"
run aura submit --key "$(printf 'bad\377')" -- -f lavfi -i testsrc=duration=1 -f null -
is "$RC" 2 "a key that is not UTF-8: exit 2"
is "$(total)" $((BEFORE + 1)) "nothing was queued by a bad key"

aura cancel "$BLOCKER" >/dev/null 2>&1
stop
done_testing
