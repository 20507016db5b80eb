#!/usr/bin/env bash
# The first boot: Debian's kernel + an initramfs holding only the static
# /init, booted directly (-kernel/-initrd) under TCG.  Checks from the
# serial console that /init ran as PID 1, parsed its command line, loaded
# its modules and reached its failure state cleanly.
#
#   tools/qemu-smoke.sh RESULTS_FILE     test: appends PASS/FAIL line
#   tools/qemu-smoke.sh --interactive    console on this terminal
set -euo pipefail

BUILD=${BUILD:-build}
dir=$BUILD/qemu-smoke
mkdir -p "$dir"
kdir=$(tools/kernel.sh)
initramfs/build.sh "$dir/initrd.zst" "$kdir" "$BUILD/init" >/dev/null
vmlinuz=$(ls "$kdir"/boot/vmlinuz-*)
append="console=ttyS0 panic=-1 rampart.on-failure=poweroff rampart.log=debug rampart.bogus=1"

if [ "${1:-}" = --interactive ]; then
	exec tools/qemu-boot.sh --interactive --kernel "$vmlinuz" --initrd "$dir/initrd.zst" \
		--append "console=ttyS0 rampart.on-failure=halt"
fi

results=$1
log=$dir/console.log
start=$SECONDS
set +e
tools/qemu-boot.sh --log "$log" --timeout 180 --kernel "$vmlinuz" --initrd "$dir/initrd.zst" \
	--append "$append" --stop-on 'rampart: powering off|Kernel panic|Attempted to kill init'
rc=$?
set -e
# The serial console ends lines with CRLF.
sed -i 's/\r$//' "$log"

must=(
	'rampart: version .* starting as PID 1$'
	'rampart: options: log=debug on-failure=poweroff device-timeout=30s device-settle=250ms init=/sbin/init'
	'rampart: ignoring kernel command line option rampart.bogus=1: unknown rampart option'
	'rampart: loaded [1-9][0-9]* kernel modules'
	'rampart: setup: [0-9.]+ ms -> probe'
	'rampart: refused \[boot-disk-unknown\] EFI variable LoaderDevicePartUUID'
	'rampart: boot failed in state probe: \[boot-disk-unknown\]'
	'rampart: powering off'
)
must_not=('Kernel panic' 'Attempted to kill init' 'segfault' 'BUG:')

why=
[ $rc -eq 0 ] || why="QEMU timed out"
for re in "${must[@]}"; do
	[ -n "$why" ] && break
	grep -qaE -- "$re" "$log" || why="console lacks /$re/"
done
for re in "${must_not[@]}"; do
	[ -n "$why" ] && break
	! grep -qaE -- "$re" "$log" || why="console shows /$re/"
done
secs=$((SECONDS - start))
if [ -z "$why" ]; then
	echo "PASS qemu-smoke (${secs}s)" | tee -a "$results"
else
	echo "FAIL qemu-smoke: $why (log: $log)" | tee -a "$results"
fi
