#!/bin/sh
# chains.sh -- the [providers] fallback chains wired into `aura new`, against
# the loopback fake (tests/fakes/fake-provider.py) and real FFmpeg:
# (a) a video whose script, voice and pictures came from the fake, and a
#     second one that reuses the cached pictures; (b) every fault class of
#     the script writer, and some of the voices and the stock sites: the job
#     still succeeds by falling back, with a warning carrying the right code
#     and the fake having seen the right number of requests (retries only
#     on transient faults); (c) the keys never show in a job log, aura.log,
#     `show --json` or `ps`; (d) a job stuck in a hung provider does not
#     hold back another job's progress; (e) cancelling it during the request
#     ends it at once, with nothing partial left.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v ffprobe >/dev/null 2>&1 || skip_all "ffprobe is not installed"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed"
command -v curl >/dev/null 2>&1 || skip_all "curl is not installed"
ffmpeg -hide_banner -filters 2>/dev/null | grep -q ' flite ' || skip_all "this ffmpeg has no flite"
unset OPENAI_API_KEY ELEVENLABS_API_KEY PEXELS_API_KEY PIXABAY_API_KEY

KEY="sk-chains-fake-5772156649"
BADKEY="xi-wrong-key-1414213562"
export AURA_T_KEY="$KEY" AURA_T_BADKEY="$BADKEY"
fake_provider "$KEY" FAKE_HANG=20

