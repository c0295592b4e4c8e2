#!/bin/sh
# build-aux/oneplace.sh [SRCDIR] -- one runtime (doc/architecture.md), part
# of `make lint` and tests/cli/layers.sh: the program waits in one place,
# forks in one place and sets signal dispositions in one place.
#   poll() ppoll() select() epoll_wait()            only in os/loop.c
#   fork() vfork() exec*() posix_spawn*()           only in os/proc*.c
#   sigaction() sigprocmask() signalfd() signal()   only in os/sig.c
# Comments are not code: a comment on the line is dropped, and a line
# whose first non-blank is '*' or '/' is skipped. Prints each call found
# elsewhere; exits 1 if there is one. One awk over every file.
set -u
SRC=${1:-src}
# shellcheck disable=SC2046
set -- $(for f in "$SRC"/*/*.c "$SRC"/*/*.h; do [ -f "$f" ] && printf '%s\n' "$f"; done)
[ $# -gt 0 ] || exit 0
awk -v src="$SRC/" '
BEGIN {
	n = 0
	what[++n] = "a wait"; glob[n] = "os/loop.c"; only[n] = "^os/loop\\.c$"
	re[n] = "(^|[^_[:alnum:]])(poll|ppoll|select|pselect|epoll_wait)[[:space:]]*\\("
	what[++n] = "a fork or exec"; glob[n] = "os/proc*.c"; only[n] = "^os/proc.*\\.c$"
	re[n] = "(^|[^_[:alnum:]])(fork|vfork|execv|execve|execvp|execl|execlp|execle|fexecve|posix_spawn|posix_spawnp)[[:space:]]*\\("
	what[++n] = "a signal disposition or mask"; glob[n] = "os/sig.c"; only[n] = "^os/sig\\.c$"
	re[n] = "(^|[^_[:alnum:]])(sigaction|sigprocmask|pthread_sigmask|signalfd|signal)[[:space:]]*\\("
}
FNR == 1 { rel = substr(FILENAME, length(src) + 1) }
{
	line = $0
	gsub(/\/\*.*\*\//, "", line)
	sub(/\/\/.*$/, "", line)
	if (line ~ /^[[:space:]]*(\*|\/)/)
		next
	for (i = 1; i <= n; i++)
		if (rel !~ only[i] && line ~ re[i])
			hit[i] = hit[i] "oneplace: " rel ":" FNR ": " what[i] " outside " glob[i] "\n"
}
END {
	# grouped by check, as the three passes of the shell version printed them
	for (i = 1; i <= n; i++)
		if (hit[i] != "") { printf "%s", hit[i]; bad = 1 }
	exit bad
}' "$@"
