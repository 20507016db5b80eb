#!/usr/bin/env bash
# rootsig-fixtures.sh DIR: keys, certificates and signature documents for
# test_rootsig (openssl only; a few seconds).  Documents are made the way
# tools/mkdisk.sh makes them: `openssl cms -sign -binary -noattr -outform
# DER -md sha256` over the root hash string, then
# {"rootHash":..,"signature":..,"certificateFingerprint":..} NUL-padded to
# a multiple of 4096.  Variants differ in one thing each (see below).
#
# DIR receives:
#   NAME.key NAME.der         ec (P-256, valid 2000-2049), rsa (2048,
#                             expired in 2001), ec-future (the ec key, valid
#                             only from 2090), rogue (P-256), impostor
#                             (P-256, same subject and serial as ec),
#                             weak (RSA 1024)
#   roothash, roothash-long   the signed strings (64 and 128 hex digits)
#   *.doc                     signature partition contents
#   trusted/                  a trust directory: ec, rsa, ec-future, plus a
#                             duplicate, junk and non-certificate entries
#   escrow-NAME.key .crt      escrow certificates for test_escrow: rsa
#                             (3072), p256, p384, p521, and what escrow
#                             does not take: ed25519, k256 (secp256k1),
#                             rsa1024
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../keys/selfsign.sh"

out=$(realpath -m "${1:?usage: $0 DIR}")
tmp=$(mktemp -d "${out%/}.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

# cert NAME KEYFILE CN SERIAL START END: self-signed DER certificate.
cert() {
	selfsign_cert "$2" "$3" leaf_ext "$5" "$6" "$1.crt" "$4" || exit 1
	openssl x509 -in "$1.crt" -outform DER -out "$1.der"
}
ec() { openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"; }

ec ec
cert ec ec.key "rampart test ec" 1001 20000101000000Z 20491231235959Z
openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key
cert rsa rsa.key "rampart test rsa" 1002 20000101000000Z 20010101000000Z
cp ec.key ec-future.key
cert ec-future ec.key "rampart test ec future" 1003 20900101000000Z 20910101000000Z
ec rogue
cert rogue rogue.key "rampart test rogue" 1004 20000101000000Z 20491231235959Z
ec impostor
openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out weak.key
cert weak weak.key "rampart test weak rsa" 1005 20000101000000Z 20491231235959Z
cert impostor impostor.key "rampart test ec" 1001 20000101000000Z 20491231235959Z

printf '%s' "$(printf 'rampart test root' | sha256sum | cut -c1-64)" >roothash
printf '%s' "$(printf 'rampart test root' | sha512sum | cut -c1-128)" >roothash-long

fpr() { sha256sum <"$1.der" | cut -c1-64; }

# doc OUT SIGNER HASHFILE FPR-OF [openssl cms options...]
doc() {
	local name=$1 signer=$2 hashfile=$3 fpr_of=$4
	shift 4
	openssl cms -sign -binary -noattr -outform DER -md sha256 \
		-signer "$signer.crt" -inkey "$signer.key" "$@" \
		-in "$hashfile" -out "$name.p7s"
	printf '{"rootHash":"%s","signature":"%s","certificateFingerprint":"%s"}' \
		"$(cat "$hashfile")" "$(base64 -w0 "$name.p7s")" "$(fpr "$fpr_of")" >"$name.doc"
	truncate -s $((($(stat -c %s "$name.doc") + 4095) / 4096 * 4096)) "$name.doc"
}

doc ec ec roothash ec                     # exactly mkdisk's default
doc ec-nocert ec roothash ec -nocerts     # mkdisk --sig-without-cert
doc rsa rsa roothash rsa                  # RSA, certificate long expired
doc ec-future ec-future roothash ec-future   # certificate not yet valid
doc ec-sha384 ec roothash ec -md sha384
doc rsa-sha512 rsa roothash rsa -md sha512
doc ec-long ec roothash-long ec           # 512-bit root hash
doc rogue rogue roothash rogue            # an untrusted signer, honest about it
doc impostor impostor roothash ec         # same issuer and serial as ec, other key
doc ec-sha1 ec roothash ec -md sha1
doc rsa-pss rsa roothash rsa -keyopt rsa_padding_mode:pss
doc two-signers ec roothash ec -nocerts -signer rsa.crt -inkey rsa.key
doc two-certs ec roothash ec -signer rsa.crt -inkey rsa.key   # mbedtls: one certificate at most
doc attached ec roothash ec -nodetach
# Signed attributes: what openssl writes without -noattr.
openssl cms -sign -binary -outform DER -md sha256 -signer ec.crt -inkey ec.key \
	-in roothash -out attrs.p7s
printf '{"rootHash":"%s","signature":"%s","certificateFingerprint":"%s"}' \
	"$(cat roothash)" "$(base64 -w0 attrs.p7s)" "$(fpr ec)" >attrs.doc

mkdir trusted trusted/subdir.der
cp ec.der rsa.der ec-future.der trusted/
cp ec.der trusted/zz-same-as-ec.der
cp weak.der trusted/weak.der
ln -s nowhere trusted/dangling.der
head -c 700 /dev/urandom >trusted/garbage.der
cat ec.der roothash >trusted/trailing.der
: >trusted/empty.der
echo "not a certificate, and not named *.der" >trusted/README
cp rogue.der trusted/.hidden.der

escrow() { # NAME GENPKEY-ARGS...
	local name=$1
	shift
	openssl genpkey -quiet "$@" -out "escrow-$name.key"
	openssl req -x509 -new -key "escrow-$name.key" -subj "/CN=rampart test escrow $name" -days 3650 \
		-out "escrow-$name.crt"
}
escrow rsa -algorithm RSA -pkeyopt rsa_keygen_bits:3072
escrow p256 -algorithm EC -pkeyopt ec_paramgen_curve:P-256
escrow p384 -algorithm EC -pkeyopt ec_paramgen_curve:P-384
escrow p521 -algorithm EC -pkeyopt ec_paramgen_curve:P-521
escrow ed25519 -algorithm ED25519
escrow k256 -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1
escrow rsa1024 -algorithm RSA -pkeyopt rsa_keygen_bits:1024

rm -rf "$out" && mv "$tmp" "$out" && trap - EXIT
