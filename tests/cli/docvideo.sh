#!/bin/sh
# docvideo.sh -- `aura new --from DOC` (document -> video, doc/pipeline.md):
# a small Markdown file becomes a short draft video whose scenes are the
# document's sections (headings as scene headings, the title as the job's
# name) and whose narration is the document's own sentences, never its code
# block or table; the option's errors; and the quality bar of issue 14: a
# 2,000-word Markdown article (tests/fixtures/article.md) -> a 60 s video
# whose narration is only the article's own sentences, in order, covering
# at least three of its sections.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v ffprobe >/dev/null 2>&1 || skip_all "ffprobe is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"
ffmpeg -hide_banner -filters 2>/dev/null | grep -q ' flite ' || skip_all "this ffmpeg has no flite"

WORK="$T_TMP/work"
mkdir -p "$WORK" "$XDG_CONFIG_HOME/aura"
cd "$WORK" || exit 1
printf '[server]\nquit_grace = 1\nterm_grace = 1\n' >"$XDG_CONFIG_HOME/aura/aura.ini"

cat >"$WORK/bees.md" <<'EOF'
# How Bees Work

## Hives

Bees build hives from wax.

```
code_block_never_read()
```

## Honey

| a | b |
|---|---|
| table_never_read | x |

Honey is dried flower nectar.

## Flowers

Flowers feed bees with pollen.
EOF

run aura new --from "$WORK/bees.md" --script "$WORK/bees.md"
is "$RC" 2 "--from with --script exits 2"
run aura new --from "$WORK/nonesuch.md"
is "$RC" 2 "--from a missing file exits 2"
like "$ERR" INPUT_UNREADABLE "...with INPUT_UNREADABLE"
printf '# Only code\n\n    make all\n' >"$WORK/code.md"
run aura new --from "$WORK/code.md" -p draft-480p
is "$RC" 2 "a document without prose exits 2"
like "$ERR" SCRIPT_INVALID "...with SCRIPT_INVALID"
like "$ERR" "holds no prose" "...saying why"

run aura new --from "$WORK/bees.md" -d 10 -p draft-480p --captions srt -o "$WORK/bees" --wait
is "$RC" 0 "--from renders"
is "$OUT" "$WORK/bees.mp4" "...to the -o path"
ID=$(aura ls --json | jq -r '.jobs[0].id')
is "$(aura show --json "$ID" | jq -r .job.name)" "How Bees Work" "the document's title is the topic"
WD=$(aura show --json "$ID" | jq -r .job.workdir)
is "$(jq -r '[.scenes[].heading] | join("|")' "$WD/script.json")" "Hives|Honey|Flowers" \
	"a scene per section, its heading the scene's"
is "$(jq -r '.scenes[1].narration' "$WD/script.json")" "Honey is dried flower nectar." \
	"the narration is the document's own sentence"
like "$(cat "$WORK/bees.srt")" "Flowers feed bees" "the captions say the document's words"
unlike "$(cat "$WORK/bees.srt")" "never_read" "...never its code block or table"
like "$(ffprobe -v error -show_entries stream=codec_type -of csv=p=0 "$WORK/bees.mp4" | sort -u | tr '\n' ' ')" \
	"audio video" "the video has sound and picture"

# --- the quality bar ---------------------------------------------------------
ART="$AURA_SRCDIR/tests/fixtures/article.md"
WORDS=$(wc -w <"$ART")
if [ "$WORDS" -ge 2000 ]; then ok "the article has at least 2,000 words"; else not_ok "the article has $WORDS words, under 2,000"; fi
run aura new --from "$ART" -d 60 -p draft-480p --captions none -o "$WORK/rain" --wait
is "$RC" 0 "the article renders"
ID=$(aura ls --json | jq -r '.jobs[0].id')
WD=$(aura show --json "$ID" | jq -r .job.workdir)
DUR=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$WORK/rain.mp4")
if awk -v d="$DUR" 'BEGIN { exit !(d >= 59.5 && d <= 60.5) }'; then
	ok "...into a 60 s video"
else
	not_ok "...into a 60 s video, not $DUR s"
fi
if command -v python3 >/dev/null 2>&1; then
	CHECK=$(python3 "$AURA_SRCDIR/tests/cli/doc-narration.py" "$ART" "$WD/script.json" 2>&1)
	is "$CHECK" "ok" "the narration is the article's own sentences, in order, from >= 3 sections"
else
	ok "# SKIP python3 is not installed"
fi

done_testing
