# tests/load/lib-load.sh -- sourced by the load scenarios and the leak
# check: runs them from make check (AURA_BIN etc. set by the harness) or by
# hand from a build directory (`/work/main/tests/load/seq.sh` with the
# build directory as the current one, or AURA_BIN=/path/to/aura), then the
# sandbox and TAP of tests/cli/lib.sh, and /proc measurements of a pid.
# Must never: touch a server outside its sandbox.

if [ -z "${AURA_SRCDIR:-}" ]; then
	AURA_SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
	export AURA_SRCDIR
fi
if [ -z "${AURA_BIN:-}" ]; then
	AURA_BIN="$PWD/aura"
	export AURA_BIN
fi
: "${AURA_BUILDDIR:=$(dirname "$AURA_BIN")}"
export AURA_BUILDDIR
[ -x "$AURA_BIN" ] || { echo "Bail out! no aura binary at $AURA_BIN (run from the build dir or set AURA_BIN)"; exit 1; }
. "$AURA_SRCDIR/tests/cli/lib.sh"

PIDF="$AURA_DATA_DIR/aura.pid"
SOCK="$AURA_DATA_DIR/run/aura.sock"
mkdir -p "$XDG_CONFIG_HOME/aura"

server_pid() { cat "$PIDF" 2>/dev/null; }
# Whether the server answers a ping; never auto-starts one (aura's verbs
# would, racing a server still starting under valgrind).
answers() {
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
s.sendall(b"{\"id\":1,\"method\":\"ping\"}\n")
sys.exit(0 if b"\"ok\":true" in s.recv(4096) else 1)' "$SOCK" 2>/dev/null
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null; }
nfds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
# utime + stime of a pid in clock ticks
cpu_ticks() { awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$1/stat" 2>/dev/null; }
now_ms() { date +%s%3N; }
# The server's resting fd count: the least seen over 1 s (a client that
# just left may still be open on the server's side for a loop turn).
fd_rest() {
	local m=999999 i f
	for i in 1 2 3 4 5 6 7 8 9 10; do
		f=$(nfds "$1"); [ "$f" -lt "$m" ] && m=$f; sleep 0.1
	done
	echo "$m"
}
fd_is() { [ "$(nfds "$1")" = "$2" ]; }
CLK_TCK=$(getconf CLK_TCK)

# Start `aura serve` in the background (foreground mode, so $! is the
# server) and wait until it answers, or has exited (a config it refuses:
# no point waiting); SERVE_PID is its pid.
serve_bg() {
	"$AURA_BIN" serve >"$T_TMP/serve.out" 2>&1 &
	SERVE_PID=$!
	wait_for 20 answers_or_gone
	answers
}
answers_or_gone() { answers || ! kill -0 "$SERVE_PID" 2>/dev/null; }
# An orderly shutdown and the server's exit status in SERVE_RC.
serve_stop() {
	"$AURA_BIN" shutdown >/dev/null 2>&1
	wait "$SERVE_PID"
	SERVE_RC=$?
}

# table_row JOBS WALL_MS CPU_TICKS PEAK_KB FD0 FD1: one line of the table the
# scenarios print (as TAP comments, so make check keeps them in the .log).
table_head() {
	printf '# %-22s %6s %8s %9s %10s %6s %6s\n' scenario jobs wall_s cpu_share peak_rss_k fd0 fd1
}
table_row() {
	awk -v n="$1" -v j="$2" -v w="$3" -v c="$4" -v t="$CLK_TCK" -v p="$5" -v a="$6" -v b="$7" \
		'BEGIN { printf "# %-22s %6d %8.1f %8.1f%% %10d %6d %6d\n", n, j, w / 1000, (w > 0 ? 100 * c / t / (w / 1000) : 0), p, a, b }'
}

# Under ASan the allocator's quarantine holds freed memory, so RSS says
# nothing about leaks there (LeakSanitizer checks them at exit instead):
# rss_ok skips an RSS bound on such a build.
SANITIZED=0
nm "$AURA_BIN" 2>/dev/null | grep -q '__asan_init' && SANITIZED=1
# rss_ok COND DESC: ok/not_ok on a shell test of RSS, a skip under ASan.
rss_ok() {
	if [ "$SANITIZED" = 1 ]; then
		ok "$2 # SKIP RSS is not meaningful under ASan"
	elif eval "$1"; then ok "$2"; else not_ok "$2"; fi
}

# LOAD_SHORT=1 (set by make check) picks the short forms: small enough for
# a noisy 2-core machine, under a minute for the whole set. An explicit
# LOAD_N, LOAD_SECONDS, LOAD_LONG or STRESS_STEPS still wins.
if [ "${LOAD_SHORT:-0}" = 1 ]; then
	: "${LOAD_N:=3}" "${LOAD_SECONDS:=3}" "${LOAD_LONG:=10}" "${STRESS_STEPS:=2:12:3 6:40:10}"
fi

# LOAD_KIND=raw (default): raw FFmpeg jobs from lavfi sources; LOAD_KIND=video:
# `aura new` narrated videos of the same length (LOAD_PRESET, default
# draft-480p).
LOAD_KIND=${LOAD_KIND:-raw}
LC="$AURA_SRCDIR/tests/load/loadc.py"
# submit_one NAME SECONDS [REALTIME]: queue a job that takes about SECONDS of
# media; REALTIME=1 makes a raw job run in real time (-re). Prints its id.
submit_one() {
	if [ "$LOAD_KIND" = video ]; then
		"$AURA_BIN" new "load test $1" -d "$(($2 < 5 ? 5 : $2))" -p "${LOAD_PRESET:-draft-480p}" -o "$1.mp4"
	elif [ "${3:-0}" = 1 ]; then
		"$AURA_BIN" submit --name "$1" -o "$1.mkv" -- -re -f lavfi -i "testsrc=d=$2:s=320x240:r=25" \
			-c:v mpeg4 "$1.mkv"
	else
		"$AURA_BIN" submit --name "$1" -o "$1.mkv" -- -f lavfi -i "testsrc=d=$2:s=320x240:r=25" \
			-c:v mpeg4 "$1.mkv"
	fi
}
state_of() { "$AURA_BIN" show --json "$1" 2>/dev/null | jq -r .job.state; }
n_state() { sqlite3 "$AURA_DATA_DIR/aura.db" "select count(*) from jobs where state = '$1';"; }
