#!/usr/bin/env bash
# Builds a GPT disk image the way rampart expects to find it (UAPI
# Discoverable Partitions), without loop devices or device-mapper.
#
#   tools/mkdisk.sh --out DISK.img --esp-file UKI.efi
#       --root ROOT.erofs --version V --sign-key KEY --sign-cert CRT
#       [--root2 ROOT2.erofs --version2 V2 [--sign-key2 KEY2 --sign-cert2 CRT2]]
#       [--slot-count 1|2] [--size 1G] [--esp-size 64M] [--root-part-size SIZE]
#       [--label-prefix rampart] [--disk-guid UUID] [--sig-without-cert]
#
# Layout (1 MiB aligned, free space left at the end for rampart's first
# boot to add /var, swap, ...):
#   1  ESP, FAT32, the UKI at EFI/BOOT/BOOTX64.EFI            label "esp"
#   2  root (x86-64), the erofs image                          label PREFIX_V
#   3  root-verity, its dm-verity hash tree (with superblock)  label PREFIX_V
#   4  root-verity-sig, the signature document                 label PREFIX_V
#   5-7  the same for slot B, with --root2 (or "_empty" placeholders with
#        --slot-count 2 and no --root2)
# Root and verity partition UUIDs are the first and last 128 bits of the
# root hash; all other UUIDs are derived from the inputs, so the same
# inputs give the same image bytes -- except that ECDSA signatures are
# randomised (OpenSSL 3.0 has no deterministic ECDSA): with an EC image key
# only the signature partitions' contents differ between two builds; with
# an RSA key the images are byte-identical.
#
# dm-verity: sha256, 4096-byte data and hash blocks, salt = sha256 of the
# root image, verity superblock UUID derived from it.
#
# Signature document (partition 4/7): {"rootHash":"HEX","signature":"BASE64",
# "certificateFingerprint":"HEX"} NUL-padded to a multiple of 4096 bytes;
# signature = DER PKCS#7 (CMS SignedData v1) detached over the root hash
# string, no signed attributes, signer identified by issuer and serial,
# carrying the signer certificate unless --sig-without-cert.
#
# Also writes DISK.img.json and DISK.img.env (same facts; the .env is for
# "source" in shell tests): see tools/testos/README.md.
#
# Sizes accept K, M, G suffixes (powers of 1024).
# Environment: SOURCE_DATE_EPOCH sets the ESP's file times (default and
# minimum 1980-01-01, the FAT epoch).
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MiB=$((1024 * 1024))
ESP_TYPE=$(gpt_type ESP)
ROOT_TYPE=$(gpt_type ROOT)
VERITY_TYPE=$(gpt_type ROOT_VERITY)
SIG_TYPE=$(gpt_type ROOT_VERITY_SIG)

out= esp_file= size=1G esp_size=64M root_part_size= slot_count= prefix=rampart
disk_guid= with_cert=1
root=() version=() key=() cert=()
while [ $# -gt 0 ]; do
	opt=$1
	case $opt in
	--sig-without-cert) with_cert=0; shift; continue ;;
	-h | --help) usage_from_header 5 10 ;;
	--*) [ $# -ge 2 ] || die "$opt needs a value" ;;
	*) die "unexpected argument $opt" ;;
	esac
	val=$2
	shift 2
	case $opt in
	--out) out=$val ;;
	--esp-file) esp_file=$val ;;
	--root) root[0]=$val ;;
	--root2) root[1]=$val ;;
	--version) version[0]=$val ;;
	--version2) version[1]=$val ;;
	--sign-key) key[0]=$val ;;
	--sign-key2) key[1]=$val ;;
	--sign-cert) cert[0]=$val ;;
	--sign-cert2) cert[1]=$val ;;
	--slot-count) slot_count=$val ;;
	--size) size=$val ;;
	--esp-size) esp_size=$val ;;
	--root-part-size) root_part_size=$val ;;
	--label-prefix) prefix=$val ;;
	--disk-guid) disk_guid=$val ;;
	*) die "unknown option $opt (see --help)" ;;
	esac
done

# ---- checking the request --------------------------------------------------

