#!/usr/bin/env bash
# Runs boot scenarios (test/scenarios/*.scenario) and appends one
# PASS/FAIL line per scenario to RESULTS.  See test/scenarios/README.md.
#
#   test/qemu/run-scenarios.sh RESULTS [NAME...]
#
# Environment (set by the Makefile): BUILD, KEYDIR, ROGUE_KEYDIR, KERNEL_DIR,
# INITRD (the production initramfs), INITRD_DEBUG (the one with the shell).
set -uo pipefail

results=$1; shift
here=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
TEST_CMDLINE="console=ttyS0 panic=-1 rampart.on-failure=poweroff systemd.gpt_auto=0 rampart.log=info"
DEFAULT_STOP='TESTOS: done|rampart: (powering off|halted|rebooting|test-stop: )|Kernel panic|Access Denied'

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
uki_for() { # key cmdline [initrd] -> path
	local key=$1 cmdline=$2 initrd=${3:-} tag dir
	# Only a command line that enables the debug shell gets the initramfs that has one.
	if [ -z "$initrd" ]; then
		case " $cmdline " in
		*" rampart.debug=shell "* | *" rd.shell "* | *" rd.shell=1 "*) initrd=$INITRD_DEBUG ;;
		*) initrd=$INITRD ;;
		esac
	fi
	tag=$(printf '%s\n%s\n%s\n%s\n' "$key" "$cmdline" "$initrd" "$(stat -c %Y "$initrd")" | sha256sum | cut -c1-12)
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
		"$here/uki/build.sh" --kernel "$KERNEL_DIR"/boot/vmlinuz-* --initrd "$initrd" \
			--cmdline "$dir/cmdline" --os-release "$here/uki/os-release.in" \
			--out "$dir/uki.efi.tmp" "${sign[@]}" >/dev/null || return 1
		mv "$dir/uki.efi.tmp" "$dir/uki.efi"
	fi
	echo "$dir/uki.efi"
}

# ---- what a scenario's run() may use ------------------------------------------

fail() { echo "$*"; exit 0; }

# Boots the scenario's disk once; the console goes to $dir/NAME.log ($log).
boot() { # [NAME]
	log=$dir/${1:-console}.log
	local tpm_args=(--no-tpm) extra=() d
	[ "$tpm" != none ] && tpm_args=(--tpm-state "$dir/tpm")
	for d in "${disks[@]}"; do
		[ -f "$dir/$d.img" ] || cp --sparse=always "$BUILD/images/$d.img" "$dir/$d.img" || fail "no image $d"
		extra+=(--disk "$dir/$d.img")
	done
	if [ -n "$hotplug" ]; then
		[ -f "$dir/hotplug-$hotplug.img" ] || cp --sparse=always "$BUILD/images/$hotplug.img" \
			"$dir/hotplug-$hotplug.img" || fail "no image $hotplug"
		extra+=(--hotplug-disk "$dir/hotplug-$hotplug.img" --hotplug-after "$hotplug_after")
	fi
	if [ -n "${type_after:-}" ]; then
		extra+=(--input "$dir/input" --input-after "$type_after")
		[ -n "${type_linger:-}" ] && extra+=(--linger "$type_linger")
		[ -n "${type_each:-}" ] && extra+=(--input-each)
	fi
	tools/qemu-boot.sh --vars "$dir/vars.fd" --disk "$dir/disk.img" "${extra[@]}" "${tpm_args[@]}" \
		--log "$log" --timeout "$timeout" --stop-on "$stop_on" ||
		fail "no answer within ${timeout}s (log: $log)"
	type_after= type_linger= type_each=
	sed -i 's/\r$//' "$log"
	refusals_said_once
}

# No failure prints two lines (README, "Contributing"): a refusal's text
# stands on rampart's console lines once, and once more only in the final
# summary ("boot failed in state ..."); a refused slot's text once.
refusals_said_once() {
	local text n
	while IFS= read -r text; do
		n=$(grep -a 'rampart: ' "$log" | grep -cF -- "$text")
		[ "$n" -le 2 ] || fail "refusal text on $n console lines, not one and the summary: '$text' (log: $log)"
	done < <(sed -nE 's/.*rampart: refused \[[a-z0-9-]+\] (.*)$/\1/p' "$log")
	while IFS= read -r text; do
		n=$(grep -a 'rampart: ' "$log" | grep -cF -- "$text")
		[ "$n" -le 1 ] || fail "slot refusal text on $n console lines: '$text' (log: $log)"
	done < <(sed -nE 's/.*rampart: refused slot [^ ]+ \[[a-z0-9-]+\]: (.*)$/\1/p' "$log")
}

expect() { # REGEX... : the last boot's console shows each
	local re
	for re in "$@"; do
		grep -qaE -- "$re" "$log" || fail "console lacks /$re/ (log: $log)"
	done
}

expect_not() { # REGEX...
	local re
	for re in "$@"; do
		! grep -qaE -- "$re" "$log" || fail "console shows /$re/ (log: $log)"
	done
}

