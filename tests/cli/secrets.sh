#!/bin/sh
# secrets.sh -- secrets and permissions end to end, against the real server
# and the loopback fake (tests/fakes/fake-provider.py): (a) a refused key
# that the service echoes back JSON-escaped ("\/", "\"", "\\") and
# URL-encoded is in none of aura.log, job.log, `aura logs`, `aura show
# --json`, aura.db or its WAL; (b) under umask 000, in a data directory
# made 0755 beforehand, aura.db, aura.db-wal and aura.db-shm are 0600 and
# no file aura wrote there is readable by group or others, and a store left
# 0644 by an earlier version is made 0600 when opened.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed"
command -v curl >/dev/null 2>&1 || skip_all "curl is not installed"
unset OPENAI_API_KEY ELEVENLABS_API_KEY PEXELS_API_KEY PIXABAY_API_KEY

# A key with every character JSON or a URL must escape, and pieces that
# look like nothing in particular (so only the configured-secret matching
# can catch them, not the key-like token rule).
KEY='Zq8XvWp/Kj4TnB"Lm9RcY\Hs2+Ud7Fg'
PIECES='Zq8XvWp|Kj4TnB|Lm9RcY|Ud7Fg'
export AURA_T_KEY="$KEY"
fake_provider "$KEY"
curl -s -XPOST -d '{"path":"/v1/chat/completions","fault":"echo400"}' "$BASE/_fault" >/dev/null

# (b)'s conditions hold from the start: every file below is made under them.
umask 000
chmod 0755 "$AURA_DATA_DIR"
WORK="$T_TMP/work"
mkdir -p "$WORK" "$XDG_CONFIG_HOME/aura"
cd "$WORK" || exit 1
cat >"$XDG_CONFIG_HOME/aura/aura.ini" <<EOF2
[providers]
script = openai
[openai]
base_url = $BASE/v1
api_key_env = AURA_T_KEY
EOF2
chmod 600 "$XDG_CONFIG_HOME/aura/aura.ini"

# --- (a) the echoed key ------------------------------------------------------------
run aura new "how bees make honey" -d 5 -p draft-480p -o "$WORK/v.mp4" --wait
ID=$(aura ls --json 2>/dev/null | jq -r '[.jobs[].id] | max')
is "$(aura show --json "$ID" 2>/dev/null | jq -r '[.job.warnings[]?.code] | join(" ")')" PROVIDER_BAD_RESPONSE \
	"the script writer's 400 is a PROVIDER_BAD_RESPONSE warning (the rule-based writer takes over)"
run curl -s "$BASE/_stats"
is "$(printf '%s' "$OUT" | jq -r '."/v1/chat/completions" // 0')" 1 "the fake answered the echo once"
SHOW=$(aura show --json "$ID" 2>&1)
like "$SHOW" 'Incorrect API key provided: \[REDACTED\]' "show --json: the echoed key is [REDACTED]"
unlike "$SHOW" "$PIECES" "show --json holds no piece of the key"
run aura logs "$ID"
unlike "$OUT$ERR" "$PIECES" "aura logs holds no piece of the key"
unlike "$(cat "$AURA_DATA_DIR/jobs/$ID/job.log")" "$PIECES" "job.log holds no piece of the key"
like "$(cat "$AURA_DATA_DIR/logs/aura.log")" 'Incorrect API key provided: \[REDACTED\]' "aura.log logs the refusal, redacted"
unlike "$(cat "$AURA_DATA_DIR"/logs/aura.log*)" "$PIECES" "aura.log holds no piece of the key"
# The raw bytes of the store, WAL included (the server still runs, so
# the WAL is there; its idle upkeep may already have checkpointed the
# frames into aura.db and truncated it, doc/store.md: either way every
# byte written is in one of the two files grepped).
test -e "$AURA_DATA_DIR/aura.db-wal" && ok "the WAL exists" || not_ok "the WAL exists"
if grep -qaE "$PIECES" "$AURA_DATA_DIR"/aura.db*; then
	not_ok "aura.db and its WAL hold no piece of the key"
	diag "$(grep -oaE ".{0,40}($PIECES).{0,20}" "$AURA_DATA_DIR"/aura.db* | head -5)"
else
	ok "aura.db and its WAL hold no piece of the key"
fi

# --- (b) modes under umask 000 -------------------------------------------------------
run aura submit --name perms -o "$WORK/p.mkv" -- -f lavfi -i "testsrc=s=64x48:r=5:d=1" -c:v mpeg4 "$WORK/p.mkv"
P=$OUT
run aura wait "$P"
is "$(aura show --json "$P" 2>/dev/null | jq -r .job.state)" succeeded "an FFmpeg job runs under umask 000"
for f in aura.db aura.db-wal aura.db-shm; do
	is "$(stat -c %a "$AURA_DATA_DIR/$f" 2>&1)" 600 "$f is 0600 under umask 000 in a 0755 data directory"
done
# Every directory is 0700, so nothing below is reachable by others; and
# every file aura writes itself is 0600. (What FFmpeg makes inside a job's
# subdirectories, voice/ and visuals/, keeps FFmpeg's mode behind them.)
OPEN=$(find "$AURA_DATA_DIR" -mindepth 1 -type d -perm /077 -printf '%m %P\n' 2>&1)
is "$OPEN" "" "no directory in the data directory is open to group or others"
OPEN=$(find "$AURA_DATA_DIR" -mindepth 1 ! -type d -perm /077 ! -path "$AURA_DATA_DIR/jobs/*/*/*" \
	-printf '%m %P\n' 2>&1)
is "$OPEN" "" "no file aura wrote in the data directory is open to group or others"

# A store an earlier version left 0644 (with its WAL and shm) is made 0600.
aura shutdown >/dev/null 2>&1
wait_for 20 sh -c "! test -e '$AURA_DATA_DIR/aura.pid'"
chmod 0644 "$AURA_DATA_DIR"/aura.db*
ls "$AURA_DATA_DIR"/aura.db* >/dev/null 2>&1
run aura ls --json
is "$RC" 0 "aura ls starts a server on the 0644 store"
wait_for 20 test -e "$AURA_DATA_DIR/aura.db-wal"
for f in aura.db aura.db-wal aura.db-shm; do
	is "$(stat -c %a "$AURA_DATA_DIR/$f" 2>&1)" 600 "$f left 0644 by an earlier version is 0600 after opening"
done

done_testing
