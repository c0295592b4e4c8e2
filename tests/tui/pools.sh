#!/bin/sh
# tests/tui/pools.sh -- with pools configured, the header shows each
# pool's running/limit (and which are paused: aura pool NAME --pause), and
# the detail pane names the job's pool.
. "$AURA_SRCDIR/tests/cli/lib.sh"
. "$AURA_SRCDIR/tests/tui/lib-tui.sh"
command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is needed"

mkdir -p "$XDG_CONFIG_HOME/aura"
printf '[server]\nmax_jobs = 3\n[pool one]\nmax_jobs = 1\n' >"$XDG_CONFIG_HOME/aura/aura.ini"
"$AURA_BIN" serve --daemon >/dev/null 2>&1 || { not_ok "the server starts"; done_testing; exit 1; }
a=$(aura submit --pool one --name in-one -- -re -f lavfi -i "testsrc=s=64x48:r=5" -f null -)
b=$(aura submit --pool one --name waits -- -re -f lavfi -i "testsrc=s=64x48:r=5" -f null -)
tui_start 140 40
wait_screen 10 "in-one +ffmpeg +running" "the UI shows the running job"
wait_screen 10 "\[local 0/3 . one 1/1\]" "the header shows running/limit per pool"
aura cancel "$a" >/dev/null
wait_screen 10 "waits +ffmpeg +running" "the waiting job of the pool starts"
wait_screen 10 "Kind +ffmpeg, priority 0, pool one" "the detail pane names the pool"
aura cancel "$b" >/dev/null
wait_screen 10 "\[local 0/3 . one 0/1\]" "the header follows"
aura pool one --pause >/dev/null
wait_screen 10 "\[local 0/3 . one 0/1 paused\]" "a paused pool is marked in the header"
aura pool one --resume >/dev/null
aura pool one --max-jobs 2 >/dev/null
wait_screen 10 "\[local 0/3 . one 0/2\]" "a limit changed at run time shows"
keys q
wait_screen 5 "^EXIT=0" "q leaves the UI"
server_stop
done_testing
