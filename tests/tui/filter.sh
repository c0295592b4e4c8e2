#!/bin/sh
# tests/tui/filter.sh -- `/` narrows the list as the text is typed (name,
# output path, #id), Enter keeps it, Esc restores the previous filter; `f`
# filters by state and combines with the text; jobs created while a
# filter is on appear only when they match; j/k/G/g move the selection
# and the detail follows it.
. "$AURA_SRCDIR/tests/cli/lib.sh"
. "$AURA_SRCDIR/tests/tui/lib-tui.sh"
command -v ffmpeg >/dev/null 2>&1 || skip_all "ffmpeg is needed"

seed_golden || skip_all "cannot seed the store"

# The protocol under the filter: `list` with "text" (matched as the UI
# matches live updates) and "counts" (every state, whatever the filter).
if command -v python3 >/dev/null 2>&1 && command -v jq >/dev/null 2>&1; then
	aura ls >/dev/null 2>&1 # starts the server
	LIST=$(python3 "$AURA_SRCDIR/tests/cli/pc.py" call "$AURA_DATA_DIR/run/aura.sock" \
		'{"id":1,"method":"list","params":{"text":"N","offset":1,"limit":2,"counts":true}}' \
		'{"id":2,"method":"list","params":{"text":"#2","state":"failed"}}' |
		jq -rc '.id as $id | .result | if $id == 1
			then "\(.total) \([.jobs[].name]) \(.counts.succeeded) \(.counts.failed)"
			else "\(.total) \(has("counts"))" end')
	is "$LIST" '4 ["night-encode","broken-input"] 3 1
0 false' "list: text matches names/outputs case-insensitively, pages the matches, counts by state"
fi

tui_start 120 40
wait_screen 10 "1/5 *$" "five jobs are listed"

# the list's job rows (ids and names), rows 4..8
names() { screen | sed -n '4,20p' | sed -n 's/^ *\([0-9][0-9]*\) \([^ ]*\).*/\1 \2/p' | tr '\n' ' '; }
names_is() { [ "$(names)" = "$1" ]; }
# wait_names SECONDS WANT DESC: the rows arrive after the header changes
# (the list is fetched asynchronously), so wait for them, bounded.
wait_names() {
	if wait_for "$1" names_is "$2"; then ok "$3"; else
		not_ok "$3"; diag "got '$(names)', want '$2'"; fi
}

keys /
wait_screen 5 "Filter jobs" "/ opens the filter prompt"
text "cut"
wait_screen 5 "Jobs  filter \"cut\" .*1/1 *$" "the list narrows as the text is typed"
wait_names 5 "1 intro-cut " "only the matching job is listed"
keys Enter
wait_gone 5 "Filter jobs" "Enter keeps the filter and closes the prompt"

keys /
text "zzz"
wait_screen 5 "No job matches the filter" "a text nothing matches: an empty list that says why"
keys Escape
wait_screen 5 "Jobs  filter \"cut\" .*1/1 *$" "Esc puts the previous filter back"

# by output path and by id
keys / C-u
text "tokyo"
wait_screen 5 "1/1 *$" "the output path matches"
wait_names 5 "2 東京 " "the job writing tokyo-timelapse.mp4"
keys C-u
text "#4"
wait_screen 5 "filter \"#4\".*1/1 *$" "#ID finds a job by id"
wait_names 5 "4 night-encode " "job 4"
keys C-u Enter
wait_screen 5 "^ Jobs +2/5 *$" "clearing the text shows every job, the selection still on job 4"

# f: by state
keys f
wait_screen 5 "Show jobs in state" "f opens the state menu"
like "$(screen)" "succeeded +3" "the menu shows the count per state"
keys s
wait_screen 5 "Jobs  succeeded .*1/3 *$" "choosing succeeded narrows the list"
wait_names 5 "5 scale-down 2 東京 1 intro-cut " "the three succeeded jobs, newest first"

# text and state together
keys /
text "scale"
keys Enter
wait_screen 5 "filter \"scale\", succeeded.*1/1 *$" "text and state filters combine"

# a job created now appears only if it matches
run aura submit --name scale-again -- -v error -f lavfi -i testsrc=d=0.2:s=32x32 -f null /dev/null
NEW=$OUT
run aura submit --name other-thing -- -v error -f lavfi -i testsrc=d=0.2:s=32x32 -f null /dev/null
run aura wait "$NEW" "$OUT"
wait_screen 10 "scale-again +ffmpeg +succeeded" "a new matching job appears when it succeeds"
unlike "$(screen)" "other-thing" "a new job that does not match stays out"

keys f a
wait_screen 5 "filter \"scale\" .*[12]/2 *$" "f a: any state again, the text stays"
keys / C-u Enter
wait_screen 5 "^ Jobs +[0-9]/7 *$" "no filter: all seven jobs"

# moving: G, g, j, k; the detail follows
keys G
wait_screen 5 "7/7 *$" "G goes to the last job"
wait_screen 5 "Job #1 +intro-cut" "the detail follows the selection"
keys g
wait_screen 5 "1/7 *$" "g goes back to the first"
keys j j k
wait_screen 5 "2/7 *$" "j j k moves one down"
done_testing
