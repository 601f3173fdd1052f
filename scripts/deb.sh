#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make deb: linux-image and linux-headers packages of the fork, built by the
# kernel's bindeb-pkg from Debian's own configuration for amd64 (package
# linux-config-6.12 at the base's version) with configs/deb.config merged
# over it.  FLAVOR picks Debian's flavour: unset, amd64 (bare metal);
# cloud, cloud-amd64; rt, rt-amd64.  The packages land in
# $BUILD/deb-<flavour>/; then they are installed with dpkg -i next to
# Debian's own kernel package of the same flavour in a scratch Debian 12
# (as root; otherwise only unpacked and compared).
#
# napifork-tools: napi-queue (tools/net/ynl/napi-queue), its service, man
# page and bash completion, installable on any Debian 12 kernel.
#
# Next to the packages: kselftest-<release>.tar.xz, the selftests a host
# runs (docs/connectx.md), kselftest's own install of drivers/net,
# drivers/net/hw and drivers/net/virtio_net with net/lib's helpers, built
# against the fork's uapi headers; run_kselftest.sh runs it, no kernel
# tree needed.
#
# With "check" (make deb-check), the packaged kernel boots in the VM, with
# the package's modules, and runs the "deb" lines of tests/tests.list
# through check.sh from that tarball, not from the tree.  With "config" (make deb-config), it
# only writes the merged .config.
#
# usage: deb.sh BASE_VERSION [check|config]
set -euo pipefail

ver=$1 mode=${2-}
case "${FLAVOR-}" in
"") flavour=amd64 dconf=none_amd64 ;;
cloud) flavour=cloud-amd64 dconf=none_cloud-amd64 ;;
rt) flavour=rt-amd64 dconf=rt_amd64 ;;
*) echo "deb: FLAVOR=$FLAVOR: use cloud, rt or nothing" >&2; exit 2 ;;
esac
die() { echo "deb: $*" >&2; exit 1; }

out=$BUILD/deb-$flavour
obj=$out/obj
root=$out/root			# the scratch root, with the packages installed
stamp=$out/installed		# what is installed there, once all went well
# The tree the packages are built from: its content (the commit's tree, so
# that a reworded commit message does not count) and uncommitted changes.
treestate() { echo "$(git -C "$TREE" rev-parse 'HEAD^{tree}') $(git -C "$TREE" diff HEAD | sha1sum | cut -c1-12)"; }

if [ "$mode" = check ]; then
	read -r release built < "$stamp" 2>/dev/null ||
		die "no $flavour package installed in $root: run make deb${FLAVOR:+ FLAVOR=$FLAVOR} first"
	[ "$built" = "$(treestate)" ] ||
		die "the $flavour package was built from another state of $TREE: run make deb${FLAVOR:+ FLAVOR=$FLAVOR} again"
	bundle=$out/kselftest-$release.tar.xz
	[ -f "$bundle" ] || die "no $bundle: run make deb${FLAVOR:+ FLAVOR=$FLAVOR} again"
	rm -rf "$out/kselftest" && mkdir "$out/kselftest"
	tar -C "$out/kselftest" --strip-components=1 -xJf "$bundle"
	# As a host boots: the scratch root on a disk, through the initramfs
	# Debian's hooks built for the package (as root only: otherwise the
	# packages were only unpacked, and the kernel boots on the host's root).
	initrd=$root/boot/initrd.img-$release
	if [ -f "$initrd" ]; then
		install -m 0755 "$TOP/scripts/deb-init" "$root/usr/local/sbin/napifork-init"
		# For the "boot systemd" line: booted with systemd, the root runs
		# napi-queue.service on a file for the VM's first NIC, and
		# deb-systemd-check once it has started.
		if [ -x "$root/lib/systemd/systemd" ]; then
			install -m 0755 "$TOP/scripts/deb-systemd-check" "$root/usr/local/sbin/napifork-systemd-check"
			echo "52:54:00:12:34:01 all defer-hard-irqs 7 gro-flush-timeout 30us irq-suspend-timeout 2ms" \
				> "$root/etc/napi-queue.conf"
			cat > "$root/etc/systemd/system/napifork-check.service" <<-UNIT
			[Unit]
			Description=make deb-check: napi-queue.service under systemd
			After=napi-queue.service
			[Service]
			Type=oneshot
			ExecStart=/usr/local/sbin/napifork-systemd-check
			UNIT
			mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
			ln -sfn ../napifork-check.service "$root/etc/systemd/system/multi-user.target.wants/"
		fi
		img=$out/root.img
		rm -f "$img"
		mkfs.ext4 -q -F -L napifork -d "$root" "$img" "$(( $(du -sm "$root" | cut -f1) + 512 ))M" ||
			die "mkfs.ext4 -d $root failed"
		export VM_DISK=$img VM_INITRD=$initrd
		echo "deb-check: booting $root/boot/vmlinuz-$release with its initramfs, root on virtio-blk ($img); tests from ${bundle##*/}"
	else
		echo "deb-check: no $initrd (make deb ran without root): booting $root/boot/vmlinuz-$release on the host's root; tests from ${bundle##*/}"
	fi
	VARIANT=-deb-$flavour OBJ=$obj MODROOT=$root VM_KERNEL=$root/boot/vmlinuz-$release \
		KSFT_DIR=$out/kselftest CHECK_RUN=deb exec "$TOP/scripts/check.sh"
