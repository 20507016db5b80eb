#!/usr/bin/env bash
# build.sh: build a Unified Kernel Image (UKI) on Debian 12's systemd stub.
#
#   uki/build.sh --kernel VMLINUZ --initrd INITRD --cmdline FILE
#                --os-release FILE --out OUT.efi
#                (--key db.key --cert db.crt | --unsigned)
#                [--uname VERSION] [--version-id ID] [--stub STUB.efi]
#
# The UKI is the stub (/usr/lib/systemd/boot/efi/linuxx64.efi.stub, package
# systemd-boot-efi, v252) plus sections .osrel .cmdline .uname .initrd
# .linux, added with objcopy, each page-aligned after the stub's last
# section.  systemd-stub measures them into PCR 11.
#
# THE SIGNED .cmdline IS THE ONLY COMMAND LINE THAT COUNTS UNDER SECURE BOOT:
# systemd-stub ignores a command line passed by a boot loader (or typed at
# the EFI shell) when Secure Boot is on and the UKI has a .cmdline section.
# Every rampart.* option an attacker could use to weaken a boot
# (rampart.debug=..., rampart.on-failure=...) is therefore fixed at signing
# time: a production UKI must be built from uki/cmdline.production, never
# from uki/cmdline.debug.
#
# --cmdline FILE: one command line, may span lines; lines starting with '#'
#   are comments; whitespace runs collapse to one space.
# --os-release FILE: copied into .osrel; "@VERSION_ID@" in it is replaced
#   by --version-id (default $RAMPART_VERSION_ID, else "0").
# --uname: the kernel release for .uname; default read from the bzImage
#   header of --kernel.
# --key/--cert: sign with sbsign (the db key) and check with sbverify.
# --unsigned: leave it unsigned (for negative tests, or to sign elsewhere).
#
# Reproducibility: an --unsigned UKI is a function of its inputs only (the
# PE timestamp is reset to the stub's).  A signed one adds only the
# signature, which carries sbsign's signingTime (sbsign 0.9.4 cannot leave
# it out): with SOURCE_DATE_EPOCH set, sbsign runs under faketime at that
# time, and with an RSA db key (PKCS#1 v1.5 is deterministic) the signed
# UKI is bit-identical too.  The Authenticode hash, which firmware measures
# into PCR 4, excludes the signature either way.
set -euo pipefail

prog=${0##*/}
die() { echo "$prog: $*" >&2; exit 1; }
usage() {
	sed -n '4,7s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

kernel='' initrd='' cmdline='' osrel='' out='' key='' cert='' uname=''
unsigned=0
version_id=${RAMPART_VERSION_ID:-0}
stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
while [ $# -gt 0 ]; do
	opt=$1
	case "$opt" in
	--unsigned) unsigned=1; shift; continue ;;
	-h|--help) usage ;;
	--*=*) set -- "${opt%%=*}" "${opt#*=}" "${@:2}"; continue ;;
	--kernel|--initrd|--cmdline|--os-release|--out|--key|--cert|--uname|--version-id|--stub)
		[ $# -ge 2 ] || die "$opt needs an argument" ;;
	*) die "unknown argument $opt" ;;
	esac
	case "$opt" in
	--kernel) kernel=$2 ;;
	--initrd) initrd=$2 ;;
	--cmdline) cmdline=$2 ;;
	--os-release) osrel=$2 ;;
	--out) out=$2 ;;
	--key) key=$2 ;;
	--cert) cert=$2 ;;
	--uname) uname=$2 ;;
	--version-id) version_id=$2 ;;
	--stub) stub=$2 ;;
	esac
	shift 2
done

if [ -z "$kernel" ] || [ -z "$initrd" ] || [ -z "$cmdline" ] || [ -z "$osrel" ] ||
   [ -z "$out" ]; then
	usage
fi
if [ $unsigned -eq 1 ]; then
	[ -z "$key$cert" ] || die "--unsigned excludes --key/--cert"
else
	if [ -z "$key" ] || [ -z "$cert" ]; then
		die "give --key and --cert, or --unsigned"
	fi
	[ -r "$key" ] || die "$key: cannot read"
	[ -r "$cert" ] || die "$cert: cannot read"
	command -v sbsign >/dev/null || die "sbsign not found (apt-get install sbsigntool)"
fi
for f in "$kernel" "$initrd" "$cmdline" "$osrel"; do
	[ -r "$f" ] || die "$f: cannot read"
done
[ -r "$stub" ] || die "$stub missing (apt-get install systemd-boot-efi)"
command -v objcopy >/dev/null || die "objcopy not found (apt-get install binutils)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/uki.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# .cmdline: comments dropped, one line, no trailing newline (the bytes are
# measured; keep them canonical).
grep -v '^[[:space:]]*#' "$cmdline" | tr -s ' \t\n' '   ' |
	sed -e 's/^ //' -e 's/ $//' | tr -d '\n' >"$tmp/cmdline"
[ -s "$tmp/cmdline" ] || die "$cmdline: empty command line"

[[ $version_id =~ ^[A-Za-z0-9._~+-]+$ ]] || die "bad --version-id '$version_id'"
sed "s/@VERSION_ID@/$version_id/g" "$osrel" >"$tmp/osrel"

