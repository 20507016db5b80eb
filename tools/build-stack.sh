#!/bin/bash
# build-stack.sh: build rampart's static musl dependency stack (sysroot).
#
# host-packages: musl-tools cmake make autoconf automake libtool libltdl-dev pkg-config autoconf-archive autopoint gettext bison flex binutils file linux-libc-dev xz-utils bzip2 dpkg-dev debian-archive-keyring
#
#   tools/build-stack.sh path    print the sysroot path for the current lock
#                                and recipe (builds nothing)
#   tools/build-stack.sh build   build it unless "$SYSROOT/.complete" exists
#
# SYSROOT = "$CACHE/sysroot-<key>", key = first 16 hex of sha256 over the
# lock file, this script and the musl-gcc/musl versions.  Contents:
#   include/ lib/*.a lib/pkgconfig/ sbin/mke2fs   the stack
#   lib/libcmocka.a include/cmocka.h  test-only (TEST_ORDER): for unit tests
#                                   of code that needs the stack; never in
#                                   link-flags or manifest.tsv
#   uapi/{linux,asm-generic,asm}    symlinks to the host's kernel UAPI headers
#   cflags       "-I$SYSROOT/include -isystem $SYSROOT/uapi"
#   link-flags   tested static link line for all libraries (one line)
#   manifest.tsv one line per component, for the SBOM
#
# Environment: RAMPART_CACHE (cache root), RAMPART_LOCK (lock file),
# RAMPART_KEEP_BUILD=1 (keep "$CACHE/build-<key>" and its logs on success).
set -euo pipefail

SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
TOOLS="$(dirname "$SELF")"
CACHE="${RAMPART_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rampart}"
LOCK="${RAMPART_LOCK:-$TOOLS/deps.lock}"

# Compiler flags for every library.  -ffile-prefix-map keeps build paths
# out of the objects (assert() strings).
BASE_CFLAGS="-Os -pipe -fstack-protector-strong -ffunction-sections -fdata-sections"

# Link order for consumers: users before what they use.
LINK_LIBS="-lcryptsetup -lfdisk -lblkid -ldevmapper -ljson-c -luuid \
-ltss2-esys -ltss2-sys -ltss2-tctildr -ltss2-tcti-device -ltss2-tcti-swtpm \
-ltss2-mu -ltss2-rc -lmbedtls -lmbedx509 -lmbedcrypto -lpthread -lm"

# ---- per-component feature flags (recorded in manifest.tsv) -------------
# SPDX license of what we use, as stated in the named upstream file.
declare -A LICENSE=(
    [mbedtls]="Apache-2.0 OR GPL-2.0-or-later (LICENSE)"
    [json-c]="MIT (COPYING)"
    [util-linux]="BSD-3-Clause (libuuid/COPYING) AND LGPL-2.1-or-later (libblkid/COPYING, libfdisk/COPYING)"
    [lvm2]="LGPL-2.1-only (COPYING.LIB, libdm)"
    [cryptsetup]="LGPL-2.1-or-later WITH cryptsetup-OpenSSL-exception (README.licensing, lib/)"
    [tpm2-tss]="BSD-2-Clause (LICENSE)"
    [e2fsprogs]="GPL-2.0-only (NOTICE, mke2fs)"
    [cmocka]="Apache-2.0 (COPYING)"
)

FLAGS_mbedtls=(-DCMAKE_BUILD_TYPE=MinSizeRel -DGEN_FILES=OFF -DENABLE_TESTING=OFF
    -DENABLE_PROGRAMS=OFF -DUSE_STATIC_MBEDTLS_LIBRARY=ON
    -DUSE_SHARED_MBEDTLS_LIBRARY=OFF -DMBEDTLS_FATAL_WARNINGS=OFF)
