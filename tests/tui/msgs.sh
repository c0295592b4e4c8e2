#!/bin/sh
# tests/tui/msgs.sh -- what the UI says about jobs: a finished video's
# detail shows its media's duration and no rate; `d` on a running job is
# refused at once (no y/N) with rm's own words; "job #N: cancelling"
# becomes "cancelled" when the job's state arrives; `d` says what it
# removes (the record and work directory, never the output).
. "$AURA_SRCDIR/tests/cli/lib.sh"
. "$AURA_SRCDIR/tests/tui/lib-tui.sh"
command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is needed"

# A finished video whose last command reported no time nor fps.
now=$(($(date +%s) * 1000))
seed_sql "INSERT INTO jobs (kind, name, state, spec, output, created_ms, started_ms,
  finished_ms, updated_ms, attempts, max_attempts, progress, out_time_us, duration_us, fps,
  speed, size) VALUES ('video', 'done-video', 'succeeded', '{\"topic\":\"x\"}',
  '/videos/done.mp4', $now - 60000, $now - 60000, $now - 50000, $now - 50000, 1, 3, 1.0,
  0, 10000000, 0, 0, 2097152);" || skip_all "cannot seed the store"

tui_start 120 40
wait_screen 10 "Job #1 +done-video" "the detail shows the finished video"
wait_screen 5 "Time +0:10( |$)" "its time is the media's duration"
screen_lacks "0:00 /" && ok "not the last command's clock" || { not_ok "not the last command's clock"; diag "$(screen)"; }
screen_lacks "fps" && ok "no rate for a finished job" || { not_ok "no rate for a finished job"; diag "$(screen)"; }
like "$(screen)" "Size +2.0 MiB" "its size shows"
keys q
wait_screen 5 "EXIT=0" "q leaves"

CLIP="$T_TMP/clip.mkv"
ffmpeg -v error -f lavfi -i testsrc=d=30:s=64x64:r=10 -c:v ffv1 "$CLIP" ||
	skip_all "ffmpeg cannot make the test clip"
run aura submit --name slow-one -o "$T_TMP/out.mkv" -- -re -i "$CLIP" -c copy "$T_TMP/out.mkv"
ID=$OUT
tui_start 120 40
wait_screen 10 "slow-one +ffmpeg +running" "the running job is listed"
wait_screen 10 "Job #$ID +slow-one" "and selected"
keys d
wait_screen 5 "rm: JOB_BAD_STATE.*cancel it first" "d on a running job says to cancel it first"
screen_lacks "\[y/N\]" && ok "without asking y/N first" || not_ok "without asking y/N first"
is "$(aura show --json "$ID" | python3 -c "import json,sys; print(json.load(sys.stdin)['job']['state'])")" \
	running "the job still runs"

keys c
wait_screen 5 "\[y/N\]" "c asks"
keys y
wait_screen 10 "slow-one +ffmpeg +cancelled" "the job is cancelled"
wait_screen 10 "job #$ID: cancelled" "the message line follows: cancelled"
screen_lacks "cancelling" && ok "no \"cancelling\" left" || { not_ok "no \"cancelling\" left"; diag "$(screen)"; }

keys d
wait_screen 5 "Delete job #$ID \(slow-one\)\? \[y/N\]" "d asks for a cancelled job"
wait_screen 5 "Its record and work directory go; its output is kept" \
	"and says what is removed, and that the output stays"
keys y
wait_gone 10 "slow-one" "y removes it"
[ -e "$AURA_DATA_DIR/jobs/$ID" ] && not_ok "its work directory is gone" || ok "its work directory is gone"

keys q
wait_screen 5 "EXIT=0" "q leaves"
done_testing
