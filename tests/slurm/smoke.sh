#!/bin/sh
# tests/slurm/smoke.sh -- the private test cluster (tests/slurm/cluster.sh)
# comes up, runs FFmpeg through srun with its progress arriving live, forwards
# `q` on stdin, cancels, pauses a step (SIGSTOP), takes its node down and back,
# and leaves no daemon behind. These are the facts the Slurm executor relies
# on (doc/cluster.md). Never skipped: no cluster is a failure.
. "$AURA_SRCDIR/tests/cli/lib.sh"
. "$AURA_SRCDIR/tests/slurm/cluster.sh"
trap 'slurm_down; t_cleanup' EXIT

D="$T_TMP/slurm"
t0=$(date +%s%N)
if slurm_up "$D"; then ok "private cluster is up (node idle)"; diag "up in $((($(date +%s%N) - t0) / 1000000)) ms"; else
	not_ok "private cluster is up (see the logs above)"
	done_testing
	exit 1
fi
is "$(sinfo -h -o '%P %a %D %T %N')" "debug* up 1 idle $SLURM_NODE" "sinfo: one idle node in partition debug"

# job_running: the id of our one RUNNING job (empty if none).
job_running() { squeue --me -h -t RUNNING -o %i | head -n 1; }
has_job() { [ -n "$(job_running)" ]; }
# proc_state PID: the one-letter state from /proc (R, S, T, Z...).
proc_state() { sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null; }
is_pstate() { [ "$(proc_state "$1")" = "$2" ]; }
gone() { ! slurm_running "$1"; }

# --- progress arrives on srun's stdout while the step still runs. The reader
# marks each line it has read; the writer side records, once srun exited,
# whether a progress= line had been read by then (3 s of -re input: the first
# comes after ~0.5 s). Buffered-until-exit output would say "late".
{
	srun -n1 ffmpeg -nostdin -re -f lavfi -i testsrc=d=3:s=320x240 -f null - \
		-progress pipe:1 -nostats 2>"$T_TMP/ff1.err"
	echo $? >"$T_TMP/ff1.rc"
	if [ -e "$T_TMP/seen" ]; then echo live; else echo late; fi >"$T_TMP/ff1.when"
} | while IFS= read -r l; do
	printf '%s\n' "$l"
	case $l in progress=*) [ -e "$T_TMP/seen" ] || : >"$T_TMP/seen" ;; esac
done >"$T_TMP/ff1.out"
is "$(cat "$T_TMP/ff1.rc")" 0 "srun ffmpeg exits 0"
like "$(cat "$T_TMP/ff1.out")" '^out_time_us=[0-9]+' "out_time_us= lines on srun's stdout"
is "$(tail -n 1 "$T_TMP/ff1.out")" "progress=end" "the last line is progress=end"
is "$(cat "$T_TMP/ff1.when")" live "the first progress= line was read before srun exited"
is "$(squeue --me -h)" "" "squeue --me is empty after the step"

# --- `q` written to srun's stdin reaches FFmpeg, which finalises and exits 0.
# Causal, not timed: the reader writes q only once the first progress= line
# came, and the input is 60 s long at -re, so ffmpeg ends early only through
# that q (and only if progress arrives live); timeout bounds the failure.
mkfifo "$T_TMP/in"
exec 3<>"$T_TMP/in"
{
	timeout 40 srun -n1 ffmpeg -hide_banner -re -f lavfi -i testsrc=d=60:s=320x240 \
		-c:v mpeg4 -y "$T_TMP/q.mp4" -progress pipe:1 -nostats <"$T_TMP/in" 2>"$T_TMP/ff2.err"
	echo $? >"$T_TMP/ff2.rc"
} |
	while IFS= read -r l; do
		printf '%s\n' "$l"
		case $l in progress=*) [ -e "$T_TMP/sentq" ] || { echo q >&3; : >"$T_TMP/sentq"; } ;; esac
	done >"$T_TMP/ff2.out"
