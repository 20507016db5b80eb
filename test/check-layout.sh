#!/usr/bin/env bash
# Checks that includes run one way (make check-layout): lib/ never includes
# init/; in init/, from the bottom up:
#   services   boot (context, boot_refuse, test_stop), refusals, lock,
#              shell, report, volumes, diskwatch: called by states and the
#              dispatcher; never include a state, the table or a tool
#   states     one file per group of states (root, storage, recovery): services and
#              lib/ only, never another group
#   table      states.c: boot_table[] and the small states
#   entry      main.c (PID 1, the dispatcher) and tool_*.c (one per tool mode)
# and that neither lib/ nor init/ has an include cycle.  The same rules are
# checked on calls, from the symbols of init/'s objects (OBJDIR, default
# build/musl/init).  A new init/ file must be given its layer below.
# Writes PASS/FAIL lines to RESULTS (default stdout).
#
#   test/check-layout.sh [RESULTS [OBJDIR]]
set -uo pipefail
results=${1:-/dev/stdout}
objdir=${2:-build/musl/init}
cd "$(dirname "$0")/.."

SERVICES="boot refusals lock shell report volumes diskwatch"
STATE_GROUPS="root storage recovery"
TABLE="states"

layer_of() { # module name -> layer number
	local m=$1
	case " $SERVICES " in *" $m "*) echo 1; return ;; esac
	case " $STATE_GROUPS " in *" $m "*) echo 2; return ;; esac
	[ "$m" = "$TABLE" ] && { echo 3; return; }
	[ "$m" = main ] || [[ $m == tool_* ]] && { echo 4; return; }
	echo 0
}

# "FROM TO" module pairs for the quoted includes of DIR's files that name a header of DIR.
edges() { # DIR
	local f m h
	for f in "$1"/*.[ch]; do
		m=$(basename "${f%.[ch]}")
		for h in $(sed -nE 's/^#include "([^"]+)\.h".*/\1/p' "$f"); do
			if [ -f "$1/$h.h" ] && [ "$h" != "$m" ]; then echo "$m $h"; fi
		done
	done | sort -u
}

out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail() { echo "FAIL layout: $*" >>"$out"; }
pass() { echo "PASS layout: $*" >>"$out"; }

# lib/ includes nothing from init/.
bad=$(grep -lE '#include "('"$(cd init && ls *.h | sed 's/\.h$//' | paste -sd'|')"')\.h"' lib/*.[ch] 2>/dev/null |
	while read -r f; do
		for h in $(sed -nE 's/^#include "([^"]+)\.h".*/\1/p' "$f"); do
			[ -f "init/$h.h" ] && [ ! -f "lib/$h.h" ] && echo "$f -> init/$h.h"
		done
	done)
[ -z "$bad" ] && pass "lib/ includes nothing from init/" || fail "lib/ includes init/: $bad"

# Every init/ file has a layer; includes run down (or sideways among services).
unknown= upward=
for f in init/*.[ch]; do
	m=$(basename "${f%.[ch]}")
	[ "$(layer_of "$m")" = 0 ] && unknown="$unknown $f"
done
[ -z "$unknown" ] && pass "every init/ file has a layer" ||
	fail "init/ files in no layer (add them to test/check-layout.sh):$unknown"
while read -r from to; do
	[ -n "$from" ] || continue
	lf=$(layer_of "$from") lt=$(layer_of "$to")
	# Sideways only among services, and from main.c to the tools it dispatches to.
	if [ "$lt" -gt "$lf" ] || { [ "$lt" -eq "$lf" ] && [ "$lf" -ne 1 ] && [ "$from" != main ]; }; then
		upward="$upward init/$from -> init/$to.h;"
	fi
done < <(edges init)
[ -z "$upward" ] && pass "init/ includes run one way (entry > table > state groups > services)" ||
	fail "includes that run up or sideways:$upward"

# The same for calls, from the objects (a call needs no include to run up):
# "FROM TO" for each symbol FROM.o uses that TO.o defines.
if [ -n "$objdir" ] && compgen -G "$objdir/*.o" >/dev/null; then
	defs=$(for o in "$objdir"/*.o; do
		nm -g --defined-only "$o" | awk -v m="$(basename "$o" .o)" 'NF == 3 { print $3, m }'
	done | sort)
	calls_up=
	while read -r from to; do
		lf=$(layer_of "$from") lt=$(layer_of "$to")
		if [ "$lt" -gt "$lf" ] || { [ "$lt" -eq "$lf" ] && [ "$lf" -ne 1 ] && [ "$from" != main ]; }; then
			calls_up="$calls_up init/$from.c -> init/$to.c;"
		fi
	done < <(for o in "$objdir"/*.o; do
		m=$(basename "$o" .o)
		nm -u "$o" | awk '{ print $2 }' | sort | join - <(echo "$defs") | awk -v m="$m" '$2 != m { print m, $2 }'
	done | sort -u)
	[ -z "$calls_up" ] && pass "init/ calls run one way (from the objects in $objdir)" ||
		fail "calls that run up or sideways:$calls_up"
else
	fail "no objects in ${objdir:-(none given)}: build init first"
fi

# No include cycle (tsort reports one).
for d in lib init; do
	if cycle=$(edges "$d" | tsort 2>&1 >/dev/null) && [ -z "$cycle" ]; then
		pass "$d/ has no include cycle"
	else
		fail "$d/ has an include cycle: $(echo "$cycle" | tr '\n' ' ')"
	fi
done

cat "$out" >"$results"
grep -c '^PASS' "$out" | sed 's/^/layout: /; s/$/ checks passed/' >&2
! grep '^FAIL' "$out" >&2
