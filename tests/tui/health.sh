#!/bin/sh
# tests/tui/health.sh -- the status bar shows the online providers' health
# the server reports: nothing about providers when none is configured;
# "providers: openai ? · pexels ?" before any check; ok with a latency
# once a video job waits (the server probes the loopback fake); the code
# (AUTH) when the fake refuses the key; a compact form that still fits 80
# columns.
. "$AURA_SRCDIR/tests/cli/lib.sh"
. "$AURA_SRCDIR/tests/tui/lib-tui.sh"
command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is needed"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
command -v curl >/dev/null 2>&1 || skip_all "curl is not installed"
unset OPENAI_API_KEY ELEVENLABS_API_KEY PEXELS_API_KEY PIXABAY_API_KEY

KEY="sk-fake-tui-health-1618"
FAKE_KEY="$KEY" python3 "$AURA_SRCDIR/tests/fakes/fake-provider.py" >"$T_TMP/port" &
FAKE_PID=$!
trap 'kill $FAKE_PID 2>/dev/null; tm kill-server >/dev/null 2>&1; t_cleanup' EXIT
wait_for 10 test -s "$T_TMP/port" || { not_ok "the fake provider starts"; done_testing; }
BASE="http://127.0.0.1:$(head -1 "$T_TMP/port")"
export AURA_TEST_OPENAI="$KEY" AURA_TEST_PEXELS="$KEY"

mkdir -p "$XDG_CONFIG_HOME/aura"
INI="$XDG_CONFIG_HOME/aura/aura.ini"
printf '[server]\nmax_jobs = 1\nhealth_interval = 1\n' >"$INI"

# --- no provider configured: the bar says nothing about providers -----------
"$AURA_BIN" serve --daemon >/dev/null 2>&1
tui_start 120 40
wait_screen 10 "● connected" "the UI connects"
wait_screen 10 "ffmpeg( ok|:)" "the FFmpeg verdict is shown"
unlike "$(row 1)" "providers" "no provider configured: no providers on the status bar"
server_stop
tm kill-server >/dev/null 2>&1

# --- openai and pexels at the fake --------------------------------------------
cat >>"$INI" <<EOF
[openai]
base_url = $BASE/v1
api_key_env = AURA_TEST_OPENAI
[pexels]
base_url = $BASE
api_key_env = AURA_TEST_PEXELS
EOF
"$AURA_BIN" serve --daemon >/dev/null 2>&1
tui_start 120 40
wait_screen 10 "providers: openai \? · pexels \?" "before any check: both providers unknown"

# an FFmpeg job holds the only slot; a video job waits behind it
run aura submit --name blocker -- -re -f lavfi -i testsrc=d=300:s=32x32:r=5 -f null -
B=$OUT
run aura new bees -d 5 -p draft-480p
V=$(printf '%s' "$OUT" | grep -oE '[0-9]+' | head -1)
wait_screen 10 "providers: openai ok [0-9.]+m?s · pexels ok [0-9.]+m?s" \
	"a waiting video job: both ok, with their latency"
like "$(row 1)" "providers: .* +ffmpeg( ok|:)" "the providers sit left of the FFmpeg verdict"

curl -s -XPOST -d '{"path":"/v1/models","fault":"401"}' "$BASE/_fault" >/dev/null
wait_screen 10 "providers: openai AUTH · pexels ok" "a refused key shows as AUTH"
if fits_width 120; then ok "the status bar fits 120 columns"; else not_ok "the status bar fits 120 columns"; fi
unlike "$(screen)" "$KEY" "the key is not on the screen"

# --- 80 columns: the compact form -------------------------------------------------
tui_start 80 24
wait_screen 10 "openai AUTH · pexels ok" "80 columns: the compact form still names the failure"
like "$(row 1)" "connected .*running" "... and keeps the job counts"
if fits_width 80; then ok "... and fits 80 columns"; else not_ok "... and fits 80 columns"; diag "$(row 1)"; fi

curl -s -XPOST -d '{"path":"/v1/models","fault":"401","count":0}' "$BASE/_fault" >/dev/null
wait_screen 10 "openai ok · pexels ok" "the recovery shows without a key press"

aura cancel "$V" "$B" >/dev/null 2>&1
server_stop
done_testing
