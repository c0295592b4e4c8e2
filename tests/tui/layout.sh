#!/bin/sh
# tests/tui/layout.sh -- the main screen against golden screens (seeded
# store, volatile parts masked) at 120x40, 80x24 and 200x60; re-flow on
# resize keeps every pane in place and every row within the width; below
# 80x24 the compact layout, and the full one back when the terminal
# grows; the help lists the keys; Enter hides and shows the
# detail; NO_COLOR still draws (attributes only). Refresh the golden
# screens with GENERATE=1.
. "$AURA_SRCDIR/tests/cli/lib.sh"
. "$AURA_SRCDIR/tests/tui/lib-tui.sh"

seed_golden || skip_all "cannot seed the store"

# A screen is "settled" when the selected job's log and the health are in.
settled() { screen_has "the log is empty" && screen_lacks "checking"; }

# sane COLS ROWS: the panes where the layout puts them.
sane() {
	local cols=$1 rows=$2 s
	s=$(screen)
	like "$(row 1)" "^ aura .*connected" "${cols}x$rows: the status bar is the first row"
	like "$(row 2)" "^ Jobs .*1/5 *$" "${cols}x$rows: the list title and position"
	like "$(row 3)" "ID▼ NAME +KIND +STATE" "${cols}x$rows: the column headers, sorted by ID"
	like "$(row 4)" "^ +5 scale-down +ffmpeg +succeeded" "${cols}x$rows: the newest job first"
	like "$(row "$rows")" "F1Help .*F10Quit" "${cols}x$rows: the F-key bar is the last row"
	like "$s" "Job #5 +scale-down +.*Log #5" "${cols}x$rows: detail and log side by side"
	if fits_width "$cols"; then ok "${cols}x$rows: no row is wider than the terminal"; else
		not_ok "${cols}x$rows: no row is wider than the terminal"; diag "$(fits_width "$cols")"; fi
}

tui_start 120 40
wait_for 10 settled
sane 120 40
golden main-120x40 "120x40: the main screen matches the golden one"
like "$(screen)" "東京 timelapse +video +succeeded" "a wide-character name keeps its columns aligned"

tm resize-window -t 0 -x 80 -y 24
wait_screen 5 "1/5 *$" "the UI re-flows to 80x24"
wait_for 5 settled
sane 80 24
golden main-80x24 "80x24: matches the golden screen"

tm resize-window -t 0 -x 200 -y 60
wait_for 5 screen_has "^ Jobs {100}"
sane 200 60
golden main-200x60 "200x60: matches the golden screen"

tm resize-window -t 0 -x 70 -y 20
wait_screen 5 "#5 succeeded .*100%" "below 80x24 the compact layout: the list and a progress line"
unlike "$(screen)" "Log #5" "and no detail or log pane (tests/tui/term.sh has more)"
tm resize-window -t 0 -x 120 -y 40
wait_screen 5 "scale-down +ffmpeg" "it comes back when the terminal grows"

# the failed job's detail: code, message, hint from the catalogue
keys j j
wait_screen 5 "Error +FFMPEG_INPUT_NOT_FOUND" "the detail shows the error code"
wait_screen 5 "Hint +check the input paths" "and the catalogue's hint"
wait_screen 5 "Log #3" "the log pane follows the selection"
golden failed-120x40 "the failed job's detail matches the golden screen"

keys Enter
wait_screen 5 "^ Log #3( |$)" "Enter hides the detail: the log takes the width"
keys Enter
wait_screen 5 "^ Job #3( |$)" "Enter shows it again"

keys '?'
wait_screen 5 "Keys" "? opens the help"
like "$(screen)" "c/F9 +cancel the selected job \(asks y/N\)" "the help lists the keys and what they do"
keys Escape
wait_gone 5 "cancel the selected job" "any key closes the help"

keys q
wait_screen 5 "^EXIT=0" "q quits"

# NO_COLOR: same screen (capture-pane shows text), no colour codes sent
tui_start 120 40 NO_COLOR=1
wait_for 10 settled
golden main-120x40 "NO_COLOR: the same screen, in attributes only"
if tm capture-pane -p -e -t 0 | grep -q "$(printf '\033')\[3[0-7]m"; then
	not_ok "NO_COLOR: no colour is used"
else
	ok "NO_COLOR: no colour is used"
fi
done_testing
