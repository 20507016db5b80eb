#!/usr/bin/env bash
# Validates CycloneDX 1.5 JSON SBOMs (tools/sbom.py) against the published
# CycloneDX 1.5 JSON schema with the CycloneDX JavaScript library.
#
#   tools/sbom-validate.sh FILE...
#
# Host packages: nodejs npm (Debian 12's node 18 and npm 9 suffice).
# The pinned packages of tools/sbom/package-lock.json are installed once
# with `npm ci` into "$CACHE/npm-sbom-<first 16 hex of the lock's sha256>"
# (npm's download cache: "$CACHE/npm"); nothing is written into the
# checkout.  The first run needs the npm registry.  Prints "FILE: ok (...)"
# per valid file; for an invalid one one line "FILE: reason" on stderr and
# the exit status is 1 (2: set-up error).
#
# Updating the pins: edit tools/sbom/package.json, then in a scratch copy of
# tools/sbom run `npm install --package-lock-only --ignore-scripts
# --omit-lockfile-registry-resolved=false` and copy package-lock.json back.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROG=sbom-validate
DIE_STATUS=2 # set-up errors; an invalid SBOM is 1
pkg="$TOOLS/sbom"

[ $# -gt 0 ] || die "usage: tools/sbom-validate.sh FILE..."
command -v node >/dev/null && command -v npm >/dev/null ||
	die "node and npm not found (Debian: apt-get install nodejs npm)"
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null) || die "node does not run"
[ "$major" -ge 18 ] || die "node $(node --version) is too old (need 18 or later)"

key=$(sha256sum "$pkg/package-lock.json" | cut -c1-16)
dir="$CACHE/npm-sbom-$key"
if [ ! -f "$dir/.complete" ]; then
	mkdir -p "$CACHE"
	tmp=$(mktemp -d "$CACHE/npm-sbom.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	cp "$pkg/package.json" "$pkg/package-lock.json" "$tmp/"
	msg "installing the pinned validator packages (npm ci) into $dir" >&2
	# Only the JSON validator's packages: the library's optional XML
	# packages (libxmljs2 builds native code) are left out, and no package
	# scripts run.
	npm_ci() {
		(cd "$tmp" && npm ci --omit=optional --omit=dev --ignore-scripts --no-audit --no-fund \
			--no-update-notifier --loglevel=error --cache "$CACHE/npm" "$@") >"$tmp/npm.log" 2>&1
	}
	npm_failed() { tail -n 20 "$tmp/npm.log" >&2; die "npm ci failed (see above)"; }
	if ! npm_ci; then
		# A network whose TLS proxy this machine has no CA for (a fresh
		# root here has only Debian's CAs).  Every tarball is still checked
		# against its sha512 in package-lock.json (npm ci refuses a
		# mismatch), as apt checks packages fetched over plain HTTP.
		grep -q 'certificate' "$tmp/npm.log" || npm_failed
		[ "$(grep -c '"resolved"' "$pkg/package-lock.json")" -eq \
		  "$(grep -c '"integrity": "sha512-' "$pkg/package-lock.json")" ] || npm_failed
		msg "the npm registry's TLS certificate cannot be verified here; installing with package-lock.json's sha512 checks only" >&2
		npm_ci --strict-ssl=false || npm_failed
	fi
	rm -f "$tmp/npm.log"
	touch "$tmp/.complete"
	# A concurrent run may have finished first: keep its copy.
	mv -T "$tmp" "$dir" 2>/dev/null || [ -f "$dir/.complete" ] || die "cannot move $tmp to $dir"
	rm -rf "$tmp"
	trap - EXIT
fi

exec node "$pkg/validate.cjs" --modules "$dir" "$@"
