#!/bin/sh
# bench/batch.sh -- `aura batch`: the time to queue 1,000 topic rows in one
# request (target < 1 s), and the server's resident memory (VmRSS) with 30
# jobs against after queueing 10,000 (target: at most +2 MiB), side by
# side. Nothing renders: max_jobs = 1 and a first job that runs until the
# end holds the only slot. Prints figures; never fails on time.
#
#   bench/batch.sh [AURA_BIN]      (default: ./aura in the current directory)
#
# Runs in a private sandbox and leaves nothing behind.
set -u
AURA_BIN=${1:-${AURA_BIN:-./aura}}
case $AURA_BIN in /*) ;; *) AURA_BIN=$(pwd)/$AURA_BIN ;; esac
[ -x "$AURA_BIN" ] || { echo "bench/batch.sh: no aura binary at $AURA_BIN"; exit 1; }
command -v ffmpeg >/dev/null 2>&1 || { echo "bench/batch.sh: ffmpeg is needed"; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/aura-bench-batch.XXXXXX")
mkdir -p "$TMP/run" "$TMP/config/aura" "$TMP/work" && chmod 700 "$TMP/run"
export HOME="$TMP" XDG_CONFIG_HOME="$TMP/config" XDG_DATA_HOME="$TMP/xdg" \
	XDG_RUNTIME_DIR="$TMP/run" AURA_DATA_DIR="$TMP/data"
printf '[server]\nmax_jobs = 1\n' >"$TMP/config/aura/aura.ini"
cleanup() {
	"$AURA_BIN" shutdown --now >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
cd "$TMP/work" || exit 1
aura() { "$AURA_BIN" "$@"; }
now() { date +%s.%N; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
rows() { # rows FILE FIRST COUNT: plain topics
	awk -v a="$2" -v n="$3" 'BEGIN { for (i = a; i < a + n; i++) printf "bench topic %d\n", i }' >"$1"
}

aura serve --daemon >/dev/null || exit 1
PID=$(cat "$AURA_DATA_DIR/aura.pid")
aura submit --name blocker -- -f lavfi -re -i testsrc=size=32x24:rate=1 -f null - >/dev/null
i=1
while [ $i -lt 30 ]; do
	aura submit --name "small $i" -- -f lavfi -i testsrc=d=1 -f null - >/dev/null
	i=$((i + 1))
done
RSS30=$(rss_kib "$PID")

rows first.txt 0 1000
T0=$(now)
aura batch first.txt >/dev/null || { echo "bench/batch.sh: aura batch failed"; exit 1; }
T1=$(now)
WALL=$(echo "$T1 - $T0" | bc -l)
n=1
while [ $n -lt 10 ]; do
	rows more.txt $((n * 1000)) 1000
	aura batch more.txt >/dev/null || { echo "bench/batch.sh: aura batch failed"; exit 1; }
	n=$((n + 1))
done
TOTAL=$(aura ls --json --limit 1 | sed -n 's/.*"total": *\([0-9]*\).*/\1/p')
RSS10K=$(rss_kib "$PID")

echo "aura batch: machine $(nproc) CPUs"
printf '%-40s %10s   %s\n' "measure" "measured" "target"
printf '%-40s %9.3fs   < 1 s\n' "aura batch, 1,000 topic rows" "$WALL"
printf '%-40s %8d KiB\n' "server VmRSS with 30 jobs" "$RSS30"
printf '%-40s %8d KiB\n' "server VmRSS after $TOTAL jobs" "$RSS10K"
printf '%-40s %+8d KiB   <= +2048 KiB\n' "difference" "$((RSS10K - RSS30))"
