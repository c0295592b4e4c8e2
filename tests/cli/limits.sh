#!/bin/sh
# limits.sh -- what a job may carry and how its text reaches a terminal:
# oversized fields refused at submit with nothing queued (raw protocol), a
# record made too big in the store still listed (cut and marked) without
# hiding the others or breaking `wait`; control bytes from job text never
# reach the terminal (--json stays exact).
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
command -v sqlite3 >/dev/null 2>&1 || skip_all "sqlite3 is not installed"

WORK="$T_TMP/work"
mkdir -p "$WORK"
cd "$WORK" || exit 1
SOCK="$AURA_DATA_DIR/run/aura.sock"
DB="$AURA_DATA_DIR/aura.db"
SRC="testsrc=duration=1:size=64x48:rate=10"

# One raw request line (PARAMS is a python expression); prints the answer.
raw() { python3 "$AURA_SRCDIR/tests/cli/pc.py" req-py "$SOCK" "$1" "$2"; } # METHOD PARAMS-PY
njobs() { sqlite3 "$DB" 'SELECT count(*) FROM jobs'; }

# --- refused at submit, nothing queued --------------------------------------
run aura submit --name first -o a.mp4 -- -f lavfi -i "$SRC" -pix_fmt yuv420p a.mp4
is "$RC" 0 "a first job is queued"
A=$OUT
run aura wait "$A"
is "$RC" 0 "it succeeds"
BEFORE=$(njobs)

ANS=$(raw submit '{"argv": ["-version"], "cwd": "/", "name": "n" * 1000000}')
is "$(printf '%s' "$ANS" | jq -r .error.code)" PARAM_TOO_LONG "a 1 MB name is refused with PARAM_TOO_LONG"
like "$(printf '%s' "$ANS" | jq -r .error.detail)" '"name" has 1000000 bytes; at most 1024' "the error names the field and its limit"
ANS=$(raw submit '{"argv": ["-version"], "cwd": "/", "output": "/" + "o" * 700000}')
is "$(printf '%s' "$ANS" | jq -r .error.code)" PARAM_TOO_LONG "a 700 KB output is refused with PARAM_TOO_LONG"
ANS=$(raw submit '{"argv": ["x" * 1000] * 300, "cwd": "/"}')
is "$(printf '%s' "$ANS" | jq -r .error.code)" PARAM_TOO_LONG "300 KB of FFmpeg arguments are refused"
ANS=$(raw new '{"topic": "bees " * 200000, "cwd": "/"}')
is "$(printf '%s' "$ANS" | jq -r .error.code)" PARAM_TOO_LONG "a 1 MB topic is refused"
is "$(njobs)" "$BEFORE" "nothing was queued by the refused requests"

# --- a record too big in the store breaks nothing ----------------------------
run aura submit --name second -o b.mp4 -- -f lavfi -i "$SRC" -pix_fmt yuv420p b.mp4
B=$OUT
run aura wait "$B"
aura shutdown >/dev/null 2>&1
wait_for 20 sh -c "[ ! -S '$SOCK' ]" || diag "the server did not stop"
sqlite3 "$DB" "UPDATE jobs SET name = printf('%.1000000c', 'x'), output = printf('%.900000c', 'y') WHERE id = $B" 2>&1
is "$(sqlite3 "$DB" "SELECT length(name) FROM jobs WHERE id = $B")" 1000000 "the newest job, $B, now has a 1 MB name in the store"

run aura ls --json
is "$RC" 0 "ls --json answers"
is "$(printf '%s' "$OUT" | jq '.jobs | length')" 2 "ls --json lists both jobs"
like "$(printf '%s' "$OUT" | jq -r ".jobs[] | select(.id == $B) | .name" | tail -c 40)" '\[\.\.\. [0-9]+ bytes cut\]$' "the big name is cut and marked"
run aura ls
is "$RC" 0 "ls exits 0"
like "$OUT" "first" "ls shows the other job"
unlike "$ERR" "no jobs" "ls does not say 'no jobs'"
run aura show "$B"
is "$RC" 0 "show of the big record works"

run aura submit --name third -o c.mp4 -- -f lavfi -i "$SRC" -pix_fmt yuv420p c.mp4
C=$OUT
run aura wait "$C" "$B"
is "$RC" 0 "wait on another job (and on the big one) works"
like "$OUT" "$C succeeded" "wait reports the other job's end"