WORK="$T_TMP/work"
mkdir -p "$WORK" "$XDG_CONFIG_HOME/aura"
cd "$WORK" || exit 1
CFG="$XDG_CONFIG_HOME/aura/aura.ini"
# An ffprobe stand-in that finds no sound in openai's answers while
# $T_TMP/garble exists: a 2xx that FFmpeg cannot read. (Children run in
# their job's work directory.)
mkdir -p "$T_TMP/bin"
cat >"$T_TMP/bin/ffprobe" <<EOF
#!/bin/sh
# (only for this sandbox's jobs, not the script faults' beside it)
if [ -f "$T_TMP/garble" ]; then
	case "\$PWD \$*" in "$AURA_DATA_DIR"/*.openai.wav*) echo "stand-in: invalid data" >&2; exit 1;; esac
fi
exec "$(command -v ffprobe)" "\$@"
EOF
chmod +x "$T_TMP/bin/ffprobe"

# write_cfg ELEVENLABS_KEY_ENV PEXELS_TIMEOUT
write_cfg() {
	cat >"$CFG" <<EOF
[ffmpeg]
ffmpeg = $(command -v ffmpeg)
ffprobe = $T_TMP/bin/ffprobe
[server]
max_jobs = 2
[video]
stock = photos
[providers]
script = openai, rulebased
voice = openai, elevenlabs, flite
visuals = pexels, pixabay, generated
[openai]
base_url = $BASE/v1
api_key_env = AURA_T_KEY
timeout = 1
[elevenlabs]
base_url = $BASE
api_key_env = $1
[pexels]
base_url = $BASE
api_key_env = AURA_T_KEY
timeout = $2
[pixabay]
base_url = $BASE/api
api_key_env = AURA_T_KEY
EOF
}

fake() { curl -s -XPOST -d "$2" "$BASE/$1" >/dev/null; }
reset() { fake _reset '{}'; }
arm() { fake _fault "{\"path\":\"$1\",\"fault\":\"$2\",\"retry_after\":1}"; }
hits() { curl -s "$BASE/_stats" | jq -r --arg p "$1" '.[$p] // 0'; }
jfield() { aura show --json "$1" 2>/dev/null | jq -r ".job.$2"; }
# The codes of a job's warnings, space-separated, in order.
wcodes() { aura show --json "$1" 2>/dev/null | jq -r '[.job.warnings[]?.code] | join(" ")'; }
wtext() { aura show --json "$1" 2>/dev/null | jq -r '[.job.warnings[]?.message] | join("\n")'; }
# new NAME: a 5 s draft video with an SRT, waited for; sets ID and OUTV.
new() {
	OUTV="$WORK/$1.mp4"
	run aura new "how bees make honey" -d 5 -p draft-480p --captions both -o "$OUTV" --wait
	ID=$(aura ls --json 2>/dev/null | jq -r '[.jobs[].id] | max')
}
valid_video() {
	[ "$(ffprobe -v error -show_entries stream=codec_type -of csv=p=0 "$1" 2>/dev/null |
		sort | tr '\n' ' ')" = "audio video " ]
}
FAKE_LINE="Bees live together in a busy hive."

write_cfg AURA_T_KEY 5

# --- (a) success: script, voice and pictures from the providers --------------
reset
new ok
is "$RC" 0 "a job with working providers succeeds"
ok_if() { if "$@"; then ok "$MSG"; else not_ok "$MSG"; fi; }
MSG="the video is ffprobe-valid (one video, one audio stream)"; ok_if valid_video "$OUTV"
like "$(cat "$WORK/ok.srt")" "$FAKE_LINE" "the narration in the captions is the fake writer's"
is "$(hits /v1/chat/completions)" 1 "the script was asked once"
is "$(hits /v1/audio/speech)" 3 "each of the 3 scenes was spoken by the openai voice"
# (searches are not counted: the server's health round also searches once)
is "$(hits /files/pexels-101-landscape.png)" 3 "each scene's picture was downloaded from pexels"
WD="$AURA_DATA_DIR/jobs/$ID"
is "$(jq -r '[.scenes[] | select(.kind == "still") | .source | startswith("'"$AURA_DATA_DIR/cache/pexels/"'")] | all' "$WD/visuals.json")" true \
	"every scene shows a picture from the pexels cache"
like "$(cat "$WD/credits.txt")" "Fake Photographer" "the photographer is credited"
is "$(wcodes "$ID")" "" "no warning when every provider answers"

reset
new again
is "$RC" 0 "a second job with the same queries succeeds"
is "$(hits /v1/search)/$(hits /files/pexels-101-landscape.png)" "0/0" \
	"the cached pictures are not searched or downloaded again"

# --- (b) the script writer's faults: fall back to the offline writer --------
# They take ~40 s of retries and backoff in all, so they run beside the
# rest: in two sandboxes of their own (data directory, config, server,
# fake), writing what they see to files that are checked at the end.
# script_faults NAME FAULTS... ("breaker": the circuit breaker's test)
script_faults() {
	sfn=$1
	shift
	export AURA_DATA_DIR="$T_TMP/data-$sfn" XDG_CONFIG_HOME="$T_TMP/config-$sfn"
	mkdir -p "$AURA_DATA_DIR" "$XDG_CONFIG_HOME/aura" "$WORK/sf"
	FAKE_KEY="$KEY" FAKE_HANG=20 python3 "$AURA_SRCDIR/tests/fakes/fake-provider.py" >"$T_TMP/port-$sfn" &
	echo $! >"$T_TMP/fake-$sfn.pid"
	wait_for 10 test -s "$T_TMP/port-$sfn" || return
	BASE="http://127.0.0.1:$(head -1 "$T_TMP/port-$sfn")"
	CFG="$XDG_CONFIG_HOME/aura/aura.ini"
	write_cfg AURA_T_KEY 5
	for f do
		[ "$f" = breaker ] && { breaker; continue; }
		reset
		arm /v1/chat/completions "$f"
		START=$(date +%s)
		OUTV="$WORK/sf/$f.mp4"
		aura new "how bees make honey" -d 5 -p draft-480p --captions both -o "$OUTV" --wait >/dev/null 2>&1
		rc=$?
		END=$(date +%s)
		ID=$(aura ls --json 2>/dev/null | jq -r '[.jobs[].id] | max')
		fake_words=0
		grep -q "$FAKE_LINE" "$WORK/sf/$f.srt" 2>/dev/null && fake_words=1
		printf '%s|%s|%s|%s|%s|%s|%s\n' "$f" "$rc/$(jfield "$ID" state)" "$(wcodes "$ID")" \
			"$(wtext "$ID" | head -1)" "$(hits /v1/chat/completions)" "$fake_words" \
			"$(( END - START ))" >>"$T_TMP/$sfn.out"
	done
	cat "$AURA_DATA_DIR"/jobs/*/job.log "$AURA_DATA_DIR/logs/aura.log" >"$T_TMP/$sfn.logs" 2>/dev/null
	aura shutdown >/dev/null 2>&1
}
breaker() {
	# The breaker: the writer and the voice failing in a row (5 transient
	# failures) open openai's circuit, shared by the server's jobs: the
	# next job does not ask it at all.
	reset
	arm /v1/chat/completions 500
	arm /v1/audio/speech 500
	for b in breaker-1 breaker-2; do
		aura new "how bees make honey" -d 5 -p draft-480p -o "$WORK/sf/$b.mp4" --wait >/dev/null 2>&1
		rc=$?
		ID=$(aura ls --json 2>/dev/null | jq -r '[.jobs[].id] | max')
		printf '%s|%s|%s|%s|%s|%s|%s\n' "$b" "$rc/$(jfield "$ID" state)" "$(wcodes "$ID")" \
			"$(wtext "$ID" | head -1)" "$(hits /v1/chat/completions)" \
			"$(hits /v1/text-to-speech/21m00Tcm4TlvDq8ikWAM)" 0 >>"$T_TMP/$sfn.out"
	done
}
(script_faults sf1 500 429 hang) &
SF1_PID=$!
(script_faults sf2 401 nonjson schema truncated oversized breaker) &
SF2_PID=$!
trap 'kill $FAKE_PID $(cat "$T_TMP"/fake-sf*.pid 2>/dev/null) 2>/dev/null
	AURA_DATA_DIR="$T_TMP/data-sf1" t_stop_server; AURA_DATA_DIR="$T_TMP/data-sf2" t_stop_server
	t_cleanup' EXIT

