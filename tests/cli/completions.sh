#!/bin/sh
# completions.sh -- the shell completions (contrib/completions) and the
# hidden `aura complete` verb they call: bash's _aura offers the verbs of
# `aura --help` (not the hidden one), each verb's options exactly as
# `aura help VERB` lists them, the states for --state (also --state=),
# presets for --preset, the pools of the config it is given (-c before the
# verb goes along), job ids from a running server for a verb of ids, and
# nothing -- no server started -- when none runs. zsh and fish: their
# scripts parse (zsh -n, fish -n); fish's completion is also run.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v bash >/dev/null 2>&1 || skip_all "bash is not installed"
COMPL="$AURA_SRCDIR/contrib/completions"

# comp WORD...: what bash offers for the last WORD ("" for a new word), one
# a line, as `aura WORD...` would be completed.
comp() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _aura
		printf "%s\n" "${COMPREPLY[@]}"' comp "$COMPL/aura.bash" "$AURA_BIN" "$@" | sort
}
lines() { printf '%s\n' "$@" | sort; }

# --- verbs and options: from the table, as `aura --help` shows them ---------------
VERBS=$(aura --help | awk '/^Verbs:/ { v = 1; next } v && /^  [a-z]/ { print $1 }' | sort)
is "$(comp "")" "$VERBS" "bash: a first word offers the verbs of aura --help"
unlike "$(aura --help)" "complete" "the complete verb is hidden from aura --help"
is "$(comp l)" "$(lines logs ls)" "bash: 'l' offers logs and ls"
is "$(comp help "")" "$VERBS" "bash: help offers the verbs"
opts=$(aura help ls | sed -n 's/^ *\(-[a-z], \)\{0,1\}\(--[a-z-]*\).*/\2/p' | sort -u)
is "$(comp ls --)" "$(lines $opts --help)" "bash: ls -- offers the options of aura help ls, and --help"
is "$(comp ls --st)" "--state" "bash: ls --st offers --state"
like "$(comp --)" "--data-dir" "bash: the global options before a verb"

# --- option values --------------------------------------------------------------------
STATES=$(lines queued running paused succeeded failed cancelled)
is "$(comp ls --state "")" "$STATES" "bash: ls --state offers the states"
is "$(comp ls --state = r)" "running" "bash: --state=r offers running"
like "$(comp new --preset "")" "landscape-720p" "bash: new --preset offers the presets"
is "$(comp ls --all "")" "" "bash: after an option without a value, ls takes no argument"
mkdir -p "$T_TMP/cfg"
printf '[pool gpu]\nmax_jobs = 1\n[pool farm]\nmax_jobs = 2\n' >"$T_TMP/cfg/pools.ini"
is "$(comp -c "$T_TMP/cfg/pools.ini" new --pool "")" "$(lines farm gpu local)" \
	"bash: --pool offers the pools of the config that -c names"
touch "$T_TMP/cfg/brief.txt"
is "$(cd "$T_TMP/cfg" && comp batch br)" "brief.txt" "bash: batch's FILE completes file names"

# --- no server: no job ids, and none started --------------------------------------
is "$(comp show "")" "" "bash: show with no server offers nothing"
run aura complete jobs
is "$RC:$OUT:$ERR" "0::" "aura complete jobs with no server: nothing, exit 0"
[ -e "$AURA_DATA_DIR/aura.pid" ] || [ -e "$XDG_RUNTIME_DIR/aura/aura.sock" ] &&
	not_ok "completing started no server" || ok "completing started no server"
printf '[no such section\n' >"$T_TMP/cfg/broken.ini"
run aura -c "$T_TMP/cfg/broken.ini" complete pools
is "$RC:$OUT:$ERR" "0::" "a broken config: no pools, no error on the prompt"

# --- job ids from a running server ------------------------------------------------
FAKE="$AURA_BUILDDIR/tests/fixtures/fake-ffmpeg"
if [ -x "$FAKE" ] && command -v jq >/dev/null 2>&1; then
	mkdir -p "$XDG_CONFIG_HOME/aura"
	printf '[ffmpeg]\nffmpeg = %s\n' "$FAKE" >"$XDG_CONFIG_HOME/aura/aura.ini"
	start || not_ok "the server starts"
	a=$(aura submit --name one -- -f lavfi -i testsrc -f null -)
	b=$(aura submit --name two -- -f lavfi -i testsrc -f null -)
	is "$(comp show "")" "$(lines "$a" "$b")" "bash: show offers the server's job ids"
	is "$(comp cancel "")" "$(lines "$a" "$b")" "bash: cancel offers them too"
	wait_for 30 terminal "$a" && wait_for 30 terminal "$b"
	is "$(aura complete jobs "$(state_of "$a")" | sort)" "$(lines "$a" "$b")" \
		"aura complete jobs STATE: the jobs in that state"
	stop
else
	ok "# SKIP fake-ffmpeg or jq missing"
	ok "# SKIP fake-ffmpeg or jq missing"
	ok "# SKIP fake-ffmpeg or jq missing"
fi

# --- zsh and fish ---------------------------------------------------------------------
if command -v zsh >/dev/null 2>&1; then
	run zsh -n "$COMPL/_aura"
	is "$RC:$ERR" "0:" "zsh: _aura parses"
else
	ok "# SKIP zsh is not installed"
fi
if command -v fish >/dev/null 2>&1; then
	run fish -n "$COMPL/aura.fish"
	is "$RC:$ERR" "0:" "fish: aura.fish parses"
	mkdir -p "$T_TMP/bin"
	ln -s "$AURA_BIN" "$T_TMP/bin/aura"
	got=$(PATH="$T_TMP/bin:$PATH" fish -N -c "source '$COMPL/aura.fish'; complete -C 'aura ls --st'" 2>&1 |
		cut -f1)
	is "$got" "--state" "fish: aura ls --st offers --state"
	got=$(PATH="$T_TMP/bin:$PATH" fish -N -c "source '$COMPL/aura.fish'; complete -C 'aura ls --state '" 2>&1 |
		cut -f1 | sort)
	is "$got" "$STATES" "fish: ls --state offers the states"
else
	ok "# SKIP fish is not installed"
	ok "# SKIP fish is not installed"
	ok "# SKIP fish is not installed"
fi

done_testing
