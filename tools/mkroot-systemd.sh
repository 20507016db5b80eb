#!/usr/bin/env bash
# Builds the systemd test OS: Debian 12 with systemd 252 as its init,
# from Debian packages (mmdebstrap), as an erofs image for a verity slot.
#
#   tools/mkroot-systemd.sh OUT.erofs [VERSION]
#
# The package tree is made once and cached (CACHE/systemd-os/, keyed by
# this script and what it installs into the tree); each VERSION only
# writes os-release (IMAGE_VERSION, RAMPART_SECURITY_VERSION) and packs
# the image.  The tree is as small as a systemd system that comes up
# with nothing failed allows: minbase, systemd-sysv, udev (device units:
# the serial getty waits for one), dbus (logind needs it), tpm2-tss's
# libraries (the UKI's stub makes systemd-pcrphase run, which loads
# them), tpm2-tools and cryptsetup (legacy-token-opened re-enrols /var
# with them), no documentation or locales.  What it adds to be a read-only root
# behind rampart:
#   - /etc/machine-id empty: systemd mounts a transient one each boot
#     (the root is read-only; README: systemd OS);
#   - systemd-firstboot masked: it would prompt on the console;
#   - /etc/.updated: /usr and /etc come from one image, nothing to update
#     (ldconfig.service would write /etc);
#   - tmp.mount enabled: /tmp on tmpfs (the root is read-only);
#   - os/systemd/rampart-swap.service: swaps on what rampart opened;
#   - the report (tools/testos/systemd/) that the scenarios read.
# Not bit-reproducible across days: the suite moves (the cached tree
# keeps one build).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROG=mkroot-systemd

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: $0 OUT.erofs [VERSION]"
out=$1
version=${2:-1.0}
[[ $version =~ ^[A-Za-z0-9][A-Za-z0-9.~+-]*$ ]] || die "bad version '$version'"
security_version=${SECURITY_VERSION:-$(sed -n 's/^\([0-9]*\).*/\1/p' <<<"$version")}
for tool in mmdebstrap mkfs.erofs; do
	command -v $tool >/dev/null || die "$tool missing (tools/host-deps.sh installs it)"
done

inputs=("$TOOLS/mkroot-systemd.sh" "$TOOLS/testos/systemd/"* "$TOOLS/../os/systemd/rampart-swap.service")
key=$(cat "${inputs[@]}" | sha256sum | cut -c1-16)
tree=$CACHE/systemd-os/rootfs-$key.tar
if [ ! -f "$tree" ]; then
	msg "building the package tree (mmdebstrap bookworm) into $tree"
	mkdir -p "$CACHE/systemd-os"
	rm -f "$CACHE"/systemd-os/rootfs-*.tar
	mmdebstrap --quiet --format=tar --variant=minbase --include=systemd-sysv,dbus,udev,libtss2-esys-3.0.2-0,libtss2-mu0,libtss2-rc0,libtss2-tcti-device0,tpm2-tools,cryptsetup-bin \
		--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-include=/usr/share/doc/*/copyright' \
		--dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
		--customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/*' \
		--customize-hook=': >"$1/etc/machine-id"; echo rampart-testos >"$1/etc/hostname"' \
		--customize-hook='ln -sf /dev/null "$1/etc/systemd/system/systemd-firstboot.service"' \
		--customize-hook='cp "$1/usr/share/systemd/tmp.mount" "$1/etc/systemd/system/tmp.mount" &&
			mkdir -p "$1/etc/systemd/system/local-fs.target.wants" &&
			ln -sf ../tmp.mount "$1/etc/systemd/system/local-fs.target.wants/tmp.mount"' \
		--customize-hook="mkdir -p \"\$1/usr/lib/rampart-testos\" \"\$1/etc/systemd/system/swap.target.wants\" \
			\"\$1/etc/systemd/system/multi-user.target.wants\" &&
			install -m 0755 '$TOOLS/testos/systemd/report' \"\$1/usr/lib/rampart-testos/report\" &&
			install -m 0644 '$TOOLS/testos/systemd/rampart-testos.service' '$TOOLS/../os/systemd/rampart-swap.service' \
				\"\$1/etc/systemd/system/\" &&
			ln -sf ../rampart-swap.service \"\$1/etc/systemd/system/swap.target.wants/\" &&
			ln -sf ../rampart-testos.service \"\$1/etc/systemd/system/multi-user.target.wants/\"" \
		bookworm "$tree.tmp" http://deb.debian.org/debian >&2 || die "mmdebstrap failed"
	mv "$tree.tmp" "$tree"
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/mkroot-systemd.XXXXXX")
trap 'rm -rf "$stage"' EXIT
tar -C "$stage" --numeric-owner -xpf "$tree"
{
	grep -vE '^(IMAGE_ID|IMAGE_VERSION|RAMPART_SECURITY_VERSION)=' "$stage/usr/lib/os-release"
	echo "IMAGE_ID=rampart-testos-systemd"
	echo "IMAGE_VERSION=$version"
	echo "RAMPART_SECURITY_VERSION=$security_version"
} >"$stage/os-release" && mv "$stage/os-release" "$stage/usr/lib/os-release"
# /etc and /usr are one image: nothing for ConditionNeedsUpdate= to do.
touch "$stage/etc/.updated"
epoch=${SOURCE_DATE_EPOCH:-0}
uuid=$(derived_uuid "rampart-testos-systemd-erofs:$key:$version")
mkfs.erofs --quiet -zlz4hc -T"$epoch" -x-1 -U "$uuid" "$out.tmp" "$stage" || die "mkfs.erofs failed"
mv "$out.tmp" "$out"
say "$out: systemd test OS $version, $(stat -c %s "$out") bytes (tree $(du -sm "$stage" | cut -f1) MiB), uuid $uuid"
