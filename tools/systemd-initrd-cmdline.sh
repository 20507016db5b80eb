#!/usr/bin/env bash
# Prints the kernel command line for systemd's initrd (tools/mkinitrd-systemd.sh)
# to do rampart's job on DISK: the verity root of the slot with ROOT_HASH
# (systemd-veritysetup, partitions by UUID: the hash's halves) and /var
# opened by systemd-cryptsetup from its systemd-tpm2 token, headless.
#
#   tools/systemd-initrd-cmdline.sh DISK.img ROOT_HASH
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROG=systemd-initrd-cmdline

[ $# -eq 2 ] || die "usage: $0 DISK.img ROOT_HASH"
disk=$1 h=$2
[[ $h =~ ^[0-9a-f]{64}$ ]] || die "bad root hash '$h'"
num=$(sgdisk -p "$disk" | awk '/^Number/{p=1; next} p && $NF == "var" {print $1; exit}')
[ -n "$num" ] || die "no partition labelled var on $disk (not provisioned yet?)"
first=$(sgdisk -i "$num" "$disk" | sed -n 's/^First sector: \([0-9]*\).*/\1/p')
luks=$(blkid -p -O $((first * 512)) -s UUID -o value "$disk") || die "no LUKS UUID on $disk's var partition"
[ -n "$luks" ] || die "no LUKS UUID on $disk's var partition"
echo "console=ttyS0 panic=-1 roothash=$h" \
	"systemd.verity_root_data=PARTUUID=$(as_uuid "${h:0:32}")" \
	"systemd.verity_root_hash=PARTUUID=$(as_uuid "${h:32:32}")" \
	"root=/dev/mapper/root rootfstype=erofs ro rd.luks.name=$luks=var" \
	"rd.luks.options=$luks=tpm2-device=auto,headless=true"
