#!/usr/bin/env bash
# run-fuzz.sh RESULTS SECONDS CORPUS BIN...: runs each fuzz target for
# SECONDS from its committed seeds (test/fuzz/corpus/NAME) plus what
# earlier runs found (CORPUS/NAME), and writes one line per target to
# RESULTS: "PASS fuzz.NAME: ..." with executions, coverage and corpus size,
# or "FAIL fuzz.NAME: ..." with the input that broke it (saved under
# CORPUS/crashes/: add it to test/fuzz/corpus/NAME and a regression test).
set -uo pipefail
results=$1 seconds=$2 corpus=$3; shift 3
here=$(cd "$(dirname "$0")" && pwd)
: >"$results"
printf '%-12s %12s %8s %8s %8s  %s\n' target executions exec/s cov corpus result
# tpm2-tss logs every malformed structure on stderr: not what a run is about.
export TSS2_LOG=all+none
for bin in "$@"; do
	name=${bin##*/fuzz_}
	mkdir -p "$corpus/$name" "$corpus/crashes"
	log="$corpus/$name.log"
	"$bin" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$corpus/crashes/$name-" "$corpus/$name" "$here/corpus/$name" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
	files=$(find "$corpus/$name" -type f | wc -l)
	artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
	if [ $rc -eq 0 ] && [ -n "$execs" ] && [ "$execs" -gt 0 ]; then
		result=ok
		echo "PASS fuzz.$name: $execs executions in ${seconds}s, cov $cov, corpus $files" >>"$results"
	else
		result="FAILED (exit $rc; input: ${artifact:-none}; log: $log)"
		echo "FAIL fuzz.$name: exit $rc, input ${artifact:-none} (log: $log)" >>"$results"
		grep -m1 -E 'invariant broken|ERROR: AddressSanitizer|runtime error|deadly signal' "$log" | sed 's/^/  /'
	fi
	printf '%-12s %12s %8s %8s %8s  %s\n' "$name" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$files" "$result"
done
total=$(awk '/^PASS/ { n += $3 } END { print n + 0 }' "$results")
echo "fuzz: $(grep -c '^PASS' "$results") of $# targets clean, $total executions in all"
! grep -q '^FAIL' "$results"
