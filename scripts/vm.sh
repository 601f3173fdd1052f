#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the built fork kernel under QEMU with the host's root filesystem
# shared read-only over virtio-9p and run a command in it as root.
#
# usage: vm.sh [--interactive | COMMAND]
#
# COMMAND's output streams to stdout; the exit status is COMMAND's.  The
# guest always powers off; one that is still running after $VM_TIMEOUT
# seconds is killed and the exit status is 124.  The kernel's console goes
# to $VM_OUT/console.log and the guest's dmesg to $VM_OUT/dmesg.txt.
#
# Environment: NICS=2 adds two virtio-net NICs joined by a QEMU hub;
# KVM=auto|on|off (auto uses KVM only where a bounded probe boot works);
# VM_OUT (default: a new directory under build/vm), VM_MEM, VM_CPUS;
# VM_KERNEL boots that image instead of $OBJ's (of $OBJ's release, with
# the modules of $MODROOT), e.g. the one a package installs.  VM_DISK, a
# raw image of a root filesystem, boots that root from virtio-blk
# (/dev/vda) with the initramfs VM_INITRD and its /usr/local/sbin/
# napifork-init as init (scripts/deb-init, which continues into
# guest-init on the host's root), or VM_INIT (e.g. systemd, which leaves
# no exit status); the host's root is still shared.
set -euo pipefail

die() { echo "vm: $*" >&2; exit 1; }

interactive=0
if [ "${1-}" = --interactive ]; then
	interactive=1
	shift
fi
cmd=${1-}
[ $interactive = 1 ] || [ -n "$cmd" ] || die "nothing to run: make vm CMD='...'"

[[ ${VM_TIMEOUT:-600} =~ ^[1-9][0-9]*$ ]] || die "VM_TIMEOUT=$VM_TIMEOUT is not a number of seconds"
kernel=${VM_KERNEL:-$OBJ/arch/x86/boot/bzImage}
[ -f "$kernel" ] || die "no kernel at $kernel${VM_KERNEL:+ (VM_KERNEL)}: run 'make kernel' first"
release=$(cat "$OBJ/include/config/kernel.release")
[ -d "$MODROOT/lib/modules/$release" ] || die "no modules for $release in $MODROOT: run 'make kernel'"

mkdir -p "$BUILD/vm"
# shellcheck disable=SC2012
{ ls -dt "$BUILD"/vm/run.* 2>/dev/null || true; } | tail -n +10 | xargs -r rm -rf	# keep the last runs
out=${VM_OUT:-$(mktemp -d "$BUILD/vm/run.XXXXXX")}
mkdir -p "$out"
rm -f "$out/status" "$out/console.log" "$out/dmesg.txt"
ln -sfn "$out" "$BUILD/vm/last"
printf '%s\n' "$cmd" > "$out/cmd"
rm -f "$out/interactive"
[ $interactive = 0 ] || touch "$out/interactive"

# The kernel's command line: the root (the host's over 9p, or VM_DISK),
# init, and where the run's files go.
bootargs() {	# $1: directory of the run; $2: tcg or kvm
	local args=(console=ttyS0 panic=-1)
	# kselftest's flag for a slow machine (tests scale their load down),
	# in the environment of the guest's init and so of every test.
	[ "$2" = kvm ] || args+=(KSFT_MACHINE_SLOW=yes)
	if [ -n "${VM_DISK-}" ]; then
		args+=(root=/dev/vda rw "init=${VM_INIT:-/usr/local/sbin/napifork-init}")
	else
		args+=(root=hostroot rootfstype=9p ro "init=$TOP/scripts/guest-init"
			"rootflags=trans=virtio,version=9p2000.L,msize=512000,cache=loose")
	fi
	args+=("NAPIFORK_OUT=$1" "NAPIFORK_TOP=$TOP" "NAPIFORK_BUILD=$BUILD"
		"NAPIFORK_MODROOT=$MODROOT")
	echo "${args[*]}"
}

