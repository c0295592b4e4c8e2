#!/bin/sh
# tests/tui/form.sh -- `n`'s form has every option of `aura new` a person
# sets by hand: filled in (a --from Markdown document without a topic, its
# title taken; -d 5, a preset, style, voice, language, images, music,
# captions srt, a pool of aura.ini, priority, output), the queued job's
# spec holds each value. A bad value (duration 0) and the server's
# refusal (a style it does not know) show under their field, keeping what
# was typed. A golden screen at 80x24; the form scrolls at 40x10.
. "$AURA_SRCDIR/tests/cli/lib.sh"
. "$AURA_SRCDIR/tests/tui/lib-tui.sh"
command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is needed"
command -v jq >/dev/null 2>&1 || skip_all "jq is needed"

njobs() { aura ls --json | jq '.jobs | length'; }
# The row after the first one that matches REGEX.
row_after() { screen | grep -A1 -E -- "$1" | sed -n 2p; }
# Press KEY until the screen shows REGEX (at most 8 times).
choose() {
	local i=0
	while ! screen_has "$2" && [ $i -lt 8 ]; do
		keys "$1"
		wait_for 2 screen_has "$2" || true
		i=$((i + 1))
	done
	wait_screen 2 "$2" "$3"
}

mkdir -p "$XDG_CONFIG_HOME/aura"
printf '[server]\nmax_jobs = 2\n[pool farm]\nmax_jobs = 1\n' >"$XDG_CONFIG_HOME/aura/aura.ini"
W="$T_TMP/work"
mkdir -p "$W/pics" "$W/out" && cd "$W" || exit 1
cp "$AURA_SRCDIR/tests/fixtures/article.md" "$W/article.md"
ffmpeg -v error -f lavfi -i "testsrc=size=320x240" -frames:v 1 "$W/pics/a.png"
ffmpeg -v error -f lavfi -i "sine=frequency=440:duration=1" "$W/bed.wav"

tui_start 80 24
wait_screen 10 "connected" "the UI connects"
wait_screen 10 "farm 0/1" "the UI knows the pools"
keys n
wait_screen 5 "Topic" "n opens the new-video form"
for f in Document Duration Preset Style Voice Language Images Music Captions Pool Priority \
	Output; do
	like "$(screen)" "$f" "the form at 80x24 shows the $f field"
done
golden form-80x24 "the form at 80x24, as the golden screen"

# Every field. Topic empty: the document's title is the topic.
keys Tab
text "article.md"
keys Tab C-u
text "5"
keys Tab Left
wait_screen 5 "< draft-480p >" "Left chooses the preset"
keys Tab
text "nosuchstyle"
keys Tab C-u
text "flite:kal"
keys Tab C-u
text "en-GB"
keys Tab
text "pics"
keys Tab
text "bed.wav"
keys Tab
choose Right "< srt >" "Right chooses srt captions"
keys Tab
choose Right "< farm >" "Right chooses the pool farm"
keys Tab C-u
text "7"
keys Tab
text "out/clip"
keys Enter
# The style is refused (no such style; the form checks the request by the
# server's own rules before sending): under the Style field.
wait_screen 10 "style" "the refusal shows"
like "$(row_after "Style ")" "(USAGE|STYLE_[A-Z_]+):.*style" \
	"the style's refusal is under the Style field"
like "$(screen)" "nosuchstyle" "the typed style is kept"
like "$(screen)" "out/clip" "...and the output"
is "$(njobs)" 0 "nothing was queued"
keys C-u
text "lecture"
keys Enter
wait_gone 10 "Duration" "with a known style the form queues and closes"
wait_screen 10 "queued job #" "the message line says so"
ID=$(aura ls --json | jq -r '.jobs[0].id')
aura cancel "$ID" >/dev/null 2>&1
J=$(aura show --json "$ID")
spec() { printf '%s' "$J" | jq -r ".job.spec$1"; }
is "$(spec .topic)" "How Cities Learned to Love the Rain" "the topic is the document's title"
# `aura new` makes the same script of the same document
CID=$(aura new --from article.md -d 5 --voice flite:kal --lang en-GB -p draft-480p --pool farm)
aura cancel "$CID" >/dev/null 2>&1
like "$(spec .options.script)" "Runoff is also dirty\." "the script is the document's own sentences"
is "$(spec .options.script)" "$(aura show --json "$CID" | jq -r .job.spec.options.script)" \
	"...the very script \`aura new --from\` sends"
is "$(spec .options.duration)" 5 "the duration"
is "$(spec .options.preset)" draft-480p "the preset"
is "$(spec .options.style)" lecture "the style"
is "$(spec .options.headings)" slides "...with its keys (lecture: headings as slides)"
is "$(spec .options.voice)" flite:kal "the voice"
is "$(spec .options.voice_forced)" true "a voice typed in is forced"
is "$(spec .options.lang)" en-GB "the language"
is "$(spec .options.images)" "$W/pics" "the images folder, absolute"
is "$(spec .options.music)" "$W/bed.wav" "the music, absolute"
is "$(spec .options.captions)" srt "the captions"
is "$(spec .options.priority)" 7 "the priority"
is "$(spec .options.output)" "$W/out/clip.mp4" "the output, absolute, .mp4 added"
is "$(printf '%s' "$J" | jq -r '.job.pool')" farm "the pool"

# A bad value: the error is under its field, what was typed stays.
keys n
wait_screen 5 "Topic" "n opens the form again"
text "volcanoes"
keys Tab
text "article.md"
keys Tab C-u
text "0"
keys Enter
wait_screen 5 "DURATION_INVALID" "a duration of 0 is refused"
like "$(row_after "Duration ")" "DURATION_INVALID: 0: a whole number of seconds" \
	"...under the Duration field"
like "$(screen)" "volcanoes" "the typed topic is kept"
like "$(screen)" "article\.md" "...and the document"
is "$(njobs)" 2 "nothing more was queued"
text "5"
wait_gone 5 "DURATION_INVALID" "typing in the field takes the error away"
keys Escape
wait_gone 5 "Duration" "Esc closes the form"
is "$(njobs)" 2 "Esc queues nothing"
keys q
wait_screen 5 "^EXIT=0" "q leaves the UI"

# A small terminal: the form scrolls to the field with the cursor.
tui_start 40 10
wait_screen 10 "Jobs|ID" "the UI starts at 40x10"
keys n
wait_screen 5 "Topic" "the form opens at 40x10"
keys BTab
wait_screen 5 "Output" "Shift-Tab to the last field scrolls it into view"
ok_if() { if "$@"; then ok "the form fits 40 columns"; else not_ok "the form fits 40 columns"; fi; }
ok_if fits_width 40
keys Escape q
server_stop
done_testing