fi

# Debian's configuration, from the package of the base's version.
pkg=linux-config-6.12
cdeb=$CACHE/${pkg}_${ver}_amd64.deb
. "$TOP/scripts/lib.sh"
if [ ! -f "$cdeb" ]; then
	# Debian offers linux-config-6.12 at its newest version only.  Never
	# fall back to another version's configuration: say how to move.
	if ! offered "$pkg" | grep -qxF "$ver"; then
		newest=$(newest "$pkg")
		die "Debian no longer offers $pkg $ver, the configuration of the pinned base" \
		    "(offered: ${newest:-none; run apt-get update})." \
		    "Move the base${newest:+ to $newest} with 'make update-base', then make check and make deb."
	fi
	echo "deb: downloading $pkg=$ver"
	(cd "$CACHE" && apt-get download "$pkg=$ver") >/dev/null ||
		die "apt-get download $pkg=$ver failed"
fi
mkdir -p "$obj"
dpkg-deb --fsys-tarfile "$cdeb" |
	tar -xO "./usr/src/linux-config-6.12/config.amd64_$dconf.xz" | xz -d > "$out/debian.config.new"
if cmp -s "$out/debian.config.new" "$out/debian.config"; then
	rm "$out/debian.config.new"
else
	mv "$out/debian.config.new" "$out/debian.config"
fi
echo "CONFIG_LOCALVERSION=\"-$flavour\"" > "$out/flavour.config"

BASE_CONFIG=$out/debian.config OBJ=$obj "$TOP/scripts/config.sh" \
	"$TOP/configs/deb.config" "$out/flavour.config"
if [ "$mode" = config ]; then
	echo "deb-config: $obj/.config (Debian's $flavour configuration of $ver + configs/deb.config)"
	exit 0
fi
release=$(TREE=$TREE OBJ=$obj "$KMAKE" -s kernelrelease)
upstream=${ver%%-*}
echo "deb: building $release (Debian's $flavour configuration) in $obj"
rm -rf --one-file-system "$root" "$stamp" "$out"/*.deb "$out"/*.buildinfo "$out"/*.changes \
	"$out"/kselftest-*.tar.xz
state=$(treestate)
start=$SECONDS
# bindeb-pkg writes the packages to the parent of the object directory.
TREE=$TREE OBJ=$obj "$KMAKE" -s bindeb-pkg KDEB_PKGVERSION="$upstream-irqsusp1" \
	KDEB_SOURCENAME=linux-irqsusp KDEB_COMPRESS=xz DPKG_FLAGS=-d
echo "deb: built in $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s:"
for d in "$out"/*.deb; do
	printf '  %-60s %6s KiB  %s\n' "${d##*/}" "$(( $(stat -c %s "$d") / 1024 ))" \
		"$(dpkg-deb -f "$d" Package)"
done

# The selftest bundle: kselftest's install, against the package's uapi
# headers (net/lib, with the helpers, comes with the drivers/net targets).
TREE=$TREE OBJ=$obj "$KMAKE" -s headers
# net/lib installs tools/net/ynl whole (TEST_FILES): without what builds
# left there (make check's napi-queue, with ASan after DEBUG=1).
make -s -C "$TREE/tools/net/ynl" distclean > /dev/null
rm -rf "$out/ksft-build" "$out/kselftest-$release"
make -s -C "$TREE/tools/testing/selftests" O="$out/ksft-build" \
	TARGETS="drivers/net drivers/net/hw drivers/net/virtio_net" \
	KHDR_INCLUDES="-isystem $obj/usr/include" \
	install INSTALL_PATH="$out/kselftest-$release" > "$out/kselftest.log" 2>&1 ||
	{ tail -n 20 "$out/kselftest.log" >&2; die "selftest install failed (log: $out/kselftest.log)"; }
for f in drivers/net/hw/irq_suspend.py net/lib/napi_echo net/lib/napi_load run_kselftest.sh; do
	[ -x "$out/kselftest-$release/$f" ] || die "the selftest bundle lacks $f"
done
tar -C "$out" -cJf "$out/kselftest-$release.tar.xz" "kselftest-$release"
rm -rf "$out/ksft-build" "$out/kselftest-$release"
printf '  %-60s %6s KiB  %s\n' "kselftest-$release.tar.xz" \
	"$(( $(stat -c %s "$out/kselftest-$release.tar.xz") / 1024 ))" "selftests (run_kselftest.sh)"