to_bytes() { # SIZE -> bytes
	local n=${1%[KkMmGg]} unit=${1##*[0-9]}
	[[ $n =~ ^[0-9]+$ ]] || die "bad size '$1'"
	case $unit in
	'') echo "$n" ;;
	K | k) echo $((n * 1024)) ;;
	M | m) echo $((n * MiB)) ;;
	G | g) echo $((n * 1024 * MiB)) ;;
	*) die "bad size '$1'" ;;
	esac
}
round_mib() { echo $((($1 + MiB - 1) / MiB * MiB)); }

[ -n "$out" ] || die "--out is required"
[ -n "$esp_file" ] || die "--esp-file is required"
[ -f "$esp_file" ] || die "no such file: $esp_file"
[ -n "${root[0]:-}" ] || die "--root is required"
if [ -z "$slot_count" ]; then
	slot_count=1
	[ -n "${root[1]:-}" ] && slot_count=2
fi
case $slot_count in
1) [ -z "${root[1]:-}" ] || die "--root2 needs --slot-count 2" ;;
2) ;;
*) die "--slot-count must be 1 or 2" ;;
esac
# Slots with an image ("full"); a second slot without one is a placeholder.
full=1
[ -n "${root[1]:-}" ] && full=2
for ((s = 0; s < full; s++)); do
	n=$([ $s = 0 ] || echo 2)
	[ -f "${root[s]}" ] || die "no such file: ${root[s]}"
	[ -n "${version[s]:-}" ] || die "--version$n is required"
	# No '_': the label is PREFIX_VERSION, the version after the last '_'.
	[[ ${version[s]} =~ ^[A-Za-z0-9][A-Za-z0-9.~+-]*$ ]] ||
		die "bad version '${version[s]}' (letters, digits, . ~ + -)"
	key[s]=${key[s]:-${key[0]:-}}
	cert[s]=${cert[s]:-${cert[0]:-}}
	[ -n "${key[s]}" ] && [ -n "${cert[s]}" ] || die "--sign-key and --sign-cert are required"
	[ -f "${key[s]}" ] || die "no such file: ${key[s]}"
	[ -f "${cert[s]}" ] || die "no such file: ${cert[s]}"
	label="${prefix}_${version[s]}"
	[ ${#label} -le 36 ] || die "label '$label' is longer than GPT's 36 characters"
done
[[ $prefix =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die "bad --label-prefix '$prefix'"
if [ -n "$disk_guid" ]; then
	[[ $disk_guid =~ ^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$ ]] || die "bad --disk-guid"
	disk_guid=${disk_guid,,}
fi

size=$(to_bytes "$size")
esp_size=$(round_mib "$(to_bytes "$esp_size")")
[ $esp_size -ge $((34 * MiB)) ] || die "--esp-size must be at least 34M (FAT32)"

for tool in sgdisk mkfs.vfat mcopy mmd veritysetup openssl dump.erofs sha256sum truncate dd base64; do
	command -v $tool >/dev/null || die "$tool missing (tools/host-deps.sh installs it)"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/mkdisk.XXXXXX")
trap 'rm -rf "$work"' EXIT
start_time=$(date +%s.%N)

# ---- derived identifiers -----------------------------------------------------

sha256_hex() { sha256sum | cut -c1-64; }

# ---- per-slot payloads: image, verity hash tree, signature document ---------

declare -a img img_size img_sha roothash salt vuuid vfile vsize sigdoc sigsize fpr
declare -a init_off init_size
for ((s = 0; s < full; s++)); do
	img[s]=${root[s]}
	img_size[s]=$(stat -L -c %s "${img[s]}")
	[ "${img_size[s]}" -gt 0 ] || die "${img[s]} is empty"
	if [ $((img_size[s] % 4096)) -ne 0 ]; then
		# dm-verity hashes whole 4 KiB blocks: pad a copy.
		cp "${img[s]}" "$work/root$s.img"
		img[s]=$work/root$s.img
		img_size[s]=$(((img_size[s] + 4095) / 4096 * 4096))
		truncate -s "${img_size[s]}" "${img[s]}"
	fi
	img_sha[s]=$(sha256_hex <"${img[s]}")
	salt[s]=${img_sha[s]}
	vuuid[s]=$(derived_uuid "rampart-verity-superblock:${img_sha[s]}")
	vfile[s]=$work/verity$s
	veritysetup format "${img[s]}" "${vfile[s]}" --hash=sha256 \
		--data-block-size=4096 --hash-block-size=4096 \
		--salt="${salt[s]}" --uuid="${vuuid[s]}" \
		--root-hash-file="$work/roothash$s" >"$work/verity$s.log" ||
		{ cat "$work/verity$s.log" >&2; die "veritysetup format failed for ${root[s]}"; }
	roothash[s]=$(tr -d '\n' <"$work/roothash$s")
	[[ ${roothash[s]} =~ ^[0-9a-f]{64}$ ]] || die "unexpected root hash '${roothash[s]}'"
	vsize[s]=$(stat -c %s "${vfile[s]}")
	veritysetup verify "${img[s]}" "${vfile[s]}" "${roothash[s]}" >/dev/null ||
		die "veritysetup verify failed right after format"

	# The signature over the exact root hash string.
	printf '%s' "${roothash[s]}" >"$work/roothash$s.txt"
	certs=()
	[ $with_cert = 1 ] || certs=(-nocerts)
	openssl cms -sign -binary -noattr -outform DER -md sha256 \
		-signer "${cert[s]}" -inkey "${key[s]}" "${certs[@]}" \
		-in "$work/roothash$s.txt" -out "$work/sig$s.der" 2>"$work/sign$s.log" ||
		{ cat "$work/sign$s.log" >&2; die "signing failed (key ${key[s]}, cert ${cert[s]})"; }
	openssl cms -verify -binary -inform DER -in "$work/sig$s.der" \
		-content "$work/roothash$s.txt" -certfile "${cert[s]}" -noverify \
		-out /dev/null 2>"$work/sign$s.log" ||
		{ cat "$work/sign$s.log" >&2; die "the signature does not verify: do ${key[s]} and ${cert[s]} match?"; }
	openssl x509 -in "${cert[s]}" -outform DER -out "$work/cert$s.der" 2>/dev/null ||
		openssl x509 -inform DER -in "${cert[s]}" -outform DER -out "$work/cert$s.der" ||
		die "cannot read certificate ${cert[s]}"
	fpr[s]=$(sha256_hex <"$work/cert$s.der")

	sigdoc[s]=$work/sigdoc$s
	printf '{"rootHash":"%s","signature":"%s","certificateFingerprint":"%s"}' \
		"${roothash[s]}" "$(base64 -w0 "$work/sig$s.der")" "${fpr[s]}" >"${sigdoc[s]}"
	sigsize[s]=$(stat -c %s "${sigdoc[s]}")
	truncate -s $(((sigsize[s] + 4095) / 4096 * 4096)) "${sigdoc[s]}"

	# Where /sbin/init's data is inside the image (uncompressed erofs only).
	init_off[s]= init_size[s]=
	if dump.erofs --path=/sbin/init -e "${img[s]}" >"$work/init$s.dump" 2>/dev/null &&
		grep -q 'regular file' "$work/init$s.dump" &&
		grep -q 'Compression ratio: 100.00%' "$work/init$s.dump"; then
		init_size[s]=$(sed -n 's/^Size: \([0-9]*\) .*/\1/p' "$work/init$s.dump")
		init_off[s]=$(awk -F'[|:]' '$1 ~ /^ *0$/ { split($4, a, "[.]"); print a[1] + 0 }' "$work/init$s.dump")
	fi
done

# ---- layout ------------------------------------------------------------------

# Both slots get the same partition sizes, big enough for either image
# (and for an image filling the root partition: A/B updates write there).
max_img=0
for ((s = 0; s < full; s++)); do
	[ "${img_size[s]}" -gt $max_img ] && max_img=${img_size[s]}
done
if [ -n "$root_part_size" ]; then
	root_part=$(round_mib "$(to_bytes "$root_part_size")")
	[ $root_part -ge $max_img ] || die "--root-part-size is smaller than the root image ($max_img bytes)"
else
	root_part=$(round_mib $max_img)
fi
# Hash tree for a full root partition: superblock + every level.
hash_bytes() {
	local blocks=$(($1 / 4096)) total=1
	while [ $blocks -gt 1 ]; do
		blocks=$(((blocks + 127) / 128))
		total=$((total + blocks))
	done
	echo $((total * 4096))
}
verity_part=$(round_mib "$(hash_bytes $root_part)")
for ((s = 0; s < full; s++)); do
	[ "${vsize[s]}" -le $verity_part ] || die "internal: hash tree larger than expected"
done
sig_part=$MiB
for ((s = 0; s < full; s++)); do
	[ "$(stat -c %s "${sigdoc[s]}")" -le $sig_part ] || die "signature document too large"
done

# Partition table: number role slot offset size
parts=()
off=$MiB
parts+=("1 esp - $off $esp_size")
off=$((off + esp_size))
for ((s = 0; s < slot_count; s++)); do
	n=$((2 + 3 * s))
	parts+=("$n root $s $off $root_part")
	off=$((off + root_part))
	parts+=("$((n + 1)) verity $s $off $verity_part")
	off=$((off + verity_part))
	parts+=("$((n + 2)) sig $s $off $sig_part")
	off=$((off + sig_part))
done
end_used=$off
# Backup GPT: 32 sectors of entries + header at the end.
last_usable=$((size - 33 * 512))
[ $end_used -le $last_usable ] ||
	die "partitions need $(((end_used + 33 * 512 + MiB - 1) / MiB)) MiB, --size is $((size / MiB)) MiB"

if [ -z "$disk_guid" ]; then
	{
		echo "rampart-disk size=$size esp=$(sha256_hex <"$esp_file") slots=$slot_count prefix=$prefix"
		for ((s = 0; s < full; s++)); do echo "${version[s]} ${roothash[s]}"; done
	} >"$work/disk-id"
	disk_guid=$(derived_uuid "$(cat "$work/disk-id")")
fi

label_of() { # slot
	if [ "$1" -lt $full ]; then echo "${prefix}_${version[$1]}"; else echo _empty; fi
}
uuid_of() { # role slot
	local role=$1 s=$2
	case $role in
	esp) derived_uuid "rampart-esp:$disk_guid" ;;
	*)
		if [ "$s" -ge $full ]; then
			derived_uuid "rampart-empty-$role-$s:$disk_guid"
		else
			case $role in
			root) as_uuid "${roothash[s]:0:32}" ;;
			verity) as_uuid "${roothash[s]:32:32}" ;;
			sig) derived_uuid "rampart-verity-sig:${roothash[s]}" ;;
			esac
		fi
		;;
	esac
}
type_of() {
	case $1 in esp) echo $ESP_TYPE ;; root) echo $ROOT_TYPE ;; verity) echo $VERITY_TYPE ;; sig) echo $SIG_TYPE ;; esac
}

