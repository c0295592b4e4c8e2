#!/bin/sh
# build-aux/layers.sh [SRCDIR] -- the layer check of `make lint` and of
# tests/cli/layers.sh: every #include "LAYER/x.h" in SRCDIR/LAYER2/*.[ch]
# must name a layer LAYER2 may include (doc/architecture.md). The arrows
# only go down; cli/ and tui/ never include each other. A known exception
# still to remove is listed in build-aux/layers.allow as "FILE HEADER";
# one that is no longer needed there is reported too, so the list shrinks.
# Prints each wrong arrow; exits 1 if there is one.
#   build-aux/layers.sh          the tree's own src/
#   build-aux/layers.sh DIR      another copy of it (the test plants arrows)
set -u
SRC=${1:-src}
HERE=$(cd "$(dirname "$0")" && pwd)
ALLOW="$HERE/layers.allow"

# What each layer may include, besides itself.
may() {
	case $1 in
	base) echo "" ;;
	os | ff | store) echo "base" ;;
	providers | client) echo "base os" ;;
	engine) echo "base os ff store" ;;
	video) echo "base os ff store engine providers" ;;
	doctor) echo "base os ff store providers client" ;;
	server) echo "base os ff store engine providers video client" ;;
	cli) echo "base os ff store engine providers video client server doctor" ;;
	tui) echo "base os ff store engine providers video client server doctor" ;;
	*) echo "?" ;;
	esac
}

bad=0
seen=""
for f in "$SRC"/*/*.c "$SRC"/*/*.h; do
	[ -f "$f" ] || continue
	rel=${f#"$SRC"/}
	layer=${rel%%/*}
	allowed=$(may "$layer")
	if [ "$allowed" = "?" ]; then
		echo "layers: $rel: $layer/ is not a known layer (build-aux/layers.sh)"
		bad=1
		continue
	fi
	for h in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([a-z]*\)\/\([^"]*\)".*/\1\/\2/p' "$f"); do
		to=${h%%/*}
		[ "$to" = "$layer" ] && continue
		case " $allowed " in *" $to "*) continue ;; esac
		if [ -f "$ALLOW" ] && grep -qx "$rel $h" "$ALLOW"; then
			seen="$seen|$rel $h"
			continue
		fi
		echo "layers: $rel includes $h: $layer/ may include only: ${allowed:-nothing of aura}"
		bad=1
	done
done
# The list is checked for stale lines when SRC is its own tree's src/.
if [ -f "$ALLOW" ] && [ "$(cd "$SRC/.." && pwd)" = "$(cd "$HERE/.." && pwd)" ]; then
	while read -r file hdr; do
		case $file in '' | \#*) continue ;; esac
		case "$seen|" in *"|$file $hdr|"*) ;; *)
			echo "layers: build-aux/layers.allow: '$file $hdr' is no longer needed: remove it"
			bad=1 ;;
		esac
	done <"$ALLOW"
fi
[ $bad -eq 0 ] && echo "layers: ok"
exit $bad
