# tests/cli/lib.sh -- sourced by every shell test: a private sandbox per test
# file (data, config, runtime dirs), TAP output, and cleanup that stops any
# server the test started. The real binary is $AURA_BIN.
#
#   . "$AURA_SRCDIR/tests/cli/lib.sh"
#   aura doctor; is $? 0 "doctor passes"
#   done_testing

set -u
: "${AURA_BIN:?run through make check}"
: "${AURA_SRCDIR:?run through make check}"

T_N=0
T_FAILED=0
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/aura-t.XXXXXX")
chmod 700 "$T_TMP"
mkdir -p "$T_TMP/home" "$T_TMP/config" "$T_TMP/xdgdata" "$T_TMP/run" "$T_TMP/data"
chmod 700 "$T_TMP/run"
export HOME="$T_TMP/home"
export XDG_CONFIG_HOME="$T_TMP/config"
export XDG_DATA_HOME="$T_TMP/xdgdata"
export XDG_RUNTIME_DIR="$T_TMP/run"
export AURA_DATA_DIR="$T_TMP/data"
unset AURA_CONFIG AURA_FFMPEG AURA_FFPROBE
FIXTURES="$AURA_SRCDIR/tests/fixtures"

aura() { "$AURA_BIN" "$@"; }

# python3 resolved once to the interpreter itself: a version manager's
# shim (pyenv's is a shell script) costs a third of a second a call, and
# some tests call python3 hundreds of times (list-sort.sh: 2 minutes).
if T_PY=$(command -v python3 2>/dev/null) &&
	T_PY=$("$T_PY" -c 'import sys; print(sys.executable)' 2>/dev/null) && [ -x "$T_PY" ]; then
	python3() { "$T_PY" "$@"; }
fi

# Stop a server left in this sandbox: TERM, then KILL after 5 s.
t_stop_server() {
	local pidf="$AURA_DATA_DIR/aura.pid" pid i
	[ -f "$pidf" ] || return 0
	pid=$(cat "$pidf" 2>/dev/null) || return 0
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
}

t_cleanup() {
	t_stop_server
	if [ -z "${KEEP_TMP:-}" ]; then rm -rf "$T_TMP"; else echo "# kept $T_TMP"; fi
}
trap t_cleanup EXIT

diag() { printf '# %s\n' "$*" | sed '2,$s/^/# /'; }

ok() {
	T_N=$((T_N + 1))
	echo "ok $T_N - $*"
}

not_ok() {
	T_N=$((T_N + 1))
	T_FAILED=$((T_FAILED + 1))
	echo "not ok $T_N - $*"
}

# is GOT WANT DESC
is() {
	if [ "$1" = "$2" ]; then ok "$3"; else not_ok "$3"; diag "got '$1', want '$2'"; fi
}

# like TEXT REGEX DESC (grep -E)
like() {
	if printf '%s' "$1" | grep -qE -- "$2"; then ok "$3"; else
		not_ok "$3"; diag "no match for /$2/ in:"; diag "$(printf '%s' "$1" | head -20)"; fi
}

unlike() {
	if printf '%s' "$1" | grep -qE -- "$2"; then
		not_ok "$3"; diag "unexpected match for /$2/"; else ok "$3"; fi
}

# run CMD...: sets OUT, ERR, RC
run() {
	OUT=$("$@" 2>"$T_TMP/.err")
	RC=$?
	ERR=$(cat "$T_TMP/.err")
}

# wait_for SECONDS CMD...: poll a condition every 0.1 s (a bounded wait on a
# condition, not a sleep that hopes); returns 1 on timeout.
wait_for() {
	local limit=$(( $1 * 10 )) i=0
	shift
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -ge $limit ] && return 1
		sleep 0.1
	done
	return 0
}

# --- the sandbox's server and its jobs ---------------------------------------
# start [SERVE-OPTIONS...]: `aura serve --daemon`, ready once it answers;
# stop: SIGTERM, done once its pid is gone. state_of/code_of read `show`
# (jq is needed for those).
server_pid() { cat "$AURA_DATA_DIR/aura.pid" 2>/dev/null; }
server_alive() { p=$(server_pid) && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }
answers() { aura ls --json >/dev/null 2>&1; }
start() {
	"$AURA_BIN" serve --daemon "$@" >/dev/null 2>"$T_TMP/serve.err" || { cat "$T_TMP/serve.err" >&2; return 1; }
	wait_for 10 answers
}
stop() {
	server_alive || return 0
	p=$(server_pid)
	kill -TERM "$p"
	wait_for 30 eval '! kill -0 '"$p"
}
state_of() { aura show --json "$1" 2>/dev/null | jq -r .job.state; }
code_of() { aura show --json "$1" 2>/dev/null | jq -r '.job.error.code // ""'; }
terminal() { case $(state_of "$1") in succeeded | failed | cancelled) return 0 ;; esac; return 1; }
is_state() { [ "$(state_of "$1")" = "$2" ]; }

# hold_lock: another process (python3's sqlite3) takes aura.db's write lock
# (BEGIN IMMEDIATE) and keeps it until release_lock (120 s at most).
hold_lock() {
	rm -f "$T_TMP/held" "$T_TMP/release"
	python3 - "$AURA_DATA_DIR/aura.db" "$T_TMP/held" "$T_TMP/release" <<'PY' &
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
t = time.time()
while not os.path.exists(sys.argv[3]) and time.time() - t < 120:
    time.sleep(0.05)
c.execute("ROLLBACK")
PY
	HOLDER=$!
	wait_for 60 test -e "$T_TMP/held"
}
release_lock() { touch "$T_TMP/release"; wait "$HOLDER"; }

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

done_testing() {
	echo "1..$T_N"
	[ "$T_FAILED" -eq 0 ]
}

# fake_provider KEY [VAR=VALUE...]: start the loopback fake of the online
# providers (tests/fakes/fake-provider.py) with FAKE_KEY=KEY and the
# variables given (FAKE_HANG=3...); sets FAKE_PID and BASE and kills it at
# exit. A fake that does not start fails the test, saying so.
fake_provider() {
	_key=$1
	shift
	env FAKE_KEY="$_key" "$@" python3 "$AURA_SRCDIR/tests/fakes/fake-provider.py" >"$T_TMP/port" &
	FAKE_PID=$!
	trap 'kill $FAKE_PID 2>/dev/null; t_cleanup' EXIT
	wait_for 10 test -s "$T_TMP/port" || { not_ok "the fake provider starts"; done_testing; }
	BASE="http://127.0.0.1:$(head -1 "$T_TMP/port")"
}
