#!/bin/sh
# tests/tui/log.sh -- long lines in the log pane: cut with an ellipsis by
# default, Left/Right scroll them sideways (from any pane), w wraps them
# at the pane's width measured in display columns (wide characters take
# two and are never split), w again cuts them.
. "$AURA_SRCDIR/tests/cli/lib.sh"
. "$AURA_SRCDIR/tests/tui/lib-tui.sh"

seed_golden || skip_all "cannot seed the store"
# job 5 (scale-down, the newest, selected first) gets a log with a long
# ASCII line and a long line of wide characters
mkdir -p "$AURA_DATA_DIR/jobs/5"
python3 - "$AURA_DATA_DIR/jobs/5/job.log" <<'PY'
import sys
long = "".join("w%03d-" % i for i in range(60))  # 300 columns
wide = "東" * 70 + "END"                          # 143 columns
with open(sys.argv[1], "w", encoding="utf-8") as f:
    f.write("short first line\n%s\n%s\nlast line\n" % (long, wide))
PY

tui_start 120 40
wait_screen 10 "Log #5" "the log pane shows job 5"
wait_screen 10 "short first line" "the log is read"
like "$(screen)" "w000-w001-.*…" "a long line is cut with an ellipsis"
screen_lacks "w059-" && ok "its end is not shown" || not_ok "its end is not shown"

# Right scrolls sideways, though the list has the focus
keys Right Right
wait_screen 5 "from col 17" "Right scrolls the log sideways (the title says from which column)"
wait_screen 5 " 003-w004-.*…" "the line shows from its 17th column"
screen_lacks "w002-" && ok "its start is scrolled away" || not_ok "its start is scrolled away"
for _ in 1 2 3 4 5 6 7 8; do keys Right; done
wait_screen 5 "from col 81" "Right again: from column 81"
wait_screen 5 "東END" "the wide line's end shows"
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22; do keys Right; done
wait_screen 5 "w059- *$" "Right stops at the end of the longest line"
if fits_width 120; then ok "no row is wider than the terminal after scrolling"; else
	not_ok "no row is wider than the terminal after scrolling"; diag "$(fits_width 120)"; fi
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30; do
	keys Left
done
wait_screen 5 "w000-w001-" "Left scrolls back to the start"

# w wraps: every part of both lines shows, within the pane
keys w
wait_screen 5 "long lines wrapped" "w says the lines are wrapped"
wait_screen 5 "w059-" "wrapped, the end of the long line shows"
like "$(screen)" "w000-w001-" "and its start"
like "$(screen)" "END" "and the end of the wide line"
screen_lacks "w[0-9]+-…|東…" && ok "no ellipsis once wrapped" || { not_ok "no ellipsis once wrapped"; diag "$(screen)"; }
like "$(screen)" "last line" "the lines after a wrapped one still show"
if fits_width 120; then ok "wrapped rows fit the terminal (wide characters count two)"; else
	not_ok "wrapped rows fit the terminal (wide characters count two)"; diag "$(fits_width 120)"; fi
# the wide line's rows are whole characters: 70 of them, and the list's 東京
N=$(screen | grep -o "東" | wc -l)
is "$N" 71 "every wide character is shown once, none split"

keys w
wait_screen 5 "long lines cut" "w again cuts them"
wait_gone 5 "w059-" "cut again, the end is hidden"

keys q
wait_screen 5 "EXIT=0" "q leaves"
done_testing
