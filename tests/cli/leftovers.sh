#!/bin/sh
# tests/cli/leftovers.sh -- an FFmpeg that leaves processes behind holding
# its stdout, stderr and progress pipe: one in its process group, one in a
# session of its own (setsid). The raw job succeeds when FFmpeg exits (not
# JOB_STALLED after stall_timeout, with its good output deleted and the
# job retried), its output is intact, and neither leftover outlives the
# job (doc/process.md, "What a child leaves behind").
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v ffprobe >/dev/null 2>&1 || skip_all "ffprobe is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"
command -v setsid >/dev/null 2>&1 || skip_all "setsid is not installed"

WORK="$T_TMP/work"
mkdir -p "$WORK" "$T_TMP/bin" "$XDG_CONFIG_HOME/aura"
cd "$WORK" || exit 1
# The leftovers are a copy of sleep named after the marker, so they (and
# nothing else on the machine) are found by it.
MARK="aura-leftover-$$"
cp "$(command -v sleep)" "$T_TMP/bin/$MARK"
# The program aura runs as ffmpeg: starts the leftovers, then becomes FFmpeg.
cat >"$T_TMP/bin/ffmpeg" <<EOF
#!/bin/sh
"$T_TMP/bin/$MARK" 3600 &
setsid "$T_TMP/bin/$MARK" 3601 &
exec "$(command -v ffmpeg)" "\$@"
EOF
chmod +x "$T_TMP/bin/ffmpeg"
cat >"$XDG_CONFIG_HOME/aura/aura.ini" <<EOF
[ffmpeg]
ffmpeg = $T_TMP/bin/ffmpeg
ffprobe = $(command -v ffprobe)
[server]
stall_timeout = 5
EOF

no_marker() { ! pgrep -f "$MARK" >/dev/null; }

aura serve --daemon >/dev/null 2>"$T_TMP/serve.err" || { cat "$T_TMP/serve.err" >&2; exit 1; }
wait_for 10 answers

out="$WORK/left-$MARK.mkv"
j=$(aura submit --name left -o "$out" -- -f lavfi -i "testsrc=d=1:s=64x48:r=10" -c:v mpeg4 "$out")
ok "submitted job $j"
wait_for 60 terminal "$j" || diag "job $j is still $(state_of "$j")"
J=$(aura show --json "$j")
is "$(printf '%s' "$J" | jq -r .job.state)" succeeded "FFmpeg left processes holding its pipes: the job still succeeds"
is "$(printf '%s' "$J" | jq -r '.job.error.code // ""')" "" "... with no error (not JOB_STALLED)"
is "$(printf '%s' "$J" | jq -r .job.attempts)" 1 "... at the first attempt"
dur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$out" 2>/dev/null)
like "$dur" '^(0\.9|1\.)' "... and its output is intact (ffprobe: ${dur:-unreadable} s)"
if wait_for 30 no_marker; then
	ok "no leftover outlives the job, in its group or in a session of its own"
else
	not_ok "no leftover outlives the job, in its group or in a session of its own"
	diag "$(pgrep -af "$MARK")"
	pkill -KILL -f "$MARK"
fi

aura shutdown >/dev/null 2>&1
done_testing