FLAGS_json_c=(-DCMAKE_BUILD_TYPE=MinSizeRel -DBUILD_SHARED_LIBS=OFF
    -DBUILD_STATIC_LIBS=ON -DBUILD_APPS=OFF -DBUILD_TESTING=OFF
    -DDISABLE_WERROR=ON -DDISABLE_EXTRA_LIBS=ON)
FLAGS_util_linux=(--disable-shared --enable-static --disable-all-programs
    --enable-libuuid --enable-libblkid --enable-libfdisk --disable-libmount
    --disable-liblastlog2 --disable-pam-lastlog2 --disable-asciidoc
    --disable-poman --disable-nls --disable-bash-completion
    --disable-pylibmount --without-python --without-systemd --without-udev
    --without-econf --without-selinux --without-audit --without-smack
    --without-cap-ng --without-libz --without-libmagic --without-readline
    --without-ncursesw --without-ncurses --without-tinfo --without-user
    --without-btrfs --without-cryptsetup)
FLAGS_lvm2=(--enable-static_link --enable-pkgconfig --without-blkid
    --without-systemd --without-udev --disable-sd-notify
    --disable-systemd-journal --disable-selinux --disable-readline
    --disable-nls --disable-blkid_wiping --disable-udev_sync)
FLAGS_cryptsetup=(--disable-shared --enable-static
    --with-crypto_backend=mbedtls --disable-cryptsetup --disable-veritysetup
    --disable-integritysetup --disable-ssh-token --disable-external-tokens
    --disable-nls --disable-asciidoc --disable-udev --disable-selinux
    --disable-pwquality --disable-passwdqc --disable-fips --disable-hw-opal
    --disable-libargon2 --enable-internal-sse-argon2)
FLAGS_tpm2_tss=(--disable-shared --enable-static --with-crypto=mbed
    --disable-fapi --disable-policy --enable-nodl --disable-doxygen-doc
    --disable-unit --disable-integration --disable-tcti-mssim
    --disable-tcti-cmd --disable-tcti-pcap --disable-tcti-libtpms
    --disable-tcti-spi-helper --disable-tcti-i2c-helper
    --disable-tcti-spi-ltt2go --disable-tcti-spidev --disable-tcti-spi-ftdi
    --disable-tcti-i2c-ftdi --disable-log-file --with-maxloglevel=warning)
FLAGS_e2fsprogs=(--disable-elf-shlibs --disable-bsd-shlibs --disable-nls
    --disable-fuse2fs --disable-debugfs --disable-imager --disable-resizer
    --disable-defrag --disable-uuidd --disable-libuuid --disable-libblkid
    --disable-tdb --disable-fsck --disable-e2initrd-helper
    --disable-backtrace --disable-rpath --without-libarchive
    --disable-bmap-stats --with-udev-rules-dir=no --with-crond-dir=no
    --with-systemd-unit-dir=no)
FLAGS_cmocka=(-DCMAKE_BUILD_TYPE=MinSizeRel -DBUILD_SHARED_LIBS=OFF -DWITH_STATIC_LIB=ON
    -DWITH_EXAMPLES=OFF -DUNIT_TESTING=OFF)

# Build order (lock package names).
ORDER="mbedtls json-c util-linux lvm2 cryptsetup tpm2-tss e2fsprogs"
# Built into the same sysroot for the musl unit tests (test/stack.mk), after
# the stack: nothing in /init links them, so they stay out of LINK_LIBS and
# out of the manifest (the SBOM of what ships).
TEST_ORDER="cmocka"

say() { echo "stack: $*"; }
die() { echo "stack: $*" >&2; exit 1; }

# ---- key and paths -------------------------------------------------------
musl_version() {
    local specs
    specs=$(grep -o '[^" ]*musl-gcc\.specs' "$(command -v musl-gcc)" | head -n 1) || true
    { "$(dirname "${specs:-/nonexistent/x}")/libc.so" 2>&1 || true; } |
        sed -n 's/^Version //p'
}

