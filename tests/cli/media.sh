# media.sh -- what tests know about a finished video file: its MP4 boxes
# in order, its loudness and true peak (ebur128), its streams, its length.
# Sourced by tests/cli/video.sh and tests/cli/quality.sh after lib.sh.

# boxes FILE: the top-level MP4 boxes in file order ("ftyp moov mdat")
boxes() {
	python3 - "$1" <<'PY'
import struct, sys
f = open(sys.argv[1], 'rb')
out = []
while True:
    h = f.read(8)
    if len(h) < 8:
        break
    size, typ = struct.unpack('>I4s', h)
    hdr = 8
    if size == 1:
        size = struct.unpack('>Q', f.read(8))[0]
        hdr = 16
    out.append(typ.decode('latin-1'))
    if size == 0:
        break
    f.seek(size - hdr, 1)
print(' '.join(out))
PY
}

# loudness FILE: integrated loudness (LUFS); true_peak FILE: dBTP
loudness() {
	ffmpeg -hide_banner -nostats -i "$1" -af ebur128 -f null - 2>&1 |
		awk '/Integrated loudness:/ {f = 1} f && /I:/ {print $2; exit}'
}

# probe FILE: "vcodec pix_fmt rate | acodec rate channels | nv na"
probe() {
	ffprobe -v error -show_entries \
		stream=codec_type,codec_name,pix_fmt,r_frame_rate,sample_rate,channels \
		-of json "$1" | jq -r '
		([.streams[] | select(.codec_type == "video")]) as $v |
		([.streams[] | select(.codec_type == "audio")]) as $a |
		"\($v[0].codec_name) \($v[0].pix_fmt) \($v[0].r_frame_rate) | \($a[0].codec_name) \($a[0].sample_rate) \($a[0].channels) | \($v | length) \($a | length)"'
}
duration_us() {
	ffprobe -v error -show_entries format=duration -of csv=p=0 "$1" |
		awk '{printf "%d\n", $1 * 1000000 + 0.5}'
}
within() { # within A B TOL: |A - B| <= TOL
	d=$(( $1 - $2 )); [ "$d" -lt 0 ] && d=$(( -d ))
	[ "$d" -le "$3" ]
}
true_peak() {
	ffmpeg -hide_banner -nostats -i "$1" -af ebur128=peak=true -f null - 2>&1 |
		awk '/True peak:/ {f = 1} f && /Peak:/ {print $2; exit}'
}
# cfr FILE: "yes" when every video frame is 1/30 s after the one before
cfr() {
	ffprobe -v error -select_streams v:0 -show_entries packet=pts_time -of csv=p=0 "$1" |
		sort -n | awk 'NR > 1 { d = $1 - p; if (d < 0.0333 - 0.0005 || d > 0.0333 + 0.0005) bad++ }
			{ p = $1 } END { print (NR > 1 && !bad) ? "yes" : "no (" bad + 0 " of " NR " frames off)" }'
}
