#!/usr/bin/env bash
# make bench: boots the shipped image several times under the Secure Boot
# harness and prints figures (medians with min/max).  No thresholds: this
# measures, it does not judge.
#
#   tools/bench.sh            (the Makefile sets BUILD, KEYDIR, KERNEL_DIR, INITRD)
#   BENCH_RUNS=5 make bench   runs per kind of boot (default 3)
set -euo pipefail

BUILD=${BUILD:-build}
runs=${BENCH_RUNS:-3}
dir=$BUILD/bench/run
rm -rf "$dir"
mkdir -p "$dir"

# Boots DISK with TPM state TPMDIR, and further disks; the console goes to LOG.
boot() { # DISK TPMDIR LOG [DISK...]
	local extra=() d
	for d in "${@:4}"; do extra+=(--disk "$d"); done
	cp "$BUILD/ovmf/vars.fd" "$dir/vars.fd"
	tools/qemu-boot.sh --vars "$dir/vars.fd" --disk "$1" "${extra[@]}" --tpm-state "$2" --log "$3" --timeout 240 \
		--stop-on 'TESTOS: done|BASELINE: uptime|rampart: (halted|powering off)|Kernel panic' >/dev/null
	sed -i 's/\r$//' "$3"
}

echo "bench: $runs first and later boots of the busybox and of the systemd test OS, $runs first boots on a" \
	"64 GiB disk and later boots with 8 more disks, $runs boots with systemd's initrd, $runs baseline boots" \
	"(TCG, this takes a quarter of an hour)" >&2
# A first boot and a later boot of IMAGE, RUNS times; logs PREFIXfirstN.log and PREFIXlaterN.log.
boots() { # IMAGE PREFIX
	for i in $(seq "$runs"); do
		cp --sparse=always "$BUILD/images/$1.img" "$dir/disk$i.img"
		boot "$dir/disk$i.img" "$dir/tpm-$2$i" "$dir/$2first$i.log"
		boot "$dir/disk$i.img" "$dir/tpm-$2$i" "$dir/$2later$i.log"
		rm -f "$dir/disk$i.img"
	done
}
boots base ""
boots systemd-os systemd-

# Cost as the work grows: a first boot on a 64 GiB disk (sparse; the GPT's backup header moved
# to its end, /var takes what repart leaves), and a later boot with 8 more disks attached (each
# 64 MiB with a GPT and two partitions: what probing has to read and set aside).
for n in $(seq 8); do
	truncate -s 64M "$dir/extra$n.img"
	sgdisk -q -n 1:0:+16M -n 2:0:0 "$dir/extra$n.img" >/dev/null
done
for i in $(seq "$runs"); do
	cp --sparse=always "$BUILD/images/base.img" "$dir/disk$i.img"
	truncate -s 64G "$dir/disk$i.img"
	sgdisk -q -e "$dir/disk$i.img" >/dev/null
	boot "$dir/disk$i.img" "$dir/tpm-big$i" "$dir/big-first$i.log"
	rm -f "$dir/disk$i.img"
	cp --sparse=always "$BUILD/images/base.img" "$dir/disk$i.img"
	boot "$dir/disk$i.img" "$dir/tpm-many$i" "$dir/many-provision$i.log"
	boot "$dir/disk$i.img" "$dir/tpm-many$i" "$dir/many-later$i.log" "$dir"/extra[1-8].img
	rm -f "$dir/disk$i.img"
done
rm -f "$dir"/extra*.img

# systemd 254's initrd (dracut, tools/mkinitrd-systemd.sh) doing the same job on a disk rampart
# provisioned: the verity root and /var from rampart's token (tools/systemd-initrd-cmdline.sh).
# systemd logs to the kernel's log here, so its own switch-root has a kernel timestamp.
. "$BUILD/images/base.img.env"
for i in $(seq "$runs"); do
	cp --sparse=always "$BUILD/images/base.img" "$dir/disk$i.img"
	boot "$dir/disk$i.img" "$dir/tpm-sd$i" "$dir/sd-provision$i.log"
	{ tools/systemd-initrd-cmdline.sh "$dir/disk$i.img" "$SLOT_A_ROOT_HASH"; echo "systemd.log_target=kmsg"; } |
		paste -sd' ' >"$dir/sd.cmdline"
	uki/build.sh --kernel "$KERNEL_DIR"/boot/vmlinuz-* --initrd "$BUILD/images/initrd-systemd-254.img" \
		--cmdline "$dir/sd.cmdline" --os-release uki/os-release.in \
		--key "$KEYDIR/db.key" --cert "$KEYDIR/db.crt" --out "$dir/sd.efi" >/dev/null
	tools/esp-replace.sh "$dir/disk$i.img" "$dir/sd.efi"
	boot "$dir/disk$i.img" "$dir/tpm-sd$i" "$dir/sd$i.log"
	rm -f "$dir/disk$i.img"
