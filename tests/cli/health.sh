#!/bin/sh
# tests/cli/health.sh -- the server's background provider health against
# the loopback fake (tests/fakes/fake-provider.py): no probe while no video
# job waits or runs (raw FFmpeg jobs never count), probes every
# health_interval while one does, ok with a latency, PROVIDER_AUTH once the
# fake answers 401 (and back to ok), shown in the subscribe snapshot, in
# `health` events and in the `health` request; probing stops with the last
# video job and the idle server has no timer left; a video job found in
# the store at start turns it on; no configured provider, no probe; the
# key never shows. Raw protocol through python3.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed"
command -v curl >/dev/null 2>&1 || skip_all "curl is not installed"
command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is needed"
unset OPENAI_API_KEY ELEVENLABS_API_KEY PEXELS_API_KEY PIXABAY_API_KEY

KEY="sk-fake-health-27182818"
fake_provider "$KEY"
SUB_PID=
trap 'kill $FAKE_PID $SUB_PID 2>/dev/null; t_cleanup' EXIT
PORT=$(head -1 "$T_TMP/port")
BASE="http://127.0.0.1:$PORT"
export AURA_TEST_OPENAI="$KEY" AURA_TEST_PEXELS="$KEY"
unset AURA_TEST_UNSET

# openai and pexels are configured; pixabay has an address but no key, so
# it is not (it cannot be called).
CFG="$T_TMP/aura.ini"
cat >"$CFG" <<EOF
[general]
log_level = debug
[server]
max_jobs = 1
health_interval = 1
[openai]
base_url = $BASE/v1
api_key_env = AURA_TEST_OPENAI
[pexels]
base_url = $BASE
api_key_env = AURA_TEST_PEXELS
[pixabay]
base_url = $BASE/pixabay
api_key_env = AURA_TEST_UNSET
EOF
# nothing usable: a key-less stock site only
CFG0="$T_TMP/none.ini"
cat >"$CFG0" <<EOF
[server]
max_jobs = 1
health_interval = 1
[pexels]
base_url = $BASE
api_key_env = AURA_TEST_UNSET
EOF

SOCK="$AURA_DATA_DIR/run/aura.sock"
LOG="$AURA_DATA_DIR/logs/aura.log"

PC="$AURA_SRCDIR/tests/cli/pc.py"
py() { python3 "$PC" "$@"; }

