#!/bin/sh
# config.sh -- the config file through the real binary: where it is looked
# for (-c, AURA_CONFIG, XDG), errors that name file, line and key with exit
# status 3, the inline-key permission check, and that a key is never printed.
# `doctor` is the verb that loads the config; a config error stops it before
# any check runs, so these tests do not depend on the machine's health.
. "$AURA_SRCDIR/tests/cli/lib.sh"

CONF_DIR="$XDG_CONFIG_HOME/aura"
CONF="$CONF_DIR/aura.ini"
mkdir -p "$CONF_DIR"
SECRET="sk-test-DO-NOT-PRINT-7f3a9c21"

# put TEXT into FILE (mode 0600 unless given)
put() {
	printf '%b' "$2" >"$1"
	chmod "${3:-600}" "$1"
}

# --- no config at the default place is fine ---------------------------------
rm -f "$CONF"
run aura doctor
unlike "$ERR$OUT" 'CONFIG_' "an absent config at the default place is not an error"

# --- the default place is read ----------------------------------------------
put "$CONF" '[general]\nlog_keep = 3\n\n[server]\nmax_jobs = 0\n'
run aura doctor
is "$RC" 3 "a bad value exits 3"
like "$ERR" 'CONFIG_BAD_VALUE' "a bad value is CONFIG_BAD_VALUE"
like "$ERR" "$CONF:5: \\[server\\] max_jobs = 0: must be a whole number from 1 to 64" \
	"the error names file:line, [section] key, value and range"

put "$CONF" '[server]\nmax_jobs = 2\nmax_job = 4\n'
run aura doctor
is "$RC" 3 "an unknown key exits 3"
like "$ERR" 'CONFIG_UNKNOWN_KEY' "an unknown key is CONFIG_UNKNOWN_KEY"
like "$ERR" 'aura\.ini:3: unknown key \[server\] max_job \(did you mean max_jobs\?\)' \
	"the unknown key is named with its line and the closest known key"

put "$CONF" '[sever]\n'
run aura doctor
is "$RC" 3 "an unknown section exits 3"
like "$ERR" 'aura\.ini:1: unknown section \[sever\]' "the unknown section is named"

put "$CONF" '[video]\npreset = landscape-720p\nthis is not ini\n'
run aura doctor
is "$RC" 3 "a syntax error exits 3"
like "$ERR" 'CONFIG_SYNTAX.*aura\.ini:3:' "a syntax error names its line"

# --- secrets -------------------------------------------------------------------
put "$CONF" "[openai]\napi_key = $SECRET\n" 644
run aura doctor
is "$RC" 3 "an inline key in a 0644 file exits 3"
like "$ERR" 'CONFIG_INSECURE' "an inline key in a 0644 file is CONFIG_INSECURE"
like "$ERR" "mode 0644" "the message names the mode"
like "$ERR" "chmod 600" "the message says how to fix it"
unlike "$OUT$ERR" "$SECRET" "the refused key is not printed"

chmod 640 "$CONF"
run aura doctor
is "$RC" 3 "group-readable (0640) is refused too"

chmod 600 "$CONF"
run aura doctor
unlike "$ERR$OUT" 'CONFIG_' "the same file at 0600 is accepted"
unlike "$OUT$ERR" "$SECRET" "an accepted key is not printed either"
if [ -d "$AURA_DATA_DIR" ]; then
	if grep -rqF -- "$SECRET" "$AURA_DATA_DIR" 2>/dev/null; then
		not_ok "the key is in no file of the data directory"
	else
		ok "the key is in no file of the data directory"
	fi
fi

put "$CONF" "[openai]\napi_key_env = $SECRET\n"
run aura doctor
is "$RC" 3 "a key pasted into api_key_env exits 3"
like "$ERR" 'api_key_env = \*\*\*' "the pasted value shows as ***"
unlike "$OUT$ERR" "$SECRET" "a key pasted into api_key_env is not printed"

# --- -c and AURA_CONFIG ----------------------------------------------------------
rm -f "$CONF"
run aura -c "$T_TMP/missing.ini" doctor
is "$RC" 3 "-c with a missing file exits 3"
like "$ERR" "CONFIG_UNREADABLE.*$T_TMP/missing\\.ini: No such file" \
	"-c missing.ini is CONFIG_UNREADABLE naming the file"

(cd "$T_TMP" && "$AURA_BIN" -c missing.ini doctor >/dev/null 2>"$T_TMP/rel.err")
is "$?" 3 "-c with a relative missing file exits 3"
like "$(cat "$T_TMP/rel.err")" "$T_TMP/missing\\.ini" "a relative -c path is shown absolute"

put "$T_TMP/bad.ini" '[server]\n\nstall_timeout = 1\n'
put "$T_TMP/good.ini" '[server]\nstall_timeout = 5\n'
run env AURA_CONFIG="$T_TMP/bad.ini" "$AURA_BIN" doctor
is "$RC" 3 "AURA_CONFIG is read"
like "$ERR" "bad\\.ini:3: \\[server\\] stall_timeout = 1" "the AURA_CONFIG file is the one named"

run env AURA_CONFIG="$T_TMP/bad.ini" "$AURA_BIN" -c "$T_TMP/good.ini" doctor
unlike "$ERR$OUT" 'CONFIG_' "-c wins over AURA_CONFIG"

put "$CONF" '[server]\nstall_timeout = 1\n'
run env AURA_CONFIG="$T_TMP/good.ini" "$AURA_BIN" doctor
unlike "$ERR$OUT" 'CONFIG_' "AURA_CONFIG wins over the default place"

run env AURA_CONFIG="$T_TMP/nope.ini" "$AURA_BIN" doctor
is "$RC" 3 "a missing AURA_CONFIG file exits 3"
like "$ERR" 'CONFIG_UNREADABLE.*nope\.ini' "a missing AURA_CONFIG file is CONFIG_UNREADABLE"

# --- data_dir from the config, and what wins over it -------------------------
rm -f "$CONF"
put "$CONF" "[general]\ndata_dir = $T_TMP/from-config\n"
(unset AURA_DATA_DIR; "$AURA_BIN" doctor >/dev/null 2>&1)
if [ -d "$T_TMP/from-config/jobs" ]; then ok "data_dir in the config is used"; else
	not_ok "data_dir in the config is used"; fi
is "$(stat -c %a "$T_TMP/from-config")" 700 "a new data directory is created 0700"
rm -rf "$T_TMP/from-config" "$AURA_DATA_DIR"
run aura --data-dir "$T_TMP/from-cli" doctor
if [ -d "$T_TMP/from-cli/jobs" ] && [ ! -e "$AURA_DATA_DIR" ] && [ ! -e "$T_TMP/from-config" ]; then
	ok "--data-dir wins over AURA_DATA_DIR and the config"
else
	not_ok "--data-dir wins over AURA_DATA_DIR and the config"
fi

done_testing
