#!/bin/sh
# tests/load/concurrent-video.sh -- scenario 2 with narrated videos (`aura
# new`, draft-480p) instead of raw jobs: three at once, all succeed. The
# make check form of LOAD_KIND=video tests/load/concurrent.sh.
# Must never: differ from concurrent.sh in anything but the job kind.
LOAD_KIND=video
export LOAD_KIND
exec sh "$(dirname "$0")/concurrent.sh"
