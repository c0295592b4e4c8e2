#!/bin/sh
# render-seg.sh -- the segmented render (doc/render.md) with the real
# server and real FFmpeg: a 3-scene video rendered in segments passes
# verify with exactly the planned frames, continuous timestamps and A/V
# in sync; its frames at every segment boundary match the one-run render
# of the same spec ([video] segments = off), and a captioned frame matches
# libass drawing the same ASS on the same picture (SSIM >= 0.99); a
# segment that fails once runs again alone; after kill -9 of the server
# mid-render the resumed job encodes only the segments not finished.
#
# An ffmpeg stand-in (a script that execs the real one) fails the first
# command matching a pattern ("failonce") or holds it until a gate file
# goes ("hold"), so a job is caught where the test wants it.
. "$AURA_SRCDIR/tests/cli/lib.sh"
. "$AURA_SRCDIR/tests/cli/media.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v ffprobe >/dev/null 2>&1 || skip_all "ffprobe is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"
ffmpeg -hide_banner -filters 2>/dev/null | grep -q ' flite ' || skip_all "this ffmpeg has no flite"
ffmpeg -hide_banner -filters 2>/dev/null | grep -q ' subtitles ' || skip_all "this ffmpeg has no libass"
[ "$(getconf _NPROCESSORS_ONLN)" -ge 2 ] || skip_all "one core: the render is never split"

WORK="$T_TMP/work"
mkdir -p "$WORK" "$T_TMP/bin"
cd "$WORK" || exit 1
REAL_FFMPEG=$(command -v ffmpeg)
GATE="$T_TMP/gate"

cat >"$T_TMP/bin/ffmpeg" <<EOF
#!/bin/sh
if [ -f "$GATE" ] && printf '%s\n' "\$*" | grep -qE -- "\$(sed -n 1p "$GATE")"; then
	mode=\$(sed -n 2p "$GATE")
	if [ "\$mode" = failonce ]; then
		if [ ! -f "$GATE.hit" ]; then
			: >"$GATE.hit"
			echo "stand-in: failing once as asked" >&2
			exit 1
		fi
	else
		: >"$GATE.hit"
		while [ -f "$GATE" ]; do sleep 0.05; done
	fi
fi
exec "$REAL_FFMPEG" "\$@"
EOF
chmod +x "$T_TMP/bin/ffmpeg"
config() { # config auto|off [LANES: 4, a segment a scene]
	mkdir -p "$XDG_CONFIG_HOME/aura"
	cat >"$XDG_CONFIG_HOME/aura/aura.ini" <<EOF
[ffmpeg]
ffmpeg = $T_TMP/bin/ffmpeg
ffprobe = $(command -v ffprobe)
[server]
quit_grace = 1
term_grace = 1
lanes = ${2:-4}
[video]
segments = $1
EOF
}
gate() { printf '%s\n%s\n' "$1" "$2" >"$GATE"; rm -f "$GATE.hit"; }
ungate() { rm -f "$GATE" "$GATE.hit"; }
jfield() { aura show --json "$1" 2>/dev/null | jq -r ".job.$2"; }

cat >"$WORK/three.txt" <<'EOF'
# Cards
Three short scenes make a video long enough to split.

# Segments
Each scene is encoded by its own run, at the same time as the others.

# Joined
The parts are joined without encoding them again.
EOF
SPEC="--script $WORK/three.txt -p draft-480p -d 14 --seed 7"

