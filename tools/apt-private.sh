#!/bin/bash
# apt-private.sh: run apt-get / apt-cache / apt-helper against a
# project-private apt configuration (deb-src for bookworm, trixie and sid;
# binary packages of bookworm-backports, for test tools such as a newer
# systemd-repart, unpacked and never installed), so the host's sources,
# lists and caches are never touched.
#
#   tools/apt-private.sh update [--force]   refresh the private lists
#                                           (only if missing or >1 day old,
#                                           unless --force)
#   tools/apt-private.sh apt-get ARGS...    e.g. source --print-uris PKG=VER
#   tools/apt-private.sh apt-cache ARGS...  e.g. madison PKG
#   tools/apt-private.sh download URI DEST  fetch one file with apt-helper
#   tools/apt-private.sh dir                print the private apt directory
#
# apt-get / apt-cache refresh stale lists first (a failed refresh is only a
# warning when older lists exist).  Set RAMPART_APT_NO_UPDATE=1 to never
# refresh implicitly.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROG=fetch
APTDIR="$CACHE/apt"
MIRROR="http://deb.debian.org/debian"
KEYRING="/usr/share/keyrings/debian-archive-keyring.gpg"
SUITES="bookworm trixie sid"
BIN_SUITES="bookworm-backports"
STAMP="$APTDIR/updated.stamp"
MAX_AGE_MIN=1440

# Create the private tree and (re)write sources.list if it differs.
setup_dir() {
    mkdir -p "$APTDIR/etc/sources.list.d" "$APTDIR/etc/preferences.d" \
             "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial"
    local want s
    want=$(for s in $SUITES; do
        echo "deb-src [signed-by=$KEYRING] $MIRROR $s main"
    done
    for s in $BIN_SUITES; do
        echo "deb [arch=amd64 signed-by=$KEYRING] $MIRROR $s main"
    done)
    if [[ ! -f "$APTDIR/etc/sources.list" ]] ||
       [[ "$(cat "$APTDIR/etc/sources.list")" != "$want" ]]; then
        printf '%s\n' "$want" >"$APTDIR/etc/sources.list"
        rm -f "$STAMP"
    fi
}

# Options that point apt at the private tree only.
apt_opts() {
    APT_OPTS=(
        -o "Dir::Etc::SourceList=$APTDIR/etc/sources.list"
        -o "Dir::Etc::SourceParts=$APTDIR/etc/sources.list.d"
        -o "Dir::Etc::Preferences=$APTDIR/etc/preferences"
        -o "Dir::Etc::PreferencesParts=$APTDIR/etc/preferences.d"
        -o "Dir::State::Lists=$APTDIR/lists"
        -o "Dir::Cache=$APTDIR/cache"
        -o "Acquire::Languages=none"
    )
    # As root, apt downloads as user _apt.  If _apt cannot reach the cache
    # (e.g. under /root, mode 0700) apt falls back to root with a warning;
    # make that fallback explicit and quiet.
    if [[ $EUID -eq 0 ]] && id _apt >/dev/null 2>&1 &&
       ! runuser -u _apt -- test -x "$APTDIR/lists" 2>/dev/null; then
        APT_OPTS+=(-o "APT::Sandbox::User=root")
    fi
}

lists_present() {
    local s
    for s in $SUITES; do
        compgen -G "$APTDIR/lists/*_dists_${s}_InRelease" >/dev/null || return 1
        compgen -G "$APTDIR/lists/*_dists_${s}_main_source_Sources*" >/dev/null || return 1
    done
    for s in $BIN_SUITES; do
        compgen -G "$APTDIR/lists/*_dists_${s}_main_binary-amd64_Packages*" >/dev/null || return 1
    done
}

lists_fresh() {
    lists_present && [[ -f "$STAMP" ]] &&
        [[ -z "$(find "$STAMP" -mmin +"$MAX_AGE_MIN" 2>/dev/null)" ]]
}

do_update() {
    msg "updating private apt lists ($SUITES; binary: $BIN_SUITES) in $APTDIR"
    if apt-get -q --error-on=any "${APT_OPTS[@]}" update >"$APTDIR/update.log" 2>&1 &&
       lists_present; then
        touch "$STAMP"
        return 0
    fi
    tail -n 15 "$APTDIR/update.log" >&2
    return 1
}

update_if_needed() {
    [[ "${RAMPART_APT_NO_UPDATE:-0}" == 1 ]] && lists_present && return 0
    lists_fresh && return 0
    if ! do_update; then
        lists_present || die "apt update failed and no private lists exist (log: $APTDIR/update.log)"
        msg "warning: apt update failed; using older lists (log: $APTDIR/update.log)"
    fi
}

main() {
    [[ $# -ge 1 ]] || die "usage: $0 update [--force] | apt-get ARGS | apt-cache ARGS | download URI DEST | dir"
    local cmd=$1; shift
    setup_dir
    apt_opts
    case "$cmd" in
        update)
            if [[ "${1:-}" == --force ]]; then
                do_update || die "apt update failed (log: $APTDIR/update.log)"
            else
                update_if_needed
            fi ;;
        apt-get|apt-cache)
            update_if_needed
            exec "$cmd" "${APT_OPTS[@]}" "$@" ;;
        download)
            [[ $# -eq 2 ]] || die "usage: $0 download URI DEST"
            exec /usr/lib/apt/apt-helper "${APT_OPTS[@]}" download-file "$1" "$2" ;;
        dir)
            echo "$APTDIR" ;;
        *)
            die "unknown command '$cmd'" ;;
    esac
}

main "$@"
