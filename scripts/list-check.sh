#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Validate a test list (tests/tests.list's format) on the host, before any
# build: every line names known runs and one of the known kinds, and a
# test that exists in the tree; a "deb" line neither builds nor loads
# KUnit (the bundle carries its programs; Debian's configuration has no
# KUnit).  Prints each bad line with its number; exits 1 if there is one.
#
# usage: list-check.sh LIST
set -uo pipefail

list=$1 bad=0 n=0
ksft=$TREE/tools/testing/selftests
while IFS= read -r line; do
	n=$((n + 1))
	read -r runs kind a b rest <<< "$line"
	case "$runs" in "" | "#"*) continue ;; esac
	why=
	IFS=, read -r -a rs <<< "$runs"
	for r in "${rs[@]}"; do
		case $r in
		check) [ "$kind" = boot ] && why="boot in the check run (it boots make deb's root)" ;;
		deb) case $kind in build | kunit) why="$kind in the deb run" ;; esac ;;
		*) why="unknown run '$r' (check, deb)" ;;
		esac
	done
	[ -z "$why" ] && case "$kind:$a:$b:$rest" in
	kunit:?*:: | modprobe:?*:: | boot:systemd::) ;;
	build:tools/?*:?*:*) [ -f "$TREE/$a/Makefile" ] || why="no Makefile in $a" ;;
	build:?*:?*:*) [ -d "$ksft/$a" ] || why="no selftests directory $a" ;;
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
