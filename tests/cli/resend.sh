#!/bin/sh
# resend.sh -- a submit is never lost and never doubled (doc/stability.md):
# the CLI sends every `submit` and `new` with an idempotency key (the
# user's --key, else a fresh "cli:" one) and, when the connection drops
# before the answer, sends the same request again on a new connection
# (auto-starting a server). (a) lost: the server dies with the request
# unread; (b) doubled: the answer is lost after the server committed the
# job (a proxy on the socket path drops it). Either way: one job, and the
# client prints its id and exits 0. (Ten concurrent `--key K`: keys.sh.)
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"

WORK="$T_TMP/work"
mkdir -p "$WORK"
cd "$WORK" || exit 1
SOCK="$AURA_DATA_DIR/run/aura.sock"
total() { aura ls --json | jq -r .total; }

# The client $1 waits for an answer: a socket open and blocked in poll()
# (x86-64: 7 poll, 271 ppoll; arm64: 73 ppoll), read from /proc.
waits_on_server() {
	ls -l "/proc/$1/fd" 2>/dev/null | grep -q 'socket:' || return 1
	read -r nr _ <"/proc/$1/syscall" 2>/dev/null || return 1
	case $nr in 7 | 271 | 73) return 0 ;; esac
	return 1
}

# --- (a) lost: the server dies with the request unread --------------------------------
start || { not_ok "the server starts"; done_testing; exit 1; }
OLD=$(server_pid)
kill -STOP "$OLD"
"$AURA_BIN" submit --name lost -- -f lavfi -i testsrc=duration=1 -f null - \
	>"$T_TMP/a.out" 2>"$T_TMP/a.err" &
CLIENT=$!
if wait_for 10 waits_on_server "$CLIENT"; then ok "the client sent its request and waits"
else not_ok "the client sent its request and waits"; fi
kill -KILL "$OLD"
wait "$CLIENT"
is "$?" 0 "the client exits 0 after the server died under it"
A_ID=$(cat "$T_TMP/a.out")
like "$A_ID" '^[0-9]+$' "and prints the job's id"
[ -s "$T_TMP/a.err" ] && diag "$(cat "$T_TMP/a.err")"
NEW=$(server_pid)
if [ -n "$NEW" ] && [ "$NEW" != "$OLD" ] && server_alive; then ok "a new server was started"
else not_ok "a new server was started"; fi
is "$(total)" 1 "exactly one job exists"
is "$(aura show --json "$A_ID" | jq -r .job.name)" lost "it is the job asked for"
like "$(aura show --json "$A_ID" | jq -r .job.key)" '^cli:[0-9a-f]{32}$' \
	"a job queued without --key has the CLI's own key (cli: and 32 hex digits)"

# --- (b) doubled: the answer is lost after the server committed the job --------------
# The server keeps listening on its socket under another name; a proxy on
# the usual path forwards the first request but drops its answer (closing
# the client's connection), then forwards everything.
mv "$SOCK" "$AURA_DATA_DIR/run/real.sock"
python3 - "$SOCK" "$AURA_DATA_DIR/run/real.sock" "$T_TMP/proxy.ready" "$T_TMP/proxy.log" <<'PY' &
import os, select, socket, sys
path, real, ready, log = sys.argv[1:5]
ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
ls.bind(path)
ls.listen(8)
ls.settimeout(20)
open(ready, "w").close()
def line(s, buf=b""):
    while b"\n" not in buf:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    return buf
for n in (1, 2):
    c, _ = ls.accept()
    u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    u.connect(real)
    if n == 1:
        u.sendall(line(c))
        ans = line(u)
        with open(log, "a") as f:
            f.write("dropped: %s" % ans.decode())
        c.close()
        u.close()
        continue
    socks = [c, u]
    while True:
        r, _, _ = select.select(socks, [], [], 60)
        if not r:
            break
        s = r[0]
        d = s.recv(65536)
        if not d:
            break
        (u if s is c else c).sendall(d)
    c.close()
    u.close()
os.unlink(path)
PY
PROXY=$!
wait_for 10 test -e "$T_TMP/proxy.ready"
run aura submit --name doubled -- -f lavfi -i testsrc=duration=1 -f null -
is "$RC" 0 "the client exits 0 after its answer was lost"
like "$OUT" '^[0-9]+$' "and prints an id"
[ -n "$ERR" ] && diag "$ERR"
wait "$PROXY"
mv "$AURA_DATA_DIR/run/real.sock" "$SOCK"
like "$(cat "$T_TMP/proxy.log")" '"ok": ?true' "the proxy dropped an answer the server gave"
is "$(total)" 2 "exactly one job more exists"
is "$(aura ls --json | jq -r '[.jobs[] | select(.name == "doubled")] | length')" 1 \
	"one job for the request"
is "$(aura ls --json | jq -r '.jobs[] | select(.name == "doubled") | .id')" "$OUT" \
	"the client printed that job's id"
unlike "$ERR" 'nothing new queued' "no key note: the key was the CLI's own"

stop
done_testing