# ---- the image ------------------------------------------------------------------

tmp=$out.tmp
mkdir -p "$(dirname "$out")"
rm -f "$tmp"
truncate -s "$size" "$tmp"

sg=(sgdisk -o -U "$disk_guid")
for p in "${parts[@]}"; do
	read -r n role s poff psize <<<"$p"
	first=$((poff / 512))
	last=$(((poff + psize) / 512 - 1))
	if [ "$role" = esp ]; then label=esp; else label=$(label_of "$s"); fi
	sg+=(-n "$n:$first:$last" -t "$n:$(type_of "$role")" -u "$n:$(uuid_of "$role" "$s")" -c "$n:$label")
	[ "$role" = esp ] || sg+=(-A "$n:set:60")
done
"${sg[@]}" "$tmp" >"$work/sgdisk.log" 2>&1 || { cat "$work/sgdisk.log" >&2; die "sgdisk failed"; }

put() { # FILE OFFSET
	dd if="$1" of="$tmp" bs=1M seek="$2" oflag=seek_bytes conv=notrunc,sparse status=none
}

# ESP: FAT32, fixed volume id and times.
epoch=${SOURCE_DATE_EPOCH:-315532800}
[ "$epoch" -ge 315532800 ] || epoch=315532800
export SOURCE_DATE_EPOCH=$epoch TZ=UTC
esp_bytes=$(stat -L -c %s "$esp_file")
[ $esp_bytes -lt $((esp_size - 2 * MiB)) ] || die "$esp_file does not fit on a $((esp_size / MiB)) MiB ESP"
spc=()
[ $esp_size -lt $((260 * MiB)) ] && spc=(-s 1)
mkfs.vfat -C --invariant -F 32 "${spc[@]}" -n ESP -i "${disk_guid:0:8}" \
	"$work/esp.img" $((esp_size / 1024)) >"$work/mkfs.log" 2>&1 ||
	{ cat "$work/mkfs.log" >&2; die "mkfs.vfat failed"; }
