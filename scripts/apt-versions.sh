# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Sourced: the versions of a package that apt offers, parsed once here.
# offered PKG: each version, once; newest PKG: the highest by Debian's order.
offered() {
	apt-cache madison "$1" 2>/dev/null | awk -F'|' '{gsub(/ /, "", $2); if (!seen[$2]++) print $2}'
}
newest() {
	local v n=
	while read -r v; do
		if [ -z "$n" ] || dpkg --compare-versions "$v" gt "$n"; then n=$v; fi
	done < <(offered "$1")
	echo "$n"
}