# Runs COMMAND... with the scenario's TPM (as the boots use it) at the TCTI in $TPM_TCTI.
with_tpm() { # COMMAND...
	tools/qemu-boot.sh --tpm-state "$dir/tpm" --tpm-run "$@"
}

# Overwrites bytes of the scenario's disk: at OFFSET, COUNT bytes from FILE (or /dev/urandom).
overwrite() { # OFFSET FILE [COUNT]
	dd if="$2" of="$dir/disk.img" bs=1 seek="$1" count="${3:-$(stat -c %s "$2")}" conv=notrunc status=none ||
		fail "cannot write the disk at $1"
}

flip_byte() { # OFFSET
	local b
	b=$(od -An -tu1 -j "$1" -N1 "$dir/disk.img" | tr -d ' ')
	printf "$(printf '\\%03o' $((b ^ 0xff)))" | overwrite "$1" /dev/stdin 1
}

# The signature document of slot A or B, without its NUL padding.
read_sig() { # A|B
	local off=SLOT_$1_SIG_OFFSET
	dd if="$dir/disk.img" bs=4096 skip=$((${!off} / 4096)) count=1 status=none | tr -d '\0'
}

# Replaces slot A's or B's signature partition content with FILE, NUL padded.
write_sig() { # A|B FILE
	local off=SLOT_$1_SIG_OFFSET size=SLOT_$1_SIG_SIZE
	overwrite "${!off}" /dev/zero "${!size}"
	overwrite "${!off}" "$2"
}

# The next boot types LINE... on the serial console once it shows REGEX;
# with LINGER (seconds) it then stops that long after the last line.
type_on_console() { # REGEX LINGER LINE...
	type_after=$1 type_linger=$2
	shift 2
	printf '%s\n' "$@" > "$dir/input"
}

# The next boot answers each prompt matching REGEX with the next LINE
# (the Nth time REGEX shows, it types the Nth line).
answer_prompts() { # REGEX LINE...
	type_after=$1 type_each=1
	shift
	printf '%s\n' "$@" > "$dir/input"
}

# The recovery key of the scenario's disk, as keys/recovery-key prints it
# with the escrow private key, for the volume whose partition is labelled LABEL.
recovery_key() { # LABEL
	keys/recovery-key --key "$KEYDIR/escrow.key" "$dir/disk.img" 2>"$dir/recovery-key.err" |
		awk -F'\t' -v l="\"$1\"" 'index($2, "partition") && index($2, l) { print $1; exit }'
}

