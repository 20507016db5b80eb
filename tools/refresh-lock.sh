#!/bin/bash
# refresh-lock.sh [PKG...]: move lock entries to the newest version in
# their locked suite.  Updates the private apt lists first, then for each
# package (all of them without arguments) takes the newest version that
# suite has, and records version, orig tarball name and its sha256 (from
# the signed index, via print-uris).  Prints what changed; the change shows
# up in `git diff tools/deps.lock`, and gives a new sysroot key.
#
# Environment: RAMPART_CACHE, RAMPART_LOCK (lock file to edit).
set -euo pipefail

TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LOCK="${RAMPART_LOCK:-$TOOLS/deps.lock}"
APTP="$TOOLS/apt-private.sh"

msg() { echo "refresh: $*"; }
die() { echo "refresh: $*" >&2; exit 1; }

# Newest version of source package $1 in suite $2 (empty if none).
newest_in_suite() {
    local v best=""
    while read -r v; do
        if [[ -z "$best" ]] || dpkg --compare-versions "$v" gt "$best"; then
            best=$v
        fi
    done < <(RAMPART_APT_NO_UPDATE=1 "$APTP" apt-cache madison "$1" |
        awk -F' [|] ' -v p="$1" -v s="$2" '
            { gsub(/^ +| +$/, "", $1); gsub(/ +/, "", $2) }
            $1 == p && $3 ~ (" " s "/[^ ]+ Sources$") { print $2 }')
    echo "$best"
}

# "orig-file sha256" for $1=$2 from print-uris; exactly one orig tarball.
orig_of() {
    local uris n
    uris=$(RAMPART_APT_NO_UPDATE=1 "$APTP" apt-get -q --only-source source \
           --print-uris "$1=$2" 2>/dev/null | grep "^'") ||
        die "apt cannot find $1=$2"
    # Main orig tarball only: no signatures, no orig-COMPONENT tarballs.
    uris=$(awk -v p="$1" '$2 ~ ("^" p "_[^_]+\\.orig\\.tar\\.[a-z0-9]+$") {
                              h = $4; sub(/^SHA256:/, "", h); print $2, h }' <<<"$uris")
    n=$(grep -c . <<<"$uris" || true)
    [[ "$n" -eq 1 ]] || die "$1 $2: expected one orig tarball, found $n"
    echo "$uris"
}

series() { # upstream major.minor of a Debian version
    local v=${1#*:}
    v=${v%-*}
    echo "$v" | grep -oE '^[0-9]+\.[0-9]+'
}

main() {
    [[ -f "$LOCK" ]] || die "no lock file $LOCK"
    local all want=() p
    all=$(awk '$1 !~ /^#/ && NF >= 5 { print $1 }' "$LOCK")
    if [[ $# -gt 0 ]]; then
        for p in "$@"; do
            grep -qx -- "$p" <<<"$all" ||
                die "$p is not in $LOCK (add a line '$p SUITE - - -' by hand first)"
            want+=("$p")
        done
    else
        mapfile -t want <<<"$all"
    fi

    "$APTP" update --force

    local changed=0 pkg suite old new orig sha line
    TMP=$(mktemp "$LOCK.XXXXXX")
    trap 'rm -f "$TMP" "$TMP.new"' EXIT
    local tmp=$TMP
    cp "$LOCK" "$tmp"
    for pkg in "${want[@]}"; do
        read -r _ suite old _ <<<"$(awk -v p="$pkg" '$1 == p { print; exit }' "$LOCK")"
        new=$(newest_in_suite "$pkg" "$suite")
        [[ -n "$new" ]] || die "no version of $pkg in $suite on the mirror"
        read -r orig sha <<<"$(orig_of "$pkg" "$new")"
        line=$(printf '%-12s %-7s %-21s %-32s %s' "$pkg" "$suite" "$new" "$orig" "$sha")
        if [[ "$(awk -v p="$pkg" '$1 == p { print $3, $4, $5; exit }' "$tmp")" == "$new $orig $sha" ]]; then
            msg "$pkg ($suite) $new is current"
            continue
        fi
        awk -v p="$pkg" -v l="$line" '$1 == p { print l; next } { print }' "$tmp" >"$tmp.new"
        mv "$tmp.new" "$tmp"
        changed=$((changed + 1))
        msg "$pkg ($suite) $old -> $new  [$orig sha256 $sha]"
        if [[ "$old" != "-" && "$(series "$old")" != "$(series "$new")" ]]; then
            msg "note: $pkg moves from upstream $(series "$old").x to $(series "$new").x; review the recipe in tools/build-stack.sh"
        fi
    done
    if [[ $changed -gt 0 ]]; then
        chmod --reference="$LOCK" "$tmp"
        mv "$tmp" "$LOCK"
        msg "$changed entr$([[ $changed -eq 1 ]] && echo y || echo ies) updated in $LOCK; next: tools/fetch-sources.sh && tools/build-stack.sh build"
    else
        msg "nothing to change in $LOCK"
    fi
}

main "$@"
