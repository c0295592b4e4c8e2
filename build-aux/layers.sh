#!/bin/sh
# build-aux/layers.sh [SRCDIR] -- the layer check of `make lint` and of
# tests/cli/layers.sh: every #include "LAYER/x.h" in SRCDIR/LAYER2/*.[ch]
# must name a layer LAYER2 may include (doc/architecture.md). The arrows
# only go down; cli/ and tui/ never include each other. A known exception
# still to remove is listed in build-aux/layers.allow as "FILE HEADER";
# one that is no longer needed there is reported too, so the list shrinks.
# Prints each wrong arrow; exits 1 if there is one. One awk over every
# file (a process per file made it take seconds).
#   build-aux/layers.sh          the tree's own src/
#   build-aux/layers.sh DIR      another copy of it (the test plants arrows)
set -u
SRC=${1:-src}
HERE=$(cd "$(dirname "$0")" && pwd)
ALLOW="$HERE/layers.allow"
[ -f "$ALLOW" ] || ALLOW=/dev/null
# The list is checked for stale lines when SRC is its own tree's src/.
own=0
[ "$(cd "$SRC/.." && pwd)" = "$(cd "$HERE/.." && pwd)" ] && own=1

# shellcheck disable=SC2046
set -- $(for f in "$SRC"/*/*.c "$SRC"/*/*.h; do [ -f "$f" ] && printf '%s\n' "$f"; done)
awk -v src="$SRC/" -v own="$own" '
BEGIN {
	# What each layer may include, besides itself.
	may["base"] = ""
	may["os"] = "base"; may["ff"] = "base"; may["store"] = "base"
	may["providers"] = "base os"; may["client"] = "base os"
	may["engine"] = "base os ff store"
	may["video"] = "base os ff store engine providers"
	may["doctor"] = "base os ff store providers client"
	may["server"] = "base os ff store engine providers video client"
	may["cli"] = "base os ff store engine providers video client server doctor"
	may["tui"] = "base os ff store engine providers video client server doctor"
}
FILENAME == ARGV[1] {	# the known exceptions
	if ($0 !~ /^[[:space:]]*(#|$)/) { allow[$1 " " $2] = 1; order[++nallow] = $1 " " $2 }
	next
}
FNR == 1 {
	rel = substr(FILENAME, length(src) + 1)
	layer = rel; sub(/\/.*/, "", layer)
	known = (layer in may)
	if (!known) {
		print "layers: " rel ": " layer "/ is not a known layer (build-aux/layers.sh)"
		bad = 1
	}
}
known && /^[[:space:]]*#[[:space:]]*include[[:space:]]*"[a-z]*\// {
	h = $0
	sub(/^[[:space:]]*#[[:space:]]*include[[:space:]]*"/, "", h)
	sub(/".*/, "", h)
	to = h; sub(/\/.*/, "", to)
	if (to == layer || index(" " may[layer] " ", " " to " "))
		next
	if ((rel " " h) in allow) { seen[rel " " h] = 1; next }
	print "layers: " rel " includes " h ": " layer "/ may include only: " \
		(may[layer] == "" ? "nothing of aura" : may[layer])
	bad = 1
}
END {
	for (i = 1; own && i <= nallow; i++)
		if (!(order[i] in seen)) {
			print "layers: build-aux/layers.allow: '\''" order[i] "'\'' is no longer needed: remove it"
			bad = 1
		}
	if (!bad) print "layers: ok"
	exit bad
}' "$ALLOW" "$@"
