#!/bin/sh
# tests/tui/term.sh -- the edges of the terminal: a TERM with no terminfo
# entry, TERM=dumb and TERM unset are refused with a sentence on the
# terminal and the configuration exit status (3), before any server is
# started; the compact layout from 79x23 down to 40x10 (the list and the
# selected job's progress line, golden at 40x10); below 40x10 a message
# cut to the width; the help scrolls at 80x24 with a "more" marker.
. "$AURA_SRCDIR/tests/cli/lib.sh"
. "$AURA_SRCDIR/tests/tui/lib-tui.sh"

# The UI's first screen, as the terminal shows it after it exited.
refused() {
	wait_screen 10 "^EXIT=3" "$1: exits 3 (configuration)"
	like "$(screen)" "TERMINAL_UNSUPPORTED" "$1: the catalogue code is printed"
	like "$(screen)" "$2" "$1: says what is wrong"
	like "$(screen)" "hint: run with TERM=xterm-256color" "$1: and how to fix it"
}

tui_start 200 30 TERM=aura-nosuch-term
refused "an unknown TERM" "unknown here or cannot draw a screen: TERM=aura-nosuch-term: no terminfo entry here"
is "$(ls "$AURA_DATA_DIR/aura.pid" 2>/dev/null)" "" "no server was started for it"

tui_start 200 30 TERM=dumb
refused "TERM=dumb" "TERM=dumb: it cannot move the cursor"

tui_start 200 30 -u TERM
refused "TERM unset" "TERM is not set"

seed_golden || skip_all "cannot seed the store"

tui_start 40 10
wait_screen 10 "scale-down" "40x10: the compact layout shows the list"
wait_screen 5 "#5 succeeded .*100%" "the line above the last is the selected job's progress"
like "$(row 9)" "#5 succeeded" "40x10: the progress line is row 9"
like "$(row 10)" "^ F1Help F3Find F4Filt F6Sort F10Quit *$" "40x10: the last row is the F-key bar, short"
like "$(row 1)" "^ Jobs .*1/5 *$" "40x10: the list title is the first row"
unlike "$(screen)" "Log #|Job #5" "no detail or log pane"
if fits_width 40; then ok "40x10: no row is wider than the terminal"; else
	not_ok "40x10: no row is wider than the terminal"; diag "$(fits_width 40)"; fi
golden compact-40x10 "40x10: matches the golden screen"
keys j j
wait_screen 5 "#3 failed" "the progress line follows the selection"

tm resize-window -t 0 -x 70 -y 20
wait_screen 5 "^ Jobs .*3/5 *$" "70x20 is compact too: the list takes the height"
wait_screen 5 "#3 failed" "and the progress line stays"

tm resize-window -t 0 -x 30 -y 8
wait_screen 5 "aura needs 40x10, has 30x8" "below 40x10 a short message"
if fits_width 30; then ok "which fits in 30 columns"; else
	not_ok "which fits in 30 columns"; diag "$(fits_width 30)"; fi
unlike "$(screen)" "scale-down" "and no list"
tm resize-window -t 0 -x 20 -y 8
wait_screen 5 "aura needs 40x10, h" "at 20 columns the message is cut to the width"
if fits_width 20; then ok "and still fits"; else
	not_ok "and still fits"; diag "$(fits_width 20)"; fi

tm resize-window -t 0 -x 80 -y 24
wait_screen 5 "scale-down +ffmpeg" "at 80x24 the full layout is back"
keys '?'
wait_screen 5 "Keys" "the help opens at 80x24"
wait_screen 5 "more \(j/k, PgDn\)" "it shows there is more below"
unlike "$(screen)" "Ctrl-Z suspends" "the last line is hidden"
keys NPage
wait_screen 5 "Ctrl-Z suspends" "PgDn scrolls to the end"
wait_gone 5 "more \(j/k, PgDn\)" "no more below at the end"
like "$(screen)" "more" "the marker says there is more above"
keys PPage
wait_screen 5 "more \(j/k, PgDn\)" "PgUp scrolls back"
keys j
wait_screen 5 "Keys" "j scrolls without closing"
keys Escape
wait_gone 5 "Keys" "any other key closes it"
keys q
wait_screen 5 "^EXIT=0" "q quits"
done_testing
