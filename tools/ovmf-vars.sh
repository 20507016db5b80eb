#!/usr/bin/env bash
# ovmf-vars.sh: make an OVMF variable store with Secure Boot enabled and a
# key set's PK, KEK and db enrolled.
#
#   tools/ovmf-vars.sh [--extra-db CERT]... [--template VARS.fd] KEYDIR OUT.fd
#
# KEYDIR needs PK.crt KEK.crt db.crt owner.guid (keys/make-keys.sh); no
# private key is read.  --extra-db enrolls a further certificate (PEM or DER)
# in db, after KEYDIR's db.crt (changes the db variable, hence PCR 7);
# repeatable.  --template defaults to /usr/share/OVMF/OVMF_VARS_4M.fd
# (package ovmf; pair it with OVMF_CODE_4M.secboot.fd).
#
# OUT is rebuilt only when needed: OUT.fd.inputs records the sha256 of every
# input, the options and of OUT itself, so an unchanged OUT is kept (and a
# second call costs two sha256sums), while changed keys, options, or an OUT
# written to by a firmware are rebuilt.  Give QEMU a COPY of OUT: the
# firmware writes to its variable store.
#
# virt-fw-vars comes from python3-virt-firmware, which Debian 12 has only in
# bookworm-backports.  It is fetched (never installed) through a private apt
# configuration under $CACHE/apt-backports and unpacked into
# $CACHE/virt-firmware/VERSION, once; the host's apt sources are not touched.
# It runs under /usr/bin/python3 with Debian's python3-cryptography,
# python3-pefile and python3-pkg-resources (bookworm main).
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROG=ovmf-vars
usage() { usage_from_header 5 5; }

PY=/usr/bin/python3	# not whatever python3 is first on PATH (pyenv, venv)
template=/usr/share/OVMF/OVMF_VARS_4M.fd
extra=()
args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--extra-db) [ $# -ge 2 ] || usage; extra+=("$2"); shift ;;
	--extra-db=*) extra+=("${1#*=}") ;;
	--template) [ $# -ge 2 ] || usage; template=$2; shift ;;
	--template=*) template=${1#*=} ;;
	-h|--help) usage ;;
	--) shift; args+=("$@"); break ;;
	-*) die "unknown option $1" ;;
	*) args+=("$1") ;;
	esac
	shift
