#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The napifork-tools package: napi-queue (tools/net/ynl/napi-queue of the
# tree), its service, man page and bash completion, from the tool's make
# install; built in the tree, as tools/net/ynl builds.  Its maintainer
# scripts are scripts/napifork-tools.*.  Prints the package's path.
#
# usage: deb-tools.sh OUTDIR VERSION
set -euo pipefail

out=$1 version=$2
die() { echo "deb-tools: $*" >&2; exit 1; }
tools=$out/napifork-tools
deb=$out/napifork-tools_${version}_amd64.deb
log=$out/napifork-tools.log

rm -rf "$tools" "$deb" && mkdir -p "$tools/DEBIAN"
# From clean, without ASan: make check DEBUG=1 builds the tree's copy with
# it (DEBUG=1 reaches the tool's Makefile), and a package must not ship that.
{ make -s -C "$TREE/tools/net/ynl/napi-queue" clean &&
  make -s -C "$TREE/tools/net/ynl/napi-queue" DEBUG=0 &&
  make -s -C "$TREE/tools/net/ynl/napi-queue" DEBUG=0 install DESTDIR="$tools" prefix=/usr; } \
	> "$log" 2>&1 ||
	{ tail -n 20 "$log" >&2; die "napi-queue failed to build (log: $log)"; }
# The unit must start the program the package installs.
unit=$tools/usr/lib/systemd/system/napi-queue.service
exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit")
if [ -z "$exe" ] || [ ! -x "$tools$exe" ]; then
	die "napi-queue.service starts '$exe', which the package does not install"
fi
# And systemd's own check of it, where systemd-analyze is: it warns about
# a setting it cannot parse without failing, so any output fails here.
if command -v systemd-analyze > /dev/null; then
	sed "s|^ExecStart=$exe|ExecStart=$tools$exe|" "$unit" > "$out/napi-queue.service"
	msg=$(systemd-analyze verify --man=no "$out/napi-queue.service" 2>&1) || true
	rm -f "$out/napi-queue.service"
	[ -z "$msg" ] || die "systemd-analyze verify napi-queue.service: $msg"
fi
gzip -9n "$tools/usr/share/man/man8/napi-queue.8"
install -d "$tools/usr/share/doc/napifork-tools"
cat > "$tools/usr/share/doc/napifork-tools/copyright" <<COPYRIGHT
napi-queue, from the IRQ-suspension fork of Linux 6.12
(tools/net/ynl/napi-queue in its kernel tree).

License: napi-queue.c GPL-2.0 OR BSD-3-Clause, the rest GPL-2.0; see
/usr/share/common-licenses/GPL-2 and /usr/share/common-licenses/BSD.
COPYRIGHT
libc=$(dpkg-query -W -f '${Version}' libc6)
cat > "$tools/DEBIAN/control" <<CONTROL
Package: napifork-tools
Version: $version
Architecture: amd64
Maintainer: $(git -C "$TREE" log -1 --format='%an <%ae>')
Section: net
Priority: optional
Depends: libc6 (>= ${libc%%-*})
Description: per-queue NAPI settings for network devices
 napi-queue shows and sets the NAPI settings (defer-hard-irqs,
 gro-flush-timeout, irq-suspend-timeout) of a network device's RX queues
 through the netdev generic netlink family, and with the IRQ-suspension
 fork of Linux 6.12 shows each NAPI's suspension state and counters.
 napi-queue.service applies /etc/napi-queue.conf to each device as it
 comes up.  Setting needs Linux 6.13 or the fork; showing works on 6.12.
CONTROL
for script in postinst prerm postrm; do
	install -m 0755 "$TOP/scripts/napifork-tools.$script" "$tools/DEBIAN/$script"
done
dpkg-deb --root-owner-group -Zxz --build "$tools" "$deb" > /dev/null ||
	die "dpkg-deb --build $tools failed"
rm -rf "$tools"
echo "$deb"