compute_key() {
    command -v musl-gcc >/dev/null || die "musl-gcc not found (install musl-tools)"
    [[ -f "$LOCK" ]] || die "no lock file $LOCK"
    { cat "$LOCK"; cat "$SELF"; musl-gcc -dumpversion; musl_version; } |
        sha256sum | cut -c1-16
}

set_paths() {
    KEY=$(compute_key)
    SYSROOT="$CACHE/sysroot-$KEY"
    BUILD="$CACHE/build-$KEY"
    STAGE="$CACHE/.sysroot-$KEY.tmp"
}

# ---- lock access ---------------------------------------------------------
# The lock has one line per file: package suite version file sha256.
# lock_field PKG N: field N (1-based) of PKG's first lock line.
lock_field() {
    awk -v p="$1" -v n="$2" '$1 == p && $1 !~ /^#/ { print $n; exit }' "$LOCK"
}
# lock_dsc PKG: the .dsc file name of PKG.
lock_dsc() {
    awk -v p="$1" '$1 == p && $4 ~ /\.dsc$/ { print $4; exit }' "$LOCK"
}
# lock_sha PKG FILE: FILE's sha256 in the lock.
lock_sha() {
    awk -v p="$1" -v f="$2" '$1 == p && $4 == f { print $5; exit }' "$LOCK"
}

