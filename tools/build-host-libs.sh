#!/bin/bash
# build-host-libs.sh path|build: the host (glibc) libraries that the fuzz
# targets (test/fuzz/) and the ASan build of the stack tests (test/stack.mk)
# link and that Debian 12 does not package in the stack's version:
#
#   mbedtls 3.6   Debian 12 has 2.28 (no PKCS#7)
#   tpm2-tss 4.1  Debian 12 has 3.2 (no ESAPI crypto callbacks, which
#                 lib/tpm2.c sets); static, crypto from this mbedtls
#
# Both from the lock's own source packages (the .dsc files the static stack
# is built from, Debian's patches applied by dpkg-source), with clang, ASan
# + UBSan and libFuzzer's coverage instrumentation, so the fuzzer also
# explores mbedtls' PKCS#7 and X.509 parsers and tpm2-tss' unmarshalling.
# json-c (0.16, the stack's version), libcryptsetup, libblkid, libfdisk
# and cmocka come from Debian 12.
#
# PREFIX = "$CACHE/hostlibs-<key>", key over the lock, this script and clang's version.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LOCK="${RAMPART_LOCK:-$TOOLS/deps.lock}"
CFLAGS_HOST="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fsanitize=fuzzer-no-link"

key() {
	{ cat "$LOCK" "$TOOLS/build-host-libs.sh"; clang --version; } | sha256sum | cut -c1-16
}
PREFIX="$CACHE/hostlibs-$(key)"

# unpack PKG: the locked source package in $work/PKG, Debian's patches applied.
unpack() {
	local dsc
	dsc=$(awk -v p="$1" '$1 == p && $4 ~ /\.dsc$/ { print $4; exit }' "$LOCK")
	dpkg-source -x "$CACHE/src/$dsc" "$work/$1" >>"$work/log" 2>&1
}

build_mbedtls() {
	unpack mbedtls &&
	cmake -S "$work/mbedtls" -B "$work/mbedtls/_build" -G "Unix Makefiles" -DCMAKE_C_COMPILER=clang \
		-DCMAKE_C_FLAGS="$CFLAGS_HOST" -DCMAKE_BUILD_TYPE=None -DGEN_FILES=OFF \
		-DENABLE_TESTING=OFF -DENABLE_PROGRAMS=OFF -DUSE_STATIC_MBEDTLS_LIBRARY=ON \
		-DUSE_SHARED_MBEDTLS_LIBRARY=OFF -DMBEDTLS_FATAL_WARNINGS=OFF \
		-DCMAKE_INSTALL_PREFIX="$work/prefix" -DCMAKE_INSTALL_LIBDIR=lib &&
	make -C "$work/mbedtls/_build" -j"$(nproc)" install
}

build_tpm2_tss() {
	unpack tpm2-tss && cd "$work/tpm2-tss" && ./bootstrap &&
	CC=clang CFLAGS="$CFLAGS_HOST" CPPFLAGS="-I$work/prefix/include" LDFLAGS="-L$work/prefix/lib" \
		./configure --prefix=/ --libdir=/lib --disable-shared --enable-static --with-crypto=mbed \
		--disable-fapi --disable-policy --enable-nodl --disable-doxygen-doc --disable-unit \
		--disable-integration --disable-tcti-mssim --disable-tcti-cmd --disable-tcti-pcap \
		--disable-tcti-libtpms --disable-tcti-spi-helper --disable-tcti-i2c-helper \
		--disable-tcti-spi-ltt2go --disable-tcti-spidev --disable-tcti-spi-ftdi \
		--disable-tcti-i2c-ftdi --disable-log-file &&
	make -j"$(nproc)" &&
	# Without DESTDIR, install runs systemd-sysusers/-tmpfiles on the host.
	make install DESTDIR="$work/tss-dest" &&
	cp -a "$work/tss-dest/include/." "$work/prefix/include/" &&
	cp -a "$work/tss-dest/lib/." "$work/prefix/lib/" &&
	# Every TCTI exports Tss2_Tcti_Info: linking several statically needs it local.
	for a in "$work"/prefix/lib/libtss2-tcti-*.a; do objcopy --localize-symbol=Tss2_Tcti_Info "$a" || return 1; done
}

build() {
	[[ -f "$PREFIX/.complete" ]] && return 0
	"$TOOLS/fetch-sources.sh" mbedtls tpm2-tss >&2 || die "sources are missing"
	work=$(mktemp -d "$CACHE/.hostlibs.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	say "building mbedtls and tpm2-tss for the host (clang, ASan + UBSan, fuzzer coverage) in $PREFIX"
	( set -e; build_mbedtls; build_tpm2_tss ) >>"$work/log" 2>&1 || { tail -30 "$work/log" >&2; die "build failed"; }
	rm -rf "$PREFIX"
	mv -T "$work/prefix" "$PREFIX"
	date -u +%Y-%m-%dT%H:%M:%SZ >"$PREFIX/.complete"
}

case "${1:-}" in
path)  echo "$PREFIX" ;;
build) build ;;
*)     echo "usage: $0 path|build" >&2; exit 2 ;;
esac
