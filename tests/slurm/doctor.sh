#!/bin/sh
# tests/slurm/doctor.sh -- `aura doctor` against a private Slurm
# (tests/slurm/cluster.sh): a good Slurm pool passes its programs, partition
# and probe checks; a partition that does not exist, an srun that is not
# there, a node that cannot see the data directory and an FFmpeg on the node
# that lacks a filter each fail, naming what is missing. The node that
# cannot see the data directory is real: slurmd (and so every step it
# starts) runs in a private mount namespace with a tmpfs over the directory
# that holds that data directory. Never skipped: no cluster is a failure.
. "$AURA_SRCDIR/tests/cli/lib.sh"
. "$AURA_SRCDIR/tests/slurm/cluster.sh"
trap 'slurm_down; t_cleanup' EXIT

if slurm_up "$T_TMP/slurm"; then ok "private cluster is up"; else
	not_ok "private cluster is up (see the logs above)"
	done_testing
	exit 1
fi

# conf NAME [KEY = VALUE...]: an aura.ini with one Slurm pool "farm".
conf() {
	f="$T_TMP/$1.ini"
	shift
	{
		printf '[pool farm]\nexecutor = slurm\nmax_jobs = 2\n'
		for kv in "$@"; do printf '%s\n' "$kv"; done
	} >"$f"
	echo "$f"
}
# check NAME: the JSON object of doctor's check NAME in $T_TMP/out.json.
check() { jq -c --arg n "$1" '.checks[] | select(.name == $n)' "$T_TMP/out.json"; }
field() { check "$1" | jq -r ".$2 // \"\""; }
doctor_json() { aura -c "$1" doctor --json >"$T_TMP/out.json" 2>"$T_TMP/err"; }
no_probe_left() { ! ls -A "$AURA_DATA_DIR" 2>/dev/null | grep -q '^\.doctor-probe'; }
empty_queue() { [ -z "$(squeue -h)" ]; }

# --- a good pool (partition debug): every check passes.
GOOD=$(conf good 'partition = debug')
doctor_json "$GOOD"
is "$?" 0 "doctor with a good Slurm pool exits 0"
is "$(jq -r .ok "$T_TMP/out.json")" true "  and says ok"
is "$(field pool:local value)" "executor local, max_jobs 2" "the local pool: executor and max_jobs"
like "$(field pool:farm value)" '^executor slurm, max_jobs 2' "the Slurm pool: executor and max_jobs"
is "$(field pool:farm:programs status)" ok "srun, squeue, scancel, sinfo found"
like "$(field pool:farm:programs value)" '/srun, .*/squeue, .*/scancel, .*/sinfo$' "  each named"
is "$(field pool:farm:partition status)" ok "partition debug exists"
is "$(field pool:farm:partition value)" "debug (sinfo lists: debug)" "  with what sinfo lists"
is "$(field pool:farm:probe status)" ok "the probe step read the file and found every filter"
like "$(field pool:farm:probe value)" "read a file in $AURA_DATA_DIR" "  its value says where"
if no_probe_left; then ok "the probe file is removed"; else not_ok "the probe file is removed"; fi
is "$(squeue -h)" "" "no Slurm job is left"

# --- no partition: the cluster's default (sinfo's 'debug*').
doctor_json "$(conf default)"
is "$(field pool:farm:partition value)" "the cluster's default, debug (sinfo lists: debug)" \
	"no partition key: the cluster's default one"
is "$(field pool:farm:probe status)" ok "  and the probe runs there"

# --- human output of a good pool.
OUT=$(aura -c "$GOOD" doctor 2>&1)
like "$OUT" '  ok    pool:farm:probe' "the human report has the probe line"

# --- partition = nosuch.
doctor_json "$(conf nosuch 'partition = nosuch')"
rc=$?
is "$rc" 3 "a pool with partition = nosuch fails doctor (exit 3)"
is "$(field pool:farm:partition status)" fail "  the partition check fails"
is "$(field pool:farm:partition code)" SLURM_PARTITION_UNKNOWN "  with SLURM_PARTITION_UNKNOWN"
is "$(field pool:farm:partition detail)" "partition 'nosuch' does not exist (sinfo lists: debug)" \
	"  naming the partition and what sinfo lists"
