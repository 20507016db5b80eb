#!/usr/bin/env bash
# Builds the initramfs: a reproducible newc cpio (sorted, mtime
# $SOURCE_DATE_EPOCH or 0, owner 0), zstd-compressed.
#
#   initramfs/build.sh OUT.cpio.zst KERNEL_DIR INIT [SRC=DEST ...]
#
# KERNEL_DIR comes from tools/kernel.sh.  The modules of
# initramfs/modules.list and their dependencies go to /lib/modules, with
# /lib/modules/SECTION.load listing each section's in load order for /init
# (a dependency goes to the first section needing it).  Extra
# files are copied as SRC=DEST.  Writes OUT.files.tsv beside the image:
# one line per file (path, mode, size, sha256), the input of tools/sbom.py.
set -euo pipefail

out=$1 kdir=$2 init=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
kver=$(cat "$kdir/version")
moddir="$kdir/lib/modules/$kver"
epoch=${SOURCE_DATE_EPOCH:-0}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{dev,proc,sys,run,sysroot,etc,lib/modules,bin}
install -m 0755 "$init" "$stage/init"

# modules.dep: "path: dep1 dep2 ..."; map name -> path and path -> deps.
declare -A path_of deps_of seen
while IFS= read -r line; do
	p=${line%%:*}
	name=$(basename "$p" .ko)
	path_of[${name//-/_}]=$p
	deps_of[$p]=${line#*:}
done < "$moddir/modules.dep"

order=()
add_module() { # path; dependencies first
	local p=$1 d deps
	[ -n "${seen[$p]:-}" ] && return
	seen[$p]=1
	read -ra deps <<<"${deps_of[$p]}"
	# modules.dep lists the deps closest to the module first; load from the end.
	for ((d = ${#deps[@]} - 1; d >= 0; d--)); do
		add_module "${deps[d]}"
	done
	order+=("$p")
}

# One load list per section.  /init loads them in this order, so a dependency
# goes to the first section needing it only if the file has them in this
# order too: each exactly once, in this order.
sections=(early root storage)
section= next=0 total=0
declare -A list_of
flush_section() {
	[ -n "$section" ] || return 0
	list_of[$section]=$(printf '%s\n' "${order[@]}")
	total=$((total + ${#order[@]}))
	order=()
}
while IFS= read -r name; do
	name=${name%%#*}
	name=${name//[[:space:]]/}
	[ -n "$name" ] || continue
	if [[ $name == \[*\] ]]; then
		flush_section
		section=${name:1:-1}
		[ "$section" = "${sections[next]:-}" ] ||
			{ echo "initramfs: modules.list: [$section] where [${sections[next]:-end}] belongs" \
				"(the sections are ${sections[*]}, each once, in this order)" >&2; exit 1; }
		next=$((next + 1))
		continue
	fi
	[ -n "$section" ] || { echo "initramfs: modules.list: module $name before any [section]" >&2; exit 1; }
	p=${path_of[${name//-/_}]:-}
	if [ -z "$p" ]; then
		# Built into this kernel: nothing to load.
		grep -q "/${name//_/[-_]}.ko\$" "$moddir/modules.builtin" 2>/dev/null ||
			{ echo "initramfs: module $name is neither in modules.dep nor built in ($kver)" >&2; exit 1; }
		continue
	fi
	add_module "$p"
done < "$here/modules.list"
flush_section
[ "$next" -eq "${#sections[@]}" ] ||
	{ echo "initramfs: modules.list: no [${sections[next]}] section" >&2; exit 1; }

for section in "${sections[@]}"; do
	printf '%s\n' "${list_of[$section]:-}" | sed '/^$/d' > "$stage/lib/modules/$section.load"
	while IFS= read -r p; do
		install -D -m 0644 "$moddir/$p" "$stage/lib/modules/$p"
	done < "$stage/lib/modules/$section.load"
done

for spec in "$@"; do
	src=${spec%%=*} dest=${spec#*=}
	install -D -m "$( [ -x "$src" ] && echo 0755 || echo 0644 )" "$src" "$stage/$dest"
done

find "$stage" -exec touch -h -d "@$epoch" {} +
mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0 --reproducible) > "$out.cpio"
zstd -q -f -19 -T0 "$out.cpio" -o "$out"

(cd "$stage" && find . -mindepth 1 -type f | LC_ALL=C sort | while read -r f; do
	printf '%s\t%s\t%s\t%s\n' "${f#.}" "$(stat -c %a "$f")" "$(stat -c %s "$f")" "$(sha256sum < "$f" | cut -d' ' -f1)"
done) > "$out.files.tsv"

echo "initramfs: $out $(stat -c %s "$out") bytes compressed, $(stat -c %s "$out.cpio") uncompressed, $total modules"
