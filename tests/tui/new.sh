#!/bin/sh
# tests/tui/new.sh -- `n` in the UI: the new-video form refuses an empty
# topic and a duration out of range without queuing anything, Esc leaves
# it, and a filled form queues a video job that renders to a file named
# after the topic in the UI's working directory. A job's warnings (a
# picture it could not use) show in the detail pane.
. "$AURA_SRCDIR/tests/cli/lib.sh"
. "$AURA_SRCDIR/tests/tui/lib-tui.sh"
command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is needed"

njobs() { aura ls --json | python3 -c "import json,sys; print(len(json.load(sys.stdin)['jobs']))"; }

mkdir -p "$T_TMP/work" && cd "$T_TMP/work" || exit 1
tui_start 120 40
wait_screen 10 "connected" "the UI connects"

keys n
wait_screen 5 "Topic" "n opens the new-video form"
like "$(screen)" "Duration.*30" "the duration defaults to the config's"
keys Enter
wait_screen 5 "a topic or a document is needed" "an empty topic is refused in the form"

text "Rivers, deltas & 'floods': 100%"
keys Tab Tab C-u
text "3"
keys Enter
wait_screen 5 "5 to 1800" "a duration of 3 s is refused in the form"
is "$(njobs)" 0 "nothing was queued by the refused forms"

keys Escape
wait_gone 5 "Duration" "Esc closes the form"
is "$(njobs)" 0 "Esc queues nothing"

keys n
wait_screen 5 "Topic" "n opens the form again"
text "Rivers, deltas & 'floods': 100%"
keys Tab Tab C-u
text "5"
keys Tab Left
wait_screen 5 "draft-480p" "Left chooses the preset"
keys Enter
wait_gone 5 "Duration" "Enter queues and closes the form"
wait_screen 10 "video +(queued|running|succeeded)" "the video job appears in the list"
is "$(njobs)" 1 "one job was queued"
ID=$(aura ls --json | python3 -c "import json,sys; print(json.load(sys.stdin)['jobs'][0]['id'])")
aura wait "$ID" >/dev/null 2>&1
is "$?" 0 "the form's job renders"
wait_screen 10 "video +succeeded" "the list shows it succeeded"
OUTF=$(ls "$T_TMP/work"/*.mp4 2>/dev/null | head -1)
like "$OUTF" "/work/rivers-deltas-floods-100\.mp4$" "the video is in the UI's directory, named after the topic"
like "$(ffprobe -v error -show_entries stream=width,height -of csv=p=0 "$OUTF" 2>&1 | head -1)" \
	"^854,480$" "it was rendered with the chosen preset"

spec_forced() { aura show --json "$1" | jq -r '.job.spec.options.voice_forced // false'; }
is "$(spec_forced "$ID")" false "the prefilled voice leaves the voice chain in charge"
# A voice typed in is forced, as `aura new --voice` does.
keys n
wait_screen 5 "Topic" "n opens the form for a third time"
text "forced voice"
keys Tab Tab Tab Tab Tab C-u
text "flite:kal"
keys Enter
wait_gone 5 "Duration" "the form with a typed voice is queued"
FID=$(aura ls --json | jq -r '.jobs[0].id')
aura cancel "$FID" >/dev/null 2>&1
is "$(spec_forced "$FID")" true "a voice typed in the form is sent as forced"
is "$(aura show --json "$FID" | jq -r '.job.spec.options.voice')" flite:kal "...and it is the typed one"

# A warning on a job is in the detail pane: one picture is not a picture.
mkdir -p "$T_TMP/pics"
ffmpeg -v error -f lavfi -i "testsrc=size=320x240" -frames:v 1 "$T_TMP/pics/a.png"
printf 'not a picture' >"$T_TMP/pics/b.png"
printf 'First.\n\nSecond, a broken file.\n' >"$T_TMP/two.txt"
run aura new pictures --script "$T_TMP/two.txt" --images "$T_TMP/pics" -p draft-480p --wait
is "$RC" 0 "a video with an unusable picture renders"
keys g
wait_screen 10 "Job #[0-9]+ +pictures" "g selects the newest job"
wait_screen 10 "Warning +IMAGE_UNUSABLE: scene 2" "the detail pane shows the job's warning"
like "$(screen)" "pics/b\.png: Cannot" "...with its text, wrapped in the pane"

keys q
done_testing