# ---- host checks ---------------------------------------------------------
check_host() {
    local missing=() t
    for t in musl-gcc cmake make autoreconf autopoint libtoolize pkg-config \
             msgfmt objcopy strip sha256sum flock tar xz bzip2 file \
             dpkg-source dpkg-parsechangelog; do
        command -v "$t" >/dev/null || missing+=("$t")
    done
    [[ -f /usr/share/aclocal/ax_is_release.m4 ]] || missing+=("autoconf-archive")
    [[ -f /usr/share/aclocal/ltdl.m4 ]] || missing+=("libltdl-dev")
    [[ -d /usr/include/linux && -d /usr/include/asm-generic &&
       -d /usr/include/x86_64-linux-gnu/asm ]] || missing+=("linux-libc-dev")
    [[ ${#missing[@]} -eq 0 ]] ||
        die "missing host tools: ${missing[*]} (see '# host-packages:' in $SELF)"
}

# ---- step runner ---------------------------------------------------------
# run_step NAME FUNCTION: run FUNCTION in a subshell (errexit on), output to
# $BUILD/logs/NAME.log; on failure show the log tail and stop.
STEP_NO=0
STEP_TOTAL=0
run_step() {
    local name=$1 fn=$2 log="$BUILD/logs/$1.log" t0 rc
    STEP_NO=$((STEP_NO + 1))
    t0=$(date +%s)
    printf 'stack: [%d/%d] %-11s ' "$STEP_NO" "$STEP_TOTAL" "$name"
    set +e
    ( set -euo pipefail; "$fn" ) >"$log" 2>&1 </dev/null
    rc=$?
    set -e
    if [[ $rc -ne 0 ]]; then
        echo "FAILED"
        echo "----- last 30 lines of $log -----" >&2
        tail -n 30 "$log" >&2
        echo "-----" >&2
        rm -rf "$STAGE"
        die "$name failed (exit $rc); full log: $log"
    fi
    echo "ok ($(( $(date +%s) - t0 )) s)"
}

# unpack PKG: fresh source tree in $BUILD/src/PKG from the locked .dsc,
# Debian's patches applied by dpkg-source (it also checks every file against
# the .dsc; the .dsc itself was checked against the lock and the signed
# Sources index by fetch-sources.sh).  A patch that does not apply stops the
# build: none is ever dropped silently.  cd into the tree.
unpack() {
    local src="$BUILD/src/$1" dsc series applied
    dsc=$(lock_dsc "$1")
    rm -rf "$src"
    mkdir -p "$BUILD/src"
    dpkg-source -x "$CACHE/src/$dsc" "$src"
    cd "$src"
    series=$(debian_series)
    applied=$(cat .pc/applied-patches 2>/dev/null || true)
    if [[ "$series" != "$applied" ]]; then
        echo "debian patches: series and applied differ in $dsc" >&2
        diff <(echo "$series") <(echo "$applied") >&2 || true
        return 1
    fi
    echo "debian patches applied to $1 ($(grep -c . <<<"$series" || true)):"
    sed 's/^/  /' <<<"$series"
    # As dh-autoreconf does: patched autotools inputs (quilt keeps each
    # patched file's original under .pc/) mean the generated files are stale.
    if [[ -d .pc ]] && find .pc \( -name '*.am' -o -name configure.ac \
            -o -name '*.m4' \) -print -quit | grep -q .; then
        echo "debian patches change autotools inputs: autoreconf -fi"
        GTKDOCIZE=true autoreconf -fi  # no API docs are built
    fi
}

# The patch names of debian/patches/series, in order, without options.
debian_series() {
    [[ -f debian/patches/series ]] || return 0
    sed -e 's/#.*//' -e 's/[[:space:]].*//' -e '/^$/d' debian/patches/series
}

# Environment shared by every build step.
build_env() {
    unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES DESTDIR CFLAGS CPPFLAGS \
          LDFLAGS LIBS CXXFLAGS PKG_CONFIG_SYSROOT_DIR CONFIG_SITE
    export LC_ALL=C TZ=UTC
    export CC=musl-gcc AR=ar RANLIB=ranlib
    export PKG_CONFIG="pkg-config --static"
    export PKG_CONFIG_LIBDIR="$STAGE/lib/pkgconfig" PKG_CONFIG_PATH=
    JOBS=$(nproc)
    CFLAGS_ALL="$BASE_CFLAGS -ffile-prefix-map=$BUILD/src/= -ffile-prefix-map=$STAGE=/sysroot"
    INC="-I$STAGE/include -isystem $STAGE/uapi"
}

# configure with the common directory layout.
autoconf_configure() {
    ./configure --prefix="$STAGE" --libdir="$STAGE/lib" \
        --sysconfdir=/etc --localstatedir=/var --runstatedir=/run "$@"
}

# ---- components ------------------------------------------------------------
cmake_build() { # extra cmake args...
    cmake -S . -B _build -G "Unix Makefiles" \
        -DCMAKE_C_COMPILER=musl-gcc -DCMAKE_C_FLAGS="$CFLAGS_ALL $INC" \
        -DCMAKE_INSTALL_PREFIX="$STAGE" -DCMAKE_INSTALL_LIBDIR=lib "$@"
    make -C _build -j"$JOBS"
    make -C _build install
}

build_mbedtls() {
    build_env; unpack mbedtls
    cmake_build "${FLAGS_mbedtls[@]}"
    # The installed configuration must have what rampart relies on.
    cat >_cfgcheck.c <<'EOF'
#include <mbedtls/build_info.h>
#if !defined(MBEDTLS_PKCS7_C) || !defined(MBEDTLS_X509_USE_C) || \
    !defined(MBEDTLS_X509_CRT_PARSE_C) || !defined(MBEDTLS_X509_CRL_PARSE_C) || \
    !defined(MBEDTLS_PKCS5_C) || !defined(MBEDTLS_MD_C) || \
    !defined(MBEDTLS_SHA256_C) || !defined(MBEDTLS_AES_C) || \
    !defined(MBEDTLS_CIPHER_MODE_XTS) || !defined(MBEDTLS_RSA_C) || \
    !defined(MBEDTLS_ECP_C) || !defined(MBEDTLS_HKDF_C)
#error "mbedtls configuration lacks a module rampart needs"
#endif
int main(void) { return 0; }
EOF
    musl-gcc -I"$STAGE/include" -fsyntax-only _cfgcheck.c
    echo "mbedtls config check: PKCS7, X509 (CRT/CRL), PKCS5, MD, SHA256, AES-XTS, RSA, ECP, HKDF present"
}

build_json_c() {
    build_env; unpack json-c
    cmake_build "${FLAGS_json_c[@]}"
}

build_util_linux() {
    build_env; unpack util-linux
    CFLAGS="$CFLAGS_ALL" CPPFLAGS="$INC" LDFLAGS="-L$STAGE/lib" \
        autoconf_configure "${FLAGS_util_linux[@]}"
    make -j"$JOBS"
    make install
}

build_lvm2() {
    build_env; unpack lvm2
    # lvm2's makefiles ignore CPPFLAGS: headers go in CFLAGS, via the
    # environment (not make's command line).  No -static in LDFLAGS.
    # Only the static libdevmapper is built and installed: its default
    # target also links libdevmapper.so and dmsetup, and the .so's
    # export-list check preprocesses libdevmapper.h (which includes
    # <linux/types.h>) with plain $(CC), without CFLAGS.
    CFLAGS="$CFLAGS_ALL $INC" LDFLAGS="-L$STAGE/lib" \
        ./configure --prefix="$STAGE" --libdir="$STAGE/lib" \
        --with-usrlibdir="$STAGE/lib" --sysconfdir=/etc \
        --with-default-run-dir=/run/lvm --with-default-locking-dir=/run/lock/lvm \
        "${FLAGS_lvm2[@]}"
    make -C libdm -j"$JOBS" ioctl/libdevmapper.a libdevmapper.pc
    make -C libdm install_include install_pkgconfig install_ioctl_static
    test -f "$STAGE/lib/libdevmapper.a" -a -f "$STAGE/lib/pkgconfig/devmapper.pc"
    if compgen -G "$STAGE/lib/libdevmapper.so*" >/dev/null; then
        echo "libdevmapper.so was installed" >&2; return 1
    fi
}

build_cryptsetup() {
    build_env; unpack cryptsetup
    [[ -x configure ]] || ./autogen.sh
    # configure insists on popt even with every tool disabled.
    ac_cv_lib_popt_poptConfigFileToString=yes \
    CFLAGS="$CFLAGS_ALL" CPPFLAGS="$INC" LDFLAGS="-L$STAGE/lib" \
        autoconf_configure "${FLAGS_cryptsetup[@]}"
    grep -q '^#define USE_INTERNAL_ARGON2 1' config.h
    make -j"$JOBS"
    make install
}

build_tpm2_tss() {
    build_env; unpack tpm2-tss
    # Debian's 0002-fix-version.patch makes bootstrap take VERSION from
    # debian/changelog instead of "git describe".
    ./bootstrap
    CFLAGS="$CFLAGS_ALL" CPPFLAGS="$INC" LDFLAGS="-L$STAGE/lib" \
        autoconf_configure "${FLAGS_tpm2_tss[@]}"
    make -j"$JOBS"
    # Without DESTDIR, install runs systemd-sysusers/-tmpfiles on the host.
    local dest="$BUILD/tss-dest"
    rm -rf "$dest"
    make install DESTDIR="$dest"
    cp -a "$dest$STAGE/include/." "$STAGE/include/"
    cp -a "$dest$STAGE/lib/." "$STAGE/lib/"
    # Every TCTI exports Tss2_Tcti_Info; static linking of several needs
    # the symbol made local.
    local a
    for a in "$STAGE"/lib/libtss2-tcti-*.a; do
        objcopy --localize-symbol=Tss2_Tcti_Info "$a"
    done
}

build_e2fsprogs() {
    build_env; unpack e2fsprogs
    CFLAGS="$CFLAGS_ALL" CPPFLAGS="$INC" \
    LDFLAGS="-L$STAGE/lib -static -Wl,--gc-sections" \
        ./configure --prefix="$STAGE" --sysconfdir=/etc "${FLAGS_e2fsprogs[@]}"
    make -j"$JOBS" libs
    make -j"$JOBS" -C misc mke2fs
    install -D -m 0755 misc/mke2fs "$STAGE/sbin/mke2fs"
    strip --strip-all "$STAGE/sbin/mke2fs"
    file "$STAGE/sbin/mke2fs" | tee /dev/stderr | grep -q 'statically linked'
    MKE2FS_CONFIG=/nonexistent "$STAGE/sbin/mke2fs" -V
}

build_cmocka() {
    build_env; unpack cmocka
    cmake_build "${FLAGS_cmocka[@]}"
    # cmocka 1.1 names its static library libcmocka-static.a.
    if [[ -f "$STAGE/lib/libcmocka-static.a" ]]; then
        mv "$STAGE/lib/libcmocka-static.a" "$STAGE/lib/libcmocka.a"
    fi
    test -f "$STAGE/lib/libcmocka.a"
}

# ---- finishing -------------------------------------------------------------
make_uapi() {
    mkdir -p "$1/uapi"
    ln -sfn /usr/include/linux "$1/uapi/linux"
    ln -sfn /usr/include/asm-generic "$1/uapi/asm-generic"
    ln -sfn /usr/include/x86_64-linux-gnu/asm "$1/uapi/asm"
}

# Keep only what the contract lists; point .pc files at the final path.
tidy_stage() {
    local keep="cflags include lib link-flags manifest.tsv sbin uapi" e
    for e in "$STAGE"/* "$STAGE"/lib/*; do
        case "$e" in
            "$STAGE"/lib/*.a|"$STAGE"/lib/pkgconfig) chmod -R u+w,go+r "$e" ;;
            "$STAGE"/lib/*) rm -rf "$e" ;;
            *) [[ " $keep " == *" ${e##*/} "* ]] || rm -rf "$e" ;;
        esac
    done
    if compgen -G "$STAGE/lib/*.so*" >/dev/null; then
        echo "shared libraries left in the sysroot" >&2; return 1
    fi
    sed -i "s|$STAGE|$SYSROOT|g" "$STAGE"/lib/pkgconfig/*.pc
    if grep -rlF "$STAGE" "$STAGE/include" "$STAGE/lib/pkgconfig"; then
        echo "staging path left in the files above" >&2
        return 1
    fi
}

write_flag_files() { # DIR ROOT: write cflags/link-flags for ROOT into DIR
    echo "-I$2/include -isystem $2/uapi" >"$1/cflags"
    echo "-L$2/lib $(tr -s ' \n' ' ' <<<"$LINK_LIBS" | sed 's/ $//')" >"$1/link-flags"
}

# Every library's undefined symbols must be defined by a library later in
# LINK_LIBS, or by libc/libgcc: then the order holds for any program, not
# just for the one below.
check_link_order() {
    local -a libs=() files=()
    local l f i j dir="$BUILD/linkorder" musl_dir
    musl_dir=$(dirname "$(grep -o '[^" ]*musl-gcc\.specs' "$(command -v musl-gcc)" | head -n 1)")
    for l in $LINK_LIBS; do
        l=${l#-l}
        f="$STAGE/lib/lib$l.a"
        [[ -f "$f" ]] || f="$musl_dir/lib$l.a"
        [[ -f "$f" ]] || { echo "link order: no lib$l.a" >&2; return 1; }
        libs+=("$l"); files+=("$f")
    done
    mkdir -p "$dir"
    { nm -g --defined-only "$musl_dir/libc.a" "$(musl-gcc -print-libgcc-file-name)" 2>/dev/null |
        awk 'NF == 3 { sub(/@.*/, "", $3); print $3 }'; echo _GLOBAL_OFFSET_TABLE_; } |
        sort -u >"$dir/base"
    for i in "${!files[@]}"; do
        nm -g --defined-only "${files[$i]}" 2>/dev/null |
            awk 'NF == 3 { sub(/@.*/, "", $3); print $3 }' | sort -u >"$dir/def.$i"
        nm -g --undefined-only "${files[$i]}" 2>/dev/null |
            awk 'NF == 2 { sub(/@.*/, "", $2); print $2 }' | sort -u >"$dir/und.$i"
    done
    local bad=0
    for i in "${!files[@]}"; do
        cp "$dir/base" "$dir/avail"
        for ((j = i; j < ${#files[@]}; j++)); do cat "$dir/def.$j" >>"$dir/avail"; done
        sort -u -o "$dir/avail" "$dir/avail"
        if comm -23 "$dir/und.$i" "$dir/avail" | grep -q .; then
            echo "link order: -l${libs[$i]} needs, from no later library:" >&2
            comm -23 "$dir/und.$i" "$dir/avail" | head -n 10 >&2
            bad=1
        fi
    done
    [[ $bad -eq 0 ]] && echo "link order: every undefined symbol resolves to a later library"
}

link_test() {
    build_env
    check_link_order
    local t="$BUILD/linktest"
    mkdir -p "$t"
    cat >"$t/linktest.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <linux/dm-ioctl.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/pkcs7.h>
#include <mbedtls/sha256.h>
#include <json-c/json.h>
#include <blkid/blkid.h>
#include <libfdisk/libfdisk.h>
#include <uuid/uuid.h>
#include <libdevmapper.h>
#include <libcryptsetup.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_sys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>
#include <tss2/tss2_tcti_device.h>
#include <tss2/tss2_tcti_swtpm.h>

/* Entry points that pull in the rest of each library. */
static void *volatile keep[] = {
    (void *)Esys_Initialize, (void *)Esys_Unseal, (void *)Tss2_TctiLdr_Initialize,
    (void *)crypt_init, (void *)crypt_format, (void *)crypt_activate_by_token,
    (void *)mbedtls_ssl_setup, (void *)mbedtls_pkcs7_parse_der,
    (void *)mbedtls_x509_crt_parse_der, (void *)fdisk_assign_device,
    (void *)blkid_do_safeprobe, (void *)dm_task_run,
};

int main(void)
{
    unsigned char h[32];
    char dmver[64] = "";
    size_t dev = 0, sw = 0;
    uuid_t u;
    UINT8 buf[4];
    size_t off = 0;
    mbedtls_x509_crt crt;
    mbedtls_pkcs7 p7;
    json_object *o;
    blkid_probe pr;
    struct fdisk_context *cx;

    mbedtls_x509_crt_init(&crt); mbedtls_x509_crt_free(&crt);
    mbedtls_pkcs7_init(&p7); mbedtls_pkcs7_free(&p7);
    if (mbedtls_sha256((const unsigned char *)"abc", 3, h, 0) || h[0] != 0xba)
        return 1;
    o = json_tokener_parse("{\"a\":1}");
    if (!o) return 2;
    json_object_put(o);
    if (uuid_parse("0fc63daf-8483-4772-8e79-3d69d8477de4", u)) return 3;
    pr = blkid_new_probe(); if (!pr) return 4; blkid_free_probe(pr);
    cx = fdisk_new_context(); if (!cx) return 5; fdisk_unref_context(cx);
    if (!dm_get_library_version(dmver, sizeof dmver)) return 6;
    if (Tss2_Tcti_Device_Init(NULL, &dev, NULL) || !dev) return 7;
    if (Tss2_Tcti_Swtpm_Init(NULL, &sw, NULL) || !sw) return 8;
    if (Tss2_MU_UINT32_Marshal(0x01020304, buf, sizeof buf, &off) || buf[0] != 1)
        return 9;
    if (!Tss2_Sys_GetContextSize(0)) return 10;
    printf("linktest ok: dm %s, cryptsetup default %s, tss2 rc \"%s\", %zu slots\n",
           dmver, crypt_get_default_type(), Tss2_RC_Decode(TPM2_RC_FAILURE),
           sizeof keep / sizeof keep[0]);
    return 0;
}
EOF
    local cflags lflags
    cflags=$(sed "s|$SYSROOT|$STAGE|g" "$STAGE/cflags")
    lflags=$(sed "s|$SYSROOT|$STAGE|g" "$STAGE/link-flags")
    echo "+ musl-gcc -static $cflags linktest.c $lflags"
    # shellcheck disable=SC2086
    musl-gcc -static -Wall -Werror $cflags "$t/linktest.c" $lflags -o "$t/linktest"
    file "$t/linktest" | grep -q 'statically linked'
    "$t/linktest"
    strip -o "$t/linktest.stripped" "$t/linktest"
    ls -l "$t/linktest" "$t/linktest.stripped"
}

# One line per component; patches are those dpkg-source applied (comma-
# separated, in series order; "-" for none).
write_manifest() {
    local out="$STAGE/manifest.tsv" pkg flags dsc patches
    printf '#name\tversion\tsuite\tdsc\tdsc_sha256\tlicense\tpatches\tflags\n' >"$out"
    for pkg in $ORDER; do
        flags="FLAGS_${pkg//-/_}[*]"
        dsc=$(lock_dsc "$pkg")
        patches=$(paste -sd, "$BUILD/src/$pkg/.pc/applied-patches" 2>/dev/null || true)
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$pkg" \
            "$(lock_field "$pkg" 3)" "$(lock_field "$pkg" 2)" \
            "$dsc" "$(lock_sha "$pkg" "$dsc")" "${LICENSE[$pkg]}" \
            "${patches:--}" "CC=musl-gcc CFLAGS='$BASE_CFLAGS' ${!flags}" >>"$out"
    done
}

# ---- commands ----------------------------------------------------------------
cmd_path() {
    set_paths
    echo "$SYSROOT"
}

cmd_build() {
    set_paths
    if [[ -f "$SYSROOT/.complete" ]]; then
        say "cached sysroot $SYSROOT"
        return 0
    fi
    check_host
    mkdir -p "$CACHE"
    exec 9>"$CACHE/.lock-$KEY"
    if ! flock -n 9; then
        say "waiting for another build of $SYSROOT"
        flock 9
    fi
    if [[ -f "$SYSROOT/.complete" ]]; then
        say "cached sysroot $SYSROOT"
        return 0
    fi

    "$TOOLS/fetch-sources.sh" || die "sources are missing (see the fetch: lines above)"
    local pkg
    for pkg in $ORDER $TEST_ORDER; do
        [[ -n "$(lock_dsc "$pkg")" ]] || die "$pkg has no .dsc in $LOCK"
    done

    local t0
    t0=$(date +%s)
    say "building $SYSROOT ($(nproc) jobs; logs in $BUILD/logs)"
    rm -rf "$BUILD" "$STAGE"
    mkdir -p "$BUILD/logs" "$STAGE/include" "$STAGE/lib/pkgconfig"
    make_uapi "$STAGE"

    STEP_TOTAL=$(( $(wc -w <<<"$ORDER $TEST_ORDER") + 1 ))
    for pkg in $ORDER $TEST_ORDER; do
        run_step "$pkg" "build_${pkg//-/_}"
    done

    tidy_stage
    write_flag_files "$STAGE" "$SYSROOT"
    write_manifest
    run_step linktest link_test
    say "$(grep '^linktest ok' "$BUILD/logs/linktest.log")"

    rm -rf "$SYSROOT"
    mv -T "$STAGE" "$SYSROOT"
    date -u +%Y-%m-%dT%H:%M:%SZ >"$SYSROOT/.complete"
    [[ "${RAMPART_KEEP_BUILD:-0}" == 1 ]] || rm -rf "$BUILD"
    say "built $SYSROOT in $(( $(date +%s) - t0 )) s"
}

case "${1:-}" in
    path)  cmd_path ;;
    build) cmd_build ;;
    *)     echo "usage: $0 path|build" >&2; exit 2 ;;
esac
