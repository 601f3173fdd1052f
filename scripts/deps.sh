#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages the harness needs when they are missing:
# as root with apt-get, otherwise print the exact command and stop.  With
# "tree", only what make tree needs: fetch the base with apt, check and
# unpack it, and apply the stack with git.
#
# usage: deps.sh [tree]
set -euo pipefail

# command-or-file:package
tree=(
	apt-get:apt dpkg-deb:dpkg xz:xz-utils sha256sum:coreutils
	python3:python3 git:git
)
rest=(
	gcc:build-essential make:make flex:flex bison:bison bc:bc
	/usr/include/libelf.h:libelf-dev /usr/include/openssl/ssl.h:libssl-dev
	pahole:dwarves cpio:cpio rsync:rsync
	ccache:ccache sparse:sparse shellcheck:shellcheck
	/usr/include/sys/capability.h:libcap-dev
	qemu-system-x86_64:qemu-system-x86
	/usr/lib/python3/dist-packages/yaml:python3-yaml
	perl:perl /usr/lib/python3/dist-packages/ply:python3-ply
	dpkg-buildpackage:dpkg-dev dh_listpackages:debhelper
	ip:iproute2 ethtool:ethtool modprobe:kmod udevadm:udev ping:iputils-ping
	stdbuf:coreutils timeout:coreutils
	/usr/sbin/sshd:openssh-server ssh:openssh-client debootstrap:debootstrap
	memcached:memcached /usr/lib/python3/dist-packages/matplotlib:python3-matplotlib
)
case ${1-} in
"") need=("${tree[@]}" "${rest[@]}") ;;
tree) need=("${tree[@]}") ;;
*) echo "deps: $1: use tree or nothing" >&2; exit 2 ;;
esac

missing=()
for item in "${need[@]}"; do
	what=${item%%:*} pkg=${item#*:}
	if [[ $what == /* ]]; then
		[ -e "$what" ] && continue
	else
		command -v "$what" >/dev/null && continue
	fi
	[[ " ${missing[*]-} " == *" $pkg "* ]] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

line="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages; run as root:" >&2
	echo "  $line" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$line >/dev/null || { apt-get update -q >/dev/null && $line >/dev/null; } ||
	{ echo "deps: '$line' failed" >&2; exit 1; }
