#!/usr/bin/python3
"""CycloneDX 1.5 JSON SBOM of rampart's initramfs.

    tools/sbom.py --files OUT.sbom.tsv --stack SYSROOT/manifest.tsv
                  --kernel KERNEL_DIR/package --busybox-version V
                  --version V [--rampart-version V] [--name rampart-initramfs]
                  [--image OUT.cpio.zst] [--arch amd64]
                  [--from GLOB=COMPONENT[,COMPONENT...]]... --out FILE.cdx.json

Inputs:
  --files    initramfs/build.sh's per-file list: path, mode, size, sha256
  --stack    tools/build-stack.sh's manifest.tsv (header line names the
             columns: name version suite dsc dsc_sha256 license patches flags)
  --kernel   tools/kernel.sh's KERNEL_DIR/package: PKG, VERSION, sha256 of the .deb
  --busybox-version  the host's busybox-static version
                     (dpkg-query -W -f='${Version}' busybox-static)
  --image    optional: the image itself, hashed into metadata.component

What it writes: metadata.component is the initramfs; components are rampart
(/init's own code), busybox-static, the kernel package, every stack
component (type "library": Debian source package name and version,
pkg:deb/debian/NAME@VERSION?arch=source&distro=SUITE, SPDX licence
expression, the .dsc as an externalReference of type "distribution" with its
SHA-256, Debian's patches as pedigree.patches) and every file of the image
(type "file", SHA-256).  dependencies: the initramfs depends on its files,
each file on the components it comes from (see ORIGIN below, --from adds
rules in front), rampart on the libraries /init links, libraries on the
libraries they link.

The output is a function of the inputs only: sorted keys and arrays,
timestamp from SOURCE_DATE_EPOCH (0 if unset), serialNumber a name-based
UUID (v5) of the SHA-256 of the document without it, no input paths.
Python 3 standard library only.
"""

import argparse
import datetime
import fnmatch
import hashlib
import json
import os
import re
import sys
import uuid

SPEC_VERSION = "1.5"
SCHEMA_URL = "http://cyclonedx.org/schema/bom-1.5.schema.json"
PREFIX = "rampart"  # namespace of our property names
DEBIAN = {"name": "Debian", "url": ["https://www.debian.org/"]}
POOL = "https://deb.debian.org/debian/pool/main"
SOURCES = "https://sources.debian.org/src"

# Which stack components /init does not link (they ship as their own
# executable); every other manifest component is linked into /init.
NOT_IN_INIT = {"e2fsprogs"}
# Libraries a stack component links (tools/build-stack.sh: LINK_LIBS, the
# configure flags; e2fsprogs is configured with --disable-libuuid
# --disable-libblkid and takes util-linux's).  Names absent from the
# manifest are ignored.
STACK_LINKS = {
    "cryptsetup": ["json-c", "lvm2", "mbedtls", "util-linux"],
    "tpm2-tss": ["mbedtls"],
    "e2fsprogs": ["util-linux"],
}
# Where the files of the image come from: (glob on the image path, origins).
# Origins: "rampart", "busybox-static", "kernel", "@init" (rampart plus the
# stack components in /init), or a stack component name.  First match wins;
# an empty list means "no package" (the deployer's certificate).
ORIGIN = [
    ("/init", ["@init"]),
    ("/bin/busybox", ["busybox-static"]),
    ("/sbin/mke2fs", ["e2fsprogs", "util-linux"]),
    ("/lib/modules/*.ko", ["kernel"]),
    ("/lib/modules/*.ko.*", ["kernel"]),
    ("/lib/modules/*.load", ["rampart"]),
    ("/etc/rampart/repart.d/*", ["rampart"]),
    ("/etc/rampart/trusted/*", []),
    ("/etc/rampart/escrow.crt", []),
]

