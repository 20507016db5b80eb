#!/usr/bin/env bash
# Puts FILE on the ESP of a GPT disk image as EFI/BOOT/BOOTX64.EFI
# (replacing what is there), without loop devices.
#
#   tools/esp-replace.sh DISK.img FILE
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROG=esp-replace
disk=$1 file=$2
esp_type=$(gpt_type ESP)
offset=
while read -r num _; do
	info=$(sgdisk -i "$num" "$disk")
	if grep -qi "Partition GUID code: $esp_type" <<<"$info"; then
		first=$(sed -n 's/^First sector: \([0-9]*\).*/\1/p' <<<"$info")
		offset=$((first * 512))
		break
	fi
done < <(sgdisk -p "$disk" | awk '/^Number/{p=1; next} p && NF {print $1}')
[ -n "$offset" ] || die "no ESP on $disk"
mcopy -o -i "$disk@@$offset" "$file" ::/EFI/BOOT/BOOTX64.EFI
