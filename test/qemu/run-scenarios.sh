#!/usr/bin/env bash
# Runs boot scenarios (test/scenarios/*.scenario) and appends one
# PASS/FAIL line per scenario to RESULTS.
#
#   test/qemu/run-scenarios.sh RESULTS [NAME...]
#
# Environment (set by the Makefile): BUILD, KEYDIR, ROGUE_KEYDIR, KERNEL_DIR,
# INITRD.
set -uo pipefail

results=$1; shift
here=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
TEST_CMDLINE="console=ttyS0 panic=-1 rampart.on-failure=poweroff"
DEFAULT_STOP='TESTOS: done|rampart: (powering off|halted|rebooting)|Kernel panic|Access Denied'

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for f in "$here"/test/scenarios/*.scenario; do
		names+=("$(basename "$f" .scenario)")
	done
fi

keydir_for() {
	case $1 in
	db) echo "$KEYDIR" ;;
	rogue) echo "$ROGUE_KEYDIR" ;;
	*) return 1 ;;
	esac
}

# Builds (once per key and command line) the UKI a scenario boots.
uki_for() { # key cmdline -> path
	local key=$1 cmdline=$2 tag dir
	tag=$(printf '%s\n%s\n' "$key" "$cmdline" | sha256sum | cut -c1-12)
	dir=$BUILD/scenarios/.uki/$tag
	if [ ! -f "$dir/uki.efi" ]; then
		mkdir -p "$dir"
		printf '%s\n' "$cmdline" > "$dir/cmdline"
		local sign=(--unsigned)
		if [ "$key" != unsigned ]; then
			local kd
			kd=$(keydir_for "$key") || { echo "unknown uki_key $key" >&2; return 1; }
			sign=(--key "$kd/db.key" --cert "$kd/db.crt")
		fi
		"$here/uki/build.sh" --kernel "$KERNEL_DIR"/boot/vmlinuz-* --initrd "$INITRD" \
			--cmdline "$dir/cmdline" --os-release "$here/uki/os-release.in" \
			--out "$dir/uki.efi.tmp" "${sign[@]}" >/dev/null || return 1
		mv "$dir/uki.efi.tmp" "$dir/uki.efi"
	fi
	echo "$dir/uki.efi"
}

run_one() { # name -> "" on pass, reason on failure (stdout)
	local name=$1 file=$here/test/scenarios/$1.scenario
	local description= image=base uki_key=db cmdline=$TEST_CMDLINE tpm=fresh timeout=150
	local stop_on=$DEFAULT_STOP must=() must_not=()
	[ -f "$file" ] || { echo "no such scenario file"; return; }
	# shellcheck disable=SC1090
	source "$file"
	[ -n "$description" ] || { echo "scenario has no description"; return; }

	local dir=$BUILD/scenarios/$name
	rm -rf "$dir"
	mkdir -p "$dir"
	local uki
	uki=$(uki_for "$uki_key" "$cmdline") || { echo "cannot build its UKI"; return; }
	cp --sparse=always "$BUILD/images/$image.img" "$dir/disk.img" || { echo "no image $image"; return; }
	tools/esp-replace.sh "$dir/disk.img" "$uki" || { echo "cannot put the UKI on the ESP"; return; }
	cp "$BUILD/ovmf/vars.fd" "$dir/vars.fd"

	local tpm_args=(--no-tpm)
	[ "$tpm" = fresh ] && tpm_args=(--tpm-state "$dir/tpm")

	tools/qemu-boot.sh --vars "$dir/vars.fd" --disk "$dir/disk.img" "${tpm_args[@]}" \
		--log "$dir/console.log" --timeout "$timeout" --stop-on "$stop_on" ||
		{ echo "no answer within ${timeout}s (log: $dir/console.log)"; return; }
	sed -i 's/\r$//' "$dir/console.log"

	local re
	for re in "${must[@]}"; do
		grep -qaE -- "$re" "$dir/console.log" || { echo "console lacks /$re/ (log: $dir/console.log)"; return; }
	done
	for re in "${must_not[@]}"; do
		! grep -qaE -- "$re" "$dir/console.log" || { echo "console shows /$re/ (log: $dir/console.log)"; return; }
	done
	# Keep the disk only when it failed: 1 GiB sparse files add up.
	rm -f "$dir/disk.img"
}

cd "$here"
for name in "${names[@]}"; do
	start=$SECONDS
	why=$(run_one "$name")
	if [ -z "$why" ]; then
		echo "PASS $name ($((SECONDS - start))s)"
	else
		echo "FAIL $name: $why"
	fi | tee -a "$results"
done