mmd -i "$work/esp.img" ::/EFI ::/EFI/BOOT
mcopy -i "$work/esp.img" "$esp_file" ::/EFI/BOOT/BOOTX64.EFI
put "$work/esp.img" $MiB

for p in "${parts[@]}"; do
	read -r n role s poff psize <<<"$p"
	[ "$role" != esp ] && [ "$s" -lt $full ] || continue
	case $role in
	root) put "${img[s]}" "$poff" ;;
	verity) put "${vfile[s]}" "$poff" ;;
	sig) put "${sigdoc[s]}" "$poff" ;;
	esac
done

# ---- the info files -------------------------------------------------------------

json=$work/info.json env=$work/info.env
jstr() { [ -n "$1" ] && printf '"%s"' "$1" || printf null; }
jnum() { [ -n "$1" ] && printf '%s' "$1" || printf null; }
{
	printf '{\n  "image": "%s",\n  "size": %s,\n  "sectorSize": 512,\n' "${out##*/}" "$size"
	printf '  "diskGuid": "%s",\n  "slotCount": %s,\n' "$disk_guid" "$slot_count"
	printf '  "freeOffset": %s,\n  "freeSize": %s,\n' "$end_used" $((last_usable - end_used))
	printf '  "partitions": [\n'
	sep=
	for p in "${parts[@]}"; do
		read -r n role s poff psize <<<"$p"
		if [ "$role" = esp ]; then label=esp slot=null; else label=$(label_of "$s") slot=\"$(printf "\\x$((61 + s))")\"; fi
		printf '%s    {"number": %s, "role": "%s", "slot": %s, "label": "%s", "type": "%s", "uuid": "%s", "offset": %s, "size": %s, "readOnly": %s}' \
			"$sep" "$n" "$role" "$slot" "$label" "$(type_of "$role")" "$(uuid_of "$role" "$s")" \
			"$poff" "$psize" "$([ "$role" = esp ] && echo false || echo true)"
		sep=$',\n'
	done
	printf '\n  ],\n  "slots": [\n'
	sep=
	for ((s = 0; s < slot_count; s++)); do
		n=$((2 + 3 * s))
		read -r _ _ _ roff _ <<<"${parts[1 + 3 * s]}"
		read -r _ _ _ voff _ <<<"${parts[2 + 3 * s]}"
		read -r _ _ _ soff _ <<<"${parts[3 + 3 * s]}"
		letter=$(printf "\\x$((61 + s))")
		printf '%s    {"slot": "%s", "label": "%s", "empty": %s, ' "$sep" "$letter" "$(label_of $s)" "$([ $s -lt $full ] && echo false || echo true)"
		printf '"rootPartition": %s, "verityPartition": %s, "signaturePartition": %s,\n' $n $((n + 1)) $((n + 2))
		printf '     "rootOffset": %s, "verityOffset": %s, "signatureOffset": %s, "partitionSizes": [%s, %s, %s]' \
			"$roff" "$voff" "$soff" "$root_part" "$verity_part" "$sig_part"
		if [ $s -lt $full ]; then
			printf ',\n     "version": "%s", "rootHash": "%s", "salt": "%s", "verityUuid": "%s",\n' \
				"${version[s]}" "${roothash[s]}" "${salt[s]}" "${vuuid[s]}"
			printf '     "rootDataSize": %s, "verityDataSize": %s, "signatureDataSize": %s, "signatureDocumentLength": %s,\n' \
				"${img_size[s]}" "${vsize[s]}" "$(stat -c %s "${sigdoc[s]}")" "${sigsize[s]}"
			printf '     "certificateFingerprint": "%s", "signatureHasCertificate": %s,\n' \
				"${fpr[s]}" "$([ $with_cert = 1 ] && echo true || echo false)"
			printf '     "initOffsetInImage": %s, "initDiskOffset": %s, "initSize": %s}' \
				"$(jnum "${init_off[s]}")" "$(jnum "${init_off[s]:+$((roff + init_off[s]))}")" "$(jnum "${init_size[s]}")"
		else
			printf '}'
		fi
		sep=$',\n'
	done
	printf '\n  ]\n}\n'
} >"$json"

