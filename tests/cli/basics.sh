#!/bin/sh
# basics.sh -- the CLI surface: help, version, usage errors, explain, and
# doc/errors.md generated from the catalogue (so the doc cannot drift).
. "$AURA_SRCDIR/tests/cli/lib.sh"

run aura --version
is "$RC" 0 "--version exits 0"
like "$OUT" '^aura [0-9]+\.[0-9]+\.[0-9]+$' "--version prints the version"

run aura --help
is "$RC" 0 "--help exits 0"
like "$OUT" 'usage: aura' "--help prints usage"
like "$OUT" 'explain' "--help lists the verbs"

run aura --no-such-flag
is "$RC" 2 "unknown global flag exits 2"
like "$ERR" 'usage: aura' "unknown flag prints a usage line"

run aura frobnicate
is "$RC" 2 "unknown verb exits 2"
like "$ERR" "unknown verb 'frobnicate'" "unknown verb is named"
# a usage error is the catalogue's: code, message, detail, then its hint
like "$ERR" "^aura: USAGE: invalid command line: unknown verb 'frobnicate'" \
	"unknown verb: printed by the catalogue"
like "$ERR" "^  hint: run \`aura help\`" "...with the catalogue's hint"

run aura show notanid
is "$RC" 2 "a job id that is none exits 2"
like "$ERR" "^aura: USAGE: invalid command line: 'notanid' is not a job id" \
	"...with the catalogue's USAGE error"

run aura new
is "$RC" 2 "new without a topic exits 2"
like "$ERR" "^aura: TOPIC_INVALID: .*: no topic was given" "...as the catalogue's TOPIC_INVALID"

run aura help explain
is "$RC" 0 "help VERB exits 0"
like "$OUT" 'usage: aura explain' "help VERB shows the verb's usage"

run aura help nosuchverb
is "$RC" 2 "help of an unknown verb exits 2"

run aura explain DISK_FULL
is "$RC" 0 "explain a code exits 0"
like "$OUT" '^DISK_FULL: no space left' "explain prints the message"
like "$OUT" 'hint: +free some disk space' "explain prints the hint"
like "$OUT" 'transient: yes' "explain prints transience"

run aura explain disk_full
is "$RC" 0 "explain is case-insensitive"

run aura explain NOPE
is "$RC" 2 "explain of an unknown code exits 2"
like "$ERR" "unknown error code 'NOPE'" "explain names the unknown code"

run aura explain --bogus
is "$RC" 2 "explain with a bad flag exits 2"

run aura explain --all --markdown
if [ "$OUT" = "$(cat "$AURA_SRCDIR/doc/errors.md")" ]; then
	ok "doc/errors.md matches the catalogue"
else
	not_ok "doc/errors.md matches the catalogue"
	diag "regenerate: ./aura explain --all --markdown > doc/errors.md"
fi

# a mistyped option of a verb leaves nothing behind: no data directory
for verb in serve ls submit; do
	D="$T_TMP/fresh-$verb"
	run env AURA_DATA_DIR="$D" "$AURA_BIN" "$verb" --no-such-option
	is "$RC" 2 "aura $verb --no-such-option exits 2"
	[ ! -e "$D" ] && ok "... and creates no data directory" ||
		{ not_ok "... and creates no data directory"; diag "$(ls -la "$D")"; }
done

done_testing
