#!/usr/bin/env bash
# Boots rampart under QEMU (TCG) and keeps the serial console in a log.
#
#   tools/qemu-boot.sh --log FILE [--timeout SEC] [--stop-on REGEX] [--stream]
#                      --kernel VMLINUZ --initrd INITRD --append CMDLINE
#   tools/qemu-boot.sh --interactive --kernel ... (console on this terminal)
#
# Exits 0 when QEMU ended by itself or --stop-on matched (QEMU is then
# stopped at once: an answer needs no more waiting), 124 on timeout.
set -euo pipefail

log= timeout=300 stop_on= stream=0 interactive=0 kernel= initrd= append= mem=1024
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
	*) echo "qemu-boot: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done

qemu=(qemu-system-x86_64 -machine q35 -accel tcg -cpu max -m "$mem" -smp 1
      -nodefaults -display none -no-reboot
      -kernel "$kernel" -initrd "$initrd" -append "$append")

if [ $interactive = 1 ]; then
	exec "${qemu[@]}" -serial mon:stdio
fi

[ -n "$log" ] || { echo "qemu-boot: --log is required" >&2; exit 2; }
: > "$log"
"${qemu[@]}" -monitor none -serial "file:$log" &
qpid=$!
tailpid=
if [ $stream = 1 ]; then
	tail -n +1 -f "$log" --pid=$qpid &
	tailpid=$!
fi

rc=124
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
	sleep 0.2
done
kill $qpid 2>/dev/null || true
wait $qpid 2>/dev/null || true
[ -n "$tailpid" ] && { sleep 0.3; kill $tailpid 2>/dev/null || true; wait $tailpid 2>/dev/null || true; }
[ $rc = 124 ] && echo "qemu-boot: timed out after ${timeout}s (log: $log)" >&2
exit $rc
