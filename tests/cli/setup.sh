#!/bin/sh
# setup.sh -- `aura setup`: --non-interactive writes a config aura accepts,
# mode 0600, with api_key_env lines or an inline key read from stdin (never
# from argv), refuses to replace a config without --force, refuses to run
# the wizard off a terminal; the interactive wizard, driven through a pty,
# reads the key without echo, tests it live against the loopback fake
# provider, writes the file, and never prints the key.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
unset OPENAI_API_KEY ELEVENLABS_API_KEY PEXELS_API_KEY PIXABAY_API_KEY

KEY="sk-setup-secret-8675309"
fake_provider "$KEY"
CFG="$XDG_CONFIG_HOME/aura/aura.ini"
mode_of() { stat -c %a "$1"; }

# --- off a terminal the wizard refuses and says what to do ----------------------
run aura setup </dev/null
is "$RC" 2 "setup off a terminal without --non-interactive is a usage error"
like "$ERR" 'non-interactive' "and names --non-interactive"
like "$ERR" '^aura: USAGE: ' "...as the catalogue's USAGE error"
[ -e "$CFG" ] && not_ok "nothing written off a terminal" || ok "nothing written off a terminal"

# --- non-interactive: env-var key, tested live ----------------------------------------
export AURA_T_KEY="$KEY"
run aura setup --non-interactive --output-dir "$T_TMP/out" \
	--base-url "openai=$BASE/v1" --key-env openai=AURA_T_KEY \
	--base-url "pexels=$BASE" --key-env pexels=AURA_T_KEY
is "$RC" 0 "setup --non-interactive succeeds when the keys test ok"
like "$OUT" 'testing .* ok \([0-9]+ ms\)' "each provider is tested live"
is "$(mode_of "$CFG")" 600 "the config is written with mode 0600"
like "$(cat "$CFG")" 'api_key_env = AURA_T_KEY' "the key stays in the environment"
like "$(cat "$CFG")" 'script = openai, rulebased' "the script chain uses openai, then the offline writer"
like "$(cat "$CFG")" 'visuals = pexels, openai, generated' "the visuals chain ends with generated"
run aura -c "$CFG" doctor
like "$OUT" 'provider:openai' "aura accepts the written config (doctor reads it)"

# --- an existing config is kept unless --force -----------------------------------------
run aura setup --non-interactive --no-test --provider sdwebui
is "$RC" 2 "an existing config is not replaced without --force"
like "$ERR" 'force' "and the message says how"
like "$ERR" "^aura: CONFIG_EXISTS: .*: $CFG" "...as the catalogue's CONFIG_EXISTS, naming the file"

# --- inline key from stdin, a refused key ----------------------------------------------
printf '%s\n' "wrong-key-112358" >"$T_TMP/key"
run aura setup --non-interactive --force --base-url "openai=$BASE/v1" --key-stdin openai <"$T_TMP/key"
is "$RC" 1 "a key that fails its live test makes setup exit 1"
like "$OUT" 'PROVIDER_AUTH' "and names PROVIDER_AUTH"
like "$(cat "$CFG")" 'api_key = wrong-key-112358' "the stdin key is stored inline"
is "$(mode_of "$CFG")" 600 "a config holding a key is mode 0600"
case "$OUT$ERR" in *wrong-key-112358*) not_ok "setup never prints the key";; *) ok "setup never prints the key";; esac
run aura -c "$CFG" doctor
is "$(printf '%s' "$OUT" | grep -c 'CONFIG_INSECURE')" 0 "aura accepts the 0600 config holding a key"

# --- Ollama serves chat only: openai stays out of the voice and visuals chains ----------
run aura setup --non-interactive --force --no-test --base-url "openai=http://127.0.0.1:11434/v1" \
	--provider pexels --key-env pexels=AURA_T_KEY
is "$RC" 0 "setup with an Ollama base URL succeeds"
like "$(cat "$CFG")" 'script = openai, rulebased' "Ollama writes the scripts"
like "$(cat "$CFG")" 'voice = flite' "... but is not in the voice chain (it has no speech)"
like "$(cat "$CFG")" 'visuals = pexels, generated' "... nor in the visuals chain (it has no images)"

# --- the wizard on a terminal (a pty) -------------------------------------------------------
rm -f "$CFG"
cat >"$T_TMP/drive.py" <<'PY'
import os, pty, select, sys, time
aura, base, key, log = sys.argv[1:5]
pid, fd = pty.fork()
if pid == 0:
    os.execv(aura, [aura, "setup"])
out = b""
def expect(s, t=10):
    global out
    end = time.time() + t
    while s.encode() not in out:
        r, _, _ = select.select([fd], [], [], max(0, end - time.time()))
        if not r:
            raise SystemExit("timeout waiting for %r; got %r" % (s, out[-300:]))
        try:
            out += os.read(fd, 4096)
        except OSError:
            raise SystemExit("eof waiting for %r" % s)
def send(s):
    os.write(fd, (s + "\r").encode())
expect("Data directory"); send("")
expect("finished videos"); send("")
expect("Use OpenAI"); send("y")
expect("Base URL"); send(base + "/v1")
expect("environment variable"); send("n")
expect("typing is not shown"); send(key)
expect("ok ("); 
for name in ("ElevenLabs", "Pexels", "Pixabay", "Stable Diffusion"):
    expect("Use " + name); send("")
expect("Check everything")
while True:
    try:
        d = os.read(fd, 4096)
        if not d:
            break
        out += d
    except OSError:
        break
_, st = os.waitpid(pid, 0)
open(log, "wb").write(out)
sys.exit(os.waitstatus_to_exitcode(st))
PY
run python3 "$T_TMP/drive.py" "$AURA_BIN" "$BASE" "$KEY" "$T_TMP/pty.log"
is "$RC" 0 "the wizard runs to the end on a terminal"
[ "$RC" = 0 ] || diag "$ERR"
like "$(cat "$T_TMP/pty.log" 2>/dev/null)" 'testing .*ok \(' "the wizard tests the key live"
like "$(cat "$T_TMP/pty.log" 2>/dev/null)" 'key stored in the file' "the wizard says where the key went"
if grep -qF "$KEY" "$T_TMP/pty.log" 2>/dev/null; then not_ok "the key is not echoed on the terminal"; else ok "the key is not echoed on the terminal"; fi
is "$(mode_of "$CFG")" 600 "the wizard writes the config with mode 0600"
like "$(cat "$CFG")" "api_key = $KEY" "the wizard stores the typed key"
like "$(cat "$CFG")" 'voice = openai, flite' "the wizard builds the chains from the answers"

done_testing
