#!/bin/sh
# voices.sh -- `aura voices [--json]`: flite's voices from FFmpeg's flite
# filter, espeak-ng's when it is installed (a non-English one among them),
# a missing engine named on stderr, openai's list only with a key, and the
# --json shape. Never touches the network.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"
ffmpeg -hide_banner -filters 2>/dev/null | grep -q ' flite ' || skip_all "this ffmpeg has no flite"

mkdir -p "$XDG_CONFIG_HOME/aura"
: >"$XDG_CONFIG_HOME/aura/aura.ini"

run aura voices
is "$RC" 0 "aura voices exits 0"
like "$OUT" "^ENGINE +VOICE +LANG +NOTES" "a header line"
like "$OUT" "flite +flite:slt +en +female" "flite:slt, English, female"
for v in kal awb rms kal16; do
	like "$OUT" "flite +flite:$v +en " "flite:$v is listed"
done
unlike "$OUT" "openai" "no openai voices without a key"

run aura voices --json
is "$RC" 0 "--json exits 0"
is "$(printf '%s' "$OUT" | jq -r '.voices | type')" array "--json: a voices array"
is "$(printf '%s' "$OUT" | jq -r '.engines_missing | type')" array "--json: an engines_missing array"
is "$(printf '%s' "$OUT" | jq -r '[.voices[] | keys | join(",")] | unique | join(";")')" \
	"engine,lang,notes,voice" "--json: each voice has engine, voice, lang, notes"
is "$(printf '%s' "$OUT" | jq -r '[.voices[] | select(.engine == "flite")] | length')" 5 \
	"--json: flite's five voices"

if command -v espeak-ng >/dev/null 2>&1; then
	run aura voices
	like "$OUT" "espeak +espeak:en-us +en-us +male, English" "espeak-ng's American English voice"
	like "$OUT" "espeak +espeak:de +de +[a-z]*, German" "espeak-ng's German voice"
	run aura voices --json
	is "$(printf '%s' "$OUT" | jq -r '.voices[] | select(.voice == "espeak:fr-fr") | .lang')" fr-fr \
		"--json: espeak:fr-fr speaks fr-fr"
else
	ok "# SKIP espeak-ng is not installed"
fi

# espeak-ng missing: named on stderr, not an error
printf '[voice]\nespeak = %s\n' "$T_TMP/no-such-espeak" >"$XDG_CONFIG_HOME/aura/aura.ini"
run aura voices
is "$RC" 0 "a missing espeak-ng is not an error"
like "$ERR" "no espeak voices: .*apt-get install espeak-ng" "it is named on stderr, with the hint"
unlike "$OUT" "espeak:" "no espeak voice is listed"
run aura voices --json
is "$(printf '%s' "$OUT" | jq -r '.engines_missing[0].engine')" espeak "--json: engines_missing names espeak"

# openai with a key: its fixed list, the [openai] voice marked
printf '[openai]\napi_key_env = AURA_TEST_VOICES_KEY\nvoice = nova\n' >"$XDG_CONFIG_HOME/aura/aura.ini"
AURA_TEST_VOICES_KEY=sk-test run aura voices
like "$OUT" "openai +openai:alloy" "openai's voices with a key"
like "$OUT" "openai:nova .*\\[openai\\] voice" "the [openai] voice is marked"
done_testing
