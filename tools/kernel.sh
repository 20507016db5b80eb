#!/usr/bin/env bash
# Fetches Debian's signed amd64 kernel (not installed: apt-get download +
# dpkg -x) into the cache and prints the directory it unpacked to.  The
# directory holds boot/vmlinuz-VER and lib/modules/VER (depmod'ed); the
# file "version" names VER.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROG=kernel
# The kernel rampart is tested with: Debian 12's signed amd64 image.  Pin a
# package with RAMPART_KERNEL_PKG=linux-image-6.1.0-NN-amd64.
meta=linux-image-amd64

resolve_pkg() {
	apt-cache depends "$meta" 2>/dev/null | sed -n 's/^  Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -1
}

pkg=${RAMPART_KERNEL_PKG:-$(resolve_pkg)}
if [ -z "$pkg" ]; then
	apt-get update -qq >&2
	pkg=$(resolve_pkg)
fi
[ -n "$pkg" ] || die "cannot resolve $meta to a kernel package"

version=$(apt-cache policy "$pkg" | sed -n 's/^  Candidate: //p')
dir="$CACHE/kernel/$pkg-$version"
if [ -f "$dir/.complete" ]; then
	echo "$dir"
	exit 0
fi

msg "fetching $pkg $version"
tmp=$(mktemp -d "$CACHE/kernel.XXXXXX" 2>/dev/null || { mkdir -p "$CACHE" && mktemp -d "$CACHE/kernel.XXXXXX"; })
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && apt-get download "$pkg=$version" >&2); then
	# Stale package lists name a version the mirror no longer has.
	apt-get update -qq >&2
	(cd "$tmp" && apt-get download "$pkg" >&2)
fi
deb=$(ls "$tmp"/*.deb)
dpkg -x "$deb" "$tmp/root"
kver=$(ls "$tmp/root/lib/modules")
depmod -b "$tmp/root" "$kver"
echo "$kver" > "$tmp/root/version"
sha256sum "$deb" | awk -v p="$pkg" -v v="$version" '{print p "\t" v "\t" $1}' > "$tmp/root/package"
mkdir -p "$(dirname "$dir")"
rm -rf "$dir"
mv "$tmp/root" "$dir"
touch "$dir/.complete"
echo "$dir"
