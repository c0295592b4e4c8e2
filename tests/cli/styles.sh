#!/bin/sh
# styles.sh -- styles with the real server and real FFmpeg: `aura styles`
# lists the built-ins and a [style NAME] over its base; --style unknown is
# STYLE_UNKNOWN (exit 2, nothing queued); a job's spec keeps every key of
# its style, so after aura.ini changes a `retry --force` renders the old
# look; --transition wipe is xfade's wipeleft and none has no xfade in the
# render's filtergraph; --ken-burns off has no zoompan over --images
# stills; --music DIR picks the same track again on retry (an empty one
# is INPUT_UNREADABLE); each built-in style renders a 5 s video that
# verifies.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v ffprobe >/dev/null 2>&1 || skip_all "ffprobe is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"
ffmpeg -hide_banner -filters 2>/dev/null | grep -q ' flite ' || skip_all "this ffmpeg has no flite"

WORK="$T_TMP/work"
mkdir -p "$WORK" "$XDG_CONFIG_HOME/aura"
cd "$WORK" || exit 1
INI="$XDG_CONFIG_HOME/aura/aura.ini"
write_ini() { # write_ini TRANSITION: the user style mine's transition
	cat >"$INI" <<EOF2
[server]
quit_grace = 1
term_grace = 1
max_attempts = 1
[style lecture]
transition_ms = 300
[style mine]
base = shorts
transition = $1
caption_color = #00FF00
EOF2
}
write_ini wipe
FAST="-p draft-480p -d 5"
last_id() { aura ls --json | jq -r '.jobs[0].id'; }
# render ARGS...: aura new ARGS --wait, the job's id in $ID
render() {
	run aura new "$@" --wait
	ID=$(last_id)
	WD="$AURA_DATA_DIR/jobs/$ID"
}
# the render's filtergraph: the running: line of the last ffmpeg with -map [vout]
graph() { grep '^\[aura\] running: [^ ]*ffmpeg .*\[vout\]' "$WD/job.log" | tail -n 1; }
spec() { aura show --json "$1" | jq -r ".job.spec.options.$2"; }

# --- aura styles (the client's aura.ini, no server) -------------------------------------
run aura styles
is "$RC" 0 "aura styles: exit 0"
for s in clean shorts lecture mine; do
	like "$OUT" "^$s |
$s " "aura styles lists $s"
done
run aura styles --json
is "$(printf '%s' "$OUT" | jq -r '[.styles[].name] | join(",")')" "clean,shorts,lecture,mine" \
	"the built-ins first, then the sections"
is "$(printf '%s' "$OUT" | jq -r '.styles[] | select(.name == "mine") | [.base, .keys.transition, .keys.caption_position, .keys.caption_color] | join(",")')" \
	"shorts,wipe,center,#00FF00" "mine: its keys over shorts'"
is "$(printf '%s' "$OUT" | jq -r '.styles[] | select(.name == "lecture") | [.keys.transition_ms, .keys.headings] | join(",")')" \
	"300,slides" "a section named like a built-in changes only its keys"
[ -e "$AURA_DATA_DIR/aura.pid" ] && not_ok "aura styles started no server" || ok "aura styles started no server"

start
run aura new "bees" --style nope
is "$RC" 2 "--style nope: exit 2"
like "$ERR" "STYLE_UNKNOWN" "--style nope: STYLE_UNKNOWN"
like "$ERR" "clean, shorts, lecture, mine" "... listing the styles"
run aura new "bees" --transition spin
is "$RC" 2 "--transition spin: exit 2"
mkdir -p "$WORK/nomusic"
run aura new "bees" --music "$WORK/nomusic"
is "$RC" 2 "--music of an empty directory: exit 2"
like "$ERR" "INPUT_UNREADABLE" "... INPUT_UNREADABLE"
is "$(aura ls --json | jq '.jobs | length')" 0 "nothing was queued"

# --- a batch's style column and --style: resolved into the stored spec at once ----------
printf 'topic,style\nbees one,lecture\nbees two,\n' >"$WORK/b.csv"
run aura batch --style shorts "$WORK/b.csv"
is "$RC" 0 "a batch with a style column"
B1=$(aura ls --json | jq -r '.jobs[] | select(.name == "bees one") | .id')
B2=$(aura ls --json | jq -r '.jobs[] | select(.name == "bees two") | .id')
is "$(spec "$B1" style),$(spec "$B1" headings),$(spec "$B1" transition_ms)" "lecture,slides,300" \
	"the row's style, its keys in the spec"
