#!/usr/bin/env bash
# make-seeds.sh: (re)makes the committed seed corpus (corpus/TARGET/) and
# the rootsig target's trust store (data/).  Run by hand when a format
# changes; the results are committed, the keys are not: they live in a
# temporary directory and are gone when this ends, so nobody can sign
# anything the fuzz trust store accepts.  Inputs named regress-* are kept.
#
#   rootsig      the documents of test/stack/rootsig-fixtures.sh (mkdisk's
#                format; good ones, refused ones), the certificates of two
#                of their signers, the root hashes they signed
#   tpm2_token   a token as rampart writes it, with a sealed blob laid out
#                as a TPM returns it, and variants systemd writes
#   sealed_blob  that blob with its policy hash in front
#   cmdline, efivar, repart, slots, recovery_token   small hand-made inputs (repart: the
#                shipped initramfs/repart.d files)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Regression inputs (regress-*: inputs that once broke a target) stay.
[ -d "$here/corpus" ] && find "$here/corpus" -type f ! -name 'regress-*' -delete
rm -rf "$here/data"
mkdir -p "$here/data/trusted"
for t in rootsig tpm2_token sealed_blob cmdline efivar repart slots recovery_token; do mkdir -p "$here/corpus/$t"; done

"$top/test/stack/rootsig-fixtures.sh" "$tmp/rs" >/dev/null
for d in ec ec-nocert rsa rsa-sha512 ec-sha384 ec-long rogue impostor two-signers attached attrs ec-sha1 rsa-pss; do
	# The padding is only NULs: one seed keeps it, the others do not.
	if [ "$d" = ec ]; then cp "$tmp/rs/$d.doc" "$here/corpus/rootsig/$d"; else
		tr -d '\0' <"$tmp/rs/$d.doc" >"$here/corpus/rootsig/$d"; fi
done
# certificateFingerprint is optional: the signer is then found by issuer and serial.
python3 -c 'import json, sys; d = json.loads(open(sys.argv[1], "rb").read().rstrip(b"\0")); del d["certificateFingerprint"]; open(sys.argv[2], "w").write(json.dumps(d, separators=(",", ":")))' \
	"$tmp/rs/ec.doc" "$here/corpus/rootsig/ec-no-fingerprint"
cp "$tmp/rs/ec.der" "$tmp/rs/rsa.der" "$here/data/trusted/"
{ cat "$tmp/rs/roothash"; echo; cat "$tmp/rs/roothash-long"; echo; } >"$here/data/signed-roothashes"

python3 - "$here/corpus" <<'PY'
import base64, hashlib, json, os, struct, sys
out = sys.argv[1]
policy = hashlib.sha256(b"rampart fuzz seed policy").digest()
def tpm2b(b): return struct.pack(">H", len(b)) + b
# TPMT_PUBLIC: KEYEDHASH, SHA-256 names, fixedTPM|fixedParent, the policy,
# scheme NULL, unique = a digest.
public = struct.pack(">HHI", 0x0008, 0x000B, 0x00000012) + tpm2b(policy) + struct.pack(">H", 0x0010) \
	+ tpm2b(hashlib.sha256(b"unique").digest())
private = tpm2b(hashlib.sha512(b"private").digest() * 2 + b"\x00" * 30)
blob = private + tpm2b(public)
srk = b"\x81\x00\x00\x01" + hashlib.sha256(b"srk").digest() * 4
with open(os.path.join(out, "sealed_blob", "keyedhash"), "wb") as f: f.write(policy + blob)
with open(os.path.join(out, "sealed_blob", "trailing"), "wb") as f: f.write(policy + blob + b"\x00")
tok = {"type": "systemd-tpm2", "keyslots": ["1"], "tpm2-blob": base64.b64encode(blob).decode(),
       "tpm2-pcrs": [7], "tpm2-pcr-bank": "sha256", "tpm2-policy-hash": policy.hex(),
       "tpm2-pin": False, "tpm2_srk": base64.b64encode(srk).decode()}
def put(name, d): open(os.path.join(out, "tpm2_token", name), "w").write(json.dumps(d, separators=(",", ":")))
put("rampart", tok)
put("systemd-255", dict(tok, **{"tpm2-primary-alg": "ecc", "tpm2_pcrlock": False, "tpm2-salt": None}))
put("pcrs-0-7-14", dict(tok, **{"tpm2-pcrs": [0, 7, 14]}))
put("arrays", dict(tok, **{"tpm2-blob": [tok["tpm2-blob"]], "tpm2-policy-hash": [tok["tpm2-policy-hash"]]}))
put("legacy-no-srk", {k: v for k, v in tok.items() if k != "tpm2_srk"})
put("pin", dict(tok, **{"tpm2-pin": True}))
PY

