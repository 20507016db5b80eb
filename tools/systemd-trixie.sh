#!/usr/bin/env bash
# Makes (once; cached) a throw-away Debian 13 (trixie) root with its
# systemd and prints its directory, for what Debian 12's systemd 252 and
# bookworm-backports' 254 cannot do: systemd-cryptenroll sealing to PCR
# values given on its command line (--tpm2-pcrs=7:sha256=HEX, systemd
# 255 and later), for the cryptenroll-token-opened scenario.  Nothing is
# installed on the host: the root is mmdebstrap's, and
#
#   DIR/run TOOL ARGS...
#
# runs TOOL inside DIR/root (chroot; needs root, as the boot tests do)
# with the host's network, so a swtpm on 127.0.0.1 is reachable through
# tpm2-tss' swtpm TCTI.  Nothing is mounted into it (a mount namespace
# cannot be made private inside fresh-check's own chroot, and
# systemd-cryptenroll on an image file needs only the device nodes
# mmdebstrap made).  Files to work on go in DIR/root/work (/work inside).
# DIR/versions names the systemd it has.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROG=systemd-trixie

command -v mmdebstrap >/dev/null || die "mmdebstrap missing (tools/host-deps.sh installs it)"
key=$(sha256sum "$TOOLS/systemd-trixie.sh" | cut -c1-16)
dir=$CACHE/systemd-trixie/root-$key
if [ -f "$dir/.complete" ]; then
	echo "$dir"
	exit 0
fi
msg "making a Debian 13 root with its systemd (mmdebstrap trixie, about a minute)"
mkdir -p "$CACHE/systemd-trixie"
rm -rf "$CACHE"/systemd-trixie/root-*
tmp=$(mktemp -d "$CACHE/systemd-trixie/tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# systemd-cryptenroll is in systemd-cryptsetup; tpm2-tss' libraries are dlopen()ed, so named here.
mmdebstrap --quiet --variant=minbase --format=tar \
	--include=systemd,systemd-cryptsetup,cryptsetup-bin,libtss2-esys-3.0.2-0t64,libtss2-mu-4.0.1-0t64,libtss2-rc0t64,libtss2-tctildr0t64,libtss2-tcti-swtpm0t64 \
	--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
	trixie "$tmp/root.tar" http://deb.debian.org/debian >&2 || die "mmdebstrap trixie failed"
mkdir -p "$tmp/dir/root"
tar -C "$tmp/dir/root" --numeric-owner -xpf "$tmp/root.tar" 2>/dev/null
rm "$tmp/root.tar"
chroot "$tmp/dir/root" dpkg-query -W systemd systemd-cryptsetup >"$tmp/dir/versions"
mkdir -p "$tmp/dir/root/work"
cat >"$tmp/dir/run" <<'RUN'
#!/bin/bash
# run TOOL ARGS...: TOOL inside root/ (see tools/systemd-trixie.sh).
set -euo pipefail
exec chroot "$(dirname "$(readlink -f "$0")")/root" "$@"
RUN
chmod +x "$tmp/dir/run"
rm -rf "$dir"
mv "$tmp/dir" "$dir"
touch "$dir/.complete"
msg "$(tr '\n\t' ', ' <"$dir/versions")"
echo "$dir"
