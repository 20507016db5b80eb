#!/usr/bin/env bash
# The payload of an update, taken from a slot of an image tools/mkdisk.sh
# made: the root, verity and signature bytes, as files in a directory
# (what `rampart update DIR` reads) and as the three partitions of a small
# disk image (to attach to a VM: `rampart update /dev/vdb1 /dev/vdb2
# /dev/vdb3`).  The partitions have the generic Linux data type, so
# rampart never takes them for a root slot.
#
#   tools/mkupdate.sh IMAGE.img SLOT OUT.img OUTDIR
#
# SLOT is A or B; IMAGE.img.env (written by mkdisk.sh) says where its
# partitions are.  Same inputs give the same bytes.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 4 ] || usage_from_header 12 12
image=$1 slot=$2 out=$3 outdir=$4
[[ $slot =~ ^[AB]$ ]] || die "SLOT is A or B"
[ -f "$image.env" ] || die "$image.env missing (made by tools/mkdisk.sh)"
# shellcheck disable=SC1090
. "$image.env"
command -v sgdisk >/dev/null || die "sgdisk missing (tools/host-deps.sh installs it)"

mkdir -p "$outdir"
declare -A file=([ROOT]=root.img [VERITY]=verity.img [SIG]=sig.json)
sizes=()
for part in ROOT VERITY SIG; do
	off=SLOT_${slot}_${part}_OFFSET size=SLOT_${slot}_${part}_DATA_SIZE
	[ -n "${!off:-}" ] && [ -n "${!size:-}" ] || die "$image.env has no slot $slot $part"
	dd if="$image" of="$outdir/${file[$part]}" bs=4096 iflag=skip_bytes,count_bytes skip="${!off}" \
		count="${!size}" status=none
	sizes+=("${!size}")
done
# The document without its NUL padding.
tr -d '\0' <"$outdir/sig.json" >"$outdir/sig.json.tmp" && mv "$outdir/sig.json.tmp" "$outdir/sig.json"

# 1 MiB alignment, each partition the size of its payload in whole 4 KiB blocks.
rm -f "$out"
truncate -s $((8 << 20)) "$out"
for s in "${sizes[@]}"; do truncate -s +$(((s + 1048575) / 1048576 * 1048576)) "$out"; done
sgdisk -o -U 0b0e5d6f-7a11-4b5c-9f3e-7570646174e1 "$out" >/dev/null
n=1
for part in ROOT VERITY SIG; do
	bytes=$(stat -c %s "$outdir/${file[$part]}")
	sgdisk -n "$n:0:+$(((bytes + 4095) / 4096 * 8))" -t "$n:8300" -c "$n:update-${file[$part]%.*}" \
		-u "$n:$(printf '0b0e5d6f-7a11-4b5c-9f3e-%012d' "$n")" "$out" >/dev/null
	first=$(sgdisk -i "$n" "$out" | sed -n 's/^First sector: \([0-9]*\).*/\1/p')
	dd if="$outdir/${file[$part]}" of="$out" bs=512 seek="$first" conv=notrunc status=none
	n=$((n + 1))
done
say "update payload of slot $slot of $image: $out, $outdir/{root.img,verity.img,sig.json}"