SERVE_PID=
start_server() { # [CONFIG]
	"$AURA_BIN" -c "${1:-$CFG}" serve >>"$T_TMP/serve.out" 2>&1 &
	SERVE_PID=$!
	wait_for 10 py req "$SOCK" ping
}
stop_server() {
	aura -c "$CFG" shutdown >/dev/null 2>&1
	wait_for 15 sh -c "! kill -0 $SERVE_PID 2>/dev/null"
	wait "$SERVE_PID" 2>/dev/null
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

health() { py req "$SOCK" health | jq -c "$1"; }
# requests the fake served: on PATH, or all of them
served() {
	if [ $# -gt 0 ]; then
		curl -s "$BASE/_stats" | jq -r --arg p "$1" '.[$p] // 0'
	else
		curl -s "$BASE/_stats" | jq -r '[.[]] | add // 0'
	fi
}
probe_count() { echo $(($(served /v1/models) + $(served /v1/search))); }
job_state() { py req "$SOCK" get "{\"id\":$1}" | jq -r .result.job.state; }
# an FFmpeg job that keeps the only slot busy for minutes
BLOCKER='["-re","-f","lavfi","-i","testsrc=d=300:s=32x32:r=5","-f","null","-"]'

# --- before any job: the providers are listed, unknown, and left alone ------
start_server || { not_ok "the server starts"; diag "$(cat "$T_TMP/serve.out")"; done_testing; }
is "$(health '[.result.providers[].name]')" '["openai","pexels"]' \
	"health lists the configured providers only (not pixabay: no key)"
is "$(health '[.result.providers[].state]')" '["unknown","unknown"]' "... as unknown before any check"
is "$(health '.result.refreshing')" false "... and is not refreshing without a video job"
is "$(health '.result.interval_s')" 1 "... with the configured interval"

py events "$SOCK" >"$T_TMP/events" &
SUB_PID=$!
wait_for 5 grep -q '"snapshot"' "$T_TMP/events"
is "$(grep '"snapshot"' "$T_TMP/events" | jq -c '[.providers[] | [.name, .state]]')" \
	'[["openai","unknown"],["pexels","unknown"]]' "the subscribe snapshot carries the providers' health"

# a window of 2.5 intervals: nothing may be probed
sleep 0.3
T0=$(cpu_ticks "$SERVE_PID")
sleep 2.2
is "$(served)" 0 "no video job: the fake receives no request"
is "$(cpu_ticks "$SERVE_PID")" "$T0" "an idle server with configured providers uses no CPU"

# --- a raw FFmpeg job never needs providers ----------------------------------
B=$(py submit "$SOCK" "$BLOCKER")
like "$B" '^[0-9]+$' "an FFmpeg job is queued"
wait_for 10 sh -c "[ \"\$(python3 '$PC' req '$SOCK' get '{\"id\":$B}' | jq -r .result.job.state)\" = running ]"
is "$(job_state "$B")" running "... and runs"
sleep 2.5
is "$(served)" 0 "a running FFmpeg job makes no provider probe"
is "$(health '.result.refreshing')" false "... and leaves health off"

# --- a video job waiting: probes, ok with a latency --------------------------
V=$(py new "$SOCK" "$T_TMP")
like "$V" '^[0-9]+$' "a video job is queued"
is "$(job_state "$V")" queued "... and waits for the busy slot"
health_is() { [ "$(health "$1")" = "$2" ]; }
wait_for 5 health_is '[.result.providers[].state]' '["ok","ok"]'
is "$(health '[.result.providers[].state]')" '["ok","ok"]' "a waiting video job turns health on: both ok"
like "$(health '.result.providers[0].latency_ms')" '^[0-9]+$' "... with a latency in ms"
like "$(health '.result.providers[0].checked_ms')" '^[0-9]{13}$' "... and the time of the check"
is "$(health '.result.providers[0].error')" null "... and no error"
is "$(health '.result.refreshing')" true "... and refreshing is on"
wait_for 5 grep -q '"event": *"health".*"ok"' "$T_TMP/events"
like "$(grep '"health"' "$T_TMP/events" | tail -1 | jq -c '[.providers[].state]')" '"ok"' \
	"subscribers get a health event"
is "$(served /v1/models | awk '{print ($1 >= 1)}')" 1 "the openai probe lists models"
is "$(served /v1/search | awk '{print ($1 >= 1)}')" 1 "the pexels probe is a search"

# every interval, not faster
N0=$(served /v1/models)
sleep 3
N1=$(served /v1/models)
D=$((N1 - N0))
if [ "$D" -ge 2 ] && [ "$D" -le 4 ]; then ok "refreshed about once per interval ($D probes in 3 s)"; else
	not_ok "refreshed about once per interval"; diag "$D probes of openai in 3 s at health_interval 1"; fi

# --- the key is refused: PROVIDER_AUTH, then back to ok ----------------------
curl -s -XPOST -d '{"path":"/v1/models","fault":"401"}' "$BASE/_fault" >/dev/null
wait_for 5 health_is '.result.providers[0].error.code' '"PROVIDER_AUTH"'
is "$(health '.result.providers[0].error.code')" '"PROVIDER_AUTH"' "a 401 turns openai to PROVIDER_AUTH"
is "$(health '.result.providers[0].state')" '"failing"' "... failing"
is "$(health '.result.providers[0].latency_ms')" null "... without a latency"
is "$(health '.result.providers[1].state')" '"ok"' "... while pexels stays ok"
wait_for 5 grep -q 'PROVIDER_AUTH' "$T_TMP/events"
like "$(grep '"health"' "$T_TMP/events" | grep PROVIDER_AUTH | head -1 | jq -r '.providers[0].error.code')" \
	'^PROVIDER_AUTH$' "a health event tells subscribers"
like "$(cat "$LOG")" 'provider health: openai failing: PROVIDER_AUTH' "the log names the change"
curl -s -XPOST -d '{"path":"/v1/models","fault":"401","count":0}' "$BASE/_fault" >/dev/null
wait_for 5 health_is '.result.providers[0].state' '"ok"'
is "$(health '.result.providers[0].state')" '"ok"' "the provider recovers: ok again"

case "$(py req "$SOCK" health)$(cat "$T_TMP/events" "$LOG")" in
*"$KEY"*) not_ok "the key never shows in health answers, events or the log" ;;
*) ok "the key never shows in health answers, events or the log" ;;
esac