# Fails unless SECRET (a recovery key's text) is absent from every console
# log of the scenario (boot reports included) and from every /run file a
# boot with testos.run-dump printed: as typed, without dashes, as its bytes.
never_shown() { # SECRET
	local text=$1 plain bytes hex_text hex_plain f
	plain=${text//-/}
	bytes=$(tr 'cbdefghijklnrtuv' '0123456789abcdef' <<<"$plain")
	hex_text=$(printf '%s' "$text" | od -An -tx1 -v | tr -d ' \n')
	hex_plain=$(printf '%s' "$plain" | od -An -tx1 -v | tr -d ' \n')
	grep -q 'TESTOS: run-dump-end' "$dir"/*.log || fail "no boot dumped /run (testos.run-dump)"
	for f in "$dir"/*.log; do
		if grep -qaiF -e "$text" -e "$plain" -e "$bytes" -e "$hex_text" -e "$hex_plain" "$f"; then
			fail "the recovery key appears in clear in $f"
		fi
	done
}

# The pre-lock PCR 7 value the boot report of the boot logged in LOG gives
# (what rampart.recovery=prompt:PCR7 names after a Secure Boot update).
pcr7_before_lock() { # LOG
	sed -n 's/.*"pcr7_before_lock": *"\([0-9a-f]\{64\}\)".*/\1/p' "$1" | head -n 1
}

# Puts an attacker's LUKS2 volume in the partition labelled LABEL: the same
# LUKS UUID, the genuine volume's token 0 copied (after a Secure Boot
# update it fails on PCR 7, so the recovery prompt appears) and a
# systemd-recovery token naming a keyslot for KEY, which the attacker
# knows.  The volume stays in $dir/attacker.vol, KEY in $dir/attacker.key.
attacker_volume() { # LABEL KEY
	local uuid
	part_range "$1"
	dd if="$dir/disk.img" of="$dir/genuine.vol" bs=1M iflag=skip_bytes,count_bytes skip="$PART_OFFSET" \
		count="$PART_SIZE" conv=sparse status=none || fail "cannot read the $1 partition"
	uuid=$(cryptsetup luksUUID "$dir/genuine.vol") || fail "the $1 partition is not LUKS"
	cryptsetup token export --token-id 0 "$dir/genuine.vol" >"$dir/genuine-token.json" ||
		fail "cannot export the $1 volume's token"
	printf '%s' "$2" >"$dir/attacker.key"
	rm -f "$dir/attacker.vol" "$dir/genuine.vol"
	truncate -s "$PART_SIZE" "$dir/attacker.vol"
	{
		cryptsetup luksFormat --batch-mode --type luks2 --uuid "$uuid" --pbkdf pbkdf2 \
			--pbkdf-force-iterations 1000 --key-file "$dir/attacker.key" "$dir/attacker.vol" &&
		cryptsetup token import --token-id 0 --json-file "$dir/genuine-token.json" "$dir/attacker.vol" &&
		printf '{"type":"systemd-recovery","keyslots":["0"]}' >"$dir/recovery-token.json" &&
		cryptsetup token import --token-id 1 --json-file "$dir/recovery-token.json" "$dir/attacker.vol"
	} >"$dir/attacker.log" 2>&1 || fail "cannot make the attacker's volume (log: $dir/attacker.log)"
	dd if="$dir/attacker.vol" of="$dir/disk.img" bs=1M oflag=seek_bytes seek="$PART_OFFSET" conv=notrunc,sparse \
		status=none || fail "cannot write the $1 partition"
}

# Puts a UKI with another signed command line on the scenario's ESP.
use_cmdline() { # CMDLINE
	local uki
	uki=$(uki_for "$uki_key" "$1") || fail "cannot build a UKI for: $1"
	tools/esp-replace.sh "$dir/disk.img" "$uki" || fail "cannot put the UKI on the ESP"
}

# Puts a UKI on the ESP whose initrd is systemd's (dracut, tools/mkinitrd-systemd.sh;
# build/images/initrd-systemd-VERSION.img, made by make images), signed with our db key.
use_systemd_initrd() { # VERSION CMDLINE
	local uki
	uki=$(uki_for db "$2" "$BUILD/images/initrd-systemd-$1.img") || fail "cannot build a UKI with systemd $1's initrd"
	tools/esp-replace.sh "$dir/disk.img" "$uki" || fail "cannot put the UKI on the ESP"
}

# Boots later with firmware variables that also enrol KEYDIR2's db
# certificate: Secure Boot's configuration, and so PCR 7, changes.
use_extra_db() { # KEYDIR2
	tools/ovmf-vars.sh --extra-db "$1/db.crt" "$KEYDIR" "$dir/vars-extra.fd" >/dev/null ||
		fail "cannot make firmware variables with an extra db certificate"
	cp "$dir/vars-extra.fd" "$dir/vars.fd"
}

use_normal_vars() {
	cp "$BUILD/ovmf/vars.fd" "$dir/vars.fd"
}

# Sets PART_OFFSET and PART_SIZE (bytes) of the partition labelled LABEL on the scenario's disk.
part_range() { # LABEL
	local num info first last
	num=$(sgdisk -p "$dir/disk.img" | awk -v l="$1" '/^Number/{p=1; next} p && $NF == l {print $1; exit}')
	[ -n "$num" ] || fail "no partition labelled $1 (log: ${log:-})"
	info=$(sgdisk -i "$num" "$dir/disk.img")
	first=$(sed -n 's/^First sector: \([0-9]*\).*/\1/p' <<<"$info")
	last=$(sed -n 's/^Last sector: \([0-9]*\).*/\1/p' <<<"$info")
	PART_OFFSET=$((first * 512))
	PART_SIZE=$(((last - first + 1) * 512))
}

# Sets PART_SHA to the sha256 of the bytes of the partition labelled LABEL.
part_sha() { # LABEL
	part_range "$1"
	PART_SHA=$(dd if="$dir/disk.img" bs=1M iflag=skip_bytes,count_bytes skip="$PART_OFFSET" \
		count="$PART_SIZE" status=none | sha256sum | cut -d' ' -f1)
}

# The scenario's disk image facts (tools/mkdisk.sh's .env): SLOT_A_SIG_OFFSET, ...
disk_facts() { # IMAGE
	# shellcheck disable=SC1090
	source "$BUILD/images/$1.img.env"
}

default_run() {
	boot
	expect "${must[@]}"
	expect_not "${must_not[@]}"
}

run_one() { # name -> nothing on pass, the reason on failure (stdout)
	local name=$1 file=$here/test/scenarios/$1.scenario
	description= image=base uki_key=db cmdline=$TEST_CMDLINE tpm=fresh timeout=150
	stop_on=$DEFAULT_STOP must=() must_not=() disks=() hotplug= hotplug_after=
	unset -f run
	[ -f "$file" ] || fail "no such scenario file"
	# shellcheck disable=SC1090
	source "$file"
	[ -n "$description" ] || fail "scenario has no description"

	dir=$BUILD/scenarios/$name
	rm -rf "$dir"
	mkdir -p "$dir"
	local uki
	uki=$(uki_for "$uki_key" "$cmdline") || fail "cannot build its UKI"
	cp --sparse=always "$BUILD/images/$image.img" "$dir/disk.img" || fail "no image $image"
	tools/esp-replace.sh "$dir/disk.img" "$uki" || fail "cannot put the UKI on the ESP"
	cp "$BUILD/ovmf/vars.fd" "$dir/vars.fd"
	disk_facts "$image"

	if declare -F run >/dev/null; then
		run
	else
		default_run
	fi
	# Keep the disks only when it failed: 1 GiB sparse files add up.
	rm -f "$dir"/*.img
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
