#!/usr/bin/env bash
# make-keys.sh: create a complete rampart key set (openssl only).
#
#   keys/make-keys.sh [--force] [--escrow-rsa] DIR
#   keys/make-keys.sh --escrow-only [--force] [--escrow-rsa] DIR
#
# DIR (created mode 0700) receives:
#   PK.key  PK.crt  PK.cer      Secure Boot Platform Key        (RSA 2048)
#   KEK.key KEK.crt KEK.cer     Secure Boot Key Exchange Key    (RSA 2048)
#   db.key  db.crt  db.cer      Secure Boot db key, signs UKIs  (RSA 2048)
#   owner.guid                  signature owner GUID for the EFI variables
#   image.key image.crt image.der image.fingerprint
#                               root-image (dm-verity root hash) signing key
#                               (EC P-256); fingerprint = sha256 of image.der
#   escrow.key escrow.crt       recovery-key escrow (EC P-384, or RSA 3072
#                               with --escrow-rsa): the initramfs carries
#                               escrow.crt, first boot encrypts each
#                               installation's recovery key to it; keep
#                               escrow.key OFF the build machine (it opens
#                               every volume: keys/recovery-key)
# .key = PEM private key (SECRET), .crt = PEM certificate, .cer/.der = DER.
# Certificates are self-signed, CN "rampart <role> <id>", one random id per
# set, so two sets (e.g. the real one and a "rogue" one for negative tests,
# `keys/make-keys.sh build/keys-rogue`) are unrelated and easy to tell apart.
#
# --escrow-only makes just escrow.key and escrow.crt, for a DIR made before
# rampart escrowed recovery keys (or to put an organisation's own escrow
# certificate in place, copy it to DIR/escrow.crt instead).
# Refuses to touch a DIR that already holds any of these files unless
# --force is given.  Files are generated in a temporary directory inside
# DIR and moved into place only when the whole set is complete.
# See keys/README.md.  Never commit the output.
set -euo pipefail

here=$(dirname "${BASH_SOURCE[0]}")
. "$here/../tools/lib.sh"
. "$here/selfsign.sh"
usage() { usage_from_header 4 4; }

force=0 escrow_only=0
escrow_alg=(-algorithm EC -pkeyopt ec_paramgen_curve:P-384 -pkeyopt ec_param_enc:named_curve)
escrow_desc="EC P-384"
dir=
while [ $# -gt 0 ]; do
	case "$1" in
	--force) force=1 ;;
	--escrow-only) escrow_only=1 ;;
	--escrow-rsa) escrow_alg=(-algorithm RSA -pkeyopt rsa_keygen_bits:3072); escrow_desc="RSA 3072" ;;
	-h|--help) usage ;;
	--) shift; [ $# -eq 1 ] || usage; dir=$1 ;;
	-*) die "unknown option $1" ;;
	*) [ -z "$dir" ] || usage; dir=$1 ;;
	esac
	shift
done
[ -n "$dir" ] || usage
command -v openssl >/dev/null || die "openssl not found (apt-get install openssl)"

files=(PK.key PK.crt PK.cer KEK.key KEK.crt KEK.cer db.key db.crt db.cer
	owner.guid image.key image.crt image.der image.fingerprint escrow.key escrow.crt)
[ $escrow_only = 1 ] && files=(escrow.key escrow.crt)

mkdir -p "$(dirname "$dir")"	# parents with the usual mode
umask 077
mkdir -p "$dir"
chmod 0700 "$dir"

present=()
for f in "${files[@]}"; do
	[ -e "$dir/$f" ] && present+=("$f")
done
if [ ${#present[@]} -gt 0 ] && [ $force -eq 0 ]; then
	if [ ${#present[@]} -eq ${#files[@]} ]; then
		die "$dir already holds a complete key set; use --force to replace it"
	fi
	die "$dir already holds ${present[*]}; refusing to overwrite (use --force)"
fi

tmp=$(mktemp -d "$dir/.make-keys.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

id=$(openssl rand -hex 4)
# Validity 2000-01-01 .. 2049-12-31 (UTCTime, parsed everywhere).  The early
# notBefore is deliberate: the initrd checks the image signature before any
# network time, and mbedtls refuses a certificate "not yet valid" by the
# RTC; a machine whose RTC was reset must still boot.  Firmware ignores
# certificate dates for db/KEK/PK.
startdate=20000101000000Z
enddate=20491231235959Z

# mkcert NAME ROLE EXTSECTION KEYGEN-ARGS...
mkcert() {
	local name=$1 role=$2 ext=$3
	shift 3
	openssl genpkey -quiet "$@" -out "$tmp/$name.key" ||
		die "key generation for $name failed"
	selfsign_cert "$tmp/$name.key" "rampart $role $id" "$ext" "$startdate" "$enddate" "$tmp/$name.crt" ||
		die "certificate for $name failed"
}

mkcert escrow escrow escrow_ext "${escrow_alg[@]}"
if [ $escrow_only = 1 ]; then
	chmod 0600 "$tmp/escrow.key"
	chmod 0644 "$tmp/escrow.crt"
	mv -f "$tmp/escrow.key" "$tmp/escrow.crt" "$dir/"
	echo "make-keys: created escrow ($escrow_desc) in $dir; move escrow.key somewhere safe"
	exit 0
fi

rsa=(-algorithm RSA -pkeyopt rsa_keygen_bits:2048)
mkcert PK PK ca_ext "${rsa[@]}"
mkcert KEK KEK ca_ext "${rsa[@]}"
mkcert db db db_ext "${rsa[@]}"
for n in PK KEK db; do
	openssl x509 -in "$tmp/$n.crt" -outform DER -out "$tmp/$n.cer"
done

mkcert image image image_ext -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	-pkeyopt ec_param_enc:named_curve
openssl x509 -in "$tmp/image.crt" -outform DER -out "$tmp/image.der"
openssl dgst -sha256 -r "$tmp/image.der" | cut -d' ' -f1 >"$tmp/image.fingerprint"

# A random (version 4) GUID, lowercase.
h=$(openssl rand -hex 16)
v=$(( (0x${h:16:2} & 0x3f) | 0x80 ))
printf '%s-%s-4%s-%02x%s-%s\n' "${h:0:8}" "${h:8:4}" "${h:13:3}" "$v" \
	"${h:18:2}" "${h:20:12}" >"$tmp/owner.guid"

# Self-test: the image key must produce the detached, attribute-less,
# single-signer PKCS#7 that rampart verifies (same openssl command line as
# the image build uses).
printf 'rampart key self-test %s' "$id" >"$tmp/probe"
openssl cms -sign -binary -noattr -outform DER -md sha256 \
	-signer "$tmp/image.crt" -inkey "$tmp/image.key" \
	-in "$tmp/probe" -out "$tmp/probe.p7s" || die "image key cannot sign"
openssl cms -verify -binary -inform DER -in "$tmp/probe.p7s" \
	-content "$tmp/probe" -CAfile "$tmp/image.crt" -purpose any \
	-out /dev/null 2>/dev/null || die "image key self-test failed"

chmod 0600 "$tmp"/*.key
chmod 0644 "$tmp"/*.crt "$tmp"/*.cer "$tmp"/image.der "$tmp"/image.fingerprint \
	"$tmp"/owner.guid
for f in "${files[@]}"; do
	mv -f "$tmp/$f" "$dir/$f"
done

echo "make-keys: created PK, KEK, db (RSA 2048), image (EC P-256), escrow ($escrow_desc), owner.guid in $dir (CN id $id, image fingerprint $(cat "$dir/image.fingerprint"))"
