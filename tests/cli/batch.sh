#!/bin/sh
# batch.sh -- `aura batch FILE` and the --batch verbs: 1,000 topics queued
# in one `batch` request, the same file again queues nothing (every row's
# key exists), a bad CSV value names its line and column and queues
# nothing, --dry-run queues nothing, a JSON Lines ffmpeg row runs, and
# ls/wait/cancel/retry --batch act on the batch's jobs.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"

WORK="$T_TMP/work"
mkdir -p "$WORK" "$XDG_CONFIG_HOME/aura"
cd "$WORK" || exit 1
# One job at a time, and a first job that runs until cancelled: the
# batches' jobs stay queued (nothing renders) until it is cancelled.
printf '[server]\nmax_jobs = 1\n' >"$XDG_CONFIG_HOME/aura/aura.ini"
start || { not_ok "the server starts"; done_testing; exit 1; }
run aura submit --name blocker -- -f lavfi -re -i "testsrc=size=64x48:rate=5" -f null -
BLOCKER=$OUT
wait_for 10 is_state "$BLOCKER" running && ok "a blocker job runs" || not_ok "a blocker job runs"
total() { aura ls --json | jq -r .total; }
LOG="$AURA_DATA_DIR/logs/aura.log"
[ -f "$LOG" ] || LOG=$(find "$AURA_DATA_DIR" -name 'aura.log' | head -1)

# --- 1,000 topics, one request --------------------------------------------------
i=1
: >topics.txt
printf '# one topic a line\n\n' >>topics.txt
while [ $i -le 1000 ]; do printf 'topic number %d\n' $i; i=$((i + 1)); done >>topics.txt
run aura batch --name thousand topics.txt
is "$RC" 0 "batch of 1,000 topics exits 0"
is "$(printf '%s\n' "$OUT" | grep -c 'queued$')" 1000 "a line per row says queued"
like "$(printf '%s\n' "$OUT" | head -1)" '^line 3: job [0-9]+ queued$' "rows are named by their line"
like "$OUT" 'batch [0-9]+ thousand: 1000 queued, 0 existing' "and a summary"
is "$(total)" 1001 "1,000 jobs queued (and the blocker)"
is "$(grep -c 'batch [0-9]* (thousand): 1000 queued' "$LOG")" 1 "in one batch request (the server's log)"
is "$(aura ls --json --state queued | jq -r .total)" 1000 "all queued, none started"

run aura batch topics.txt
is "$RC" 0 "the same file again exits 0"
is "$(printf '%s\n' "$OUT" | grep -c 'exists$')" 1000 "every row exists"
like "$OUT" 'batch [0-9]+ thousand: 0 queued, 1000 existing' "0 queued, 1,000 existing"
is "$(total)" 1001 "nothing new queued"

run aura ls --batch thousand --json
is "$(printf '%s' "$OUT" | jq -r .total)" 1000 "ls --batch NAME: the batch's 1,000 jobs"
BID=$(printf '%s' "$OUT" | jq -r .batch.id)
run aura ls --batch "$BID" --limit 3
is "$RC" 0 "ls --batch ID exits 0"
is "$(printf '%s\n' "$OUT" | grep -c 'topic number')" 3 "with --limit 3: three rows"

# --- a bad CSV value: its line and column; nothing queued ------------------------
{
	echo 'topic,duration,preset'
	i=2
	while [ $i -le 20 ]; do
		if [ $i -eq 17 ]; then echo "csv topic $i,abc,draft-480p"; else echo "csv topic $i,30,draft-480p"; fi
		i=$((i + 1))
	done
} >bad.csv
run aura batch bad.csv
is "$RC" 2 "a bad value fails the batch (exit 2)"
like "$ERR" '^aura: line 17, column duration: DURATION_INVALID' "naming line 17 and the column"
like "$ERR" 'hint: ' "with the catalogue's hint"
is "$(total)" 1001 "nothing was queued"

printf 'topic,colour\nx,red\n' >cols.csv
run aura batch cols.csv
is "$RC" 2 "an unknown column fails"
like "$ERR" '^aura: line 1, column colour: BATCH_FILE_INVALID' "naming the column"

# --- --dry-run -----------------------------------------------------------------------
sed 's/,abc,/,40,/' bad.csv >good.csv
run aura batch --dry-run good.csv
is "$RC" 0 "--dry-run exits 0"
is "$(printf '%s\n' "$OUT" | grep -c 'would be queued$')" 19 "says what would be queued"
is "$(total)" 1001 "--dry-run queues nothing"
run aura batch --dry-run topics.txt
like "$OUT" "1000 existing" "--dry-run tells the rows that exist"

# --- cancel --batch, retry --batch --failed ---------------------------------------
run aura retry --batch thousand
is "$RC" 2 "retry --batch without --failed is refused"
like "$ERR" "add --failed" "with a hint"
run aura cancel --batch thousand
is "$RC" 0 "cancel --batch exits 0"
like "$OUT" "batch $BID thousand: 1000 cancelled, 0 skipped" "cancels every job in one request"
is "$(aura ls --json --state cancelled | jq -r .total)" 1000 "1,000 cancelled"
run aura retry --batch thousand --failed
is "$RC" 0 "retry --batch --failed exits 0"
like "$OUT" "1000 queued again" "queues the cancelled ones again"
is "$(aura ls --json --state queued | jq -r .total)" 1000 "1,000 queued again"
run aura cancel --batch "$BID"
like "$OUT" "1000 cancelled" "and cancel --batch ID cancels them again"
run aura ls --batch nosuch
is "$RC" 2 "an unknown batch exits 2"
like "$ERR" "BATCH_NOT_FOUND" "BATCH_NOT_FOUND"

# --- a JSON Lines ffmpeg row runs; wait --batch --------------------------------------
# nothing of the 1,000 may start once the blocker is gone
if [ "$(aura ls --json --state queued | jq -r .total)" != 0 ]; then
	not_ok "no video job is left queued"
	stop
	done_testing
	exit 1
fi
run aura cancel "$BLOCKER"
printf '%s\n' '{"kind":"ffmpeg","args":"-f lavfi -i testsrc=size=32x24:rate=5 -t 0.2 tiny.mp4","name":"tiny"}' >ff.jsonl
printf '%s\n' '{"kind":"ffmpeg","args":["-f","lavfi","-i","testsrc=size=32x24:rate=5","-t","0.2","-f","null","-"]}' >>ff.jsonl
run aura batch --name ff ff.jsonl
is "$RC" 0 "a JSON Lines batch exits 0"
like "$OUT" "batch [0-9]+ ff: 2 queued, 0 existing" "queues its two rows"
run aura wait --batch ff
is "$RC" 0 "wait --batch: every job succeeded"
is "$(printf '%s\n' "$OUT" | grep -c succeeded)" 2 "a line per job"
[ -s tiny.mp4 ] && ok "the output is written in the client's directory" || not_ok "the output is written in the client's directory"
printf '%s\n' '{"kind":"ffmpeg","args":"-f lavfi -i nosuchsource -t 0.2 -f null -","key":"bad-one"}' >fail.jsonl
run aura batch --name failing fail.jsonl
run aura wait --batch failing
is "$RC" 1 "wait --batch of a failing job exits 1"

stop
done_testing
