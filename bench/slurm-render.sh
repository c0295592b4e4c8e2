#!/bin/sh
# bench/slurm-render.sh -- a long video's render through a Slurm pool
# (issue 16): `aura new TOPIC -d DURATION` (600 s by default) with
# `[server] pool = farm`, a Slurm pool of max_jobs = SLOTS on the private
# single-node cluster of tests/slurm/cluster.sh, rendered twice by one
# server each:
#   - as configured (a binary that splits the render runs its segments,
#     one srun each, up to the pool's slots at once);
#   - monolithic: the same video with the split turned off (the key
#     `[render] segments = off`, else `[video] segments = off`, or
#     SEGMENTS_OFF='[SECTION] KEY = VALUE'; this bench writes it into the
#     config of the second server, after probing that the binary knows it:
#     `aura -c FILE styles` refuses an unknown key). A binary without the
#     key renders in one run anyway: the second render is then skipped and
#     said so.
# While each video runs, `squeue` is sampled every 0.2 s for this server's
# running Slurm jobs (named aura-SERVERID-...): the most at once and a
# timeline of every change are printed, with the wall time of each video,
# its render stage and how many sruns its log shows. Prints figures; never
# fails on time. Not part of make check.
#
#   bench/slurm-render.sh [AURA_BIN]          (default: $AURA_BIN, then ./aura)
#   DURATION=600 SLOTS=2 CPUS=1 TOPIC="how volcanoes work" bench/slurm-render.sh ./aura
#
# SLOTS defaults to the node's CPUs (nproc), CPUS (cpus_per_task) to 1;
# the monolithic render asks for MONO_CPUS (default: the node's CPUs), as
# one render on that cluster would, since a cluster that enforces
# cpus_per_task (task/affinity, cgroups) would hold one FFmpeg to CPUS.
# The private cluster does not (task/none): there every render may use
# the whole node whatever it asked for.
# Needs root (the private cluster does), slurm-wlm, munge, ffmpeg. Runs in
# a private sandbox; stops its servers and its cluster on exit.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
AURA_BIN=${1:-${AURA_BIN:-./aura}}
case $AURA_BIN in /*) ;; *) AURA_BIN=$(pwd)/$AURA_BIN ;; esac
[ -x "$AURA_BIN" ] || { echo "bench/slurm-render.sh: no aura binary at $AURA_BIN"; exit 1; }
DURATION=${DURATION:-600}
SLOTS=${SLOTS:-$(nproc)}
CPUS=${CPUS:-1}
MONO_CPUS=${MONO_CPUS:-$(nproc)}
TOPIC=${TOPIC:-how volcanoes work}
command -v ffmpeg >/dev/null 2>&1 || { echo "bench/slurm-render.sh: ffmpeg is needed"; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/aura-bench-slurm-render.XXXXXX")
mkdir -p "$TMP/run" "$TMP/cfg/aura" "$TMP/cfg-mono/aura" "$TMP/out" "$TMP/out-mono" && chmod 700 "$TMP/run"
export HOME="$TMP" XDG_CONFIG_HOME="$TMP/cfg" XDG_DATA_HOME="$TMP/xdg" \
	XDG_RUNTIME_DIR="$TMP/run" AURA_DATA_DIR="$TMP/data"
unset AURA_CONFIG
SERVER=
SAMPLER=
. "$HERE/../tests/slurm/cluster.sh"
stop_server() {
	[ -n "$SERVER" ] && kill -TERM "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
	SERVER=
}
cleanup() {
	[ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null
	stop_server
	slurm_down
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
slurm_up "$TMP/slurm" || { echo "bench/slurm-render.sh: the private cluster did not start"; exit 1; }

SID=bench$$
FF=$(command -v ffmpeg)
cat >"$TMP/cfg/aura/aura.ini" <<INI
[ffmpeg]
ffmpeg = $FF

[server]
pool = farm
server_id = $SID

[pool farm]
executor = slurm
max_jobs = $SLOTS
cpus_per_task = $CPUS
partition = debug
INI
SEG_OFF=""
for kv in "${SEGMENTS_OFF:-}" "[render] segments = off" "[video] segments = off"; do
	[ -n "$kv" ] || continue
	{
		sed "s/^cpus_per_task = .*/cpus_per_task = $MONO_CPUS/" "$TMP/cfg/aura/aura.ini"
		printf '\n%s\n%s\n' "${kv%%] *}]" "${kv#*] }"
	} >"$TMP/cfg-mono/aura/aura.ini"
	if "$AURA_BIN" -c "$TMP/cfg-mono/aura/aura.ini" styles >/dev/null 2>&1; then
		SEG_OFF=$kv
		break
	fi
