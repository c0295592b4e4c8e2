#!/bin/sh
# doctor.sh -- `aura doctor`: passes on a machine with a full FFmpeg; names
# the catalogue code and its hint when ffmpeg is missing (env, config or
# PATH), when a filter is missing, when the data directory is unusable;
# follows the ffmpeg/ffprobe search order; --json is valid and agrees.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v jq >/dev/null 2>&1 || skip_all "jq is not installed"
command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v ffprobe >/dev/null 2>&1 || skip_all "ffprobe is not installed"
FFMPEG=$(command -v ffmpeg)
FFPROBE=$(command -v ffprobe)

# The hint of a code, from the catalogue (not copied into this test).
hint_of() { "$AURA_BIN" explain "$1" | sed -n 's/^  hint: *//p'; }

# contains TEXT STRING DESC: a fixed string (hints hold regex characters).
contains() {
	if printf '%s' "$1" | grep -qF -- "$2"; then ok "$3"; else
		not_ok "$3"; diag "no '$2' in:"; diag "$(printf '%s' "$1" | head -20)"; fi
}

# jq_check JSON NAME FIELD: one field of one check.
jq_check() { printf '%s' "$1" | jq -r --arg n "$2" ".checks[] | select(.name == \$n) | .$3"; }

REQUIRED="config ffmpeg ffprobe filter:flite filter:drawtext filter:subtitles encoder:libx264 encoder:aac font data-dir"

# --- a healthy machine -------------------------------------------------------
run aura doctor
is "$RC" 0 "doctor passes on this machine"
like "$OUT" "^  ok    ffmpeg +$FFMPEG \\(ffmpeg version " "the ffmpeg line shows its path and version"
unlike "$OUT" 'Copyright' "the version is cut before the copyright"
like "$OUT" "  ok    ffprobe +$FFPROBE \\(ffprobe version " "the ffprobe line shows its path and version"
like "$OUT" '  ok    filter:flite ' "the flite filter is found"
like "$OUT" '  ok    encoder:libx264 ' "the libx264 encoder is found"
like "$OUT" '  ok    font +/.+\.(ttf|otf)' "a font file is found"
like "$OUT" "  ok    data-dir +$AURA_DATA_DIR" "the data directory is writable"
like "$OUT" '  (ok|warn)  +disk +[0-9.]+ GiB free' "free disk space is reported"
like "$OUT" '  info  server +no server running' "no server is an info line, not a failure"
like "$OUT" 'all required checks passed' "a summary line ends the report"
unlike "$OUT" 'FAIL' "no check fails"
ls "$AURA_DATA_DIR"/.doctor-* >/dev/null 2>&1 && not_ok "the write probe is removed" ||
	ok "the write probe is removed"

run aura doctor --json
is "$RC" 0 "doctor --json passes"
if printf '%s' "$OUT" | jq -e . >/dev/null 2>&1; then ok "--json is valid JSON"; else
	not_ok "--json is valid JSON"; diag "$OUT"; fi
is "$(printf '%s' "$OUT" | jq -r .ok)" true "--json says ok:true"
is "$(printf '%s' "$OUT" | jq -r '.checks | length')" "$(aura doctor | grep -c '^  [a-zA-Z]')" \
	"--json has as many checks as the human report"
for name in $REQUIRED; do
	is "$(jq_check "$OUT" "$name" status)/$(jq_check "$OUT" "$name" required)" "ok/true" \
		"--json: required check $name is ok"
done
is "$(printf '%s' "$OUT" | jq -r '[.checks[] | select(.status == "ok") | .code] | unique | .[]')" \
	null "an ok check has code null"
is "$(printf '%s' "$OUT" | jq -r '.checks[0] | keys | sort | join(",")')" \
	"blocked_by,code,detail,hint,message,name,required,status,value" "each check has the documented fields"

run aura doctor --bogus
is "$RC" 2 "an unknown option is a usage error"
run aura doctor extra
is "$RC" 2 "an extra argument is a usage error"