done

# Baseline: the same kernel, firmware and UKI path, an initramfs with only baseline-init.
mkdir -p "$dir/baseline-root"
cp "$BUILD/bench/baseline-init" "$dir/baseline-root/init"
(cd "$dir/baseline-root" && echo init | cpio --quiet -o -H newc -R 0:0) | zstd -q -19 > "$dir/baseline.cpio.zst"
grep -v '^#' uki/cmdline.production > "$dir/baseline.cmdline"
uki/build.sh --kernel "$KERNEL_DIR"/boot/vmlinuz-* --initrd "$dir/baseline.cpio.zst" \
	--cmdline "$dir/baseline.cmdline" --os-release uki/os-release.in \
	--key "$KEYDIR/db.key" --cert "$KEYDIR/db.crt" --out "$dir/baseline.efi" >/dev/null
for i in $(seq "$runs"); do
	cp --sparse=always "$BUILD/images/base.img" "$dir/baseline.img"
	tools/esp-replace.sh "$dir/baseline.img" "$dir/baseline.efi"
	boot "$dir/baseline.img" "$dir/tpm-baseline$i" "$dir/baseline$i.log"
done
rm -f "$dir/baseline.img"

size() { stat -c %s "$1"; }
/usr/bin/python3 - "$dir" "$runs" \
	"$(size "$BUILD/init")" "$(size "$BUILD/initramfs.zst")" "$(size "$BUILD/initramfs.zst.cpio")" \
	"$(size "$BUILD/uki/production.efi")" "$(size "$BUILD/images/initrd-systemd-254.img")" <<'PY'
import json, re, statistics, sys

d, runs = sys.argv[1], int(sys.argv[2])
init_size, initrd_z, initrd_raw, uki, sd_initrd = map(int, sys.argv[3:8])

def report(log):
    # The systemd OS reports through the kernel log: drop its timestamps.
    text = re.sub(r"(?m)^\[ *[0-9.]+\] ", "", open(log, errors="replace").read())
    m = re.search(r"TESTOS: boot-report-begin\n(.*?)TESTOS: boot-report-end", text, re.S)
    if not m:
        sys.exit(f"bench: no boot report in {log}")
    up = re.search(r"TESTOS: uptime=([0-9.]+)", text)
    return json.loads(m.group(1)), float(up.group(1)) if up else None

def fmt(values, unit, scale=1.0, digits=1):
    v = [x * scale for x in values if x is not None]
    if not v:
        return "n/a"
    return f"{statistics.median(v):.{digits}f} {unit} (min {min(v):.{digits}f}, max {max(v):.{digits}f})"

rows = []
side = {}
titles = {
    "first": "first boot (1 GiB disk)",
    "later": "later boot",
    "systemd-first": "first boot, Debian 12 + systemd 252 OS",
    "systemd-later": "later boot, Debian 12 + systemd 252 OS",
    "big-first": "first boot, 64 GiB disk (sparse)",
    "many-later": "later boot, 8 more disks attached",
}
for kind in titles:
    reps = [report(f"{d}/{kind}{i}.log") for i in range(1, runs + 1)]
    states = {}
    totals, to_os, to_init, peaks, child_peaks = [], [], [], [], []
    for rep, up in reps:
        st = rep["states"]
        for s in st:
            if "duration_usec" in s:
                states.setdefault(s["name"], []).append(s["duration_usec"])
        first, last = st[0], st[-1]
        totals.append(last["start_usec"] - first["start_usec"])
        to_init.append(first["start_usec"])
        to_os.append(up)
        peaks.append(rep.get("peak_rss_kib"))
        child_peaks.append(rep.get("children_peak_rss_kib"))
    rows.append((titles[kind], ""))
    for name, v in states.items():
        rows.append((f"  {name}", fmt(v, "ms", 1e-3)))
    rows.append(("  kernel start to rampart's /init", fmt(to_init, "s", 1e-6, 2)))
    rows.append(("  rampart total (setup to switch-root)", fmt(totals, "ms", 1e-3)))
    rows.append(("  kernel start to test OS's first line" if not kind.startswith("systemd") else
                 "  kernel start to systemd (PID 1) starting", fmt(to_os, "s", 1, 2)))
    if kind.startswith("systemd"):
        fin = [float(m.group(1)) if m else None for m in
               (re.search(r"TESTOS: finished=([0-9.]+)", open(f"{d}/{kind}{i}.log", errors="replace").read())
                for i in range(1, runs + 1))]
        rows.append(("  kernel start to systemd's boot finished (running)", fmt(fin, "s", 1, 2)))
    if kind == "later":
        side["phase"], side["to_os"] = [t / 1e6 for t in totals], to_os
    rows.append(("  /init peak RSS", fmt(peaks, "KiB", 1, 0)))
    rows.append(("  largest child's peak RSS (mke2fs on a first boot)", fmt(child_peaks, "KiB", 1, 0)))

