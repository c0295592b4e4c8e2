#!/bin/sh
# names.sh -- what jobs are called and what `show`/`rm` say about them: a
# job submitted without --name/-o is named from the output FFmpeg will
# write, else its first input; a finished job shows the media made; a
# retried job names the attempt it waits for; rm of a running job says to
# cancel it first, and rm says what it removes.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"

WORK="$T_TMP/work"
mkdir -p "$WORK/sub"
cd "$WORK" || exit 1
SRC="testsrc=duration=1:size=64x48:rate=10"
# pool "hold" runs one job at a time: a retried job waits there behind an
# endless one, so what `show` says of a queued retry is seen every time
mkdir -p "$XDG_CONFIG_HOME/aura"
printf '[pool hold]\nmax_jobs = 1\n' >"$XDG_CONFIG_HOME/aura/aura.ini"
start || exit 1

name_of() { aura ls --json | jq -r ".jobs[] | select(.id == $1) | .name"; }

# --- names ----------------------------------------------------------------------
A=$(aura submit -- -f lavfi -i "$SRC" -pix_fmt yuv420p "sub/Tokyo 東京.mp4")
aura wait "$A" >/dev/null
is "$(name_of "$A")" "Tokyo 東京.mp4" "named after the output FFmpeg writes"
is "$(state_of "$A")" succeeded "that job succeeded"
B=$(aura submit -- -y -i "sub/Tokyo 東京.mp4" -c copy -f null -)
is "$(name_of "$B")" "Tokyo 東京.mp4" "no file output: named after the first input"
C=$(aura submit -- -f lavfi -i "$SRC" -f null -)
is "$(name_of "$C")" "ffmpeg" "a lavfi input and no file output: ffmpeg"
D=$(aura submit --name mine -- -f lavfi -i "$SRC" -f null -)
is "$(name_of "$D")" "mine" "--name wins"
E=$(aura submit -- -i "sub/Tokyo 東京.mp4" -map 0 -c copy -y file:sub/copy.mkv)
is "$(name_of "$E")" "copy.mkv" "a file: output is named by its base name"
run aura ls
like "$OUT" "Tokyo 東京.mp4" "ls shows the names"
for j in "$B" "$C" "$D" "$E"; do aura wait "$j" >/dev/null; done

# --- show of a finished job: the media made -------------------------------------
run aura show "$B"
like "$OUT" 'progress +100%  0:01( |$)' "a finished job shows the media time made"
unlike "$OUT" 'progress .* of ' "and not a clock against a planned length"

# --- retry: attempts over the job's life ----------------------------------------
F=$(aura submit --pool hold -- -f lavfi -i nosuchsource -f null -)
aura wait "$F" >/dev/null
run aura show --json "$F"
MAX=$(printf '%s' "$OUT" | jq -r .job.max_attempts)
ATT=$(printf '%s' "$OUT" | jq -r .job.attempts)

run aura show "$F"
like "$OUT" "state +failed \\(attempt $ATT of $MAX\\)" "a failed job shows its attempts"
H=$(aura submit --pool hold -- -re -f lavfi -i "testsrc=size=64x48:rate=10" -f null -)
wait_for 20 is_state "$H" running || diag "job $H never ran"
run aura retry "$F"
is "$RC" 0 "retry exits 0"
is "$(state_of "$F")" queued "the retried job waits behind the running one"
run aura show "$F"
like "$OUT" "state +queued \\(next: attempt $((ATT + 1)) of $((ATT + MAX))\\)" \
	"a retried job waiting names the attempt it waits for"
aura cancel "$H" >/dev/null
aura wait "$F" >/dev/null

# --- rm: what it refuses, what it removes ---------------------------------------

L=$(aura submit -- -f lavfi -i "testsrc=size=64x48:rate=10" -f null -)
wait_for 20 is_state "$L" running || diag "job $L never ran"
run aura rm "$L"
is "$RC" 2 "rm of a running job exits 2"
like "$ERR" 'cancel it first \(`aura cancel '"$L"'`\)' "rm of a running job says to cancel it first"
aura cancel "$L" >/dev/null
WD=$(aura show --json "$A" | jq -r .job.workdir)
run aura rm "$A"
is "$RC" 0 "rm exits 0"
is "$OUT" "$A removed (its record and work directory; its output is kept)" "rm says what it removed"
if [ -e "$WD" ]; then not_ok "the work directory is gone"; else ok "the work directory is gone"; fi
if [ -s "sub/Tokyo 東京.mp4" ]; then ok "the output stays"; else not_ok "the output stays"; fi

done_testing
