#!/usr/bin/env bash
# link-deps.sh FILE.c...: the .c files of lib/ and init/ that FILE.c needs,
# from what it includes: a module is X.h with its X.c beside it, and a
# module's .c and .h are followed in turn.  The Makefiles derive each
# test's link list from this, so no list is kept by hand.
set -uo pipefail
cd "$(dirname "$0")/.."
declare -A seen=()
queue=("$@")
out=()
while [ ${#queue[@]} -gt 0 ]; do
	f=${queue[0]}
	queue=("${queue[@]:1}")
	for h in $(sed -nE 's/^#include "([^"]+)\.h".*/\1/p' "$f" 2>/dev/null); do
		for d in lib init; do
			[ -f "$d/$h.h" ] || continue
			[ -n "${seen[$d/$h]:-}" ] && continue
			seen[$d/$h]=1
			queue+=("$d/$h.h")
			if [ -f "$d/$h.c" ]; then
				queue+=("$d/$h.c")
				out+=("$d/$h.c")
			fi
		done
	done
done
printf '%s\n' "${out[@]}" | LC_ALL=C sort -u | tr '\n' ' '
echo