# --- (b) voices ------------------------------------------------------------------
reset
arm /v1/audio/speech 500
new voice-500
is "$RC" 0 "voice 500: the job succeeds"
is "$(wcodes "$ID")" PROVIDER_UNAVAILABLE "voice 500: one warning (openai is not asked again in the job)"
like "$(wtext "$ID")" "^voice, scene 1: openai failed after 3 requests.*; using elevenlabs" \
	"voice 500: the warning names the scene and the next voice"
is "$(hits /v1/audio/speech)/$(hits /v1/text-to-speech/21m00Tcm4TlvDq8ikWAM)" "3/3" \
	"voice 500: 3 tries to openai, then elevenlabs spoke the 3 scenes"
MSG="voice 500: the video is valid"; ok_if valid_video "$OUTV"
is "$(jq '[.scenes[].audio_us > 900000] | all' "$AURA_DATA_DIR/jobs/$ID/voice.json")" true \
	"voice 500: the downloaded speech was converted and measured (about 1 s a scene)"

# An answer with an audio type that FFmpeg cannot read is a bad answer.
reset
: >"$T_TMP/garble"
new voice-garbled
rm -f "$T_TMP/garble"
is "$RC/$(wcodes "$ID")" "0/PROVIDER_BAD_RESPONSE" "unreadable speech: the job succeeds with a warning"
like "$(wtext "$ID")" "^voice, scene 1: openai answered with no sound FFmpeg can read; using elevenlabs" \
	"unreadable speech: the warning says what was wrong and what speaks instead"
is "$(hits /v1/audio/speech)/$(hits /v1/text-to-speech/21m00Tcm4TlvDq8ikWAM)" "1/3" \
	"unreadable speech: openai is not asked again; elevenlabs speaks the 3 scenes"
is "$(find "$AURA_DATA_DIR/jobs/$ID/voice" -name '*.openai.wav' | wc -l)" 0 "the unreadable answer is not kept"

