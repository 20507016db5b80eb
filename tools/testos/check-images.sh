#!/usr/bin/env bash
# Checks tools/mkroot.sh and tools/mkdisk.sh on this host, without QEMU:
# reproducibility, the GPT layout and UUID pairing, dm-verity (and that a
# flipped byte breaks it), the signature document, the info files, A/B
# slots.  Keys are made on the fly in a temporary directory.
#
#   tools/testos/check-images.sh [--keep DIR]
#
# Prints one PASS/FAIL line per check and "N passed, N failed"; exit 1 on
# any failure.  A few seconds.
set -uo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
keep=
if [ "${1:-}" = --keep ]; then
	[ $# -eq 2 ] || { echo "usage: ${0##*/} [--keep DIR]" >&2; exit 2; }
	keep=$2
fi
if [ -n "$keep" ]; then
	work=$(realpath -m "$keep")
	rm -rf "$work"
	mkdir -p "$work"
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/testos-check.XXXXXX")
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
die() { echo "check-images: $*" >&2; exit 1; }
same() { cmp -s "$1" "$2"; }
differ() { ! same "$1" "$2"; }
extract() { # DISK OFFSET SIZE OUT
	dd if="$1" of="$4" bs=4096 skip=$(($2 / 4096)) count=$(($3 / 4096)) status=none
}

mkroot=$here/tools/mkroot.sh
mkdisk=$here/tools/mkdisk.sh

# --- keys -------------------------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.crt \
	-subj "/CN=check-images rsa" -days 30 2>/dev/null || die "openssl failed"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec.key -out ec.crt \
	-subj "/CN=check-images ec" -days 30 2>/dev/null || die "openssl failed"
printf 'not a real UKI\n' >uki.efi

# --- the root -----------------------------------------------------------------------------
check "mkroot builds version 1.0" "$mkroot" root1.erofs 1.0
mkdir -p other-tmp
check "mkroot again (other TMPDIR, other epoch env unset)" env TMPDIR="$work/other-tmp" "$mkroot" root1b.erofs 1.0
check "mkroot is reproducible" same root1.erofs root1b.erofs
check "mkroot builds version 2.0" "$mkroot" root2.erofs 2.0
check "versions give different images" differ root1.erofs root2.erofs
check "erofs image passes fsck.erofs" fsck.erofs --extract=x1 root1.erofs
check "os-release carries VERSION_ID" grep -qx 'VERSION_ID=1.0' x1/usr/lib/os-release
check "os-release carries the security version" grep -qx 'RAMPART_SECURITY_VERSION=1' x1/usr/lib/os-release
check "/etc/os-release points at /usr/lib/os-release" test "$(readlink x1/etc/os-release)" = ../usr/lib/os-release
check "/sbin/init is the test OS init" cmp x1/sbin/init "$here/tools/testos/init"
check "busybox applets present" test -L x1/bin/sh -a -L x1/sbin/swapon -a -L x1/sbin/poweroff
check "mount points present and empty" bash -c 'for d in proc sys dev run var tmp; do [ -d x1/$d ] && [ -z "$(ls -A x1/$d)" ] || exit 1; done'
check "init is executable, owned by root" bash -c '[ "$(stat -c %a:%u x1/sbin/init)" = 755:0 ]'

# --- a disk, twice ---------------------------------------------------------------------
# 256 MiB disks: comparing 1 GiB images costs seconds for nothing here.
common=(--esp-file uki.efi --root root1.erofs --version 1.0 --size 256M)
start=$SECONDS
check "mkdisk (RSA key)" "$mkdisk" --out a.img "${common[@]}" --sign-key rsa.key --sign-cert rsa.crt
check "mkdisk again (RSA key)" "$mkdisk" --out b.img "${common[@]}" --sign-key rsa.key --sign-cert rsa.crt
check "RSA: two builds are byte-identical" same a.img b.img
# shellcheck disable=SC1091
. ./a.img.env
check "info env: root hash present" test ${#SLOT_A_ROOT_HASH} -eq 64
# python3, not jq: every machine that builds has it, so the check always runs.
check "info json parses, agrees with env" \
	test "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["slots"][0]["rootHash"])' a.img.json)" = \
	"$SLOT_A_ROOT_HASH"

sgdisk -p a.img >layout.txt 2>&1
sgdisk -i "$SLOT_A_ROOT_PART" a.img >root-part.txt 2>&1
sgdisk -i "$SLOT_A_VERITY_PART" a.img >verity-part.txt 2>&1
sgdisk -i "$SLOT_A_SIG_PART" a.img >sig-part.txt 2>&1
sgdisk -i "$ESP_PART" a.img >esp-part.txt 2>&1
uuid_of_hex() { sed -E 's/^(.{8})(.{4})(.{4})(.{4})(.{12})$/\1-\2-\3-\4-\5/' <<<"${1^^}"; }
check "ESP type" grep -q 'GUID code: C12A7328-F81F-11D2-BA4B-00A0C93EC93B' esp-part.txt
check "root type" grep -q 'GUID code: 4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709' root-part.txt
check "verity type" grep -q 'GUID code: 2C7357ED-EBD2-46D9-AEC1-23D437EC2BF5' verity-part.txt
check "signature type" grep -q 'GUID code: 41092B05-9FC8-4523-994F-2DEF0408B176' sig-part.txt
check "root UUID = first half of the root hash" \
	grep -q "unique GUID: $(uuid_of_hex "${SLOT_A_ROOT_HASH:0:32}")" root-part.txt
check "verity UUID = second half of the root hash" \
	grep -q "unique GUID: $(uuid_of_hex "${SLOT_A_ROOT_HASH:32:32}")" verity-part.txt
check "labels carry the version" bash -c "grep -c \"Partition name: 'rampart_1.0'\" root-part.txt verity-part.txt sig-part.txt | grep -c ':1' | grep -qx 3"
check "read-only attribute (bit 60)" grep -q 'Attribute flags: 1000000000000000' root-part.txt
check "free space after the partitions" test "$FREE_SIZE" -gt $((128 * 1024 * 1024))

mcopy -n -i "a.img@@$ESP_OFFSET" ::/EFI/BOOT/BOOTX64.EFI esp-uki.efi 2>/dev/null
check "ESP holds the UKI at EFI/BOOT/BOOTX64.EFI" cmp esp-uki.efi uki.efi
extract a.img "$ESP_OFFSET" "$ESP_SIZE" esp.fat
check "ESP is a clean FAT32" bash -c 'fsck.vfat -n esp.fat && file -b esp.fat | grep -q "FAT (32 bit)"'

# --- dm-verity -----------------------------------------------------------------------------
extract a.img "$SLOT_A_ROOT_OFFSET" "$SLOT_A_ROOT_DATA_SIZE" p-root
extract a.img "$SLOT_A_VERITY_OFFSET" "$SLOT_A_VERITY_SIZE" p-verity
check "root partition holds the erofs image" cmp p-root root1.erofs
check "veritysetup verify succeeds" veritysetup verify p-root p-verity "$SLOT_A_ROOT_HASH"
check "verity superblock: sha256, 4096-byte blocks" \
	bash -c "veritysetup dump p-verity | grep -q 'Hash algorithm:.*sha256' && veritysetup dump p-verity | grep -q 'Data block size:.*4096'"
check "a wrong root hash fails" bash -c "! veritysetup verify p-root p-verity $(printf '%064d' 0)"
cp p-root p-root-flipped
printf '\x01' | dd of=p-root-flipped bs=1 seek=$((SLOT_A_INIT_OFFSET_IN_IMAGE + 100)) conv=notrunc status=none
check "one flipped byte in /sbin/init's data fails verify" \
	bash -c "! veritysetup verify p-root-flipped p-verity $SLOT_A_ROOT_HASH"
check "info: init offset points at the init script" \
	bash -c "dd if=a.img bs=1 skip=$SLOT_A_INIT_DISK_OFFSET count=9 status=none | grep -qx '#!/bin/sh'"

# --- signature document --------------------------------------------------------------------
extract a.img "$SLOT_A_SIG_OFFSET" "$SLOT_A_SIG_DATA_SIZE" p-sig
tr -d '\0' <p-sig >sig.json
check "signature document is NUL-padded to 4096" \
	bash -c "[ $((SLOT_A_SIG_DATA_SIZE % 4096)) = 0 ] && [ \$(stat -c %s sig.json) -lt $SLOT_A_SIG_DATA_SIZE ]"
check "signature document format" grep -qE '^\{"rootHash":"[0-9a-f]{64}","signature":"[A-Za-z0-9+/=]+","certificateFingerprint":"[0-9a-f]{64}"\}$' sig.json
sed -E 's/.*"signature":"([^"]*)".*/\1/' sig.json | base64 -d >sig.der 2>/dev/null
printf '%s' "$SLOT_A_ROOT_HASH" >roothash.txt
check "document's rootHash is the root hash" grep -q "\"rootHash\":\"$SLOT_A_ROOT_HASH\"" sig.json
check "fingerprint is sha256 of the DER certificate" \
	grep -q "\"certificateFingerprint\":\"$(openssl x509 -in rsa.crt -outform DER | sha256sum | cut -c1-64)\"" sig.json
check "PKCS#7 verifies with the certificate (-nointern)" openssl cms -verify -binary -inform DER \
	-in sig.der -content roothash.txt -certfile rsa.crt -nointern -noverify -out /dev/null
check "PKCS#7 verifies with its embedded certificate" openssl cms -verify -binary -inform DER \
	-in sig.der -content roothash.txt -noverify -out /dev/null
check "PKCS#7 fails for another certificate" bash -c "! openssl cms -verify -binary -inform DER \
	-in sig.der -content roothash.txt -certfile ec.crt -nointern -noverify -out /dev/null"
last=${SLOT_A_ROOT_HASH:63:1}
printf '%s%s' "${SLOT_A_ROOT_HASH:0:63}" "$([ "$last" = 0 ] && echo 1 || echo 0)" >roothash-wrong.txt
check "PKCS#7 fails for other content" bash -c "! openssl cms -verify -binary -inform DER \
	-in sig.der -content roothash-wrong.txt -certfile rsa.crt -nointern -noverify -out /dev/null"
check "PKCS#7 is DER, no signed attributes, one certificate" bash -c "
	openssl asn1parse -inform DER -in sig.der >asn1.txt &&
	! grep -q 'l=inf' asn1.txt && ! grep -qE 'contentType|messageDigest|signingTime' asn1.txt &&
	[ \$(openssl pkcs7 -inform DER -in sig.der -print_certs | grep -c 'BEGIN CERT') = 1 ]"

# --- EC key ------------------------------------------------------------------------------------
check "mkdisk (EC key)" "$mkdisk" --out e1.img "${common[@]}" --sign-key ec.key --sign-cert ec.crt
check "mkdisk again (EC key)" "$mkdisk" --out e2.img "${common[@]}" --sign-key ec.key --sign-cert ec.crt
# ECDSA signatures are randomised: everything but the signature partition matches.
check "EC: same root hash as with RSA" grep -qx "SLOT_A_ROOT_HASH=$SLOT_A_ROOT_HASH" e1.img.env
check "EC: builds differ only inside the signature partition" bash -c "
	cmp -l e1.img e2.img | awk -v lo=$SLOT_A_SIG_OFFSET -v hi=$((SLOT_A_SIG_OFFSET + SLOT_A_SIG_DATA_SIZE)) \
		'{ if (\$1 - 1 < lo || \$1 - 1 >= hi) bad = 1 } END { exit bad }'"
extract e1.img "$SLOT_A_SIG_OFFSET" 4096 e-sig
tr -d '\0' <e-sig | sed -E 's/.*"signature":"([^"]*)".*/\1/' | base64 -d >e-sig.der 2>/dev/null
check "EC: PKCS#7 verifies" openssl cms -verify -binary -inform DER \
	-in e-sig.der -content roothash.txt -certfile ec.crt -nointern -noverify -out /dev/null

# --- without the certificate -----------------------------------------------------------------
check "mkdisk --sig-without-cert" "$mkdisk" --out n.img "${common[@]}" --sign-key rsa.key --sign-cert rsa.crt --sig-without-cert
extract n.img "$SLOT_A_SIG_OFFSET" 4096 n-sig
tr -d '\0' <n-sig | sed -E 's/.*"signature":"([^"]*)".*/\1/' | base64 -d >n-sig.der 2>/dev/null
check "no-cert PKCS#7 verifies with -certfile" openssl cms -verify -binary -inform DER \
	-in n-sig.der -content roothash.txt -certfile rsa.crt -noverify -out /dev/null
check "no-cert PKCS#7 carries no certificate" bash -c "! openssl cms -verify -binary -inform DER \
	-in n-sig.der -content roothash.txt -noverify -out /dev/null"

# --- A/B ----------------------------------------------------------------------------------------
check "mkdisk with two slots" "$mkdisk" --out ab.img "${common[@]}" --sign-key rsa.key --sign-cert rsa.crt \
	--root2 root2.erofs --version2 2.0 --sign-key2 ec.key --sign-cert2 ec.crt
(
	. ./ab.img.env
	extract ab.img "$SLOT_B_ROOT_OFFSET" "$SLOT_B_ROOT_DATA_SIZE" b-root
	extract ab.img "$SLOT_B_VERITY_OFFSET" "$SLOT_B_VERITY_SIZE" b-verity
	echo "$SLOT_B_ROOT_HASH" >b-roothash
	printf '%s' "$SLOT_B_ROOT_HASH" >b-roothash.txt
	extract ab.img "$SLOT_B_SIG_OFFSET" 4096 b-sig
	tr -d '\0' <b-sig | sed -E 's/.*"signature":"([^"]*)".*/\1/' | base64 -d >b-sig.der
	sgdisk -p ab.img >ab-layout.txt
)
check "slot B verifies" bash -c 'veritysetup verify b-root b-verity "$(cat b-roothash)"'
check "slot B signed with its own key" openssl cms -verify -binary -inform DER \
	-in b-sig.der -content b-roothash.txt -certfile ec.crt -nointern -noverify -out /dev/null
check "slot labels" bash -c "[ \$(grep -c ' rampart_1.0\$' ab-layout.txt) = 3 ] && [ \$(grep -c ' rampart_2.0\$' ab-layout.txt) = 3 ]"
check "mkdisk with an empty second slot" "$mkdisk" --out empty.img "${common[@]}" \
	--sign-key rsa.key --sign-cert rsa.crt --slot-count 2 --root-part-size 8M
check "empty slot labelled _empty" bash -c "sgdisk -p empty.img | grep -c ' _empty\$' | grep -qx 3"
check "slots have the same sizes" bash -c '. ./empty.img.env && [ $SLOT_A_ROOT_SIZE = $SLOT_B_ROOT_SIZE ] && [ $SLOT_B_ROOT_SIZE = 8388608 ]'
check "refuses a disk too small" bash -c "! $mkdisk --out small.img ${common[*]} --sign-key rsa.key --sign-cert rsa.crt --size 60M"
check "refuses mismatched key and certificate" bash -c "! $mkdisk --out bad.img ${common[*]} --sign-key ec.key --sign-cert rsa.crt"

echo "check-images: disk builds took $((SECONDS - start))s in all${keep:+ (files in $work)}"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
