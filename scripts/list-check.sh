#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Validate a test list (tests/check.list's format) on the host, before any
# build: every line is one of the known kinds, and names a test that
# exists (a kselftest in the tree, or in KSFT_DIR for a bundle).  Prints
# each bad line with its number; exits 1 if there is one.
#
# usage: list-check.sh LIST
set -uo pipefail

list=$1 bad=0 n=0
ksft=${KSFT_DIR:-$TREE/tools/testing/selftests}
while IFS= read -r line; do
	n=$((n + 1))
	read -r kind a b rest <<< "$line"
	case "$kind" in "" | "#"*) continue ;; esac
	why=
	case "$kind:$a:$b:$rest" in
	kunit:?*:: | modprobe:?*::) ;;
	build:?*:?*:*) [ -d "$TREE/tools/testing/selftests/$a" ] || why="no selftests directory $a" ;;
	kselftest:?*:?*: | kselftest:?*:?*:timeout=[1-9]*)
		if [[ -n $rest && ! $rest =~ ^timeout=[0-9]+$ ]]; then
			why="bad timeout"
		elif [ ! -e "$ksft/$a/$b" ] && [ ! -e "$ksft/$a/$b.c" ]; then
			why="no test $a/$b in $ksft"
		fi ;;
	*) why="unknown kind or wrong arguments" ;;
	esac
	if [ -n "$why" ]; then
		echo "$list:$n: $why: $line" >&2
		bad=1
	fi
done < "$list"
exit $bad
