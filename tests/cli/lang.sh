#!/bin/sh
# lang.sh -- `aura new --lang`, --voice-speed and --voice-volume with the real
# server and real FFmpeg: a German video is narrated by espeak-ng (the job's
# log says so, the audio is not silent), bad values are refused with their
# catalogue codes, --voice-speed 1.5 gives shorter narration than 1.0
# (measured with ffprobe on the job's voice/001.wav), and without espeak-ng
# a non-English language is refused with VOICE_UNAVAILABLE and its hint.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v ffprobe >/dev/null 2>&1 || skip_all "ffprobe is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"
ffmpeg -hide_banner -filters 2>/dev/null | grep -q ' flite ' || skip_all "this ffmpeg has no flite"

WORK="$T_TMP/work"
mkdir -p "$WORK" "$XDG_CONFIG_HOME/aura"
cd "$WORK" || exit 1
PRESET="-p draft-480p"
printf '[server]\nquit_grace = 1\nterm_grace = 1\n' >"$XDG_CONFIG_HOME/aura/aura.ini"
printf '# Bienen\nDie Biene sammelt Nektar und macht daraus Honig.\n' >"$WORK/de.txt"
printf '# Bees\nThe bee gathers nectar and turns it into honey for the winter.\n' >"$WORK/en.txt"

# refused EXIT CODE DESC ARGS...: refused before anything is queued
refused() {
	local want=$1 code=$2 desc=$3
	shift 3
	run aura new "x" "$@"
	is "$RC" "$want" "$desc: exit $want"
	like "$ERR" "$code" "$desc: $code"
}
# dur_us FILE: the duration in microseconds
dur_us() {
	ffprobe -v error -show_entries format=duration -of csv=p=0 "$1" |
		awk '{ printf "%d\n", $1 * 1000000 }'
}
# max_db FILE: the loudest sample in dB
max_db() {
	ffmpeg -hide_banner -nostats -i "$1" -af volumedetect -f null - 2>&1 |
		sed -n 's/.*max_volume: \(.*\) dB/\1/p'
}
last_id() { aura ls --json | jq -r '.jobs[0].id'; }

start
refused 2 LANG_INVALID "--lang german" --lang german
refused 2 LANG_INVALID "--lang de-" --lang de-
refused 2 USAGE "--voice-speed 3" --voice-speed 3
refused 2 USAGE "--voice-speed fast" --voice-speed fast
refused 2 USAGE "--voice-volume 11" --voice-volume 11
is "$(aura ls --json | jq '.jobs | length')" 0 "nothing was queued"

if command -v espeak-ng >/dev/null 2>&1; then
	run aura new "Bienen" --script "$WORK/de.txt" --lang de $PRESET --captions none --wait
	is "$RC" 0 "--lang de renders"
	V=$OUT
	ID=$(last_id)
	is "$(aura show --json "$ID" | jq -r .job.spec.options.lang)" de "the spec keeps lang de"
	run aura logs "$ID"
	like "$OUT" "espeak-ng -b 1 -v de " "the job's log says espeak-ng spoke with its voice de"
	M=$(max_db "$V")
	if [ -n "$M" ] && awk -v m="$M" 'BEGIN { exit !(m > -30) }'; then
		ok "the narration is not silent (max $M dB)"
	else
		not_ok "the narration is not silent (max $M dB)"
	fi
else
	run aura new "x" --lang de
	is "$RC" 3 "--lang de without espeak-ng: exit 3"
	like "$ERR" "VOICE_UNAVAILABLE" "--lang de without espeak-ng: VOICE_UNAVAILABLE"
	like "$ERR" "apt-get install espeak-ng" "... with the hint"
fi

# --voice-speed: the same script at 1.0 and 1.5, its voice/001.wav measured
run aura new "Bees" --script "$WORK/en.txt" $PRESET --captions none -o "$WORK/s10.mp4" --wait
is "$RC" 0 "speed 1.0 renders"
A=$(last_id)
run aura new "Bees" --script "$WORK/en.txt" $PRESET --captions none -o "$WORK/s15.mp4" \
	--voice-speed 1.5 --voice-volume -3 --wait
is "$RC" 0 "speed 1.5 renders"
B=$(last_id)
is "$(aura show --json "$B" | jq -r .job.spec.options.voice_speed)" 1.5 "the spec keeps voice_speed"
DA=$(dur_us "$(aura show --json "$A" | jq -r .job.workdir)/voice/001.wav")
DB=$(dur_us "$(aura show --json "$B" | jq -r .job.workdir)/voice/001.wav")
if [ -n "$DA" ] && [ -n "$DB" ] && [ "$DB" -lt $((DA * 80 / 100)) ]; then
	ok "--voice-speed 1.5 narrates faster ($DB us against $DA us)"
else
	not_ok "--voice-speed 1.5 narrates faster ($DB us against $DA us)"
fi
stop
done_testing
