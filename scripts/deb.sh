#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make deb: linux-image and linux-headers packages of the fork, built by the
# kernel's bindeb-pkg from Debian's own configuration for amd64 (package
# linux-config-6.12 at the base's version) with configs/deb.config merged
# over it.  FLAVOR picks Debian's flavour: unset, amd64 (bare metal);
# cloud, cloud-amd64; rt, rt-amd64.  The packages land in
# $BUILD/deb-<flavour>/; then they are unpacked with dpkg --root into a
# scratch root next to Debian's own kernel package of the same flavour,
# which must not conflict with them.
#
# usage: deb.sh BASE_VERSION
set -euo pipefail

ver=$1
case "${FLAVOR-}" in
"") flavour=amd64 dconf=none_amd64 ;;
cloud) flavour=cloud-amd64 dconf=none_cloud-amd64 ;;
rt) flavour=rt-amd64 dconf=rt_amd64 ;;
*) echo "deb: FLAVOR=$FLAVOR: use cloud, rt or nothing" >&2; exit 2 ;;
esac
die() { echo "deb: $*" >&2; exit 1; }

# Debian's configuration, from the package of the base's version.
pkg=linux-config-6.12
cdeb=$CACHE/${pkg}_${ver}_amd64.deb
if [ ! -f "$cdeb" ]; then
	echo "deb: downloading $pkg=$ver"
	(cd "$CACHE" && apt-get download "$pkg=$ver") >/dev/null ||
		die "apt-get download $pkg=$ver failed"
fi
out=$BUILD/deb-$flavour
obj=$out/obj
mkdir -p "$obj"
dpkg-deb --fsys-tarfile "$cdeb" |
	tar -xO "./usr/src/linux-config-6.12/config.amd64_$dconf.xz" | xz -d > "$out/debian.config.new"
cmp -s "$out/debian.config.new" "$out/debian.config" 2>/dev/null &&
	rm "$out/debian.config.new" || mv "$out/debian.config.new" "$out/debian.config"
echo "CONFIG_LOCALVERSION=\"-$flavour\"" > "$out/flavour.config"

BASE_CONFIG=$out/debian.config OBJ=$obj "$TOP/scripts/config.sh" \
	"$TOP/configs/deb.config" "$out/flavour.config"
release=$(TREE=$TREE OBJ=$obj "$KMAKE" -s kernelrelease)
upstream=${ver%%-*}
echo "deb: building $release (Debian's $flavour configuration) in $obj"
rm -f "$out"/*.deb "$out"/*.buildinfo "$out"/*.changes
start=$SECONDS
# bindeb-pkg writes the packages to the parent of the object directory.
TREE=$TREE OBJ=$obj "$KMAKE" -s bindeb-pkg KDEB_PKGVERSION="$upstream-irqsusp1" \
	KDEB_SOURCENAME=linux-irqsusp KDEB_COMPRESS=xz DPKG_FLAGS=-d
echo "deb: built in $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s:"
for d in "$out"/*.deb; do
	printf '  %-60s %6s KiB  %s\n' "${d##*/}" "$(( $(stat -c %s "$d") / 1024 ))" \
		"$(dpkg-deb -f "$d" Package)"
done

# Installs next to Debian's kernel: unpack both into a scratch root.
# (Unpack only: the maintainer scripts would run update-initramfs and
# the bootloader hooks in a chroot that has neither.)
root=$out/root
rm -rf "$root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
: > "$root/var/lib/dpkg/status"
stock=$(apt-cache depends "linux-image-$flavour" 2>/dev/null |
	awk '/Depends: linux-image-6\.12/ { print $2; exit }')
if [ -n "$stock" ]; then
	(cd "$out" && apt-get download "$stock") >/dev/null || stock=
fi
unpack=("$out"/linux-image-"$release"_*.deb "$out"/linux-headers-"$release"_*.deb)
[ -n "$stock" ] && unpack+=("$out/${stock}"_*.deb)
dpkg --root="$root" --force-not-root --force-depends --force-architecture \
	--unpack "${unpack[@]}" >/dev/null
mods=$root/lib/modules/$release
[ -f "$root/boot/vmlinuz-$release" ] || die "no /boot/vmlinuz-$release in the package"
find "$mods" -name 'mlx5_core.ko*' | grep -q . || die "no mlx5_core module in the package"
echo "deb: unpacked into $root next to ${stock:-(no stock kernel package found)}:"
ls "$root/boot" | sed 's/^/  \/boot\//'
echo "  mlx5: $(find "$mods" -name 'mlx5_core.ko*' -printf '%P\n')"
