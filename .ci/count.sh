# .ci/count.sh -- sourced by .ci/run (and by tests/cli/ci-count.sh): sum test
# results into the caller's pass, fail and skip; append what failed to
# $failed. POSIX sh, so make check can test it under /bin/sh.
#
# An expected failure is never a pass. TAP's "# TODO" marks a test that is
# known not to work yet; automake records "not ok # TODO" as XFAIL and
# "ok # TODO" as XPASS, and `make check` exits 0 on both. CI counts both as
# failures: "N passed" must mean N checks that hold, and a TODO left in the
# tree -- failing or suddenly passing -- is something to look at, not a
# green result.

# Sum the TAP results the automake harness recorded under DIR, test case by
# test case; print the logs of the failures.
count_trs() {
	local dir f p s x
	dir=$1
	for f in $(find "$dir" -name '*.trs' | sort); do
		p=$(grep -c '^:test-result: PASS' "$f")
		s=$(grep -c '^:test-result: SKIP' "$f")
		x=$(grep -c '^:test-result: \(FAIL\|XFAIL\|XPASS\|ERROR\)' "$f")
		pass=$((pass + p)); fail=$((fail + x)); skip=$((skip + s))
		if [ "$x" -gt 0 ]; then
			echo "=== ${f%.trs}.log"; tail -40 "${f%.trs}.log"
			failed="$failed
${f%.trs}: $(grep -iE '^(not ok|ERROR)|^ok .*# *TODO' "${f%.trs}.log" | head -5 | tr '\n' ' ')"
		fi
	done
}

# Sum a TAP stream in FILE (a script run outside the harness). TAP
# directives are case-insensitive ("# SKIP", "# skip"). A missing plan is
# one failure more unless a test already failed.
count_tap() {
	local n s t x
	n=$(grep -cE '^ok [0-9]+' "$1")
	s=$(grep -ciE '^ok [0-9]+.*#[[:space:]]*SKIP' "$1")
	t=$(grep -ciE '^ok [0-9]+.*#[[:space:]]*TODO' "$1")
	x=$(grep -cE '^not ok [0-9]+' "$1")
	x=$((x + t))
	pass=$((pass + n - s - t)); fail=$((fail + x)); skip=$((skip + s))
	if [ "$x" -gt 0 ] || ! grep -qE '^1\.\.[0-9]+' "$1"; then
		echo "=== $1"; tail -40 "$1"; [ "$x" -gt 0 ] || fail=$((fail + 1))
		failed="$failed
$1: $(grep -iE '^not ok|^ok .*# *TODO' "$1" | head -5 | tr '\n' ' ')"
	fi
	if grep -qiE '^1\.\.0[[:space:]]*#[[:space:]]*SKIP' "$1"; then skip=$((skip + 1)); fi
}

# count_step NAME LOG CMD...: run CMD as one counted step, its output in
# LOG: one pass, or one fail (rc=1, the end of LOG shown, NAME listed).
count_step() {
	local name log
	name=$1 log=$2; shift 2
	if "$@" >"$log" 2>&1; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1)); rc=1
		echo "=== $name failed"; tail -60 "$log"
		failed="$failed
$name (log: $log)"
	fi
}