# Debian copyright-format short names and deprecated SPDX ids -> SPDX ids.
LICENSE_ALIASES = {
    "gpl-2": "GPL-2.0-only", "gpl-2+": "GPL-2.0-or-later",
    "gpl-2.0": "GPL-2.0-only", "gpl-2.0+": "GPL-2.0-or-later",
    "gpl-3": "GPL-3.0-only", "gpl-3+": "GPL-3.0-or-later",
    "gpl-3.0": "GPL-3.0-only", "gpl-3.0+": "GPL-3.0-or-later",
    "lgpl-2": "LGPL-2.0-only", "lgpl-2+": "LGPL-2.0-or-later",
    "lgpl-2.0": "LGPL-2.0-only", "lgpl-2.0+": "LGPL-2.0-or-later",
    "lgpl-2.1": "LGPL-2.1-only", "lgpl-2.1+": "LGPL-2.1-or-later",
    "lgpl-3": "LGPL-3.0-only", "lgpl-3+": "LGPL-3.0-or-later",
    "lgpl-3.0": "LGPL-3.0-only", "lgpl-3.0+": "LGPL-3.0-or-later",
    "apache-2": "Apache-2.0", "expat": "MIT", "mit": "MIT",
    "bsd-2-clause": "BSD-2-Clause", "bsd-3-clause": "BSD-3-Clause",
    "public-domain": "LicenseRef-public-domain",
}
LICENSE_ID = re.compile(r"^(LicenseRef-[A-Za-z0-9.-]+|[A-Za-z0-9][A-Za-z0-9.-]*\+?)$")

SHA256 = re.compile(r"^[0-9a-f]{64}$")
VERSION = re.compile(r"^[A-Za-z0-9.+~:_-]+$")
DEB_NAME = re.compile(r"^[a-z0-9][a-z0-9.+-]+$")
PATCH_NAME = re.compile(r"^[A-Za-z0-9._+~-]+(/[A-Za-z0-9._+~-]+)*$")
STACK_COLUMNS = ("name", "version", "suite", "dsc", "dsc_sha256", "license", "patches", "flags")


class Error(Exception):
    pass


# ---- inputs ---------------------------------------------------------------

def read_lines(path):
    try:
        with open(path, encoding="utf-8", newline="") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise Error(f"cannot read {path}: {e}")
    return text.splitlines()


def check(cond, where, msg):
    if not cond:
        raise Error(f"{where}: {msg}")


