#!/usr/bin/env bash
# Makes a disk image the way mkosi and systemd-repart do, with systemd's
# own systemd-repart (bookworm-backports' 254, unpacked by
# tools/systemd-tools.sh): an ESP with FILE as EFI/BOOT/BOOTX64.EFI, and
# one signed verity root slot: root (erofs, copied block by block),
# root-verity and root-verity-sig, written, hashed and signed by
# systemd-repart from the definitions below, not by rampart's tools.
#
#   tools/mkdisk-repart.sh --out DISK.img --esp-file FILE --root ROOT.erofs
#       --version V --sign-key KEY --sign-cert CRT [--labels mkosi|default]
#       [--image-id ID] [--size 1G]
#
# --labels mkosi (default): mkosi's convention, Label=%M_%A_root,
# %M_%A_verity, %M_%A_verity_sig (systemd-repart fills in IMAGE_ID and
# IMAGE_VERSION); --labels default: no Label=, systemd-repart's own
# (root-x86-64, root-x86-64-verity, root-x86-64-verity-sig).  Free space
# follows for rampart's first-boot repart.  Writes DISK.img.env (the
# facts the scenarios read: SLOT_A_LABEL, SLOT_A_ROOT_HASH, ...) and
# DISK.img.repart.json (systemd-repart's own report).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROG=mkdisk-repart
MiB=$((1024 * 1024))

out= esp_file= root= version= key= cert= labels=mkosi image_id=rampart size=1G
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || die "option $1 needs a value"
	case $1 in
	--out) out=$2 ;;
	--esp-file) esp_file=$2 ;;
	--root) root=$2 ;;
	--version) version=$2 ;;
	--sign-key) key=$2 ;;
	--sign-cert) cert=$2 ;;
	--labels) labels=$2 ;;
	--image-id) image_id=$2 ;;
	--size) size=$2 ;;
	*) die "unknown option $1" ;;
	esac
	shift 2
done
for v in out esp_file root version key cert; do
	[ -n "${!v}" ] || die "--${v//_/-} is required"
done
for f in "$esp_file" "$root" "$key" "$cert"; do [ -f "$f" ] || die "no such file: $f"; done
case $labels in mkosi | default) ;; *) die "--labels must be mkosi or default" ;; esac
[[ $version =~ ^[A-Za-z0-9.~+-]+$ ]] || die "bad --version '$version'"

tools=$("$TOOLS/systemd-tools.sh")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tree/etc" "$work/defs"

# What %M and %A expand to: systemd-repart reads them from --root's os-release.
printf 'ID=rampart\nIMAGE_ID=%s\nIMAGE_VERSION=%s\n' "$image_id" "$version" >"$work/tree/etc/os-release"

# The ESP's content, as mkdisk.sh makes it (FAT32, fixed volume id and times).
epoch=${SOURCE_DATE_EPOCH:-315532800}
export SOURCE_DATE_EPOCH=$epoch TZ=UTC
mkfs.vfat -C --invariant -F 32 -s 1 -n ESP -i 52455041 "$work/tree/esp.img" $((64 * 1024)) >/dev/null ||
	die "mkfs.vfat failed"
mmd -i "$work/tree/esp.img" ::/EFI ::/EFI/BOOT
mcopy -i "$work/tree/esp.img" "$esp_file" ::/EFI/BOOT/BOOTX64.EFI
cp "$root" "$work/tree/root.erofs"
root_part=$((($(stat -c %s "$root") + 2 * MiB - 1) / MiB * MiB))

label() { # SUFFIX
	[ "$labels" = mkosi ] && echo "Label=%M_%A_$1" || true
}
cat >"$work/defs/00-esp.conf" <<CONF
[Partition]
Type=esp
Label=esp
CopyBlocks=/esp.img
SizeMinBytes=64M
SizeMaxBytes=64M
CONF
cat >"$work/defs/10-root.conf" <<CONF
[Partition]
Type=root
$(label root)
CopyBlocks=/root.erofs
Verity=data
VerityMatchKey=root
SizeMinBytes=$root_part
SizeMaxBytes=$root_part
CONF
cat >"$work/defs/20-root-verity.conf" <<CONF
[Partition]
Type=root-verity
$(label verity)
Verity=hash
VerityMatchKey=root
SizeMinBytes=8M
SizeMaxBytes=8M
CONF
cat >"$work/defs/30-root-verity-sig.conf" <<CONF
[Partition]
Type=root-verity-sig
$(label verity_sig)
Verity=signature
VerityMatchKey=root
CONF

# The disk GUID and the ESP's and signature's partition UUIDs derive from --seed; the verity salt
# does not (systemd-repart 254 picks it at random), so the root hash, and with it the root and
# verity UUIDs, differ from one build to the next.
seed=$(derived_uuid "rampart-mkdisk-repart:$labels:$image_id:$version:$(sha256sum <"$root" | cut -c1-64)")
rm -f "$out.tmp"
mkdir -p "$(dirname "$out")"
"$tools/run" systemd-repart --empty=create --size="$size" --dry-run=no --offline=yes \
	--definitions="$work/defs" --root="$work/tree" --seed="$seed" \
	--private-key="$key" --certificate="$cert" --json=short "$out.tmp" >"$work/repart.json" 2>"$work/repart.log" ||
	{ cat "$work/repart.log" >&2; die "systemd-repart failed"; }

# The facts the scenarios use, from systemd-repart's report.
python3 - "$work/repart.json" "$out.tmp" >"$work/env" <<'PY'
import json, sys
parts = json.load(open(sys.argv[1]))
by_type = {p["type"].replace("-x86-64", ""): p for p in parts}
root, sig = by_type["root"], by_type["root-verity-sig"]
print(f"# {sys.argv[2]} (tools/mkdisk-repart.sh, systemd-repart); shell-sourceable")
print("SLOT_COUNT=1")
print(f"SLOT_A_LABEL={root['label']}")
print(f"SLOT_A_ROOT_HASH={root['roothash']}")
print(f"SLOT_A_SIG_OFFSET={sig['offset']}")
print(f"SLOT_A_SIG_SIZE={sig['raw_size']}")
PY
echo "SLOT_A_VERSION=$version" >>"$work/env"
mv "$work/repart.json" "$out.repart.json"
mv "$work/env" "$out.env"
mv "$out.tmp" "$out"
sgdisk -p "$out" | sed -n '/^Number/,$p' >&2
say "wrote $out with $("$tools/run" systemd-repart --version | head -1), labels: $labels"
