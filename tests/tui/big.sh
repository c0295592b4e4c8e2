#!/bin/sh
# tests/tui/big.sh -- 100 000 jobs in the store: the UI opens on the
# first page at once, holds and fetches only windows (a PgDn sweep of 300
# pages costs at most one fetch per page, never the whole list), G and g
# jump to either end, and the state filter counts the whole store. Times
# are measured by bench/tui.sh; here only a loose bound that a UI which
# fetched everything could not meet.
. "$AURA_SRCDIR/tests/cli/lib.sh"
. "$AURA_SRCDIR/tests/tui/lib-tui.sh"

N=100000
seed_many $N || skip_all "cannot seed the store"
is "$(sqlite3 "$AURA_DATA_DIR/aura.db" 'SELECT count(*) FROM jobs')" "$N" "100 000 jobs are seeded"

STATS="$T_TMP/stats"
tui_start 120 40 "AURA_TUI_STATS=$STATS"
wait_screen 15 " 1/100000 *$" "the UI opens on 100 000 jobs"
like "$(row 4)" "^ +100000 batch-100000 " "the newest job is first"

# 40 rows: 17 job rows. 300 PgDn in one burst.
keys -N 300 NPage
wait_screen 20 " 5101/100000 *$" "300 PgDn move 300 pages"
like "$(row 4)" "^ +94900 batch-094900 " "the page shows the rows at that depth"
keys G
wait_screen 10 " 100000/100000 *$" "G reaches the last job"
like "$(screen)" " 1 batch-000001 " "the oldest job is on screen"
keys g
wait_screen 10 " 1/100000 *$" "g goes back to the top"

keys f f
wait_screen 10 "Jobs  failed .* 1/2000 *$" "the state filter counts the whole store"
keys f a
wait_screen 10 "^ Jobs .* 1/100000 *$" "and any state again"

keys q
wait_screen 10 "^EXIT=0" "q quits"
FETCHES=$(stat_of "$STATS" fetches)
FIRST=$(stat_of "$STATS" first_frame_ms)
diag "first frame ${FIRST} ms, ${FETCHES} fetches"
like "$FETCHES" "^[0-9]+$" "the UI wrote its figures"
if [ "${FETCHES:-999}" -le 320 ]; then ok "a 300-page sweep took at most one fetch per page ($FETCHES)"
else not_ok "a 300-page sweep took at most one fetch per page ($FETCHES)"; fi
if [ "${FIRST:-99999}" -lt 3000 ]; then ok "the first frame came in ${FIRST} ms (< 3 s, a loose bound)"
else not_ok "the first frame came in ${FIRST} ms (< 3 s, a loose bound)"; fi
is "$(stat_of "$STATS" total)" "$N" "the UI knew the total without fetching it all"
done_testing
