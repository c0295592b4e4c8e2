#!/bin/bash
# tests/remote/ssh.sh -- remote clients over ssh (doc/remote.md), against a
# private sshd on 127.0.0.1 started here with its own host key, user key,
# authorized_keys and config. The client reaches it through a Host alias
# of its own ssh_config (AURA_SSH_COMMAND="ssh -F ..."), the remote aura
# is this build (AURA_REMOTE_COMMAND), the remote data directory comes
# from the URL. Covered: a bad URL, an unreachable port (ssh's own words),
# verbs refused with --host, submit/ls/show/wait/logs through ssh with
# the remote server started by dial-stdio, the connection killed under
# `logs -f` and under the TUI (which reconnects and shows the job
# finishing; the job is not stopped), the paths of new and batch (the
# server's: a relative one refused, a missing one looked up there, a
# script read there into the stored spec), and nothing left running.
# If sshd cannot start the test fails and says why: it never skips.
. "$AURA_SRCDIR/tests/cli/lib.sh"
command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is needed"

S="$T_TMP/ssh"
mkdir -p "$S"
chmod 700 "$S"
SSHD_PID=
TM_SOCK="aurassh$$"
tm() { tmux -L "$TM_SOCK" -f /dev/null "$@"; }
ssh_cleanup() {
	tm kill-server >/dev/null 2>&1
	[ -n "$SSHD_PID" ] && kill "$SSHD_PID" 2>/dev/null
	# session children of our sshd, ssh clients of this test: all name $S
	for p in $(pgrep -f -- "$S" 2>/dev/null); do kill "$p" 2>/dev/null; done
	t_cleanup
}
trap ssh_cleanup EXIT

