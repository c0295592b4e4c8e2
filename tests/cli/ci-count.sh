#!/bin/sh
# tests/cli/ci-count.sh -- .ci/count.sh, how .ci/run sums the results: a
# pass is a pass; a skip is a skip; a failure, an error, an expected
# failure (XFAIL, TAP "not ok ... # TODO") and an unexpected pass (XPASS,
# "ok ... # TODO") are failures, never passes; a TAP stream without a plan
# fails; a counted step is one pass or one fail.
. "$AURA_SRCDIR/tests/cli/lib.sh"
. "$AURA_SRCDIR/.ci/count.sh"

reset() { pass=0 fail=0 skip=0 rc=0 failed=""; }
sums() { echo "$pass passed, $fail failed, $skip skipped"; }

# a .trs (and its .log) as the automake harness writes them
trs() { # NAME RESULT...
	local name=$1 r; shift
	mkdir -p "$T_TMP/trs"
	: >"$T_TMP/trs/$name.trs"
	for r in "$@"; do echo ":test-result: $r" >>"$T_TMP/trs/$name.trs"; done
	echo ":global-test-result: PASS" >>"$T_TMP/trs/$name.trs"
	echo "not ok 1 - $name fails # TODO" >"$T_TMP/trs/$name.log"
}
count_dir() { # RESULT... -- count one .trs holding these results
	rm -rf "$T_TMP/trs"; trs one "$@"; reset
	count_trs "$T_TMP/trs" >"$T_TMP/out" 2>&1
}

count_dir PASS PASS SKIP
is "$(sums)" "2 passed, 0 failed, 1 skipped" "trs: passes and a skip"
is "$failed" "" "... nothing listed as failed"
count_dir PASS XFAIL
is "$(sums)" "1 passed, 1 failed, 0 skipped" "trs: an XFAIL is a failure, not a pass"
like "$failed" "one" "... and is listed as failed"
like "$(cat "$T_TMP/out")" "=== .*one.log" "... with its log shown"
count_dir PASS XPASS
is "$(sums)" "1 passed, 1 failed, 0 skipped" "trs: an XPASS is a failure"
count_dir FAIL ERROR PASS
is "$(sums)" "1 passed, 2 failed, 0 skipped" "trs: FAIL and ERROR are failures"

rm -rf "$T_TMP/trs"; trs a PASS PASS; trs b SKIP XFAIL; mkdir -p "$T_TMP/trs/sub"
trs sub/c PASS FAIL; reset
count_trs "$T_TMP/trs" >"$T_TMP/out" 2>&1
is "$(sums)" "3 passed, 2 failed, 1 skipped" "trs: summed over every file below the directory"

tap() { # LINE... -- count a TAP stream of these lines
	printf '%s\n' "$@" >"$T_TMP/tap"; reset
	count_tap "$T_TMP/tap" >"$T_TMP/out" 2>&1
}
tap "1..3" "ok 1 - a" "ok 2 - b" "ok 3 - c"
is "$(sums)" "3 passed, 0 failed, 0 skipped" "tap: passes"
tap "1..4" "ok 1 - a" "ok 2 - b # SKIP no x" "ok 3 # skip" "not ok 4 - c"
is "$(sums)" "1 passed, 1 failed, 2 skipped" "tap: SKIP in either case; not ok fails"
tap "1..2" "ok 1 - a" "not ok 2 - b # TODO later"
is "$(sums)" "1 passed, 1 failed, 0 skipped" "tap: not ok with a TODO directive is a failure"
like "$failed" "not ok 2 - b # TODO" "... listed as failed"
tap "1..2" "ok 1 - a" "ok 2 - b # todo later"
is "$(sums)" "1 passed, 1 failed, 0 skipped" "tap: ok with a TODO directive is no pass"
like "$failed" "ok 2 - b # todo" "... listed as failed"
tap "ok 1 - a" "ok 2 - b"
is "$(sums)" "2 passed, 1 failed, 0 skipped" "tap: a stream without a plan fails once"
tap "1..0 # SKIP no valgrind"
is "$(sums)" "0 passed, 0 failed, 1 skipped" "tap: a skipped script is one skip"

reset
count_step "good step" "$T_TMP/step.log" true
is "$(sums) rc=$rc" "1 passed, 0 failed, 0 skipped rc=0" "step: success is one pass"
count_step "bad step" "$T_TMP/step.log" sh -c 'echo lint: banned call; exit 2' >"$T_TMP/out"
is "$(sums) rc=$rc" "1 passed, 1 failed, 0 skipped rc=1" "step: failure is one fail"
like "$(cat "$T_TMP/out")" "lint: banned call" "... its output shown"
like "$failed" "bad step" "... and listed as failed"

done_testing