# --voice forces the voice: flite never goes online; an online voice is
# asked alone, then the offline voice speaks.
reset
OUTV="$WORK/forced-flite.mp4"
run aura new "how bees make honey" -d 5 -p draft-480p --voice flite:kal -o "$OUTV" --wait
is "$RC/$(hits /v1/audio/speech)/$(hits /v1/text-to-speech/21m00Tcm4TlvDq8ikWAM)" "0/0/0" \
	"--voice flite:kal: the job succeeds and no voice service is asked"
reset
arm /v1/audio/speech 401
OUTV="$WORK/forced-openai.mp4"
run aura new "how bees make honey" -d 5 -p draft-480p --voice openai:nova -o "$OUTV" --wait
ID=$(aura ls --json 2>/dev/null | jq -r '[.jobs[].id] | max')
is "$RC/$(hits /v1/audio/speech)/$(hits /v1/text-to-speech/21m00Tcm4TlvDq8ikWAM)" "0/1/0" \
	"--voice openai:nova refused: openai alone is asked, elevenlabs is not"
like "$(wtext "$ID")" "^voice, scene 1: openai failed after 1 request.*; using flite:slt" \
	"--voice openai:nova refused: the offline voice speaks"
is "$(aura show --json "$ID" | jq -r '.job.spec.options.voice_forced')" true \
	"the request records that the voice was chosen"

# --- (b) stock pictures ---------------------------------------------------------------
rm -rf "$AURA_DATA_DIR/cache"
reset
arm /v1/search nonjson
new visuals-nonjson
is "$RC" 0 "pexels non-JSON: the job succeeds"
is "$(wcodes "$ID")" PROVIDER_BAD_RESPONSE "pexels non-JSON: one warning"
like "$(wtext "$ID")" "^visuals, scene 1: pexels failed after 1 request.*; using pixabay" \
	"pexels non-JSON: the warning names the scene and the next source"
is "$(hits /v1/search)/$(hits /api/)" "1/3" "pexels non-JSON: no retry, pixabay found the 3 pictures"
like "$(cat "$AURA_DATA_DIR/jobs/$ID/credits.txt")" "fakeuser on Pixabay" "the pixabay author is credited"

rm -rf "$AURA_DATA_DIR/cache"
reset
arm /v1/search 401
arm /api/ schema
new visuals-cards
is "$RC" 0 "both stock sites failing: the job succeeds with cards"
is "$(wcodes "$ID")" "PROVIDER_AUTH PROVIDER_BAD_RESPONSE" "both stock sites failing: a warning each"
is "$(hits /v1/search)/$(hits /api/)" "1/1" "both stock sites failing: each asked once, then skipped for the job"
is "$(jq -r '[.scenes[].kind] | unique | join(" ")' "$AURA_DATA_DIR/jobs/$ID/visuals.json")" card \
	"both stock sites failing: every scene is a generated card"

# --- a refused key echoed back, a hung provider, cancel ------------------------------------
aura shutdown >/dev/null 2>&1
wait_for 10 sh -c "! test -e '$AURA_DATA_DIR/aura.pid' || ! kill -0 \$(cat '$AURA_DATA_DIR/aura.pid') 2>/dev/null"
write_cfg AURA_T_BADKEY 7
rm -rf "$AURA_DATA_DIR/cache"
reset
arm /v1/audio/speech 401
new voice-401
is "$RC" 0 "voices refused: the job succeeds with flite"
is "$(wcodes "$ID")" "PROVIDER_AUTH PROVIDER_AUTH" "voices refused: openai's and elevenlabs' refusals are warnings"
like "$(wtext "$ID")" "elevenlabs failed after 1 request.*; using flite:slt" "the last resort is the offline voice"
is "$(hits /v1/audio/speech)/$(hits /v1/text-to-speech/21m00Tcm4TlvDq8ikWAM)" "1/1" \
	"voices refused: one request each, no retry"
