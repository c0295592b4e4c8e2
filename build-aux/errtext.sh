#!/bin/sh
# build-aux/errtext.sh -- part of `make lint`: a user-facing error is written
# only by the catalogue (src/base/errors.def, printed by aura_error_print in
# src/base/errors.c). Fails, naming file:line, on a hand-written
# "aura: ..." or "aura VERB: ..." message to stderr anywhere else under the
# source directory: fprintf(stderr, "aura... (also with the text on the next
# line), fputs("aura..., perror("aura....
#
# The few exceptions are the last words of a process that cannot go on (out
# of memory, a contradiction in a built-in table, a failed exec in a child)
# and are listed below by their text. An exception no longer met fails the
# check too, so the list only shrinks.
#
# usage: sh build-aux/errtext.sh [SRCDIR]   (default: src next to this script)
src=${1:-$(dirname "$0")/../src}

# One a line: text that may follow the "aura" of a hand-written message.
ALLOW='out of memory allocating
out of memory in SQLite
bad built-in default
cannot encode the script as JSON'

hits=$(find "$src" -name '*.[ch]' ! -path '*/base/errors.c' | LC_ALL=C sort | while read -r f; do
	awk -v f="${f#"$src"/}" '
		/(fprintf|dprintf)\(stderr, *"aura[ :]|fputs\("aura[ :]|perror\("aura[ :]/ { print f ":" FNR ":" $0 }
		split_ && /^[ \t]*"aura[ :]/ { print f ":" FNR ":" $0 }
		{ split_ = /(fprintf|dprintf)\(stderr, *$/ }
	' "$f"
done)

status=0
printf '%s\n' "$hits" | while IFS= read -r h; do
	[ -n "$h" ] || continue
	allowed=0
	while IFS= read -r a; do
		case "$h" in *"$a"*) allowed=1 ;; esac
	done <<ALLOWED
$ALLOW
ALLOWED
	[ "$allowed" = 1 ] && continue
	printf 'errtext: %s: an error written by hand: %s\n' "${h%%:[!0-9]*}" \
		"$(printf '%s' "${h#*:*:}" | sed 's/^[[:space:]]*//')"
done | grep . && {
	echo "errtext: give each a code in src/base/errors.def and print it with" \
		"aura_error_print (cli_fail, cli_usage_error in the CLI)"
	status=1
}

# a listed exception that no longer occurs
while IFS= read -r a; do
	case "$hits" in
	*"$a"*) ;;
	*)
		echo "errtext: the exception '$a' is no longer needed: remove it from build-aux/errtext.sh"
		status=1
		;;
	esac
done <<ALLOWED
$ALLOW
ALLOWED

[ "$status" = 0 ] && echo "errtext: ok"
exit "$status"
