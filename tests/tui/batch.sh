#!/bin/sh
# tests/tui/batch.sh -- `b` narrows the list to the selected job's batch,
# the title shows the batch's done/failed/total (and running, cancelled...)
# and follows its jobs, the detail pane names the batch, a job in no batch
# says so, and `b` again shows every job.
. "$AURA_SRCDIR/tests/cli/lib.sh"
. "$AURA_SRCDIR/tests/tui/lib-tui.sh"
command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is needed"

WORK="$T_TMP/work"
mkdir -p "$WORK"
cd "$WORK" || exit 1
"$AURA_BIN" serve --daemon >/dev/null 2>&1 || { not_ok "the server starts"; done_testing; exit 1; }
quick='-f lavfi -i testsrc=size=32x24:rate=5 -t 0.2 -f null -'
a=$(aura submit --name outside-1 -- $quick)
{
	printf '{"kind":"ffmpeg","name":"b-ok","args":"%s"}\n' "$quick"
	printf '{"kind":"ffmpeg","name":"b-bad","args":"-f lavfi -i nosuchsource -t 0.2 -f null -"}\n'
	printf '{"kind":"ffmpeg","name":"b-slow","args":"-re -f lavfi -i testsrc=size=32x24:rate=5 -f null -"}\n'
} >b.jsonl
aura batch --name lessons b.jsonl >/dev/null || not_ok "the batch is queued"
BID=$(aura ls --batch lessons --json | jq -r .batch.id)
SLOW=$(aura ls --batch lessons --json | jq -r '.jobs[] | select(.name == "b-slow") | .id')
z=$(aura submit --name outside-2 -- $quick)
aura wait "$a" "$z" >/dev/null
state_is() { [ "$(aura show --json "$1" | jq -r .job.state)" = "$2" ]; }
done_but_slow() { [ "$(aura ls --batch lessons --json | jq -r '[.jobs[].state] | sort | join(" ")')" = "failed running succeeded" ]; }
wait_for 20 done_but_slow && ok "the batch: one done, one failed, one running" ||
	not_ok "the batch: one done, one failed, one running"

tui_start 140 40
wait_screen 10 "1/5 *$" "five jobs are listed"
wait_screen 10 "outside-2 +ffmpeg" "the newest, outside the batch, is selected"
keys b
wait_screen 5 "job #$z is in no batch" "b on a job in no batch says so"
keys j
wait_screen 5 "b-slow +ffmpeg +running" "the batch's running job"
keys b
wait_screen 10 "Jobs  batch $BID \"lessons\": 1 done.{1,4}1 failed.{1,4}3 total.{1,4}1 running .*1/3 *\$" \
	"b: the title shows the batch and its counts, the list its 3 jobs"
jobs_listed() { screen | sed -n '4,12p' | grep -cE ' (b-ok|b-bad|b-slow|outside-1|outside-2) '; }
count_is() { [ "$(jobs_listed)" = "$1" ]; }
wait_for 5 count_is 3 && ok "only the batch's jobs are listed" || { not_ok "only the batch's jobs are listed"; diag "$(screen)"; }
screen_lacks "outside-" && ok "no job outside it" || not_ok "no job outside it"
wait_screen 5 "Batch +$BID \"lessons\"" "the detail pane names the batch"
aura cancel "$SLOW" >/dev/null
wait_screen 10 "1 done.{1,4}1 failed.{1,4}3 total.{1,4}1 cancelled" "the counts follow the batch's jobs"
keys b
wait_screen 10 "Jobs  .*/5 *\$" "b again: every job"
wait_for 5 count_is 5 && ok "all five are listed again" || { not_ok "all five are listed again"; diag "$(screen)"; }
screen_lacks "batch $BID \"lessons\"" && ok "the title forgets the batch" || not_ok "the title forgets the batch"
keys q
wait_screen 5 "^EXIT=0" "q leaves the UI"
server_stop
done_testing
