#!/bin/sh
# docvideo-llm.sh -- `aura new --from DOC` with a script provider (the
# loopback fake, tests/fakes/fake-provider.py) and the document's pictures
# (doc/pipeline.md, "Document -> video"): (a) the provider condenses the
# document (sent with the request) into the script, and a local picture
# a section names becomes its scene's still; (b) when the provider's answer
# is unusable the document's extractive summary is used, with a warning;
# remote pictures are never fetched and a missing one is only a warning
# (client side); (c) a picture gone by the visuals stage leaves its scene
# to the chain, with a warning; (d) without a script provider nothing is
# asked.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v ffprobe >/dev/null 2>&1 || skip_all "ffprobe is not installed"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed"
command -v curl >/dev/null 2>&1 || skip_all "curl is not installed"
ffmpeg -hide_banner -filters 2>/dev/null | grep -q ' flite ' || skip_all "this ffmpeg has no flite"
unset OPENAI_API_KEY

KEY="sk-docvideo-fake-2718281828"
export AURA_T_KEY="$KEY"
fake_provider "$KEY" FAKE_HANG=3

WORK="$T_TMP/work"
mkdir -p "$WORK" "$XDG_CONFIG_HOME/aura"
cd "$WORK" || exit 1
WORK=$(pwd -P)
CFG="$XDG_CONFIG_HOME/aura/aura.ini"
# write_cfg SCRIPT-CHAIN
write_cfg() {
	cat >"$CFG" <<EOF
[server]
quit_grace = 1
term_grace = 1
[providers]
script = $1
voice = flite
visuals = generated
[openai]
base_url = $BASE/v1
api_key_env = AURA_T_KEY
timeout = 10
EOF
}
fake() { curl -s -XPOST -d "$2" "$BASE/$1" >/dev/null; }
arm() { fake _fault "{\"path\":\"$1\",\"fault\":\"$2\",\"count\":${3:--1}}"; }
hits() { curl -s "$BASE/_stats" | jq -r --arg p "$1" '.[$p] // 0'; }
last_id() { aura ls --json | jq -r '[.jobs[].id] | max'; }
workdir() { aura show --json "$1" | jq -r .job.workdir; }
wcodes() { aura show --json "$1" 2>/dev/null | jq -r '[.job.warnings[]?.code] | join(" ")'; }
# kind_of ID SCENE (1-based): card, still or clip; src_of: its source
kind_of() { jq -r ".scenes[$(($2 - 1))].kind" "$(workdir "$1")/visuals.json"; }
src_of() { jq -r ".scenes[$(($2 - 1))].source // \"\"" "$(workdir "$1")/visuals.json"; }
FAKE_LINE="Bees live together in a busy hive."

for c in red green; do
	ffmpeg -v error -f lavfi -i "color=c=$c:s=64x36" -frames:v 1 "$WORK/$c.png"
done
mkdir -p "$WORK/doc"
cp "$WORK/red.png" "$WORK/doc/hive.png"
cp "$WORK/green.png" "$WORK/honey.png"
cat >"$WORK/doc/bees.md" <<'EOF'
# How Bees Work

## Hives

Bees build hives from wax.

![a hive](hive.png)

## Honey

Honey is dried flower nectar.

![honey](../honey.png)

## Flowers

Flowers feed bees with pollen.

