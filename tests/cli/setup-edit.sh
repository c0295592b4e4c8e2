#!/bin/sh
# setup-edit.sh -- `aura setup`'s prompts edit the line on a terminal
# (libedit): typed in tmux, Left moves the cursor back and a character is
# inserted there instead of "^[[D" landing in the answer; the written
# aura.ini holds the edited value.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v tmux >/dev/null 2>&1 || skip_all "tmux is needed"
export LANG=C.UTF-8 LC_ALL=C.UTF-8
unset OPENAI_API_KEY ELEVENLABS_API_KEY PEXELS_API_KEY PIXABAY_API_KEY
CFG="$XDG_CONFIG_HOME/aura/aura.ini"
TM_SOCK="aura-setup$$"
tm() { tmux -L "$TM_SOCK" -f /dev/null "$@"; }
trap 'tm kill-server >/dev/null 2>&1; t_cleanup' EXIT
screen_has() { tm capture-pane -p -t 0 | grep -qE -- "$1"; }
# wait_prompt REGEX: the screen's last non-empty line shows REGEX
last_has() { tm capture-pane -p -t 0 | grep -v '^$' | tail -1 | grep -qE -- "$1"; }
wait_prompt() { wait_for 10 last_has "$1" || { diag "no /$1/:"; diag "$(tm capture-pane -p -t 0)"; return 1; }; }

tm new-session -d -x 160 -y 50 \
	"env HOME='$HOME' XDG_CONFIG_HOME='$XDG_CONFIG_HOME' XDG_DATA_HOME='$XDG_DATA_HOME' XDG_RUNTIME_DIR='$XDG_RUNTIME_DIR' TERM=xterm '$AURA_BIN' setup; echo \"EXIT=\$?\"; sleep 600"

wait_prompt 'Data directory.*: *$' && ok "the wizard asks for the data directory" ||
	not_ok "the wizard asks for the data directory"
tm send-keys -t 0 -l -- "$T_TMP/dta"
tm send-keys -t 0 Left Left
tm send-keys -t 0 -l -- "a"
tm send-keys -t 0 End
tm send-keys -t 0 -l -- "2"
tm send-keys -t 0 Enter
wait_prompt 'finished videos.*: *$' || not_ok "the output directory is asked"
tm send-keys -t 0 -l -- "X$T_TMP/vids"
tm send-keys -t 0 C-a
tm send-keys -t 0 Delete
tm send-keys -t 0 Enter
wait_prompt 'Create it\? \[Y/n\]: *$' && ok "a missing output directory is offered for creation" ||
	not_ok "a missing output directory is offered for creation"
tm send-keys -t 0 Enter
for p in OpenAI ElevenLabs Pexels Pixabay 'Stable Diffusion'; do
	wait_prompt "Use $p.*: *\$" || break
	tm send-keys -t 0 Enter
done
wait_for 10 screen_has 'EXIT=' || diag "$(tm capture-pane -p -t 0)"
like "$(tm capture-pane -p -t 0)" 'EXIT=0' "the wizard runs to the end"
like "$(cat "$CFG" 2>/dev/null)" "data_dir = $T_TMP/data2" "Left then a typed character edits the answer in place"
like "$(cat "$CFG" 2>/dev/null)" "output_dir = $T_TMP/vids" "Ctrl-A then Delete edits the start of the answer"
unlike "$(cat "$CFG" 2>/dev/null)" '\^\[|\[D' "no escape sequence lands in the config"
[ -d "$T_TMP/vids" ] && ok "the output directory was created" || not_ok "the output directory was created"

# --- the wizard offers to restart a running server -------------------------------------
tm kill-server >/dev/null 2>&1
TM_SOCK="aura-setup$$.2"
start || { not_ok "a server starts"; done_testing; }
old=$(server_pid)
tm new-session -d -x 160 -y 50 \
	"env HOME='$HOME' XDG_CONFIG_HOME='$XDG_CONFIG_HOME' XDG_DATA_HOME='$XDG_DATA_HOME' XDG_RUNTIME_DIR='$XDG_RUNTIME_DIR' AURA_DATA_DIR='$AURA_DATA_DIR' TERM=xterm '$AURA_BIN' setup; echo \"EXIT=\$?\"; sleep 600"
wait_prompt 'Replace it\? \[y/N\]: *$' && tm send-keys -t 0 -l -- y && tm send-keys -t 0 Enter
wait_prompt 'Data directory.*: *$' && tm send-keys -t 0 Enter
wait_prompt 'finished videos.*: *$' && tm send-keys -t 0 Enter
for p in OpenAI ElevenLabs Pexels Pixabay 'Stable Diffusion'; do
	wait_prompt "Use $p.*: *\$" || break
	tm send-keys -t 0 Enter
done
wait_prompt 'Restart it now\? \[y/N\]: *$' &&
	ok "the wizard offers to restart the running server" ||
	not_ok "the wizard offers to restart the running server"
like "$(tm capture-pane -p -t 0)" "server \(pid $old\) is running and keeps the old configuration" \
	"...saying it keeps the old configuration"
tm send-keys -t 0 -l -- y
tm send-keys -t 0 Enter
wait_for 40 screen_has 'EXIT=' || diag "$(tm capture-pane -p -t 0)"
like "$(tm capture-pane -p -t 0)" 'Server restarted \(pid [0-9]+\)' "y restarts it"
new=$(server_pid)
[ -n "$new" ] && [ "$new" != "$old" ] && ok "a new server runs" || not_ok "a new server runs ($old -> $new)"

done_testing
