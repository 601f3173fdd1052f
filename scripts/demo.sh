#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What `make run` shows without a terminal: the fork's release, and a
# netdevsim device with its queues and NAPIs as netdev-genl and the fork's
# napi-suspend family report them through YNL.  Runs in the VM.
set -euo pipefail

ynl() {	# FAMILY ARGS...
	local spec=$TREE/Documentation/netlink/specs/$1.yaml

	shift
	python3 "$TREE/tools/net/ynl/cli.py" --schema '' --spec "$spec" "$@"
}

echo "== uname -r"
uname -r

echo "== netdevsim device with 4 queues"
modprobe netdevsim
echo "1 1 4" > /sys/bus/netdevsim/new_device
udevadm settle 2>/dev/null || true
dev=$(ls /sys/bus/netdevsim/devices/netdevsim1/net/)
ip link set "$dev" up
ifindex=$(cat "/sys/class/net/$dev/ifindex")
ip -br link show "$dev"

echo "== ynl: queue-get (dump, ifindex $ifindex)"
ynl netdev --dump queue-get --json "{\"ifindex\": $ifindex}"
echo "== ynl: napi-get (dump, ifindex $ifindex)"
ynl netdev --dump napi-get --json "{\"ifindex\": $ifindex}"
echo "== ynl: napi-suspend napi-get (dump, ifindex $ifindex)"
ynl napi-suspend --dump napi-get --json "{\"ifindex\": $ifindex}"

echo 1 > /sys/bus/netdevsim/del_device
