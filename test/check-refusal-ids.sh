#!/usr/bin/env bash
# Every refusal identifier the code uses must have advice in
# init/refusals.c and a line in the README: they are a stable interface.
# Writes PASS/FAIL lines to the results file given.
set -uo pipefail
results=$1
cd "$(dirname "$0")/.."
# The identifier is the first argument after the context: a string, or a ?: of two.
ids=$(grep -hE '(boot_refuse|slot_refused)\(' init/*.c | grep -v '^[a-z].*(struct boot \*b, const' |
	sed -E 's/.*(boot_refuse\(b, |slot_refused\(b, s, )//' | grep -oE '^[^,]*("[a-z0-9-]+"[^,]*)+' |
	grep -oE '"[a-z0-9-]+"' | tr -d '"' | sort -u)
: > "$results"
for id in $ids; do
	why=
	grep -q "{ \"$id\"" init/refusals.c || case $id in sig-* | verity-open | root-init | root-mount) ;; *) why="no advice in init/refusals.c" ;; esac
	grep -q "\`$id\`" README.md || why="${why:+$why; }not documented in README.md"
	if [ -z "$why" ]; then
		echo "PASS refusal-id $id"
	else
		echo "FAIL refusal-id $id: $why"
	fi >> "$results"
done
[ -n "$ids" ] || echo "FAIL refusal-id: no identifiers found (the check is broken)" >> "$results"
grep -c '^PASS' "$results" | sed 's/^/refusal ids: /; s/$/ documented/'
grep '^FAIL' "$results" || true