unlike "$(wtext "$ID")" "$BADKEY" "the refused key that the service echoed is redacted"

# (d) job A hangs in pexels; job B, raw FFmpeg, makes progress and ends first.
rm -rf "$AURA_DATA_DIR/cache"
reset
arm /v1/search hang
aura new "how bees make honey" -d 5 -p draft-480p -o "$WORK/hung.mp4" >/dev/null 2>&1
A=$(aura ls --json 2>/dev/null | jq -r '[.jobs[].id] | max')
hits_are() { [ "$(hits "$1")" = "$2" ]; }
state_is() { [ "$(jfield "$1" state)" = "$2" ]; }
wait_for 10 hits_are /v1/search 1
T0=$(date +%s)
is "$(jfield "$A" stage)/$(jfield "$A" state)" "visuals/running" "job A waits on the hung pexels search"
PS_DURING=$(ps -eo args)
B=$(aura submit --name B -o "$WORK/b.mkv" -- -re -f lavfi -i "testsrc=s=64x48:r=10" -t 2 -c:v mpeg4 "$WORK/b.mkv")
SEEN=""
while :; do
	st=$(jfield "$B" state)
	p=$(jfield "$B" progress)
	case "$p" in 0|1|null|"") ;; *) case " $SEEN " in *" $p "*) ;; *) SEEN="$SEEN $p";; esac;; esac
	case "$st" in succeeded|failed|cancelled) break;; esac
	[ $(( $(date +%s) - T0 )) -gt 10 ] && break
	sleep 0.1
done
T1=$(date +%s)
is "$st" succeeded "job B succeeds while A's provider hangs"
is "$(( $(echo "$SEEN" | wc -w) >= 2 ))" 1 "job B's progress advanced step by step ($SEEN )"
is "$(( T1 - T0 < 7 ))" 1 "job B ended before A's provider timeout (7 s)"
is "$(jfield "$A" state)/$(hits /v1/search)" "running/1" "job A is still in its first request"

# (e) cancel during the request.
C0=$(date +%s)
aura cancel "$A" >/dev/null 2>&1
wait_for 5 state_is "$A" cancelled
C1=$(date +%s)
is "$(jfield "$A" state)" cancelled "cancel during a provider request cancels the job"
is "$(( C1 - C0 <= 2 ))" 1 "the cancel does not wait for the provider"
# ($WORK/sf belongs to the script faults' sandbox, rendering beside)
is "$(find "$AURA_DATA_DIR" "$WORK" -path "$WORK/sf" -prune -o -name '*.part*' -print | wc -l)" 0 \
	"nothing partial is left"
like "$(cat "$AURA_DATA_DIR/jobs/$A/job.log")" "the visuals step is cancelled" "the log says the request was cancelled"

# (f) pause during a request: it goes on; its result waits for the resume.
rm -rf "$AURA_DATA_DIR/cache"
reset
# (the first search is told to come back in 2 s: the request is in flight,
# waiting to retry, when the job is paused)
fake _fault '{"path":"/v1/search","fault":"429","count":1,"retry_after":2}'
aura new "how bees make honey" -d 5 -p draft-480p -o "$WORK/paused.mp4" >/dev/null 2>&1
P=$(aura ls --json 2>/dev/null | jq -r '[.jobs[].id] | max')
wait_for 10 hits_are /v1/search 1
aura pause "$P" >/dev/null 2>&1
is "$(jfield "$P" state)" paused "a job waiting on a provider pauses"
log_says() { grep -q "$2" "$AURA_DATA_DIR/jobs/$1/job.log"; }
wait_for 15 log_says "$P" "finished while the job is paused"
is "$(jfield "$P" state)/$(jfield "$P" stage)/$(hits /v1/search)" "paused/visuals/2" \
	"the request retried and ended while paused; the job stays paused"
