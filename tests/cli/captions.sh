#!/bin/sh
# captions.sh -- the captions' quality bars on a real (offline, draft)
# video: every cue starts within 0.3 s of a speech onset of the video's
# own audio (silencedetect's silence_end, or the start when speech begins
# at once) and no cue is shorter than 0.8 s, in the .srt beside the video
# and in the burned-in .ass.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
ffmpeg -hide_banner -filters 2>/dev/null | grep -q ' flite ' || skip_all "this ffmpeg has no flite"

WORK="$T_TMP/work"
mkdir -p "$WORK"
cd "$WORK" || exit 1

# "FILE: N cues, L late (start > 0.3 s from any onset), S short (< 0.8 s)"
# and one diag line per bad cue.
bars() {
	python3 - "$1" "$2" <<'PY'
import re, sys
path, sil = sys.argv[1], sys.argv[2]
on = [0.0] + [float(m) for m in re.findall(r'silence_end: ([0-9.]+)', open(sil).read())]
starts = [s for s in re.findall(r'silence_start: ([0-9.]+)', open(sil).read())]
text = open(path, encoding='utf-8').read()
cues = []
if path.endswith('.srt'):
    for a, b in re.findall(r'(\d+):(\d+):(\d+),(\d+) --> (\d+):(\d+):(\d+),(\d+)'.replace('(\d+):(\d+):(\d+),(\d+)', r'(\d+:\d+:\d+,\d+)'), text):
        f = lambda t: (lambda h, m, s: int(h) * 3600 + int(m) * 60 + float(s.replace(',', '.')))(*t.split(':'))
        cues.append((f(a), f(b)))
else:
    for a, b in re.findall(r'^Dialogue: \d+,(\d+:\d+:[\d.]+),(\d+:\d+:[\d.]+),', text, re.M):
        f = lambda t: (lambda h, m, s: int(h) * 3600 + int(m) * 60 + float(s))(*t.split(':'))
        cues.append((f(a), f(b)))
# silence at the very start: speech begins at its end, not at 0
if starts and float(starts[0]) == 0.0:
    on = on[1:]
late = short = 0
for i, (a, b) in enumerate(cues):
    d = min(abs(a - o) for o in on)
    if d > 0.3:
        late += 1
        print('# cue %d at %.3f s is %.3f s from the nearest speech onset' % (i + 1, a, d))
    if b - a < 0.8 - 0.011:
        short += 1
        print('# cue %d lasts %.3f s' % (i + 1, b - a))
print('%d cues, %d late, %d short' % (len(cues), late, short))
PY
}
# check LABEL VIDEO SRT: the bars on the .srt beside the video and on the
# job's captions.ass, against the video's own speech onsets.
check() {
	ID=$(aura ls --json | jq -r '[.jobs[].id] | max')
	ASS="$(aura show --json "$ID" | jq -r '.job.workdir // empty')/captions.ass"
	if [ -s "$3" ]; then ok "$1: the .srt is beside the video"; else not_ok "$1: the .srt is beside the video"; fi
	if [ -s "$ASS" ]; then ok "$1: the job wrote captions.ass"; else not_ok "$1: the job wrote captions.ass"; fi
	ffmpeg -hide_banner -nostdin -nostats -i "$2" -vn -af silencedetect=noise=-35dB:d=0.1 \
		-f null - 2>"$T_TMP/silence.txt"
	for f in "$3" "$ASS"; do
		R=$(bars "$f" "$T_TMP/silence.txt")
		printf '%s\n' "$R" | grep '^#'
		R=$(printf '%s\n' "$R" | tail -n 1)
		like "$R" "^[1-9][0-9]* cues" "$1 ${f##*/}: it has cues ($R)"
		like "$R" " 0 late," "$1 ${f##*/}: every cue starts within 0.3 s of its speech"
		like "$R" " 0 short$" "$1 ${f##*/}: no cue is shorter than 0.8 s"
	done
}

# --- the offline script: 30 s, a dozen cues ---------------------------------
run aura new "how volcanoes work" -d 30 -p draft-480p --voice flite --captions both --wait
is "$RC" 0 "a 30 s draft video with captions is made"
check topic "$WORK/how-volcanoes-work.mp4" "$WORK/how-volcanoes-work.srt"

# --- a script whose sentence ends spill one word past a full cue ------------
cat >"$WORK/science.txt" <<'TXT'
# Science
Good science rests on careful measurement, on open data, on patient peer
review and on honesty. Results that nobody can check are only stories. The
rest follows from that.

# Volcanoes
Volcanoes are openings in the crust of the Earth. Molten rock rises from deep
below. When the pressure builds up over many years, it erupts with force.
TXT
run aura new --script "$WORK/science.txt" -p draft-480p --voice flite --captions both \
	-o "$WORK/science.mp4" --wait
is "$RC" 0 "a video from the script is made"
check script "$WORK/science.mp4" "$WORK/science.srt"
done_testing
