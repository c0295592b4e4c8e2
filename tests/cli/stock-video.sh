#!/bin/sh
# stock-video.sh -- stock video clips ([video] stock = videos, the default)
# through `aura new`, against the loopback fake (tests/fakes/fake-provider.py,
# which serves real 2 s testsrc clips in several renditions, 3 hits a
# query) and real FFmpeg: every scene of a 3-scene video is longer than a
# clip, so it joins the next hits of its query (never a freeze), in the
# rendition that covers the preset, moving, credited; a second video with
# the same queries makes no request; a search with one hit is looped; a
# clip that fails gives way to a photo, then to a card; `mixed`.
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
fake_provider "$KEY"

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
# freezes FILE: how many freezes of 0.5 s or more FFmpeg's freezedetect sees
freezes() {
	ffmpeg -v info -i "$1" -vf freezedetect=n=0.001:d=0.5 -an -f null - 2>&1 | grep -c freeze_start
}
newest() { aura ls --json 2>/dev/null | jq -r '[.jobs[].id] | max'; }
stock_requests() {
	curl -s "$BASE/_stats" | jq '[to_entries[] | select(.key | test("^/(videos/|v1/search|files/)")) | .value] | add // 0'
}

fake _reset '{}'
run aura new "how bees make honey" -d 5 -p draft-480p --captions none -o "$WORK/clips.mp4" --wait
is "$RC" 0 "a video from stock clips succeeds"
ID=$(newest)
WD="$AURA_DATA_DIR/jobs/$ID"
is "$(ffprobe -v error -show_entries stream=codec_type -of csv=p=0 "$WORK/clips.mp4" | sort | tr '\n' ' ')" \
	"audio video " "the video is ffprobe-valid"
