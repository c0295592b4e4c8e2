#!/bin/sh
# quality.sh -- the quality bars of issue 14 on every built-in style and
# every preset: each 5 s video (with a music bed, so the style's music
# level and ducking are in the mix) verifies, lasts its plan within 0.5 s,
# is -16 +- 1 LUFS integrated with a true peak <= -1.5 dBTP, has its moov
# box before mdat and exactly 30 frames a second; with `shorts` the
# highlighted word changes at least once a second within every cue.
. "$AURA_SRCDIR/tests/cli/lib.sh"
. "$AURA_SRCDIR/tests/cli/media.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v ffprobe >/dev/null 2>&1 || skip_all "ffprobe is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
ffmpeg -hide_banner -filters 2>/dev/null | grep -q ' flite ' || skip_all "this ffmpeg has no flite"

WORK="$T_TMP/work"
mkdir -p "$WORK"
cd "$WORK" || exit 1
# a music bed louder than a voice: the style must bring it under
ffmpeg -v error -f lavfi -i "sine=frequency=330:sample_rate=44100:duration=4" \
	-af "volume=-3dB" -ac 2 "$WORK/bed.wav" || BAIL_OUT "cannot make the music bed"

STYLES=$(aura styles --json | jq -r '.styles[] | select(.builtin) | .name' | tr '\n' ' ')
like "$STYLES" "clean.*shorts.*lecture" "aura styles lists the built-in styles ($STYLES)"
PRESETS=$(aura new --help | sed -n 's/.*--preset NAME *//p; /^ *square\|^ *portrait\|^ *landscape\|^ *draft/p' |
	tr ',' '\n' | sed 's/(default)//; s/ //g' | grep -E '^[a-z0-9-]+$' | awk '!seen[$0]++' | tr '\n' ' ')
like "$PRESETS" "landscape-720p.*draft-480p" "the presets come from aura new --help ($PRESETS)"

IDS=""
for style in $STYLES; do
	for preset in $PRESETS; do
		run aura new "the water cycle" -d 5 --style "$style" -p "$preset" --music "$WORK/bed.wav" \
			--captions burn -o "$WORK/$style-$preset.mp4" --json
		ID=$(printf '%s' "$OUT" | jq -r '.id // empty')
		[ -n "$ID" ] || { not_ok "$style $preset is queued"; diag "$ERR"; continue; }
		IDS="$IDS $ID:$style:$preset"
	done
done
# shellcheck disable=SC2086 # the ids are words
run aura wait $(for x in $IDS; do printf '%s ' "${x%%:*}"; done)
is "$RC" 0 "every style x preset video is made"

for x in $IDS; do
	ID=${x%%:*} rest=${x#*:}
	style=${rest%%:*} preset=${rest#*:}
	V="$WORK/$style-$preset.mp4"
	T="$style $preset"
	is "$(aura show --json "$ID" | jq -r '.job.state')" succeeded "$T: the job succeeded (verify passed)"
	[ -s "$V" ] || { not_ok "$T: the video exists"; continue; }
	PLAN=$(aura show --json "$ID" | jq -r '.job.duration_us')
	GOT=$(duration_us "$V")
	if within "$GOT" "$PLAN" 500000; then ok "$T: $GOT us is within 0.5 s of the plan"; else
		not_ok "$T: $GOT us is within 0.5 s of the plan ($PLAN us)"; fi
	LU=$(loudness "$V") TP=$(true_peak "$V")
	if awk -v l="$LU" 'BEGIN { exit !(l >= -17 && l <= -15) }'; then ok "$T: $LU LUFS is -16 +- 1"; else
		not_ok "$T: $LU LUFS is -16 +- 1"; fi
	if awk -v p="$TP" 'BEGIN { exit !(p != "" && p <= -1.5) }'; then ok "$T: true peak $TP dBTP <= -1.5"; else
		not_ok "$T: true peak $TP dBTP <= -1.5"; fi
	like "$(boxes "$V")" "moov.* mdat" "$T: moov comes before mdat"
	is "$(ffprobe -v error -select_streams v:0 -show_entries stream=r_frame_rate,avg_frame_rate -of csv=p=0 "$V")" \
		"30/1,30/1" "$T: 30 fps, real and average"
	is "$(cfr "$V")" yes "$T: every frame 1/30 s after the one before (CFR)"
	if [ "$style" = shorts ]; then
		python3 - "$AURA_DATA_DIR/jobs/$ID/captions.ass" >"$T_TMP/hl" <<'PY'
import re, sys
def t(s):
    h, m, x = s.split(':')
    return int(h) * 3600 + int(m) * 60 + float(x)
ev = []
for line in open(sys.argv[1], encoding='utf-8'):
    if line.startswith('Dialogue:'):
        f = line.split(',', 9)
        ev.append((t(f[1]), t(f[2]), f[9].strip()))
hl = [e for e in ev if '\\1c' in e[2] or '\\c&' in e[2]]
longest = max((e[1] - e[0] for e in hl), default=99)
print(len(hl), '%.2f' % longest)
PY
		read -r NHL LONGEST <"$T_TMP/hl"
		if [ "${NHL:-0}" -gt 0 ] && awk -v l="$LONGEST" 'BEGIN { exit !(l <= 1.0) }'; then
			ok "$T: the highlighted word changes at least once a second ($NHL highlight events, longest $LONGEST s)"
		else
			not_ok "$T: the highlighted word changes at least once a second ($NHL highlight events, longest $LONGEST s)"
		fi
	fi
done
done_testing
