#!/bin/sh
# ls-width.sh -- `aura ls` lines up its columns by display width, as the
# TUI does: CJK and emoji take two columns, a combining mark none, and a
# name cut to the column's limit still fills exactly that many columns
# (fmt_text_width() in src/client/format.c). Checked in the C locale (the built-in
# table) and in C.UTF-8 (wcwidth), against python3's unicodedata.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"

cd "$T_TMP" || exit 1
start

LONG=$(python3 -c 'print("長" * 20)')
CUT=$(python3 -c 'print("長" * 15 + "…")')
ACUTE=$(printf 'cafe\314\201') # e + U+0301 COMBINING ACUTE ACCENT
for name in 漢字テスト "🎬 clip" "$ACUTE" plain "$LONG"; do
	run aura submit --name "$name" -- -f lavfi -i "testsrc=duration=0.1:size=16x16:rate=10" -f null -
	is "$RC" 0 "submit '$name'"
	run aura wait "$OUT"
done

# Print, for each line of a table, the display column where KIND (in the
# header) or the job's kind (in a row) starts.
kind_columns() {
	python3 -c '
import sys, unicodedata
def width(s):
    w = 0
    for c in s:
        if unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Me", "Cf"):
            continue
        w += 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
    return w
for line in sys.stdin.read().splitlines():
    at = line.find("  KIND  ") if line.lstrip().startswith("ID ") else line.find("  ffmpeg  ")
    print(width(line[:at]) if at >= 0 else "none")
'
}

for loc in C C.UTF-8; do
	OUT=$(LC_ALL=$loc "$AURA_BIN" ls 2>"$T_TMP/.err")
	is "$?" 0 "ls exits 0 ($loc)"
	is "$(printf '%s\n' "$OUT" | wc -l)" 6 "ls prints the header and five rows ($loc)"
	COLS=$(printf '%s\n' "$OUT" | kind_columns | sort -u)
	if [ "$(printf '%s\n' "$COLS" | wc -l)" = 1 ] && [ "$COLS" != none ]; then
		ok "the column after NAME starts at the same display column on every row ($loc)"
	else
		not_ok "the column after NAME starts at the same display column on every row ($loc)"
		diag "columns: $(printf '%s\n' "$OUT" | kind_columns | tr '\n' ' ')"
		diag "$OUT"
	fi
	# ID (2 columns), two spaces, then the name cut to 32 columns
	is "$COLS" 36 "NAME is 32 columns wide, its limit ($loc)"
	like "$OUT" "$CUT +ffmpeg" "a long wide name is cut to fit, with an ellipsis ($loc)"
	like "$OUT" "漢字テスト +ffmpeg" "a CJK name is shown whole ($loc)"
done

done_testing
