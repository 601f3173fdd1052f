#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make deb: linux-image and linux-headers packages of the fork, built by the
# kernel's bindeb-pkg from Debian's own configuration for amd64 (package
# linux-config-6.12 at the base's version) with configs/deb.config merged
# over it.  FLAVOR picks Debian's flavour: unset, amd64 (bare metal);
# cloud, cloud-amd64; rt, rt-amd64.  The packages land in
# $BUILD/deb-<flavour>/; then they are unpacked with dpkg-deb into a
# scratch root next to Debian's own kernel package of the same flavour,
# with which they must share no file.
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

# Installs next to Debian's kernel of the same flavour: both unpacked into
# a scratch root with dpkg-deb (dpkg --root would chroot into it to run
# the maintainer scripts, which need a whole system); no file may be in
# both, as dpkg -i on a host would refuse it.
root=$out/root
rm -rf "$root"
mkdir -p "$root"
meta=linux-image-6.12-$flavour
stock=$(apt-cache depends "$meta" 2>/dev/null | awk '/Depends: linux-image-6\.12/ { print $2; exit }')
[ -n "$stock" ] || die "no Debian kernel package behind $meta (apt-get update?)"
(cd "$out" && rm -f "${stock}"_*.deb && apt-get download "$stock") >/dev/null 2>&1 ||
	die "apt-get download $stock failed"
ours=("$out"/linux-image-"$release"_*.deb "$out"/linux-headers-"$release"_*.deb)
for d in "${ours[@]}" "$out/${stock}"_*.deb; do
	[ -f "$d" ] || die "no package $d"
	dpkg-deb -x "$d" "$root"
done
files() { dpkg-deb -c "$1" | awk '$1 !~ /^d/ { print $6 }' | sort; }
both=$(comm -12 <(for d in "${ours[@]}"; do files "$d"; done | sort -u) \
		<(files "$out/${stock}"_*.deb))
[ -z "$both" ] || die "files in both the fork's and Debian's packages: $both"
mods=$root/lib/modules/$release
[ -f "$root/boot/vmlinuz-$release" ] || die "no /boot/vmlinuz-$release in the package"
mlx5=$(find "$mods" -name 'mlx5_core.ko*' -printf '%P\n')
[ -n "$mlx5" ] || die "no mlx5_core module in the package"
echo "deb: unpacked into $root next to $stock, no file in both:"
ls "$root/boot" | sed 's/^/  \/boot\//'
echo "  mlx5: lib/modules/$release/$mlx5"
