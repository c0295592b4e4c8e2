#!/bin/sh
# tests/tui/pruned.sh -- a job whose work directory retention removed
# (doc/retention.md) in the TUI: the detail pane says so, the log pane
# says job.log went with it, and no error is shown for reading its log.
. "$AURA_SRCDIR/tests/cli/lib.sh"
. "$AURA_SRCDIR/tests/tui/lib-tui.sh"
command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is needed"

mkdir -p "$XDG_CONFIG_HOME/aura" && printf '[retention]\nkeep_jobs = 1\n' >"$XDG_CONFIG_HOME/aura/aura.ini"
"$AURA_BIN" serve --daemon >/dev/null 2>&1 || { not_ok "the server starts"; done_testing; exit 1; }
old=$(aura submit --name old-one -- -f lavfi -i "testsrc=d=0.2:s=32x24" -f null -)
aura wait "$old" >/dev/null 2>&1
new=$(aura submit --name new-one -- -f lavfi -i "testsrc=d=0.2:s=32x24" -f null -)
aura wait "$new" >/dev/null 2>&1
pruned() { [ "$(aura show --json "$old" | jq -r '.job.pruned_ms // 0')" -gt 0 ]; }
if wait_for 10 pruned; then ok "keep_jobs = 1: the older job's work directory was removed"
else not_ok "keep_jobs = 1: the older job's work directory was removed"; fi

tui_start 120 40
wait_screen 10 "old-one" "the UI lists the pruned job"
keys j # the second row: the older job (newest first)
wait_screen 10 "removed by retention" "the detail pane says its work directory was removed"
wait_screen 10 "job.log was removed by retention" "the log pane says its log went with it"
if screen_lacks "reading the log"; then ok "no error for reading its log"; else not_ok "no error for reading its log"; fi
keys q
wait_screen 5 "^EXIT=0" "q leaves the UI"
server_stop
done_testing
