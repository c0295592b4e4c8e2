#!/bin/sh
# tests/cli/outputs.sh -- the output of a raw FFmpeg job against the real
# server, real FFmpeg and the fake one (tests/fixtures/fake-ffmpeg): written
# under NAME.aura-ID.part.EXT and renamed on success; exit 0 without output
# fails with FFMPEG_NO_OUTPUT; a failed job with -y leaves the old file byte
# for byte; recovery of a job whose success was not saved never deletes its
# output; -n is emulated on the real name; a pattern is left alone.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"
command -v sqlite3 >/dev/null 2>&1 || skip_all "the sqlite3 program is not installed"

WORK="$T_TMP/work"
mkdir -p "$WORK" "$XDG_CONFIG_HOME/aura"
cd "$WORK" || exit 1
PIDF="$AURA_DATA_DIR/aura.pid"
DB="$AURA_DATA_DIR/aura.db"
CONF="$XDG_CONFIG_HOME/aura/aura.ini"
FAKE="$AURA_BUILDDIR/tests/fixtures/fake-ffmpeg"

# conf PROGRAM: the ffmpeg of the next server ("" finds the real one).
conf() {
	printf '[general]\nlog_level = debug\n[ffmpeg]\nffmpeg = %s\n[server]\nmax_jobs = 2\nmax_attempts = 1\n' \
		"$1" >"$CONF"
}
field() { aura show --json "$1" 2>/dev/null | jq -r "$2"; }
temps() { ls -a "$WORK" | grep '\.aura-[0-9]*\.part' || true; }

# --- exit 0 without output is not a success ------------------------------------------
conf "$FAKE"
start
is $? 0 "a server with the fake ffmpeg starts"
# The fake ignores the output argument: it exits 0 having written nothing.
none=$(aura submit --name none -- --duration-ms 100 none.mp4)
# --out with --duration-ms 0: the file is created, nothing is written to it.
empty=$(aura submit --name empty -o empty.mp4 -- --duration-ms 0 --out empty.mp4)
wait_for 20 terminal "$none"
wait_for 20 terminal "$empty"
is "$(state_of "$none") $(code_of "$none")" "failed FFMPEG_NO_OUTPUT" \
	"ffmpeg exiting 0 without writing the output fails with FFMPEG_NO_OUTPUT"
[ "$(field "$none" .job.progress)" != 1 ] && ok "... and is not at 100 %" || not_ok "... and is not at 100 %"
is "$(state_of "$empty") $(code_of "$empty")" "failed FFMPEG_NO_OUTPUT" \
	"ffmpeg exiting 0 with an empty output fails with FFMPEG_NO_OUTPUT"
[ ! -e none.mp4 ] && [ ! -e empty.mp4 ] && ok "... no file is left at either name" ||
	not_ok "... no file is left at either name"
is "$(temps)" "" "... nor a temporary"
like "$(aura show "$none")" "output +$WORK/none.mp4" "show names the real output, not the temporary"

# --- a failed job with -y keeps the old output byte for byte ------------------------------
head -c 50000 /dev/urandom >old.mp4
cp old.mp4 "$T_TMP/old.copy"
# The fake writes the output (its --out) for a while, then exits 1.
fail=$(aura submit --name fail -o old.mp4 -- -y --duration-ms 500 --exit 1 --out old.mp4)
wait_for 20 terminal "$fail"
is "$(state_of "$fail") $(code_of "$fail")" "failed FFMPEG_FAILED" "a job with -y that fails is failed"
cmp -s old.mp4 "$T_TMP/old.copy" && ok "... and the file it was to replace is unchanged, byte for byte" ||
	not_ok "... and the file it was to replace is unchanged, byte for byte"
like "$(cat "$AURA_DATA_DIR/jobs/$fail/job.log")" "removed the partial output $WORK/old.aura-$fail.part.mp4" \
	"... only its temporary is removed"
# Without -y the existing output is refused before FFmpeg runs, as its -n would.
keep=$(aura submit --name keep -o old.mp4 -- --duration-ms 100 --out old.mp4)
wait_for 20 terminal "$keep"
is "$(state_of "$keep") $(code_of "$keep")" "failed OUTPUT_EXISTS" "without -y an existing output fails the job with OUTPUT_EXISTS"
cmp -s old.mp4 "$T_TMP/old.copy" && ok "... and the file is unchanged" || not_ok "... and the file is unchanged"
# A pattern is not one file: passed through, left alone on failure, said in the log.
pat=$(aura submit --name pattern -- --duration-ms 50 --exit 1 "img%03d.png")
wait_for 20 terminal "$pat"
like "$(cat "$AURA_DATA_DIR/jobs/$pat/job.log")" 'img%03d.png is a pattern .*left as it is' \
	"a failed job whose output is a pattern says in its log that it is left alone"
stop

# --- a real job: the temporary while it runs, the real name after -------------------------
conf ""
start
is $? 0 "a server with the real ffmpeg starts"
live=$(aura submit --name live -o live.mkv -- -re -f lavfi -i "testsrc=d=4:s=64x48:r=10" -c:v mpeg4 live.mkv)
TMP="$WORK/live.aura-$live.part.mkv"
# true only while FFmpeg writes: the temporary exists and the real name not yet
writing() { [ -e "$TMP" ] && [ ! -e "$WORK/live.mkv" ] && is_state "$live" running; }
wait_for 30 writing
is $? 0 "while the job runs, FFmpeg writes $(basename "$TMP") and live.mkv does not exist yet"
wait_for 30 terminal "$live"
is "$(state_of "$live")" succeeded "the job succeeds"
[ -s live.mkv ] && ok "... and live.mkv exists" || not_ok "... and live.mkv exists"
is "$(temps)" "" "... with no temporary left"
[ "$(field "$live" .job.size)" -gt 0 ] && ok "... its size is reported" || not_ok "... its size is reported"
like "$(aura show "$live")" "output +$WORK/live.mkv" "... and show names the real output"
ffprobe -v error live.mkv && ok "... a valid file (FFmpeg chose the muxer by the kept extension)" ||
	not_ok "... a valid file (FFmpeg chose the muxer by the kept extension)"

# --- recovery of a job whose success was lost never deletes its output ---------------------
# The server stops; the store is set back to running, as if the server had
# been killed after the rename but before the success was saved.
stop
cp live.mkv "$T_TMP/live.copy"
# (an attempt left: with none, recovery fails it as SERVER_CRASHED_DURING_JOB)
sqlite3 "$DB" "update jobs set state = 'running', pid = 0, finished_ms = 0, max_attempts = 2 where id = $live;"
is "$(sqlite3 "$DB" "select state from jobs where id = $live;")" running "the store says the finished job is running"
start
is $? 0 "the server starts and recovers it"
# While the new attempt writes its temporary, the output is still there as it was.
rerun() { [ -e "$TMP" ] && is_state "$live" running; }
wait_for 30 rerun
is $? 0 "the job runs again, writing its temporary"
cmp -s live.mkv "$T_TMP/live.copy" && ok "... while live.mkv is still there, byte for byte" ||
	not_ok "... while live.mkv is still there, byte for byte"
unlike "$(cat "$AURA_DATA_DIR/jobs/$live/job.log")" "removed the partial output of an earlier attempt" \
	"... it was not taken for a partial output"
wait_for 30 terminal "$live"
is "$(state_of "$live") $(field "$live" .job.attempts)" "succeeded 2" "the second attempt succeeds"
[ -s live.mkv ] && ok "... and live.mkv is there" || not_ok "... and live.mkv is there"
is "$(temps)" "" "... with no temporary left"
stop

done_testing
