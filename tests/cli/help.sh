#!/bin/sh
# help.sh -- every verb answers -h and --help from its one table entry
# (struct cmd_entry: usage, summary, help): exit 0, its usage line first,
# the same text as `aura help VERB`, without reading the config (a broken
# one hides no help) and without starting a server; --help after a wrong
# option is still that option's usage error; a "--help" among submit's
# FFmpeg arguments is FFmpeg's. And `aura logs --json` (the man page
# promises --json on every data verb): JSON Lines, one {"job", "line"} a
# line of job.log. (man.sh checks each option of the table is in doc/aura.1
# and doc/cli.md.)
. "$AURA_SRCDIR/tests/cli/lib.sh"

run aura --help
VERBS=$(printf '%s\n' "$OUT" | awk '/^Verbs:/ { v = 1; next } v && /^  [a-z]/ { print $1 }')
[ "$(printf '%s\n' "$VERBS" | wc -l)" -ge 15 ] && ok "aura --help lists the verbs" ||
	not_ok "aura --help lists the verbs"

# A config that cannot be read: --help must not need it.
mkdir -p "$XDG_CONFIG_HOME/aura"
printf '[no such section\n' >"$XDG_CONFIG_HOME/aura/aura.ini"
for v in $VERBS; do
	run aura help "$v"
	want=$OUT
	is "$RC" 0 "aura help $v exits 0"
	like "$(printf '%s\n' "$want" | head -n 1)" "^usage: aura $v " "aura help $v starts with its usage line"
	for h in --help -h; do
		run aura "$v" "$h"
		is "$RC:$ERR" "0:" "aura $v $h exits 0, nothing on stderr"
		is "$OUT" "$want" "aura $v $h prints what aura help $v prints"
	done
done
run aura ls --state running --help
is "$RC:$(printf '%s\n' "$OUT" | head -n 1)" "0:$(aura help ls | head -n 1)" \
	"--help after another option still shows the help"
rm "$XDG_CONFIG_HOME/aura/aura.ini"
[ -e "$AURA_DATA_DIR/aura.pid" ] && not_ok "no --help started a server" || ok "no --help started a server"

run aura ls --bogus --help
is "$RC" 2 "--help after a wrong option: that option's usage error (exit 2)"
like "$ERR" "unrecognized option '--bogus'" "... naming the option"

# --- aura logs --json ------------------------------------------------------------
command -v jq >/dev/null 2>&1 || { done_testing; exit; }
FAKE="$AURA_BUILDDIR/tests/fixtures/fake-ffmpeg"
if [ ! -x "$FAKE" ]; then
	ok "# SKIP tests/fixtures/fake-ffmpeg is not built"
	done_testing
	exit
fi
cat >"$XDG_CONFIG_HOME/aura/aura.ini" <<EOF2
[ffmpeg]
ffmpeg = $FAKE
[server]
max_attempts = 1
EOF2
WORK="$T_TMP/work"
mkdir -p "$WORK"
cd "$WORK" || exit 1
# A line with a quote, a backslash and a tab, and one "--help": FFmpeg's.
id=$(aura submit --name logs -- --stderr "say \"hi\" \\ 	tab --help" --stderr-lines 3 -f lavfi -i testsrc -f null -)
like "$id" '^[0-9]+$' "a job is submitted (its --help is FFmpeg's argument)"
wait_for 30 terminal "$id"
is $? 0 "the job ends"
LOG="$AURA_DATA_DIR/jobs/$id/job.log"
run aura logs --json "$id"
is "$RC" 0 "aura logs --json exits 0"
is "$(printf '%s\n' "$OUT" | jq -c 'select(.job != '"$id"' or (.line | type) != "string")' | wc -l)" 0 \
	"every line is {\"job\": $id, \"line\": TEXT}"
is "$(printf '%s\n' "$OUT" | wc -l)" "$(wc -l <"$LOG")" "one object a line of job.log"
printf '%s\n' "$OUT" | jq -j '.line + "\n"' >"$T_TMP/lines"
cmp -s "$T_TMP/lines" "$LOG" && ok "the lines are job.log byte for byte" ||
	not_ok "the lines are job.log byte for byte"
run aura logs -f --json "$id"
is "$RC:$(printf '%s\n' "$OUT" | wc -l)" "0:$(wc -l <"$LOG")" "logs -f --json of an ended job: the same lines, exit 0"
run aura logs --json 999
is "$RC:$OUT" "2:" "logs --json of an unknown id: exit 2, nothing on stdout"

done_testing
