# contrib/completions/aura.bash -- bash completion for aura, installed as
# $(datadir)/bash-completion/completions/aura. Every candidate comes from
# the binary at run time (`aura complete`, a hidden verb: doc/cli.md), so a
# new verb or option needs nothing here. Job ids come from a running
# server only: completing never starts one.

_aura()
{
	local aura=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]} prev= verb= vi=0 i=1 w out
	local -a g=()
	[ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
	# --state=ru: bash splits at '=' (COMP_WORDBREAKS): "--state" "=" "ru"
	if [ "$cur" = "=" ]; then
		cur= prev=${COMP_WORDS[COMP_CWORD - 1]}
	elif [ "$prev" = "=" ] && [ "$COMP_CWORD" -gt 1 ]; then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi
	# the global options before the verb go along (-c FILE, --data-dir DIR)
	while [ "$i" -lt "$COMP_CWORD" ]; do
		w=${COMP_WORDS[i]}
		case $w in
		-c | --config | --data-dir)
			g+=("$w" "${COMP_WORDS[i + 1]}")
			i=$((i + 2))
			continue
			;;
		--config=* | --data-dir=*) g+=("$w") ;;
		-*) ;;
		*)
			verb=$w vi=$i
			break
			;;
		esac
		i=$((i + 1))
	done
	COMPREPLY=()

	if [ -z "$verb" ]; then
		case $prev in
		-c | --config)
			COMPREPLY=($(compgen -f -- "$cur"))
			return
			;;
		--data-dir)
			COMPREPLY=($(compgen -d -- "$cur"))
			return
			;;
		esac
		case $cur in
		-*) out=$("$aura" complete options 2>/dev/null) ;;
		*) out=$("$aura" "${g[@]}" complete verbs 2>/dev/null) ;;
		esac
		COMPREPLY=($(compgen -W "$out" -- "$cur"))
		return
	fi

	# the value of the option before: its candidates, or a file name
	if [ "$COMP_CWORD" -gt $((vi + 1)) ] && [ "${prev#-}" != "$prev" ]; then
		if out=$("$aura" "${g[@]}" complete value "$verb" "$prev" 2>/dev/null); then
			if [ -n "$out" ]; then
				COMPREPLY=($(compgen -W "$out" -- "$cur"))
			else
				compopt -o filenames 2>/dev/null
				COMPREPLY=($(compgen -f -- "$cur"))
			fi
			return
		fi
	fi
	case $cur in
	-*)
		out=$("$aura" complete options "$verb" 2>/dev/null)
		COMPREPLY=($(compgen -W "$out" -- "$cur"))
		return
		;;
	esac
	if out=$("$aura" "${g[@]}" complete args "$verb" 2>/dev/null); then
		COMPREPLY=($(compgen -W "$out" -- "$cur"))
	else
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}
complete -F _aura aura
