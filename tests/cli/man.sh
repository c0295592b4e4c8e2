#!/bin/sh
# man.sh -- the manual pages cannot drift from the binary: every verb that
# `aura --help` lists has its subsection in doc/aura.1 with every option of
# `aura help VERB`, and its row in doc/cli.md's table of every verb's
# options with each of them too; every global option is there; every catalogue code is
# listed under its exit status; every key of aura.ini.example is in
# doc/aura.ini.5, in its section, with the example's default; and both pages
# format without a groff warning.
. "$AURA_SRCDIR/tests/cli/lib.sh"

MAN1="$AURA_SRCDIR/doc/aura.1"
MAN5="$AURA_SRCDIR/doc/aura.ini.5"
[ -r "$MAN1" ] && ok "doc/aura.1 exists" || not_ok "doc/aura.1 exists"
[ -r "$MAN5" ] && ok "doc/aura.ini.5 exists" || not_ok "doc/aura.ini.5 exists"

# roff source as plain text: \- is -, font changes and quotes dropped.
plain() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\(dq/"/g' "$@"; }

# Lines of the man page between `.SS "aura VERB` and the next .SS or .SH.
verb_section() {
	plain "$MAN1" | awk -v v="$1" '
		/^\.S[SH] / { inside = ($0 ~ "^\\.SS \"?aura " v "( |\"|$)") }
		inside'
}

# The options of a help text: the leading "-x, --long" of each option line.
help_options() {
	sed -n 's/^ *\(-[a-zA-Z-][a-zA-Z-]*\(, --[a-z-]*\)\{0,1\}\).*/\1/p' |
		tr ',' '\n' | tr -d ' ' | grep -E '^-' | sort -u
}

# --- verbs ---------------------------------------------------------------------
run aura --help
VERBS=$(printf '%s\n' "$OUT" | awk '/^Verbs:/ { v = 1; next } v && /^  [a-z]/ { print $1 }')
[ -n "$VERBS" ] && ok "aura --help lists verbs" || not_ok "aura --help lists verbs"
for v in $VERBS; do
	sec=$(verb_section "$v")
	if [ -z "$sec" ]; then
		not_ok "aura.1 has a subsection for 'aura $v'"
		continue
	fi
	missing=""
	for o in $(aura help "$v" 2>&1 | help_options); do
		printf '%s\n' "$sec" | grep -qE -- "(^|[^a-z-])$o([^a-z-]|$)" || missing="$missing $o"
	done
	is "$missing" "" "aura.1 documents 'aura $v' and each of its options"
	row=$(grep -E "^\| \`aura $v\` \|" "$AURA_SRCDIR/doc/cli.md")
	if [ -z "$row" ]; then
		not_ok "cli.md's table of options has a row for 'aura $v'"
		continue
	fi
	missing=""
	for o in $(aura help "$v" 2>&1 | help_options); do
		printf '%s\n' "$row" | grep -qE -- "(^|[^a-z-])$o([^a-z-]|$)" || missing="$missing $o"
	done
	is "$missing" "" "cli.md's table of options names each option of 'aura $v'"
done

missing=""
for o in $(printf '%s\n' "$OUT" | sed -n '/^Global options:/,/^$/p' | help_options); do
	plain "$MAN1" | sed -n '/^\.SH GLOBAL OPTIONS/,/^\.SH VERBS/p' |
		grep -qE -- "(^|[^a-z-])$o([^a-z-]|$)" || missing="$missing $o"
done
is "$missing" "" "aura.1 documents every global option of aura --help"

# --- exit statuses: each catalogue code under its status -------------------------
CODES=$(sed -n 's/^AURA_ERROR(\([A-Z_0-9]*\), *\([0-9]*\),.*/\1 \2/p' "$AURA_SRCDIR/src/base/errors.def")
[ -n "$CODES" ] && ok "errors.def parsed" || not_ok "errors.def parsed"
wrong=""
while read -r code status; do
	[ -n "$code" ] || continue
	plain "$MAN1" | awk -v s="$status" '
		/^\.SH EXIT STATUS/ { on = 1; next } /^\.SH / { on = 0 }
		on && /^\.TP/ { tp = 1; next }
		on && tp { cur = ($0 == ".B " s); tp = 0; next }
		on && cur' | grep -qw -- "$code" || wrong="$wrong $code($status)"
done <<EOF
$CODES
EOF
is "$wrong" "" "aura.1 lists every error code under its exit status"

# --- aura.ini.5: every key of the example, in its section, with its default -----
# "section key value" for each key = value of the example.
KEYS=$(awk '
	/^[ \t]*[;#]/ || /^[ \t]*$/ { next }
	/^\[/ { gsub(/[][ \t]/, ""); sec = $0; next }
	{ k = $0; sub(/[ \t]*=.*/, "", k); v = $0
	  if (v ~ /=/) { sub(/^[^=]*=[ \t]*/, "", v) } else v = ""
	  sub(/[ \t]+;.*/, "", v); sub(/[ \t]+$/, "", v)
	  print sec, k, v }' "$AURA_SRCDIR/aura.ini.example")
SECTIONS=$(printf '%s\n' "$KEYS" | awk '{ print $1 }' | uniq)
[ "$(printf '%s\n' "$KEYS" | wc -l)" -gt 40 ] && ok "aura.ini.example parsed" ||
	not_ok "aura.ini.example parsed"
for s in $SECTIONS; do
	bad=""
	# the man page's entries of [s]: "key default" per .TP/.B key/Default: line
	got=$(plain "$MAN5" | awk -v s="$s" '
		/^\.S[SH] / { on = ($0 == ".SS [" s "]"); next }
		on && /^\.B / && prev ~ /^\.TP/ { key = substr($0, 4) }
		on && key != "" && /^Default: / {
			d = substr($0, 10); sub(/\.$/, "", d); if (d == "empty") d = ""
			print key, d; key = "" }
		{ prev = $0 }')
	for kv in $(printf '%s\n' "$KEYS" | awk -v s="$s" '$1 == s { print $2 "=" $3 }'); do
		k=${kv%%=*}
		want="$k ${kv#*=}"
		printf '%s\n' "$got" | grep -qxF -- "$(printf '%s' "$want" | sed 's/ $//')" ||
			printf '%s\n' "$got" | grep -qxF -- "$want" || bad="$bad $k"
	done
	is "$bad" "" "aura.ini.5 documents every key of [$s] with its default"
done

# --- the TUI's keys: every action of the key table (src/tui/ui.h, the same
# list as the UI's ? screen) has its line in aura.1's TUI KEYS ------------------
TUIKEYS=$(awk '/^\.SH TUI KEYS/ { on = 1; next } /^\.SH / { on = 0 } on' "$MAN1")
bad=""
for text in $(sed -n 's/^[[:space:]]*X([A-Z_]*, "[^"]*", "\([^"]*\)".*/\1/p' \
	"$AURA_SRCDIR/src/tui/ui.h" | cut -c1-12 | tr ' ' '_'); do
	printf '%s\n' "$TUIKEYS" | tr ' ' '_' | grep -qiF -- "$text" || bad="$bad $text"
done
is "$bad" "" "aura.1's TUI KEYS lists every action of the TUI's key table"

# --- formatting --------------------------------------------------------------------
if command -v groff >/dev/null 2>&1; then
	for m in "$MAN1" "$MAN5"; do
		run groff -man -ww -z "$m"
		is "$RC:$ERR" "0:" "$(basename "$m") formats without a groff warning"
	done
else
	ok "# SKIP groff is not installed"
	ok "# SKIP groff is not installed"
fi

done_testing