done
[ ${#args[@]} -eq 2 ] || usage
keydir=${args[0]}
out=${args[1]}

for f in PK.crt KEK.crt db.crt owner.guid; do
	[ -r "$keydir/$f" ] || die "$keydir/$f missing (make a key set with keys/make-keys.sh)"
done
guid=$(tr -d ' \t\r\n' <"$keydir/owner.guid")
[[ $guid =~ ^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$ ]] ||
	die "$keydir/owner.guid does not hold a GUID"
for c in "${extra[@]}"; do
	[ -r "$c" ] || die "--extra-db $c: no such file"
done
[ -r "$template" ] || die "$template missing (apt-get install ovmf)"

# --- Cached output --------------------------------------------------------

inputs_digest() {
	{
		echo "template $(sha256sum <"$template")"
		echo "guid $guid"
		for f in PK.crt KEK.crt db.crt; do
			echo "$f $(sha256sum <"$keydir/$f")"
		done
		for c in "${extra[@]}"; do
			echo "extra-db $(sha256sum <"$c")"
		done
	} | sha256sum | cut -d' ' -f1
}
stamp="$out.inputs"
want=$(inputs_digest)
if [ -f "$out" ] && [ -f "$stamp" ] &&
   [ "$(cat "$stamp")" = "$want $(sha256sum <"$out" | cut -d' ' -f1)" ]; then
	say "$out is up to date"
	exit 0
fi

# --- virt-fw-vars from bookworm-backports, fetched once -------------------

missing=()
for p in python3-cryptography python3-pefile python3-pkg-resources; do
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] || die "missing Debian packages: ${missing[*]} (apt-get install them)"

vfdir="$CACHE/virt-firmware"

# The newest unpacked version, if any.
find_vf() {
	local best
	best=$(for d in "$vfdir"/*/; do
		[ -f "$d.complete" ] && basename "$d"
	done | sort -V | tail -n 1)
	[ -n "$best" ] || return 1
	VF="$vfdir/$best"
}

fetch_vf() {
	local apt="$CACHE/apt-backports"
	mkdir -p "$apt/etc/sources.list.d" "$apt/etc/preferences.d" \
		"$apt/lists/partial" "$apt/cache/archives/partial" "$vfdir"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-backports main" \
		>"$apt/etc/sources.list"
	local opts=(
		-o "Dir::Etc::SourceList=$apt/etc/sources.list"
		-o "Dir::Etc::SourceParts=$apt/etc/sources.list.d"
		-o "Dir::Etc::Preferences=$apt/etc/preferences"
		-o "Dir::Etc::PreferencesParts=$apt/etc/preferences.d"
		-o "Dir::State::Lists=$apt/lists"
		-o "Dir::Cache=$apt/cache"
		-o "Acquire::Languages=none"
	)
	# As root, apt drops to user _apt, which cannot enter a cache under
	# /root; say explicitly that root may do the download.
	if [ "$(id -u)" -eq 0 ]; then
		opts+=(-o "APT::Sandbox::User=root")
	fi
	msg "fetching python3-virt-firmware from bookworm-backports"
	apt-get -q "${opts[@]}" update >"$apt/update.log" 2>&1 ||
		{ tail -n 15 "$apt/update.log" >&2; die "apt-get update (bookworm-backports) failed"; }
	local tmp
	tmp=$(mktemp -d "$vfdir/.fetch.XXXXXX")
	# shellcheck disable=SC2064
	trap "rm -rf '$tmp'" EXIT
	(cd "$tmp" && apt-get -q "${opts[@]}" download python3-virt-firmware >"$tmp/download.log" 2>&1) ||
		{ tail -n 15 "$tmp/download.log" >&2; die "apt-get download python3-virt-firmware failed"; }
	local deb ver
	deb=$(ls "$tmp"/python3-virt-firmware_*.deb)
	ver=$(dpkg-deb -f "$deb" Version)
	dpkg -x "$deb" "$tmp/root"
	touch "$tmp/root/.complete"
	if [ ! -d "$vfdir/$ver" ]; then
		mv "$tmp/root" "$vfdir/$ver"
	fi
	rm -rf "$tmp"
	trap - EXIT
	VF="$vfdir/$ver"
}

mkdir -p "$CACHE"
if ! find_vf; then
	# One fetch at a time (tests may run in parallel).
	exec 9>"$CACHE/virt-firmware.lock"
	flock 9
	find_vf || fetch_vf
	exec 9>&-
fi

virt_fw_vars() {
	PYTHONPATH="$VF/usr/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}" \
	PYTHONWARNINGS=ignore \
		"$PY" "$VF/usr/bin/virt-fw-vars" "$@"
}

# --- Build ----------------------------------------------------------------

cmd=(-l warning -i "$template" --set-pk "$guid" "$keydir/PK.crt"
	--add-kek "$guid" "$keydir/KEK.crt" --add-db "$guid" "$keydir/db.crt")
for c in "${extra[@]}"; do
	cmd+=(--add-db "$guid" "$c")
done
cmd+=(--secure-boot)

outdir=$(dirname "$out")
mkdir -p "$outdir"
tmpout=$(mktemp "$outdir/.${out##*/}.XXXXXX")
trap 'rm -f "$tmpout"' EXIT
virt_fw_vars "${cmd[@]}" -o "$tmpout" >"$tmpout.log" 2>&1 ||
	{ cat "$tmpout.log" >&2; rm -f "$tmpout.log"; die "virt-fw-vars failed"; }
rm -f "$tmpout.log"
chmod 0644 "$tmpout"
mv -f "$tmpout" "$out"
trap - EXIT
echo "$want $(sha256sum <"$out" | cut -d' ' -f1)" >"$stamp"
say "wrote $out (PK, KEK, db${extra:+ + ${#extra[@]} extra db cert(s)} from $keydir, Secure Boot on, virt-firmware $(basename "$VF"))"