# frames FILE: the decoded video frames
frames() { ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$1"; }
# frame FILE N OUT: frame N as a PNG
frame() { ffmpeg -v error -y -i "$1" -vf "select=eq(n\,$2)" -frames:v 1 -fps_mode passthrough "$3"; }
ssim() { ffmpeg -hide_banner -nostats -i "$1" -i "$2" -lavfi "[0:v]format=yuv420p[a];[1:v]format=yuv420p[b];[a][b]ssim" -f null - 2>&1 | sed -n 's/.*All:\([0-9.]*\).*/\1/p' | tail -1; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }
seg_runs() { grep -c "running:.*render/seg-00$2\.part" "$1/job.log"; }

# --- the segmented render ---------------------------------------------------------
config auto 2
T0=$(date +%s)
run aura new "segments" $SPEC -o "$WORK/seg.mp4" --wait
is "$RC" 0 "a segmented render succeeds (verify passed)"
ID=$(aura ls --json | jq -r '.jobs[0].id')
WD=$(jfield "$ID" workdir)
like "$(cat "$WD/job.log")" "render: 2 segments over 2 lanes" "3 scenes on 2 lanes: 2 segments"
is "$(grep -c 'running:.*render/seg-00[0-9]\(-00[0-9]\)\{0,1\}\.part\.mp4' "$WD/job.log")" 2 "two segment runs"
is "$(grep -c 'running:.*render/seg-00[0-9]-00[0-9]\.part\.mp4' "$WD/job.log")" 1 "one of them holds two scenes"
like "$(grep 'running:.*concat' "$WD/job.log")" "-c copy" "the join copies the streams"
is "$(grep -c 'running:.*-i audio/mix.wav .*-c:a aac' "$WD/job.log")" 1 "the audio is encoded once"
# the voice and the cards in parts at once, one a lane: 2 flite runs that
# speak the 3 scenes between them, 2 card runs that draw the 3 cards
is "$(grep -c '^\[aura\] \[[01]\] running:.*flite=textfile' "$WD/job.log")" 2 "the voice: two flite runs at once"
is "$(grep '^\[aura\] \[[01]\] running:.*flite=textfile' "$WD/job.log" | grep -o 'voice/00[0-9]\.txt' | sort -u | wc -l | tr -d ' ')" 3 \
	"...speaking the 3 scenes between them"
is "$(grep -c '^\[aura\] \[[01]\] running:.*-compression_level 1 visuals/' "$WD/job.log")" 2 "the cards: two runs at once"
# verify's probe and decode at once (parallel commands carry their tag)
is "$(grep -c '^\[aura\] \[[01]\] running:.*\(ffprobe .*-of json\|-frames:v 5 -f null\)' "$WD/job.log")" 2 \
	"verify: the probe and the decode run at once"
# the mix and the cue images need nothing of each other: the cue run
# starts before the mix has ended (its loudness line is the mix's end)
CUE_AT=$(grep -n 'running:.*render/cues.graph' "$WD/job.log" | head -1 | cut -d: -f1)
MIX_END=$(grep -n '^\[aura\] mix: ' "$WD/job.log" | head -1 | cut -d: -f1)
is "$([ -n "$CUE_AT" ] && [ -n "$MIX_END" ] && [ "$CUE_AT" -lt "$MIX_END" ] && echo yes)" yes \
	"the cue images are drawn while the mix runs (line $CUE_AT < line $MIX_END)"
is "$(grep -c 'running:.*-x264-params threads=[0-9]*:zones=[0-9]*,[0-9]*,b=.* render/seg-' "$WD/job.log")" 2 \
	"both segments encode their cards' still pieces as x264 zones"
# a still piece is zoned from its first frame, and pieces that touch are one
# zone: a gap between two zones is a crossfade (more than one frame)
is "$(grep -o 'zones=[^ ]*' "$WD/job.log" | sed 's/^zones=//' |
	awk '{ n = split($0, z, "/"); for (i = 2; i <= n; i++) { split(z[i - 1], p, ","); split(z[i], q, ",");
		if (q[1] <= p[2] + 2) bad++ } } END { print (bad ? "touching" : "apart") }')" apart \
	"touching zones are merged, the gaps are crossfades"
# the CPUs shared out between the 2 segments, one frame thread a core
TH=$(($(getconf _NPROCESSORS_ONLN) / 2))
[ "$TH" -ge 1 ] || TH=1
is "$(grep -c "running:.*-x264-params threads=$TH:.* render/seg-" "$WD/job.log")" 2 \
	"each segment's x264 has threads=$TH ($(getconf _NPROCESSORS_ONLN) CPUs, 2 segments)"
PLAN=$(jfield "$ID" duration_us)
NF=$(( (PLAN * 30 + 500000) / 1000000 ))
is "$(frames "$WORK/seg.mp4")" "$NF" "exactly the planned $NF frames"
is "$(cfr "$WORK/seg.mp4")" yes "every frame 1/30 s after the one before"
VD=$(ffprobe -v error -select_streams v:0 -show_entries stream=duration -of csv=p=0 "$WORK/seg.mp4")
AD=$(ffprobe -v error -select_streams a:0 -show_entries stream=duration -of csv=p=0 "$WORK/seg.mp4")
if awk -v v="$VD" -v a="$AD" 'BEGIN { d = v - a; if (d < 0) d = -d; exit !(d <= 1 / 30 + 1e-6) }'; then
	ok "audio ($AD s) and video ($VD s) within one frame"; else not_ok "audio ($AD s) and video ($VD s) within one frame"; fi