toolsdeb=$("$TOP/scripts/deb-tools.sh" "$out" "$upstream-irqsusp1") || die "napifork-tools failed"
printf '  %-60s %6s KiB  %s\n' "${toolsdeb##*/}" "$(( $(stat -c %s "$toolsdeb") / 1024 ))" \
	"napifork-tools (napi-queue)"

ours=("$out"/linux-image-"$release"_*.deb "$out"/linux-headers-"$release"_*.deb)
for d in "${ours[@]}"; do [ -f "$d" ] || die "no package $d"; done
files() { dpkg-deb -c "$1" | awk '$1 !~ /^d/ { sub(/^\.\//, "/", $6); print $6 }'; }
files "${ours[0]}" | grep -x "/boot/vmlinuz-$release" >/dev/null ||
	die "no /boot/vmlinuz-$release in ${ours[0]##*/}"
mlx5=$(files "${ours[0]}" | grep '/mlx5_core\.ko') || die "no mlx5_core module in ${ours[0]##*/}"
ours+=("$toolsdeb")

# Debian's kernel of the same flavour, the one a host already has.
meta=linux-image-6.12-$flavour
stock=$(apt-cache depends "$meta" 2>/dev/null | awk '/Depends: linux-image-6\.12/ { print $2; exit }' || true)
[ -n "$stock" ] || die "no Debian kernel package behind $meta (apt-get update?)"
(cd "$out" && apt-get download "$stock") >/dev/null 2>&1 || die "apt-get download $stock failed"
stockdeb=$(ls "$out/${stock}"_*.deb)

mkdir -p "$root"
if [ "$(id -u)" != 0 ]; then
	# No chroot: no file of ours may be one of Debian's, which dpkg -i
	# would refuse; the packages are unpacked for make deb-check.
	both=$(comm -12 <(for d in "${ours[@]}"; do files "$d"; done | sort -u) \
			<(files "$stockdeb" | sort))
	[ -z "$both" ] || die "files in both the fork's and Debian's packages: $both"
	for d in "${ours[@]}"; do dpkg-deb -x "$d" "$root"; done
	echo "deb: no file in both the fork's packages and $stock"
	echo "deb: SKIP dpkg -i in a scratch Debian 12 (chroot needs root); packages unpacked into $root"
	echo "$release $state" > "$stamp"
	exit 0
fi

# dpkg -i as on a host, in a scratch Debian 12 (debootstrap minbase with
# what kernel packages need, cached as a tarball, renewed each calendar
# month) under chroot: Debian's kernel first, then ours.  dpkg refuses a
# file another package owns; the maintainer scripts run with the system's
# hooks (initramfs-tools builds an initramfs for each kernel).
# udev loads drivers at make deb-check's boot, as on a host, and systemd
# runs napi-queue.service at its "boot systemd" line.  The cache's
# name carries the package list, so that a new list makes a new root.
include=kmod,linux-base,initramfs-tools,zstd,udev,systemd,iproute2
scratch=$CACHE/scratch-bookworm-$(echo "$include" | sha1sum | cut -c1-8)-$(date +%Y%m).tar
if [ -f "$scratch" ]; then
	tar -C "$root" -xf "$scratch"
else
	command -v debootstrap >/dev/null || die "needs debootstrap: apt-get install debootstrap"
	echo "deb: debootstrap of a scratch Debian 12 (cached in $scratch)"
	debootstrap --variant=minbase --include="$include" \
		bookworm "$root" > "$out/debootstrap.log" 2>&1 ||
		die "debootstrap failed: $out/debootstrap.log"
	rm -f "$CACHE"/scratch-bookworm-*.tar
	tar -C "$root" -cf "$scratch.new" . || die "cannot write $scratch"
	mv "$scratch.new" "$scratch"
fi
mkdir -p "$root/tmp/deb"
cp "$stockdeb" "${ours[@]}" "$root/tmp/deb/"
inst() {	# LOG PACKAGE...: dpkg -i in the scratch root
	local log=$out/$1 d args=()
	shift
	for d; do args+=("/tmp/deb/${d##*/}"); done
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive dpkg -i "${args[@]}" > "$log" 2>&1 </dev/null ||
		{ tail -n 20 "$log" >&2; die "dpkg -i ${*##*/} failed in $root (log: $log)"; }
}
inst install-debian.log "$stockdeb"
inst install-fork.log "${ours[@]}"
chroot "$root" napi-queue --help > /dev/null || die "napi-queue does not run in $root"
rm -rf "$root/tmp/deb"
echo "deb: dpkg -i in a scratch Debian 12 ($root) next to $stock:"
# shellcheck disable=SC2016  # dpkg-query's format, not the shell's
chroot "$root" dpkg-query -W -f '${db:Status-Abbrev} ${Package} ${Version}\n' \
	'linux-image-*' 'linux-headers-*' napifork-tools | awk '$1 == "ii" { print "  installed:", $2, $3 }'
find "$root/boot" -type f -printf '  /boot/%P %k KiB\n' | sort
echo "  mlx5: $mlx5"
echo "$release $state" > "$stamp"
