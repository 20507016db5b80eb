#!/usr/bin/env bash
# Boots a machine under QEMU (TCG) and keeps its serial console in a log.
#
# Firmware boot (OVMF, Secure Boot on, our keys enrolled):
#   tools/qemu-boot.sh --vars VARS.fd --disk DISK.img [--disk MORE.img ...]
#                      [--tpm-state DIR | --no-tpm] ...
# Direct kernel boot (no firmware):
#   tools/qemu-boot.sh --kernel VMLINUZ --initrd INITRD --append CMDLINE ...
# Common:
#   --log FILE        console log (required unless --interactive)
#   --timeout SEC     give up after SEC seconds (exit 124)
#   --stop-on REGEX   stop QEMU as soon as the console matches (exit 0)
#   --stream          also copy the console to stdout as it comes
#   --interactive     console on this terminal, no timeout
#   --input FILE      after --input-after REGEX appears, type FILE's lines
#                     on the console (one per second); with --linger SEC,
#                     stop SEC seconds after the last line (exit 0)
#   --input-each      instead: type line N once REGEX has appeared N times
#                     (an answer per prompt, for a program that discards
#                     what was typed before it asked)
#   --hotplug-disk FILE --hotplug-after REGEX
#                     once the console shows REGEX, plug FILE in as one more
#                     virtio disk (PCIe hot-plug through QMP): a disk that
#                     appears late, as a USB stick does; QEMU's answer goes
#                     to LOG.hotplug
#
# The swtpm started for --tpm-state keeps its state in DIR (made by
# swtpm_setup if empty), so a scenario can boot twice with one TPM.
#   tools/qemu-boot.sh --tpm-state DIR --tpm-run COMMAND...
#                     boots nothing: runs COMMAND with that TPM reachable at
#                     the TCTI in $TPM_TCTI (swtpm on a loopback TCP port),
#                     so a scenario can change the TPM before a boot
set -euo pipefail

OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd
log= timeout=300 stop_on= stream=0 interactive=0 kernel= initrd= append= mem=1024
vars= tpm_state= disks=() input= input_after= input_each=0 linger= tpm_run=() hotplug= hotplug_after=
while [ $# -gt 0 ]; do
	case $1 in
	--log) log=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--stop-on) stop_on=$2; shift ;;
	--stream) stream=1 ;;
	--interactive) interactive=1 ;;
	--kernel) kernel=$2; shift ;;
	--initrd) initrd=$2; shift ;;
	--append) append=$2; shift ;;
	--memory) mem=$2; shift ;;
	--vars) vars=$2; shift ;;
	--disk) disks+=("$2"); shift ;;
	--tpm-state) tpm_state=$2; shift ;;
	--no-tpm) tpm_state= ;;
	--input) input=$2; shift ;;
	--input-after) input_after=$2; shift ;;
	--input-each) input_each=1 ;;
	--linger) linger=$2; shift ;;
	--hotplug-disk) hotplug=$2; shift ;;
	--hotplug-after) hotplug_after=$2; shift ;;
	--tpm-run) shift; tpm_run=("$@"); break ;;
	*) echo "qemu-boot: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done

qemu=(qemu-system-x86_64 -accel tcg -cpu max -m "$mem" -smp 1
      -nodefaults -display none -no-reboot)
if [ -n "$kernel" ]; then
	qemu+=(-machine q35 -kernel "$kernel" -initrd "$initrd" -append "$append")
else
	[ -n "$vars" ] || [ ${#tpm_run[@]} -gt 0 ] ||
		{ echo "qemu-boot: --vars is required for a firmware boot" >&2; exit 2; }
	qemu+=(-machine q35,smm=on -global driver=cfi.pflash01,property=secure,value=on
	       -drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE"
	       -drive "if=pflash,format=raw,unit=1,file=$vars")
fi
i=0
for d in "${disks[@]}"; do
	bootindex=
	[ $i = 0 ] && bootindex=,bootindex=0
	qemu+=(-drive "if=none,id=d$i,format=raw,file=$d" -device "virtio-blk-pci,drive=d$i$bootindex")
	i=$((i + 1))
done
# An empty PCIe slot and the drive that goes into it later (the firmware never sees it).
if [ -n "$hotplug" ]; then
	qemu+=(-device pcie-root-port,id=hpslot,bus=pcie.0,chassis=9
	       -drive "if=none,id=hpdrive,format=raw,file=$hotplug")
fi

cleanup_pids=()

# Types each line of $2 on the console socket $1, one a second.
type_lines() {
	python3 - "$1" "$2" <<'PY'
import select, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])

# The console's output also comes to this socket (the log file has it):
# read it away while waiting, or QEMU stalls the guest once the buffer fills.
def wait(seconds):
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        if select.select([s], [], [], left)[0] and not s.recv(65536):
            return

for line in open(sys.argv[2]):
    wait(1)
    s.sendall(line.rstrip("\n").encode() + b"\r")
wait(1)
PY
}
# Plugs the drive "hpdrive" into the slot "hpslot" through QMP on socket $1;
# prints QEMU's answer, fails if it is an error.
hotplug_now() {
	python3 - "$1" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
f = s.makefile("rw")

def call(cmd, **args):
    f.write(json.dumps({"execute": cmd, "arguments": args}) + "\n")
    f.flush()
    while True:
        answer = json.loads(f.readline())
        if "return" in answer or "error" in answer:
            print(cmd, json.dumps(answer))
            return "error" not in answer

json.loads(f.readline())  # the greeting
ok = call("qmp_capabilities") and call("device_add", driver="virtio-blk-pci", drive="hpdrive",
                                       bus="hpslot", id="hpdisk")
sys.exit(0 if ok else 1)
PY
}
cleanup() {
	for p in "${cleanup_pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -f "${consock:-}" "${qmpsock:-}"
}
trap cleanup EXIT