# --- the last video job goes: probing stops, no timer is left ----------------
py req "$SOCK" cancel "{\"id\":$V}" >/dev/null
is "$(health '.result.refreshing')" false "cancelling the video job turns refreshing off"
sleep 0.5 # a probe already sent is answered within milliseconds
C1=$(probe_count)
sleep 2.5
is "$(probe_count)" "$C1" "... and no probe follows over 2.5 intervals"
is "$(health '.result.providers[0].state')" '"ok"' "... the last verdict is kept"

py req "$SOCK" cancel "{\"id\":$B}" >/dev/null
wait_for 10 sh -c "[ \"\$(python3 '$PC' req '$SOCK' get '{\"id\":$B}' | jq -r .result.job.state)\" = cancelled ]"
sleep 0.5
T0=$(cpu_ticks "$SERVE_PID")
sleep 2
is "$(cpu_ticks "$SERVE_PID")" "$T0" "after health ran, the idle server uses no CPU"
if command -v strace >/dev/null 2>&1; then
	timeout -s INT 3 strace -qq -p "$SERVE_PID" -e trace=poll,ppoll -o "$T_TMP/strace" 2>/dev/null &
	ST=$!
	# ping only once strace is attached (the server's TracerPid is set)
	wait_for 5 sh -c "! grep -q '^TracerPid:[[:space:]]*0\$' /proc/$SERVE_PID/status"
	py req "$SOCK" ping >/dev/null
	wait "$ST"
	POLLS=$(grep -c 'poll(' "$T_TMP/strace")
	# a finished job arms retention's deadline (keep_days, doc/retention.md):
	# one timer days ahead (7+ digits of ms), never a near one
	TIMED=$(grep 'poll(' "$T_TMP/strace" | grep -vcE ', (-1|[0-9]{7,})[) ]')
	if [ "$POLLS" -ge 1 ] && [ "$TIMED" -eq 0 ]; then
		ok "... and sleeps in poll() without a near timeout ($POLLS polls)"
	else
		not_ok "... and sleeps in poll() without a near timeout"; diag "$(cat "$T_TMP/strace")"
	fi
else
	ok "# SKIP strace is not installed"
fi

# --- a video job already waiting at start ------------------------------------
B=$(py submit "$SOCK" "$BLOCKER")
wait_for 10 sh -c "[ \"\$(python3 '$PC' req '$SOCK' get '{\"id\":$B}' | jq -r .result.job.state)\" = running ]"
V=$(py new "$SOCK" "$T_TMP")
is "$(job_state "$V")" queued "a second video job waits"
kill "$SUB_PID" 2>/dev/null
SUB_PID=
stop_server
is "$(kill -0 "$SERVE_PID" 2>/dev/null && echo alive)" "" "the server stops with the job queued"

# no provider that can be called: nothing runs, even with the job waiting
curl -s -XPOST "$BASE/_reset" >/dev/null
start_server "$CFG0" || not_ok "the server starts with no usable provider"
is "$(health '.result.providers')" '[]' "no configured provider: health lists none"
is "$(job_state "$V")" queued "... while the video job waits"
sleep 2.5
is "$(served)" 0 "... and the fake receives no request"
is "$(health '.result.refreshing')" false "... and nothing refreshes"
stop_server

curl -s -XPOST "$BASE/_reset" >/dev/null
start_server "$CFG" || not_ok "the server starts again"
wait_for 5 health_is '[.result.providers[].state]' '["ok","ok"]'
is "$(health '[.result.providers[].state]')" '["ok","ok"]' \
	"a video job found queued at start turns health on"
is "$(served /v1/models | awk '{print ($1 >= 1)}')" 1 "... the fake was probed"
py req "$SOCK" cancel "{\"id\":$V}" >/dev/null
B=$(py req "$SOCK" list '{"state":"running"}' | jq -r '.result.jobs[0].id // empty')
[ -n "$B" ] && py req "$SOCK" cancel "{\"id\":$B}" >/dev/null
stop_server

done_testing
