#!/usr/bin/env bash
# repro-check.sh RESULTS: builds the boot artefacts twice from this commit,
# in two build directories of different paths, one after the other (so at
# different times), with SOURCE_DATE_EPOCH from the commit, and compares
# them.  Writes one "PASS|FAIL repro: ..." line per check to RESULTS.
#
# Bit-identical: the static /init, the initramfs (cpio and zstd), the
# unsigned UKI, the signed UKI, the test-OS erofs, the CycloneDX SBOM.
# The signed UKI is also checked with its signature stripped (sbattach
# --remove) against the unsigned one, which proves the signature is the
# only thing signing adds.  The disk image: the root-hash signature is
# ECDSA when the image key is EC (OpenSSL has no deterministic ECDSA), so
# two images may differ there; the check proves that every differing byte
# lies inside a signature document, that the two documents are equal but
# for their "signature" value, and that both signatures verify.
#
# Environment: BUILD (default build; the two builds go to BUILD/repro),
# KEYDIR (both builds sign with it; default BUILD/keys), SOURCE_DATE_EPOCH
# (default: the commit's time).  The stack is shared (its own check is
# tools/build-stack.sh repro).
set -uo pipefail

results=${1:?usage: tools/repro-check.sh RESULTS}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${BUILD:-build}
keydir=$(realpath -m "${KEYDIR:-$build/keys}")
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
base=$(realpath -m "$build/repro")
dirs=("$base/a" "$base/second-build-b")

pass=0 fail=0
: >"$results"
check() { # NAME COMMAND...
	local name=$1
	shift
	if "$@" >>"$base/checks.log" 2>&1; then
		echo "PASS repro: $name" >>"$results"
		pass=$((pass + 1))
	else
		echo "FAIL repro: $name" >>"$results"
		echo "repro: FAIL $name (log: $base/checks.log)" >&2
		fail=$((fail + 1))
	fi
}

rm -rf "$base"
mkdir -p "$base"
make --no-print-directory -s KEYDIR="$keydir" "$keydir/db.crt" >"$base/keys.log" 2>&1 ||
	{ cat "$base/keys.log" >&2; echo "FAIL repro: make the signing keys" >>"$results"; exit 1; }

artefacts=(init initramfs.zst initramfs.zst.cpio uki/production.unsigned.efi
	uki/production.efi images/root-1.0.erofs images/base.img initramfs.cdx.json)
for d in "${dirs[@]}"; do
	log="$d.log"
	if ! make --no-print-directory BUILD="$d" KEYDIR="$keydir" \
		"${artefacts[@]/#/$d/}" >"$log" 2>&1; then
		tail -n 20 "$log" >&2
		echo "FAIL repro: build in $d (log: $log)" >>"$results"
		exit 1
	fi
done
a=${dirs[0]} b=${dirs[1]}

for f in init initramfs.zst.cpio initramfs.zst uki/production.unsigned.efi \
	uki/production.efi images/root-1.0.erofs initramfs.cdx.json; do
	check "$f is bit-identical in two builds" cmp "$a/$f" "$b/$f"
done

strip_sig() { # SIGNED OUT
	cp "$1" "$2" && sbattach --remove "$2"
}
# sbsign pads the image to 8 bytes before the signature and rewrites the PE
# checksum; sbattach --remove keeps both.  Equal but for those two.
pe_equal_but_padding_and_checksum() { # STRIPPED UNSIGNED
	python3 - "$1" "$2" <<'PY'
import struct, sys
a, b = (bytearray(open(p, 'rb').read()) for p in sys.argv[1:3])
pad = len(a) - len(b)
if not 0 <= pad < 8 or any(a[len(b):]):
    sys.exit(f"sizes {len(a)} and {len(b)} differ by more than sbsign's zero padding")
for x in (a, b):
    pe = struct.unpack_from('<I', x, 0x3c)[0]
    struct.pack_into('<I', x, pe + 24 + 64, 0)  # OptionalHeader.CheckSum
if a[:len(b)] != b:
    sys.exit("the images differ beyond the padding and the PE checksum")
PY
}
uki_unsigned_equal() { # the signed UKI less its signature is the unsigned one
	strip_sig "$a/uki/production.efi" "$base/a-stripped.efi" &&
		strip_sig "$b/uki/production.efi" "$base/b-stripped.efi" &&
		pe_equal_but_padding_and_checksum "$base/a-stripped.efi" "$a/uki/production.unsigned.efi" &&
		pe_equal_but_padding_and_checksum "$base/b-stripped.efi" "$b/uki/production.unsigned.efi"
}
check "signed UKI less its signature equals the unsigned UKI" uki_unsigned_equal

# Every byte where the two disk images differ lies in a slot's signature
# document; the documents agree but for "signature"; both verify.
disk_equal_but_signature() {
	local img=images/base.img ranges
	ranges=$(
		# shellcheck disable=SC1090
		. "$a/$img.env"
		for L in A B; do
			o=SLOT_${L}_SIG_OFFSET n=SLOT_${L}_SIG_DATA_SIZE
			[ -n "${!o:-}" ] && [ -n "${!n:-}" ] && echo "${!o} $((${!o} + ${!n}))"
		done
	)
	[ -n "$ranges" ] || { echo "no signature partition in $a/$img.env"; return 1; }
	cmp <(grep -v '^#' "$a/$img.env") <(grep -v '^#' "$b/$img.env") || return 1
	[ "$(stat -c %s "$a/$img")" = "$(stat -c %s "$b/$img")" ] || { echo "disk sizes differ"; return 1; }
	# cmp -l numbers bytes from 1.
	{ cmp -l "$a/$img" "$b/$img" || true; } | awk -v r="$ranges" '
		BEGIN { n = split(r, x, /[ \n]/); for (i = 1; i <= n; i += 2) { lo[i] = x[i]; hi[i] = x[i + 1] } }
		{ off = $1 - 1; ok = 0
		  for (i in lo) if (off >= lo[i] && off < hi[i]) ok = 1
		  if (!ok) { printf "byte %d differs outside the signature documents\n", off; bad = 1; exit } }
		END { exit bad }' || return 1
	local d
	for d in "$a" "$b"; do
		# shellcheck disable=SC1090
		(. "$d/$img.env"
		 dd if="$d/$img" of="$d.sigdoc" bs=1M iflag=skip_bytes,count_bytes \
			skip="$SLOT_A_SIG_OFFSET" count="$SLOT_A_SIG_DATA_SIZE" status=none) || return 1
	done
	python3 - "$a.sigdoc" "$b.sigdoc" "$base" <<'PY' || return 1
import base64, json, sys
docs = []
for i, p in enumerate(sys.argv[1:3]):
    d = json.loads(open(p, 'rb').read().rstrip(b'\0'))
    open(f"{sys.argv[3]}/sig{i}.der", 'wb').write(base64.b64decode(d.pop('signature')))
    open(f"{sys.argv[3]}/roothash{i}", 'w').write(d['rootHash'])
    docs.append(d)
if docs[0] != docs[1]:
    sys.exit(f"signature documents differ beyond the signature: {docs[0]} != {docs[1]}")
PY
	for i in 0 1; do
		openssl cms -verify -binary -inform DER -in "$base/sig$i.der" \
			-content "$base/roothash$i" -CAfile "$keydir/image.crt" \
			-purpose any -out /dev/null || return 1
	done
}
check "disk image differs from a second build at most in the root-hash signature, which verifies" \
	disk_equal_but_signature

echo "repro: $pass passed, $fail failed (builds: ${dirs[*]}; SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH)"
[ "$fail" -eq 0 ]