![a flower](https://example.invalid/flower.png)

## Winter

Bees keep warm in winter.

![gone](missing.png)
EOF

# --- (a) the provider condenses the document --------------------------------
write_cfg "openai, rulebased"
run aura new --from "$WORK/doc/bees.md" -d 15 -p draft-480p --captions none -o "$WORK/a" --wait
is "$RC" 0 "--from with a script provider renders"
like "$ERR" "missing.png cannot be read" "a picture the client cannot read is a warning"
ID=$(last_id)
WD=$(workdir "$ID")
is "$(jq -r '.scenes[0].narration' "$WD/script.json")" "$FAKE_LINE" "the script is the provider's"
is "$(hits /v1/chat/completions)" 1 "the provider was asked once"
like "$(cat "$WD/job.log")" "asking openai to condense the document" "job.log says it condenses"
BODY=$(curl -s "$BASE/_last?path=/v1/chat/completions")
USER_MSG=$(printf '%s' "$BODY" | jq -r '.messages[1].content')
like "$USER_MSG" "# Hives" "the document's sections are sent"
like "$USER_MSG" "Honey is dried flower nectar." "...with its sentences"
like "$(printf '%s' "$BODY" | jq -r '.messages[0].content')" "one scene per section" \
	"the prompt asks for a scene per section"
# the fake's third scene is "Honey": the section's picture is its still
is "$(kind_of "$ID" 3)/$(src_of "$ID" 3)" "still/$WORK/honey.png" \
	"a section's local picture becomes its scene's still"
like "$(cat "$WD/job.log")" "the document's picture" "job.log names the picture"
is "$(wcodes "$ID")" "" "no warning"

# --- (b) an unusable answer: the extractive summary --------------------------
arm /v1/chat/completions schema
run aura new --from "$WORK/doc/bees.md" -d 15 -p draft-480p --captions none -o "$WORK/b" --wait
is "$RC" 0 "an unusable answer still renders"
ID=$(last_id)
WD=$(workdir "$ID")
is "$(jq -r '[.scenes[].heading] | join("|")' "$WD/script.json")" "Hives|Honey|Flowers|Winter" \
	"the script is the document's extractive summary"
is "$(jq -r '.scenes[1].narration' "$WD/script.json")" "Honey is dried flower nectar." \
	"...of its own sentences"
like "$(wcodes "$ID")" "PROVIDER_BAD_RESPONSE" "a warning says why"
like "$(cat "$WD/job.log")" "using the document's extractive summary" "job.log says what was used"
is "$(kind_of "$ID" 1)/$(src_of "$ID" 1)" "still/$WORK/doc/hive.png" \
	"a picture relative to the document's folder is used"
is "$(kind_of "$ID" 2)/$(src_of "$ID" 2)" "still/$WORK/honey.png" "...and one in a folder above"
is "$(kind_of "$ID" 3)" "card" "a remote picture is not fetched"
is "$(kind_of "$ID" 4)" "card" "a missing picture leaves the scene to the chain"

# --- (c) a picture gone by the visuals stage ----------------------------------
fake _reset '{}'
arm /v1/chat/completions hang 1
aura new --from "$WORK/doc/bees.md" -d 15 -p draft-480p --captions none -o "$WORK/c" >/dev/null 2>&1
ID=$(last_id)
WD=$(workdir "$ID")
# the request hangs 3 s: the script stage is not over when the file goes
if wait_for 20 grep -q "asking openai" "$WD/job.log"; then ok "the job asks the provider"; else not_ok "the job asks the provider"; fi
mv "$WORK/honey.png" "$WORK/honey.gone"
wait_for 120 terminal "$ID"
is "$(state_of "$ID")" succeeded "the job succeeds without the picture"
like "$(wcodes "$ID")" "IMAGE_UNUSABLE" "...with a warning"
like "$(cat "$WD/job.log")" "honey.png cannot be read" "...naming the picture"
is "$(kind_of "$ID" 3)" "card" "...its scene from the chain"
mv "$WORK/honey.gone" "$WORK/honey.png"

# --- (d) without a script provider nothing is asked ---------------------------
stop
write_cfg rulebased
fake _reset '{}'
run aura new --from "$WORK/doc/bees.md" -d 15 -p draft-480p --captions none -o "$WORK/d" --wait
is "$RC" 0 "--from without a script provider renders"
is "$(hits /v1/chat/completions)" 0 "...and asks no provider"
ID=$(last_id)
like "$(cat "$(workdir "$ID")/job.log")" "the document's extractive summary" \
	"...using the extractive summary"

done_testing
