#!/usr/bin/env bash
# The GPT partition type GUIDs are spelt once, in lib/gpt.h (GPT_TYPE_*):
# the scripts under tools/ read them from there (gpt_type in tools/lib.sh).
# This checks that every one is a lowercase GUID that gpt_type reads back,
# and that no other source or script spells one of them again, in any case.
# Tests are the exception: test/ and tools/testos/check-images.sh state the
# specification's values on purpose, independently of the code they test;
# so is tools/build-stack.sh, whose libuuid smoke test parses a GUID (and
# whose text is the stack's cache key: it is not edited lightly).
# Writes PASS/FAIL lines to the results file given.
set -uo pipefail
results=$1
cd "$(dirname "$0")/.."
: > "$results"

mapfile -t defs < <(sed -nE 's/^#define GPT_TYPE_([A-Z0-9_]+) +"([^"]*)".*/\1 \2/p' lib/gpt.h)
[ ${#defs[@]} -gt 0 ] || echo "FAIL gpt-guid: no GPT_TYPE_ definitions found in lib/gpt.h (the check is broken)" >> "$results"

for def in "${defs[@]}"; do
	name=${def%% *} guid=${def#* }
	read_back=$(bash -c 'set -euo pipefail; . tools/lib.sh; gpt_type "$1"' check "$name" 2>&1)
	if ! [[ $guid =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]]; then
		echo "FAIL gpt-guid $name: lib/gpt.h spells \"$guid\", not a lowercase GUID"
	elif [ "$read_back" != "$guid" ]; then
		echo "FAIL gpt-guid $name: tools/lib.sh's gpt_type reads \"$read_back\", lib/gpt.h has $guid"
	else
		copies=$(grep -rliF -- "$guid" lib init tools keys initramfs uki 2>/dev/null |
			grep -vxE 'lib/gpt\.h|tools/testos/check-images\.sh|tools/build-stack\.sh|.*\.md')
		if [ -n "$copies" ]; then
			echo "FAIL gpt-guid $name: $guid spelt again in $(echo $copies) (use GPT_TYPE_$name or gpt_type $name)"
		else
			echo "PASS gpt-guid $name"
		fi
	fi >> "$results"
done
grep -c '^PASS' "$results" | sed 's/^/gpt guids: /; s/$/ defined once/'
grep '^FAIL' "$results" || true
