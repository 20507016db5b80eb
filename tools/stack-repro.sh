#!/bin/bash
# stack-repro.sh: two clean builds of the static stack (tools/build-stack.sh)
# in two fresh caches of different paths, one after the other; every file
# of the two sysroots must be identical but for the sysroot path that .pc
# files, cflags and link-flags name by design.  About 7 minutes; run by
# hand (make stack-repro), not part of make test.
#
# Environment: RAMPART_CACHE (where the downloads are, and where
# stack-repro/ goes), RAMPART_REPRO_DIR (instead of that).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROG=stack-repro

main() {
    local base="${RAMPART_REPRO_DIR:-$CACHE/stack-repro}" d n=0 bad=0 f
    rm -rf "$base"
    mkdir -p "$base/src"
    # Same downloads for both (the lock pins them); nothing else shared.
    "$TOOLS/fetch-sources.sh" >/dev/null || die "sources are missing"
    for d in a second-cache-b; do
        mkdir -p "$base/$d/src"
        cp -l "$CACHE"/src/* "$base/$d/src/" 2>/dev/null || cp "$CACHE"/src/* "$base/$d/src/"
        cp -a "$CACHE/apt" "$base/$d/apt" 2>/dev/null || true
        say "clean build in $base/$d"
        RAMPART_CACHE="$base/$d" "$TOOLS/build-stack.sh" build >"$base/$d.log" 2>&1 ||
            { tail -n 20 "$base/$d.log" >&2; die "build in $base/$d failed"; }
    done
    local ra rb
    ra=$(RAMPART_CACHE="$base/a" "$TOOLS/build-stack.sh" path)
    rb=$(RAMPART_CACHE="$base/second-cache-b" "$TOOLS/build-stack.sh" path)
    while IFS= read -r f; do
        n=$((n + 1))
        if [[ -L "$ra/$f" ]]; then
            [[ "$(readlink "$ra/$f")" == "$(readlink "$rb/$f")" ]] && continue
        elif cmp -s "$ra/$f" "$rb/$f" ||
             cmp -s <(sed "s|$ra|SYSROOT|g" "$ra/$f") <(sed "s|$rb|SYSROOT|g" "$rb/$f"); then
            continue
        fi
        echo "stack-repro: DIFFERS $f"
        bad=$((bad + 1))
    done < <(cd "$ra" && find . \( -type f -o -type l \) ! -name .complete | LC_ALL=C sort)
    if [[ "$(cd "$ra" && find . | LC_ALL=C sort)" != "$(cd "$rb" && find . | LC_ALL=C sort)" ]]; then
        echo "stack-repro: the two sysroots hold different file lists"
        bad=$((bad + 1))
    fi
    say "$n files compared, $bad differ ($ra vs $rb)"
    [[ $bad -eq 0 ]]
}


main "$@"
