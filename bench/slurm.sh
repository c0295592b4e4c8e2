#!/bin/sh
# bench/slurm.sh -- what aura's Slurm executor costs next to the cluster
# itself: JOBS short raw FFmpeg jobs (lavfi, about half a second each)
# through a Slurm pool with max_jobs = N, against the same commands run by
# GNU parallel -j N, each through `srun`, on the same private single-node
# cluster (tests/slurm/cluster.sh). Prints both wall times and the ratio
# aura / parallel (target <= 1.05, issue 12). Prints figures; never fails
# on time. Not part of make check.
#
#   bench/slurm.sh [AURA_BIN]          (default: ./aura)
#   JOBS=40 N=2 bench/slurm.sh ./aura
#
# N defaults to the node's CPUs (nproc), at least 2. Needs root (the
# private cluster does), slurm-wlm, munge, ffmpeg, GNU parallel and bc. The
# aura half needs the Slurm executor (`[server] pool = farm` in its
# aura.ini); a build without it runs the jobs locally, which the script
# detects (no srun child of the server was ever seen) and reports instead
# of a ratio. Runs in a private sandbox, stops its server and its cluster.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
AURA_BIN=${1:-${AURA_BIN:-./aura}}
case $AURA_BIN in /*) ;; *) AURA_BIN=$(pwd)/$AURA_BIN ;; esac
JOBS=${JOBS:-40}
N=${N:-$(nproc)}
[ "$N" -ge 2 ] 2>/dev/null || N=2
for tool in ffmpeg parallel bc; do
	command -v $tool >/dev/null 2>&1 || { echo "bench/slurm.sh: $tool is needed"; exit 1; }
done
[ -x "$AURA_BIN" ] || { echo "bench/slurm.sh: no aura binary at $AURA_BIN"; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/aura-bench-slurm.XXXXXX")
mkdir -p "$TMP/run" "$TMP/config/aura" "$TMP/out-par" "$TMP/out-aura" && chmod 700 "$TMP/run"
export HOME="$TMP" XDG_CONFIG_HOME="$TMP/config" XDG_DATA_HOME="$TMP/xdg" \
	XDG_RUNTIME_DIR="$TMP/run" AURA_DATA_DIR="$TMP/data"
unset AURA_CONFIG
SERVER=
WATCH=
. "$HERE/../tests/slurm/cluster.sh"
cleanup() {
	[ -n "$WATCH" ] && kill "$WATCH" 2>/dev/null
	[ -n "$SERVER" ] && kill -TERM "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
	slurm_down
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
slurm_up "$TMP/slurm" || { echo "bench/slurm.sh: the private cluster did not start"; exit 1; }

now() { date +%s.%N; }
# One job: 1 s of 320x240 testsrc at 25 fps into mpeg4 (about 0.3-0.8 s).
ENC='-f lavfi -i testsrc=d=1:s=320x240:r=25 -c:v mpeg4 -f mp4'
FF=$(command -v ffmpeg)
echo "aura on Slurm: $JOBS jobs ($ENC OUT), $N at a time, one private node of $(nproc) CPUs"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "slurm: $(sinfo --version)"

# --- reference: parallel -j N srun ... ---------------------------------------
T0=$(now)
# shellcheck disable=SC2086 # ENC is a word list on purpose
seq "$JOBS" | parallel -q -j"$N" srun --ntasks=1 --cpus-per-task=1 --chdir="$TMP" -- \
	"$FF" -nostdin -loglevel error -y $ENC "$TMP/out-par/{}.mp4"
PAR_RC=$?
T1=$(now)
PAR_WALL=$(echo "$T1 - $T0" | bc -l)
PAR_OK=$(ls "$TMP/out-par" | grep -c '\.mp4$')

# --- aura: [server] pool = farm, a Slurm pool of max_jobs N ------------------
cat >"$TMP/config/aura/aura.ini" <<INI
[ffmpeg]
ffmpeg = $FF

[server]
pool = farm

[pool farm]
executor = slurm
max_jobs = $N
cpus_per_task = 1
partition = debug
INI
"$AURA_BIN" serve 2>"$TMP/serve.err" &
SERVER=$!
i=0
while [ ! -S "$TMP/data/run/aura.sock" ]; do
	i=$((i + 1)); [ $i -gt 100 ] && { echo "the server did not start:"; cat "$TMP/serve.err"; exit 1; }
	sleep 0.05
done
# Did the jobs go through srun? Record the server's children's names while
# they run (a marker file, so the check is not a timing guess).
(
	while kill -0 "$SERVER" 2>/dev/null; do
		if ps -o comm= --ppid "$SERVER" 2>/dev/null | grep -qx srun; then : >"$TMP/saw-srun"; exit 0; fi
		sleep 0.1
	done
) &
WATCH=$!
T0=$(now)
IDS=
for k in $(seq "$JOBS"); do
	# shellcheck disable=SC2086
	IDS="$IDS $("$AURA_BIN" submit -o "$TMP/out-aura/$k.mp4" -- $ENC "$TMP/out-aura/$k.mp4")"
done
# shellcheck disable=SC2086
"$AURA_BIN" wait $IDS >/dev/null
WAIT_RC=$?
T1=$(now)
AURA_WALL=$(echo "$T1 - $T0" | bc -l)
AURA_OK=$(ls "$TMP/out-aura" | grep -c '\.mp4$')

printf '\n%-34s %10s %10s\n' "" "parallel" "aura"
printf '%-34s %10.2f %10.2f\n' "wall time (s)" "$PAR_WALL" "$AURA_WALL"
printf '%-34s %10s %10s\n' "outputs" "$PAR_OK/$JOBS" "$AURA_OK/$JOBS"
[ "$PAR_RC" -eq 0 ] || echo "warning: parallel exited $PAR_RC (a step failed)"
[ "$WAIT_RC" -eq 0 ] || echo "warning: aura wait exited $WAIT_RC (a job did not succeed)"
if [ -e "$TMP/saw-srun" ]; then
	printf '\nwall ratio aura / parallel: %.3f  (target <= 1.05)\n' \
		"$(echo "$AURA_WALL / $PAR_WALL" | bc -l)"
else
	echo
	echo "no ratio: the server never ran srun -- this aura has no Slurm executor, so"
	echo "its jobs ran locally (wall $AURA_WALL s is a local figure, not comparable)"
fi
