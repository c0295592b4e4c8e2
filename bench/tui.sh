#!/bin/sh
# bench/tui.sh -- the terminal UI on a store of 100 000 jobs: the first
# frame (with a server already running, and from cold, when the UI starts
# the server itself), and PgDn sweeps over the whole list (one burst of
# keys, and page by page waiting for each screen). Prints figures; never
# fails on time. Target: first frame <= 100 ms.
#
#   bench/tui.sh [AURA_BIN]     (default: ./aura in the current directory)
#
# Needs tmux, sqlite3 and GNU date. Runs in a private sandbox and its own
# tmux server; leaves nothing behind.
set -u
AURA_BIN=${1:-${AURA_BIN:-./aura}}
case $AURA_BIN in /*) ;; *) AURA_BIN=$(pwd)/$AURA_BIN ;; esac
N=${N:-100000}
RUNS=${RUNS:-5}
PAGES=${PAGES:-200}
for tool in tmux sqlite3; do
	command -v $tool >/dev/null 2>&1 || { echo "bench/tui.sh: $tool is needed"; exit 1; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/aura-bench-tui.XXXXXX")
mkdir -p "$TMP/run" && chmod 700 "$TMP/run"
export HOME="$TMP" XDG_CONFIG_HOME="$TMP/config" XDG_DATA_HOME="$TMP/xdg" \
	XDG_RUNTIME_DIR="$TMP/run" AURA_DATA_DIR="$TMP/data" LANG=C.UTF-8 LC_ALL=C.UTF-8
SOCK="aurabench$$"
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
aura() { "$AURA_BIN" "$@"; }
cleanup() {
	tm kill-server >/dev/null 2>&1
	aura shutdown >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
ms() { echo $(($(date +%s%N) / 1000000)); }

# The store: created by a server, then N jobs in one transaction.
aura ls >/dev/null 2>&1 && aura shutdown >/dev/null 2>&1
for i in $(seq 50); do [ -S "$AURA_DATA_DIR/run/aura.sock" ] || break; sleep 0.1; done
NOW=$(($(date +%s) * 1000))
T0=$(ms)
sqlite3 "$AURA_DATA_DIR/aura.db" "
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO jobs (kind, name, state, spec, output, created_ms, started_ms, finished_ms,
  updated_ms, attempts, max_attempts, progress)
SELECT 'ffmpeg', printf('batch-%06d', i), CASE WHEN i % 50 = 0 THEN 'failed' ELSE 'succeeded' END,
  '{\"argv\":[\"-version\"],\"cwd\":\"/tmp\"}', printf('/videos/batch-%06d.mp4', i),
  $NOW - ($N - i) * 1000, $NOW, $NOW, $NOW, 1, 3, 1.0 FROM n;
COMMIT;"
echo "seeded $N jobs in $(($(ms) - T0)) ms"

# wait_screen REGEX SECONDS: poll the screen; prints the ms it took.
wait_screen() {
	local t0 limit
	t0=$(ms)
	limit=$((t0 + $2 * 1000))
	while ! tm capture-pane -p -t 0 2>/dev/null | grep -qE -- "$1"; do
		[ "$(ms)" -gt "$limit" ] && { echo "timeout"; return 1; }
		sleep 0.005
	done
	echo $(($(ms) - t0))
}

# first_frame: start the UI, wait for the first page, quit; prints the
# UI's own figure (start of tui_main to the first frame with rows) and
# the wall time from launch to the page on screen (tmux polling included).
first_frame() {
	local wall
	tm kill-server >/dev/null 2>&1
	rm -f "$TMP/stats"
	tm new-session -d -x 120 -y 40 "AURA_TUI_STATS=$TMP/stats '$AURA_BIN'; sleep 600"
	wall=$(wait_screen " 1/$N *\$" 30)
	tm send-keys -t 0 q
	for i in $(seq 100); do [ -s "$TMP/stats" ] && break; sleep 0.02; done
	echo "$(sed -n 's/^first_frame_ms=//p' "$TMP/stats") $wall"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

aura serve --daemon >/dev/null 2>&1
: >"$TMP/warm"
for r in $(seq "$RUNS"); do first_frame >>"$TMP/warm"; done
echo "first frame, server running:  UI $(cut -d' ' -f1 "$TMP/warm" | median) ms," \
	"on screen $(cut -d' ' -f2 "$TMP/warm" | median) ms (median of $RUNS; target <= 100 ms)"

: >"$TMP/cold"
for r in $(seq 3); do
	PID=$(cat "$AURA_DATA_DIR/aura.pid" 2>/dev/null)
	aura shutdown >/dev/null 2>&1
	for i in $(seq 200); do
		[ -n "$PID" ] && kill -0 "$PID" 2>/dev/null || break
		case $(ps -o stat= -p "$PID") in Z*) break ;; esac
		sleep 0.05
	done
	first_frame >>"$TMP/cold"
done
echo "first frame, cold (the UI starts the server on $N jobs): UI" \
	"$(cut -d' ' -f1 "$TMP/cold" | median) ms, on screen $(cut -d' ' -f2 "$TMP/cold" | median) ms"

# Sweeps, with the server running.
tm kill-server >/dev/null 2>&1
rm -f "$TMP/stats"
tm new-session -d -x 120 -y 40 "AURA_TUI_STATS=$TMP/stats '$AURA_BIN'; sleep 600"
wait_screen " 1/$N *\$" 30 >/dev/null
ROWS=17 # job rows at 120x40
FULL=$(((N + ROWS - 1) / ROWS))
T0=$(ms)
tm send-keys -t 0 -N "$FULL" NPage
W=$(wait_screen " $N/$N *\$" 120)
echo "full PgDn sweep as one burst: $FULL pages in $W ms"

tm send-keys -t 0 g
wait_screen " 1/$N *\$" 30 >/dev/null
T0=$(ms)
for p in $(seq "$PAGES"); do
	wait_screen " $((p * ROWS + 1))/$N *\$" 30 >/dev/null &
	W=$!
	tm send-keys -t 0 NPage
	wait $W
done
T=$(($(ms) - T0))
echo "PgDn page by page: $PAGES pages in $T ms, $((T * 1000 / PAGES)) us per page" \
	"(a key through tmux, a fetch when needed, a frame, a capture-pane)"
tm send-keys -t 0 q
for i in $(seq 100); do [ -s "$TMP/stats" ] && break; sleep 0.02; done
echo "the UI's figures for the sweeps: $(tr '\n' ' ' <"$TMP/stats")"
