#!/bin/sh
# tests/tui/sort.sh -- the list sorted by any column as htop does it (F6's
# menu, < and >, I, the same column again inverts; the header and the
# title mark the sort), the F-keys next to the letters (F3, F4, F10), and
# the mouse: raw X10 mouse reports written to the pane (tmux cannot make
# them itself) -- a click selects a row, a click on a header sorts by it,
# the wheel scrolls, M turns the mouse off and on.
. "$AURA_SRCDIR/tests/cli/lib.sh"
. "$AURA_SRCDIR/tests/tui/lib-tui.sh"

seed_golden || skip_all "cannot seed the store"

# The names of the listed jobs, top to bottom, on one line.
names() { screen | sed -n '4,8p' | awk '{print $2}' | tr '\n' ' '; }
names_are() { [ "$(names)" = "$1" ]; }
# wait_names SECONDS "NAMES " DESC
wait_names() {
	if wait_for "$1" names_are "$2"; then ok "$3"; else
		not_ok "$3"; diag "names: '$(names)', want '$2'"; diag "$(screen | head -9)"; fi
}

# A mouse report (X10: ESC [ M, 32 + button, 33 + column, 33 + row, all
# 0-based): button 0 press then release (3), or 64/65 the wheel up/down.
mouse() {
	tm send-keys -t 0 -H 1b 5b 4d "$(printf '%x' $((32 + $1)))" \
		"$(printf '%x' $((33 + $2)))" "$(printf '%x' $((33 + $3)))"
}
click() { mouse 0 "$1" "$2"; mouse 3 "$1" "$2"; }

tui_start 120 40
wait_for 10 screen_has "the log is empty"
wait_names 5 "scale-down night-encode broken-input 東京 intro-cut " "the default sort: newest first"
like "$(row 3)" "^ +ID▼ NAME " "the header marks ID, downwards"

# F6: the menu; choosing NAME sorts by name, upwards
keys F6
wait_screen 5 "Sort by" "F6 opens the sort menu"
like "$(screen)" "▼ ID" "the menu marks the current sort"
keys j Enter
wait_names 5 "broken-input intro-cut night-encode scale-down 東京 " "NAME sorts by name"
like "$(row 2)" "^ Jobs  by NAME▲ " "the title says the sort"
like "$(row 3)" "ID NAME▲ " "the header marks NAME, upwards"
like "$(row 2)" "4/5 *$" "the selection stays on its job (#5, now 4th)"
keys F6 Enter
wait_names 5 "東京 scale-down night-encode intro-cut broken-input " "the same column again inverts"
keys I
wait_names 5 "broken-input intro-cut night-encode scale-down 東京 " "I inverts"

# < and >: the next column, in its natural direction
keys '>'
wait_screen 5 "KIND▲" "> sorts by the column to the right"
wait_names 5 "scale-down night-encode broken-input intro-cut 東京 " "KIND: ffmpeg before video, ties newest first"
keys '>'
wait_screen 5 "STATE▲" "> again: STATE"
wait_names 5 "scale-down 東京 intro-cut broken-input night-encode " "STATE: succeeded, failed, cancelled (their order)"
keys '>' '>'
wait_names 5 "scale-down 東京 intro-cut night-encode broken-input " "PROGRESS: the furthest first"
keys '<' '<' '<' '<' '<'
wait_screen 5 "ID▼" "< goes back to ID, downwards: the default"
wait_names 5 "scale-down night-encode broken-input 東京 intro-cut " "newest first again"
unlike "$(row 2)" " by " "the default sort is not named in the title"
keys '<'
wait_screen 5 "AGE▲" "< from the first column wraps to the last (AGE)"
wait_names 5 "scale-down night-encode broken-input 東京 intro-cut " "AGE upwards: the youngest first"
keys I
wait_names 5 "intro-cut 東京 broken-input night-encode scale-down " "I: the oldest first"
keys '>'
wait_screen 5 "ID▼" "> from AGE wraps to ID"

# the mouse: a click on a row selects it
click 10 5
wait_screen 5 "^ Jobs +3/5 *$" "a click on the third row selects it"
wait_screen 5 "Log #3" "the log follows"
# the wheel: three rows a notch
mouse 65 10 5
wait_screen 5 "^ Jobs +5/5 *$" "the wheel down scrolls"
mouse 64 10 5
wait_screen 5 "^ Jobs +2/5 *$" "the wheel up scrolls back"
# a click on a header sorts by it, again inverts
click 12 2
wait_names 5 "broken-input intro-cut night-encode scale-down 東京 " "a click on NAME sorts by name"
click 12 2
wait_names 5 "東京 scale-down night-encode intro-cut broken-input " "a second click inverts"
click 4 2
wait_screen 5 "ID▼" "a click on ID: the default again"
# M: off, and clicks do nothing
keys M
wait_screen 5 "mouse off" "M turns the mouse off"
click 10 7
keys j
wait_screen 5 "^ Jobs +3/5 *$" "a click then does nothing (j moved from 2 to 3)"
keys M
wait_screen 5 "mouse on" "M turns it on again"
click 10 7
wait_screen 5 "^ Jobs +5/5 *$" "and clicks select again"

