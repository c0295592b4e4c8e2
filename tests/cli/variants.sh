#!/bin/sh
# variants.sh -- `aura new TOPIC --variants N`: N videos of one topic, one
# id a line, with seeds --seed, +1..., names "TOPIC (variant i/N)", outputs
# NAME-v1.mp4..., keys K/v1... with --key K, so the same command again
# queues nothing new; bad counts are refused with nothing queued.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"

WORK="$T_TMP/work"
mkdir -p "$WORK" "$XDG_CONFIG_HOME/aura"
cd "$WORK" || exit 1
# One job at a time and a blocker that runs until cancelled: the videos
# below stay queued (nothing renders).
printf '[server]\nmax_jobs = 1\n' >"$XDG_CONFIG_HOME/aura/aura.ini"
start || { not_ok "the server starts"; done_testing; exit 1; }
run aura submit --name blocker -- -f lavfi -re -i "testsrc=size=64x48:rate=5" -f null -
BLOCKER=$OUT
wait_for 10 is_state "$BLOCKER" running && ok "a blocker job runs" || not_ok "a blocker job runs"
total() { aura ls --json | jq -r .total; }
field() { aura show --json "$1" | jq -r "$2"; }

run aura new "how tides work" -d 5 -p draft-480p --seed 7 --variants 3 --key tides
is "$RC" 0 "new --variants 3 exits 0"
is "$(printf '%s\n' "$OUT" | grep -cE '^[0-9]+$')" 3 "it prints three ids, one a line"
IDS=$OUT
is "$(total)" 4 "three videos were queued (and the blocker)"
i=0
for id in $IDS; do
	i=$((i + 1))
	is "$(field "$id" .job.name)" "how tides work (variant $i/3)" "variant $i is named"
	is "$(field "$id" .job.spec.options.seed)" $((6 + i)) "variant $i has seed $((6 + i))"
	is "$(field "$id" .job.output)" "$WORK/how-tides-work-v$i.mp4" "variant $i's output"
	is "$(field "$id" .job.key)" "tides/v$i" "variant $i's key"
done

run aura new "how tides work" -d 5 -p draft-480p --seed 7 --variants 3 --key tides
is "$RC" 0 "the same command again exits 0"
is "$OUT" "$IDS" "and prints the same ids"
is "$(total)" 4 "and queues nothing new"

run aura new "how waves work" -d 5 -p draft-480p --variants 2
is "$RC" 0 "--variants without --key or --seed"
set -- $OUT
is "$(field "$1" .job.spec.options.seed) $(field "$2" .job.spec.options.seed)" "0 1" \
	"seeds from 0"
unlike "$(field "$1" .job.output)" "^$(field "$2" .job.output)\$" "distinct outputs"

for bad in 0 101 x; do
	run aura new "how tides work" -d 5 --variants "$bad"
	is "$RC" 2 "--variants $bad: exit 2"
done
run aura new "how tides work" -d 5 --variants 2 --wait
is "$RC" 2 "--variants with --wait: exit 2"
is "$(total)" 6 "nothing queued by a bad --variants"

aura cancel "$BLOCKER" >/dev/null 2>&1
stop
done_testing
