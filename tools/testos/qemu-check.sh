#!/usr/bin/env bash
# Boots the test OS under QEMU (TCG, direct kernel boot, no firmware) from
# a disk made by tools/mkdisk.sh, with a throwaway busybox initramfs that
# stands in for rampart: it mounts the root partition (plain, or through
# dm-verity with dmsetup), an ext4 /var from a second disk, hands over a
# third disk as swap, writes a boot.json, moves /dev /proc /sys /run and
# switches root.  Checks the test OS's report over several boots (with a
# TPM when swtpm is there), and that one flipped byte of /sbin/init (at
# the offset the info file gives) stops the verity boot.  This tests the
# test OS and the disk layout, not rampart.
#
#   tools/testos/qemu-check.sh [--keep DIR]
#
# KERNEL_DIR: an unpacked kernel (default: what tools/kernel.sh prints).
# Prints one PASS/FAIL line per check and "N passed, N failed"; exit 1 on
# any failure.  About 30 s.
set -uo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
keep=
if [ "${1:-}" = --keep ]; then
	[ $# -eq 2 ] || { echo "usage: ${0##*/} [--keep DIR]" >&2; exit 2; }
	keep=$2
fi
kdir=${KERNEL_DIR:-$("$here/tools/kernel.sh")} || { echo "qemu-check: no kernel" >&2; exit 1; }
kver=$(cat "$kdir/version")

if [ -n "$keep" ]; then
	work=$(realpath -m "$keep")
	rm -rf "$work"
	mkdir -p "$work"
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/testos-qemu.XXXXXX")
	trap 'rm -rf "$work"' EXIT
fi
cd "$work" || exit 1

pass=0 fail=0
check() { # DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then
		echo "PASS $what"
		pass=$((pass + 1))
	else
		echo "FAIL $what"
		fail=$((fail + 1))
	fi
}
die() { echo "qemu-check: $*" >&2; exit 1; }

# --- images ---------------------------------------------------------------------
"$here/tools/mkroot.sh" root.erofs 1.0 >/dev/null || die "mkroot failed"
openssl req -x509 -newkey rsa:2048 -nodes -keyout image.key -out image.crt \
	-subj "/CN=qemu-check image" -days 30 2>/dev/null || die "openssl failed"
"$here/tools/mkdisk.sh" --out disk.img --esp-file /bin/true --root root.erofs --version 1.0 \
	--sign-key image.key --sign-cert image.crt >/dev/null || die "mkdisk failed"
truncate -s 64M var.img && mkfs.ext4 -q -F var.img || die "mkfs.ext4 failed"
truncate -s 32M swap.img && mkswap swap.img >/dev/null 2>&1 || die "mkswap failed"
# shellcheck disable=SC1091
. ./disk.img.env

# --- the stand-in initramfs --------------------------------------------------------
# With "standin.verity" on the command line it opens the root through
# dm-verity the way rampart will: data on the root partition, hash tree on
# the verity partition (its superblock is hash block 0, so the tree starts
# at hash block 1).
mkdir -p ird/bin ird/ko ird/proc ird/sys ird/dev ird/run ird/newroot
cp /bin/busybox ird/bin/busybox
ln -s busybox ird/bin/sh
verity=0
if command -v dmsetup >/dev/null; then
	verity=1
	cp "$(command -v dmsetup)" ird/bin/dmsetup
	ldd "$(command -v dmsetup)" | awk '$2 == "=>" { print $3 } $1 ~ /^\// { print $1 }' |
		while read -r lib; do
			mkdir -p "ird$(dirname "$lib")"
			cp -L "$lib" "ird$lib"
		done
fi
mods=(virtio_blk virtio_pci erofs ext4)
[ $verity = 1 ] && mods+=(dm-verity)
: >ird/modules
for m in "${mods[@]}"; do
	modprobe -d "$kdir" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' | while read -r ko; do
	cp "$ko" ird/ko/
	basename "$ko" >>ird/modules
done
verity_table="0 $((SLOT_A_ROOT_DATA_SIZE / 512)) verity 1 /dev/vda$SLOT_A_ROOT_PART"
verity_table+=" /dev/vda$SLOT_A_VERITY_PART 4096 4096 $((SLOT_A_ROOT_DATA_SIZE / 4096)) 1"
verity_table+=" sha256 $SLOT_A_ROOT_HASH $SLOT_A_SALT"
cat >ird/init <<EOF
#!/bin/sh
export PATH=/bin
b=/bin/busybox
\$b mount -t proc proc /proc
\$b mount -t sysfs sysfs /sys
\$b mount -t devtmpfs devtmpfs /dev
for m in \$(\$b cat /modules); do \$b insmod /ko/\$m 2>/dev/null; done
i=0
while [ ! -b /dev/vda$SLOT_A_SIG_PART ] && [ \$i -lt 100 ]; do \$b sleep 0.1; i=\$((i + 1)); done
root=/dev/vda$SLOT_A_ROOT_PART swap=/dev/vdc
case " \$(\$b cat /proc/cmdline) " in
*" standin.verity "*)
	DM_DISABLE_UDEV=1 dmsetup create root --readonly --noudevsync --table "$verity_table" ||
		echo "STANDIN: dmsetup failed"
	root=/dev/mapper/root
	# Swap through device-mapper too, already active at the handover.
	DM_DISABLE_UDEV=1 dmsetup create swap --noudevsync --table "0 65536 linear /dev/vdc 0" &&
		swap=/dev/mapper/swap && \$b swapon \$swap
	;;
