#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The bash completion of rampartctl: tests/pkg/completion.sh FILE RAMPARTCTL.
# Sources it in a plain bash (no bash-completion package needed), asks for the
# completions of a few command lines, and checks that the commands offered
# for an empty word are exactly those of `rampartctl --help`.
set -u
. "$1" || { echo "completion: cannot source $1"; exit 1; }
complete -p rampartctl | grep -q -- '-F _rampartctl' || { echo "completion: not registered"; exit 1; }
shopt -s extglob
fail=0
# usage: check "WANTED (space separated, sorted)" WORD...   (last word: the one completed)
check()
{
    local want=$1
    shift
    COMP_WORDS=(rampartctl "$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="${COMP_WORDS[*]}"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    _rampartctl rampartctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    local got
    got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | xargs)
    if [[ $got != "$want" ]]; then
        echo "completion: FAIL: rampartctl $* -> '$got', want '$want'"
        fail=1
    else
        echo "completion: rampartctl $* -> $got"
    fi
}
check "redirect rekey reload" re
check "list-children list-manual list-sas" l
check "stats status" st
check "top" to
check "--once" top --o
check "--child --ike" rekey --
check "--json" --j
check "stats status" -s /tmp/x.sock stat
check "ring-full" fault r
check "" status ""
want=$("$2" --help | sed -n 's/^  \([a-z][a-z-]*\)\( .*\)\{0,1\}$/\1/p' | sort | xargs)
[[ $(echo "$want" | wc -w) -ge 10 ]] || { echo "completion: help parse broken: $want"; exit 1; }
check "$want" ""
exit $fail
