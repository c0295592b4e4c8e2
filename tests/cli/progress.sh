#!/bin/sh
# progress.sh -- the progress line of `aura wait` (and `aura new --wait`,
# the same src/cli/progress.c) never wraps: in a 40-column tmux pane, four
# jobs' progress (wider than 40) is cut to the width, so however many times
# it is redrawn the screen holds one progress row (a wrapped line leaves a
# copy on every redraw: \r returns only to its last row). With TERM=dumb it
# sends no escape and no \r: plain lines, one per change.
. "$AURA_SRCDIR/tests/cli/lib.sh"
. "$AURA_SRCDIR/tests/tui/lib-tui.sh"

command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"
FAKE="$AURA_BUILDDIR/tests/fixtures/fake-ffmpeg"
[ -x "$FAKE" ] || skip_all "tests/fixtures/fake-ffmpeg is not built"
mkdir -p "$XDG_CONFIG_HOME/aura" "$T_TMP/work"
cd "$T_TMP/work" || exit 1
printf '[ffmpeg]\nffmpeg = %s\n[server]\nmax_attempts = 1\n' "$FAKE" >"$XDG_CONFIG_HOME/aura/aura.ini"
start || skip_all "no server"

# Four jobs that run until cancelled (fake-ffmpeg --hang ends on "q").
queue() {
	IDS=""
	for i in 1 2 3 4; do
		IDS="$IDS $(aura submit --name "p$i" -- --hang -f lavfi -i testsrc -f null -)"
	done
	FIRST=${IDS# }
	FIRST=${FIRST%% *}
}
progress_rows() { screen | grep -cE '#[0-9]+ (running|queued|paused)'; }
running_first() { is_state "$FIRST" running; }

# --- 40 columns: one progress row, however many redraws --------------------------
queue
wait_for 20 running_first
TM_SOCK="aura$$.w"
tm new-session -d -x 40 -y 12 "'$AURA_BIN' wait$IDS; echo EXIT=\$?; sleep 600"
wait_screen 20 '#[0-9]+ (running|queued)' "aura wait shows its progress line at 40 columns"
# pause and resume a job twice: each is an event, each a redraw
for i in 1 2; do
	aura pause "$FIRST" >/dev/null
	wait_screen 10 "#$FIRST paused" "redraw $i: #$FIRST paused"
	aura resume "$FIRST" >/dev/null
	wait_screen 10 "#$FIRST running" "redraw $i: #$FIRST running"
done
is "$(progress_rows)" 1 "after the redraws the screen holds one progress row"
[ "$(progress_rows)" = 1 ] || diag "$(screen)"
fits_width 40 && ok "every row fits in 40 columns" || not_ok "every row fits in 40 columns"
aura cancel$IDS >/dev/null
wait_screen 30 'EXIT=1' "aura wait ends (exit 1: the jobs were cancelled)"
is "$(progress_rows)" 0 "the progress line is cleared before the result lines"

# --- TERM=dumb: plain lines, no escape -------------------------------------------
queue
wait_for 20 running_first
tm kill-server >/dev/null 2>&1
TM_SOCK="aura$$.d"
GATE="$T_TMP/gate"
RAW="$T_TMP/raw"
tm new-session -d -x 40 -y 12 "while [ ! -e '$GATE' ]; do sleep 0.1; done; env TERM=dumb '$AURA_BIN' wait$IDS; echo EXIT=\$?; sleep 600"
tm pipe-pane -o -t 0 "cat >'$RAW'"
: >"$GATE"
wait_screen 20 "#$FIRST running" "TERM=dumb: aura wait shows progress"
aura pause "$FIRST" >/dev/null
wait_screen 10 "#$FIRST paused" "TERM=dumb: a change prints a line"
aura cancel$IDS >/dev/null
wait_screen 30 'EXIT=1' "TERM=dumb: aura wait ends"
if grep -q "$(printf '\033')" "$RAW"; then
	not_ok "TERM=dumb: no ESC byte in the output"
	diag "$(od -c "$RAW" | head -20)"
else ok "TERM=dumb: no ESC byte in the output"; fi
# the pane's line ends are \r\n; a \r not before \n is a redraw
if tr '\n' '\001' <"$RAW" | sed 's/\r\x01//g' | grep -q "$(printf '\r')"; then
	not_ok "TERM=dumb: no CR redraw"
else ok "TERM=dumb: no CR redraw"; fi
like "$(tr -d '\r' <"$RAW")" "#$FIRST paused" "TERM=dumb: the change is a plain line"

done_testing
