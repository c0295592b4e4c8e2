#!/bin/sh
# setup-dirs.sh -- `aura setup` (issue 13): a missing output_dir is created
# (mode 0755) and one that cannot be made is refused with the catalogue's
# OUTPUT_UNWRITABLE naming output_dir; `new`'s hint for a missing
# output_dir names output_dir and aura.ini; --key-env with an unset
# variable warns once on stderr (its name, never a value); a running
# server is reported as keeping the old configuration, restarted only with
# --restart (its running jobs counted), and the transcript has no log
# lines and each error once.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v jq >/dev/null 2>&1 || skip_all "jq is not installed"
unset OPENAI_API_KEY ELEVENLABS_API_KEY PEXELS_API_KEY PIXABAY_API_KEY AURA_T_UNSET
CFG="$XDG_CONFIG_HOME/aura/aura.ini"

# --- output_dir ---------------------------------------------------------------------
run aura setup --non-interactive --no-test --output-dir "$T_TMP/videos/new/deep"
is "$RC" 0 "setup with a missing --output-dir succeeds"
[ -d "$T_TMP/videos/new/deep" ] && ok "the missing output_dir is created" ||
	not_ok "the missing output_dir is created"
is "$(stat -c %a "$T_TMP/videos/new/deep" 2>/dev/null)" 755 "...with mode 0755"

touch "$T_TMP/afile"
run aura setup --non-interactive --force --no-test --output-dir "$T_TMP/afile/sub"
is "$RC" 2 "an output_dir that cannot be created is refused"
like "$ERR" '^aura: OUTPUT_UNWRITABLE: .*output_dir' "...with OUTPUT_UNWRITABLE naming output_dir"
like "$(cat "$CFG")" "output_dir = $T_TMP/videos/new/deep" "...and the old config is kept"

# `new` with a config whose output_dir went away: the hint says where it is set
rmdir "$T_TMP/videos/new/deep"
run aura new "a topic"
like "$ERR" 'OUTPUT_UNWRITABLE' "new refuses a missing output_dir"
like "$ERR" 'hint: .*output_dir.*aura.ini' "...and its hint names output_dir in aura.ini"
aura shutdown >/dev/null 2>&1

# --- --key-env with an unset variable ----------------------------------------------------
run aura setup --non-interactive --force --no-test --key-env openai=AURA_T_UNSET
is "$RC" 0 "setup with an unset --key-env variable still writes the config"
is "$(printf '%s\n' "$ERR" | grep -c 'AURA_T_UNSET')" 1 "one warning names the unset variable"
like "$ERR" '^aura: warning: KEY_ENV_UNSET: ' "...as the catalogue's KEY_ENV_UNSET"
like "$ERR" 'AURA_T_UNSET is not set.*read from it when the server starts' \
	"...and says the key is read from it when the server starts"
export AURA_T_SET="sk-never-printed-4242"
run aura setup --non-interactive --force --no-test --key-env openai=AURA_T_SET
is "$ERR" "" "no warning when the variable is set"
case "$OUT$ERR" in *sk-never-printed*) not_ok "the key's value is never printed" ;;
*) ok "the key's value is never printed" ;; esac

# --- a running server keeps the old configuration ------------------------------------------
start || { not_ok "a server starts"; done_testing; }
old=$(server_pid)
run aura submit --name blocker -- -f lavfi -re -i "testsrc=size=64x48:rate=5" -f null -
JOB=$(printf '%s' "$OUT" | grep -o '[0-9][0-9]*' | head -1)
wait_for 20 is_state "$JOB" running || diag "the job did not start"
run aura setup --non-interactive --force --no-test --provider sdwebui --base-url "openai=http://127.0.0.1:9/v1"
is "$RC" 0 "setup with a running server and no --restart succeeds"
like "$OUT" 'server \(pid [0-9]+\) is running and keeps the old configuration' "it says the server keeps the old configuration"
like "$OUT" 'running 1 job' "...and how many jobs it runs"
like "$OUT" 'aura shutdown && aura serve --daemon' "...and how to restart it"
is "$(server_pid)" "$old" "without --restart the server is left alone"
is "$(state_of "$JOB")" running "...and so is its job"
unlike "$OUT$ERR" '(INFO|WARN|ERROR|DEBUG) \[[0-9]+\]' "no log line in the transcript"

# each error once: a provider that cannot be reached, tested live
run aura setup --non-interactive --force --provider openai --base-url "openai=http://127.0.0.1:9/v1"
is "$RC" 1 "a provider that fails its live test makes setup exit 1"
is "$(printf '%s\n' "$OUT$ERR" | grep -c 'PROVIDER_UNAVAILABLE')" 1 "the error is printed once"
unlike "$OUT$ERR" '(INFO|WARN|ERROR|DEBUG) \[[0-9]+\]' "no log line in the transcript"

run aura setup --non-interactive --force --no-test --restart --provider sdwebui
is "$RC" 0 "setup --restart succeeds"
like "$OUT" 'running 1 job' "it counts the running jobs before the restart"
like "$OUT" 'Server restarted \(pid [0-9]+\)' "it restarts the server"
new=$(server_pid)
[ -n "$new" ] && [ "$new" != "$old" ] && ok "a new server runs" || not_ok "a new server runs ($old -> $new)"
wait_for 20 is_state "$JOB" running && ok "the job was queued again and runs under the new server" ||
	not_ok "the job was queued again and runs under the new server ($(state_of "$JOB"))"
unlike "$OUT$ERR" '(INFO|WARN|ERROR|DEBUG) \[[0-9]+\]' "no log line in the transcript"
aura cancel "$JOB" >/dev/null 2>&1

done_testing