# --- ffmpeg missing -----------------------------------------------------------
HINT=$(hint_of FFMPEG_NOT_FOUND)
like "$HINT" 'apt-get install ffmpeg' "the catalogue's hint is read (sanity of this test)"
run env AURA_FFMPEG=/nonexistent "$AURA_BIN" doctor
is "$RC" 3 "AURA_FFMPEG=/nonexistent: exit 3"
like "$OUT" '  FAIL  ffmpeg +AURA_FFMPEG= /nonexistent is not an executable file' \
	"the failing line says why"
contains "$OUT" "FFMPEG_NOT_FOUND: ffmpeg was not found — $HINT" "the code, message and hint are shown"
is "$(printf '%s' "$OUT" | grep -c 'FFMPEG_NOT_FOUND:')" 1 "the hint is shown once, not per dependent check"
like "$OUT" '  skip  filter:flite +skipped: needs ffmpeg' "filters are skipped without ffmpeg"
like "$OUT" '  ok    font ' "the other checks still run"
like "$OUT" 'required checks? failed' "the summary counts failures"

run env AURA_FFMPEG=/nonexistent "$AURA_BIN" doctor --json
is "$RC" 3 "--json: exit 3 too"
printf '%s' "$OUT" | jq -e . >/dev/null 2>&1 && ok "--json output is valid JSON" || not_ok "--json output is valid JSON"
is "$(printf '%s' "$OUT" | jq -r .ok)" false "--json says ok:false"
is "$(jq_check "$OUT" ffmpeg code)" FFMPEG_NOT_FOUND "--json: ffmpeg check has the code"
is "$(jq_check "$OUT" ffmpeg hint)" "$HINT" "--json: ffmpeg check has the catalogue hint"
is "$(jq_check "$OUT" ffmpeg status)" fail "--json: ffmpeg check failed"

mkdir -p "$T_TMP/empty"
run env PATH="$T_TMP/empty" "$AURA_BIN" doctor
is "$RC" 3 "no ffmpeg in PATH: exit 3"
contains "$OUT" "FFMPEG_NOT_FOUND: ffmpeg was not found — $HINT" "no ffmpeg in PATH: FFMPEG_NOT_FOUND and hint"
contains "$OUT" "FFPROBE_NOT_FOUND: ffprobe was not found — $(hint_of FFPROBE_NOT_FOUND)" \
	"no ffprobe in PATH: FFPROBE_NOT_FOUND and hint"

# --- search order: PATH, beside ffmpeg, env before PATH ----------------------
mkdir -p "$T_TMP/pbin" "$T_TMP/side"
ln -s "$FFMPEG" "$T_TMP/pbin/ffmpeg"
ln -s "$FFPROBE" "$T_TMP/pbin/ffprobe"
run env PATH="$T_TMP/pbin" "$AURA_BIN" doctor --json
is "$RC" 0 "ffmpeg and ffprobe are found in PATH"
like "$(jq_check "$OUT" ffmpeg value)" "^$T_TMP/pbin/ffmpeg " "ffmpeg is the one in PATH"

ln -s "$FFMPEG" "$T_TMP/side/ffmpeg"
ln -s "$FFPROBE" "$T_TMP/side/ffprobe"
run env PATH="$T_TMP/pbin" AURA_FFMPEG="$T_TMP/side/ffmpeg" "$AURA_BIN" doctor --json
like "$(jq_check "$OUT" ffmpeg value)" "^$T_TMP/side/ffmpeg " "AURA_FFMPEG wins over PATH"
like "$(jq_check "$OUT" ffprobe value)" "^$T_TMP/side/ffprobe " "ffprobe beside ffmpeg wins over PATH"
run env PATH="$T_TMP/pbin" AURA_FFMPEG="$T_TMP/side/ffmpeg" AURA_FFPROBE="$T_TMP/pbin/ffprobe" \
	"$AURA_BIN" doctor --json
