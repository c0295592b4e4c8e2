#!/bin/sh
# tests/slurm/executor.sh -- the Slurm executor (doc/cluster.md) against the
# private cluster (tests/slurm/cluster.sh): a raw job and a video through a
# Slurm pool with live progress and cluster_id, cancel, pause/resume of the
# remote FFmpeg, kill -9 of the server mid-render, a node set down, an
# unknown partition. Never skipped: no cluster is a failure.
. "$AURA_SRCDIR/tests/cli/lib.sh"
. "$AURA_SRCDIR/tests/slurm/cluster.sh"
trap 'stop; slurm_down; t_cleanup' EXIT

if slurm_up "$T_TMP/slurm"; then ok "private cluster is up"; else
	not_ok "private cluster is up (see the logs above)"
	done_testing
	exit 1
fi

mkdir -p "$XDG_CONFIG_HOME/aura" "$T_TMP/work"
WORK="$T_TMP/work"
cd "$WORK" || exit 1
# a piper stand-in (a second of tone per scene), as tests/cli/video.sh
mkdir -p "$T_TMP/bin"
cat >"$T_TMP/bin/piper" <<PIPER
#!/bin/sh
out=""
while [ \$# -gt 0 ]; do
	case "\$1" in
	--model) shift ;;
	--output_file) out=\$2; shift ;;
	esac
	shift
done
cat >/dev/null
exec ffmpeg -nostdin -v error -f lavfi -i sine=d=1 -y "\$out"
PIPER
chmod +x "$T_TMP/bin/piper"
# write_ini DEFAULT_POOL
write_ini() {
	cat >"$XDG_CONFIG_HOME/aura/aura.ini" <<INI
[server]
pool = $1
quit_grace = 2
term_grace = 2
retry_backoff = 1
[voice]
piper = $T_TMP/bin/piper
[pool farm]
executor = slurm
max_jobs = 2
[pool nowhere]
executor = slurm
partition = no_such_partition
INI
}
write_ini farm

jf() { aura show --json "$1" 2>/dev/null | jq -r ".job.$2 // empty"; }
progress_of() { jf "$1" progress; }
cluster_id_of() { jf "$1" cluster_id; }
has_cluster_id() { [ -n "$(cluster_id_of "$1")" ]; }
squeue_empty() { [ -z "$(squeue --me -h 2>/dev/null)" ]; }
no_srun() { ! pgrep -x srun >/dev/null; }
no_ffmpeg_in() { ! pgrep -f "$1" >/dev/null; }
progress_gt() { awk -v a="$(progress_of "$1")" -v b="$2" 'BEGIN { exit !(a + 0 > b + 0) }'; }
# ffpid JOB: the remote ffmpeg of the job's Slurm step
ffpid() {
	_c=$(cluster_id_of "$1")
	[ -n "$_c" ] || return 0
	scontrol listpids "$_c.0" 2>/dev/null | awk 'NR > 1 && $1 ~ /^[0-9]+$/ { print $1 }' |
		while read -r p; do [ "$(cat "/proc/$p/comm" 2>/dev/null)" = ffmpeg ] && echo "$p"; done | head -n 1
}
has_ffpid() { [ -n "$(ffpid "$1")" ]; }
pstate() { sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null; }
is_pstate() { [ "$(pstate "$1")" = "$2" ]; }
not_t() { ! is_pstate "$1" T; }
check() { _m=$1; shift; if "$@"; then ok "$_m"; else not_ok "$_m"; fi; }

start || { not_ok "server starts"; done_testing; exit 1; }
ok "server starts with a Slurm pool as the default"
like "$(cat "$AURA_DATA_DIR/logs/aura.log")" 'server id [0-9a-f]{8}' "the log names the server id"