def read_files(path):
    files, seen = [], set()
    for n, line in enumerate(read_lines(path), 1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        f = line.split("\t")
        check(len(f) == 4, where, "want path<TAB>mode<TAB>size<TAB>sha256")
        p, mode, size, sha = f
        check(p.startswith("/") and "//" not in p and "/../" not in p + "/", where, f"bad image path {p!r}")
        check(p not in seen, where, f"{p} listed twice")
        check(re.fullmatch(r"[0-7]{1,4}", mode) is not None, where, f"bad mode {mode!r}")
        check(size.isdigit(), where, f"bad size {size!r}")
        check(SHA256.match(sha) is not None, where, f"bad sha256 {sha!r}")
        seen.add(p)
        files.append({"path": p, "mode": "%04o" % int(mode, 8), "size": str(int(size)), "sha256": sha})
    check(files, path, "no files")
    return sorted(files, key=lambda x: x["path"])


def read_stack(path):
    cols, stack = None, {}
    for n, line in enumerate(read_lines(path), 1):
        where = f"{path}:{n}"
        if line.startswith("#"):
            if cols is None:
                cols = line[1:].split("\t")
                missing = [c for c in STACK_COLUMNS if c not in cols]
                check(not missing, where, "header lacks " + ", ".join(missing))
            continue
        if not line.strip():
            continue
        check(cols is not None, where, "no header line (#name<TAB>version...)")
        f = line.split("\t")
        check(len(f) == len(cols), where, f"{len(f)} fields, header has {len(cols)}")
        r = dict(zip(cols, f))
        name = r["name"]
        check(DEB_NAME.match(name) is not None, where, f"bad package name {name!r}")
        check(name not in stack, where, f"{name} listed twice")
        check(VERSION.match(r["version"]) is not None, where, f"bad version {r['version']!r}")
        check(re.fullmatch(r"[a-z0-9-]+", r["suite"]) is not None, where, f"bad suite {r['suite']!r}")
        check(re.fullmatch(r"[A-Za-z0-9.+~_-]+\.dsc", r["dsc"]) is not None, where, f"bad dsc {r['dsc']!r}")
        check(SHA256.match(r["dsc_sha256"]) is not None, where, f"bad dsc_sha256 {r['dsc_sha256']!r}")
        patches = [] if r["patches"] in ("", "-") else r["patches"].split(",")
        for p in patches:
            check(PATCH_NAME.match(p) is not None and ".." not in p.split("/"), where, f"bad patch name {p!r}")
        r["patch_list"] = patches
        stack[name] = r
    check(stack, path, "no components")
    return stack


def read_kernel(path):
    lines = [x for x in read_lines(path) if x.strip()]
    check(len(lines) == 1, path, "want one line PKG<TAB>VERSION<TAB>SHA256")
    f = lines[0].split("\t")
    check(len(f) == 3, path, "want PKG<TAB>VERSION<TAB>SHA256")
    pkg, ver, sha = f
    check(DEB_NAME.match(pkg) is not None, path, f"bad package name {pkg!r}")
    check(VERSION.match(ver) is not None, path, f"bad version {ver!r}")
    check(SHA256.match(sha) is not None, path, f"bad sha256 {sha!r}")
    return {"package": pkg, "version": ver, "sha256": sha}


def sha256_file(path):
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except OSError as e:
        raise Error(f"cannot read {path}: {e}")
    return h.hexdigest()


def timestamp():
    raw = os.environ.get("SOURCE_DATE_EPOCH", "")
    if raw == "":
        epoch = 0
    else:
        check(raw.isdigit(), "SOURCE_DATE_EPOCH", f"not a non-negative integer: {raw!r}")
        epoch = int(raw)
    t = datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- encodings ------------------------------------------------------------

def pct(s, safe):
    """Percent-encode every byte of s but ASCII letters, digits and safe."""
    out = []
    for b in s.encode("utf-8"):
        c = chr(b)
        out.append(c if b < 128 and (c.isalnum() or c in safe) else "%%%02X" % b)
    return "".join(out)


def purl(ptype, namespace, name, version, qualifiers=None):
    # purl: ':' stays as is, '+' is encoded; qualifiers sorted by key.
    s = f"pkg:{ptype}/" + (pct(namespace, ".-_~") + "/" if namespace else "")
    s += pct(name, ".-_~") + "@" + pct(version, ".-_~:")
    if qualifiers:
        s += "?" + "&".join(f"{k}={pct(v, '.-_~:')}" for k, v in sorted(qualifiers.items()))
    return s


def pool_url(source, filename):
    prefix = source[:4] if source.startswith("lib") else source[:1]
    return f"{POOL}/{prefix}/{source}/{pct(filename, '.-_~')}"


def patch_url(source, version, patch):
    # sources.debian.org shows a source package's files by its full version
    # (epoch included), e.g. .../src/NAME/2:2.8.8-1/debian/patches/X/
    return f"{SOURCES}/{source}/{pct(version, '.-_~:')}/debian/patches/{pct(patch, '.-_~/')}/"


def spdx_expression(text):
    """The SPDX expression of the manifest's licence text, or None.

    Drops parenthesised annotations that follow a licence id ("MIT
    (COPYING)"), keeps parentheses that group, maps Debian short names
    (GPL-2+, Expat, ...) to SPDX ids and upper-cases the operators.  None
    when what is left is not a well-formed expression."""
    tokens = re.findall(r"\(|\)|[^\s()]+", text)
    out, i = [], 0
    while i < len(tokens):
        t = tokens[i]
        if t == "(" and out and out[-1] not in ("AND", "OR", "WITH", "("):
            depth = 0
            while i < len(tokens):  # skip the annotation
                depth += {"(": 1, ")": -1}.get(tokens[i], 0)
                i += 1
                if depth == 0:
                    break
            continue
        if t in ("(", ")"):
            out.append(t)
        elif t.upper() in ("AND", "OR", "WITH"):
            out.append(t.upper())
        else:
            out.append(LICENSE_ALIASES.get(t.lower(), t))
        i += 1

    # expr := term ((AND|OR) term)* ; term := '(' expr ')' | id [WITH id]
    pos = 0

    def term():
        nonlocal pos
        if pos < len(out) and out[pos] == "(":
            pos += 1
            if not expr() or pos >= len(out) or out[pos] != ")":
                return False
            pos += 1
            return True
        if pos < len(out) and LICENSE_ID.match(out[pos]) and out[pos] not in ("AND", "OR", "WITH"):
            pos += 1
            if pos < len(out) and out[pos] == "WITH":
                pos += 1
                if pos >= len(out) or not LICENSE_ID.match(out[pos]) or out[pos].endswith("+"):
                    return False
                pos += 1
            return True
        return False

    def expr():
        nonlocal pos
        if not term():
            return False
        while pos < len(out) and out[pos] in ("AND", "OR"):
            pos += 1
            if not term():
                return False
        return True

    if not out or not expr() or pos != len(out):
        return None
    s = " ".join(out)
    return s.replace("( ", "(").replace(" )", ")")


def licenses(text):
    if text in ("", "-"):
        return None
    e = spdx_expression(text)
    return [{"expression": e}] if e else [{"license": {"name": text}}]


def props(pairs):
    return [{"name": f"{PREFIX}:{k}", "value": v} for k, v in sorted(pairs.items())]


def sha(h):
    return [{"alg": "SHA-256", "content": h}]


# ---- the document ---------------------------------------------------------

def build(a):
    files = read_files(a.files)
    stack = read_stack(a.stack)
    kernel = read_kernel(a.kernel)
    for what, v in (("--version", a.version), ("--rampart-version", a.rampart_version),
                    ("--busybox-version", a.busybox_version)):
        check(v is None and what == "--busybox-version" or VERSION.match(v or "") is not None, what,
              f"bad version {v!r}")
    check(re.fullmatch(r"[A-Za-z0-9._-]+", a.name) is not None, "--name", f"bad name {a.name!r}")
    check(DEB_NAME.match(a.arch) is not None, "--arch", f"bad arch {a.arch!r}")

    refs = {}  # origin name -> bom-ref
    components = []

    rampart = {
        "type": "application",
        "bom-ref": purl("generic", None, "rampart", a.rampart_version),
        "name": "rampart",
        "version": a.rampart_version,
        "purl": purl("generic", None, "rampart", a.rampart_version),
        "description": "rampart, PID 1 of the initrd: /init, statically linked (musl) with the stack libraries",
    }
    refs["rampart"] = rampart["bom-ref"]
    components.append(rampart)

    # Only the debug initramfs has a shell.
    if a.busybox_version is not None:
        p = purl("deb", "debian", "busybox-static", a.busybox_version, {"arch": a.arch})
        components.append({
            "type": "application",
            "bom-ref": p,
            "name": "busybox-static",
            "version": a.busybox_version,
            "purl": p,
            "supplier": DEBIAN,
            "licenses": licenses("GPL-2.0-only"),
            "description": "Debian binary package of the build host; /bin/busybox (debug shell)",
        })
        refs["busybox-static"] = p

    p = purl("deb", "debian", kernel["package"], kernel["version"], {"arch": a.arch})
    components.append({
        "type": "operating-system",
        "bom-ref": p,
        "name": kernel["package"],
        "version": kernel["version"],
        "purl": p,
        "supplier": DEBIAN,
        "licenses": licenses("GPL-2.0-only"),
        "hashes": sha(kernel["sha256"]),
        "description": "Debian's signed kernel package (hashes: the .deb); the modules in /lib/modules come from it",
    })
    refs["kernel"] = p

    for name in sorted(stack):
        r = stack[name]
        p = purl("deb", "debian", name, r["version"], {"arch": "source", "distro": r["suite"]})
        c = {
            "type": "library",
            "bom-ref": p,
            "name": name,
            "version": r["version"],
            "purl": p,
            "supplier": DEBIAN,
            "description": f"Debian source package {name} ({r['suite']}), built statically (musl) by tools/build-stack.sh",
            "externalReferences": [{
                "type": "distribution",
                "url": pool_url(name, r["dsc"]),
                "comment": "Debian source package description (.dsc) the build was unpacked from with dpkg-source -x",
                "hashes": sha(r["dsc_sha256"]),
            }],
            "properties": props({
                "debian:suite": r["suite"],
                "debian:dsc": r["dsc"],
                "debian:dsc:sha256": r["dsc_sha256"],
                "debian:patches": ",".join(r["patch_list"]) or "-",
                "build:flags": r["flags"],
                "license:statement": r["license"],
            }),
        }
        lic = licenses(r["license"])
        if lic:
            c["licenses"] = lic
        if r["patch_list"]:
            c["pedigree"] = {
                "patches": [{"type": "unofficial", "diff": {"url": patch_url(name, r["version"], x)}}
                            for x in r["patch_list"]],
                "notes": "Debian's patches (debian/patches/series), applied by dpkg-source -x in this order: "
                         + ", ".join(r["patch_list"]),
            }
        components.append(c)
        refs[name] = p

    init_libs = sorted(refs[n] for n in stack if n not in NOT_IN_INIT)

    def resolve(origins, where):
        out = set()
        for o in origins:
            if o == "@init":
                out.add(refs["rampart"])
                out.update(init_libs)
            elif o in refs:
                out.add(refs[o])
            else:
                raise Error(f"{where}: unknown component {o!r} (rampart, busybox-static, kernel, @init or a stack name)")
        return sorted(out)

    rules = list(a.rules)
    for glob, origins in ORIGIN:  # the defaults skip stack names not in the manifest
        rules.append((glob, [o for o in origins if o in refs or o == "@init"]))

    deps = {}
    file_refs = []
    for f in files:
        ref = "file:" + f["path"]
        file_refs.append(ref)
        components.append({
            "type": "file",
            "bom-ref": ref,
            "name": f["path"],
            "hashes": sha(f["sha256"]),
            "properties": props({"file:mode": f["mode"], "file:size": f["size"]}),
        })
        for glob, origins in rules:
            if fnmatch.fnmatchcase(f["path"], glob):
                deps[ref] = resolve(origins, f"origin of {f['path']}")
                break
        else:
            print(f"sbom: no origin known for {f['path']}", file=sys.stderr)
            deps[ref] = []

    deps[refs["rampart"]] = init_libs
    if "busybox-static" in refs:
        deps[refs["busybox-static"]] = []
    deps[refs["kernel"]] = []
    for name in stack:
        deps[refs[name]] = sorted(refs[n] for n in STACK_LINKS.get(name, []) if n in refs)

    image_ref = f"image:{a.name}@{a.version}"
    image = {
        "type": "file",
        "bom-ref": image_ref,
        "name": a.name,
        "version": a.version,
        "description": "rampart's initramfs: newc cpio, zstd-compressed (initramfs/build.sh)",
    }
    if a.image:
        image["hashes"] = sha(sha256_file(a.image))
        image["properties"] = props({"image:file": os.path.basename(a.image)})
    deps[image_ref] = sorted(file_refs)

    with open(os.path.abspath(__file__), "rb") as f:
        self_sha = hashlib.sha256(f.read()).hexdigest()

    doc = {
        "$schema": SCHEMA_URL,
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "version": 1,
        "metadata": {
            "timestamp": timestamp(),
            "lifecycles": [{"phase": "build"}],
            "tools": {"components": [{
                "type": "application",
                "group": "rampart",
                "name": "sbom.py",
                "version": a.rampart_version,
                "hashes": sha(self_sha),
            }]},
            "component": image,
        },
        "components": components,
        "dependencies": [{"ref": r, "dependsOn": d} for r, d in sorted(deps.items())],
    }
    digest = hashlib.sha256(canonical(doc)).hexdigest()
    doc["serialNumber"] = "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:{PREFIX}:sbom:sha256:{digest}"))
    return doc