like "$(jq_check "$OUT" ffprobe value)" "^$T_TMP/pbin/ffprobe " "AURA_FFPROBE wins over beside-ffmpeg"

# --- the config file ----------------------------------------------------------
mkdir -p "$XDG_CONFIG_HOME/aura"
printf '[ffmpeg]\nffmpeg = /nonexistent\n' >"$XDG_CONFIG_HOME/aura/aura.ini"
run env AURA_FFMPEG="$FFMPEG" "$AURA_BIN" doctor
is "$RC" 3 "config ffmpeg = /nonexistent: exit 3, even with a good AURA_FFMPEG"
like "$OUT" '  FAIL  ffmpeg +\[ffmpeg\] ffmpeg = /nonexistent is not an executable file' \
	"the failing line names the config key"
contains "$OUT" "FFMPEG_NOT_FOUND: ffmpeg was not found — $HINT" "config: FFMPEG_NOT_FOUND and hint"

printf '[video]\nfont = /nonexistent.ttf\n' >"$XDG_CONFIG_HOME/aura/aura.ini"
run aura doctor
is "$RC" 3 "config font = /nonexistent.ttf: exit 3"
contains "$OUT" "FONT_NOT_FOUND: no usable font was found — $(hint_of FONT_NOT_FOUND)" \
	"a missing configured font is FONT_NOT_FOUND, no silent fallback"
rm -f "$XDG_CONFIG_HOME/aura/aura.ini"

# --- ffmpeg without flite -------------------------------------------------------
run env AURA_FFMPEG="$FIXTURES/ffmpeg-nofilters" "$AURA_BIN" doctor
is "$RC" 3 "an ffmpeg without flite: exit 3"
like "$OUT" '  FAIL  filter:flite +.*ffmpeg-nofilters has no flite filter' "the missing filter is named"
contains "$OUT" "FFMPEG_MISSING_FILTER: ffmpeg lacks a filter aura needs — $(hint_of FFMPEG_MISSING_FILTER)" \
	"FFMPEG_MISSING_FILTER with its hint"
like "$OUT" '  ok    filter:drawtext ' "filters it has pass"
like "$OUT" '\(ffmpeg version 0.0-fake-nofilters\)' "the fake's version line is shown"
run env AURA_FFMPEG="$FIXTURES/ffmpeg-nofilters" "$AURA_BIN" doctor --json
is "$(jq_check "$OUT" filter:flite code)" FFMPEG_MISSING_FILTER "--json: flite check has the code"
is "$(jq_check "$OUT" filter:subtitles status)" ok "--json: subtitles check is ok"
is "$(jq_check "$OUT" encoder:aac status)" ok "--json: encoders of the fake are found"

# --- the data directory --------------------------------------------------------
: >"$T_TMP/afile"
run aura --data-dir "$T_TMP/afile/data" doctor
is "$RC" 3 "a data dir below a regular file: exit 3"
like "$OUT" '  FAIL  data-dir ' "the data-dir check fails"
contains "$OUT" "DATA_DIR: the data directory cannot be created or written — $(hint_of DATA_DIR)" \
	"DATA_DIR with its hint"
like "$OUT" '  ok    ffmpeg ' "the FFmpeg checks still run"
run aura --data-dir "$T_TMP/afile/data" doctor --json
is "$(jq_check "$OUT" data-dir code)" DATA_DIR "--json: data-dir check has DATA_DIR"

if [ "$(id -u)" = 0 ]; then
	T_N=$((T_N + 1))
	echo "ok $T_N # SKIP read-only data dir: root ignores directory modes"
else
	mkdir -p "$T_TMP/ro"
	chmod 500 "$T_TMP/ro"
	run aura --data-dir "$T_TMP/ro/data" doctor
	is "$RC" 3 "a data dir inside a read-only directory: exit 3"
	like "$OUT" "DATA_DIR: the data directory cannot be created or written" "read-only: DATA_DIR"
	chmod 700 "$T_TMP/ro"
fi

done_testing
