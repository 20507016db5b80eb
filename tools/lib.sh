# tools/lib.sh: what the scripts under tools/ (and keys/make-keys.sh) share.
# Sourced, never run, by bash scripts that have set -euo pipefail:
#
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   PROG=fetch   # optional: the name messages start with
#
# PROG   the script's file name
# TOOLS  this directory, absolute
# CACHE  the cache root: $RAMPART_CACHE, else $XDG_CACHE_HOME/rampart or ~/.cache/rampart
# msg TEXT...   "PROG: TEXT" on stderr
# say TEXT...   "PROG: TEXT" on stdout
# die TEXT...   msg, then exit $DIE_STATUS (1; a script may set another)
# usage_from_header FIRST LAST
#               the calling script's comment lines FIRST..LAST without
#               their "# " on stderr, then exit 2
# gpt_type NAME the GPT partition type GUID lib/gpt.h defines as
#               GPT_TYPE_NAME (ESP, ROOT, ROOT_VERITY, ...), lowercase: the
#               C code and the tools spell these GUIDs in one place
#
# tools/build-stack.sh does not source this file: its own text is hashed
# into the stack's cache key, and a change here would then not rebuild it.

TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${RAMPART_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rampart}"
PROG=${0##*/}
DIE_STATUS=1

msg() { echo "$PROG: $*" >&2; }
say() { echo "$PROG: $*"; }
die() { msg "$*"; exit "$DIE_STATUS"; }

usage_from_header() {
	sed -n "$1,$2p" "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# as_uuid HEX32: 8-4-4-4-12, the bits as they are (a root hash's halves, DPS verity pairing).
as_uuid() { sed -E 's/^(.{8})(.{4})(.{4})(.{4})(.{12}).*/\1-\2-\3-\4-\5/' <<<"$1"; }
# derived_uuid STRING: a version-4-shaped UUID from sha256(STRING).
derived_uuid() {
	printf '%s' "$1" | sha256sum | sed -E 's/^(.{8})(.{4}).(.{3}).(.{3})(.{12}).*/\1-\2-4\3-8\4-\5/'
}
# bpo_systemd_version: the systemd version bookworm-backports has (it keeps only its newest).
bpo_systemd_version() {
	"$TOOLS/apt-private.sh" apt-cache madison systemd |
		awk 'index($0, "bookworm-backports/main amd64 Packages") { print $3; exit }'
}

gpt_type() {
	local guid
	guid=$(sed -n "s/^#define GPT_TYPE_$1 *\"\([0-9a-f-]*\)\".*/\1/p" "$TOOLS/../lib/gpt.h")
	[[ $guid =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]] ||
		die "lib/gpt.h defines no GPT_TYPE_$1"
	echo "$guid"
}
