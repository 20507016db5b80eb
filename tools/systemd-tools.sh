#!/usr/bin/env bash
# Fetches a newer systemd's tools for the tests (not installed: apt-get
# download + dpkg -x into the cache) and prints the directory they were
# unpacked to.  Debian 12's own systemd 252 has no verity support in
# systemd-repart; bookworm-backports' systemd (254 as of writing) has,
# and is built against Debian 12's libraries, so it runs on the host from
# the unpacked tree:
#
#   tools/systemd-tools.sh            -> DIR
#   DIR/run systemd-repart ARGS...    runs the unpacked binary
#
# DIR/package names the packages and the sha256 of each .deb (apt checked
# them against the signed Release file).  The version is the suite's
# newest: backports keeps only that one.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROG=systemd-tools
APTP="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/apt-private.sh"
SUITE=bookworm-backports
PKGS="systemd libsystemd-shared"

version=$(bpo_systemd_version)
[ -n "$version" ] || die "no systemd in $SUITE (private apt lists: $("$APTP" dir))"
dir="$CACHE/systemd-tools/$version"
if [ -f "$dir/.complete" ]; then
	echo "$dir"
	exit 0
fi
msg "fetching systemd $version from $SUITE"
mkdir -p "$CACHE/systemd-tools"
tmp=$(mktemp -d "$CACHE/systemd-tools/tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && "$APTP" apt-get download -q $(for p in $PKGS; do echo "$p=$version"; done) >&2) ||
	die "cannot download $PKGS $version"
# Its libraries are Debian 12's: the host must have them (tools/host-deps.sh installs them).
missing=$(for deb in "$tmp"/*.deb; do dpkg-deb -f "$deb" Depends; done | tr ',' '\n' |
	sed -E 's/^ *([^ ]+).*/\1/' | grep -E '^lib' | grep -vE '^libsystemd' | sort -u |
	while read -r p; do
		[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || echo "$p"
	done)
[ -z "$missing" ] || die "the host lacks $(echo $missing) (add them to tools/host-deps.sh)"
mkdir "$tmp/root"
for deb in "$tmp"/*.deb; do
	dpkg -x "$deb" "$tmp/root"
	sha256sum "$deb" | awk -v f="${deb##*/}" '{print f "\t" $1}' >>"$tmp/root/package"
done
cat >"$tmp/root/run" <<'RUN'
#!/bin/sh
# run TOOL ARGS...: a tool of this unpacked systemd, with its own libsystemd-shared.
here=$(dirname "$(readlink -f "$0")")
tool=$1
shift
for d in bin usr/bin lib/systemd usr/lib/systemd; do
	[ -x "$here/$d/$tool" ] && break
done
LD_LIBRARY_PATH="$here/lib/systemd:$here/usr/lib/x86_64-linux-gnu/systemd${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
	exec "$here/$d/$tool" "$@"
RUN
chmod +x "$tmp/root/run"
rm -rf "$dir"
mv "$tmp/root" "$dir"
touch "$dir/.complete"
echo "$dir"