is "$(spec "$B2" style),$(spec "$B2" caption_position)" "shorts,center" "--style for rows without one"
aura cancel "$B1" "$B2" >/dev/null
printf 'topic,style\nbees,nope\n' >"$WORK/bad.csv"
run aura batch "$WORK/bad.csv"
is "$RC" 2 "a batch row with an unknown style: exit 2"
like "$ERR" "STYLE_UNKNOWN" "... STYLE_UNKNOWN"

# --- a stored job keeps its look -----------------------------------------------------------
render "bees and honey" --style mine $FAST --captions none -o "$WORK/mine.mp4"
is "$RC" 0 "--style mine renders"
is "$(spec "$ID" style),$(spec "$ID" transition),$(spec "$ID" caption_color)" "mine,wipe,#00FF00" \
	"the spec names the style and keeps its keys"
like "$(graph)" "xfade=transition=wipeleft:" "transition wipe: xfade's wipeleft"
write_ini dissolve
sed -i '/^\[style mine\]/,$d' "$INI" # mine leaves aura.ini altogether
stop
start
run aura retry --force "$ID"
is "$RC" 0 "retry --force after aura.ini changed"
wait_for 120 terminal "$ID" || not_ok "the retry ends"
is "$(state_of "$ID")" succeeded "the retry renders without its style in aura.ini"
is "$(spec "$ID" style),$(spec "$ID" transition),$(spec "$ID" caption_color)" "mine,wipe,#00FF00" \
	"the spec still has the old values"
like "$(graph)" "xfade=transition=wipeleft:" "the retry renders the old look"
unlike "$(graph)" "dissolve" "... not aura.ini's new one"
is "$(grep -c '^\[aura\] running: [^ ]*ffmpeg .*\[vout\]' "$WD/job.log")" 2 "(the log holds both renders)"

# --- transition none: a cut --------------------------------------------------------------
render "bees and honey" --transition none $FAST --captions none -o "$WORK/cut.mp4"
is "$RC" 0 "--transition none renders"
like "$(graph)" "concat=n=" "(the graph is the render's)"
unlike "$(graph)" "xfade" "--transition none: no xfade in the filtergraph"

# --- Ken Burns off over stills; --music DIR ----------------------------------------------------
mkdir -p "$WORK/stills" "$WORK/music"
for c in red green blue; do
	ffmpeg -nostdin -v error -f lavfi -i "color=$c:s=320x240" -frames:v 1 "$WORK/stills/$c.png"
done
for f in a b c; do
	ffmpeg -nostdin -v error -f lavfi -i "sine=f=440:d=2" "$WORK/music/$f.wav"
done
: >"$WORK/music/.hidden.wav"
touch "$WORK/music/notes.txt"
render "bees and honey" --images "$WORK/stills" --ken-burns off --music "$WORK/music" --seed 7 \
	$FAST --captions none -o "$WORK/kb.mp4"
is "$RC" 0 "--ken-burns off --music DIR renders"
like "$(graph)" "format=yuv420p,scale=854:480,setsar=1,loop=loop=-1" "(the stills are rendered as still pictures)"
unlike "$(graph)" "zoompan" "--ken-burns off: no zoompan"
PICK=$(sed -n 's/.*music: picked \(.*\) of 3$/\1/p' "$WD/job.log")
like "$PICK" "^$WORK/music/[abc]\.wav$" "the job's log names the track picked of 3"
run aura retry --force "$ID"
wait_for 120 terminal "$ID" || not_ok "the retry ends"
is "$(state_of "$ID")" succeeded "the retry succeeds"
is "$(sed -n 's/.*music: picked \(.*\) of 3$/\1/p' "$WD/job.log" | sort -u)" "$PICK" \
	"the retry picks the same track"
is "$(grep -c 'music: picked' "$WD/job.log")" 2 "(once per attempt)"
render "bees and honey" --images "$WORK/stills" $FAST --captions none -o "$WORK/kb-on.mp4"
like "$(graph)" "zoompan=z=1\+0\.1\*on/" "(Ken Burns on by default: a 10 % zoompan)"

# --- each built-in renders and verifies -------------------------------------------------------
for s in clean shorts lecture; do
	render "how bees make honey" --style "$s" $FAST -o "$WORK/$s.mp4"
	is "$RC:$(state_of "$ID")" "0:succeeded" "--style $s renders"
	is "$(aura show --json "$ID" | jq -r '.stages[] | select(.name == "verify") | .state')" \
		done "--style $s: the video was verified"
	is "$(spec "$ID" style)" "$s" "--style $s: the spec names it"
done
like "$(graph)" "xfade=transition=fade:duration=0.300000" "lecture: aura.ini's transition_ms 300"

stop
done_testing
