#!/usr/bin/env bash
# Prints the closing line of a test run from the result files in $1 and
# fails if anything failed or nothing ran.
set -uo pipefail
dir=$1
passed=$(cat "$dir"/*.txt 2>/dev/null | grep -c '^PASS')
failed=$(cat "$dir"/*.txt 2>/dev/null | grep -c '^FAIL')
cat "$dir"/*.txt 2>/dev/null | grep '^FAIL' | sed 's/^/  /'
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
