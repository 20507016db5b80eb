# keys/selfsign.sh: self-signed certificates from one minimal OpenSSL
# configuration, for keys/make-keys.sh and the test fixtures
# (test/stack/rootsig-fixtures.sh).  Sourced, never run (bash, openssl).
#
#   selfsign_cert KEY CN EXT START END OUT.crt [SERIAL]
#       writes a self-signed PEM certificate for the private key KEY:
#       subject CN=CN, the extensions of section EXT below, valid from
#       START to END (YYYYMMDDHHMMSSZ), serial SERIAL (hex) or a random
#       one.  Returns non-zero on failure, openssl's complaint on stderr.
#
# `openssl ca -selfsign` rather than `req -x509`: only it can set
# notBefore.  The configuration names everything the certificates carry,
# so the host's openssl.cnf adds nothing.  Extension sections:
#   ca_ext     Secure Boot PK and KEK
#   db_ext     Secure Boot db (signs UKIs)
#   image_ext  root-image signing (the signed root hash)
#   leaf_ext   test certificates: image_ext without the authority key id

# selfsign_config DIR: the configuration, with its CA database in DIR.
selfsign_config() {
	cat <<EOF_CNF
[req]
distinguished_name = dn
prompt = no
[dn]
[ca]
default_ca = selfsign
[selfsign]
database = $1/index.txt
new_certs_dir = $1
serial = $1/serial
default_md = sha256
policy = policy
unique_subject = no
email_in_dn = no
copy_extensions = none
[policy]
commonName = supplied
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, digitalSignature, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[db_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[image_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[escrow_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, keyEncipherment, keyAgreement
subjectKeyIdentifier = hash
[leaf_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
EOF_CNF
}

selfsign_cert() {
	local key=$1 cn=$2 ext=$3 start=$4 end=$5 out=$6 serial=${7:-} work rc=0
	local rand=(-rand_serial)

	# A fresh CA database each time: a serial may be given twice (the
	# fixtures' impostor shares one with a genuine certificate).
	work=$(mktemp -d "$(dirname "$out")/.selfsign.XXXXXX") || return 1
	: >"$work/index.txt"
	if [ -n "$serial" ]; then
		echo "$serial" >"$work/serial"
		rand=()
	else
		openssl rand -hex 16 >"$work/serial"
	fi
	selfsign_config "$work" >"$work/openssl.cnf"
	openssl req -config "$work/openssl.cnf" -new -key "$key" -subj "/CN=$cn" -out "$work/csr" &&
		openssl ca -batch -config "$work/openssl.cnf" -selfsign -notext -keyfile "$key" \
			-in "$work/csr" "${rand[@]}" -startdate "$start" -enddate "$end" -extensions "$ext" \
			-out "$out" 2>"$work/ca.log" ||
		{ rc=1; cat "$work/ca.log" >&2 2>/dev/null; }
	rm -rf "$work"
	return $rc
}
