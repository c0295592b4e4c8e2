# tests/tui/lib-tui.sh -- sourced by the terminal UI tests, after
# tests/cli/lib.sh: a private tmux server (-L aura$$, no config) running
# the real binary at a fixed size, keys in, screens out, bounded waits on
# screen content, golden screens (GENERATE=1 rewrites them), and seeding
# the store with sqlite3 while no server runs.

command -v tmux >/dev/null 2>&1 || skip_all "tmux is needed for the TUI tests"
command -v sqlite3 >/dev/null 2>&1 || skip_all "sqlite3 is needed to seed the store"

# UTF-8 everywhere: the UI measures wide characters, tmux stores them.
export LANG=C.UTF-8 LC_ALL=C.UTF-8
unset NO_COLOR AURA_TUI_STATS
TM_SOCK="aura$$"
TM_N=0
RESULTS="$AURA_SRCDIR/tests/tui/results"

tm() { tmux -L "$TM_SOCK" -f /dev/null "$@"; }

trap 'tm kill-server >/dev/null 2>&1; t_cleanup' EXIT

# tui_start [COLS ROWS [ENV=VALUE...]]: the UI in a fresh tmux server.
tui_start() {
	local cols=${1:-120} rows=${2:-40}
	shift 2 2>/dev/null || shift $#
	tm kill-server >/dev/null 2>&1
	# a fresh socket each time: a server still dying cannot take the session
	TM_N=$((TM_N + 1))
	TM_SOCK="aura$$.$TM_N"
	tm new-session -d -x "$cols" -y "$rows" \
		"env $* '$AURA_BIN'; echo \"EXIT=\$?\"; sleep 600"
}

# The screen as text, one line per row.
screen() { tm capture-pane -p -t 0; }

# A row of the screen (1-based).
row() { screen | sed -n "${1}p"; }

screen_has() { screen | grep -qE -- "$1"; }
screen_lacks() { ! screen | grep -qE -- "$1"; }

# wait_screen SECONDS REGEX DESC: ok when the screen shows REGEX in time.
wait_screen() {
	if wait_for "$1" screen_has "$2"; then ok "$3"; else
		not_ok "$3"; diag "no /$2/ on the screen after $1 s:"; diag "$(screen)"; fi
}

# wait_gone SECONDS REGEX DESC: ok when REGEX left the screen in time.
wait_gone() {
	if wait_for "$1" screen_lacks "$2"; then ok "$3"; else
		not_ok "$3"; diag "/$2/ still on the screen after $1 s:"; diag "$(screen)"; fi
}

keys() { tm send-keys -t 0 "$@"; }
text() { tm send-keys -t 0 -l -- "$1"; }

# The server's pid, from its pid file.
server_pid() { cat "$AURA_DATA_DIR/aura.pid" 2>/dev/null; }

# A process that exited, or a zombie nobody reaped (no init in containers).
server_gone() {
	kill -0 "$1" 2>/dev/null || return 0
	case $(ps -o stat= -p "$1" 2>/dev/null) in Z*) return 0 ;; esac
	return 1
}

# Stop the server and wait until it is gone (seeding needs it stopped).
server_stop() {
	local pid
	pid=$(server_pid) || return 0
	[ -n "$pid" ] || return 0
	aura shutdown >/dev/null 2>&1
	wait_for 10 server_gone "$pid"
}

# Create the store (a server starts and stops), then run SQL on it.
seed_sql() {
	aura ls >/dev/null 2>&1 || return 1
	server_stop || return 1
	sqlite3 "$AURA_DATA_DIR/aura.db" "$1"
}