is "$(hits /files/pexels-101-landscape.png)" 1 "the paused job's picture was downloaded (not thrown away)"
aura resume "$P" >/dev/null 2>&1
wait_for 20 state_is "$P" succeeded
is "$(jfield "$P" state)" succeeded "resumed, the job goes on from the held result and succeeds"
is "$(hits /files/pexels-101-landscape.png)" 3 "the held picture was not asked for again"

# --- (b) the script writer's faults, as seen beside -------------------------------
wait $SF1_PID $SF2_PID
cat "$T_TMP"/sf1.out "$T_TMP"/sf2.out >"$T_TMP/sf.out" 2>/dev/null
cat "$T_TMP"/sf1.logs "$T_TMP"/sf2.logs >"$T_TMP/sf.logs" 2>/dev/null
sf() { awk -F'|' -v f="$1" -v c="$2" '$1 == f {print $c}' "$T_TMP/sf.out"; }
for c in "500 PROVIDER_UNAVAILABLE 3" "429 PROVIDER_RATE_LIMITED 3" "401 PROVIDER_AUTH 1" \
	"hang PROVIDER_TIMEOUT 3" "nonjson PROVIDER_BAD_RESPONSE 1" \
	"schema PROVIDER_BAD_RESPONSE 1" "truncated PROVIDER_BAD_RESPONSE 1" \
	"oversized PROVIDER_BAD_RESPONSE 1"; do
	set -- $c
	is "$(sf "$1" 2)" "0/succeeded" "script $1: the job succeeds"
	is "$(sf "$1" 3)" "$2" "script $1: one warning, $2"
	like "$(sf "$1" 4)" "^script: openai failed after $3 request.*; using rulebased" \
		"script $1: the warning names the provider and the fallback"
	is "$(sf "$1" 5)" "$3" "script $1: $3 request(s) to the writer"
	is "$(sf "$1" 6)" 0 "script $1: the offline writer's script is used"
	case $1 in
	429) is "$(( $(sf 429 7) >= 2 ))" 1 "script 429: Retry-After (1 s) is waited between tries";;
	hang) is "$(( $(sf hang 7) < 30 ))" 1 "script hang: 3 tries of the 1 s timeout, then on";;
	esac
done
is "$(grep -c 'warning: script: openai failed' "$T_TMP/sf.logs")" 9 "each fallback is in its job's log"
is "$(sf breaker-1 2)/$(sf breaker-1 3)" "0/succeeded/PROVIDER_UNAVAILABLE PROVIDER_UNAVAILABLE" \
	"writer and voice failing: the job succeeds offline and with elevenlabs"
is "$(sf breaker-2 2)/$(sf breaker-2 3)" "0/succeeded/PROVIDER_CIRCUIT_OPEN PROVIDER_CIRCUIT_OPEN" \
	"the next job finds openai's circuit open, for the script and the voice"
like "$(sf breaker-2 4)" "^script: openai was not asked \(openai: skipped for [0-9]+ s more" \
	"the warning says openai was not asked"
is "$(sf breaker-2 5)" "$(sf breaker-1 5)" "no request reached the writer while its circuit was open"
is "$(sf breaker-2 6)" 6 "elevenlabs spoke every scene of both jobs"
is "$(grep -c -e "$KEY" "$T_TMP/sf.logs")" 0 "no key in those jobs' logs or their aura.log"

# --- (c) the keys never show --------------------------------------------------------------
LEAK=$( (cat "$AURA_DATA_DIR"/jobs/*/job.log "$AURA_DATA_DIR/logs/aura.log"
	for j in $(aura ls --json 2>/dev/null | jq -r '.jobs[].id'); do aura show --json "$j"; done
	printf '%s\n' "$PS_DURING") 2>/dev/null | grep -c -e "$KEY" -e "$BADKEY")
is "$LEAK" 0 "no key in the job logs, aura.log, show --json or ps"
like "$(cat "$AURA_DATA_DIR"/jobs/*/job.log)" "warning: " "(the logs checked do hold the warnings)"

done_testing
