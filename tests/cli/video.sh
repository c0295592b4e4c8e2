#!/bin/sh
# video.sh -- `aura new` end to end with the real server and real FFmpeg:
# a short draft video checked with ffprobe (streams, duration against the
# plan, faststart, pixel format), its loudness (ebur128) and its captions
# (cue count, line width, timing); --script (its heading as the topic
# when none is given), piper fed on stdin (a stand-in), --images (stills, a clip and a
# broken file), --music; hostile text in the topic and the script; names
# that never overwrite; resume after kill -9 of the server during render
# (earlier stages' files untouched); cancel during each stage (no process,
# no .part left); Ctrl-C during --wait; and the validation errors.
#
# An ffmpeg stand-in (a script that execs the real one) can hold the one
# command whose arguments match a pattern ("hold": until the gate file is
# removed) or run it at real-time speed ("slow": -re before each input),
# so a job is caught in the stage the test wants, without sleep-and-hope.
. "$AURA_SRCDIR/tests/cli/lib.sh"
. "$AURA_SRCDIR/tests/cli/media.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v ffprobe >/dev/null 2>&1 || skip_all "ffprobe is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
ffmpeg -hide_banner -filters 2>/dev/null | grep -q ' flite ' || skip_all "this ffmpeg has no flite"

WORK="$T_TMP/work"
mkdir -p "$WORK" "$T_TMP/bin"
cd "$WORK" || exit 1
REAL_FFMPEG=$(command -v ffmpeg)
GATE="$T_TMP/gate"
PRESET="-p draft-480p"

# --- the ffmpeg stand-in and the config -------------------------------------
cat >"$T_TMP/bin/ffmpeg" <<EOF
#!/bin/sh
if [ -f "$GATE" ] && printf '%s\n' "\$*" | grep -qE -- "\$(sed -n 1p "$GATE")"; then
	mode=\$(sed -n 2p "$GATE")
	: >"$GATE.hit"
	if [ "\$mode" = fail ]; then
		echo "stand-in: failing as asked" >&2
		exit 1
	elif [ "\$mode" = slow ]; then
		n=\$#
		for a do
			[ "\$a" = -i ] && set -- "\$@" -re
			set -- "\$@" "\$a"
		done
		shift "\$n"
	else
		while [ -f "$GATE" ]; do sleep 0.05; done
	fi
fi
exec "$REAL_FFMPEG" "\$@"
EOF
chmod +x "$T_TMP/bin/ffmpeg"
# A stand-in for the classic C++ piper: the text on stdin only (it has no
# --input_file), a second of tone as the speech.
cat >"$T_TMP/bin/piper" <<EOF
#!/bin/sh
out=""
while [ \$# -gt 0 ]; do
	case "\$1" in
	--model) shift ;;
	--output_file) out=\$2; shift ;;
	*) echo "piper stand-in: unknown option \$1" >&2; exit 1 ;;
	esac
	shift
done
text=\$(cat)
[ -n "\$text" ] || { echo "piper stand-in: no text on stdin" >&2; exit 1; }
printf '%s\n' "\$text" >>"$T_TMP/piper.said"
exec "$REAL_FFMPEG" -nostdin -v error -f lavfi -i sine=d=1 -y "\$out"
EOF
chmod +x "$T_TMP/bin/piper"
mkdir -p "$XDG_CONFIG_HOME/aura"
cat >"$XDG_CONFIG_HOME/aura/aura.ini" <<EOF
[ffmpeg]
ffmpeg = $T_TMP/bin/ffmpeg
ffprobe = $(command -v ffprobe)
[server]
quit_grace = 1
term_grace = 1
[voice]
piper = $T_TMP/bin/piper
EOF

# gate PATTERN MODE / ungate
gate() { printf '%s\n%s\n' "$1" "$2" >"$GATE"; rm -f "$GATE.hit"; }
ungate() { rm -f "$GATE" "$GATE.hit"; }
gate_hit() { [ -f "$GATE.hit" ]; }

