#!/bin/bash
# fetch-sources.sh [PKG...]: make sure every orig tarball named in the lock
# file is in "$CACHE/src" with the locked sha256.
#
# A cached file with the right hash needs no network at all.  Otherwise the
# URI comes from the project-private apt (tools/apt-private.sh), the
# signed index's sha256 must equal the locked one, and the downloaded file
# must hash to it too.  A version that has left the mirror gives one line
# saying what is available now and how to refresh the lock.
#
# Environment: RAMPART_CACHE (cache root), RAMPART_LOCK (lock file,
# default tools/deps.lock).
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROG=fetch
LOCK="${RAMPART_LOCK:-$TOOLS/deps.lock}"
SRC="$CACHE/src"
APTP="$TOOLS/apt-private.sh"

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# The refresh hint, naming the lock file when it is not the default one.
refresh_hint() {
    if [[ -n "${RAMPART_LOCK:-}" ]]; then
        echo "RAMPART_LOCK=$LOCK tools/refresh-lock.sh $1"
    else
        echo "tools/refresh-lock.sh $1"
    fi
}

# Private apt lists: refreshed (if missing or stale) once, visibly, before
# the first query; queries themselves never refresh.
LISTS_READY=0
ensure_lists() {
    [[ $LISTS_READY -eq 1 ]] && return 0
    "$APTP" update || die "cannot get the private apt lists (see above)"
    LISTS_READY=1
}
aptq() { RAMPART_APT_NO_UPDATE=1 "$APTP" "$@"; }

# Versions of source package $1 in suite $2 on the private mirror, newest first.
available_versions() {
    aptq apt-cache madison "$1" 2>/dev/null |
        awk -F' [|] ' -v p="$1" -v s="$2" '
            { gsub(/ /, "", $1); gsub(/ /, "", $2) }
            $1 == p && $3 ~ (" " s "/[^ ]+ Sources$") { print $2 }' |
        sort -u | sort -r -V | tr '\n' ' ' | sed 's/ $//'
}

# print-uris output for PKG=VERSION (empty and non-zero if unknown).
print_uris() {
    aptq apt-get -q --only-source source --print-uris "$1=$2" 2>/dev/null |
        grep "^'" || return 1
}

# "URI SHA256" of the orig file $3 for $1=$2, or fail.
orig_entry() {
    local uris
    uris=$(print_uris "$1" "$2") || return 1
    awk -v f="$3" '$2 == f { u = $1; gsub(/\x27/, "", u); h = $4;
                             sub(/^SHA256:/, "", h); print u, h; found = 1 }
                   END { exit !found }' <<<"$uris"
}

no_longer_there() { # pkg version suite
    local now
    now=$(available_versions "$1" "$3")
    msg "$1 $2 ($3) is no longer on the mirror; now available: ${now:-nothing in $3}. Run: $(refresh_hint "$1")"
}

# Fetch one lock entry; returns non-zero (after saying why) on failure.
fetch_one() {
    local pkg=$1 suite=$2 version=$3 orig=$4 want=$5
    local dest="$SRC/$orig" entry uri index_sha got

    if [[ -f "$dest" ]]; then
        got=$(sha256_of "$dest")
        [[ "$got" == "$want" ]] && return 0
        msg "cached $dest has sha256 $got, lock says $want; fetching again"
    fi

    ensure_lists
    if ! entry=$(orig_entry "$pkg" "$version" "$orig"); then
        # Our lists may simply be older than the lock: refresh once, retry.
        if ! "$APTP" update --force; then
            msg "$pkg $version ($suite) is not in the private apt lists and refreshing them failed (offline?); cannot tell whether it left the mirror"
            return 1
        fi
        if ! entry=$(orig_entry "$pkg" "$version" "$orig"); then
            if print_uris "$pkg" "$version" >/dev/null; then
                msg "$pkg $version ($suite) is on the mirror but has no file '$orig'; the lock is inconsistent. Run: $(refresh_hint "$pkg")"
            else
                no_longer_there "$pkg" "$version" "$suite"
            fi
            return 1
        fi
    fi
    read -r uri index_sha <<<"$entry"

    if [[ "$index_sha" != "$want" ]]; then
        msg "REFUSING $orig: the signed Debian index says sha256 $index_sha, $LOCK says $want"
        return 1
    fi

    msg "downloading $orig ($pkg $version, $suite)"
    rm -f "$dest.part"
    local log="$SRC/.download-$orig.log"
    if ! "$APTP" download "$uri" "$dest.part" >"$log" 2>&1; then
        tail -n 5 "$log" >&2
        rm -f "$dest.part"
        msg "download of $uri failed (log: $log)"
        return 1
    fi
    rm -f "$log"
    got=$(sha256_of "$dest.part")
    if [[ "$got" != "$want" ]]; then
        mv -f "$dest.part" "$dest.bad"
        msg "REFUSING $orig: downloaded file has sha256 $got, $LOCK says $want (kept as $dest.bad)"
        return 1
    fi
    mv -f "$dest.part" "$dest"
}

main() {
    [[ -f "$LOCK" ]] || die "no lock file $LOCK"
    mkdir -p "$SRC"
    local failed=0 seen=0 pkg suite version orig sha extra
    while read -r pkg suite version orig sha extra; do
        [[ -z "$pkg" || "$pkg" == \#* ]] && continue
        if [[ $# -gt 0 ]] && [[ " $* " != *" $pkg "* ]]; then continue; fi
        [[ -n "$sha" && -z "$extra" && "$sha" =~ ^[0-9a-f]{64}$ ]] ||
            die "malformed line in $LOCK: $pkg $suite $version $orig $sha $extra"
        seen=$((seen + 1))
        fetch_one "$pkg" "$suite" "$version" "$orig" "$sha" || failed=$((failed + 1))
    done <"$LOCK"
    [[ $seen -gt 0 ]] || die "nothing to fetch (no matching entries in $LOCK)"
    [[ $failed -eq 0 ]] || die "$failed of $seen source(s) not fetched; see above"
    msg "$seen source(s) present in $SRC"
}

main "$@"