esac
\$b mount -t erofs -o ro \$root /newroot || echo "STANDIN: root mount failed"
\$b mount -t ext4 /dev/vdb /newroot/var || echo "STANDIN: var mount failed"
\$b mount -t tmpfs -o mode=0755 tmpfs /run
\$b mkdir -p /run/rampart
echo \$swap >/run/rampart/swap
echo '{"standIn":"qemu-check"}' >/run/rampart/boot.json
for d in run dev sys proc; do \$b mount --move /\$d /newroot/\$d; done
exec \$b switch_root /newroot /sbin/init
EOF
chmod 755 ird/init
(cd ird && find . | cpio -o -H newc --quiet) >initrd.img || die "cpio failed"

# --- boots -------------------------------------------------------------------------
boot() { # LOG DISK [EXTRA-CMDLINE]
	local tpm=() swtpm_pid= rc
	if command -v swtpm >/dev/null; then
		rm -rf tpm
		mkdir -p tpm
		swtpm socket --tpm2 --tpmstate dir=tpm --ctrl type=unixio,path=tpm/sock \
			--flags startup-clear --terminate &
		swtpm_pid=$!
		for _ in $(seq 50); do [ -S tpm/sock ] && break; sleep 0.1; done
		tpm=(-chardev socket,id=chrtpm,path=tpm/sock -tpmdev emulator,id=tpm0,chardev=chrtpm
			-device tpm-tis,tpmdev=tpm0)
	fi
	timeout 120 qemu-system-x86_64 -machine q35 -accel tcg -cpu max -m 512 -smp 1 \
		-nodefaults -display none -no-reboot -monitor none -serial "file:$1" \
		-kernel "$kdir/boot/vmlinuz-$kver" -initrd initrd.img \
		-append "console=ttyS0 panic=-1 loglevel=4 ${3:-}" "${tpm[@]}" \
		-drive if=none,id=d0,format=raw,file="$2",readonly=on -device virtio-blk-pci,drive=d0 \
		-drive if=none,id=d1,format=raw,file=var.img -device virtio-blk-pci,drive=d1 \
		-drive if=none,id=d2,format=raw,file=swap.img -device virtio-blk-pci,drive=d2
	rc=$?
	if [ -n "$swtpm_pid" ]; then
		kill "$swtpm_pid" 2>/dev/null
		wait "$swtpm_pid" 2>/dev/null
	fi
	sed -i 's/\r$//' "$1"
	return $rc
}
has() { grep -qaE -- "$2" "$1"; }
lacks() { ! grep -qaE -- "$2" "$1"; }

