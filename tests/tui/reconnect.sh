#!/bin/sh
# tests/tui/reconnect.sh -- the UI starts a server when none runs; when
# the server is killed, the UI says so, keeps the last state on screen and
# does not start another one; when a server comes back it reconnects by
# itself and is live again (a job submitted then shows up); SIGTERM and
# SIGHUP to the UI give the terminal back and leave the server alone.
. "$AURA_SRCDIR/tests/cli/lib.sh"
. "$AURA_SRCDIR/tests/tui/lib-tui.sh"
command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is needed"

seed_golden || skip_all "cannot seed the store"
[ -z "$(server_pid)" ] || server_stop
tui_start 120 40
wait_screen 10 "connected .*3 succeeded" "the UI starts a server and shows the jobs"
PID=$(server_pid)
like "$PID" "^[0-9]+$" "a server was started"

kill -9 "$PID"
wait_screen 10 "disconnected: server went away; reconnecting" "killing the server shows the disconnected state"
like "$(screen)" "scale-down +ffmpeg +succeeded" "the last state stays on screen"
# it retries with backoff, and nobody starts a server behind the user's back
wait_screen 10 "reconnecting every [0-9]+s \(try [3-9]\)" "it keeps retrying, with backoff"
if [ -z "$(server_pid)" ] || server_gone "$(server_pid)"; then
	ok "the UI does not start a server on its own"
else
	not_ok "the UI does not start a server on its own"
	diag "pid file: $(server_pid); was $PID"; diag "$(ps -o pid,ppid,args -p "$(server_pid)")"
fi

"$AURA_BIN" serve --daemon >/dev/null 2>&1
wait_screen 10 "reconnected to the server" "restarting the server reconnects"
like "$(row 1)" "● connected" "the status bar says connected again"

run aura submit --name after-reconnect -- -v error -f lavfi -i testsrc=d=0.2:s=32x32 -f null /dev/null
wait_screen 10 "after-reconnect +ffmpeg +(queued|running|succeeded)" "events flow on the new connection"

# a clean shutdown is shown too
aura shutdown >/dev/null 2>&1
wait_screen 10 "disconnected: the server is shutting down" "a server shutdown is shown"
"$AURA_BIN" serve --daemon >/dev/null 2>&1
wait_screen 10 "● connected" "and it reconnects after it"

# signals give the terminal back; the server is not touched
SPID=$(server_pid)
UIPID=$(pgrep -P "$(tm display -p -t 0 '#{pane_pid}')" -x aura | head -1)
like "$UIPID" "^[0-9]+$" "the UI process is found"
kill -TERM "$UIPID"
wait_screen 5 "^EXIT=143" "SIGTERM: the UI leaves (status 143)"
if ! server_gone "$SPID"; then ok "the server still runs"; else not_ok "the server still runs"; fi
tui_start 120 40
wait_screen 10 "● connected" "a new UI connects"
UIPID=$(pgrep -P "$(tm display -p -t 0 '#{pane_pid}')" -x aura | head -1)
kill -HUP "$UIPID"
wait_screen 5 "^EXIT=129" "SIGHUP: the UI leaves (status 129)"
kill -INT "$(pgrep -P "$(tm display -p -t 0 '#{pane_pid}')" -x aura | head -1)" 2>/dev/null
done_testing