if [ -n "$tpm_state" ]; then
	mkdir -p "$tpm_state"
	if [ ! -e "$tpm_state/tpm2-00.permall" ]; then
		# sha256 only: the firmware extends fewer banks and boots faster.
		swtpm_setup --tpm2 --tpmstate "$tpm_state" --pcr-banks sha256 \
			--create-ek-cert --create-platform-cert --lock-nvram \
			--config /etc/swtpm_setup.conf >/dev/null 2>&1 ||
			swtpm_setup --tpm2 --tpmstate "$tpm_state" --pcr-banks sha256 >/dev/null
	fi
	if [ ${#tpm_run[@]} -gt 0 ]; then
		port=$((30000 + RANDOM % 20000))
		swtpm socket --tpm2 --tpmstate "dir=$tpm_state" --flags startup-clear \
			--server "type=tcp,port=$port,bindaddr=127.0.0.1" \
			--ctrl "type=tcp,port=$((port + 1)),bindaddr=127.0.0.1" &
		cleanup_pids+=($!)
		for _ in $(seq 50); do
			(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
			sleep 0.1
		done
		TPM_TCTI="swtpm:host=127.0.0.1,port=$port" "${tpm_run[@]}"
		exit $?
	fi
	sock=$tpm_state/swtpm.sock
	rm -f "$sock"
	swtpm socket --tpm2 --tpmstate "dir=$tpm_state" --ctrl "type=unixio,path=$sock" \
		--flags startup-clear --terminate &
	cleanup_pids+=($!)
	for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
	qemu+=(-chardev "socket,id=chrtpm,path=$sock" -tpmdev emulator,id=tpm0,chardev=chrtpm
	       -device tpm-tis,tpmdev=tpm0)
fi

if [ $interactive = 1 ]; then
	"${qemu[@]}" -serial mon:stdio
	exit $?
fi

[ -n "$log" ] || { echo "qemu-boot: --log is required" >&2; exit 2; }
: > "$log"
# The console is a socket nobody need listen on; QEMU logs all it prints.
consock=$(mktemp -u /tmp/rampart-console.XXXXXX)
qmp=()
if [ -n "$hotplug" ]; then
	qmpsock=$consock.qmp
	qmp=(-qmp "unix:$qmpsock,server=on,wait=off")
fi
"${qemu[@]}" -monitor none "${qmp[@]}" \
	-chardev "socket,id=con0,path=$consock,server=on,wait=off,logfile=$log" -serial chardev:con0 \
	2>"$log.stderr" &
qpid=$!
cleanup_pids=("$qpid" "${cleanup_pids[@]}")
if [ $stream = 1 ]; then
	tail -n +1 -f "$log" --pid=$qpid &
	cleanup_pids+=($!)
fi

rc=124 typed=0 linger_until= plugged=0
deadline=$((SECONDS + timeout))
while [ $SECONDS -lt $deadline ]; do
	if ! kill -0 $qpid 2>/dev/null; then
		rc=0
		break
	fi
	if [ -n "$stop_on" ] && grep -qaE -- "$stop_on" "$log"; then
		rc=0
		break
	fi
	if [ -n "$input" ] && [ $input_each = 1 ] && [ "$(grep -caE -- "$input_after" "$log")" -gt $typed ]; then
		typed=$((typed + 1))
		sed -n "${typed}p" "$input" > "$log.line"
		[ -s "$log.line" ] && type_lines "$consock" "$log.line"
		rm -f "$log.line"
		[ -n "$linger" ] && [ "$typed" -ge "$(wc -l < "$input")" ] && linger_until=$((SECONDS + linger))
	fi
	if [ -n "$input" ] && [ $input_each = 0 ] && [ $typed = 0 ] && grep -qaE -- "$input_after" "$log"; then
		typed=1
		type_lines "$consock" "$input"
		[ -n "$linger" ] && linger_until=$((SECONDS + linger))
	fi
	if [ -n "$hotplug" ] && [ $plugged = 0 ] && grep -qaE -- "$hotplug_after" "$log"; then
		plugged=1
		hotplug_now "$qmpsock" >"$log.hotplug" 2>&1 ||
			echo "qemu-boot: hot-plug failed (see $log.hotplug)" >&2
	fi
	if [ -n "$linger_until" ] && [ $SECONDS -ge $linger_until ]; then
		rc=0
		break
	fi
	sleep 0.2
done
[ $rc = 124 ] && echo "qemu-boot: timed out after ${timeout}s (log: $log)" >&2
exit $rc