printf '%s' 'BOOT_IMAGE=/vmlinuz root=PARTUUID=x ro quiet rampart.log=debug rampart.on-failure=reboot rampart.device-timeout=60 rampart.device-settle=300 rampart.break=unseal rampart.test-stop=repart init=/sbin/init' >"$here/corpus/cmdline/full"
printf '%s' 'rd.shell rampart.debug=shell rampart.log=7 rampart.device-timeout=99999999999 rampart.unknown=1 "init=/a b"' >"$here/corpus/cmdline/odd"
rt=$here/corpus/recovery_token
printf '%s' '{"type":"rampart-escrow","keyslots":["1"],"rampart-escrow-recipient":"00","rampart-escrow-scheme":"rsa-oaep-sha256","rampart-escrow-ciphertext":"AAAA"}' >"$rt/escrow"
printf '%s' '{"type":"systemd-recovery","keyslots":["2"]}' >"$rt/systemd-recovery"
printf '%s' 'ccbbddee-ffgghhii-jjkkllnn-rrttuuvv-ccbbddee-ffgghhii-jjkkllnn-rrttuuvv' >"$rt/typed-key"
printf '%s' 'CCBBDDEE FFGGHHII JJKKLLNN RRTTUUVV CCBBDDEE FFGGHHII JJKKLLNN RRTTUUVV' >"$rt/typed-upper"
python3 - "$here/corpus/efivar" <<'PY'
import os, sys
u = "4A67B082-0A4C-41CF-B6C7-440B29BB8C4F"
open(os.path.join(sys.argv[1], "uuid"), "wb").write(b"\x06\x00\x00\x00" + (u + "\0").encode("utf-16-le"))
open(os.path.join(sys.argv[1], "uuid-no-nul"), "wb").write(b"\x06\x00\x00\x00" + u.encode("utf-16-le"))
open(os.path.join(sys.argv[1], "u8"), "wb").write(b"\x06\x00\x00\x00\x01")
PY

# repart: the shipped definitions, one input per file and one with all,
# each file as a 16-bit length and its text, then a 1 GiB disk.
python3 - "$here/corpus/repart" "$top"/initramfs/repart.d/*.conf <<'PY'
import os, struct, sys
out, files = sys.argv[1], sys.argv[2:]
texts = [open(f, "rb").read() for f in files]
disk = bytes([0]) + (16384).to_bytes(3, "little") + bytes([1, 1]) + bytes([4])
existing = b""
for role, num, start, size in ((1, 1, 2048, 1048576), (2, 2, 1050624, 262144), (3, 3, 1312768, 16384), (4, 4, 1329152, 8)):
	existing += bytes([role, num]) + (start).to_bytes(4, "little") + (size - 1).to_bytes(4, "little")
def seed(name, ts):
	data = bytes([len(ts)]) + b"".join(struct.pack("<H", len(t)) + t for t in ts) + disk + existing
	open(os.path.join(out, name), "wb").write(data)
for f, t in zip(files, texts):
	seed(os.path.basename(f), [t])
seed("all", texts)
PY

python3 - "$here/corpus/slots" <<'PY'
import os, sys
# count, then per partition: disk pick, role, uuid pick, label kind, label pick, start(2), size(2), attrs(8);
# then per signature partition its claim: 0 (unreadable), or 1, a uuid pick (the root hash), 1 (both halves
# of that hash); last the ESP's uuid pick.  A uuid pick is hash id % 6, 0x40 for the root's half.
def part(disk, role, uuid, label):
	return bytes([disk, role, uuid, 1, label]) + b"\x01\x00\x01\x00" + bytes(8)
def claim(hash_pick):
	return bytes([1, hash_pick, 1]) if hash_pick is not None else bytes([0])
def write(name, parts, claims, esp):
	open(os.path.join(sys.argv[1], name), "wb").write(bytes([len(parts)]) + b"".join(parts) + b"".join(claims) + bytes([esp]))
ESP, ROOT, VERITY, SIG = 1, 2, 3, 4
ab = [part(0, ESP, 0x45, 7),
      part(0, ROOT, 0x41, 0), part(0, VERITY, 0x01, 0), part(0, SIG, 0x03, 0),   # rampart_1.0, hash 1
      part(0, ROOT, 0x42, 1), part(0, VERITY, 0x02, 1), part(0, SIG, 0x43, 1),   # rampart_2.0, hash 2
      part(0, ROOT, 0x04, 4), part(0, VERITY, 0x44, 4), part(0, SIG, 0x05, 4)]   # _empty
ab_claims = [claim(0x41), claim(0x42), claim(None)]
write("ab", ab, ab_claims, 0x45)
clone = ab[:4] + [part(1, ESP, 0x45, 7), part(1, ROOT, 0x41, 0), part(1, VERITY, 0x01, 0), part(1, SIG, 0x03, 0)]
write("clone", clone, [claim(0x41), claim(0x41)], 0x45)
# mkosi's labels: NAME_VER_root, NAME_VER_verity, NAME_VER_verity_sig; and systemd-repart's defaults
mkosi = [part(0, ESP, 0x45, 7), part(0, ROOT, 0x41, 10), part(0, VERITY, 0x01, 11), part(0, SIG, 0x03, 13),
         part(0, ROOT, 0x42, 12), part(0, VERITY, 0x02, 12), part(0, SIG, 0x43, 12)]
write("mkosi", mkosi, [claim(0x41), claim(0x42)], 0x45)
PY
echo "seeds: $(find "$here/corpus" -type f | wc -l) files; trust store: $(ls "$here/data/trusted" | tr '\n' ' ')"