# --- a raw job: live progress, cluster_id, the srun line in job.log
J=$(aura submit --name raw -- -re -f lavfi -i "testsrc=duration=8:size=640x480:rate=25" -c:v mpeg4 raw.mp4)
like "$J" '^[0-9]+$' "raw job submitted ($J)"
wait_for 30 has_cluster_id "$J"
like "$(cluster_id_of "$J")" '^[0-9]+$' "show --json has cluster_id while running"
# out_time_us rises while srun still runs (progress comes on srun's stdout)
t_of() { jf "$1" out_time_us; }
t_gt() { [ "$(t_of "$1")" -gt "$2" ] 2>/dev/null && [ "$(state_of "$1")" = running ]; }
wait_for 20 t_gt "$J" 0
P1=$(t_of "$J")
wait_for 20 t_gt "$J" "${P1:-0}"
check "progress rises while running (out_time_us ${P1:-none} -> $(t_of "$J"))" t_gt "$J" "${P1:-0}"
wait_for 60 terminal "$J"
is "$(state_of "$J")" succeeded "the raw job succeeded through srun"
like "$(cat "$AURA_DATA_DIR/jobs/$J/job.log")" "running: srun --job-name=aura-[0-9a-f]+-$J-1 " "job.log shows the srun command"
is "$(cluster_id_of "$J")" "" "cluster_id is cleared when the run ends"
check "the output is there" test -s raw.mp4

# --- an output on stdout is refused in a Slurm pool
J=$(aura submit --name tostdout -- -f lavfi -i "testsrc=duration=1" -f null -)
wait_for 30 terminal "$J"
is "$(code_of "$J")" SLURM_STDOUT "an FFmpeg output on stdout fails with SLURM_STDOUT"

# --- cancel mid-run: no srun, no ffmpeg, no Slurm job
J=$(aura submit --name cancel -- -re -f lavfi -i "testsrc=duration=60:size=320x240" -c:v mpeg4 cancel.mp4)
wait_for 30 has_ffpid "$J"
aura cancel "$J" >/dev/null
wait_for 30 terminal "$J"
is "$(state_of "$J")" cancelled "cancel: the job is cancelled"
wait_for 15 no_srun
check "cancel: no srun left" no_srun
wait_for 15 no_ffmpeg_in cancel.mp4
check "cancel: no ffmpeg left" no_ffmpeg_in cancel.mp4
wait_for 15 squeue_empty
check "cancel: squeue is empty" squeue_empty

# --- pause/resume: the remote ffmpeg is stopped (T), progress flat, then moves
# (an endless source: a loaded machine cannot let it end before the pause)
J=$(aura submit --name pause -- -re -f lavfi -i "testsrc=size=320x240" -c:v mpeg4 pause.mp4)
wait_for 30 has_ffpid "$J"
F=$(ffpid "$J")
out_gt0() { [ "$(jf "$1" out_time_us)" -gt 0 ] 2>/dev/null; }
wait_for 20 out_gt0 "$J"
aura pause "$J" >/dev/null
wait_for 10 is_pstate "$F" T
is "$(pstate "$F")" T "pause: the remote ffmpeg is stopped (T)"
is "$(state_of "$J")" paused "pause: the job shows paused"
PA=$(jf "$J" out_time_us)
# the process is stopped (T) before and after the second reading: it cannot
# have written progress in between
wait_for 5 is_pstate "$F" T
PB=$(jf "$J" out_time_us)
check "pause: progress is flat ($PA = $PB) and ffmpeg still T" eval '[ "$PA" = "$PB" ] && is_pstate "$F" T'
aura resume "$J" >/dev/null
wait_for 10 not_t "$F"
check "resume: the remote ffmpeg runs again" not_t "$F"
moved() { [ "$(jf "$J" out_time_us)" != "$PA" ]; }
wait_for 20 moved
check "resume: progress moves again" moved
aura cancel "$J" >/dev/null
wait_for 30 terminal "$J"
wait_for 15 squeue_empty

# --- a video: the render step runs through srun, the light steps here
: >"$WORK/voice.onnx"
run aura new "how volcanoes work" -d 5 -p draft-480p --voice "piper:$WORK/voice.onnx" --wait
is "$RC" 0 "aura new --wait through the Slurm pool exits 0"
[ "$RC" -eq 0 ] || diag "$ERR"
V=$(aura ls --json | jq -r '.jobs[0].id')
like "$(cat "$AURA_DATA_DIR/jobs/$V/job.log")" 'running: srun --job-name=aura-[0-9a-f]+-'"$V"'-1 .*-f mp4' "the video's render ran through srun"