port_free() { # a port nothing listens on
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

# --- the private sshd ----------------------------------------------------
PORT=$(port_free)
ssh-keygen -q -t ed25519 -N '' -f "$S/host_key" </dev/null
ssh-keygen -q -t ed25519 -N '' -f "$S/user_key" </dev/null
cp "$S/user_key.pub" "$S/authorized_keys"
cat >"$S/sshd_config" <<CONF
Port $PORT
ListenAddress 127.0.0.1
HostKey $S/host_key
PidFile $S/sshd.pid
AuthorizedKeysFile $S/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
AllowTcpForwarding no
X11Forwarding no
PrintMotd no
CONF
[ -d /run/sshd ] || mkdir -p -m 0755 /run/sshd 2>/dev/null
/usr/sbin/sshd -D -e -f "$S/sshd_config" 2>"$S/sshd.log" &
SSHD_PID=$!
if wait_for 10 listening; then ok "a private sshd listens on 127.0.0.1:$PORT"; else
	not_ok "a private sshd listens on 127.0.0.1:$PORT"
	diag "$(cat "$S/sshd.log")"
	done_testing
	exit 1
fi

cat >"$S/ssh_config" <<CONF
Host auratest
	HostName 127.0.0.1
	Port $PORT
	User $(id -un)
	IdentityFile $S/user_key
	IdentitiesOnly yes
	UserKnownHostsFile $S/known_hosts
	StrictHostKeyChecking accept-new
	BatchMode yes
	ConnectTimeout 5
CONF
export AURA_SSH_COMMAND="ssh -F $S/ssh_config"
# the remote side's environment is sshd's, not ours: give it this sandbox
export AURA_REMOTE_COMMAND="env HOME=$HOME XDG_CONFIG_HOME=$XDG_CONFIG_HOME XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR PATH=$PATH $AURA_BIN"
H="ssh://auratest$AURA_DATA_DIR"
# the client's own data directory stays empty: a verb that fell back to a
# local server would start one there and find none of the jobs
NOLOCAL="$T_TMP/nolocal"
R() { "$AURA_BIN" --data-dir "$NOLOCAL" --host "$H" "$@"; }

# --- refusals ------------------------------------------------------------------
run "$AURA_BIN" --host "tcp://auratest" ls
is "$RC" 2 "a URL that is not ssh:// exits 2"
like "$ERR" "HOST_INVALID" "it says HOST_INVALID"
like "$ERR" "ssh://\[USER@\]HOST\[:PORT\]\[/DATA_DIR\]" "its hint shows the form"
run "$AURA_BIN" --host "ssh://auratest:99999" ls
like "$ERR" "HOST_INVALID.*port" "a port out of range is refused"
run "$AURA_BIN" --host "$H" serve
is "$RC" 2 "serve with --host exits 2"
like "$ERR" "REMOTE_UNSUPPORTED.*aura serve" "serve with --host is refused, naming the verb"
run "$AURA_BIN" --host "$H" doctor
like "$ERR" "REMOTE_UNSUPPORTED.*aura doctor" "doctor with --host is refused"

DEAD=$(port_free)
run "$AURA_BIN" --host "ssh://127.0.0.1:$DEAD$AURA_DATA_DIR" ls
is "$RC" 4 "an unreachable port exits 4"
like "$ERR" "SERVER_UNREACHABLE.*ssh 127.0.0.1: .*(refused|Connection)" "SERVER_UNREACHABLE carries ssh's own message"
[ ! -e "$AURA_DATA_DIR/aura.pid" ] && ok "no server was started on a failed connect" || not_ok "no server was started on a failed connect"

diag "$(date +%T) verbs"
# --- verbs through ssh ------------------------------------------------------
run R ls
is "$RC" 0 "ls through ssh (dial-stdio starts the remote server)"
like "$(server_pid)" "^[0-9]+$" "the server runs in the URL's data directory"
run R submit --name remote1 -- -v error -f lavfi -i testsrc=d=0.5:s=64x64 -f null /dev/null
is "$RC" 0 "submit through ssh"
ID=$(printf '%s' "$OUT" | grep -oE '[0-9]+' | head -1)
run R wait "$ID"
is "$RC" 0 "wait through ssh"
run R show --json "$ID"
is "$(printf '%s' "$OUT" | jq -r .job.state)" succeeded "show through ssh: the job succeeded"
run R ls
like "$OUT" "remote1 .*succeeded" "ls through ssh lists it"
run R logs "$ID"
like "$OUT" "job succeeded" "logs through ssh"

diag "$(date +%T) paths"
# --- new and batch: the paths are the server's ------------------------------------
# Both sides are this machine: the server's files are under $SRV, and this
# shell's directory holds a local.txt the server is never asked about.
SRV="$T_TMP/srv"
mkdir -p "$SRV/out" "$T_TMP/here"
printf '# Server side story\n\nA paragraph read by the server.\n' >"$SRV/story.txt"
printf 'this side only\n' >"$T_TMP/here/local.txt"
# checks through the local socket of the same server: no ssh handshake each
njobs() { aura ls --json | jq .total; }
BEFORE=$(njobs)
cd "$T_TMP/here"
run R new --script ./local.txt
is "$RC" 2 "new --script ./local.txt with --host exits 2"
like "$ERR" "REMOTE_PATH_RELATIVE.*--script \./local\.txt" "it says REMOTE_PATH_RELATIVE, naming the option and the path"
like "$ERR" "scp" "its hint says to copy the file to the server"
run R new demo --images pics
like "$ERR" "REMOTE_PATH_RELATIVE.*--images pics" "a relative --images is refused"
run R new demo -o out.mp4
like "$ERR" "REMOTE_PATH_RELATIVE.*-o out\.mp4" "a relative -o is refused"
run R new --script "$T_TMP/here/missing.txt"
is "$RC" 2 "a --script path missing on the server exits 2"
like "$ERR" "INPUT_UNREADABLE.*--script $T_TMP/here/missing.txt: No such file.*\(on the server\)" "it is INPUT_UNREADABLE, looked up on the server"
printf 'topic,script\nfirst,%s\nsecond,./local.txt\n' "$SRV/story.txt" >"$T_TMP/here/rows.csv"
run R batch rows.csv
is "$RC" 2 "a batch row with a relative path exits 2"
like "$ERR" "line 3, column script: REMOTE_PATH_RELATIVE.*: \./local\.txt" "the batch names the row's line and column"
printf 'topic,script\nfirst,%s\n' "$T_TMP/here/missing.txt" >"$T_TMP/here/miss.csv"
run R batch miss.csv
like "$ERR" "line 2, column script: INPUT_UNREADABLE.*missing.txt.*\(on the server\)" "a batch row's missing script is looked up on the server"
is "$(njobs)" "$BEFORE" "nothing was queued by the refused requests"
run R new --script "$SRV/story.txt" -d 5 -p draft-480p --captions none -o "$SRV/out/" --json
is "$RC" 0 "new --script with the server's absolute path is queued"
NEWID=$(printf '%s' "$OUT" | jq -r .id)
aura cancel "$NEWID" >/dev/null 2>&1
run aura show --json "$NEWID"
is "$(printf '%s' "$OUT" | jq -r .job.spec.options.script)" "$(cat "$SRV/story.txt")" "the stored spec holds the server's script text, not its path"
is "$(printf '%s' "$OUT" | jq -r '.job.spec.options.script_path // "none"')" none "no script_path is stored"
is "$(printf '%s' "$OUT" | jq -r .job.spec.topic)" "Server side story" "the topic is the script's heading, read on the server"
is "$(printf '%s' "$OUT" | jq -r .job.output)" "$SRV/out/server-side-story.mp4" "-o DIR/ gets the default name inside, on the server"
run R new "remote variants" -d 5 -p draft-480p --captions none --variants 2 -o "$SRV/out/v" --json
is "$(printf '%s' "$OUT" | jq -r '[.[].output] | join(" ")')" "$SRV/out/v-v1.mp4 $SRV/out/v-v2.mp4" "new --variants with --host: the server names the outputs"
for v in $(printf '%s' "$OUT" | jq -r '.[].id'); do aura cancel "$v" >/dev/null 2>&1; done
cd "$T_TMP"

diag "$(date +%T) logs -f"
# --- the connection killed under logs -f -----------------------------------------
run R submit --name slow -- -v error -re -f lavfi -i testsrc=d=15:s=64x64 -f null /dev/null
SLOW=$(printf '%s' "$OUT" | grep -oE '[0-9]+' | head -1)
"$AURA_BIN" --data-dir "$NOLOCAL" --host "$H" logs -f "$SLOW" >"$T_TMP/follow.out" 2>"$T_TMP/follow.err" &
FOLLOW=$!
sshchild() { pgrep -P "$1" -f "ssh -F $S" | head -1; }
if wait_for 10 sshchild "$FOLLOW"; then ok "logs -f runs an ssh child"; else not_ok "logs -f runs an ssh child"; fi
wait_for 10 is_state "$SLOW" running
kill -9 "$(sshchild "$FOLLOW")"
wait "$FOLLOW"
is "$?" 4 "logs -f ends with exit 4 when its ssh is killed"
like "$(cat "$T_TMP/follow.err")" "SERVER_UNREACHABLE.*server went away" "it says the server went away"
is "$(state_of "$SLOW")" running "the job on the server goes on"

diag "$(date +%T) tui"
# --- the TUI over ssh, its ssh killed mid-stream ---------------------------------------
tm new-session -d -x 120 -y 30 \
	"env LANG=C.UTF-8 AURA_SSH_COMMAND='$AURA_SSH_COMMAND' AURA_REMOTE_COMMAND='$AURA_REMOTE_COMMAND' '$AURA_BIN' --data-dir '$NOLOCAL' --host '$H'; echo EXIT=\$?; sleep 600"
screen() { tm capture-pane -p -t 0; }
screen_has() { screen | grep -qE -- "$1"; }
wait_screen() {
	if wait_for "$1" screen_has "$2"; then ok "$3"; else
		not_ok "$3"; diag "no /$2/ on the screen after $1 s:"; diag "$(screen)"; fi
}
wait_screen 15 "slow +ffmpeg +running" "the TUI over ssh shows the remote job running"
TUI=$(pgrep -f -- "--host $H\$" | head -1)
[ ! -e "$NOLOCAL/aura.pid" ] && ok "no client fell back to a local server" || not_ok "no client fell back to a local server"
kill -9 "$(sshchild "$TUI")"
wait_screen 10 "disconnected|reconnect" "killing its ssh shows the disconnected state"
wait_screen 30 "slow +ffmpeg +succeeded" "the TUI reconnects through a new ssh and shows the job finishing"
is "$(state_of "$SLOW")" succeeded "the job was not stopped by the lost connections"
keys() { tm send-keys -t 0 "$@"; }
keys q
wait_screen 10 "EXIT=0" "the TUI quits"
tm kill-server >/dev/null 2>&1

diag "$(date +%T) shutdown"
run R shutdown
is "$RC" 0 "shutdown through ssh"
wait_for 10 sh -c '! kill -0 '"$(server_pid 2>/dev/null || echo 0)"
kill "$SSHD_PID" 2>/dev/null
wait "$SSHD_PID" 2>/dev/null
SSHD_PID=
gone() { [ -z "$(pgrep -f -- "$S")" ] && [ -z "$(pgrep -f -- "serve.*$AURA_DATA_DIR")" ]; }
if wait_for 10 gone; then ok "no sshd, ssh or aura server of this test is left"; else
	not_ok "no sshd, ssh or aura server of this test is left"
	diag "$(ps -o pid,ppid,args -p "$(pgrep -d, -f -- "$S|$AURA_DATA_DIR")")"
fi
done_testing
