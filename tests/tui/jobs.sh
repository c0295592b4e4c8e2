#!/bin/sh
# tests/tui/jobs.sh -- the UI with real jobs: a job submitted from the CLI
# appears with every pane; its progress advances on screen while FFmpeg
# runs; `c` asks and No is the default; `c` `y` cancels it (the state and
# the process checked from outside); `q` leaves the UI and a running job
# goes on; `s` submits a raw FFmpeg command split as a shell would.
. "$AURA_SRCDIR/tests/cli/lib.sh"
. "$AURA_SRCDIR/tests/tui/lib-tui.sh"
command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is needed"

# A clip with a known duration, so the job has a percent and an ETA.
CLIP="$T_TMP/clip.mkv"
ffmpeg -v error -f lavfi -i testsrc=d=20:s=64x64:r=10 -c:v ffv1 "$CLIP" ||
	skip_all "ffmpeg cannot make the test clip"

job_field() { aura show --json "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)['job']['$2'])"; }

run aura submit --name slow-render -- -re -i "$CLIP" -f null /dev/null
ID=$OUT
is "$RC" 0 "a job is queued from the CLI"

tui_start 120 40
wait_screen 10 "slow-render +ffmpeg +running" "the list shows the CLI's job running"
like "$(row 1)" "connected.*1 running" "the status bar says connected, with the counts"
like "$(row 3)" "ID▼ NAME +KIND +STATE +STAGE +PROGRESS +% +ETA +AGE" "the list has its columns, sorted by ID (newest first)"
wait_screen 10 "Job #$ID +slow-render.*Log #$ID" "the detail and log panes show the selected job"
wait_screen 10 "Stream mapping|\[aura\]" "the log pane shows the job's log"
like "$(screen | tail -1)" "F1Help F3Search F4Filter F5Retry F6SortBy F9Cancel F10Quit +n new" "the hint bar shows the F-keys, then the letters"

# Progress advances on screen: read the percent twice.
pct() { screen | sed -n "s/.*slow-render .* \([0-9][0-9]*\)% .*/\1/p" | head -1; }
pct_above() { p=$(pct); [ -n "$p" ] && [ "$p" -gt "$1" ]; }
wait_for 15 pct_above 4
P1=$(pct)
if wait_for 15 pct_above "${P1:-100}"; then
	ok "progress advances on screen ($P1% then $(pct)%)"
else
	not_ok "progress advances on screen"; diag "$(screen)"
fi
like "$(screen)" "Time +0:[0-9]+ / 0:20 +ETA 0:[0-9]+" "the detail pane shows time, duration and ETA"
PID=$(job_field "$ID" pid)
like "$PID" "^[0-9]+$" "the running job has a pid"

# c asks; anything but y is No.
keys c
wait_screen 5 "Cancel job #$ID \(slow-render\)\? \[y/N\]" "c asks before cancelling"
keys Enter
wait_screen 5 "not done" "Enter answers No"
is "$(job_field "$ID" state)" running "the job still runs after No"

keys c
wait_screen 5 "\[y/N\]" "c asks again"
keys y
wait_screen 10 "slow-render +ffmpeg +cancelled" "c then y cancels: the list shows cancelled"
is "$(job_field "$ID" state)" cancelled "the server says cancelled"
if wait_for 10 server_gone "$PID"; then ok "the FFmpeg process is gone"; else
	not_ok "the FFmpeg process is gone"; fi

# r retries the cancelled job; d deletes it after a y.
keys r
wait_screen 10 "job #$ID: queued again" "r retries the selected job"
wait_screen 10 "slow-render +ffmpeg +(queued|running)" "it is queued or running again"
keys c y
wait_screen 10 "slow-render +ffmpeg +cancelled" "and cancelled again"
keys d
wait_screen 5 "Delete job #$ID \(slow-render\)\? \[y/N\]" "d asks before deleting"
keys y
wait_gone 10 "slow-render" "d then y removes the job from the list"
run aura show "$ID"
is "$RC" 2 "the server no longer knows the job"

# s: a raw command line, quoted as in a shell, run without one.
keys s
wait_screen 5 "Submit an FFmpeg command" "s opens the command prompt"
text "ffmpeg -v error -f lavfi -i 'testsrc=d=1:s=32x32' -metadata 'title=a b|c' -f null /dev/null"
keys Enter
wait_screen 10 "queued job #[0-9]+" "the command is queued"
NEW=$(screen | sed -n 's/.*queued job #\([0-9]*\).*/\1/p' | head -1)
ARGV=$(aura show --json "$NEW" | python3 -c "import json,sys; print(json.dumps(json.load(sys.stdin)['job']['spec']['argv']))")
like "$ARGV" '"testsrc=d=1:s=32x32",[[:space:]]*"-metadata",[[:space:]]*"title=a b\|c"' \
	"the words are split as a shell would, quotes removed, | kept"
keys s
text "-i in.mp4 > out.txt"
keys Enter
wait_screen 5 "column 11: '>' is a shell operator" "an unquoted shell operator is refused, with where"
keys Escape
wait_gone 5 "Submit an FFmpeg command" "Esc closes the prompt"

# q quits the UI only: a running job goes on. An endless source, so that
# only a stop could end it (the 20 s clip could run out on a slow machine
# while the keys below are waited for).
run aura submit --name keeps-going -- -re -f lavfi -i testsrc=s=64x64:r=10 -f null /dev/null
ID2=$OUT
wait_screen 10 "keeps-going +ffmpeg +running" "a second job runs"
keys g
wait_screen 5 "Job #$ID2 +keeps-going" "g selects it (the newest)"
keys p
wait_screen 10 "keeps-going +ffmpeg +paused" "p pauses the running job"
is "$(job_field "$ID2" state)" paused "the server says paused"
keys p
wait_screen 10 "keeps-going +ffmpeg +running" "p again resumes it"
keys q
wait_screen 5 "^EXIT=0" "q leaves the UI with status 0"
is "$(job_field "$ID2" state)" running "the job is still running after q"
PID2=$(job_field "$ID2" pid)
if ! server_gone "$PID2"; then ok "its FFmpeg is still alive"; else not_ok "its FFmpeg is still alive"; fi
aura cancel "$ID2" >/dev/null 2>&1

done_testing
