#!/bin/sh
# tests/tui/store.sh -- the header says when the server cannot write its
# store (another process holds aura.db's write lock while a job ends: the
# server keeps the end in memory, doc/stability.md) and clears once the
# server has caught up; the job's end shows only then.
. "$AURA_SRCDIR/tests/cli/lib.sh"
. "$AURA_SRCDIR/tests/tui/lib-tui.sh"
command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is needed"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is needed to hold the lock"

"$AURA_BIN" serve --daemon >/dev/null 2>&1 || { not_ok "the server starts"; done_testing; exit 1; }
id=$(aura submit --name locked-end -- -re -f lavfi -i "testsrc=d=3:s=64x48:r=10" -f null -)
tui_start 120 40
wait_screen 10 "locked-end +ffmpeg +running" "the UI shows the running job"
hold_lock
wait_screen 30 "connected, store not writable \(STORE_BUSY\), [0-9]+ changes? wait" \
	"the header says the store cannot be written"
like "$(screen)" "locked-end +ffmpeg +running" "the job's unsaved end is not shown"
release_lock
wait_gone 30 "store not writable" "the header clears once the server has caught up"
wait_screen 30 "locked-end +ffmpeg +succeeded" "the job's end shows once it is saved"
is "$(sqlite3 "$AURA_DATA_DIR/aura.db" "select state from jobs where id = $id")" succeeded \
	"aura.db has it"
keys q
wait_screen 5 "^EXIT=0" "q leaves the UI"
server_stop
done_testing