done

now() { date +%s.%N; }
start_server() { # CONFIG_HOME
	XDG_CONFIG_HOME=$1 "$AURA_BIN" serve 2>>"$TMP/serve.err" &
	SERVER=$!
	i=0
	while [ ! -S "$TMP/data/run/aura.sock" ]; do
		i=$((i + 1))
		[ $i -gt 200 ] && { echo "the server did not start:"; cat "$TMP/serve.err"; exit 1; }
		kill -0 "$SERVER" 2>/dev/null || { echo "the server exited:"; cat "$TMP/serve.err"; exit 1; }
		sleep 0.05
	done
}
# sample FILE: one line "SECONDS RUNNING" per 0.2 s while the sampler runs
sample() {
	t0=$(now)
	while :; do
		n=$(squeue -h -t R -o %j 2>/dev/null | grep -c "^aura-$SID-")
		awk -v a="$t0" -v b="$(now)" -v n="$n" 'BEGIN { printf "%.1f %d\n", b - a, n }' >>"$1"
		sleep 0.2
	done
}
# render NAME CONFIG_HOME OUTDIR: one video, timed, squeue sampled
render() {
	start_server "$2"
	: >"$TMP/$1.samples"
	sample "$TMP/$1.samples" &
	SAMPLER=$!
	t0=$(now)
	(cd "$3" && "$AURA_BIN" new "$TOPIC" -d "$DURATION" --wait >/dev/null) || echo "warning: the $1 video failed"
	t1=$(now)
	kill "$SAMPLER" 2>/dev/null
	wait "$SAMPLER" 2>/dev/null
	SAMPLER=
	ID=$("$AURA_BIN" ls --json | sed -n 's/.*"id": *\([0-9]*\).*/\1/p' | head -1)
	LOG="$TMP/data/jobs/$ID/job.log"
	WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	MAX=$(awk '$2 > m { m = $2 } END { print m + 0 }' "$TMP/$1.samples")
	echo
	echo "$1: wall $WALL s (aura new to --wait), render stage" \
		"$(sed -n 's/.*stage render done (\([0-9.]*\) s).*/\1/p' "$LOG") s," \
		"$(grep -c 'running: .*srun ' "$LOG") srun in job.log; Slurm jobs running at once: max $MAX of $SLOTS slots"
	echo "  timeline (s: running jobs, at each change):" \
		"$(awk 'NR == 1 || $2 != p { printf "%s%s: %d", (NR > 1 ? ", " : ""), $1, $2; p = $2 }' "$TMP/$1.samples")"
	echo "  stages: $(grep -o 'stage [a-z]* done ([0-9.]* s)' "$LOG" | sed 's/^stage //' | tr '\n' ' ')"
	echo "$WALL" >"$TMP/$1.wall"
	stop_server
}

echo "aura on Slurm: a ${DURATION} s video (\"$TOPIC\"), pool farm: max_jobs $SLOTS, cpus_per_task $CPUS" \
	"(monolithic: $MONO_CPUS)"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); slurm: $(sinfo --version)"
render configured "$TMP/cfg" "$TMP/out"
if [ -n "$SEG_OFF" ]; then
	render monolithic "$TMP/cfg-mono" "$TMP/out-mono"
	echo
	awk -v s="$(cat "$TMP/configured.wall")" -v m="$(cat "$TMP/monolithic.wall")" -v k="$SEG_OFF" \
		'BEGIN { printf "wall: configured %.1f s, monolithic (%s) %.1f s, ratio %.2f\n", s, k, m, s / m }'
else
	echo
	echo "no monolithic run: this binary knows no segments key ([render]/[video] segments), so its render"
	echo "is one run already (the figures above are the monolithic ones)"
fi
