# contrib/completions/aura.fish -- fish completion for aura, installed as
# $(datadir)/fish/vendor_completions.d/aura.fish. Every candidate comes
# from the binary at run time (`aura complete`, a hidden verb: doc/cli.md),
# so a new verb or option needs nothing here. Job ids come from a running
# server only: completing never starts one.

function __aura_complete
	set -l tokens (commandline -opc)
	set -l cur (commandline -ct)
	set -l aura $tokens[1]
	set -l n (count $tokens)
	set -l g
	set -l verb
	set -l vi 0
	set -l i 2
	# the global options before the verb go along (-c FILE, --data-dir DIR)
	while test $i -le $n
		set -l w $tokens[$i]
		switch $w
			case -c --config --data-dir
				set -a g $w
				set i (math $i + 1)
				test $i -le $n; and set -a g $tokens[$i]
			case '--config=*' '--data-dir=*'
				set -a g $w
			case '-*'
			case '*'
				set verb $w
				set vi $i
				break
		end
		set i (math $i + 1)
	end
	set -l prev $tokens[-1]

	if test -z "$verb"
		switch $prev
			case -c --config --data-dir
				__fish_complete_path $cur
				return
		end
		if string match -q -- '-*' $cur
			$aura complete options 2>/dev/null
		else
			$aura $g complete verbs 2>/dev/null
		end
		return
	end

	# the value of the option before: its candidates, or a file name
	if test $n -gt $vi; and string match -q -- '-*' $prev
		set -l out ($aura $g complete value $verb $prev 2>/dev/null)
		if test $status -eq 0
			if test (count $out) -gt 0
				printf '%s\n' $out
			else
				__fish_complete_path $cur
			end
			return
		end
	end
	if string match -q -- '-*' $cur
		$aura complete options $verb 2>/dev/null
		return
	end
	set -l out ($aura $g complete args $verb 2>/dev/null)
	if test $status -eq 0
		printf '%s\n' $out
	else
		__fish_complete_path $cur
	end
end

complete -c aura -f -a '(__aura_complete)'
