#!/bin/sh
# captions-scripts.sh -- captions in Japanese and Arabic burned in with the
# real server, espeak-ng and FFmpeg: a 5 s video from a --script in each
# language verifies, its captions.ass holds the text in logical order
# (Arabic: the style lets libass find the direction, Encoding -1), and
# libass found a font for every glyph through fontconfig (no "failed to
# find any fallback" in the job's log, nor when the job's captions.ass is
# drawn again with FFmpeg).
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v ffprobe >/dev/null 2>&1 || skip_all "ffprobe is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"
command -v espeak-ng >/dev/null 2>&1 || skip_all "espeak-ng is not installed (./bootstrap installs it)"
ffmpeg -hide_banner -filters 2>/dev/null | grep -q ' subtitles ' ||
	skip_all "this ffmpeg has no subtitles filter (libass)"
command -v fc-list >/dev/null 2>&1 || skip_all "fontconfig's fc-list is not installed"
[ -n "$(fc-list :lang=ja)" ] || skip_all "no Japanese font (./bootstrap installs fonts-wqy-microhei)"

WORK="$T_TMP/work"
mkdir -p "$WORK" "$XDG_CONFIG_HOME/aura"
cd "$WORK" || exit 1
printf '[server]\nquit_grace = 1\nterm_grace = 1\n' >"$XDG_CONFIG_HOME/aura/aura.ini"
# 火山 / 火山は地球の中の岩が溶けて地表に出てくる場所です。
printf '# \347\201\253\345\261\261\n\347\201\253\345\261\261\343\201\257\345\234\260\347\220\203\343\201\256\344\270\255\343\201\256\345\262\251\343\201\214\346\272\266\343\201\221\343\201\246\345\234\260\350\241\250\343\201\253\345\207\272\343\201\246\343\201\217\343\202\213\345\240\264\346\211\200\343\201\247\343\201\231\343\200\202\n' >"$WORK/ja.txt"
# براكين / البركان جبل تخرج منه الصخور المنصهرة من باطن الأرض.
printf '# \330\250\330\261\330\247\331\203\331\212\331\206\n\330\247\331\204\330\250\330\261\331\203\330\247\331\206 \330\254\330\250\331\204 \330\252\330\256\330\261\330\254 \331\205\331\206\331\207 \330\247\331\204\330\265\330\256\331\210\330\261 \330\247\331\204\331\205\331\206\330\265\331\207\330\261\330\251 \331\205\331\206 \330\250\330\247\330\267\331\206 \330\247\331\204\330\243\330\261\330\266.\n' >"$WORK/ar.txt"

last_id() { aura ls --json | jq -r '.jobs[0].id'; }
missing_glyph='failed to find any fallback'

# one LANG: render, verify, look at the captions and the fonts
one() {
	run aura new "$1" --script "$WORK/$1.txt" --lang "$1" -d 5 -p draft-480p --captions both \
		-o "$WORK/$1.mp4" --wait
	is "$RC" 0 "--lang $1: a 5 s video with burned-in captions is made"
	ID=$(last_id)
	DIR=$(aura show --json "$ID" | jq -r .job.workdir)
	is "$(aura show --json "$ID" | jq -r '[.stages[] | .name + "=" + .state] | join(" ")')" \
		"script=done voice=done visuals=done captions=done render=done verify=done" \
		"--lang $1: every stage is done, verify too"
	like "$(cat "$DIR/captions.ass")" "$2" "--lang $1: captions.ass holds the text as written"
	like "$(grep '^Style: ' "$DIR/captions.ass")" "$3\$" "--lang $1: Encoding $3"
	if grep -Eq "$missing_glyph" "$DIR/job.log"; then
		not_ok "--lang $1: job.log reports no missing glyph"
		grep -E "$missing_glyph" "$DIR/job.log" | sed 's/^/# /'
	else
		ok "--lang $1: job.log reports no missing glyph"
	fi
	# libass says which glyphs it had to look for at info level
	E=$(cd "$DIR" && ffmpeg -hide_banner -nostats -loglevel info -f lavfi \
		-i color=c=black:s=854x480:d=5:r=5 -vf subtitles=filename=captions.ass \
		-f null - 2>&1)
	if printf '%s\n' "$E" | grep -Eq "$missing_glyph"; then
		not_ok "--lang $1: fontconfig gives libass a font for every glyph"
		printf '%s\n' "$E" | grep -E "$missing_glyph" | sed 's/^/# /'
	else
		ok "--lang $1: fontconfig gives libass a font for every glyph"
	fi
}

start
# 岩が溶けて
one ja "$(printf '\345\262\251\343\201\214\346\272\266\343\201\221\343\201\246')" ',1'
# الصخور (a line may break after it)
one ar "$(printf '\330\247\331\204\330\265\330\256\331\210\330\261')" ',-1'
done_testing
