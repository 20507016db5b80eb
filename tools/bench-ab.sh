#!/usr/bin/env bash
# Judges a change by booting two disk images in turn: the host's speed
# drifts between runs of make bench by more than most changes, so a figure
# is compared only with one taken alongside it.  Each image gets one first
# boot (its own TPM state, its own copy of the disk), then N later boots,
# A and B alternately; prints each state's median (min, max) over the later
# boots, from the console's "STATE: X ms" lines, the total, the kernel's
# start to /init, and B - A.
#
#   tools/bench-ab.sh A.img B.img [N]      (N later boots each, default 8)
#
# For a change (the images as make builds them, one per tree; the same keys,
# since both boot with this tree's firmware variables):
#   git worktree add /tmp/before BASE-COMMIT
#   make -C /tmp/before KEYDIR=$PWD/build/keys build/images/base.img
#   make build/images/base.img
#   tools/bench-ab.sh /tmp/before/build/images/base.img build/images/base.img
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -ge 2 ] || usage_from_header 2 17
a=$1 b=$2 n=${3:-8}
BUILD=${BUILD:-build}
dir=$BUILD/bench/ab
rm -rf "$dir"
mkdir -p "$dir"

boot() { # DISK TPMDIR LOG
	cp "$BUILD/ovmf/vars.fd" "$dir/vars.fd"
	"$TOOLS/qemu-boot.sh" --vars "$dir/vars.fd" --disk "$1" --tpm-state "$2" --log "$3" --timeout 240 \
		--stop-on 'TESTOS: done|rampart: (halted|powering off)|Kernel panic' >/dev/null ||
		die "$3: QEMU failed or timed out"
	grep -q 'TESTOS: done' "$3" || die "$3: the boot did not reach the test OS"
}

msg "$n later boots of each image, in turn (TCG: about $((n * 2 * 20 / 60 + 1)) minutes)"
for side in a b; do
	cp --sparse=always "${!side}" "$dir/$side.img"
	boot "$dir/$side.img" "$dir/tpm-$side" "$dir/$side-first.log"
done
for i in $(seq "$n"); do
	for side in a b; do
		boot "$dir/$side.img" "$dir/tpm-$side" "$dir/$side-later$i.log"
	done
done
rm -f "$dir"/[ab].img

/usr/bin/python3 - "$dir" "$n" "$a" "$b" <<'PY'
import re, statistics, sys

d, n, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:5]
line = re.compile(r"rampart: ([a-z-]+): ([0-9.]+) ms -> ")
run_init = re.compile(r"\[ *([0-9.]+)\] Run /init as init process")
runs = {}
for side in "ab":
    per = {}
    for i in range(1, n + 1):
        text = open(f"{d}/{side}-later{i}.log", errors="replace").read()
        found = line.findall(text)
        for state, ms in found:
            per.setdefault(state, []).append(float(ms))
        per.setdefault("total", []).append(sum(float(ms) for _, ms in found))
        m = run_init.search(text)
        per.setdefault("kernel to /init", []).extend([float(m.group(1)) * 1000] if m else [])
    runs[side] = per

def fmt(v):
    return f"{statistics.median(v):7.1f} ms (min {min(v):.1f}, max {max(v):.1f})" if v else "n/a"

print(f"A: {names[0]}\nB: {names[1]}\n{n} later boots each, alternately; median (min, max)")
for state in runs["a"]:
    a, b = runs["a"][state], runs.get("b", {}).get(state, [])
    diff = f"{statistics.median(b) - statistics.median(a):+7.1f} ms" if a and b else "n/a"
    print(f"  {state:<15} A {fmt(a)}   B {fmt(b)}   B-A {diff}")
PY
