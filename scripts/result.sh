# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Sourced by check.sh and guest-check.sh, which set $results.
#
# result STATUS NAME [DETAIL]: record a test result in $results as
# "STATUS<TAB>NAME<TAB>DETAIL" and print its line.  STATUS: pass, fail, skip.
result() {
	printf '%s\t%s\t%s\n' "$1" "$2" "${3-}" >> "${results:?}"
	case $1 in
	pass) echo "ok - $2${3:+ ($3)}" ;;
	skip) echo "ok - $2 # SKIP ${3-}" ;;
	*) echo "not ok - $2${3:+ ($3)}" ;;
	esac
}
