# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Sourced by check.sh and guest-check.sh, which set $results.
#
# result STATUS NAME [DETAIL]: record a test result in $results as
# "STATUS<TAB>NAME<TAB>DETAIL" and print it as a KTAP result line (the
# detail of a pass or a failure on a diagnostic line before it).  STATUS:
# pass, fail, skip.  Results are numbered on from KTAP_BASE (what the
# caller printed before, e.g. the host's results before the VM's).
result() {
	local n
	printf '%s\t%s\t%s\n' "$1" "$2" "${3-}" >> "${results:?}"
	n=$(( ${KTAP_BASE:-0} + $(wc -l < "$results") ))
	[ -z "${3-}" ] || [ "$1" = skip ] || echo "# $2: $3"
	case $1 in
	pass) echo "ok $n $2" ;;
	skip) echo "ok $n $2 # SKIP ${3-}" ;;
	*) echo "not ok $n $2" ;;
	esac
}
