#!/bin/sh
# tests/tui/cmdline.sh -- `:` runs an aura verb on the selected job: the
# job's id is added where the verb takes it (`:priority 7` is `aura
# priority ID 7`... here `:show`, `:cancel`), an explicit id is kept, the
# message line says the exit status and the first line of output; verbs
# that take the terminal over are refused; Up brings back a line.
. "$AURA_SRCDIR/tests/cli/lib.sh"
. "$AURA_SRCDIR/tests/tui/lib-tui.sh"

seed_golden || skip_all "cannot seed the store"

tui_start 120 40
wait_screen 10 "Job #5 +scale-down" "job 5 is selected"
keys :
wait_screen 5 "aura VERB on job #5" "the prompt names the selected job"
text "show"
keys Enter
wait_screen 10 ":show 5: exit 0: .*scale-down" "the id is added; the exit status and first line show"

keys :
text "show 2"
keys Enter
wait_screen 10 ":show 2: exit 0: .*東京 timelapse" "an explicit id is kept"

keys :
text "rm 99999"
keys Enter
wait_screen 10 ":rm 99999: exit [1-9][0-9]*: .*JOB_NOT_FOUND" "a failure shows its exit status and stderr"

keys :
text "logs -f"
keys Enter
wait_screen 5 "logs -f follows for ever" "logs -f is refused"
keys Escape
keys :
text "serve"
keys Enter
wait_screen 5 "takes the terminal over" "serve is refused"
keys Escape

keys :
keys Up Up
wait_screen 5 "│ : logs -f " "Up Up brings back the line before the last"
keys Up Up Down
wait_screen 5 "│ : rm 99999 " "Up and Down walk the history"
keys Escape

# the child runs without blocking the UI: `wait` on a finished job ends,
# and the UI keeps answering keys meanwhile
keys :
text "wait 1"
keys Enter
wait_screen 10 ":wait 1: exit" "a verb that waits runs in the background and ends"

keys q
wait_screen 5 "EXIT=0" "q leaves"
done_testing
