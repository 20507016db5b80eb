#!/usr/bin/env bash
# Runs cmocka test binaries; writes one "PASS name" / "FAIL name: reason" line
# per test case to the results file given first.  A binary that crashes or
# whose TAP output does not account for every case counts as a failure.
set -uo pipefail
results=$1; shift
: > "$results"
for bin in "$@"; do
	suite=$(basename "$bin")
	out=$(CMOCKA_MESSAGE_OUTPUT=TAP "$bin" 2>&1); rc=$?
	planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' <<<"$out" | head -1)
	seen=0 bad=0
	while IFS= read -r line; do
		case "$line" in
		"ok "*)     echo "PASS $suite.${line#ok * - }"; seen=$((seen + 1)) ;;
		"not ok "*) echo "FAIL $suite.${line#not ok * - }"; seen=$((seen + 1)); bad=$((bad + 1)) ;;
		esac
	done < <(printf '%s\n' "$out") >>"$results"
	if [ -z "$planned" ] || [ "$seen" -ne "$planned" ] || { [ $rc -ne 0 ] && [ $bad -eq 0 ]; }; then
		echo "FAIL $suite: exit $rc, $seen of ${planned:-?} cases reported" >>"$results"
	fi
	if [ $rc -ne 0 ]; then
		echo "---- $suite output ----"; echo "$out"
	fi
done
grep -c '^PASS' "$results" | sed 's/^/unit: /; s/$/ passed/'
grep '^FAIL' "$results" || true
