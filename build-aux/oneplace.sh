#!/bin/sh
# build-aux/oneplace.sh [SRCDIR] -- one runtime (doc/architecture.md), part
# of `make lint` and tests/cli/layers.sh: the program waits in one place,
# forks in one place and sets signal dispositions in one place.
#   poll() ppoll() select() epoll_wait()            only in os/loop.c
#   fork() vfork() exec*() posix_spawn*()           only in os/proc*.c
#   sigaction() sigprocmask() signalfd() signal()   only in os/sig.c
# Comments are not code: a comment on the line is dropped, and a line
# whose first non-blank is '*' or '/' is skipped. Prints each call found elsewhere; exits 1 if there is one.
set -u
SRC=${1:-src}
bad=0

check() { # WHAT REGEX ALLOWED-GLOB
	for f in "$SRC"/*/*.c "$SRC"/*/*.h; do
		[ -f "$f" ] || continue
		rel=${f#"$SRC"/}
		# shellcheck disable=SC2254
		case $rel in $3) continue ;; esac
		hits=$(sed -e 's:/\*.*\*/::g' -e 's://.*$::' "$f" | grep -nE "$2" |
			grep -vE '^[0-9]+:[[:space:]]*(\*|/)')
		[ -n "$hits" ] || continue
		printf '%s\n' "$hits" | while IFS= read -r h; do
			echo "oneplace: $rel:${h%%:*}: $1 outside $3"
		done
		bad=1
	done
}

check "a wait" '(^|[^_[:alnum:]])(poll|ppoll|select|pselect|epoll_wait)[[:space:]]*\(' 'os/loop.c'
check "a fork or exec" '(^|[^_[:alnum:]])(fork|vfork|execv|execve|execvp|execl|execlp|execle|fexecve|posix_spawn|posix_spawnp)[[:space:]]*\(' 'os/proc*.c'
check "a signal disposition or mask" '(^|[^_[:alnum:]])(sigaction|sigprocmask|pthread_sigmask|signalfd|signal)[[:space:]]*\(' 'os/sig.c'
exit $bad
