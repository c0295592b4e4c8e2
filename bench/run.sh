#!/bin/sh
# bench/run.sh -- the one entry point for aura's benchmarks (DESIGN §8):
# server overhead next to GNU parallel, the video pipeline next to one bare
# ffmpeg, memory growth (server RSS after 30 vs 1000 short jobs), idle
# wake-ups, progress event latency, and the TUI on 100 000 jobs. Prints each
# figure beside its reference, the ratio, the target and PASS or MISS, then
# a summary table. Measures; never part of make check.
#
#   bench/run.sh [-b AURA_BIN] [-q] [-k] [BENCH...]
#     BENCH   any of: overhead pipeline memory idle latency tui (default all)
#     -b      the aura binary (default: $AURA_BIN, then ./aura)
#     -q      quick: smaller runs (30 vs 300 jobs, 10 s idle, a 20 s
#             video once, N=10 encodes) -- for trying the script, not for
#             figures
#     -k      keep going after a bench fails to run
#   e.g.  bench/run.sh -b ./aura memory idle latency
#
# Every bench runs in its own sandbox (mktemp -d) and stops its own server.
# Run on an otherwise idle machine: the figures are wall and CPU times.
# Must never: touch the user's own server or store.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
AURA=${AURA_BIN:-./aura}
QUICK=0
KEEP=0
while getopts b:qkh o; do
	case $o in
	b) AURA=$OPTARG ;;
	q) QUICK=1 ;;
	k) KEEP=1 ;;
	*) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ -x "$AURA" ] || { echo "bench/run.sh: no aura binary at $AURA (use -b)" >&2; exit 2; }
AURA=$(readlink -f "$AURA")
BENCHES=${*:-overhead pipeline memory idle latency tui}
for b in $BENCHES; do
	case $b in overhead | pipeline | memory | idle | latency | tui) ;;
	*) echo "bench/run.sh: unknown bench '$b'" >&2; exit 2 ;; esac
done
for tool in ffmpeg python3 bc; do
	command -v $tool >/dev/null 2>&1 || { echo "bench/run.sh: $tool is needed" >&2; exit 2; }
done

OUT=$(mktemp -d "${TMPDIR:-/tmp}/aura-bench-run.XXXXXX")
SUMMARY="$OUT/summary"
: >"$SUMMARY"
SRV=
cleanup() {
	[ -n "$SRV" ] && kill -TERM "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null
	rm -rf "$OUT"
}
trap cleanup EXIT INT TERM
HZ=$(getconf CLK_TCK)
LC="$HERE/../tests/load/loadc.py"

# figure NAME AURA REFERENCE RATIO TARGET VERDICT: one row of the summary.
figure() {
	printf '%-34s %12s %12s %8s %-16s %s\n' "$1" "$2" "$3" "$4" "$5" "$6" | tee -a "$SUMMARY"
}
# verdict EXPR: PASS if the awk expression holds.
verdict() { awk "BEGIN { exit !($1) }" && echo PASS || echo MISS; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }'; }
header() { printf '\n=== %s ===\n' "$1"; }

