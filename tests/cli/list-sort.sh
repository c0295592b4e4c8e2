#!/bin/sh
# list-sort.sh -- `list` sorted by the server (doc/protocol.md: "sort",
# "desc"): over the whole store, not a window of it (2,500 jobs, more than
# a TUI page plus the 1,000 rows it used to sort itself), offset paging
# stable (every job once), the state and text filters sorted too, the
# default order unchanged, an unknown column refused with a clear error.
. "$AURA_SRCDIR/tests/cli/lib.sh"

command -v jq >/dev/null 2>&1 || skip_all "jq is not installed (./bootstrap installs it)"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
command -v sqlite3 >/dev/null 2>&1 || skip_all "sqlite3 is not installed"

SOCK="$AURA_DATA_DIR/run/aura.sock"
DB="$AURA_DATA_DIR/aura.db"
N=2500
raw() { python3 "$AURA_SRCDIR/tests/cli/pc.py" req-py "$SOCK" "$1" "$2"; } # METHOD PARAMS-PY

# Seed with no server running: job 1 (the oldest) has the first name of
# all; the others' names repeat (ties: newest first); states cycle.
aura ls >/dev/null 2>&1 || { not_ok "the store is created"; done_testing; }
stop || not_ok "the server stops for the seeding"
now=$(($(date +%s) * 1000))
sqlite3 "$DB" "
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO jobs (kind, name, state, spec, created_ms, updated_ms)
SELECT 'ffmpeg', CASE i WHEN 1 THEN 'Aardvark' ELSE 'job-' || (i % 97) END,
  CASE i % 3 WHEN 0 THEN 'succeeded' WHEN 1 THEN 'failed' ELSE 'cancelled' END,
  '{\"argv\":[\"-version\"],\"cwd\":\"/\"}', $now - ($N - i) * 1000, $now FROM n;" ||
	not_ok "the store is seeded"
start || not_ok "the server starts again"

names() { jq -r '[.result.jobs[].name] | join(" ")'; }
ids() { jq -r '.result.jobs[].id'; }

ANS=$(raw list '{"limit": 3}')
is "$(printf '%s' "$ANS" | ids | tr '\n' ' ')" "$N $((N - 1)) $((N - 2)) " "the default order is still id, newest first"
ANS=$(raw list '{"limit": 3, "sort": "id", "desc": True}')
is "$(printf '%s' "$ANS" | ids | tr '\n' ' ')" "$N $((N - 1)) $((N - 2)) " "sort id downwards is the same"
ANS=$(raw list '{"limit": 2, "sort": "id"}')
is "$(printf '%s' "$ANS" | ids | tr '\n' ' ')" "1 2 " "sort id upwards: the oldest first"

ANS=$(raw list '{"limit": 2, "sort": "name"}')
is "$(printf '%s' "$ANS" | names)" "Aardvark job-0" "sort by name: the first name of the whole store on top (the oldest job's)"
is "$(printf '%s' "$ANS" | jq -r .result.total)" "$N" "...and the total is the whole list"
ANS=$(raw list '{"limit": 1, "sort": "name", "desc": True}')
is "$(printf '%s' "$ANS" | names)" "job-96" "sort by name downwards: the last name on top"
ANS=$(raw list '{"limit": 3, "offset": 1, "sort": "name"}')
is "$(printf '%s' "$ANS" | ids | tr '\n' ' ')" "2425 2328 2231 " "equal names: the newest first"

# Paging: 250 at a time, every job exactly once, in order.
: >"$T_TMP/paged"
off=0
while [ $off -lt $N ]; do
	raw list "{\"offset\": $off, \"limit\": 250, \"sort\": \"name\"}" |
		jq -r '.result.jobs[] | "\(.id) \(.name)"' >>"$T_TMP/paged"
	off=$((off + 250))
done
is "$(wc -l <"$T_TMP/paged" | tr -d ' ')" "$N" "paging by name lists $N jobs"
is "$(cut -d' ' -f1 "$T_TMP/paged" | sort -u | wc -l | tr -d ' ')" "$N" "...each once"
# the names must be in order (case-insensitively), ties newest first
SORTED=$(awk '{print tolower($2), $1}' "$T_TMP/paged" | sort -k1,1 -k2,2nr -s | awk '{print $2}' | tr '\n' ' ')
is "$(cut -d' ' -f1 "$T_TMP/paged" | tr '\n' ' ')" "$SORTED" "...in name order, equal names newest first"

ANS=$(raw list '{"limit": 2, "sort": "state", "state": "failed"}')
is "$(printf '%s' "$ANS" | jq -r '[.result.jobs[].state] | join(" ")') $(printf '%s' "$ANS" | jq -r .result.total)" \
	"failed failed $(( (N + 2) / 3 ))" "sorted with a state filter: only that state, its total"
ANS=$(raw list '{"limit": 2, "sort": "state"}')
is "$(printf '%s' "$ANS" | jq -r '[.result.jobs[].state] | join(" ")')" "succeeded succeeded" "sort by state: in the states' order (succeeded before failed)"
ANS=$(raw list '{"limit": 2, "sort": "name", "text": "job-1"}')
is "$(printf '%s' "$ANS" | names)" "job-1 job-1" "sorted with a text filter"
ANS=$(raw list '{"limit": 2, "offset": 30, "sort": "name", "text": "job-1"}')
is "$(printf '%s' "$ANS" | names)" "job-10 job-10" "...and its pages in that order too"
ANS=$(raw list '{"limit": 1, "sort": "created"}')
is "$(printf '%s' "$ANS" | ids)" "1" "sort by created: the oldest first"
ANS=$(raw list '{"limit": 1, "sort": "age"}')
is "$(printf '%s' "$ANS" | ids)" "$N" "sort by age: the youngest first"
for col in kind stage progress eta; do
	ANS=$(raw list "{\"limit\": 5, \"sort\": \"$col\", \"desc\": True}")
	is "$(printf '%s' "$ANS" | jq -r '.result.jobs | length')" 5 "sort by $col answers"