qemu_args() {	# $1: tcg or kvm; $2: directory of the run.  Sets qargs.
	local accel=$1 dir=$2 cpu=max n
	[ "$accel" = kvm ] && cpu=host
	qargs=(
		-machine "q35,accel=$accel" -cpu "$cpu"
		-smp "${VM_CPUS:-2}" -m "${VM_MEM:-2G}"
		-nodefaults -no-user-config -display none -no-reboot
		-kernel "$kernel" -append "$(bootargs "$dir" "$accel")"
		-fsdev "local,id=root,path=/,security_model=none,readonly=on,multidevs=remap"
		-device "virtio-9p-pci,fsdev=root,mount_tag=hostroot"
		-fsdev "local,id=out,path=$dir,security_model=none"
		-device "virtio-9p-pci,fsdev=out,mount_tag=out"
		-serial "file:$dir/console.log"
	)
	if [ -n "${VM_DISK-}" ]; then
		qargs+=(-drive "file=$VM_DISK,if=virtio,format=raw")
		[ -z "${VM_INITRD-}" ] || qargs+=(-initrd "$VM_INITRD")
	fi
	if [ "${NICS:-0}" = 2 ]; then
		for n in 0 1; do
			qargs+=(-netdev "hubport,id=n$n,hubid=0"
				-device "virtio-net-pci,netdev=n$n,mac=52:54:00:12:34:0$((n + 1))")
		done
	fi
}

# Nested KVM hangs on some hosts while the kernel decompresses; TCG always
# works.  Probe once per host kernel and QEMU version, bounded in time.
accel=tcg
case "${KVM:-auto}" in
on) accel=kvm ;;
auto)
	if [ -w /dev/kvm ]; then
		probe="$CACHE/kvm-probe-$(uname -r)-$(qemu-system-x86_64 --version | head -1 | tr -cd '0-9.')"
		if [ ! -f "$probe" ]; then
			mkdir -p "$CACHE" "$out/probe"
			echo true > "$out/probe/cmd"
			prc=0
			qemu_args kvm "$out/probe"
			timeout -k 5 30 qemu-system-x86_64 "${qargs[@]}" -serial null \
				</dev/null >/dev/null 2>&1 || prc=$?
			if [ "$(cat "$out/probe/status" 2>/dev/null)" = 0 ]; then
				echo kvm > "$probe"
			else	# the hang, or QEMU refusing KVM: remember it
				echo "tcg (probe exit $prc)" > "$probe"
			fi
			rm -rf "$out/probe"
		fi
		read -r accel _ < "$probe" 2>/dev/null || accel=tcg
	fi
	;;
esac

# ttyS0 (the first -serial) is the kernel console, to console.log; ttyS1,
# the command's terminal, is this process's stdio.
if [ $interactive = 1 ]; then
	tty=(-chardev "stdio,id=con,mux=on,signal=off" -serial chardev:con -mon "chardev=con,mode=readline")
	echo "vm: booting $release ($accel); the shell's 'exit' powers off, Ctrl-A x kills the VM"
else
	tty=(-chardev "stdio,id=con" -serial chardev:con)
	exec </dev/null		# no raw mode on the caller's terminal
fi

# An interactive guest runs as long as its user wants (and must stay in
# the terminal's foreground process group); any other is bounded.
limit=(timeout -k 10 "${VM_TIMEOUT:-600}")
[ $interactive = 1 ] && limit=()
qemu_args "$accel" "$out"
set +e
"${limit[@]}" qemu-system-x86_64 "${qargs[@]}" "${tty[@]}"
qrc=$?
set -e
if [ $interactive = 1 ]; then stty sane 2>/dev/null || true; fi

if [ -f "$out/status" ]; then
	exit "$(cat "$out/status")"
fi
if [ $qrc = 124 ] || [ $qrc = 137 ]; then
	echo "vm: guest killed after ${VM_TIMEOUT:-600} s (hung); kernel log: $out/console.log" >&2
	tail -n 30 "$out/console.log" >&2 2>/dev/null || true
	exit 124
fi
echo "vm: guest stopped without an exit status (failed to boot or crashed; qemu exit $qrc)." >&2
echo "vm: last kernel messages ($out/console.log):" >&2
tail -n 30 "$out/console.log" >&2 2>/dev/null || true
exit 1
