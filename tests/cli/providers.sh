#!/bin/sh
# providers.sh -- `aura doctor` checks each configured online provider
# against the loopback fake (tests/fakes/fake-provider.py): latency when the
# key works, PROVIDER_AUTH when it is refused, PROVIDER_NOT_CONFIGURED for a
# chained provider without a key, PROVIDER_UNAVAILABLE for a dead address;
# only configured providers are called; the key is never printed; findings
# are in the report only (no log line on stderr).
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed"
unset OPENAI_API_KEY ELEVENLABS_API_KEY PEXELS_API_KEY PIXABAY_API_KEY

KEY="sk-fake-doctor-31415926"
fake_provider "$KEY"
PORT=$(head -1 "$T_TMP/port")

CFG="$T_TMP/aura.ini"
write_cfg() { # OPENAI_ENV PEXELS_BASE
	cat >"$CFG" <<EOF2
[providers]
script = openai, rulebased
visuals = pixabay, generated
[openai]
base_url = $BASE/v1
api_key_env = $1
[pexels]
base_url = $2
api_key_env = AURA_TEST_PEXELS
[pixabay]
api_key_env = AURA_TEST_NOPE
EOF2
}

check() { printf '%s' "$OUT" | jq -r --arg n "$1" ".checks[] | select(.name == \$n) | .$2"; }

# --- a working key: latency; a key refused: PROVIDER_AUTH --------------------
export AURA_TEST_GOOD="$KEY" AURA_TEST_PEXELS="wrong-key-2718"
write_cfg AURA_TEST_GOOD "$BASE"
run aura -c "$CFG" doctor --json
is "$(check provider:openai status)" ok "doctor: openai answers with the key"
like "$(check provider:openai value)" '/v1 \([0-9]+ ms\)$' "doctor shows the latency"
is "$(check provider:pexels status)" warn "doctor: pexels with a refused key warns"
is "$(check provider:pexels code)" PROVIDER_AUTH "a refused key is PROVIDER_AUTH"
is "$(check provider:pixabay code)" PROVIDER_NOT_CONFIGURED "a chained provider without a key is PROVIDER_NOT_CONFIGURED"
is "$(check provider:elevenlabs status)" "" "an unconfigured provider is not called"
is "$(curl -s "$BASE/_stats" | jq -r '."/v1/models"')" 1 "doctor made one request to openai"
case "$OUT$ERR" in *"$KEY"*|*wrong-key-2718*) not_ok "doctor never prints a key";; *) ok "doctor never prints a key";; esac

# --- the human form ------------------------------------------------------------
run aura -c "$CFG" doctor
like "$OUT" 'provider:pexels' "doctor lists provider checks"
like "$OUT" 'PROVIDER_AUTH' "doctor names the code"
case "$OUT$ERR" in *"$KEY"*|*wrong-key-2718*) not_ok "doctor's text never prints a key";; *) ok "doctor's text never prints a key";; esac
is "$ERR" "" "a refused key is in the report only: no log line on stderr"

# --- nothing listens: PROVIDER_UNAVAILABLE, quickly ------------------------------
write_cfg AURA_TEST_GOOD "http://127.0.0.1:1"
START=$(date +%s)
run aura -c "$CFG" doctor --json
END=$(date +%s)
is "$(check provider:pexels code)" PROVIDER_UNAVAILABLE "a dead address is PROVIDER_UNAVAILABLE"
is "$ERR" "" "... reported, not logged (no WARN line on stderr)"
ok_time=$(( END - START < 8 ))
is "$ok_time" 1 "doctor's provider checks are bounded in time"

# --- a hung provider: PROVIDER_TIMEOUT within the doctor's bound -------------
curl -s -XPOST -d '{"path":"/v1/models","fault":"hang"}' "$BASE/_fault" >/dev/null
START=$(date +%s)
run aura -c "$CFG" doctor --json
END=$(date +%s)
is "$(check provider:openai code)" PROVIDER_TIMEOUT "a hung provider is PROVIDER_TIMEOUT"
is "$(( END - START <= 9 ))" 1 "a hung provider costs doctor at most ~5 s"

done_testing
