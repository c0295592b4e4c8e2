#!/bin/sh
# bench/overhead.sh -- what the server costs next to FFmpeg: N short
# encodes through aura (max_jobs = 2) against the same commands run by
# GNU parallel -j2. Prints the wall-time ratio, the server's own CPU as a
# share of FFmpeg's CPU, and (IDLE=SECONDS) the server's CPU ticks while
# idle. Prints figures; never fails on time.
#
#   bench/overhead.sh [AURA_BIN]      (default: ./aura in the current directory)
#   N=20 IDLE=30 bench/overhead.sh ./aura
#
# Needs ffmpeg with libx264, GNU parallel and /usr/bin/time. Runs in a
# private sandbox and leaves nothing behind.
set -u
AURA_BIN=${1:-${AURA_BIN:-./aura}}
case $AURA_BIN in /*) ;; *) AURA_BIN=$(pwd)/$AURA_BIN ;; esac
N=${N:-20}
IDLE=${IDLE:-0}
for tool in ffmpeg parallel /usr/bin/time; do
	command -v $tool >/dev/null 2>&1 || { echo "bench/overhead.sh: $tool is needed"; exit 1; }
done
[ -x "$AURA_BIN" ] || { echo "bench/overhead.sh: no aura binary at $AURA_BIN"; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/aura-bench-ovh.XXXXXX")
mkdir -p "$TMP/run" "$TMP/config/aura" "$TMP/out-par" "$TMP/out-aura" && chmod 700 "$TMP/run"
export HOME="$TMP" XDG_CONFIG_HOME="$TMP/config" XDG_DATA_HOME="$TMP/xdg" \
	XDG_RUNTIME_DIR="$TMP/run" AURA_DATA_DIR="$TMP/data"
printf '[server]\nmax_jobs = 2\n' >"$TMP/config/aura/aura.ini"
SERVER=
cleanup() {
	[ -n "$SERVER" ] && kill -TERM "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

HZ=$(getconf CLK_TCK)
now() { date +%s.%N; }
# The encode: 2 s of 640x360 at 30 fps, x264 veryfast, into mp4.
ENC='-f lavfi -i testsrc=d=2:s=640x360:r=30 -c:v libx264 -preset veryfast -f mp4'
stat_field() { awk -v f="$2" '{print $f}' "/proc/$1/stat"; }

echo "aura overhead: $N encodes ($ENC OUT), 2 at a time"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "ffmpeg: $(ffmpeg -version | head -1)"

# --- reference: GNU parallel, each ffmpeg timed on its own ------------------
T0=$(now)
seq "$N" | parallel -q -j2 /usr/bin/time -f '%U %S' -a -o "$TMP/cpu-par" \
	ffmpeg -nostdin -loglevel error -y $ENC "$TMP/out-par/{}.mp4"
T1=$(now)
PAR_WALL=$(echo "$T1 - $T0" | bc -l)
PAR_FF_CPU=$(awk '{s += $1 + $2} END {printf "%.2f", s}' "$TMP/cpu-par")

# --- aura: one server, N submits, wait for all -------------------------------
"$AURA_BIN" serve 2>"$TMP/serve.err" &
SERVER=$!
i=0
while [ ! -S "$TMP/data/run/aura.sock" ]; do
	i=$((i + 1)); [ $i -gt 100 ] && { echo "the server did not start:"; cat "$TMP/serve.err"; exit 1; }
	sleep 0.05
done
RSS0=$(awk '/VmRSS/ {print $2}' "/proc/$SERVER/status")
S0=$(($(stat_field "$SERVER" 14) + $(stat_field "$SERVER" 15)))
# the server's run time in ns (schedstat): the ticks above are too coarse
# for a few hundredths of a second
NS0=$(awk '{print $1}' "/proc/$SERVER/schedstat" 2>/dev/null || echo 0)
T0=$(now)
IDS=
for k in $(seq "$N"); do
	# shellcheck disable=SC2086 # ENC is a word list on purpose
	IDS="$IDS $("$AURA_BIN" submit -o "$TMP/out-aura/$k.mp4" -- $ENC "$TMP/out-aura/$k.mp4")"
done
# shellcheck disable=SC2086
"$AURA_BIN" wait $IDS >/dev/null
WAIT_RC=$?
T1=$(now)
S1=$(($(stat_field "$SERVER" 14) + $(stat_field "$SERVER" 15)))
C1=$(($(stat_field "$SERVER" 16) + $(stat_field "$SERVER" 17)))
NS1=$(awk '{print $1}' "/proc/$SERVER/schedstat" 2>/dev/null || echo 0)
RSS1=$(awk '/VmRSS/ {print $2}' "/proc/$SERVER/status")
AURA_WALL=$(echo "$T1 - $T0" | bc -l)
SRV_CPU=$(echo "($S1 - $S0) / $HZ" | bc -l)
AURA_FF_CPU=$(echo "$C1 / $HZ" | bc -l)
OK=$(ls "$TMP/out-aura" | grep -c '\.mp4$')

printf '\n%-42s %10s %10s\n' "" "parallel" "aura"
printf '%-42s %10.2f %10.2f\n' "wall time (s)" "$PAR_WALL" "$AURA_WALL"
printf '%-42s %10.2f %10.2f\n' "FFmpeg CPU (s, user+sys)" "$PAR_FF_CPU" "$AURA_FF_CPU"
printf '%-42s %10s %10.2f\n' "server CPU (s, user+sys)" "-" "$SRV_CPU"
printf '%-42s %10s %10s\n' "outputs" "$(ls "$TMP/out-par" | grep -c '\.mp4$')" "$OK"
echo
printf 'wall ratio aura / parallel:               %.3f\n' "$(echo "$AURA_WALL / $PAR_WALL" | bc -l)"
printf "server CPU / FFmpeg CPU (aura's run):     %.3f %%\n" "$(echo "100 * $SRV_CPU / $AURA_FF_CPU" | bc -l)"
[ "$NS1" -gt 0 ] &&
	printf "server CPU / FFmpeg CPU, ns clock:        %.3f %%  (%.1f ms, %.2f ms a job)\n" \
		"$(echo "100 * ($NS1 - $NS0) / 1000000000 / $AURA_FF_CPU" | bc -l)" \
		"$(echo "($NS1 - $NS0) / 1000000" | bc -l)" "$(echo "($NS1 - $NS0) / 1000000 / $N" | bc -l)"
printf 'server RSS: %d KiB before, %d KiB after (%d jobs)\n' "$RSS0" "$RSS1" "$N"
[ "$WAIT_RC" -eq 0 ] || echo "warning: aura wait exited $WAIT_RC (a job did not succeed)"
echo "(CPU from /proc/PID/stat at $HZ ticks/s: FFmpeg's is the server's reaped children)"

if [ "$IDLE" -gt 0 ]; then
	I0=$(($(stat_field "$SERVER" 14) + $(stat_field "$SERVER" 15)))
	sleep "$IDLE"
	I1=$(($(stat_field "$SERVER" 14) + $(stat_field "$SERVER" 15)))
	echo "idle: $((I1 - I0)) CPU ticks in $IDLE s with no job"
fi
