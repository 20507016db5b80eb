#!/bin/bash
# refresh-lock.sh [PKG...]: move lock entries to the newest version in
# their locked suite.  Updates the private apt lists first, then for each
# package (all of them without arguments) takes the newest version that
# suite has, and records the .dsc and every file it names with their sha256
# (from the signed index, via print-uris), one lock line per file.  The
# mirror this project reaches may lack some files of an indexed version:
# run tools/fetch-sources.sh PKG after a refresh to see that it has them.  Prints what changed; the change shows
# up in `git diff tools/deps.lock`, and gives a new sysroot key.
#
# Environment: RAMPART_CACHE, RAMPART_LOCK (lock file to edit).
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROG=refresh
LOCK="${RAMPART_LOCK:-$TOOLS/deps.lock}"
APTP="$TOOLS/apt-private.sh"

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

# Lock lines "PKG SUITE VERSION FILE SHA256" for every file of source
# package $1=$2 (the .dsc first), from print-uris (the signed index).
files_of() {
    local uris
    uris=$(RAMPART_APT_NO_UPDATE=1 "$APTP" apt-get -q --only-source source \
           --print-uris "$1=$2" 2>/dev/null | grep "^'") ||
        die "apt cannot find $1=$2"
    awk -v p="$1" -v s="$3" -v v="$2" '
        { h = $4; sub(/^SHA256:/, "", h)
          line = sprintf("%-12s %-8s %-21s %-44s %s", p, s, v, $2, h)
          if ($2 ~ /\.dsc$/) dsc = line; else rest = rest line "\n" }
        END { if (dsc == "") exit 1; printf "%s\n%s", dsc, rest }' <<<"$uris" ||
        die "$1 $2: no .dsc in print-uris"
}

series() { # upstream major.minor of a Debian version
    local v=${1#*:}
    v=${v%-*}
    echo "$v" | grep -oE '^[0-9]+\.[0-9]+'
}

main() {
    [[ -f "$LOCK" ]] || die "no lock file $LOCK"
    local all want=() p
    all=$(awk '$1 !~ /^#/ && NF >= 5 { print $1 }' "$LOCK" | uniq)
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

    local changed=0 pkg suite old new lines
    TMP=$(mktemp "$LOCK.XXXXXX")
    trap 'rm -f "$TMP" "$TMP.new"' EXIT
    local tmp=$TMP
    cp "$LOCK" "$tmp"
    for pkg in "${want[@]}"; do
        read -r _ suite old _ <<<"$(awk -v p="$pkg" '$1 == p { print; exit }' "$LOCK")"
        new=$(newest_in_suite "$pkg" "$suite")
        [[ -n "$new" ]] || die "no version of $pkg in $suite on the mirror"
        lines=$(files_of "$pkg" "$new" "$suite")
        if [[ "$(awk -v p="$pkg" '$1 == p { print $3, $4, $5 }' "$tmp")" == \
              "$(awk '{ print $3, $4, $5 }' <<<"$lines")" ]]; then
            say "$pkg ($suite) $new is current"
            continue
        fi
        # Replace the package's lines where its first line was.
        awk -v p="$pkg" -v l="$lines" '$1 == p { if (!done) print l; done = 1; next } { print }' \
            "$tmp" >"$tmp.new"
        mv "$tmp.new" "$tmp"
        changed=$((changed + 1))
        say "$pkg ($suite) $old -> $new"
        sed 's/^/refresh:   /' <<<"$lines"
        if [[ "$old" != "-" && "$(series "$old")" != "$(series "$new")" ]]; then
            say "note: $pkg moves from upstream $(series "$old").x to $(series "$new").x; review the recipe in tools/build-stack.sh"
        fi
    done
    if [[ $changed -gt 0 ]]; then
        chmod --reference="$LOCK" "$tmp"
        mv "$tmp" "$LOCK"
        say "$changed entr$([[ $changed -eq 1 ]] && echo y || echo ies) updated in $LOCK; next: tools/fetch-sources.sh && tools/build-stack.sh build"
    else
        say "nothing to change in $LOCK"
    fi
}

main "$@"