is "$(probe "$WORK/seg.mp4")" "h264 yuv420p 30/1 | aac 48000 2 | 1 1" "one H.264 and one AAC stream"
like "$(boxes "$WORK/seg.mp4")" "moov.* mdat" "faststart"
LU=$(loudness "$WORK/seg.mp4")
if awk -v l="$LU" 'BEGIN { exit !(l >= -17.5 && l <= -14.5) }'; then
	ok "the mix's gain is applied once at the join: $LU LUFS within -16 +- 1.5"; else
	not_ok "the mix's gain is applied once at the join: $LU LUFS within -16 +- 1.5"; fi
if [ ! -e "$WD/render" ] && [ ! -e "$WD/audio/mix.wav" ]; then ok "the segments and the mix are removed once joined"; else
	not_ok "the segments and the mix are removed once joined"; fi
diag "segmented job: $(( $(date +%s) - T0 )) s"

# --- the same spec in one run: the boundary frames match ------------------------------
stop
config off
run aura new "segments" $SPEC -o "$WORK/one.mp4" --wait
is "$RC" 0 "the one-run render of the same spec succeeds"
ID1=$(aura ls --json | jq -r '.jobs[0].id')
WD1=$(jfield "$ID1" workdir)
like "$(cat "$WD1/job.log")" "render: one run" "segments = off: one run"
is "$(frames "$WORK/one.mp4")" "$NF" "...with the same frames"
BAD=""
for b in $(jq -r '.scenes[] | "\(.start_frame) \(.start_frame + .frames - 1)"' "$WD/voice.json"); do
	frame "$WORK/seg.mp4" "$b" "$T_TMP/a.y4m"
	frame "$WORK/one.mp4" "$b" "$T_TMP/b.y4m"
	S=$(ssim "$T_TMP/a.y4m" "$T_TMP/b.y4m")
	ge "$S" 0.99 || BAD="$BAD $b:$S"
	LAST_S=$S
done
is "$BAD" "" "every segment boundary frame matches the one-run render (SSIM >= 0.99; last $LAST_S)"
S=$(ssim "$WORK/seg.mp4" "$WORK/one.mp4")
if ge "$S" 0.99; then ok "...and the whole video does (SSIM $S)"; else not_ok "...and the whole video does (SSIM $S)"; fi

# a captioned frame: the middle of the first cue, drawn by libass directly
F=$(awk -F'[,:.]' '/^Dialogue:/ { s = ($3 * 60 + $4) * 60 + $5 + $6 / 100; e = ($7 * 60 + $8) * 60 + $9 + $10 / 100; printf "%d\n", (s + e) / 2 * 30; exit }' "$WD/captions.ass")
(cd "$WD" && ffmpeg -v error -y -framerate 30 -i visuals/001.png \
	-vf "format=yuv420p,loop=loop=-1:size=1,trim=end_frame=$((F + 1)),setpts=N,settb=1/30,subtitles=captions.ass,select=eq(n\,$F)" \
	-frames:v 1 -fps_mode passthrough "$T_TMP/ref.y4m")
frame "$WORK/seg.mp4" "$F" "$T_TMP/cap.y4m"
S=$(ssim "$T_TMP/cap.y4m" "$T_TMP/ref.y4m")
frame "$WORK/one.mp4" "$F" "$T_TMP/cap1.y4m"
diag "one-run frame vs libass: $(ssim "$T_TMP/cap1.y4m" "$T_TMP/ref.y4m"), vs the segmented: $(ssim "$T_TMP/cap1.y4m" "$T_TMP/cap.y4m")"
if ge "$S" 0.99; then ok "captioned frame $F matches subtitles= on the same picture (SSIM $S)"; else
	not_ok "captioned frame $F matches subtitles= on the same picture (SSIM $S)"; fi
# and the same frame without captions does not (the check can fail)
(cd "$WD" && ffmpeg -v error -y -i visuals/001.png -vf format=yuv420p "$T_TMP/bare.y4m")
S0=$(ssim "$T_TMP/cap.y4m" "$T_TMP/bare.y4m")
if ! ge "$S0" "$S"; then ok "...closer than the bare picture ($S0)"; else not_ok "...closer than the bare picture ($S0)"; fi

