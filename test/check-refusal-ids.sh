#!/usr/bin/env bash
# The refusal identifiers are a stable interface: init/refusals.c is their
# one table (enum + name + advice; the compiler checks every use, and
# test/stack/test_boot_table.c that every entry is filled).  This checks the
# README against it, both ways: every identifier is documented, and the
# README's refusal table names no identifier the code does not have.
# Writes PASS/FAIL lines to the results file given.
set -uo pipefail
results=$1
cd "$(dirname "$0")/.."
ids=$(sed -nE 's/^\s*\[REFUSE_[A-Z0-9_]+\] = \{ "([a-z0-9-]+)",.*/\1/p' init/refusals.c | sort -u)
# The README's table: the rows between "| state | identifiers |" and the next blank line.
documented=$(awk '/^\| state \| identifiers \|/ { t = 1; next } t && /^$/ { exit } t' README.md |
	grep -oE '`[a-z0-9-]+`' | tr -d '`' | sort -u)
: > "$results"
for id in $ids; do
	if grep -qx -- "$id" <<<"$documented"; then
		echo "PASS refusal-id $id"
	else
		echo "FAIL refusal-id $id: not in README.md's refusal table"
	fi >> "$results"
done
for id in $documented; do
	grep -qx -- "$id" <<<"$ids" ||
		echo "FAIL refusal-id $id: README.md documents it, init/refusals.c has no such identifier" >> "$results"
done
[ -n "$ids" ] || echo "FAIL refusal-id: no identifiers found in init/refusals.c (the check is broken)" >> "$results"
grep -c '^PASS' "$results" | sed 's/^/refusal ids: /; s/$/ documented/'
grep '^FAIL' "$results" || true
