#!/bin/sh
# stock-video.sh -- stock video clips ([video] stock = videos, the default)
# through `aura new`, against the loopback fake (tests/fakes/fake-provider.py,
# which serves real 2 s testsrc clips in several renditions) and real
# FFmpeg: every scene of a 3-scene video is its own clip, in the rendition
# that covers the preset, moving (not a frozen frame), credited; a second
# video with the same queries makes no request.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v ffprobe >/dev/null 2>&1 || skip_all "ffprobe is not installed"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed"
command -v curl >/dev/null 2>&1 || skip_all "curl is not installed"
ffmpeg -hide_banner -filters 2>/dev/null | grep -q ' flite ' || skip_all "this ffmpeg has no flite"
unset OPENAI_API_KEY ELEVENLABS_API_KEY PEXELS_API_KEY PIXABAY_API_KEY

KEY="sk-stock-video-fake-2718281828"
export AURA_T_KEY="$KEY"
FAKE_KEY="$KEY" python3 "$AURA_SRCDIR/tests/fakes/fake-provider.py" >"$T_TMP/port" &
FAKE_PID=$!
trap 'kill $FAKE_PID 2>/dev/null; t_cleanup' EXIT
wait_for 10 test -s "$T_TMP/port" || { not_ok "the fake provider starts"; done_testing; }
BASE="http://127.0.0.1:$(head -1 "$T_TMP/port")"

WORK="$T_TMP/work"
mkdir -p "$WORK" "$XDG_CONFIG_HOME/aura"
cd "$WORK" || exit 1
cat >"$XDG_CONFIG_HOME/aura/aura.ini" <<EOF
[ffmpeg]
ffmpeg = $(command -v ffmpeg)
ffprobe = $(command -v ffprobe)
[providers]
script = openai, rulebased
voice = flite
visuals = pexels, generated
[openai]
base_url = $BASE/v1
api_key_env = AURA_T_KEY
[pexels]
base_url = $BASE
api_key_env = AURA_T_KEY
EOF

fake() { curl -s -XPOST -d "$2" "$BASE/$1" >/dev/null; }
hits() { curl -s "$BASE/_stats" | jq -r --arg p "$1" '.[$p] // 0'; }
# frame_md5 FILE SECONDS: the md5 of the frame at that time
frame_md5() {
	ffmpeg -v error -ss "$2" -i "$1" -frames:v 1 -f framemd5 - 2>/dev/null | grep -v '^#' | awk -F, '{print $NF}'
}

fake _reset '{}'
run aura new "how bees make honey" -d 5 -p draft-480p --captions none -o "$WORK/clips.mp4" --wait
is "$RC" 0 "a video from stock clips succeeds"
ID=$(aura ls --json 2>/dev/null | jq -r '[.jobs[].id] | max')
WD="$AURA_DATA_DIR/jobs/$ID"
is "$(ffprobe -v error -show_entries stream=codec_type -of csv=p=0 "$WORK/clips.mp4" | sort | tr '\n' ' ')" \
	"audio video " "the video is ffprobe-valid"
is "$(jq '.scenes | length' "$WD/visuals.json")" 3 "the fake's script has 3 scenes"
is "$(jq -r '[.scenes[] | .kind] | unique | join(" ")' "$WD/visuals.json")" clip "every scene is a clip"
is "$(jq -r '[.scenes[].source] | unique | length' "$WD/visuals.json")" 3 "3 different clips, one a scene"
is "$(jq -r '[.scenes[].source | startswith("'"$AURA_DATA_DIR/cache/pexels/"'")] | all' "$WD/visuals.json")" true \
	"the clips come from the pexels cache"
is "$(hits /videos/search)" 3 "one video search a scene"
# draft-480p is 854x480: 1280x720 is the smallest rendition that covers it
is "$(hits /files/pexels-303-720.mp4)" 3 "each clip is the 1280x720 rendition"
is "$(($(hits /files/pexels-303-4k.mp4) + $(hits /files/pexels-303-hd.mp4) + $(hits /files/pexels-303-sd.mp4)))" 0 \
	"no other rendition is downloaded"
for n in 001 002 003; do
	V="$WD/visuals/$n.mp4"
	A=$(frame_md5 "$V" 0.2)
	B=$(frame_md5 "$V" 1.4)
	if [ -n "$A" ] && [ -n "$B" ] && [ "$A" != "$B" ]; then
		ok "scene $n's picture moves (frames at 0.2 s and 1.4 s differ)"
	else
		not_ok "scene $n's picture moves (frames at 0.2 s and 1.4 s differ)"
		diag "$A / $B"
	fi
done
# the 2 s clips are shorter than their scenes: each was made a seamless loop
# (1.5 s: its end crossfades into its start) and never freezes
for n in 001 002 003; do
	D=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$WD/visuals/$n.loop.mp4" 2>/dev/null)
	like "$D" '^1\.[45]' "scene $n's clip was made a 1.5 s crossfade loop"
	F=$(ffmpeg -v info -i "$WD/visuals/$n.mp4" -vf freezedetect=n=0.0005:d=0.25 -f null - 2>&1 | grep -c freeze_start)
	is "$F" 0 "scene $n's clip never freezes (freezedetect)"
done
# and in the finished video: two times inside the first scene
A=$(frame_md5 "$WORK/clips.mp4" 0.3)
B=$(frame_md5 "$WORK/clips.mp4" 1.3)
if [ -n "$A" ] && [ "$A" != "$B" ]; then ok "the finished video moves"; else not_ok "the finished video moves"; fi
is "$(grep -c '^Video by Fake Videographer on Pexels: https://www.pexels.com/video/303/$' "$WD/credits.txt")" 3 \
	"each clip is credited"

fake _reset '{}'
run aura new "how bees make honey" -d 5 -p draft-480p --captions none -o "$WORK/again.mp4" --wait
is "$RC" 0 "a second video with the same queries succeeds"
is "$(hits /videos/search)/$(hits /files/pexels-303-720.mp4)" 0/0 "the cached clips are not searched or downloaded again"
ID2=$(aura ls --json 2>/dev/null | jq -r '[.jobs[].id] | max')
is "$(grep -c 'Fake Videographer' "$AURA_DATA_DIR/jobs/$ID2/credits.txt")" 3 "cached clips are credited too"

done_testing
