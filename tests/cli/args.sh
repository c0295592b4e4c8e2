#!/bin/sh
# args.sh -- the verbs' argument templates (src/cli/args.c): one parser
# words every usage error alike. Unknown options and missing values in
# getopt's words then the usage line, a wrong count of arguments as the
# usage line, a positional that is no job id as the catalogue's USAGE
# error; all exit 2, before anything is connected or created. No server is
# started here.
. "$AURA_SRCDIR/tests/cli/lib.sh"

USAGE_ERR="^aura: USAGE: invalid command line:"

# nothing here may start a server or make the data directory
D="$T_TMP/untouched"
av() { env AURA_DATA_DIR="$D" "$AURA_BIN" "$@"; }

# --- an unknown option ------------------------------------------------------
run av ls --bogus
is "$RC" 2 "ls --bogus exits 2"
like "$ERR" "^ls: unrecognized option '--bogus'" "...in getopt's words, naming the verb"
like "$ERR" "^usage: aura ls \[--state S\] \[--limit N\] \[--all\] \[--batch ID\|NAME\] \[--json\]$" "...then the usage line"
like "$ERR" "^Try 'aura help ls' for more information.$" "...and where to read more"

run av logs -x 1
is "$RC" 2 "logs -x 1 exits 2"
like "$ERR" "^logs: invalid option -- 'x'" "an unknown short option in getopt's words"

run av cancel --bogus 1
is "$RC" 2 "cancel --bogus 1 exits 2"
like "$ERR" "^usage: aura cancel \[--json\] ID\|RANGE\.\.\. \| --all \| --state S \| --batch ID\|NAME$" "...with cancel's usage line"

# submit's template adds a hint: FFmpeg's options go after --
run av submit -i in.mp4 out.mp4
is "$RC" 2 "submit with FFmpeg's options before -- exits 2"
like "$ERR" "$USAGE_ERR put FFmpeg's arguments after --" "...with the template's hint"
like "$ERR" "^usage: aura submit " "...and the usage line"

# --- a missing option value -------------------------------------------------
run av ls --state
is "$RC" 2 "ls --state (no value) exits 2"
like "$ERR" "^ls: option '--state' requires an argument" "...saying the value is missing"
like "$ERR" "^usage: aura ls " "...then the usage line"

run av new -d
is "$RC" 2 "new -d (no value) exits 2"
like "$ERR" "^new: option requires an argument -- 'd'" "...for a short option too"

# --- too many or too few arguments --------------------------------------------
run av show 1 2
is "$RC" 2 "show with two ids exits 2"
like "$ERR" "^usage: aura show \[--json\] ID$" "...with show's usage line"
unlike "$ERR" "USAGE:" "...and no catalogue error (a count, not a value)"

run av doctor extra
is "$RC" 2 "doctor with an argument exits 2"
like "$ERR" "^usage: aura doctor \[--json\]$" "...with doctor's usage line"

run av wait --json
is "$RC" 2 "wait without an id exits 2"
like "$ERR" "^usage: aura wait \[--json\] ID\.\.\. \| --batch ID\|NAME$" "...with wait's usage line"

run av logs
is "$RC" 2 "logs without an id exits 2"

# --- a job id that is none ----------------------------------------------------
for id in x 0 -- 1.5 '#x' 12abc; do
	run av show -- "$id"
	is "$RC" 2 "show '$id' exits 2"
	like "$ERR" "$USAGE_ERR '$id' is not a job id$" "...'$id' is not a job id"
done

run av cancel 1 notanid 3
is "$RC" 2 "cancel 1 notanid 3 exits 2 before trying any"
like "$ERR" "$USAGE_ERR 'notanid' is not a job id$" "...naming the bad one"

run av wait 4 '#5' '-6'
is "$RC" 2 "wait with -6 among the ids exits 2"
like "$ERR" "^wait: invalid option -- '6'" "...-6 is an option to getopt"

# --- "--" ends the options ----------------------------------------------------
run av rm -- --json
is "$RC" 2 "rm -- --json exits 2"
like "$ERR" "$USAGE_ERR '--json' is not a job id$" "...after --, --json is an argument"

run av explain -- DISK_FULL
is "$RC" 0 "explain -- DISK_FULL exits 0"
like "$OUT" "^DISK_FULL: " "...and explains the code"

run av explain -- --all
is "$RC" 2 "explain -- --all exits 2"
like "$ERR" "$USAGE_ERR unknown error code '--all'" "...after --, --all is a code"

# help takes no options: every word is a verb's name
run av help --json
is "$RC" 2 "help --json exits 2"
like "$ERR" "$USAGE_ERR unknown verb '--json'" "...help takes every word as a verb"

# --- an option's value is checked where it stands -------------------------------
run av ls --state bogus --foo
is "$RC" 2 "ls --state bogus --foo exits 2"
like "$ERR" "$USAGE_ERR unknown state 'bogus'" "...the first error in argv is named"
run av ls --foo --state bogus
like "$ERR" "^ls: unrecognized option '--foo'" "...whichever comes first"
run av ls --limit 0 extra
like "$ERR" "$USAGE_ERR --limit wants a positive number, not '0'" "...before the count"
run av submit --priority 1 --priority x -- -i in.mp4
is "$RC" 2 "submit with a bad second --priority exits 2"
like "$ERR" "$USAGE_ERR --priority wants a whole number, not 'x'" "...every value is checked"

# --- nothing was started or created -----------------------------------------------
[ ! -e "$D" ] && ok "no usage error made the data directory (or started a server)" ||
	{ not_ok "no usage error made the data directory (or started a server)"; diag "$(ls -la "$D")"; }

done_testing
