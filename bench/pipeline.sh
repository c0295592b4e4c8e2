#!/bin/sh
# bench/pipeline.sh -- what the video pipeline costs over the encode itself.
#
# Times `aura new TOPIC -d 60 --wait` (landscape-720p, flite, generated
# cards, captions burned and beside) against two floors, each ONE bare
# ffmpeg command that encodes 60 s of 1280x720 with the same encoder
# settings (libx264 medium CRF 23 yuv420p 30 fps, AAC 160k 48 kHz stereo,
# +faststart) from lavfi sources:
#   - the static floor: one gradient card with a heading, looped from one
#     frame as the pipeline's cards are, and a tone;
#   - the content floor (bench/content-floor.py): the same video as aura's
#     -- its cards drawn by the same lavfi chains, its crossfades, its
#     captions burned -- with a tone for the narration: the encode alone,
#     without the script, voice, card files, mix, verify or server.
# Prints each (median of RUNS runs, alternating), the ratios (target
# <= 1.25), each run's ratio to the floors right after it (on a shared
# machine the least disturbed figure), the render stage alone, FFmpeg CPU,
# the pipeline's time per stage, and (issue 16) the SSIM of the output
# against a lossless render of the same frames and its size against the
# monolithic render's (see "Quality" below). Never passes or fails: it
# measures.
#
# --style NAME renders with that style (its transitions, Ken Burns and
# caption look are in the render command, so the content floor has them
# too). --stock takes every scene's picture from stock video clips: the
# loopback fake provider (tests/fakes/fake-provider.py) as Pexels, serving
# clips of STOCK_CLIP (default 15:1280x720, seconds:size, a Pexels 720p
# clip; 2:320x180 makes every scene join and loop short clips, the worst
# case); one untimed video first makes the fake's clips and fills aura's
# cache. The content floor then decodes the same clip files (only the
# narration becomes a tone).
#
#   bench/pipeline.sh [--style NAME] [--stock] [AURA_BINARY]
#                                        (default: $AURA_BIN, then ./aura)
#   RUNS=5 DURATION=60 bench/pipeline.sh
#   SEGMENTS_OFF='[render] segments = off'   the key that makes today's
#                                        monolithic render (probed; see Quality)
#   AURA_BENCH_LOSSLESS=FILE AURA_BENCH_TODAY=FILE   a lossless reference of
#                                        the same frames, today's render
set -u

STYLE=""
STOCK=""
while [ $# -gt 0 ]; do
	case $1 in
	--style) STYLE=$2; shift 2 ;;
	--style=*) STYLE=${1#--style=}; shift ;;
	--stock) STOCK=1; shift ;;
	--) shift; break ;;
	-*) echo "bench: unknown option $1 (--style NAME, --stock)" >&2; exit 2 ;;
	*) break ;;
	esac
