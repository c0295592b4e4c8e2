#!/bin/sh
# tests/slurm/lanes.sh -- the segmented render (doc/render.md) through a Slurm
# pool's lanes (doc/cluster.md "Lanes") on the private cluster
# (tests/slurm/cluster.sh): a 3-scene video in a pool of max_jobs 2 renders
# one srun per segment, two of them RUNNING in Slurm at once, and passes
# verify; cancel mid-render leaves no Slurm job, no srun or ffmpeg child and
# no segment .part file; [video] segments = off renders in one srun. Never
# skipped: no cluster is a failure.
. "$AURA_SRCDIR/tests/cli/lib.sh"
. "$AURA_SRCDIR/tests/slurm/cluster.sh"
trap 'stop; slurm_down; t_cleanup' EXIT

T0=$(date +%s)
if slurm_up "$T_TMP/slurm"; then ok "private cluster is up"; else
	not_ok "private cluster is up (see the logs above)"
	done_testing
	exit 1
fi

mkdir -p "$XDG_CONFIG_HOME/aura" "$T_TMP/work"
WORK="$T_TMP/work"
cd "$WORK" || exit 1
# write_ini SEGMENTS: a Slurm pool of two slots as the default, the default
# (flite) voice; one CPU a task, so that two lanes fit on the node together
# (the default, 2, is the whole of a 2-CPU node: Slurm would run one at once)
write_ini() {
	cat >"$XDG_CONFIG_HOME/aura/aura.ini" <<INI
[server]
pool = farm
quit_grace = 1
term_grace = 1
[pool farm]
executor = slurm
max_jobs = 2
cpus_per_task = 1
[video]
segments = $1
INI
}

cat >"$WORK/three.txt" <<'EOF'
# Cards
Three short scenes make a video long enough to split.

# Segments
Each scene is encoded by its own run, at the same time as the others.

# Joined
The parts are joined without encoding them again.
EOF
SPEC="--script $WORK/three.txt -p draft-480p -d 14 --seed 7"

jf() { aura show --json "$1" 2>/dev/null | jq -r ".job.$2 // empty"; }
check() { _m=$1; shift; if "$@"; then ok "$_m"; else not_ok "$_m"; fi; }
# lanes_running JOB: how many of JOB's lanes (aura-SERVERID-JOB-ATTEMPT-lTAG)
# Slurm shows RUNNING now
lanes_running() { squeue -h -t R -o %j 2>/dev/null | grep -cE -- "^aura-$SID-$1-[0-9]+-l[0-9]+\$"; }
# seen_two JOB: true once two lanes run at once (MAXRUN keeps the most seen)
# or once JOB has ended; a deadline loop samples it until then
MAXRUN=0
seen_two() {
	_n=$(lanes_running "$1")
	[ "$_n" -gt "$MAXRUN" ] && MAXRUN=$_n
	[ "$MAXRUN" -ge 2 ] || terminal "$1"
}
lane_runs() { [ "$(lanes_running "$1")" -ge 1 ]; }
ours_in_squeue() { squeue -h -o %j 2>/dev/null | grep -E -- "^aura-$SID-"; }
no_slurm_job() { [ -z "$(ours_in_squeue)" ]; }
# kids: the server's srun and ffmpeg children
kids() { ps --ppid "$(server_pid)" -o pid=,comm= 2>/dev/null | awk '$2 == "srun" || $2 == "ffmpeg"'; }
no_kids() { [ -z "$(kids)" ]; }
srun_segs() { grep -c "running: srun --job-name=aura-$SID-$1-1-l[0-9]* .*render/seg-00[0-9]\(-00[0-9]\)\{0,1\}\.part\.mp4" "$2/job.log"; }

write_ini auto
start || { not_ok "server starts"; done_testing; exit 1; }
SID=$(sed -n 's/.*server id \([0-9a-f]\{8\}\).*/\1/p' "$AURA_DATA_DIR/logs/aura.log" | tail -n 1)
like "$SID" '^[0-9a-f]{8}$' "the server id is in the log ($SID)"