# .uname from the bzImage header: "HdrS" at 0x202, the u16 at 0x20e points
# (minus 0x200) at a NUL-terminated "RELEASE (builder) #N ..." string.
if [ -z "$uname" ]; then
	if [ "$(dd if="$kernel" bs=1 skip=$((0x202)) count=4 status=none)" = HdrS ]; then
		off=$(od -A n -t u2 -j $((0x20e)) -N 2 "$kernel" | tr -d ' ')
		uname=$(dd if="$kernel" bs=1 skip=$((off + 0x200)) count=256 status=none |
			tr '\0' '\n' | head -n 1 | cut -d' ' -f1)
	fi
fi
[ -n "$uname" ] || die "$kernel: cannot read the kernel release; give --uname"
printf '%s' "$uname" >"$tmp/uname"

# First free page after the stub's sections (VMAs as objdump shows them,
# i.e. image base included, which is what --change-section-vma takes).
end=0
while read -r idx _ size vma _; do
	[[ $idx =~ ^[0-9]+$ ]] || continue
	if (( 0x$vma + 0x$size > end )); then end=$(( 0x$vma + 0x$size )); fi
done < <(objdump -h "$stub")
[ "$end" -gt 0 ] || die "$stub: cannot read its sections"
page=4096
align() { echo $(( ($1 + page - 1) / page * page )); }

vma=$(align "$end")
args=()
add() {	# NAME FILE
	local size
	size=$(stat -c %s "$2")
	args+=(--add-section "$1=$2" --change-section-vma "$1=$(printf '0x%x' "$vma")"
		--set-section-flags "$1=data,readonly")
	vma=$(align $((vma + size)))
}
add .osrel "$tmp/osrel"
add .cmdline "$tmp/cmdline"
add .uname "$tmp/uname"
add .initrd "$initrd"
add .linux "$kernel"

objcopy "${args[@]}" "$stub" "$tmp/uki.efi" 2>"$tmp/objcopy.log" ||
	{ cat "$tmp/objcopy.log" >&2; die "objcopy failed"; }
grep -v -e '^$' "$tmp/objcopy.log" >&2 || true

# objcopy stamps the PE header with the current time (binutils 2.40 ignores
# SOURCE_DATE_EPOCH here).  Put back the stub's timestamp and fix the PE
# checksum, so equal inputs give an identical UKI.
/usr/bin/python3 - "$stub" "$tmp/uki.efi" <<'EOF' || die "cannot reset the PE timestamp"
import array, struct, sys

def pe_offset(b):
    pe = struct.unpack_from('<I', b, 0x3c)[0]
    if b[pe:pe + 4] != b'PE\0\0':
        sys.exit('not a PE image')
    return pe

stub = open(sys.argv[1], 'rb').read()
ts = struct.unpack_from('<I', stub, pe_offset(stub) + 8)[0]
with open(sys.argv[2], 'r+b') as f:
    b = bytearray(f.read())
    pe = pe_offset(b)
    struct.pack_into('<I', b, pe + 8, ts)
    ck = pe + 24 + 64          # OptionalHeader.CheckSum (PE32+)
    struct.pack_into('<I', b, ck, 0)
    w = array.array('H', bytes(b) + b'\0' * (len(b) & 1))
    if sys.byteorder != 'little':
        w.byteswap()
    s = sum(w)
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    struct.pack_into('<I', b, ck, (s + len(b)) & 0xffffffff)
    f.seek(0)
    f.write(b)
EOF

if [ $unsigned -eq 0 ]; then
	# sbsign stamps the signature with signingTime: at SOURCE_DATE_EPOCH
	# (libfaketime) an RSA-signed UKI is bit-identical from build to build.
	# -f: the clock stands still.  Without it faketime only starts the
	# clock there, and a loaded machine signs a second or more later.
	at=()
	if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
		command -v faketime >/dev/null || die "faketime not found (apt-get install faketime)"
		at=(env TZ=UTC faketime -f "$(TZ=UTC date -d "@$SOURCE_DATE_EPOCH" '+%Y-%m-%d %H:%M:%S')")
	fi
	"${at[@]}" sbsign --key "$key" --cert "$cert" --output "$tmp/uki.signed" "$tmp/uki.efi" \
		>"$tmp/sbsign.log" 2>&1 ||
		{ cat "$tmp/sbsign.log" >&2; die "sbsign failed"; }
	sbverify --cert "$cert" "$tmp/uki.signed" >"$tmp/sbverify.log" 2>&1 ||
		{ cat "$tmp/sbverify.log" >&2; die "sbverify failed on the signed UKI"; }
	mv "$tmp/uki.signed" "$tmp/uki.efi"
	state="signed by $(openssl x509 -in "$cert" -noout -subject -nameopt multiline |
		sed -n 's/^ *commonName *= //p')"
else
	state=unsigned
fi

mkdir -p "$(dirname "$out")"
chmod 0644 "$tmp/uki.efi"
mv -f "$tmp/uki.efi" "$out.tmp.$$"
mv -f "$out.tmp.$$" "$out"
size=$(stat -c %s "$out")
echo "uki: $out $size bytes ($((size / 1024)) KiB), kernel $uname, $state, cmdline: $(cat "$tmp/cmdline")"
