#!/bin/sh
# install.sh -- `make install DESTDIR=... prefix=...` from the build tree
# puts in place: the binary, the systemd user unit with that prefix's
# bindir in ExecStart (no @bindir@ left), the bash, zsh and fish
# completions where those shells look, the manual pages, and every
# document the man page's SEE ALSO names, with LICENSE and NEWS, in the
# documentation directory; `make uninstall` takes every file back.
. "$AURA_SRCDIR/tests/cli/lib.sh"

[ -f "$AURA_BUILDDIR/Makefile" ] || skip_all "no Makefile in the build tree"
command -v make >/dev/null 2>&1 || skip_all "make is not installed"

DEST="$T_TMP/dest"
PREFIX=/opt/aura-test
# the test runs inside make check: its make flags are not ours
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$AURA_BUILDDIR" "$@" DESTDIR="$DEST" prefix="$PREFIX"; }

run mk install
is "$RC" 0 "make install DESTDIR=... prefix=$PREFIX exits 0"
[ "$RC" -eq 0 ] || diag "$ERR"
R="$DEST$PREFIX"
[ -x "$R/bin/aura" ] && ok "the binary is in bindir" || not_ok "the binary is in bindir"

UNIT="$R/lib/systemd/user/aura.service"
if [ -f "$UNIT" ]; then
	ok "the systemd user unit is in PREFIX/lib/systemd/user"
	is "$(grep '^ExecStart=' "$UNIT")" "ExecStart=$PREFIX/bin/aura serve" "its ExecStart is the installed bindir's aura"
	is "$(grep -c '@[a-z]*@' "$UNIT")" 0 "nothing is left unsubstituted"
else
	not_ok "the systemd user unit is in PREFIX/lib/systemd/user"
	not_ok "its ExecStart is the installed bindir's aura"
	not_ok "nothing is left unsubstituted"
fi

for f in bash-completion/completions/aura zsh/site-functions/_aura fish/vendor_completions.d/aura.fish; do
	cmp -s "$R/share/$f" "$AURA_SRCDIR/contrib/completions/$(basename "$f" | sed 's/^aura$/aura.bash/')" &&
		ok "completion installed: share/$f" || not_ok "completion installed: share/$f"
done
[ -f "$R/share/man/man1/aura.1" ] && [ -f "$R/share/man/man5/aura.ini.5" ] &&
	ok "the manual pages are installed" || not_ok "the manual pages are installed"

# every *.md the SEE ALSO section names, and README, LICENSE, NEWS
DOCS=$(sed -n '/^\.SH SEE ALSO/,/^\.SH /p' "$AURA_SRCDIR/doc/aura.1" | grep -oE '[A-Za-z.-]+\.md' | sort -u)
[ -n "$DOCS" ] && ok "SEE ALSO names documents" || not_ok "SEE ALSO names documents"
missing=""
for d in $DOCS LICENSE NEWS README.md; do
	[ -s "$R/share/doc/aura/$d" ] || missing="$missing $d"
done
is "$missing" "" "every document of SEE ALSO, LICENSE and NEWS are in docdir"

run mk uninstall
is "$RC" 0 "make uninstall exits 0"
is "$(find "$DEST" -type f | sed "s|^$DEST||")" "" "make uninstall leaves no file behind"

done_testing