start=$SECONDS
check "first boot ends (powers off)" boot boot1.log disk.img
t1=$((SECONDS - start))
check "first boot: marker line" has boot1.log '^TESTOS: running from verified root$'
check "first boot: read-only erofs root" has boot1.log "^TESTOS: root=/dev/vda$SLOT_A_ROOT_PART ro$"
check "first boot: root fstype" has boot1.log '^TESTOS: root-fstype=erofs$'
check "first boot: api fs inherited" has boot1.log '^TESTOS: apifs inherited=/proc,/sys,/dev,/run mounted=/tmp$'
check "first boot: version" has boot1.log '^TESTOS: version=1.0$'
check "first boot: /var" has boot1.log '^TESTOS: var=/dev/vdb ext4 rw$'
check "first boot: /var/tmp made" has boot1.log '^TESTOS: var-tmp created on /var$'
check "first boot: var-tmp" has boot1.log '^TESTOS: var-tmp=none$'
check "first boot: swapon" has boot1.log '^TESTOS: swap-handover=/dev/vdc swapon=ok$'
check "first boot: swap active" has boot1.log '^TESTOS: swap=/dev/vdc size=[0-9]+k$'
check "first boot: marker absent" has boot1.log '^TESTOS: marker absent$'
check "first boot: marker written" has boot1.log '^TESTOS: marker written$'
check "first boot: boot count 1" has boot1.log '^TESTOS: boot-count=1$'
check "first boot: boot report" has boot1.log '^\{"standIn":"qemu-check"\}$'
check "first boot: boot report end" has boot1.log '^TESTOS: boot-report-end$'
if command -v swtpm >/dev/null; then
	check "first boot: pcr7" has boot1.log '^TESTOS: pcr7=[0-9a-f]{64}$'
fi
check "first boot: lockdown" has boot1.log '^TESTOS: lockdown=none$'
check "first boot: no EFI" has boot1.log '^TESTOS: secureboot=no-efi$'
check "first boot: done" has boot1.log '^TESTOS: done, powering off$'
check "first boot: no panic" lacks boot1.log 'Kernel panic'

marker=$(sed -n 's/^TESTOS: marker=//p' boot1.log)
check "second boot ends" boot boot2.log disk.img
check "second boot: marker found, same value" has boot2.log "^TESTOS: marker found: ${marker:-x}$"
check "second boot: boot count 2" has boot2.log '^TESTOS: boot-count=2$'
check "second boot: /var/tmp already there" lacks boot2.log 'var-tmp created'

if [ $verity = 1 ]; then
	check "verity boot ends" boot boot3.log disk.img standin.verity
	check "verity boot: root on dm-verity" has boot3.log '^TESTOS: root=/dev/mapper/root ro$'
	check "verity boot: dm name" has boot3.log '^TESTOS: root-fstype=erofs dm=root$'
	check "verity boot: backing partitions and labels" has boot3.log \
		"^TESTOS: root-backing=vda$SLOT_A_ROOT_PART:$SLOT_A_LABEL vda$SLOT_A_VERITY_PART:$SLOT_A_LABEL\$"
	check "verity boot: swap already active at handover" has boot3.log '^TESTOS: swap-handover=/dev/mapper/swap swapon=already-active$'
	check "verity boot: swap on device-mapper" has boot3.log '^TESTOS: swap=/dev/(mapper/swap|dm-[0-9]+) dm=swap size=[0-9]+k$'
	check "verity boot: marker found" has boot3.log "^TESTOS: marker found: ${marker:-x}$"
	check "verity boot: done" has boot3.log '^TESTOS: done, powering off$'

	# One byte of /sbin/init's data changed, at the offset the info file gives.
	cp --sparse=always disk.img flipped.img
	printf '\x00' | dd of=flipped.img bs=1 seek="$SLOT_A_INIT_DISK_OFFSET" conv=notrunc status=none
	boot boot4.log flipped.img standin.verity
	check "flipped init byte: verity reports the corrupted block" \
		has boot4.log 'device-mapper: verity: .*data block [0-9]+ is corrupted'
	check "flipped init byte: the test OS does not run" lacks boot4.log 'TESTOS:'
	rm -f flipped.img
else
	echo "SKIP verity boots: no dmsetup on this host"
fi

echo "qemu-check: first boot took ${t1}s${keep:+ (logs in $work)}"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
