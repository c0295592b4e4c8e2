#!/bin/sh
# doctor-cause.sh -- `aura doctor` reports causes, not their echoes: a
# configuration that cannot be read is the failed "config" check while the
# rest runs on the defaults (text and --json, exit 3); one missing ffmpeg is
# one failure and the checks it blocks are "skipped" with blocked_by; a
# running server's view (its ffmpeg, whether aura.ini changed since it read
# it) is shown, and no server is an info line.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v jq >/dev/null 2>&1 || skip_all "jq is not installed"
command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v ffprobe >/dev/null 2>&1 || skip_all "ffprobe is not installed"
FFMPEG=$(command -v ffmpeg)
CONF="$XDG_CONFIG_HOME/aura/aura.ini"
mkdir -p "$XDG_CONFIG_HOME/aura"

hint_of() { "$AURA_BIN" explain "$1" | sed -n 's/^  hint: *//p'; }
jq_check() { printf '%s' "$1" | jq -r --arg n "$2" ".checks[] | select(.name == \$n) | .$3"; }
count() { printf '%s' "$1" | jq -r "[.checks[] | select($2)] | length"; }

# --- 1. a configuration that cannot be read ------------------------------------
printf '[server]\nmax_jobs = 2\nmax_job = 4\n' >"$CONF"
run aura doctor --json
is "$RC" 3 "an unknown key: exit 3 (the configuration's status)"
if printf '%s' "$OUT" | jq -e .checks >/dev/null 2>&1; then ok "--json prints a report"; else
	not_ok "--json prints a report"; diag "$OUT"; fi
is "$(jq_check "$OUT" config status)/$(jq_check "$OUT" config required)" fail/true \
	"--json: the config check fails and is required"
is "$(jq_check "$OUT" config code)" CONFIG_UNKNOWN_KEY "--json: it has the code"
is "$(jq_check "$OUT" config hint)" "$(hint_of CONFIG_UNKNOWN_KEY)" "--json: and the catalogue's hint"
like "$(jq_check "$OUT" config detail)" 'aura\.ini:3: unknown key \[server\] max_job' \
	"--json: the detail names file:line and the key"
like "$(jq_check "$OUT" config detail)" 'default configuration' "--json: it says the rest ran on the defaults"
is "$(jq_check "$OUT" ffmpeg status)" ok "--json: the other checks still ran"
is "$(jq_check "$OUT" providers status)/$(jq_check "$OUT" providers blocked_by)" skipped/config \
	"--json: what only shows the configuration is skipped, blocked by it"
is "$(printf '%s' "$OUT" | jq -r .ok)" false "--json: ok is false"

run aura doctor
is "$RC" 3 "text: exit 3 too"
like "$OUT" '^  FAIL  config +.*aura\.ini:3: unknown key \[server\] max_job' "text: the config line"
like "$OUT" 'CONFIG_UNKNOWN_KEY: the configuration file has an unknown section or key' \
	"text: the code and message on stdout"
like "$OUT" '  ok    ffmpeg ' "text: the FFmpeg checks ran"
like "$OUT" '1 required check failed' "text: one failure"
like "$ERR" 'CONFIG_UNKNOWN_KEY' "stderr still has the error, as for every verb"

printf '[server]\nmax_jobs = 0\n' >"$CONF"
run aura doctor --json
is "$RC/$(jq_check "$OUT" config code)" 3/CONFIG_BAD_VALUE "a bad value: exit 3 and CONFIG_BAD_VALUE in --json"

printf '[server]\nmax_jobs = 2\n' >"$CONF"
run aura doctor --json
is "$RC" 0 "a good configuration passes"
is "$(jq_check "$OUT" config status)/$(jq_check "$OUT" config value)" "ok/$CONF" \
	"the config check shows the file read"

# --- 2. one missing ffmpeg is one failure ------------------------------------------
for how in env conf; do
	if [ "$how" = env ]; then
		run env AURA_FFMPEG=/nonexistent "$AURA_BIN" doctor --json
	else
		printf '[ffmpeg]\nffmpeg = /nonexistent\n' >"$CONF"
		run aura doctor --json
	fi
	is "$RC" 3 "$how: a missing ffmpeg exits 3"
	is "$(count "$OUT" '.status == "fail" and .required')" 1 "$how: one required check fails"
	is "$(jq_check "$OUT" ffmpeg code)" FFMPEG_NOT_FOUND "$how: it is the ffmpeg check"
	is "$(count "$OUT" '.status == "skipped" and .blocked_by == "ffmpeg"')" 5 \
		"$how: the 5 filter/encoder checks are skipped, blocked_by ffmpeg"
	is "$(jq_check "$OUT" filter:flite code)" null "$how: a skipped check has no code of its own"
done
run aura doctor
like "$OUT" '  skip  encoder:aac +skipped: needs ffmpeg' "text: a blocked check says what it needs"
like "$OUT" 'aura doctor: 1 required check failed, 5 skipped' "text: the summary counts one failure"
rm -f "$CONF"

# --- 3. the server's view ----------------------------------------------------------
run aura doctor --json
is "$(jq_check "$OUT" server status)/$(jq_check "$OUT" server value)" "info/no server running" \
	"no server: an info line"
is "$(count "$OUT" '.name | startswith("server:")')" 0 "no server: no server view"

printf '[server]\nmax_jobs = 2\n' >"$CONF"
touch -d '-1 hour' "$CONF"
mkdir -p "$T_TMP/side"
ln -s "$FFMPEG" "$T_TMP/side/ffmpeg"
(export AURA_FFMPEG="$T_TMP/side/ffmpeg"; start) || not_ok "the server starts"
run aura doctor --json
is "$RC" 0 "a running server: doctor passes"
like "$(jq_check "$OUT" server value)" '^running \(.*\), pid [0-9]+' "the server check names its pid"
like "$(jq_check "$OUT" server:ffmpeg value)" "^$T_TMP/side/ffmpeg \\(ffmpeg version .*\\); this shell finds $FFMPEG\$" \
	"server:ffmpeg: the server's own ffmpeg and version, and that this shell finds another"
is "$(jq_check "$OUT" server:config status)" ok "server:config: unchanged"
like "$(jq_check "$OUT" server:config value)" "^$CONF, read at [0-9:]+, unchanged since" \
	"server:config names the file and when it was read"

touch -d '+1 hour' "$CONF"
run aura doctor --json
is "$RC" 0 "a changed configuration is a warning, not a failure"
is "$(jq_check "$OUT" server:config status)/$(jq_check "$OUT" server:config code)" warn/CONFIG_CHANGED \
	"server:config: CONFIG_CHANGED when aura.ini changed since the server read it"
like "$(jq_check "$OUT" server:config detail)" \
	"^the server runs with the configuration of [0-9:]+; $CONF changed since .* restart it\$" \
	"server:config: says when, and to restart it"
run aura doctor
like "$OUT" '  warn  server:config +the server runs with the configuration of' "text: the warning line"
if printf '%s' "$OUT" | grep -qF "CONFIG_CHANGED: the server runs with an older configuration — $(hint_of CONFIG_CHANGED)"; then
	ok "text: its code and hint"; else not_ok "text: its code and hint"; diag "$OUT"; fi
stop

done_testing