# the F-keys next to the letters
keys F4
wait_screen 5 "Show jobs in state" "F4 is the state filter (f)"
keys Escape
keys F3
wait_screen 5 "Filter" "F3 is the search (the text filter, /)"
keys Escape
keys F1
wait_screen 5 "Keys" "F1 is the help"
like "$(screen)" "F6 +sort by a column" "the help names F6"
like "$(screen)" "M +mouse on or off" "and M"
keys Escape
keys F10
wait_screen 5 "^EXIT=0" "F10 quits"

# many jobs: a sort covers the loaded span and stays quick
server_stop
seed_many 600 || skip_all "cannot seed"
tui_start 120 40
wait_screen 10 "batch-000600" "600 more jobs"
wait_screen 10 "^ +605 batch-000600 " "the newest on top, selected"
# the selection a few pages down: job #ID (batch-(ID-5)), index 606-ID
sel_id() { screen | sed -n 's/.*Log #\([0-9]*\).*/\1/p' | head -n 1; }
sel_line() { screen | grep -nE "^ +$1 batch-" | cut -d: -f1; }
settled() { # TITLE-INDEX-OF-ID-EXPRESSION: the title, the log and the row agree
	id=$(sel_id)
	[ -n "$id" ] && [ "$id" -gt 5 ] && [ "$id" -lt 500 ] &&
		screen_has "^ Jobs .* $(($1))/605 *$" && [ -n "$(sel_line "$id")" ]
}
keys NPage NPage NPage NPage NPage NPage NPage NPage NPage NPage NPage NPage j j j
if wait_for 10 settled '606 - id'; then ok "PgDn: a job well inside the list"
else not_ok "PgDn: a job well inside the list"; diag "$(screen | head -9)"; fi
ID=$(sel_id) LINE=$(sel_line "$(sel_id)")
keys F6 j Enter
# the server sorts the whole list; as htop, the selected job stays
# selected, on its screen row, wherever the order puts it
same_place() { settled "$1" && [ "$id" = "$ID" ] && [ "$(sel_line "$ID")" = "$LINE" ]; }
if wait_for 10 same_place 'id - 5'; then ok "NAME over 605 jobs: #$ID stays selected, on its screen row"
else not_ok "NAME over 605 jobs: #$ID stays selected, on its screen row"; diag "$(screen | head -9)"; fi
like "$(row 2)" "^ Jobs  by NAME▲ " "...sorted by name"
like "$(row $((LINE - 1)))$(row $((LINE + 1)))" "^ +$((ID - 1)) batch-.* +$((ID + 1)) batch-" "...the list around it in name order"
keys I
if wait_for 10 same_place '611 - id'; then ok "I: inverted, #$ID still selected on its row"
else not_ok "I: inverted, #$ID still selected on its row"; diag "$(screen | head -9)"; fi
like "$(row $((LINE - 1)))$(row $((LINE + 1)))" "^ +$((ID + 1)) batch-.* +$((ID - 1)) batch-" "...the list around it the other way"
# the top: the first by name of the whole list (the server's order)
keys I
keys g
wait_screen 10 "^ +6 batch-000001 " "g: the first by name"
like "$(row 5)" "^ +7 batch-000002 " "then the next"
keys G
wait_screen 10 "^ +2 東京 timelapse" "G: the last by name is the wide one"
# STATE: the list changes underneath -- a cancelled job retried moves,
# and the selection moves with it
keys '>' '>'
wait_screen 10 "^ Jobs  by STATE▲ " "> >: STATE"
keys G
wait_screen 10 "^ Jobs  by STATE▲ .*605/605 *$" "G: the last, the oldest cancelled (night-encode, #4)"
wait_screen 5 "Log #4" "...selected"
aura retry 4 >/dev/null 2>&1 || not_ok "retry #4"
wait_for 20 terminal 4 || not_ok "#4 ran again"
# succeeded: after the 583 succeeded jobs newer than it; failed (no
# ffmpeg here): after the 585 succeeded and the 12 failed newer than it
case $(state_of 4) in succeeded) want=584 ;; *) want=598 ;; esac
wait_screen 10 "^ Jobs  by STATE▲ .*$want/605 *$" "#4 $(state_of 4): still selected, at its new place ($want)"
like "$(screen | sed -n '4,30p')" " 4 night-encode " "...and in view"
like "$(screen)" "Log #4" "...and the log is still its"
keys q
wait_screen 5 "^EXIT=0" "q quits"
done_testing