{
	echo "# $out (tools/mkdisk.sh); shell-sourceable, same facts as ${out##*/}.json"
	echo "DISK_SIZE=$size"
	echo "DISK_GUID=$disk_guid"
	echo "SLOT_COUNT=$slot_count"
	echo "FREE_OFFSET=$end_used"
	echo "FREE_SIZE=$((last_usable - end_used))"
	echo "ESP_PART=1"
	echo "ESP_OFFSET=$MiB"
	echo "ESP_SIZE=$esp_size"
	for ((s = 0; s < slot_count; s++)); do
		L=$(printf "\\x$((41 + s))")
		n=$((2 + 3 * s))
		read -r _ _ _ roff _ <<<"${parts[1 + 3 * s]}"
		read -r _ _ _ voff _ <<<"${parts[2 + 3 * s]}"
		read -r _ _ _ soff _ <<<"${parts[3 + 3 * s]}"
		echo "SLOT_${L}_LABEL=$(label_of $s)"
		echo "SLOT_${L}_ROOT_PART=$n"
		echo "SLOT_${L}_ROOT_OFFSET=$roff"
		echo "SLOT_${L}_ROOT_SIZE=$root_part"
		echo "SLOT_${L}_VERITY_PART=$((n + 1))"
		echo "SLOT_${L}_VERITY_OFFSET=$voff"
		echo "SLOT_${L}_VERITY_SIZE=$verity_part"
		echo "SLOT_${L}_SIG_PART=$((n + 2))"
		echo "SLOT_${L}_SIG_OFFSET=$soff"
		echo "SLOT_${L}_SIG_SIZE=$sig_part"
		if [ $s -lt $full ]; then
			echo "SLOT_${L}_VERSION=${version[s]}"
			echo "SLOT_${L}_ROOT_HASH=${roothash[s]}"
			echo "SLOT_${L}_SALT=${salt[s]}"
			echo "SLOT_${L}_VERITY_UUID=${vuuid[s]}"
			echo "SLOT_${L}_ROOT_DATA_SIZE=${img_size[s]}"
			echo "SLOT_${L}_VERITY_DATA_SIZE=${vsize[s]}"
			echo "SLOT_${L}_SIG_DATA_SIZE=$(stat -c %s "${sigdoc[s]}")"
			echo "SLOT_${L}_CERT_FINGERPRINT=${fpr[s]}"
			echo "SLOT_${L}_INIT_OFFSET_IN_IMAGE=${init_off[s]}"
			echo "SLOT_${L}_INIT_DISK_OFFSET=${init_off[s]:+$((roff + init_off[s]))}"
			echo "SLOT_${L}_INIT_SIZE=${init_size[s]}"
		fi
	done
} >"$env"

mv "$tmp" "$out"
mv "$json" "$out.json"
mv "$env" "$out.env"

elapsed=$(echo "$start_time $(date +%s.%N)" | awk '{ printf "%.2f", $2 - $1 }')
sgdisk -p "$out"
for ((s = 0; s < full; s++)); do
	say "slot $(printf "\\x$((41 + s))") ${prefix}_${version[s]}: root hash ${roothash[s]}"
done
say "wrote $out ($((size / MiB)) MiB, $(((last_usable - end_used) / MiB)) MiB free after partition $((1 + 3 * slot_count))), $out.json, $out.env in ${elapsed}s"