is "$(jq '.scenes | length' "$WD/visuals.json")" 3 "the fake's script has 3 scenes"
is "$(jq -r '[.scenes[] | .kind] | unique | join(" ")' "$WD/visuals.json")" clip "every scene is a clip"
# the clips each scene shows (its first hit, then the next ones joined)
CLIPS=$(cat "$WD"/visuals/*.clips.txt | sort -u | wc -l)
USED=$(cat "$WD"/visuals/*.clips.txt | wc -l)
if [ "$CLIPS" -ge 3 ]; then ok "the video uses 3 clips or more ($CLIPS)"; else not_ok "the video uses 3 clips or more ($CLIPS)"; fi
is "$USED" "$CLIPS" "no clip is used twice"
is "$(grep -vc "^$AURA_DATA_DIR/cache/pexels/" "$WD"/visuals/*.clips.txt | awk -F: '{s += $NF} END {print s}')" 0 \
	"the clips come from the pexels cache"
for n in 001 002 003; do
	# each scene is longer than the fake's 2 s clip
	is "$(jq ".scenes[$((n - 1))].frames > 60" "$WD/voice.json")" true "scene $n is longer than a clip"
	K=$(wc -l <"$WD/visuals/$n.clips.txt")
	if [ "$K" -ge 2 ]; then ok "scene $n joins $K clips"; else not_ok "scene $n joins 2 clips or more ($K)"; fi
	like "$(cat "$WD/job.log")" "visuals: scene ${n#00}: [0-9] clips joined" "scene $n's clips were joined"
	is "$(freezes "$WD/visuals/$n.mp4")" 0 "scene $n's picture never freezes (freezedetect)"
done
is "$(hits /videos/search)" "$CLIPS" "one video search a clip"
is "$(($(hits /files/pexels-303-720.mp4) + $(hits /files/pexels-304-720.mp4) + $(hits /files/pexels-305-720.mp4)))" \
	"$CLIPS" "each clip is the 1280x720 rendition"
is "$(curl -s "$BASE/_stats" | jq '[to_entries[] | select(.key | test("^/files/.*-(4k|hd|sd|p720|p1080)\\.mp4$")) | .value] | add // 0')" 0 \
	"no other rendition is downloaded"
# the finished video: two frames inside each scene's span differ, and no
# freeze anywhere
for n in 1 2 3; do
	S=$(jq ".scenes[$((n - 1))].start_frame" "$WD/voice.json")
	F=$(jq ".scenes[$((n - 1))].frames" "$WD/voice.json")
	T1=$(awk -v s="$S" -v f="$F" 'BEGIN { printf "%.2f", (s + f * 0.3) / 30 }')
	T2=$(awk -v s="$S" -v f="$F" 'BEGIN { printf "%.2f", (s + f * 0.7) / 30 }')
	A=$(frame_md5 "$WORK/clips.mp4" "$T1")
	B=$(frame_md5 "$WORK/clips.mp4" "$T2")
	if [ -n "$A" ] && [ -n "$B" ] && [ "$A" != "$B" ]; then
		ok "scene $n moves in the video (frames at $T1 s and $T2 s differ)"
	else
		not_ok "scene $n moves in the video (frames at $T1 s and $T2 s differ)"
		diag "$A / $B"
	fi
done
is "$(freezes "$WORK/clips.mp4")" 0 "the video never freezes for 0.5 s (freezedetect)"
is "$(grep -c '^Video by Fake Videographer on Pexels: https://www.pexels.com/video/30[345]/$' "$WD/credits.txt")" \
	"$CLIPS" "each clip is credited"
is "$(grep -c 'pexels.com/video/304/' "$WD/credits.txt")" 3 "the second hits are credited"

fake _reset '{}'
run aura new "how bees make honey" -d 5 -p draft-480p --captions none -o "$WORK/again.mp4" --wait
is "$RC" 0 "a second video with the same queries succeeds"
is "$(stock_requests)" 0 "the cached clips are not searched or downloaded again"
ID2=$(newest)
is "$(grep -c 'Fake Videographer' "$AURA_DATA_DIR/jobs/$ID2/credits.txt")" "$CLIPS" "cached clips are credited too"
is "$(cat "$AURA_DATA_DIR/jobs/$ID2"/visuals/*.clips.txt | sort -u | wc -l)" "$CLIPS" "the same clips are used"

# a search with one hit: the clip is looped with a crossfade (1.5 s: its
# end fades into its start), never frozen
rm -rf "$AURA_DATA_DIR/cache"
fake _reset '{}'
fake _config '{"video_hits": 1}'
run aura new "how bees make honey" -d 5 -p draft-480p --captions none -o "$WORK/loop.mp4" --wait
is "$RC" 0 "a video from one clip a query succeeds"
WD="$AURA_DATA_DIR/jobs/$(newest)"
for n in 001 002 003; do
	is "$(wc -l <"$WD/visuals/$n.clips.txt")" 1 "scene $n: the search has one clip"
	D=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$WD/visuals/$n.loop.mp4" 2>/dev/null)
	like "$D" '^1\.[45]' "scene $n's clip was made a 1.5 s crossfade loop"
done
like "$(cat "$WD/job.log")" 'pexels has no more clips for it; looped' "the log says why it is looped"
is "$(freezes "$WORK/loop.mp4")" 0 "the looped video never freezes (freezedetect)"

# a clip no decoder can read: a photo from the same site, with a warning
rm -rf "$AURA_DATA_DIR/cache"
fake _reset '{}'
fake _fault '{"path": "/files/pexels-30", "fault": "badmp4"}'
run aura new "how bees make honey" -d 5 -p draft-480p --captions none -o "$WORK/bad.mp4" --wait
is "$RC" 0 "a video whose clips are unusable succeeds"
WD="$AURA_DATA_DIR/jobs/$(newest)"
is "$(jq -r '[.scenes[] | .kind] | unique | join(" ")' "$WD/visuals.json")" still "every scene is a photo"
is "$(grep -c 'warning: scene [123]: .*; using a pexels photo$' "$WD/job.log")" 3 "a warning a scene says so"
grep 'warning' "$WD/job.log" | head -3 | while read -r l; do diag "$l"; done
is "$(grep -c '^Photo by Fake Photographer on Pexels' "$WD/credits.txt")" 3 "the photos are credited"

# clips and photos failing (HTTP errors): cards, with warnings
rm -rf "$AURA_DATA_DIR/cache"
fake _reset '{}'
fake _fault '{"path": "/videos/search", "fault": "401"}'
fake _fault '{"path": "/v1/search", "fault": "401"}'
run aura new "how bees make honey" -d 5 -p draft-480p --captions none -o "$WORK/cards.mp4" --wait
is "$RC" 0 "a video whose clips and photos fail succeeds"
WD="$AURA_DATA_DIR/jobs/$(newest)"
is "$(jq -r '[.scenes[] | .kind] | unique | join(" ")' "$WD/visuals.json")" card "every scene is a card"
like "$(cat "$WD/job.log")" 'scene 1: pexels failed.*\(a clip\); using a pexels photo' "the clip's failure is a warning"
like "$(cat "$WD/job.log")" 'scene 1: pexels failed.*; using generated' "so is the photo's"

# mixed: clips and photos by turns, a clip first
rm -rf "$AURA_DATA_DIR/cache"
fake _reset '{}'
stop # the server reads aura.ini when it starts
printf '[video]\nstock = mixed\n' >>"$XDG_CONFIG_HOME/aura/aura.ini"
run aura new "how bees make honey" -d 5 -p draft-480p --captions none -o "$WORK/mixed.mp4" --wait
is "$RC" 0 "a mixed video succeeds"
WD="$AURA_DATA_DIR/jobs/$(newest)"
is "$(jq -r '[.scenes[] | .kind] | join(" ")' "$WD/visuals.json")" "clip still clip" "mixed: clip, photo, clip"

done_testing