done

# "locate": where a job stands ("at", counted in SQL), checked against
# the order the pages give, for several sorts and both directions.
order() { # PARAMS (python, without the braces) -> every id in order, one a line
	o=0
	: >"$T_TMP/order"
	while :; do
		raw list "{$1, \"offset\": $o, \"limit\": 500}" | ids >"$T_TMP/page"
		[ -s "$T_TMP/page" ] || break
		cat "$T_TMP/page" >>"$T_TMP/order"
		o=$((o + 500))
	done
}
pos() { awk -v id="$1" '$1 == id { print NR - 1; f = 1 } END { if (!f) print "null" }' "$T_TMP/order"; }
at() { raw list "{$1, \"locate\": $2, \"limit\": 10}" | jq -r .result.at; }
for p in '"sort": "name"' '"sort": "name", "desc": True' '"sort": "state"' \
	'"sort": "state", "desc": True' '"sort": "eta", "desc": True' '"sort": "created"' \
	'"sort": "id"' '"sort": "progress"' '"sort": "kind", "desc": True' \
	'"sort": "name", "state": "failed"' '"sort": "name", "desc": True, "text": "job-1"' \
	'"sort": "state", "text": "job-2", "state": "cancelled"'; do
	order "$p"
	got="" want=""
	for id in 1 2 97 1234 2424 $N; do
		got="$got $(at "$p" $id)"
		want="$want $(pos $id)"
	done
	is "$got" "$want" "locate: \"at\" is each job's place in the list ($p)"
done
like "$want" "null" "...and null for a job the filters leave out"
order '"sort": "name"'
ANS=$(raw list '{"sort": "name", "locate": 1234, "limit": 10}')
is "$(printf '%s' "$ANS" | jq -r '.result.offset + 5 == .result.at')" true "locate without offset: the window is around the job"
is "$(printf '%s' "$ANS" | ids | tr '\n' ' ')" "$(sed -n "$(($(pos 1234) - 4)),$(($(pos 1234) + 5))p" "$T_TMP/order" | tr '\n' ' ')" \
	"...and is that part of the list, the job in it"
ANS=$(raw list '{"sort": "name", "locate": 1, "limit": 10}')
is "$(printf '%s' "$ANS" | jq -r '"\(.result.at) \(.result.offset) \(.result.jobs[0].id)"')" "0 0 1" "...no further than the top"
ANS=$(raw list "{\"sort\": \"name\", \"locate\": $(tail -n 1 "$T_TMP/order"), \"limit\": 10}")
is "$(printf '%s' "$ANS" | jq -r '"\(.result.at) \(.result.offset) \(.result.jobs | length)"')" "$((N - 1)) $((N - 10)) 10" "...nor the end"
ANS=$(raw list '{"sort": "name", "locate": 1234, "offset": 20, "limit": 10}')
is "$(printf '%s' "$ANS" | jq -r '"\(.result.at) \(.result.offset)"')" "$(pos 1234) 20" "an offset given is kept"
ANS=$(raw list '{"sort": "name", "locate": 1, "state": "succeeded", "limit": 10}')
is "$(printf '%s' "$ANS" | jq -r '"\(.result.at) \(.result.offset)"')" "null 0" "a job not in the list: null, the top"
ANS=$(raw list '{"locate": 99999, "limit": 3}')
is "$(printf '%s' "$ANS" | jq -r '"\(.result.at) \(.result.jobs[0].id)"')" "null $N" "...and so for no such job"
ANS=$(raw list '{"locate": "1"}')
is "$(printf '%s' "$ANS" | jq -r .error.code)" PROTO_BAD_REQUEST "a locate that is not an id is refused"
ANS=$(raw list '{"locate": 1, "batch_id": 1}')
like "$(printf '%s' "$ANS" | jq -r .error.detail)" "does not apply to a batch" "...and so is a locate in a batch's list"

ANS=$(raw list '{"sort": "name; DROP TABLE jobs"}')
is "$(printf '%s' "$ANS" | jq -r .error.code)" PROTO_BAD_REQUEST "an unknown sort column is refused"
like "$(printf '%s' "$ANS" | jq -r .error.detail)" "unknown sort column 'name; DROP TABLE jobs' \\(one of: id, name," "...saying which columns there are"
ANS=$(raw list '{"sort": 3}')
is "$(printf '%s' "$ANS" | jq -r .error.code)" PROTO_BAD_REQUEST "a sort that is not a string is refused"
ANS=$(raw list '{"sort": "name", "desc": "yes"}')
is "$(printf '%s' "$ANS" | jq -r .error.code)" PROTO_BAD_REQUEST "a desc that is not a boolean is refused"
ANS=$(raw list '{"sort": "name", "batch_id": 1}')
like "$(printf '%s' "$ANS" | jq -r .error.detail)" "does not apply to a batch" "a sorted batch list is refused, saying why"
is "$(sqlite3 "$DB" 'SELECT count(*) FROM jobs')" "$N" "the jobs are all still there"

done_testing