# --- 1. segments through srun, two at once ---------------------------------------
T1=$(date +%s)
J=$(aura new "lanes" $SPEC -o "$WORK/seg.mp4")
like "$J" '^[0-9]+$' "a 3-scene video job in the Slurm pool ($J)"
wait_for 180 seen_two "$J"
check "two of its segment lanes RUNNING in Slurm at once (most seen: $MAXRUN)" [ "$MAXRUN" -ge 2 ]
wait_for 180 terminal "$J"
is "$(jf "$J" state)" succeeded "the segmented job succeeds"
WD=$(jf "$J" workdir)
like "$(cat "$WD/job.log")" "stage verify done" "verify passed"
like "$(cat "$WD/job.log")" "render: 2 segments over 2 lanes" "the 3 scenes split in 2 segments over the pool's 2 slots"
is "$(srun_segs "$J" "$WD")" 2 "job.log: one srun (aura-$SID-$J-1-lTAG) per segment"
is "$(grep 'running: srun' "$WD/job.log" | grep -c 'render/seg-00[0-9]')" 2 "...and no other srun for a segment"
is "$(grep 'running: srun' "$WD/job.log" | grep 'render/seg-00[0-9]' | grep -c 'threads=')" 0 \
	"a segment on a node leaves x264's threads to x264 (the node's CPUs, not this machine's)"
check "the video is there" test -s "$WORK/seg.mp4"
diag "check 1: $(($(date +%s) - T1)) s"

# --- 2. cancel mid-render -------------------------------------------------------
T2=$(date +%s)
J=$(aura new "cancel" $SPEC -o "$WORK/cancel.mp4")
WD=$(jf "$J" workdir)
seg_parts() { find "$WD" -name 'seg-*.part*' 2>/dev/null; }
# caught mid-render: a lane RUNNING in Slurm and its ffmpeg writing its .part
mid_render() { lane_runs "$1" && [ -n "$(seg_parts)" ]; }
mid_or_end() { mid_render "$1" || terminal "$1"; }
wait_for 180 mid_or_end "$J"
check "job $J caught mid-render: a lane runs in Slurm, a segment .part is written" mid_render "$J"
aura cancel "$J" >/dev/null
wait_for 30 terminal "$J"
is "$(jf "$J" state)" cancelled "cancel: the job is cancelled"
wait_for 30 no_slurm_job
check "cancel: no Slurm job of this server in squeue" no_slurm_job
[ -z "$(ours_in_squeue)" ] || diag "left: $(ours_in_squeue)"
wait_for 15 no_kids
check "cancel: no srun or ffmpeg child of the server" no_kids
[ -z "$(kids)" ] || diag "left: $(kids)"
is "$(seg_parts)" "" "cancel: no segment .part file left"
diag "check 2: $(($(date +%s) - T2)) s"

# --- 3. segments = off: one srun ---------------------------------------------------
T3=$(date +%s)
stop
write_ini off
start || not_ok "server restarts with segments = off"
J=$(aura new "one run" $SPEC -o "$WORK/one.mp4")
wait_for 180 terminal "$J"
is "$(jf "$J" state)" succeeded "segments = off: the job succeeds"
WD=$(jf "$J" workdir)
like "$(cat "$WD/job.log")" "render: one run" "segments = off: the render is one run"
is "$(grep -c 'running: srun .*-f mp4' "$WD/job.log")" 1 "segments = off: one srun renders the video"
is "$(grep -c 'running: srun .*-l[0-9]' "$WD/job.log")" 0 "segments = off: no lane srun"
diag "check 3: $(($(date +%s) - T3)) s"

stop
no_our_srun() { ! pgrep -f -- "srun --job-name=aura-$SID-" >/dev/null; }
check "no srun of this server left at the end" no_our_srun
diag "lanes.sh: $(($(date +%s) - T0)) s"
done_testing
