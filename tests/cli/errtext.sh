#!/bin/sh
# tests/cli/errtext.sh -- every user-facing error comes from the catalogue
# (src/base/errors.def): build-aux/errtext.sh, part of `make lint`, passes on
# the tree and fails, naming the file, on a hand-written "aura: ..." message
# to stderr in each of its forms, and on a stale line in its list of
# exceptions.
. "$AURA_SRCDIR/tests/cli/lib.sh"

CHECK="$AURA_SRCDIR/build-aux/errtext.sh"
run sh "$CHECK" "$AURA_SRCDIR/src"
is "$RC" 0 "no error is written by hand outside the catalogue (build-aux/errtext.sh)"
[ "$RC" = 0 ] || diag "$OUT"

# a copy of the tree with one hand-written message planted at a time
plant() { # DESC FILE TEXT
	rm -rf "$T_TMP/src" && cp -r "$AURA_SRCDIR/src" "$T_TMP/src" || return 1
	printf '%s\n' "$3" >>"$T_TMP/src/$2"
	run sh "$CHECK" "$T_TMP/src"
	is "$RC" 1 "$1: the check fails"
	like "$OUT" "$2:[0-9]+: an error written by hand" "$1: it names the file and line"
}
plant "a usage error in a verb" cli/cmd-ls.c \
	'static void f(void) { fprintf(stderr, "aura: USAGE: no\n"); }'
plant "the text on the next line" cli/cmd-show.c \
	'static void f(void) { fprintf(stderr,
	"aura: %s\n", "no"); }'
plant "a verb's own prefix" cli/cmd-setup.c \
	'static void f(void) { fprintf(stderr, "aura setup: no\n"); }'
plant "fputs" main.c 'static void f(void) { fputs("aura: no\n", stderr); }'
plant "perror" tui/tui.c 'static void f(void) { perror("aura: open"); }'
plant "a lower layer" engine/engine.c 'static void f(void) { fprintf(stderr, "aura: no\n"); }'

# the catalogue's printer itself is no finding
rm -rf "$T_TMP/src" && cp -r "$AURA_SRCDIR/src" "$T_TMP/src"
printf '%s\n' 'static void f(void) { fprintf(stderr, "aura: %s\n", "x"); }' >>"$T_TMP/src/base/errors.c"
run sh "$CHECK" "$T_TMP/src"
is "$RC" 0 "the catalogue's printer (src/base/errors.c) may write it"

# an exception listed but no longer met fails too, so the list shrinks
mkdir -p "$T_TMP/tree/build-aux"
cp -r "$AURA_SRCDIR/src" "$T_TMP/tree/"
sed "s/^bad built-in default\$/bad built-in default\\
no such message any more/" "$CHECK" >"$T_TMP/tree/build-aux/errtext.sh"
run sh "$T_TMP/tree/build-aux/errtext.sh" "$T_TMP/tree/src"
is "$RC" 1 "a stale exception fails the check"
like "$OUT" "'no such message any more' is no longer needed" "... naming it"

done_testing
