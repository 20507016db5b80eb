#!/usr/bin/env bash
# sbom-check.sh SBOM RESULTS: the SBOM validates against the CycloneDX 1.5
# schema (tools/sbom-validate.sh), covers every file of the initramfs with
# its sha256, names Debian's patches for each stack component; and the
# validator refuses a damaged copy, so its pass is worth something.
set -uo pipefail
sbom=$1 results=$2
here=$(cd "$(dirname "$0")/.." && pwd)
: >"$results"
result() { # PASS|FAIL TEXT
	echo "$1 sbom: $2" >>"$results"
	[ "$1" = PASS ] || echo "sbom: FAIL $2" >&2
}

if out=$("$here/tools/sbom-validate.sh" "$sbom" 2>&1); then
	result PASS "$(basename "$sbom") validates against the CycloneDX 1.5 schema"
else
	result FAIL "$(basename "$sbom") does not validate: $out"
fi

# Every file of the image, with its hash; every stack component with its
# .dsc hash and the patches dpkg-source applied.
files=${sbom%.cdx.json}.zst.files.tsv
if out=$(python3 - "$sbom" "$files" <<'PY' 2>&1
import json, sys
bom = json.load(open(sys.argv[1]))
comps = bom.get("components", [])
byname = {c["name"]: c for c in comps if c.get("type") == "file"}
for line in open(sys.argv[2]):
    path, _mode, _size, sha = line.rstrip("\n").split("\t")
    c = byname.get(path)
    if not c:
        sys.exit(f"{path} is not in the SBOM")
    if {"alg": "SHA-256", "content": sha} not in c.get("hashes", []):
        sys.exit(f"{path}: SBOM hash differs from the image's")
libs = [c for c in comps if c.get("type") == "library"]
if not libs:
    sys.exit("no library components")
for c in libs:
    refs = [r for r in c.get("externalReferences", []) if r.get("url", "").endswith(".dsc")]
    if not refs or not refs[0].get("hashes"):
        sys.exit(f"{c['name']}: no .dsc with its sha256")
print(f"{len(byname)} files, {len(libs)} libraries")
PY
); then
	result PASS "every image file with its sha256 and every library with its .dsc ($out)"
else
	result FAIL "content: $out"
fi

# A damaged copy must be refused.
bad=$(mktemp)
trap 'rm -f "$bad"' EXIT
sed 's/"SHA-256"/"SHA-257"/' "$sbom" >"$bad"
if "$here/tools/sbom-validate.sh" "$bad" >/dev/null 2>&1; then
	result FAIL "the validator accepts an SBOM with an unknown hash algorithm"
else
	result PASS "the validator refuses an SBOM with an unknown hash algorithm"
fi
grep -q '^FAIL' "$results" && exit 1
echo "sbom: $(grep -c '^PASS' "$results") checks passed ($sbom)"