def canonical(doc):
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def rule(spec):
    glob, sep, origins = spec.partition("=")
    if not sep or not glob.startswith("/"):
        raise argparse.ArgumentTypeError(f"want /GLOB=COMPONENT[,COMPONENT...], not {spec!r}")
    return glob, [o for o in origins.split(",") if o]


def main():
    ap = argparse.ArgumentParser(description="CycloneDX 1.5 JSON SBOM of rampart's initramfs.")
    ap.add_argument("--files", required=True, help="initramfs/build.sh's OUT.sbom.tsv")
    ap.add_argument("--stack", required=True, help="SYSROOT/manifest.tsv of tools/build-stack.sh")
    ap.add_argument("--kernel", required=True, help="KERNEL_DIR/package of tools/kernel.sh")
    ap.add_argument("--busybox-version", help="version of the host's busybox-static (an initramfs with /bin/busybox)")
    ap.add_argument("--name", default="rampart-initramfs", help="name of the image (default %(default)s)")
    ap.add_argument("--version", required=True, help="version of the image")
    ap.add_argument("--rampart-version", help="version of rampart (/init); default: --version")
    ap.add_argument("--image", help="the image file, to record its SHA-256")
    ap.add_argument("--arch", default="amd64", help="Debian architecture of the binary packages (default %(default)s)")
    ap.add_argument("--from", dest="rules", type=rule, action="append", default=[], metavar="/GLOB=COMP[,COMP]",
                    help="origin of the image files matching GLOB (before the built-in rules)")
    ap.add_argument("--out", required=True, help="output file ('-': stdout)")
    a = ap.parse_args()
    if a.rampart_version is None:
        a.rampart_version = a.version
    try:
        doc = build(a)
    except Error as e:
        print(f"sbom: {e}", file=sys.stderr)
        return 1
    data = json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
    if a.out == "-":
        sys.stdout.buffer.write(data)
        return 0
    tmp = a.out + ".tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, a.out)
    except OSError as e:
        print(f"sbom: cannot write {a.out}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
