# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Sourced by the harness's scripts: the values they derive, derived once.

# The cache of downloads and base repositories, outside build/ (make clean
# keeps it); the Makefile exports the same default.
CACHE=${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/napifork}

# base_tag VERSION: the tag of a base's commit (git refuses "~" in names).
base_tag() { echo "base-${1//\~/_}"; }

# base_repo VERSION: the one-commit repository base.sh makes of a base.
base_repo() { echo "$CACHE/base-$1.git"; }

# offered PKG: each version of PKG that apt offers, once, as apt lists them.
offered() {
	apt-cache madison "$1" 2>/dev/null | awk -F'|' '{gsub(/ /, "", $2); if (!seen[$2]++) print $2}'
}

# newest PKG: the highest version offered, by Debian's order.
newest() {
	local v n=
	while read -r v; do
		if [ -z "$n" ] || dpkg --compare-versions "$v" gt "$n"; then n=$v; fi
	done < <(offered "$1")
	echo "$n"
}

# fetch DIR PKG[=VERSION]: apt-get download into DIR.  On failure, says
# which versions apt offers and returns 1.
fetch() {
	local dir=$1 spec=$2 log
	log=$(cd "$dir" && apt-get download "$spec" 2>&1) && return 0
	echo "$log" >&2
	echo "apt-get download $spec failed; apt offers ${spec%%=*}:" \
		"$(offered "${spec%%=*}" | xargs)" >&2
	return 1
}

# list_select LIST RUN: the lines of a test list (tests/tests.list) that
# belong to RUN, without the runs column: "KIND ARGS...".  The one parser
# of the list; list-check.sh validates what it selects.
list_select() {
	awk -v run="$2" '
		/^[[:space:]]*(#|$)/ { next }
		{
			n = split($1, r, ",")
			for (i = 1; i <= n; i++)
				if (r[i] == run) {
					sub(/^[[:space:]]*[^[:space:]]+[[:space:]]+/, "")
					print
					next
				}
		}' "$1"
}
