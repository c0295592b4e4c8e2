#!/bin/sh
# tests/tui/new.sh -- `n` in the UI: the new-video form refuses an empty
# topic and a duration out of range without queuing anything, Esc leaves
# it, and a filled form queues a video job that renders to a file named
# after the topic in the UI's working directory.
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
wait_screen 5 "a topic is needed" "an empty topic is refused in the form"

text "Rivers, deltas & 'floods': 100%"
keys Tab C-u
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
keys Tab C-u
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

keys q
done_testing