# The deterministic jobs of the golden screens: every state the server
# leaves alone (terminal ones), a wide-character name, an error with a
# hint. Ages are masked, so created_ms only needs to be in the past.
seed_golden() {
	local now
	now=$(($(date +%s) * 1000))
	seed_sql "
BEGIN;
INSERT INTO jobs (kind, name, state, spec, output, created_ms, started_ms, finished_ms,
  updated_ms, attempts, max_attempts, progress, out_time_us, duration_us, fps, speed, size)
VALUES
 ('ffmpeg', 'intro-cut', 'succeeded', '{\"argv\":[\"-version\"],\"cwd\":\"/tmp\"}',
  '/videos/intro-cut.mp4', $now - 7200000, $now - 7200000, $now - 7140000, $now - 7140000,
  1, 3, 1.0, 60000000, 60000000, 240.5, 8.0, 3145728),
 ('video', '東京 timelapse', 'succeeded', '{\"topic\":\"東京 timelapse\"}',
  '/videos/tokyo-timelapse.mp4', $now - 7000000, $now - 7000000, $now - 6910000,
  $now - 6910000, 1, 3, 1.0, 30000000, 30000000, 30.0, 1.5, 5242880),
 ('ffmpeg', 'broken-input', 'failed', '{\"argv\":[\"-i\",\"/nope.mp4\"],\"cwd\":\"/tmp\"}',
  NULL, $now - 6000000, $now - 6000000, $now - 5999000, $now - 5999000, 3, 3, 0, 0, 0, 0,
  0, 0),
 ('ffmpeg', 'night-encode', 'cancelled', '{\"argv\":[\"-version\"],\"cwd\":\"/tmp\"}',
  '/videos/night.mkv', $now - 5000000, $now - 5000000, $now - 4950000, $now - 4950000, 1, 3,
  0.42, 12600000, 30000000, 25.0, 1.0, 1048576),
 ('ffmpeg', 'scale-down', 'succeeded', '{\"argv\":[\"-version\"],\"cwd\":\"/tmp\"}',
  '/videos/scale-down.mp4', $now - 4000000, $now - 4000000, $now - 3990000, $now - 3990000,
  1, 3, 1.0, 10000000, 10000000, 300.0, 12.0, 524288);
UPDATE jobs SET error_code = 'FFMPEG_INPUT_NOT_FOUND',
  error_message = 'an input file does not exist: /nope.mp4: No such file or directory'
  WHERE name = 'broken-input';
UPDATE jobs SET error_code = 'JOB_CANCELLED', error_message = 'cancelled by the user'
  WHERE name = 'night-encode';
UPDATE jobs SET workdir = '$AURA_DATA_DIR/jobs/' || id;
COMMIT;"
}

# What changes from run to run is masked: ages, the health verdict (it
# depends on this machine's FFmpeg).
mask() {
	sed -E \
		-e '1s/ffmpeg( ok|:.*)$/<health>/' \
		-e 's/[0-9]+[smhd]$/<age>/' \
		-e 's/Created +[0-9]+[smhd] ago/Created  <age> ago/'
}

# golden NAME DESC: the masked screen against results/NAME.txt.
golden() {
	local want="$RESULTS/$1.txt" got
	got=$(screen | mask)
	# GENERATE writes each file once per run; a later check against the
	# same screen (another mode, same expected text) compares with it.
	case " ${GENERATED:-} " in *" $1 "*) ;; *)
		if [ -n "${GENERATE:-}" ]; then
			printf '%s\n' "$got" >"$want"
			GENERATED="${GENERATED:-} $1"
			ok "$2 (generated $1.txt)"
			return
		fi ;;
	esac
	if [ -f "$want" ] && [ "$got" = "$(cat "$want")" ]; then
		ok "$2"
	else
		not_ok "$2"
		diag "the screen differs from $want (GENERATE=1 rewrites it):"
		diag "$(printf '%s\n' "$got" | diff "$want" - 2>&1 | head -40)"
	fi
}

# Every row of the screen fits in COLS columns (wide characters count 2).
fits_width() {
	screen | python3 -c '
import sys, unicodedata
cols = int(sys.argv[1])
for n, line in enumerate(sys.stdin.read().split("\n"), 1):
    w = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)
    if w > cols:
        print("row %d is %d columns" % (n, w)); sys.exit(1)
' "$1"
}

# seed_many N: N finished jobs in one transaction (names batch-000001...,
# every 50th failed, every 97th cancelled), newest last.
seed_many() {
	local now
	now=$(($(date +%s) * 1000))
	seed_sql "
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
INSERT INTO jobs (kind, name, state, spec, output, created_ms, started_ms, finished_ms,
  updated_ms, attempts, max_attempts, progress, out_time_us, duration_us)
SELECT 'ffmpeg', printf('batch-%06d', i),
  CASE WHEN i % 50 = 0 THEN 'failed' WHEN i % 97 = 0 THEN 'cancelled' ELSE 'succeeded' END,
  '{\"argv\":[\"-version\"],\"cwd\":\"/tmp\"}', printf('/videos/batch-%06d.mp4', i),
  $now - ($1 - i) * 1000, $now - ($1 - i) * 1000, $now - ($1 - i) * 1000 + 500,
  $now - ($1 - i) * 1000 + 500, 1, 3,
  CASE WHEN i % 50 = 0 OR i % 97 = 0 THEN 0.5 ELSE 1.0 END, 10000000, 10000000
FROM n;
COMMIT;"
}

# A key value of the UI's AURA_TUI_STATS file.
stat_of() { sed -n "s/^$2=//p" "$1"; }