# --- control bytes from a job never reach the terminal -----------------------
ESC=$(printf '\033')
EVIL="red${ESC}[31mX${ESC}]0;title$(printf '\007')"
EOUT="o${ESC}[1m.mp4"
run aura submit --name "$EVIL" -o "$EOUT" -- -f lavfi -i "$SRC" -pix_fmt yuv420p "$EOUT"
is "$RC" 0 "a job named with escape sequences is queued"
E=$OUT
run aura wait "$E"
is "$RC" 0 "it succeeds"
has_ctl() { printf '%s' "$1" | LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')"; }
if has_ctl "$OUT"; then not_ok "wait prints no control byte"; diag "$(printf '%s' "$OUT" | od -c | head -5)"; else ok "wait prints no control byte"; fi
like "$OUT" "o\?\[1m\.mp4" "wait shows the output with '?' for ESC"
run aura ls
if has_ctl "$OUT$ERR"; then not_ok "ls prints no control byte"; else ok "ls prints no control byte"; fi
like "$OUT" "red\?\[31mX" "ls shows the name with '?' for ESC"
run aura show "$E"
if has_ctl "$OUT$ERR"; then not_ok "show prints no control byte"; else ok "show prints no control byte"; fi
like "$OUT" "red\?\[31mX\?\]0;title\?" "show shows the name with '?' for each control byte"
run aura logs "$E"
if has_ctl "$OUT$ERR"; then not_ok "logs prints no control byte"; else ok "logs prints no control byte"; fi
is "$(aura show --json "$E" | jq -r .job.name)" "$EVIL" "show --json keeps the name exact"
is "$(aura ls --json | jq -r ".jobs[] | select(.id == $E) | .name")" "$EVIL" "ls --json keeps the name exact"

# --- clear refusals for paths and numbers ------------------------------------
BEFORE=$(njobs)
run aura submit -o /nonexistent/dir/x.mp4 -- -f lavfi -i "$SRC" /nonexistent/dir/x.mp4
is "$RC" 2 "an output in a missing folder is refused at submit (exit 2)"
like "$ERR" "OUTPUT_UNWRITABLE.*folder /nonexistent/dir: does not exist" "the error names the missing folder"
run aura submit -o /dev/null -- -f lavfi -i "$SRC" -f null /dev/null
is "$RC" 2 "submit -o /dev/null is refused"
like "$ERR" "/dev/null is not a regular file" "the error says it is not a regular file"
run aura submit -o "" -- -f lavfi -i "$SRC" -f null -
is "$RC" 2 "submit -o '' is refused"
like "$ERR" "USAGE: .*: -o wants a file path" "the error says an empty path is no file path"
NULLMP4=absent
[ -e /dev/null.mp4 ] && NULLMP4=present
run aura new -o /dev/null "how bees make honey"
is "$RC" 2 "new -o /dev/null is refused"
like "$ERR" "/dev/null is not a regular file" "new names the non-file"
if [ "$NULLMP4" = absent ] && [ -e /dev/null.mp4 ]; then not_ok "no /dev/null.mp4 was made"; else ok "no /dev/null.mp4 was made"; fi
run aura new -o "" "how bees make honey"
is "$RC" 2 "new -o '' is refused"
ANS=$(raw submit '{"argv": ["-version"], "cwd": "/", "output": "/nonexistent/dir/x.mp4"}')
like "$(printf '%s' "$ANS" | jq -r '.error.code + " " + .error.detail')" "^OUTPUT_UNWRITABLE .*/nonexistent/dir" "the server refuses a missing output folder itself"
is "$(njobs)" "$BEFORE" "nothing was queued by these refusals"
run aura submit --priority 1000001 -- -f lavfi -i "$SRC" -f null -
is "$RC" 2 "submit --priority 1000001 is refused"
like "$ERR" "out of range: from -1000000 to 1000000" "it says out of range, and gives the range"
run aura new --priority -1000001 "how bees make honey"
like "$ERR" "out of range: from -1000000 to 1000000" "new --priority says the same"
run timeout 20 "$AURA_BIN" -c /dev/zero ls
is "$RC" 3 "-c /dev/zero is refused at once (exit 3), not read forever"
like "$ERR" "CONFIG_UNREADABLE.*/dev/zero is not a regular file" "the error says it is not a regular file"
mkfifo "$T_TMP/fifo.ini"
run timeout 20 "$AURA_BIN" -c "$T_TMP/fifo.ini" ls
is "$RC" 3 "a FIFO as config is refused without waiting for a writer"

# --- job.log is capped: head and tail kept, the cut marked --------------------
aura shutdown >/dev/null 2>&1
wait_for 20 sh -c "[ ! -S '$SOCK' ]" || diag "the server did not stop"
CFG="$T_TMP/cap.ini"
printf '[server]\njob_log_max = 64K\n' >"$CFG"
run aura -c "$CFG" submit --name chatty -- -f lavfi -i "testsrc=duration=20:size=32x32:rate=100" -vf showinfo -f null -
is "$RC" 0 "a job with about 600 KB of stderr is queued"
L=$OUT
run aura -c "$CFG" wait "$L"
is "$RC" 0 "it succeeds"
JL="$AURA_DATA_DIR/jobs/$L/job.log"
SZ=$(stat -c %s "$JL")
if [ "$SZ" -le $((64 * 1024 + 512)) ]; then ok "job.log stays within job_log_max ($SZ bytes)"; else not_ok "job.log stays within job_log_max"; diag "$SZ bytes"; fi
like "$(head -n 1 "$JL")" '^\[aura\] attempt 1 of' "its head is kept"
like "$(grep -c '^\[aura\] \[\.\.\. [0-9]* bytes cut' "$JL")" '^1$' "one marker line says how much was cut"
like "$(tail -n 1 "$JL")" '^\[aura\] job succeeded' "its tail is kept, up to the last line"
like "$(grep -n 'n: *1999 ' "$JL" | head -1)" 'n: *1999' "the last frame's line is in the tail"
run aura -c "$CFG" logs "$L"
is "$(printf '%s\n' "$OUT" | wc -c)" "$SZ" "aura logs reads the capped file whole"

done_testing