like "$(field pool:farm:probe detail)" "^not run" "  the probe is not run"
is "$(jq -r .ok "$T_TMP/out.json")" false "  ok is false"
OUT=$(aura -c "$T_TMP/nosuch.ini" doctor 2>&1)
like "$OUT" "FAIL  pool:farm:partition +partition 'nosuch' does not exist \(sinfo lists: debug\)" \
	"  the human report says so"
like "$OUT" "SLURM_PARTITION_UNKNOWN: the pool's Slurm partition does not exist" "  and explains the code"

# --- srun = /nonexistent.
doctor_json "$(conf nosrun 'srun = /nonexistent')"
is "$?" 3 "a pool with srun = /nonexistent fails doctor (exit 3)"
is "$(field pool:farm:programs code)" SLURM_NOT_FOUND "  with SLURM_NOT_FOUND"
is "$(field pool:farm:programs detail)" \
	"srun /nonexistent not found (install slurm-client, or correct [pool farm] srun)" "  naming it"

# --- the node's FFmpeg lacks a filter: an FFmpeg (real, but its -filters
# listing leaves drawtext out) that the step runs on the node.
FF=$(command -v ffmpeg)
cat >"$T_TMP/ff-nodrawtext" <<SH
#!/bin/sh
case " \$* " in *" -filters "*) "$FF" "\$@" | grep -v ' drawtext '; exit 0 ;; esac
exec "$FF" "\$@"
SH
chmod +x "$T_TMP/ff-nodrawtext"
AURA_FFMPEG="$T_TMP/ff-nodrawtext" doctor_json "$GOOD"
is "$(field pool:farm:probe code)" FFMPEG_MISSING_FILTER "an FFmpeg without drawtext on the node fails the probe"
is "$(field pool:farm:probe detail)" "ffmpeg on the nodes lacks: drawtext" "  naming the filter"

# --- the nodes cannot read the data directory. slurmd is restarted in a
# mount namespace of its own where $T_TMP/hidden is an empty tmpfs: its steps
# see no data directory there, although the server side (this shell) does.
mkdir -p "$T_TMP/hidden"
slurm_stop slurmd
unshare -m --propagation private sh -c 'mount -t tmpfs aura-hidden "$1" && exec slurmd -D' \
	sh "$T_TMP/hidden" </dev/null >"$SLURM_DIR/slurmd2.out" 2>&1 &
echo $! >"$SLURM_DIR/slurmd.pid"
node_idle() { [ "$(slurm_state)" = idle ]; }
if wait_for 30 node_idle; then ok "slurmd restarted in a private mount namespace"; else
	not_ok "slurmd restarted in a private mount namespace"; diag "$(cat "$SLURM_DIR/slurmd2.out")"; fi
HIDDEN="$T_TMP/hidden/data"
AURA_DATA_DIR=$HIDDEN doctor_json "$GOOD"
is "$?" 3 "a data directory the nodes cannot see fails doctor (exit 3)"
is "$(field data-dir status)" ok "  (it is fine on the server's side)"
is "$(field pool:farm:probe code)" SLURM_NOT_SHARED "  the probe fails with SLURM_NOT_SHARED"
like "$(field pool:farm:probe detail)" \
	"^the nodes cannot read $HIDDEN \(a shared filesystem is needed: doc/cluster.md\)" "  naming the directory"
if AURA_DATA_DIR=$HIDDEN no_probe_left; then ok "  the probe file is removed"; else not_ok "  the probe file is removed"; fi
# and the same namespace with the visible data directory still passes
doctor_json "$GOOD"
is "$(field pool:farm:probe status)" ok "the data directory outside the hidden one still passes"

wait_for 20 empty_queue
is "$(squeue -h)" "" "no Slurm job is left"
slurm_down
is "$(slurm_leftovers | tr '\n' ' ')" "" "no daemon of ours is left"
done_testing
