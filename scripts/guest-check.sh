#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs in the VM: every entry of the test list, printing the test's own
# output and one result line; results go to RESULTS as
# "pass|fail|skip<TAB>name<TAB>detail" for check.sh to count.
#
# usage: guest-check.sh LIST RESULTS
set -uo pipefail
list=$1 results=$2
: > "$results"
ksft=$TREE/tools/testing/selftests

result() {
	printf '%s\t%s\t%s\n' "$1" "$2" "${3-}" >> "$results"
	case $1 in
	pass) echo "ok - $2${3:+ ($3)}" ;;
	skip) echo "ok - $2 # SKIP ${3-}" ;;
	*) echo "not ok - $2${3:+ ($3)}" ;;
	esac
}

kunit() {	# MODULE
	local mod=$1 log=/tmp/kunit-$1.log rc
	dmesg -C
	if ! modprobe "$mod"; then
		result fail "kunit $mod" "modprobe failed"
		return
	fi
	dmesg > "$log"
	modprobe -r "$mod"
	python3 "$TREE/tools/testing/kunit/kunit.py" parse < "$log"
	rc=$?
	if [ $rc -eq 0 ]; then
		result pass "kunit $mod" "$(grep -cE '^\[.*\] +ok [0-9]+ ' "$log") results"
	else
		result fail "kunit $mod" "kunit.py parse exit $rc"
	fi
}

kselftest() {	# DIR NAME
	local sdir=$1 name=$2 test out
	test=./$name
	[ -x "$BUILD/kselftest/$sdir/$name" ] && test=$BUILD/kselftest/$sdir/$name
	out=$( (cd "$ksft/$sdir" && BASE_DIR=$ksft && . "$ksft/kselftest/runner.sh" &&
		run_many "$test") 2>&1 | tee /dev/stderr | grep -E '^(not )?ok 1 ')
	case "$out" in
	"not ok"*) result fail "kselftest $sdir/$name" "${out#*# }" ;;
	*"# SKIP"*) result skip "kselftest $sdir/$name" ;;
	"ok"*) result pass "kselftest $sdir/$name" ;;
	*) result fail "kselftest $sdir/$name" "no result from the runner" ;;
	esac
}

while read -r kind args; do
	case "$kind" in
	""|"#"*) continue ;;
	kunit) kunit $args ;;
	kselftest) kselftest $args ;;
	*) result fail "$kind $args" "unknown kind '$kind' in $list" ;;
	esac
done < "$list"