# A private server for the memory, idle and latency benches: HOME, XDG
# dirs and the data dir inside $1; the config from stdin. SRV is its pid.
sandbox() {
	mkdir -p "$1/run" "$1/cfg/aura" "$1/data" "$1/work" && chmod 700 "$1/run"
	export HOME="$1" XDG_CONFIG_HOME="$1/cfg" XDG_DATA_HOME="$1/xdg" \
		XDG_RUNTIME_DIR="$1/run" AURA_DATA_DIR="$1/data"
	unset AURA_CONFIG
	cat >"$1/cfg/aura/aura.ini"
}
serve() {
	"$AURA" serve >"$AURA_DATA_DIR/../serve.out" 2>&1 &
	SRV=$!
	i=0
	until python3 "$LC" pings "$AURA_DATA_DIR/run/aura.sock" 1 >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 200 ] && { echo "the server did not start" >&2; cat "$AURA_DATA_DIR/../serve.out" >&2; return 1; }
		sleep 0.05
	done
}
unserve() {
	"$AURA" shutdown >/dev/null 2>&1
	wait "$SRV" 2>/dev/null
	SRV=
}
sql() { sqlite3 -cmd '.timeout 5000' "$AURA_DATA_DIR/aura.db" "$1"; }
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
ticks() { awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$1/stat"; }

bench_overhead() {
	header "overhead: N short encodes, aura (max_jobs 2) vs GNU parallel -j2"
	n=20
	[ "$QUICK" = 1 ] && n=10
	N=$n sh "$HERE/overhead.sh" "$AURA" | tee "$OUT/overhead" || return 1
	pw=$(awk '/^wall time/ {print $4}' "$OUT/overhead")
	aw=$(awk '/^wall time/ {print $5}' "$OUT/overhead")
	# the ns clock's figure (schedstat); the ticks' one is 10 ms coarse
	share=$(sed -n 's/^server CPU \/ FFmpeg CPU, ns clock: *\([0-9.]*\) %.*/\1/p' "$OUT/overhead")
	[ -n "$share" ] ||
		share=$(sed -n 's/^server CPU \/ FFmpeg CPU.*: *\([0-9.]*\) %$/\1/p' "$OUT/overhead")
	# Wall time on a shared machine is noisy; 10 % is what aura may cost
	# (N client processes) before it is worth a look.
	figure "overhead: wall, $n encodes (s)" "$aw" "$pw" "$(ratio "$aw" "$pw")" "ratio <= 1.10" \
		"$(verdict "$aw <= 1.10 * $pw")"
	figure "overhead: server CPU / FFmpeg CPU" "$share %" "0 %" "-" "<= 0.5 % (issue 3)" \
		"$(verdict "$share <= 0.5")"
}

bench_pipeline() {
	header "pipeline: aura new -d 60 (landscape-720p) vs one bare ffmpeg"
	if [ "$QUICK" = 1 ]; then
		RUNS=1 DURATION=20 sh "$HERE/pipeline.sh" "$AURA" | tee "$OUT/pipeline" || return 1
	else
		sh "$HERE/pipeline.sh" "$AURA" | tee "$OUT/pipeline" || return 1
	fi
	a=$(sed -n 's/^aura new --wait.*: \([0-9.]*\) s$/\1/p' "$OUT/pipeline")
	f=$(sed -n 's/^floor, one bare ffmpeg.*: \([0-9.]*\) s$/\1/p' "$OUT/pipeline")
	d=$(sed -n 's/^video: \([0-9]*\) s.*/\1/p' "$OUT/pipeline")
	low=$(sed -n 's/^paired ratios.*lowest \([0-9.]*\)$/\1/p' "$OUT/pipeline")
	r=$(sed -n 's/^render stage alone (median): \([0-9.]*\) s.*/\1/p' "$OUT/pipeline")
	figure "pipeline: ${d} s 720p video (s)" "$a" "$f" "$(ratio "$a" "$f")" "ratio <= 1.25" \
		"$(verdict "$a <= 1.25 * $f")"
	ca=$(sed -n 's/^CPU (median): aura new \([0-9.]*\) s, floor .*/\1/p' "$OUT/pipeline")
	cf=$(sed -n 's/^CPU (median): aura new .*, floor \([0-9.]*\) s.*/\1/p' "$OUT/pipeline")
	figure "pipeline: lowest paired ratio" "$low" "1" "$low" "(least noisy)" "-"
	figure "pipeline: CPU, FFmpeg's (s)" "$ca" "$cf" "$(ratio "$ca" "$cf")" "<= 1.25" "$(verdict "${ca:-9} <= 1.25 * ${cf:-1}")"
	figure "pipeline: render stage alone (s)" "$r" "$f" "$(ratio "$r" "$f")" "(part of above)" "-"
	# the same video's own encode (bench/content-floor.py)
	c=$(sed -n 's/^content floor, the same video.*: \([0-9.]*\) s$/\1/p' "$OUT/pipeline")
	cc=$(sed -n 's/^CPU (median): aura new .*, content floor \([0-9.]*\) s.*/\1/p' "$OUT/pipeline")
	if [ -n "$c" ]; then
		figure "pipeline: vs the content floor (s)" "$a" "$c" "$(ratio "$a" "$c")" "ratio <= 1.25" \
			"$(verdict "$a <= 1.25 * $c")"
		figure "pipeline: CPU vs the content floor (s)" "$ca" "$cc" "$(ratio "$ca" "$cc")" "<= 1.25" \
			"$(verdict "${ca:-9} <= 1.25 * ${cc:-1}")"
	fi
}

# Server RSS after 30 and after 1000 tiny raw jobs (2 at a time, submitted
# over the socket in batches), each read once the queue is empty.
bench_memory() {
	n=1000
	[ "$QUICK" = 1 ] && n=300
	header "memory growth: server RSS after 30 vs $n short raw jobs"
	sandbox "$OUT/mem" <<-CONF
	[server]
	max_jobs = 2
	max_attempts = 1
	CONF
	serve || return 1
	cd "$OUT/mem/work" || return 1
	sock="$AURA_DATA_DIR/run/aura.sock"
	done_n=0
	t0=$(date +%s)
	for target in 30 $n; do
		while [ "$done_n" -lt "$target" ]; do
			b=$((target - done_n > 100 ? 100 : target - done_n))
			python3 "$LC" submit "$sock" "$b" 2 -nostdin -f lavfi -i "color=c=black:s=32x32:d=0.04" \
				-f null - >"$OUT/mem.ids" || return 1
			grep -q ERR "$OUT/mem.ids" && { echo "a submit was refused:"; grep ERR "$OUT/mem.ids"; return 1; }
			done_n=$((done_n + b))
			i=0
			while [ "$(sql "select count(*) from jobs where state in ('queued','running');")" != 0 ]; do
				i=$((i + 1)); [ $i -gt 6000 ] && { echo "jobs did not end"; return 1; }
				sleep 0.1
			done
		done
		sleep 1 # let the last client's connection go away
		eval "rss_$target=\$(rss \$SRV)"
		echo "after $target jobs: server RSS $(rss "$SRV") KiB, $(ls /proc/$SRV/fd | wc -l) fds ($(($(date +%s) - t0)) s)"
	done
	ok=$(sql "select count(*) from jobs where state = 'succeeded';")
	echo "succeeded: $ok of $n"
	unserve
	cd "$OUT" || return 1
	r30=$rss_30
	eval "rn=\$rss_$n"
	figure "memory: RSS after $n vs 30 jobs (KiB)" "$rn" "$r30" "$(ratio "$rn" "$r30")" "ratio <= 1.10" \
		"$(verdict "$rn <= 1.10 * $r30 && $ok == $n")"
}

# A server with no job, after one job has run: CPU ticks and syscalls over
# IDLE seconds. The reference is 0 (a process blocked in poll(-1)).
bench_idle() {
	s=30
	[ "$QUICK" = 1 ] && s=10
	header "idle wake-ups: the server with no job for $s s"
	sandbox "$OUT/idle" <<-CONF
	[server]
	max_jobs = 2
	CONF
	serve || return 1
	cd "$OUT/idle/work" || return 1
	j=$("$AURA" submit -- -nostdin -f lavfi -i "color=s=32x32:d=0.04" -f null -) &&
		"$AURA" wait "$j" >/dev/null || return 1
	sleep 1
	t0=$(ticks "$SRV")
	calls="-"
	if command -v strace >/dev/null 2>&1; then
		: >"$OUT/idle.strace"
		timeout -s INT "$s" strace -c -f -p "$SRV" -o "$OUT/idle.strace" 2>"$OUT/idle.err"
		if grep -q attached "$OUT/idle.err"; then
			# An empty summary: strace saw no system call at all.
			calls=$(awk '$NF == "total" {print $(NF-2)}' "$OUT/idle.strace")
			calls=${calls:-0}
			sed 's/^/  /' "$OUT/idle.strace"
		else
			echo "strace could not attach: $(head -1 "$OUT/idle.err")"
		fi
	else
		sleep "$s"
	fi
	t1=$(ticks "$SRV")
	unserve
	cd "$OUT" || return 1
	echo "CPU ticks in $s s: $((t1 - t0)); syscalls seen by strace -c -f: $calls"
	figure "idle: CPU ticks in $s s" "$((t1 - t0))" "0" "-" "0" "$(verdict "$t1 - $t0 == 0")"
	[ "$calls" = "-" ] ||
		figure "idle: syscalls in $s s (strace -c)" "$calls" "0" "-" "<= 2 (attach)" "$(verdict "$calls <= 2")"
}

# The time from a progress block written by "FFmpeg" (bench/latency-ffmpeg.py,
# which logs each write) to a subscriber receiving the progress event.
# Reference: a ping's round trip on the same socket (the protocol's floor).
bench_latency() {
	blocks=200
	[ "$QUICK" = 1 ] && blocks=60
	header "event latency: FFmpeg progress block written -> subscriber's progress event ($blocks blocks, 50 ms apart)"
	sandbox "$OUT/lat" <<-CONF
	[ffmpeg]
	ffmpeg = $HERE/latency-ffmpeg.py
	[server]
	max_jobs = 1
	max_attempts = 1
	CONF
	LAT_LOG="$OUT/lat.write" LAT_BLOCKS=$blocks LAT_REAL_FFMPEG=$(command -v ffmpeg) serve || return 1
	sock="$AURA_DATA_DIR/run/aura.sock"
	cd "$OUT/lat/work" || return 1
	: >"$OUT/lat.write"
	python3 "$LC" lat "$sock" "$OUT/lat.recv" &
	sub=$!
	sleep 0.5
	j=$("$AURA" submit -o lat.mkv -- -nostdin -f lavfi -i "testsrc=d=8" lat.mkv) &&
		"$AURA" wait "$j" >/dev/null
	rc=$?
	python3 "$LC" pings "$sock" 100 >"$OUT/lat.ping"
	unserve
	wait "$sub"
	cd "$OUT" || return 1
	[ "$rc" = 0 ] || { echo "the latency job failed"; return 1; }
	awk 'NR == FNR { w[$2] = $1; next } ($2 in w) { print $1 - w[$2] }' "$OUT/lat.write" "$OUT/lat.recv" |
		sort -n >"$OUT/lat.ms"
	got=$(wc -l <"$OUT/lat.ms")
	p50=$(awk '{ v[NR] = $1 } END { printf "%.2f", v[int(NR * 0.50 + 0.5)] }' "$OUT/lat.ms")
	p95=$(awk '{ v[NR] = $1 } END { printf "%.2f", v[int(NR * 0.95 + 0.5)] }' "$OUT/lat.ms")
	max=$(tail -1 "$OUT/lat.ms")
	ping=$(cat "$OUT/lat.ping")
	echo "progress events matched: $got of $blocks written; latency p50 $p50 ms, p95 $p95 ms, max $max ms"
	echo "ping round trip (slowest of 100): $ping ms"
	figure "latency: progress event p50 (ms)" "$p50" "-" "-" "<= 5 ms" "$(verdict "$p50 <= 5")"
	figure "latency: progress event p95 (ms)" "$p95" "$ping" "$(ratio "$p95" "$ping")" "<= 50 ms (20 fps)" \
		"$(verdict "$p95 <= 50 && $got >= 0.9 * $blocks")"
}

bench_tui() {
	header "TUI on 100 000 jobs"
	if [ "$QUICK" = 1 ]; then
		RUNS=3 PAGES=50 sh "$HERE/tui.sh" "$AURA" | tee "$OUT/tui" || return 1
	else
		sh "$HERE/tui.sh" "$AURA" | tee "$OUT/tui" || return 1
	fi
	ui=$(sed -n 's/^first frame, server running: *UI \([0-9]*\) ms.*/\1/p' "$OUT/tui")
	scr=$(sed -n 's/^first frame, server running:.*on screen \([0-9]*\) ms.*/\1/p' "$OUT/tui")
	cold=$(sed -n 's/^first frame, cold.*: UI \([0-9]*\) ms.*/\1/p' "$OUT/tui")
	pg=$(sed -n 's/^PgDn page by page:.* \([0-9]*\) us per page.*/\1/p' "$OUT/tui")
	figure "tui: first frame, on screen (ms)" "$scr" "100" "$(ratio "$scr" 100)" "<= 100 ms" \
		"$(verdict "${scr:-999} <= 100")"
	figure "tui: first frame, UI clock (ms)" "$ui" "100" "$(ratio "$ui" 100)" "<= 100 ms" \
		"$(verdict "${ui:-999} <= 100")"
	figure "tui: cold start, UI clock (ms)" "$cold" "-" "-" "(no target)" "-"
	figure "tui: PgDn, per page (ms)" "$(awk -v u="$pg" 'BEGIN { printf "%.1f", u / 1000 }')" "50" \
		"$(awk -v u="$pg" 'BEGIN { printf "%.2f", u / 50000 }')" "<= 50 ms" "$(verdict "${pg:-99999} <= 50000")"
}

echo "bench/run.sh: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r), $(ffmpeg -version | head -1 | cut -d' ' -f1-3)"
echo "aura: $AURA ($("$AURA" --version 2>/dev/null | head -1))"
failed=""
for b in $BENCHES; do
	bench_$b || {
		echo "bench/run.sh: $b failed to run" >&2
		failed="$failed $b"
		[ "$KEEP" = 1 ] || break
	}
done

printf '\n=== summary ===\n'
printf '%-34s %12s %12s %8s %-16s %s\n' figure aura reference ratio target verdict
cat "$SUMMARY"
[ -z "$failed" ] || { echo "did not run:$failed"; exit 1; }