exec 3>&-
is "$(cat "$T_TMP/ff2.rc")" 0 "q on srun's stdin: srun ffmpeg exits 0 (stdin still open)"
is "$(tail -n 1 "$T_TMP/ff2.out")" "progress=end" "q on srun's stdin: ffmpeg finalises (progress=end)"
t=$(sed -n 's/^out_time_us=//p' "$T_TMP/ff2.out" | tail -n 1)
ok_early=no
[ -n "$t" ] && [ "$t" -lt 30000000 ] && ok_early=yes
is "$ok_early" yes "q ended the 60 s input early (at ${t:-?} us)"
dur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$T_TMP/q.mp4" 2>&1)
like "$dur" '^[0-9]+\.[0-9]+$' "the file ffmpeg finalised after q is readable (duration $dur)"
is "$(squeue --me -h)" "" "squeue --me is empty after the q step"

# --- a running step: SIGSTOP through scancel pauses the remote ffmpeg, SIGCONT
# resumes it, scancel of the job ends srun.
srun -n1 ffmpeg -nostdin -hide_banner -re -f lavfi -i testsrc=d=60:s=320x240 -f null - \
	>"$T_TMP/ff3.out" 2>"$T_TMP/ff3.err" &
SRUN=$!
wait_for 20 has_job
J=$(job_running)
like "$J" '^[0-9]+$' "a long srun step is RUNNING (job ${J:-none})"
ffpid() { scontrol listpids "$J.0" 2>/dev/null | awk 'NR > 1 && $1 ~ /^[0-9]+$/ { print $1 }' |
	while read -r p; do [ "$(cat "/proc/$p/comm" 2>/dev/null)" = ffmpeg ] && echo "$p"; done | head -n 1; }
has_ffpid() { [ -n "$(ffpid)" ]; }
wait_for 20 has_ffpid
F=$(ffpid)
like "$F" '^[0-9]+$' "scontrol listpids finds the step's ffmpeg (pid ${F:-none})"
scancel --signal=STOP "$J.0"
if wait_for 10 is_pstate "$F" T; then ok "scancel --signal=STOP pauses the remote ffmpeg"; else
	not_ok "scancel --signal=STOP pauses the remote ffmpeg"; diag "state $(proc_state "$F")"; fi
scancel --signal=CONT "$J.0"
not_stopped() { ! is_pstate "$1" T; }
if wait_for 10 not_stopped "$F"; then ok "scancel --signal=CONT resumes it"; else
	not_ok "scancel --signal=CONT resumes it"; diag "state $(proc_state "$F")"; fi
scancel "$J"
if wait_for 20 gone "$SRUN"; then ok "scancel ends srun"; else not_ok "scancel ends srun"; fi
wait "$SRUN"
rc=$?
if [ "$rc" -ne 0 ]; then ok "srun of a cancelled job exits non-zero ($rc)"; else
	not_ok "srun of a cancelled job exits non-zero (0)"; fi
if wait_for 20 gone "$F"; then ok "the remote ffmpeg is gone"; else not_ok "the remote ffmpeg is gone"; fi
empty_queue() { [ -z "$(squeue --me -h)" ]; }
wait_for 20 empty_queue
is "$(squeue --me -h)" "" "squeue --me is empty after scancel"

# --- node down and back.
node_is() { case $(slurm_state) in "$1"*) return 0 ;; esac; return 1; }
slurm_node_down "smoke test"
if wait_for 10 node_is down; then ok "slurm_node_down: node down"; else
	not_ok "slurm_node_down: node down"; diag "state $(slurm_state)"; fi
like "$(sinfo -h -R -o '%E')" 'smoke test' "sinfo -R shows the reason"
slurm_node_up
if wait_for 10 node_is idle; then ok "slurm_node_up: node idle again"; else
	not_ok "slurm_node_up: node idle again"; diag "state $(slurm_state)"; fi
is "$(srun -n1 echo back)" back "a step runs after resume"

# --- teardown (munged -F logs to its stderr, munged.out): nothing of ours is left running (zombie slurmstepds under a
# non-reaping pid 1 do not count: they are not running).
slurm_down
is $? 0 "slurm_down stops the daemons"
is "$(slurm_leftovers | tr '\n' ' ')" "" "no munged/slurmctld/slurmd/slurmstepd of ours is left"
for f in slurmctld.log slurmd.log munged.out; do
	if [ -s "$D/$f" ]; then ok "$f kept for the caller"; else not_ok "$f kept for the caller"; fi
done

done_testing
