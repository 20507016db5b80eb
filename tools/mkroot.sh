#!/usr/bin/env bash
# Builds the rampart test OS: a small busybox root file system as an
# erofs image, bit-reproducible.
#
#   tools/mkroot.sh OUT.erofs [VERSION]
#
# VERSION (default 1.0) goes into /usr/lib/os-release (VERSION_ID,
# IMAGE_VERSION); /sbin/init is tools/testos/init.  Same inputs (script,
# init, host busybox, VERSION, SOURCE_DATE_EPOCH) give the same bytes.
#
# Environment:
#   SOURCE_DATE_EPOCH  timestamp of every file (default 0)
#   BUSYBOX            the statically linked busybox to install
#                      (default /bin/busybox, Debian's busybox-static)
#   TESTOS_UUID        file system UUID (default: derived from VERSION)
#   SECURITY_VERSION   RAMPART_SECURITY_VERSION in os-release (default: the
#                      number VERSION starts with, 1 for 1.0, 9 for 9.0)
#   RAMPART_TOOL       if set, installed as /usr/bin/rampart (the tests use
#                      its try-unseal mode from the running OS)
#
# Files are stored uncompressed and without inline tails (-E noinline_data),
# so every file's data sits in whole blocks of its own: flipping a byte of
# /sbin/init breaks reading that file and nothing else (see mkdisk.sh's
# info file for where it is).
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -ge 1 ] && [ $# -le 2 ] || usage_from_header 5 5
out=$1
version=${2:-1.0}
# No '_': a slot label is NAME_VERSION, the version after the last '_'.
[[ $version =~ ^[A-Za-z0-9][A-Za-z0-9.~+-]*$ ]] || die "bad version '$version' (letters, digits, . ~ + -)"
security_version=${SECURITY_VERSION:-$(sed -n 's/^\([0-9]*\).*/\1/p' <<<"$version")}
[[ $security_version =~ ^[0-9]+$ ]] || die "bad security version '$security_version' (set SECURITY_VERSION)"

epoch=${SOURCE_DATE_EPOCH:-0}
[[ $epoch =~ ^[0-9]+$ ]] || die "SOURCE_DATE_EPOCH must be a number of seconds"
busybox=${BUSYBOX:-/bin/busybox}

for tool in mkfs.erofs sha256sum; do
	command -v $tool >/dev/null || die "$tool missing (tools/host-deps.sh installs it)"
done
[ -x "$busybox" ] || die "$busybox missing (package busybox-static)"
if command -v file >/dev/null; then
	file -b -L "$busybox" | grep -q 'statically linked' || die "$busybox is not statically linked"
fi

# A fixed UUID per version: two versions of the test OS differ in it too.
uuid=${TESTOS_UUID:-$(derived_uuid "rampart-testos-erofs:$version")}

stage=$(mktemp -d "${TMPDIR:-/tmp}/mkroot.XXXXXX")
trap 'rm -rf "$stage"' EXIT
umask 022
root=$stage/root
mkdir -p "$root"
cd "$root"

mkdir -p bin sbin usr/bin usr/sbin etc root proc sys dev run var tmp mnt
chmod 0700 root
chmod 1777 tmp

install -m 0755 "$busybox" bin/busybox
# Every applet the binary has, at the path it asks for, except init and
# linuxrc: /sbin/init is ours.
"$busybox" --list-full | LC_ALL=C sort | while read -r path; do
	case $path in
	sbin/init | linuxrc | bin/busybox) continue ;;
	esac
	[ -e "$path" ] || [ -L "$path" ] || ln -s /bin/busybox "$path"
done
install -m 0755 "$TOOLS/testos/init" sbin/init
if [ -n "${RAMPART_TOOL:-}" ]; then
	install -m 0755 "$RAMPART_TOOL" usr/bin/rampart
fi

# os-release(5) where it belongs, /etc/os-release pointing at it.  rampart
# checks IMAGE_VERSION against the slot's label and compares
# RAMPART_SECURITY_VERSION with its rollback floor.
mkdir -p usr/lib
cat >usr/lib/os-release <<EOF
NAME="rampart test OS"
ID=rampart-testos
PRETTY_NAME="rampart test OS $version"
VERSION="$version"
VERSION_ID=$version
IMAGE_ID=rampart-testos
IMAGE_VERSION=$version
RAMPART_SECURITY_VERSION=$security_version
EOF
ln -s ../usr/lib/os-release etc/os-release
echo testos >etc/hostname
echo 'root:x:0:0:root:/root:/bin/sh' >etc/passwd
echo 'root:x:0:' >etc/group
cat >etc/profile <<'EOF'
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
PS1='testos# '
EOF
ln -s ../proc/self/mounts etc/mtab

# Fixed modes and times: nothing from the build host's umask or clock.
find . -type d -exec chmod u=rwx,go=rx {} +
chmod 0700 root
chmod 1777 tmp
find . -type f ! -perm -u+x -exec chmod 0644 {} +
find . -exec touch -h -d "@$epoch" {} +

cd - >/dev/null
mkdir -p "$(dirname "$out")"
rm -f "$out.tmp"
mkfs.erofs --quiet -T"$epoch" --all-root -x-1 -U "$uuid" -Enoinline_data "$out.tmp" "$root" ||
	die "mkfs.erofs failed"
mv "$out.tmp" "$out"
say "$out: test OS $version, $(stat -c %s "$out") bytes, uuid $uuid, sha256 $(sha256sum "$out" | cut -c1-64)"
