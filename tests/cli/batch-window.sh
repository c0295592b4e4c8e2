#!/bin/sh
# batch-window.sh -- `list` with "batch_id" (the TUI's batch filter): a
# window on one batch's jobs, newest first, that combines with "state",
# "text", "offset" and "limit", totals only the matches, and answers the
# batch's counts by state; an unknown id is BATCH_NOT_FOUND; `ls --batch`
# is unchanged.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is needed"

WORK="$T_TMP/work"
mkdir -p "$WORK"
cd "$WORK" || exit 1
start || { not_ok "the server starts"; done_testing; exit 1; }
SOCK="$AURA_DATA_DIR/run/aura.sock"
req() { python3 "$AURA_SRCDIR/tests/cli/pc.py" req "$SOCK" list "$1"; }

ok_row() { printf '{"kind":"ffmpeg","name":"%s","args":"-f lavfi -i testsrc=size=32x24:rate=5 -t 0.2 -f null -"}\n' "$1"; }
run aura submit --name outside-1 -- -f lavfi -i "testsrc=size=32x24:rate=5" -t 0.2 -f null -
{
	ok_row one
	ok_row two
	printf '%s\n' '{"kind":"ffmpeg","name":"three-bad","args":"-f lavfi -i nosuchsource -t 0.2 -f null -"}'
	ok_row four
	ok_row five
} >b.jsonl
run aura batch --name lessons b.jsonl
is "$RC" 0 "a batch of five is queued"
run aura submit --name outside-2 -- -f lavfi -i "testsrc=size=32x24:rate=5" -t 0.2 -f null -
run aura wait --batch lessons
is "$RC" 1 "the batch ends with one failure"
BID=$(aura ls --batch lessons --json | jq -r .batch.id)

A=$(req "{\"batch_id\":$BID}")
is "$(printf '%s' "$A" | jq -rc '.result | [.total, [.jobs[].name]]')" \
	'[5,["five","four","three-bad","two","one"]]' "batch_id: only the batch's jobs, newest first"
is "$(printf '%s' "$A" | jq -rc '.result.batch | [.id == '"$BID"', .name, .total, .succeeded, .failed, .queued, .running, .paused, .cancelled]')" \
	'[true,"lessons",5,4,1,0,0,0,0]' "with the batch's name, total and a count per state"

A=$(req "{\"batch_id\":$BID,\"state\":\"succeeded\",\"offset\":1,\"limit\":2,\"counts\":true}")
is "$(printf '%s' "$A" | jq -rc '.result | [.total, [.jobs[].name], .batch.total, .batch.failed, .counts.succeeded]')" \
	'[4,["four","two"],5,1,6]' "combined with state, offset and limit: the page of the matches; counts are the store's"
A=$(req "{\"batch_id\":$BID,\"text\":\"T\"}")
is "$(printf '%s' "$A" | jq -rc '.result | [.total, [.jobs[].name]]')" \
	'[2,["three-bad","two"]]' "combined with text"
A=$(req "{\"batch_id\":$BID,\"state\":\"failed\",\"offset\":5}")
is "$(printf '%s' "$A" | jq -rc '.result | [.total, (.jobs | length)]')" '[1,0]' "an offset past the matches: an empty page, the total"

A=$(req '{"batch_id":999}')
is "$(printf '%s' "$A" | jq -r .error.code)" BATCH_NOT_FOUND "an unknown batch id: BATCH_NOT_FOUND"
A=$(req '{"batch_id":0}')
is "$(printf '%s' "$A" | jq -r .error.code)" PROTO_BAD_REQUEST "batch_id 0 is refused"
A=$(req '{"batch_id":"lessons"}')
is "$(printf '%s' "$A" | jq -r .error.code)" PROTO_BAD_REQUEST "batch_id takes an id, not a name"
A=$(req '{}')
is "$(printf '%s' "$A" | jq -rc '.result | [.total, has("batch")]')" '[7,false]' "without it: every job, no batch object"

run aura ls --batch lessons --json
is "$(printf '%s' "$OUT" | jq -rc '[.total, (.jobs | length), .batch.name]')" '[5,5,"lessons"]' "ls --batch is unchanged"

stop
done_testing