done
AURA=${1:-${AURA_BIN:-./aura}}
[ -x "$AURA" ] || { echo "bench: no aura binary at $AURA (give its path)" >&2; exit 2; }
AURA=$(readlink -f "$AURA")
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
RUNS=${RUNS:-3}
DURATION=${DURATION:-60}
TOPIC=${TOPIC:-how volcanoes work}
command -v ffmpeg >/dev/null || { echo "bench: ffmpeg is needed" >&2; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/aura-bench.XXXXXX")
mkdir -p "$TMP/run" "$TMP/cfg" "$TMP/data" "$TMP/out"
chmod 700 "$TMP/run"
export XDG_RUNTIME_DIR="$TMP/run" XDG_CONFIG_HOME="$TMP/cfg" AURA_DATA_DIR="$TMP/data"
unset AURA_CONFIG
FAKE_PID=""
cleanup() {
	"$AURA" shutdown >/dev/null 2>&1
	[ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

FONT=$(fc-match -f '%{file}' 'DejaVu Sans:bold' 2>/dev/null)
[ -r "$FONT" ] || FONT=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf
DRAW=""
[ -r "$FONT" ] && DRAW=",drawtext=fontfile=$FONT:text=How volcanoes work:fontsize=78:fontcolor=white:x=(w-text_w)/2:y=(h-text_h)/2"
FRAMES=$((DURATION * 30))
floor() {
	ffmpeg -v error -y \
		-f lavfi -i "gradients=s=1280x720:c0=0x0f2027:c1=0x203a43:c2=0x2c5364:nb_colors=3:x0=0:y0=0:x1=1279:y1=719:speed=0.00001:rate=30,trim=end_frame=1,format=rgb24$DRAW,format=yuv420p,loop=loop=-1:size=1,trim=end_frame=$FRAMES,setpts=N/30/TB" \
		-f lavfi -i "sine=frequency=220:sample_rate=48000:duration=$DURATION" \
		-c:v libx264 -preset medium -crf 23 -pix_fmt yuv420p -r 30 \
		-c:a aac -b:a 160k -ar 48000 -ac 2 -movflags +faststart -f mp4 "$TMP/floor.mp4"
}

NEW_OPTS=""
[ -n "$STYLE" ] && NEW_OPTS="--style $STYLE"
if [ -n "$STOCK" ]; then
	# a key no path holds: job.log redacts the key wherever it appears
	AURA_BENCH_KEY=fake-key-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
	export AURA_BENCH_KEY
	FAKE_KEY=$AURA_BENCH_KEY FAKE_CLIP=${STOCK_CLIP:-15:1280x720} \
		python3 "$BENCH_DIR/../tests/fakes/fake-provider.py" >"$TMP/port" &
	FAKE_PID=$!
	n=0
	while [ ! -s "$TMP/port" ] && [ $n -lt 100 ]; do
		n=$((n + 1))
		sleep 0.1
	done
	[ -s "$TMP/port" ] || { echo "bench: the fake provider did not start" >&2; exit 1; }
	mkdir -p "$TMP/cfg/aura"
	cat >"$TMP/cfg/aura/aura.ini" <<EOF
[providers]
visuals = pexels, generated
[pexels]
base_url = http://127.0.0.1:$(head -1 "$TMP/port")
api_key_env = AURA_BENCH_KEY
[video]
stock = videos
EOF
fi

# Quality (issue 16): aura's output is compared with a lossless render of
# the same frames (SSIM) and with the monolithic render's size. The same
# topic, length and seed (0) give the same script, voice and cards every
# run, so one reference serves all. A binary that splits the render into
# segments has a key to turn that off ([render] or [video] segments = off,
# SEGMENTS_OFF='[SECTION] KEY = VALUE' names another): the key is probed
# (`aura -c FILE styles` refuses an unknown key) and, if known, one untimed
# video is made first by a server with it (monolithic: today's render);
# its render command gives the lossless reference and the content floor.
# A binary without the key renders in one run: the last timed run is the
# monolithic one.
mkdir -p "$TMP/cfg-mono/aura" "$TMP/mono"
SEG_OFF=""
for kv in "${SEGMENTS_OFF:-}" "[render] segments = off" "[video] segments = off"; do
	[ -n "$kv" ] || continue
	{
		cat "$TMP/cfg/aura/aura.ini" 2>/dev/null
		printf '\n%s\n%s\n' "${kv%%] *}]" "${kv#*] }"
	} >"$TMP/cfg-mono/aura/aura.ini"
	if "$AURA" -c "$TMP/cfg-mono/aura/aura.ini" styles >/dev/null 2>&1; then
		SEG_OFF=$kv
		break
	fi
done
MONO_JD=""
MONO_OUT=""
if [ -n "$SEG_OFF" ]; then
	# shellcheck disable=SC2086 # NEW_OPTS is words
	(cd "$TMP/mono" && XDG_CONFIG_HOME="$TMP/cfg-mono" "$AURA" new "$TOPIC" -d "$DURATION" $NEW_OPTS --wait >/dev/null) ||
		{ echo "bench: the untimed monolithic video ($SEG_OFF) failed" >&2; exit 1; }
	MONO_JD="$AURA_DATA_DIR/jobs/$("$AURA" ls --json | sed -n 's/.*"id": *\([0-9]*\).*/\1/p' | head -1)"
	MONO_OUT=$(find "$TMP/mono" -name '*.mp4' | head -1)
	"$AURA" shutdown >/dev/null 2>&1
fi

# The server runs before the clock starts: it is a daemon, started once.
"$AURA" ls >/dev/null || exit 1
if [ -n "$STOCK" ]; then
	(cd "$TMP/out" && "$AURA" new "$TOPIC" -d "$DURATION" --wait >/dev/null) ||
		{ echo "bench: the untimed stock video failed" >&2; exit 1; }
fi
cd "$TMP/out" || exit 1
: >"$TMP/aura.times"
: >"$TMP/floor.times"
: >"$TMP/render.times"
: >"$TMP/pair.ratios"
: >"$TMP/cpu.times"
: >"$TMP/content.times"
: >"$TMP/content.ratios"
: >"$TMP/content.cpu"
HZ=$(getconf CLK_TCK)
# cutime + cstime of a pid: the CPU of its children that it has reaped
kids_cpu() { awk '{ sub(/^.*\) /, ""); print $14 + $15 }' "/proc/$1/stat"; }
i=0
while [ "$i" -lt "$RUNS" ]; do
	i=$((i + 1))
	rm -f "$TMP/out"/*
	SP=$(cat "$AURA_DATA_DIR/aura.pid")
	c0=$(kids_cpu "$SP")
	t0=$(now)
	# shellcheck disable=SC2086 # NEW_OPTS is words
	"$AURA" new "$TOPIC" -d "$DURATION" $NEW_OPTS --wait >/dev/null || { echo "bench: aura new failed" >&2; exit 1; }
	t1=$(now)
	c1=$(kids_cpu "$SP")
	f0=$(kids_cpu $$)
	floor || { echo "bench: the floor command failed" >&2; exit 1; }
	t2=$(now)
	f1=$(kids_cpu $$)
	# CPU seconds: FFmpeg's (and ffprobe's) in the server's reaped children,
	# the floor's in this shell's; much less disturbed by other load than
	# wall time.
	echo "$(((c1 - c0) * 100 / HZ)) $(((f1 - f0) * 100 / HZ))" |
		awk '{ printf "%.2f %.2f\n", $1 / 100, $2 / 100 }' >>"$TMP/cpu.times"
	elapsed "$t0" "$t1" >>"$TMP/aura.times"
	echo >>"$TMP/aura.times"
	elapsed "$t1" "$t2" >>"$TMP/floor.times"
	echo >>"$TMP/floor.times"
	ID=$("$AURA" ls --json | sed -n 's/.*"id": *\([0-9]*\).*/\1/p' | head -1)
	R=$(sed -n 's/.*stage render done (\([0-9.]*\) s).*/\1/p' "$AURA_DATA_DIR/jobs/$ID/job.log")
	# the content floor, in the job's directory (the cards' text files
	# and captions.ass are there)
	JD="$AURA_DATA_DIR/jobs/$ID"
	CF=""
	# a segmented render has no one render command: the monolithic
	# twin's is the same video's
	CJD=$JD
	python3 "$BENCH_DIR/content-floor.py" "$JD" "$TMP/content.mp4" >"$TMP/content.argv" 2>/dev/null ||
		{ [ -n "$MONO_JD" ] && CJD=$MONO_JD; }
	if python3 "$BENCH_DIR/content-floor.py" "$CJD" "$TMP/content.mp4" >"$TMP/content.argv"; then
		g0=$(kids_cpu $$)
		t3=$(now)
		(cd "$CJD" && xargs -0 -a "$TMP/content.argv" ffmpeg) ||
			{ echo "bench: the content floor failed" >&2; exit 1; }
		t4=$(now)
		g1=$(kids_cpu $$)
		CF=$(elapsed "$t3" "$t4")
		echo "$CF" >>"$TMP/content.times"
		echo "$(((g1 - g0) * 100 / HZ))" | awk '{ printf "%.2f\n", $1 / 100 }' >>"$TMP/content.cpu"
		awk -v a="$(elapsed "$t0" "$t1")" -v f="$CF" 'BEGIN { print a / f }' >>"$TMP/content.ratios"
	fi
	echo "${R:-0}" >>"$TMP/render.times"
	# Each aura run and the floor right after it saw about the same machine:
	# their ratio is the figure least disturbed by other load.
	awk -v a="$(elapsed "$t0" "$t1")" -v f="$(elapsed "$t1" "$t2")" 'BEGIN { print a / f }' >>"$TMP/pair.ratios"
	echo "run $i: aura new $(elapsed "$t0" "$t1") s (render stage ${R:-?} s), floor $(elapsed "$t1" "$t2") s," \
		"content floor ${CF:-?} s; CPU $(tail -1 "$TMP/cpu.times" | awk '{ printf "%s s vs %s s", $1, $2 }')" \
		"vs $(tail -1 "$TMP/content.cpu" 2>/dev/null) s"
done
# Quality, untimed: the last run's output against the lossless reference
# (AURA_BENCH_LOSSLESS=FILE gives one: the same frames, e.g. made by this
# bench's --lossless render command; AURA_BENCH_TODAY=FILE today's
# monolithic render of the same video, for the size).
OUT=$(find "$TMP/out" -name '*.mp4' | head -1)
[ -n "$MONO_JD" ] || { MONO_JD=$JD; MONO_OUT=$OUT; }
MONO_OUT=${AURA_BENCH_TODAY:-$MONO_OUT}
REF=${AURA_BENCH_LOSSLESS:-}
if [ -z "$REF" ] && python3 "$BENCH_DIR/content-floor.py" --lossless "$MONO_JD" "$TMP/lossless.mkv" >"$TMP/lossless.argv" &&
	(cd "$MONO_JD" && xargs -0 -a "$TMP/lossless.argv" ffmpeg); then
	REF=$TMP/lossless.mkv
fi
frames() { ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$1"; }
# ssim FILE: "ALL LOWEST FRAME" against REF (frames numbered from 1)
ssim() {
	ffmpeg -nostdin -hide_banner -i "$1" -i "$REF" -lavfi "[0:v][1:v]ssim=stats_file=$TMP/ssim.log" -f null - 2>"$TMP/ssim.err"
	printf '%s ' "$(sed -n 's/.*SSIM Y:.* All:\([0-9.]*\).*/\1/p' "$TMP/ssim.err")"
	awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^All:/) { v = substr($i, 5) + 0; if (m == "" || v < m) { m = v; n = substr($1, 3) } } }
		END { printf "%.5f %s\n", m, n }' "$TMP/ssim.log"
}

A=$(grep . "$TMP/aura.times" | median)
F=$(grep . "$TMP/floor.times" | median)
RM=$(median <"$TMP/render.times")
echo
echo "video: ${DURATION} s landscape-720p, style ${STYLE:-default}${STOCK:+, stock clips}, $(nproc) cores, $(ffmpeg -version | head -1 | cut -d' ' -f1-3)"
echo "aura new --wait (median of $RUNS): $A s"
echo "floor, one bare ffmpeg (median of $RUNS): $F s"
awk -v a="$A" -v f="$F" 'BEGIN { printf "ratio: %.2f (target <= 1.25)\n", a / f }'
echo "paired ratios (each run / the floor right after it): $(sort -n "$TMP/pair.ratios" | awk '{ printf "%s%.2f", (NR > 1 ? " " : ""), $1 }'), lowest $(sort -n "$TMP/pair.ratios" | head -1 | awk '{ printf "%.2f", $1 }')"
awk -v r="$RM" -v f="$F" 'BEGIN { printf "render stage alone (median): %.2f s, %.2f x the floor\n", r, r / f }'
CA=$(cut -d' ' -f1 "$TMP/cpu.times" | median) CF=$(cut -d' ' -f2 "$TMP/cpu.times" | median)
awk -v a="$CA" -v f="$CF" 'BEGIN { printf "CPU (median): aura new %.2f s, floor %.2f s, ratio %.2f\n", a, f, a / f }'
if [ -s "$TMP/content.times" ]; then
	C=$(median <"$TMP/content.times")
	echo "content floor, the same video from lavfi sources in one ffmpeg (median of $RUNS): $C s"
	awk -v a="$A" -v f="$C" 'BEGIN { printf "ratio to the content floor: %.2f (target <= 1.25)\n", a / f }'
	echo "paired ratios to the content floor: $(sort -n "$TMP/content.ratios" | awk '{ printf "%s%.2f", (NR > 1 ? " " : ""), $1 }')"
	CC=$(median <"$TMP/content.cpu")
	awk -v a="$CA" -v f="$CC" 'BEGIN { printf "CPU (median): aura new %.2f s, content floor %.2f s, ratio %.2f\n", a, f, a / f }'
else
	echo "content floor: not made (no render command in the job's log)"
fi
if [ -n "$REF" ] && [ -r "$REF" ]; then
	# shellcheck disable=SC2046 # three words
	set -- $(ssim "$OUT")
	echo "quality: SSIM $1 against a lossless render of the same frames (lowest frame $2, frame $3;" \
		"target >= today's medium render, 0.998); frames $(frames "$OUT") vs $(frames "$REF")"
	if [ "$MONO_OUT" != "$OUT" ] && [ -r "$MONO_OUT" ]; then
		# shellcheck disable=SC2046
		set -- $(ssim "$MONO_OUT")
		echo "  today's monolithic render of the same video: SSIM $1 (lowest frame $2, frame $3)"
	fi
else
	echo "quality: no lossless reference (no monolithic render command; set SEGMENTS_OFF or AURA_BENCH_LOSSLESS)"
fi
if [ -r "$MONO_OUT" ]; then
	awk -v a="$(stat -c %s "$OUT")" -v m="$(stat -c %s "$MONO_OUT")" -v same="$([ "$MONO_OUT" = "$OUT" ] && echo 1)" \
		'BEGIN { printf "size: %d bytes, %.3f x the monolithic render'"'"'s %d (target <= 1.10)%s\n", a, a / m, m,
			same ? "; this render is the monolithic one" : "" }'
fi
echo "stages of the last run:"
grep -o 'stage [a-z]* done ([0-9.]* s)' "$AURA_DATA_DIR/jobs/$ID/job.log" | sed 's/^stage /  /'
