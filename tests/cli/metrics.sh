#!/bin/sh
# tests/cli/metrics.sh -- `aura stats` and the [metrics] textfile for real
# (doc/metrics.md): raw FFmpeg jobs (lavfi) that succeed, fail with a known
# code, and are killed, retried and cancelled, counted in `stats --json`;
# the providers' requests and failures by code through the loopback fake
# (the background health of a queued video job); the textfile written at
# start, replaced atomically, checked by promtool, not rewritten while
# nothing changes (and the idle server not woken), written at shutdown.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is needed"
command -v jq >/dev/null 2>&1 || skip_all "jq is needed"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is needed (the fake provider)"
PROMTOOL=$(command -v promtool || true)
unset OPENAI_API_KEY ELEVENLABS_API_KEY PEXELS_API_KEY PIXABAY_API_KEY

KEY="sk-fake-metrics-31415926"
fake_provider "$KEY"
export AURA_TEST_OPENAI="$KEY" AURA_TEST_WRONG="sk-wrong-key-27182818"

PROM_DIR="$T_TMP/textfile"
PROM="$PROM_DIR/aura.prom"
mkdir -p "$PROM_DIR" "$XDG_CONFIG_HOME/aura"
cat >"$XDG_CONFIG_HOME/aura/aura.ini" <<EOF
[server]
max_jobs = 2
max_attempts = 2
retry_backoff = 1
health_interval = 1
[metrics]
textfile = $PROM
interval = 1
[openai]
base_url = $BASE/v1
api_key_env = AURA_TEST_OPENAI
[pexels]
base_url = $BASE
api_key_env = AURA_TEST_WRONG
EOF

stats() { aura stats --json; }
# jq over `aura stats --json`
sq() { aura stats --json | jq -r "$1"; }
prom_check() {
	if [ -z "$PROMTOOL" ]; then
		not_ok "$1 (promtool is missing: install Debian's prometheus package)"
		return
	fi
	if out=$("$PROMTOOL" check metrics <"$PROM" 2>&1); then ok "$1"; else
		not_ok "$1"; diag "$out"; fi
}
mtime() { stat -c %.9Y "$PROM" 2>/dev/null; }
inode() { stat -c %i "$PROM" 2>/dev/null; }

T0=$(date +%s.%N)
start || { not_ok "the server starts"; done_testing; exit 1; }
wait_for 5 test -s "$PROM" && ok "the textfile is written at start" ||
	not_ok "the textfile is written at start"
prom_check "promtool check metrics passes on the first file"
like "$(cat "$PROM")" '^# HELP aura_jobs ' "it begins with aura_jobs' # HELP"
like "$(cat "$PROM")" 'aura_retries_total 0' "a counter without labels shows 0 from the start"

# --- runs: one succeeds, one fails with a known code, one killed, retried, cancelled
INO0=$(inode)
OKID=$(aura submit -- -f lavfi -i testsrc=d=1:s=160x120:r=10 -y "$T_TMP/ok.mp4")
BADID=$(aura submit -- -f lavfi -i "nosuchsource=d=1" -y "$T_TMP/bad.mp4")
LONGID=$(aura submit -- -re -f lavfi -i testsrc=d=60:s=64x48:r=10 -f null -)
pid_of() { aura show --json "$1" | jq -r '.job.pid // 0'; }
attempts_of() { aura show --json "$1" | jq -r '.job.attempts'; }
has_pid() { [ "$(pid_of "$1")" -gt 0 ]; }
wait_for 15 has_pid "$LONGID" || not_ok "the long job runs"
kill -KILL "$(pid_of "$LONGID")"
second() { [ "$(attempts_of "$LONGID")" = 2 ] && has_pid "$LONGID"; }
wait_for 15 second && ok "the killed job is retried" || not_ok "the killed job is retried"
aura cancel "$LONGID" >/dev/null
wait_for 30 terminal "$OKID"
wait_for 30 terminal "$BADID"
wait_for 30 terminal "$LONGID"
is "$(state_of "$OKID") $(state_of "$BADID") $(state_of "$LONGID")" \
	"succeeded failed cancelled" "the three jobs ended as planned"
BADCODE=$(code_of "$BADID")
[ -n "$BADCODE" ] && ok "the failing job has a code ($BADCODE)" || not_ok "the failing job has a code"

J=$(stats)
jqj() { printf '%s' "$J" | jq -r "$1"; }
is "$(jqj '.aura_runs_started_total.local')" 4 "4 runs started (the killed job twice)"
is "$(jqj '.aura_runs_finished_total.local | "\(.succeeded) \(.failed) \(.cancelled)"')" \
	"1 2 1" "runs finished: 1 succeeded, 2 failed, 1 cancelled"
is "$(jqj ".aura_runs_failed_total.local.$BADCODE")" 1 "the failure is counted under $BADCODE"
is "$(jqj '.aura_runs_failed_total.local.FFMPEG_KILLED')" 1 "the killed run under FFMPEG_KILLED"
is "$(jqj '.aura_retries_total')" 1 "one retry"
is "$(jqj '.aura_stalls_total')" 0 "no stall"
is "$(jqj '.aura_queue_wait_seconds.count')" 4 "queue wait: one sample per run"
is "$(jqj '.aura_run_seconds.count')" 4 "run time: one sample per run that ended"
is "$(jqj '.aura_run_seconds.p50 != null and .aura_run_seconds.p95 >= .aura_run_seconds.p50')" \
	true "run time has p50 <= p95"
