#!/bin/sh
# tests/load/ffmpeg-stub.sh -- a stand-in ffmpeg for the by-hand long
# form of tests/load/soak.sh (SOAK_STUB=1): given "-progress pipe:N" it
# writes one final progress block to fd N and exits 0 at once, so 20 000
# jobs cost the server's own work (store, spawn, events) and not 20 000
# FFmpeg start-ups. Anything else (version and capability probes) runs the
# real ffmpeg ($SOAK_REAL_FFMPEG, else ffmpeg on PATH).
# Must never: be used outside the soak scenario.
fd=
prev=
for a in "$@"; do
	if [ "$prev" = -progress ]; then
		case $a in pipe:[0-9]) fd=${a#pipe:} ;; esac
	fi
	prev=$a
done
[ -n "$fd" ] || exec "${SOAK_REAL_FFMPEG:-ffmpeg}" "$@"
block='frame=1
fps=25.0
total_size=0
out_time_us=40000
out_time_ms=40000
out_time=00:00:00.040000
speed=1.0x
progress=end'
case $fd in
3) printf '%s\n' "$block" >&3 ;;
4) printf '%s\n' "$block" >&4 ;;
*) printf '%s\n' "$block" >&2 ;;
esac
exit 0
