#!/usr/bin/env bash
# Builds an initrd with systemd the way Debian builds one: dracut 059,
# run inside a throw-away Debian 12 root (mmdebstrap) that has the
# systemd to test, for the project's kernel.  For the interop scenarios
# and the bench: systemd's initrd opening what rampart made.
#
#   tools/mkinitrd-systemd.sh OUT.img 252|254
#
# 252 is Debian 12's own systemd; 254 is bookworm-backports' (the first
# that reads the tpm2_srk token field).  The result is cached under
# CACHE/systemd-initrd/ (keyed by this script, the version and the
# kernel); OUT.img is a copy.  KERNEL_DIR is tools/kernel.sh's directory
# (the Makefile sets it).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROG=mkinitrd-systemd

[ $# -eq 2 ] || die "usage: $0 OUT.img 252|254"
out=$1 version=$2
case $version in 252 | 254) ;; *) die "systemd version must be 252 or 254" ;; esac
kdir=${KERNEL_DIR:-$("$TOOLS/kernel.sh")}
kver=$(cat "$kdir/version")
command -v mmdebstrap >/dev/null || die "mmdebstrap missing (tools/host-deps.sh installs it)"

key=$( (cat "$TOOLS/mkinitrd-systemd.sh"; echo "$version $kver") | sha256sum | cut -c1-16)
cached=$CACHE/systemd-initrd/initrd-$version-$key.img
if [ ! -f "$cached" ]; then
	msg "building a dracut initrd with systemd $version for $kver (mmdebstrap, a few minutes)"
	mkdir -p "$CACHE/systemd-initrd"
	work=$(mktemp -d "$CACHE/systemd-initrd/tmp.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	mirror=http://deb.debian.org/debian
	sources=("deb $mirror bookworm main")
	systemd_pkgs=systemd,systemd-sysv,udev
	if [ "$version" = 254 ]; then
		sources+=("deb $mirror bookworm-backports main")
		# systemd and what must match its version from backports (the suite's one version); the rest from bookworm.
		bpo=$(bpo_systemd_version)
		[[ $bpo == 254.* ]] || die "bookworm-backports has systemd '$bpo', not 254"
		systemd_pkgs=$(for p in systemd systemd-sysv udev libsystemd0 libudev1 libsystemd-shared; do printf '%s=%s,' "$p" "$bpo"; done)
		systemd_pkgs=${systemd_pkgs%,}
	fi
	mmdebstrap --quiet --variant=minbase --format=null \
		--include="$systemd_pkgs,dracut,cryptsetup-bin,tpm2-tools,kmod,libtss2-tcti-device0,zstd" \
		--customize-hook="mkdir -p \"\$1/lib/modules\" && cp -a '$kdir/lib/modules/$kver' \"\$1/lib/modules/\"" \
		--customize-hook="chroot \"\$1\" dracut --quiet --force --no-hostonly --no-hostonly-cmdline --kver '$kver' \
			--add 'systemd crypt systemd-veritysetup tpm2-tss' --compress zstd /tmp/initrd.img" \
		--customize-hook="copy-out /tmp/initrd.img '$work'" \
		--customize-hook="chroot \"\$1\" dpkg-query -W systemd dracut >'$work/versions'" \
		bookworm /dev/null "${sources[@]}" >&2 || die "mmdebstrap/dracut failed"
	grep -q "^systemd	$version" "$work/versions" || die "the root has $(grep '^systemd' "$work/versions"), not $version"
	mv "$work/initrd.img" "$cached"
	cp "$work/versions" "$cached.versions"
fi
cp "$cached" "$out"
say "$out: dracut initrd, $(tr '\n\t' ', ' <"$cached.versions"), kernel $kver, $(stat -c %s "$out") bytes"