is "$(jqj '.aura_jobs.local | "\(.succeeded) \(.failed) \(.cancelled) \(.queued) \(.running)"')" \
	"1 1 1 0 0" "jobs by pool and state"
is "$(jqj '.aura_ffmpeg_cpu_seconds_total > 0')" true "FFmpeg's CPU seconds are counted"
is "$(jqj '.process_resident_memory_bytes > 0 and .process_open_fds > 0')" true "RSS and fds"
is "$(jqj '.aura_store_bytes > 0 and .aura_uptime_seconds >= 0')" true "store size and uptime"
is "$(jqj ".process_start_time_seconds >= ${T0%.*} - 1")" true "start time is the server's"

HUMAN=$(aura stats)
like "$HUMAN" "runs +started 4, succeeded 1, failed 2, cancelled 1" "aura stats: the runs line"
like "$HUMAN" "failures +.*FFMPEG_KILLED 1" "aura stats: the failures by code"
like "$HUMAN" "local +0 +0 +0 +1 +1 +1" "aura stats: the jobs table"
like "$(aura stats --prometheus)" 'aura_runs_started_total\{pool="local"\} 4' \
	"aura stats --prometheus prints the text format"

# the file follows within an interval, replaced by a rename
follows() { grep -q '^aura_runs_started_total{pool="local"} 4$' "$PROM"; }
wait_for 5 follows && ok "the textfile follows the counters" || not_ok "the textfile follows the counters"
[ "$(inode)" != "$INO0" ] && ok "... replaced by a rename (a new inode)" || not_ok "... replaced by a rename"
is "$(ls -A "$PROM_DIR")" "aura.prom" "... and no temporary file is left"
prom_check "promtool check metrics passes after the runs"

# --- providers: a queued video job turns the background health on ------------
aura pool local --pause >/dev/null
VID=$(aura new "metrics test" --duration 5 --preset draft-480p 2>/dev/null)
probed() {
	sq '(.aura_provider_requests_total.openai // 0) >= 1 and
	    (.aura_provider_failures_total.pexels.PROVIDER_AUTH // 0) >= 1' | grep -q true
}
if wait_for 15 probed; then ok "provider requests and failures by code are counted"; else
	not_ok "provider requests and failures by code are counted"; diag "$(stats | jq -c '.aura_provider_requests_total, .aura_provider_failures_total')"; fi
is "$(sq '.aura_provider_request_seconds.openai.count == .aura_provider_requests_total.openai')" \
	true "a latency sample per request"
is "$(sq '(.aura_provider_failures_total.openai // {}) | length')" 0 "no failure of the right key"
aura cancel "$VID" >/dev/null
aura pool local --resume >/dev/null
wait_for 10 terminal "$VID"
prov_in_file() { grep -q '^aura_provider_failures_total{provider="pexels",code="PROVIDER_AUTH"} ' "$PROM"; }
wait_for 5 prov_in_file && ok "the textfile has the providers' series" || not_ok "the textfile has the providers' series"
prom_check "promtool check metrics passes with the providers' series"

# --- idle: not rewritten while nothing changes; no timer wake-up --------------
# settled: the last write is 1.5 s (1.5 intervals) behind us
settled() { awk -v now="$(date +%s.%N)" -v m="$(stat -c %.9Y "$PROM")" 'BEGIN { exit !(now - m >= 1.5) }'; }
wait_for 10 settled || not_ok "the textfile settles"
M0=$(mtime)
SERVE_PID=$(server_pid)
if command -v strace >/dev/null 2>&1; then
	timeout -s INT 2 strace -qq -p "$SERVE_PID" -e trace=poll,ppoll -o "$T_TMP/strace" 2>/dev/null &
	ST=$!
	wait_for 5 sh -c "! grep -q '^TracerPid:[[:space:]]*0\$' /proc/$SERVE_PID/status"
	aura stats >/dev/null # one request: the loop goes round
	wait "$ST"
	# finished jobs arm retention's next deadline (keep_days,
	# doc/retention.md): one timer a day or more ahead (7+ digits of ms)
	TIMED=$(grep 'poll(' "$T_TMP/strace" | grep -vcE ', (-1|[0-9]{7,})[) ]')
	is "$TIMED" 0 "with a textfile set, the idle server polls with no near timeout (no timer wake-up)"
	[ "$TIMED" -eq 0 ] || diag "$(cat "$T_TMP/strace")"
else
	sleep 2
	ok "# SKIP strace is not installed"
fi
is "$(mtime)" "$M0" "the textfile is not rewritten while nothing changes (3.5 s, 3.5 intervals)"

# --- shutdown: written once more --------------------------------------------
UP0=$(sed -n 's/^aura_uptime_seconds //p' "$PROM")
stop
UP1=$(sed -n 's/^aura_uptime_seconds //p' "$PROM")
is "$(awk -v a="$UP1" -v b="$UP0" 'BEGIN { print (a + 0 > b + 0) }')" 1 \
	"the textfile is written at shutdown (uptime $UP0 -> $UP1)"
prom_check "promtool check metrics passes on the last file"
is "$(ls -A "$PROM_DIR")" "aura.prom" "no temporary file is left at the end"

done_testing