# systemd's initrd: its PID 1 starting to its "Switching root.", and the test OS's first line.
sd_phase, sd_to_os = [], []
for i in range(1, runs + 1):
    t = open(f"{d}/sd{i}.log", errors="replace").read()
    start = re.search(r"\[ *([0-9.]+)\] systemd\[1\]: systemd [0-9]+\S* running in system mode", t)
    switch = re.search(r"\[ *([0-9.]+)\] systemd\[1\]: Switching root", t)
    up = re.search(r"TESTOS: uptime=([0-9.]+)", t)
    ok = "TESTOS: running from verified root" in t and re.search(r"Finished .*systemd-cryptsetup@var", t)
    if not ok:
        sys.exit(f"bench: systemd's initrd did not do the job in {d}/sd{i}.log")
    sd_phase.append(float(switch.group(1)) - float(start.group(1)) if start and switch else None)
    sd_to_os.append(float(up.group(1)) if up else None)

def ratio(a, b):
    a, b = [x for x in a if x is not None], [x for x in b if x is not None]
    return f"{statistics.median(a) / statistics.median(b):.2f}x" if a and b else "n/a"

rows.append(("side by side, later boot: systemd 254's initrd (dracut 059) / rampart", ""))
rows.append(("  initrd phase, /init start to switch-root: rampart", fmt(side["phase"], "s", 1, 2)))
rows.append(("  initrd phase, /init start to switch-root: systemd", fmt(sd_phase, "s", 1, 2)))
rows.append(("  initrd phase, systemd/rampart", ratio(sd_phase, side["phase"])))
rows.append(("  kernel start to test OS's first line: rampart", fmt(side["to_os"], "s", 1, 2)))
rows.append(("  kernel start to test OS's first line: systemd", fmt(sd_to_os, "s", 1, 2)))
rows.append(("  kernel start to test OS's first line, systemd/rampart", ratio(sd_to_os, side["to_os"])))
rows.append(("  initramfs, compressed: rampart (zstd)", f"{initrd_z} bytes ({initrd_z / 1024:.0f} KiB)"))
rows.append(("  initramfs, compressed: systemd (dracut, zstd)", f"{sd_initrd} bytes ({sd_initrd / 1024:.0f} KiB)"))
rows.append(("  initramfs, systemd/rampart", f"{sd_initrd / initrd_z:.2f}x"))

base = []
for i in range(1, runs + 1):
    t = open(f"{d}/baseline{i}.log", errors="replace").read()
    m = re.search(r"BASELINE: uptime=([0-9.]+)", t)
    base.append(float(m.group(1)) if m else None)
rows.append(("baseline (initramfs that only mounts /proc)", ""))
rows.append(("  kernel start to its /init", fmt(base, "s", 1, 2)))
rows.append(("sizes", ""))
rows.append(("  /init, static, stripped", f"{init_size} bytes ({init_size / 1024:.0f} KiB)"))
rows.append(("  initramfs, zstd", f"{initrd_z} bytes ({initrd_z / 1024:.0f} KiB)"))
rows.append(("  initramfs, uncompressed", f"{initrd_raw} bytes ({initrd_raw / 1024:.0f} KiB)"))
rows.append(("  UKI (production, signed)", f"{uki} bytes ({uki / 1024:.0f} KiB)"))

width = max(len(r[0]) for r in rows)
print(f"rampart bench: {runs} runs each, QEMU TCG, OVMF Secure Boot, swtpm; median (min, max)")
for k, v in rows:
    print(f"{k:<{width}}  {v}")
PY