# --- moving stretches: Ken Burns, a clip, the shorts style's word highlights ---------------
IMG="$WORK/pics"
mkdir -p "$IMG"
ffmpeg -v error -f lavfi -i "testsrc=size=320x240" -frames:v 1 "$IMG/a.png"
ffmpeg -v error -f lavfi -i "smptebars=size=640x360" -frames:v 1 "$IMG/b.jpg"
ffmpeg -v error -f lavfi -i "testsrc2=size=320x180:rate=25:duration=2" -pix_fmt yuv420p "$IMG/c.mp4"
MSPEC="--script $WORK/three.txt --images $IMG --style shorts -p landscape-720p -d 14 --seed 7"
run aura new "moving" $MSPEC -o "$WORK/mone.mp4" --wait
is "$RC" 0 "one run: stills with Ken Burns, a clip, word highlights"
MID=$(aura ls --json | jq -r '.jobs[0].id')
stop
config auto
run aura new "moving" $MSPEC -o "$WORK/mseg.mp4" --wait
is "$RC" 0 "...and the same in segments"
MWD=$(jfield "$(aura ls --json | jq -r '.jobs[0].id')" workdir)
like "$(cat "$MWD/job.log")" "render: 3 segments over" "...split a segment a scene"
MNF=$(( ($(jfield "$MID" duration_us) * 30 + 500000) / 1000000 ))
is "$(frames "$WORK/mseg.mp4")" "$MNF" "...exactly the planned $MNF frames"
BAD=""
for b in $(jq -r '.scenes[] | "\(.start_frame) \(.start_frame + .frames - 1)"' "$MWD/voice.json"); do
	frame "$WORK/mseg.mp4" "$b" "$T_TMP/a.y4m"
	frame "$WORK/mone.mp4" "$b" "$T_TMP/b.y4m"
	S=$(ssim "$T_TMP/a.y4m" "$T_TMP/b.y4m")
	ge "$S" 0.99 || BAD="$BAD $b:$S"
done
is "$BAD" "" "...its boundary frames match the one run's (SSIM >= 0.99)"
S=$(ssim "$WORK/mseg.mp4" "$WORK/mone.mp4")
if ge "$S" 0.99; then ok "...and the whole video does (SSIM $S)"; else not_ok "...and the whole video does (SSIM $S)"; fi

# --- a segment that fails once runs again alone ---------------------------------------
gate 'seg-002\.part\.mp4' failonce
run aura new "segments" $SPEC -o "$WORK/fail.mp4" --wait
is "$RC" 0 "a segment failing once does not fail the job"
ID=$(aura ls --json | jq -r '.jobs[0].id')
WD=$(jfield "$ID" workdir)
like "$(cat "$WD/job.log")" "segment 2 failed .*running it again" "the log says the segment runs again"
is "$(seg_runs "$WD" 1) $(seg_runs "$WD" 2) $(seg_runs "$WD" 3)" "1 2 1" "only segment 2 ran twice"
is "$(jfield "$ID" attempts)" 1 "within the job's first attempt"
is "$(frames "$WORK/fail.mp4")" "$NF" "the video has its frames"
ungate

# --- kill -9 mid-render: the resumed job encodes only the unfinished segments -----------
gate 'seg-003\.part\.mp4' hold
run aura new "segments" $SPEC -o "$WORK/resume.mp4"
ID=$OUT
wait_for 60 test -f "$GATE.hit" || not_ok "the render reached segment 3"
WD=$(jfield "$ID" workdir)
# with a lane a segment all three started at once: 1 and 2 finish beside the held 3
if wait_for 60 sh -c "[ -s '$WD/render/seg-001.mp4' ] && [ -s '$WD/render/seg-002.mp4' ]"; then
	ok "segments 1 and 2 are finished"; else not_ok "segments 1 and 2 are finished"; fi
SPID=$(server_pid)
kill -9 "$SPID"
wait_for 10 sh -c "! kill -0 $SPID 2>/dev/null" || not_ok "the server is gone (kill -9)"
ungate
run aura wait "$ID"
is "$RC" 0 "after a restart the job resumes and succeeds"
is "$(jfield "$ID" attempts)" 2 "in its second attempt"
like "$(cat "$WD/job.log")" "3 segments over .* 2 done before" "the plan found two segments done"
is "$(seg_runs "$WD" 1) $(seg_runs "$WD" 2) $(seg_runs "$WD" 3)" "1 1 2" "only segment 3 was encoded again"
is "$(frames "$WORK/resume.mp4")" "$NF" "the resumed video has its frames"
is "$(cfr "$WORK/resume.mp4")" yes "...evenly spaced"
stop

done_testing