# --- kill -9 of the server mid-run; restart: no stray Slurm job of the old attempt
J=$(aura submit --name crash -- -re -f lavfi -i "testsrc=duration=6:size=320x240" -c:v mpeg4 -y crash.mp4)
wait_for 30 has_ffpid "$J"
OLD=$(squeue --me -h -o %j | grep -- "-$J-1\$")
like "$OLD" "^aura-[0-9a-f]+-$J-1\$" "the run's Slurm job is named aura-SERVERID-JOB-ATTEMPT"
kill -9 "$(server_pid)"
wait_for 10 eval '! server_alive'
start || not_ok "server restarts"
old_gone() { ! squeue --me -h -o %j | grep -qx -- "$OLD"; }
wait_for 30 old_gone
check "restart: no Slurm job of the old attempt ($OLD)" old_gone
wait_for 90 terminal "$J"
is "$(state_of "$J")" succeeded "restart: the job finishes"

# --- the node goes down mid-job: retried or failed with the node-failure
# code, never left running
J=$(aura submit --name node -- -re -f lavfi -i "testsrc=duration=60:size=320x240" -c:v mpeg4 -y node.mp4)
wait_for 30 has_ffpid "$J"
slurm_node_down test
node_failed() { [ "$(jf "$J" error.code)" = SLURM_NODE_FAILURE ]; }
wait_for 60 node_failed
is "$(jf "$J" error.code)" SLURM_NODE_FAILURE "node down: the attempt fails with SLURM_NODE_FAILURE"
like "$(state_of "$J")" '^(queued|failed)$' "node down: the job is retried or failed, not running"
slurm_node_up
aura cancel "$J" >/dev/null 2>&1
wait_for 30 terminal "$J"
wait_for 15 squeue_empty

# --- waiting for the cluster: a job that Slurm cannot place yet is running
# with the substate "waiting for cluster", and no stall timer runs while it
# waits (stall_timeout = 5 s, a wait of more than that); once the node is
# free it is allocated and succeeds
stop
write_ini farm
sed -i 's/^\[server\]$/[server]\nstall_timeout = 5/' "$XDG_CONFIG_HOME/aura/aura.ini"
start || not_ok "server restarts with stall_timeout = 5"
srun --exclusive --ntasks=1 --job-name=blocker sleep 300 >/dev/null 2>&1 &
BLOCKER=$!
blocker_runs() { squeue --me -h -t R -o %j | grep -qx blocker; }
wait_for 30 blocker_runs
check "a job outside aura holds the whole node" blocker_runs
J=$(aura submit --name waits -- -f lavfi -i "testsrc=duration=2:size=320x240" -c:v mpeg4 -y waits.mp4)
waiting() { [ "$(jf "$J" substate)" = "waiting for cluster" ]; }
wait_for 30 waiting
check "the job waits with substate 'waiting for cluster'" waiting
is "$(state_of "$J")" running "while it waits the job is running"
like "$(cluster_id_of "$J")" '^[0-9]+$' "and show --json has its Slurm job id"
run aura ls
like "$OUT" "waits +ffmpeg +running +farm +waiting for cluster" "ls shows it waiting"
# past the stall timeout, still waiting, not stopped as stalled
T0=$(date +%s)
past_stall() { [ $(($(date +%s) - T0)) -ge 8 ] && waiting; }
wait_for 20 past_stall
check "8 s later (stall_timeout 5 s) it still waits: no stall while waiting" past_stall
is "$(jf "$J" error.code)" "" "no error was recorded"
kill "$BLOCKER" 2>/dev/null
scancel --me --name=blocker 2>/dev/null
wait_for 60 terminal "$J"
is "$(state_of "$J")" succeeded "once the node is free the job runs and succeeds"
is "$(jf "$J" substate)" "" "its substate is gone"
wait "$BLOCKER" 2>/dev/null
wait_for 15 squeue_empty

# --- a pool whose partition does not exist
stop
write_ini nowhere
start || not_ok "server restarts"
J=$(aura submit --name nopart -- -f lavfi -i "testsrc=duration=1" -c:v mpeg4 -y nopart.mp4)
wait_for 30 terminal "$J"
is "$(state_of "$J")" failed "unknown partition: the job fails"
is "$(code_of "$J")" SLURM_PARTITION_UNKNOWN "unknown partition: SLURM_PARTITION_UNKNOWN"
is "$(jf "$J" attempts)" 1 "unknown partition: not retried"

stop
check "no srun left at the end" no_srun
done_testing