job_json() { aura show --json "$1" 2>/dev/null; }
jfield() { job_json "$1" | jq -r ".job.$2"; }
stage_is() { [ "$(jfield "$1" stage)" = "$2" ] && [ "$(jfield "$1" state)" = running ]; }
state_is() { [ "$(jfield "$1" state)" = "$2" ]; }
# Processes running in a job's work directory (every child does).
procs_in() {
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/cwd" 2>/dev/null)" = "$1" ] && echo "${p#/proc/}"
	done
}
no_procs_in() { [ -z "$(procs_in "$1")" ]; }
no_part() { ! ls "$1"/*.part.* >/dev/null 2>&1; }

# Top-level MP4 boxes in order.

# The captions' facts: "CUES MAXCOLS MAXLINES MONOTONIC LASTEND_MS".
srt_facts() {
	python3 - "$1" <<'PY'
import sys, unicodedata
def width(s):
    w = 0
    for ch in s:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ('Mn', 'Me', 'Cf'):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in ('W', 'F') else 1
    return w
def ms(t):
    h, m, rest = t.split(':')
    s, milli = rest.split(',')
    return ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(milli)
blocks = [b for b in open(sys.argv[1], encoding='utf-8').read().split('\n\n') if b.strip()]
cols = lines = 0
mono = 1
last = -1
for b in blocks:
    rows = b.split('\n')
    a, z = rows[1].split(' --> ')
    a, z = ms(a), ms(z)
    if a < last or z < a:
        mono = 0
    last = z
    text = rows[2:]
    lines = max(lines, len(text))
    cols = max([cols] + [width(t) for t in text])
print(len(blocks), cols, lines, mono, last)
PY
}


# --- a full video ------------------------------------------------------------
run aura new "how volcanoes work" -d 6 $PRESET --wait
is "$RC" 0 "aura new --wait exits 0 when the video is made"
is "$OUT" "$WORK/how-volcanoes-work.mp4" "it prints the video's path, ./TOPIC-SLUG.mp4, and nothing else"
is "$ERR" "" "off a terminal --wait writes nothing to stderr"
V="$WORK/how-volcanoes-work.mp4"
ID=$(aura ls --json | jq -r '.jobs[0].id')
if [ -s "$V" ]; then ok "the video exists"; else not_ok "the video exists"; fi
is "$(probe "$V")" "h264 yuv420p 30/1 | aac 48000 2 | 1 1" \
	"one H.264 yuv420p 30 fps video stream and one AAC 48 kHz stereo stream"
PLAN=$(jfield "$ID" duration_us)
GOT=$(duration_us "$V")
if within "$GOT" "$PLAN" 500000; then ok "the duration ($GOT us) is within 0.5 s of the plan ($PLAN us)"; else
	not_ok "the duration ($GOT us) is within 0.5 s of the plan ($PLAN us)"; fi
if within "$PLAN" 6000000 1500000; then ok "the plan is near the asked 6 s ($PLAN us)"; else
	not_ok "the plan is near the asked 6 s ($PLAN us)"; fi
B=$(boxes "$V")
like "$B" "moov.* mdat" "faststart: the moov box comes before mdat ($B)"
LU=$(loudness "$V")
if awk -v l="$LU" 'BEGIN { exit !(l >= -17.5 && l <= -14.5) }'; then
	ok "integrated loudness $LU LUFS is within -16 +- 1.5"; else not_ok "integrated loudness $LU LUFS is within -16 +- 1.5"; fi
S="$WORK/how-volcanoes-work.srt"
if [ -s "$S" ]; then ok "the captions are written beside the video (--captions both)"; else not_ok "the captions are written beside the video"; fi
set -- $(srt_facts "$S")
if [ "$1" -ge 3 ]; then ok "the captions hold a cue per scene at least ($1 cues)"; else not_ok "the captions hold a cue per scene at least ($1 cues)"; fi
if [ "$2" -le 42 ]; then ok "no caption line is wider than 42 columns ($2)"; else not_ok "no caption line is wider than 42 columns ($2)"; fi
if [ "$3" -le 2 ]; then ok "no cue has more than 2 lines ($3)"; else not_ok "no cue has more than 2 lines ($3)"; fi
is "$4" 1 "cue times are monotonic"
if [ $(( $5 * 1000 )) -le "$GOT" ]; then ok "every cue ends within the video ($5 ms)"; else not_ok "every cue ends within the video ($5 ms)"; fi
is "$(job_json "$ID" | jq -r '[.stages[] | .name + "=" + .state] | join(" ")')" \
	"script=done voice=done visuals=done captions=done render=done verify=done" \
	"show --json lists the six stages, all done"
is "$(jfield "$ID" progress)" 1 "the job's progress is 100 %"
if no_part "$WORK"; then ok "no .part file is left"; else not_ok "no .part file is left"; fi
WD=$(jfield "$ID" workdir)
for f in script.json voice.json voice/001.wav visuals/001.png captions.srt captions.ass; do
	[ -s "$WD/$f" ] || MISSING="${MISSING:-} $f"
done
is "${MISSING:-}" "" "the work directory keeps every stage's files"
unlike "$(grep '^\[aura\] running:' "$WD/job.log")" 'volcanoes work|Volcanoes work' \
	"no narration or heading text is in any command line (they go through files)"

# --- never overwrite ---------------------------------------------------------
run aura new "how volcanoes work" -d 5 $PRESET --wait
is "$OUT" "$WORK/how-volcanoes-work-1.mp4" "the same topic again gets -1, not the old name"
if [ -s "$WORK/how-volcanoes-work-1.srt" ]; then ok "its captions are named to match"; else not_ok "its captions are named to match"; fi
is "$(duration_us "$V")" "$GOT" "the first video is untouched"

# --- --script, --captions srt, --seed, -o -----------------------------------
cat >"$WORK/my script.txt" <<'EOF'
# The first part
Volcanoes form where magma reaches the surface.

# The second part
Some erupt gently, others explode.
EOF
mkdir -p "$WORK/out"
run aura new "my own words" --script "$WORK/my script.txt" $PRESET --captions srt -o "$WORK/out/custom" --wait
is "$RC" 0 "--script renders"
is "$OUT" "$WORK/out/custom.mp4" "-o PATH without .mp4 gets it"
ID=$(aura ls --json | jq -r '.jobs[0].id')
WD=$(jfield "$ID" workdir)
is "$(jq -r '.scenes | length' "$WD/script.json")" 2 "one scene per paragraph"
is "$(jq -r '.scenes[1].heading' "$WD/script.json")" "The second part" "a '# heading' line is the scene's heading"
like "$(cat "$WORK/out/custom.srt")" "Some erupt gently, others explode." "the captions are the script's words"
run aura new "my own words" --script "$WORK/my script.txt" $PRESET -o "$WORK/out/custom.mp4"
is "$RC" 2 "an -o that exists is refused (exit 2)"
like "$ERR" OUTPUT_EXISTS "...with OUTPUT_EXISTS"
# --script without a TOPIC: the first heading, else the file's name
run aura new --script "$WORK/my script.txt" $PRESET
is "$RC" 0 "--script without a TOPIC is queued"
NT=$OUT
is "$(jfield "$NT" name)" "The first part" "...named after the script's first heading"
like "$(jfield "$NT" output)" '/the-first-part\.mp4$' "...and so is its video"
printf 'No heading here, just words.\n' >"$WORK/bees_at-work.txt"
run aura new --script "$WORK/bees_at-work.txt" $PRESET
NB=$OUT
is "$(jfield "$NB" name)" "bees at work" "without a heading, the file's name is the topic"
aura cancel "$NT" "$NB" >/dev/null 2>&1
wait_for 30 state_is "$NT" cancelled && wait_for 30 state_is "$NB" cancelled ||
	not_ok "the two jobs are cancelled"

# --- --images: stills, a clip, a broken file ------------------------------------
IMG="$WORK/pics"
mkdir -p "$IMG"
ffmpeg -v error -f lavfi -i "testsrc=size=320x240" -frames:v 1 "$IMG/a.png"
ffmpeg -v error -f lavfi -i "smptebars=size=640x360" -frames:v 1 "$IMG/b.jpg"
ffmpeg -v error -f lavfi -i "testsrc2=size=320x180:rate=25:duration=1" -pix_fmt yuv420p "$IMG/c.mp4"
printf 'not a picture' >"$IMG/d.png"
printf 'not an image either' >"$IMG/notes.txt"
printf '# One\nFirst.\n\n# Two\nSecond.\n\n# Three\nThird, a clip.\n\n# Four\nFourth, a broken file.\n' >"$WORK/four.txt"
run aura new "pictures" --script "$WORK/four.txt" --images "$IMG" $PRESET --wait
is "$RC" 0 "--images renders (a broken file does not fail the job)"
ID=$(aura ls --json | jq -r '.jobs[0].id')
WD=$(jfield "$ID" workdir)
is "$(jq -r '[.scenes[].kind] | join(" ")' "$WD/visuals.json")" "still still clip card" \
	"files in name order: two stills, a clip, and a card for the broken file"
is "$(jfield "$ID" 'warnings[0].code')" IMAGE_UNUSABLE "the broken file is a warning on the job"
is "$(probe "$WORK/pictures.mp4")" "h264 yuv420p 30/1 | aac 48000 2 | 1 1" "the video from --images is well-formed"
mkdir -p "$WORK/nopics" && cp "$WORK/four.txt" "$WORK/nopics/"
run aura new "x" --images "$WORK/nopics" $PRESET
is "$RC" 2 "an --images directory without pictures is refused (exit 2)"
like "$ERR" INPUT_UNREADABLE "...with INPUT_UNREADABLE"

# --- --music --------------------------------------------------------------------
ffmpeg -v error -f lavfi -i "sine=frequency=330:duration=2:sample_rate=44100" -ac 1 "$WORK/bed.wav"
run aura new "music under words" -d 5 $PRESET --music "$WORK/bed.wav" --captions none --wait
is "$RC" 0 "--music (looped, ducked) renders"
is "$(probe "$WORK/music-under-words.mp4")" "h264 yuv420p 30/1 | aac 48000 2 | 1 1" "one audio stream with the music mixed in"
if [ ! -e "$WORK/music-under-words.srt" ]; then ok "--captions none writes no .srt"; else not_ok "--captions none writes no .srt"; fi
LU=$(loudness "$WORK/music-under-words.mp4")
if awk -v l="$LU" 'BEGIN { exit !(l >= -17.5 && l <= -14.5) }'; then
	ok "with music, loudness $LU LUFS is within -16 +- 1.5"; else not_ok "with music, loudness $LU LUFS is within -16 +- 1.5"; fi

# --- hostile text -----------------------------------------------------------------
HOSTILE="It's \"quoted\": a, b; c [d] \\e\\N 100% %{pts} %{eif:1:d} '[out];[in]' x,drawbox {\\an8} x:fontcolor=red"
printf '# %s\n%s\nand a second line.\n\n# كيف تعمل البراكين 火山 🌋\n火山是如何运作的？ كيف تعمل البراكين 🌋🔥 👩‍👩‍👧 done.\n' \
	"$HOSTILE" "$HOSTILE" >"$WORK/hostile.txt"
run aura new "$HOSTILE 火山 🌋" -d 5 $PRESET -o "$WORK/hostile-topic.mp4" --wait
is "$RC" 0 "a topic full of quotes, colons, commas, brackets, backslashes, %, %{pts}, CJK and emoji renders"
run aura new "$HOSTILE" --script "$WORK/hostile.txt" $PRESET -o "$WORK/hostile-script.mp4" --wait
is "$RC" 0 "a script with the same text, Arabic, Chinese and emoji renders"
ID=$(aura ls --json | jq -r '.jobs[0].id')
WD=$(jfield "$ID" workdir)
if grep -qF -- "%{pts} %{eif:1:d} '[out];[in]' x,drawbox" "$WORK/hostile-script.srt"; then
	ok "the captions carry the text verbatim"; else not_ok "the captions carry the text verbatim"; fi
# the card's lines, joined at the spaces they were wrapped at, are the heading
JOINED=$(for f in "$WD"/visuals/001-*.txt; do cat "$f"; echo; done | python3 -c '
import sys
print(" ".join(l for l in sys.stdin.read().split("\n") if l))')
case "$HOSTILE" in
"") not_ok "the heading's text files hold it verbatim (wrapped at spaces)" ;;
"${JOINED%…}"*) [ -n "$JOINED" ] && ok "the heading's text files hold it verbatim (wrapped at spaces)" ;;
*) not_ok "the heading's text files hold it verbatim (wrapped at spaces)"; diag "$JOINED" ;;
esac
unlike "$(grep '^\[aura\] running:' "$WD/job.log")" 'x,drawbox|fontcolor=red|quoted' \
	"the text never reaches a command line"
is "$(jq -r '[.scenes[] | select(.silent)] | length' "$WD/voice.json")" 0 \
	"flite speaks what it can of the mixed scene"
ASS_DIALOGUES=$(grep -c '^Dialogue:' "$WD/captions.ass")
if [ "$ASS_DIALOGUES" -ge 3 ]; then ok "the burned-in captions have every cue ($ASS_DIALOGUES)"; else not_ok "the burned-in captions have every cue ($ASS_DIALOGUES)"; fi

# A scene flite cannot speak at all is held silent for its captions.
printf '# 火山\n火山是如何运作的，我们今天来看看。\n\n# English\nAnd now in English.\n' >"$WORK/cjk.txt"
run aura new "cjk" --script "$WORK/cjk.txt" $PRESET --wait
is "$RC" 0 "a scene with no speakable text still renders"
ID=$(aura ls --json | jq -r '.jobs[0].id')
is "$(jfield "$ID" 'warnings[0].code')" VOICE_SILENT "...with a VOICE_SILENT warning"

# --- validation: exit 2 with the code, nothing queued ------------------------------
BEFORE=$(aura ls --json | jq '.jobs | length')
check_refused() { # EXIT CODE DESC ARGS...
	want=$1 code=$2 desc=$3
	shift 3
	run aura new "$@"
	is "$RC" "$want" "$desc: exit $want"
	like "$ERR" "$code" "$desc: $code"
}
check_refused 2 TOPIC_INVALID "an empty topic" ""
check_refused 2 TOPIC_INVALID "a blank topic" "   "
check_refused 2 TOPIC_INVALID "a topic of 201 characters" "$(printf 'a%.0s' $(seq 201))"
check_refused 2 TOPIC_INVALID "a topic of only punctuation" "?!..."
check_refused 2 DURATION_INVALID "-d 4" "x" -d 4
check_refused 2 DURATION_INVALID "-d 1801" "x" -d 1801
check_refused 2 DURATION_INVALID "-d abc" "x" -d abc
check_refused 2 PRESET_UNKNOWN "an unknown preset" "x" -p 4k
check_refused 2 VOICE_UNKNOWN "an unknown flite voice" "x" --voice flite:bob
check_refused 2 VOICE_UNKNOWN "an unknown voice provider" "x" --voice festival
check_refused 3 VOICE_UNAVAILABLE "piper without a model" "x" --voice piper
check_refused 2 USAGE "an unknown captions mode" "x" --captions maybe
check_refused 2 INPUT_UNREADABLE "a missing --script" "x" --script "$WORK/nope.txt"
check_refused 2 INPUT_UNREADABLE "a missing --images" "x" --images "$WORK/nope"
check_refused 2 INPUT_UNREADABLE "a missing --music" "x" --music "$WORK/nope.mp3"
printf '\n\n' >"$WORK/empty.txt"
check_refused 2 SCRIPT_INVALID "an empty --script" "x" --script "$WORK/empty.txt"
mkdir -p "$WORK/ro" && chmod 500 "$WORK/ro"
if [ "$(id -u)" != 0 ]; then
	check_refused 2 OUTPUT_UNWRITABLE "an output directory that is not writable" "x" -o "$WORK/ro/v.mp4"
else
	ok "# SKIP root can write anywhere: OUTPUT_UNWRITABLE by permissions"
fi
check_refused 2 OUTPUT_UNWRITABLE "an output directory that does not exist" "x" -o "$WORK/none/v.mp4"
if command -v espeak-ng >/dev/null 2>&1; then
	run aura new "espeak voice" -d 5 $PRESET --voice espeak:en --wait
	is "$RC" 0 "--voice espeak:en renders with espeak-ng"
	BEFORE=$((BEFORE + 1)) # that one was queued, not refused
else
	check_refused 3 VOICE_UNAVAILABLE "espeak when espeak-ng is not installed" "x" --voice espeak
fi
is "$(aura ls --json | jq '.jobs | length')" "$BEFORE" "no refused request queued a job"

# --- piper gets the narration on stdin, which every piper reads -------------------
: >"$WORK/voice.onnx"
run aura new "piper voice" -d 5 $PRESET --voice "piper:$WORK/voice.onnx" --wait
is "$RC" 0 "--voice piper renders with a piper that reads only stdin"
[ "$RC" = 0 ] || diag "$ERR"
ID=$(aura ls --json | jq -r '.jobs[0].id')
is "$(jfield "$ID" 'warnings | length')" 0 "...every scene spoken (no VOICE_SILENT)"
WD=$(jfield "$ID" workdir)
FIRST=$(head -n 1 "$WD/voice/001.txt")
if [ -n "$FIRST" ] && grep -qF -- "$FIRST" "$T_TMP/piper.said" 2>/dev/null; then
	ok "...the scene's text came on its stdin"
else
	not_ok "...the scene's text came on its stdin"
fi
like "$(grep '^\[aura\] running: .*piper' "$WD/job.log" | head -n 1)" ' < voice/001\.txt$' \
	"the job log shows the text file as its stdin"

# --- resume: kill -9 of the server during render --------------------------------------
gate 'libx264.*part\.mp4' slow
run aura new "resume me" -d 6 $PRESET -o "$WORK/resume.mp4"
ID=$OUT
wait_for 30 stage_is "$ID" render || not_ok "the job reached render"
wait_for 30 test -s "$WORK/resume.part.mp4" || not_ok "the render is writing its .part file"
WD=$(jfield "$ID" workdir)
STAMPS=$(cd "$WD" && stat -c '%n %y' script.json voice.json voice/*.wav visuals.json visuals/*.png captions.srt)
SPID=$(cat "$AURA_DATA_DIR/aura.pid")
kill -9 "$SPID"
wait_for 10 sh -c "! kill -0 $SPID 2>/dev/null" && ok "the server is gone (kill -9)" || not_ok "the server is gone (kill -9)"
ungate
if wait_for 10 no_procs_in "$WD"; then ok "its ffmpeg died with it (no orphan)"; else not_ok "its ffmpeg died with it (no orphan)"; fi
run aura wait "$ID"
is "$RC" 0 "after a restart (any client starts the server) the job resumes and succeeds"
is "$(cd "$WD" && stat -c '%n %y' script.json voice.json voice/*.wav visuals.json visuals/*.png captions.srt)" "$STAMPS" \
	"script, voice, visuals and captions were not redone (mtimes unchanged)"
like "$(cat "$WD/job.log")" "resuming at stage render" "the log says where it resumed"
like "$(cat "$WD/job.log")" "removed the partial video of an earlier attempt" "the killed attempt's .part was removed first"
is "$(jfield "$ID" attempts)" 2 "that was the second attempt"
if [ -s "$WORK/resume.mp4" ] && no_part "$WORK"; then ok "the video is in place and no .part is left"; else not_ok "the video is in place and no .part is left"; fi
is "$(probe "$WORK/resume.mp4")" "h264 yuv420p 30/1 | aac 48000 2 | 1 1" "the resumed video is well-formed"

# --- retry resumes where the job failed ------------------------------------------
gate 'libx264.*part\.mp4' fail
run aura new "retry me" -d 5 $PRESET -o "$WORK/retry.mp4" --wait
is "$RC" 1 "a job whose render fails exits 1 under --wait"
like "$ERR" FFMPEG_FAILED "...naming the error"
like "$ERR" "^aura: job [0-9]+ failed: FFMPEG_FAILED: $(aura explain FFMPEG_FAILED | sed -n 's/^FFMPEG_FAILED: //p'): " \
	"...in the catalogue's words: job, code, message, detail"
like "$ERR" "^  hint: $(aura explain FFMPEG_FAILED | sed -n 's/^ *hint: *//p' | head -c 20)" "...and its hint"
ID=$(aura ls --json | jq -r '.jobs[0].id')
WD=$(jfield "$ID" workdir)
is "$(job_json "$ID" | jq -r '[.stages[] | .name + "=" + .state] | join(" ")')" \
	"script=done voice=done visuals=done captions=done render=failed verify=pending" \
	"the failed stage is marked failed, the ones before it done"
if no_part "$WORK"; then ok "a failed render leaves no .part file"; else not_ok "a failed render leaves no .part file"; fi
STAMPS=$(cd "$WD" && stat -c '%n %y' script.json voice/*.wav visuals/*.png)
ungate
run aura retry "$ID"
run aura wait "$ID"
is "$RC" 0 "aura retry makes it succeed"
is "$(cd "$WD" && stat -c '%n %y' script.json voice/*.wav visuals/*.png)" "$STAMPS" \
	"the retry did not redo script, voice or visuals"
like "$(cat "$WD/job.log")" "resuming at stage render" "the retry resumed at render"

# --- cancel during each stage --------------------------------------------------------
cancel_during() { # STAGE PATTERN MODE WAITFOR
	stage=$1
	gate "$2" "$3"
	run aura new "cancel in $stage" -d 5 $PRESET -o "$WORK/cancel-$stage.mp4"
	id=$OUT
	wait_for 30 gate_hit
	wait_for 30 stage_is "$id" "$stage" || not_ok "the job reached $stage"
	[ -n "$4" ] && { wait_for 30 test -s "$4" || not_ok "$4 is being written"; }
	wd=$(jfield "$id" workdir)
	run aura cancel "$id"
	is "$RC" 0 "cancel during $stage exits 0"
	wait_for 20 state_is "$id" cancelled || not_ok "the job is cancelled"
	if wait_for 10 no_procs_in "$wd"; then ok "cancel during $stage leaves no process"; else
		not_ok "cancel during $stage leaves no process"; diag "$(procs_in "$wd")"; fi
	if no_part "$WORK"; then ok "cancel during $stage leaves no .part file"; else
		not_ok "cancel during $stage leaves no .part file"; diag "$(ls "$WORK")"; fi
	if [ ! -e "$WORK/cancel-$stage.mp4" ]; then ok "...and no video"; else not_ok "...and no video"; fi
	ungate
}
cancel_during voice 'flite=' hold ""
cancel_during visuals 'gradients=' hold ""
cancel_during render 'libx264.*part\.mp4' slow "$WORK/cancel-render.part.mp4"
cancel_during verify '-frames:v 5' hold "$WORK/cancel-verify.part.mp4"
ID=$(aura ls --json | jq -r '.jobs[0].id')
is "$(job_json "$ID" | jq -r '[.stages[] | .name + "=" + .state] | join(" ")')" \
	"script=done voice=done visuals=done captions=done render=done verify=pending" \
	"a cancelled stage is pending again, the finished ones stay done"

# --- Ctrl-C during --wait cancels the job ----------------------------------------------
AURA_REAL=$(readlink -f "$AURA_BIN")
catches_int() {
	[ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$AURA_REAL" ] || return 1
	m=$(awk '/^SigBlk:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$m" ] && [ $(( 0x$m & 2 )) -ne 0 ]
}
gate 'flite=' hold
"$AURA_BIN" new "interrupted" -d 5 $PRESET -o "$WORK/int.mp4" --wait >"$T_TMP/int.out" 2>"$T_TMP/int.err" &
NPID=$!
wait_for 30 gate_hit
wait_for 10 catches_int "$NPID"
kill -INT "$NPID"
wait "$NPID"
is "$?" 130 "Ctrl-C during aura new --wait exits 130"
ID=$(aura ls --json | jq -r '.jobs[0].id')
is "$(jfield "$ID" state)" cancelled "...and the job is cancelled"
is "$(cat "$T_TMP/int.out")" "" "...and prints no path"
ungate

done_testing
