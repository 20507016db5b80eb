#!/usr/bin/env bash
# Installs the Debian packages rampart's build and tests need, only those
# missing.  Safe to run often: with nothing missing it only asks dpkg.
set -euo pipefail

packages=(
	# build: C toolchains, the static stack's build systems
	build-essential musl-tools pkg-config cmake autoconf automake libtool
	autoconf-archive autopoint gettext bison flex file libltdl-dev
	# unit tests
	libcmocka-dev
	# fuzz targets (test/fuzz/) and the ASan build of the stack tests:
	# clang with libFuzzer and the sanitizers, the Debian libraries they
	# link (mbedtls and tpm2-tss: tools/build-host-libs.sh)
	clang libclang-rt-14-dev libjson-c-dev libcryptsetup-dev libfdisk-dev
	libblkid-dev uuid-dev
	# boot artefacts and the QEMU harness
	qemu-system-x86 ovmf swtpm swtpm-tools sbsigntool systemd-boot-efi
	mtools dosfstools gdisk erofs-utils cryptsetup-bin busybox-static
	kmod cpio zstd xz-utils dpkg-dev debian-archive-keyring openssl python3-pefile
	python3-cryptography python3-pkg-resources linux-libc-dev bzip2
	# what bookworm-backports' systemd-repart, unpacked by
	# tools/systemd-tools.sh, links and dlopens (that tool checks the list
	# against the packages' Depends)
	libacl1 libapparmor1 libaudit1 libcap2 libcrypt1 libgcrypt20 libip4tc2
	libkmod2 liblz4-1 liblzma5 libmount1 libpam0g libseccomp2 libselinux1
	libssl3 libzstd1 libcryptsetup12 libfdisk1 libp11-kit0
	# the systemd test OS's package tree (tools/mkroot-systemd.sh)
	mmdebstrap
	# reproducible signing time (uki/build.sh)
	faketime
	# SBOM validation (tools/sbom-validate.sh: the CycloneDX library from npm)
	nodejs npm
)
# Satisfied by a command as well as by the package: a machine with another
# Node.js (e.g. from its vendor, which conflicts with Debian's npm) keeps it.
declare -A by_command=([nodejs]=node [npm]=npm)

missing=()
for p in "${packages[@]}"; do
	if [ -n "${by_command[$p]:-}" ] && command -v "${by_command[$p]}" >/dev/null; then
		continue
	fi
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "host-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	sudo=sudo
else
	sudo=
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has empty package lists; an old list may name versions gone from the mirror.
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
