#!/bin/sh
# tests/cli/layers.sh -- the layer check (build-aux/layers.sh, part of
# `make lint`): the tree passes; an include that points up a layer, a TUI
# file that includes the CLI, a file in an unknown folder, and a stale line
# in the list of known exceptions each fail it, naming the file. And one
# runtime (build-aux/oneplace.sh): a poll, fork, exec, sigaction or
# sigprocmask planted outside os/loop.c, os/proc*.c, os/sig.c fails it.
. "$AURA_SRCDIR/tests/cli/lib.sh"

CHECK="$AURA_SRCDIR/build-aux/layers.sh"
run sh "$CHECK" "$AURA_SRCDIR/src"
is "$RC" 0 "the tree's includes only point down (build-aux/layers.sh)"
[ "$RC" = 0 ] || diag "$OUT"

# a copy of the tree with one wrong line planted at a time; CHECK (the
# checker run on it) is the layer check here, the one-runtime check below
plant() { # DESC FILE LINE
	rm -rf "$T_TMP/src" && cp -r "$AURA_SRCDIR/src" "$T_TMP/src" || return 1
	mkdir -p "$(dirname "$T_TMP/src/$2")"
	printf '%s\n' "$3" >>"$T_TMP/src/$2"
	run sh "$CHECK" "$T_TMP/src"
	is "$RC" 1 "$1: the check fails"
	like "$OUT" "$2" "$1: it names the file"
}
plant "base includes the store" base/util.c '#include "store/store.h"'
plant "the store includes the engine" store/store.h '#include "engine/engine.h"'
plant "the engine includes the server" engine/engine.c '#include "server/server.h"'
plant "the client includes the store" client/proto.c '#include "store/store.h"'
plant "the TUI includes the CLI" tui/draw.c '#include "cli/jobs.h"'
plant "the CLI includes the TUI" cli/cmd-ls.c '#include "tui/ui.h"'
plant "a folder that is no layer" misc/x.c '#include "base/util.h"'

# an exception listed but no longer needed fails too, so the list shrinks
mkdir -p "$T_TMP/tree"
cp -r "$AURA_SRCDIR/src" "$AURA_SRCDIR/build-aux" "$T_TMP/tree/"
echo "base/util.c store/store.h" >>"$T_TMP/tree/build-aux/layers.allow"
run sh "$T_TMP/tree/build-aux/layers.sh" "$T_TMP/tree/src"
is "$RC" 1 "a stale exception fails the check"
like "$OUT" "'base/util.c store/store.h' is no longer needed" "... naming it"

# one runtime (build-aux/oneplace.sh, also in `make lint`): one place waits
# (os/loop.c), one forks (os/proc*.c), one sets signal dispositions
# (os/sig.c); a call planted anywhere else fails the check, naming it
ONE="$AURA_SRCDIR/build-aux/oneplace.sh"
run sh "$ONE" "$AURA_SRCDIR/src"
is "$RC" 0 "one poll, one fork, one signal module (build-aux/oneplace.sh)"
[ "$RC" = 0 ] || diag "$OUT"
CHECK=$ONE
plant "a second poll loop in the TUI" tui/tui.c 'static int f(void) { return poll(0, 0, 0); }'
plant "a fork in the doctor" doctor/doctor.c 'static int g(void) { return fork(); }'
plant "an exec in the client" client/client.c 'static int h(void) { return execv("x", 0); }'
plant "a handler set in the CLI" cli/cmd-ls.c 'static void k(void) { sigaction(2, 0, 0); }'
plant "a mask set in the engine" engine/engine.c 'static void m(void) { sigprocmask(0, 0, 0); }'
rm -rf "$T_TMP/src" && cp -r "$AURA_SRCDIR/src" "$T_TMP/src"
printf '%s\n' '/* poll() and fork() named in a comment */' 'int x; // sigaction() too' >>"$T_TMP/src/tui/tui.c"
run sh "$ONE" "$T_TMP/src"
is "$RC" 0 "a call named in a comment is no call"

done_testing
