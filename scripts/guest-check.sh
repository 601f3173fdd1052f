#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs in the VM: every entry of the test list, printing the test's own
# output as KTAP diagnostics ("# " lines) and one KTAP result line;
# results go to RESULTS as "pass|fail|skip<TAB>name<TAB>detail" for
# check.sh to count.
#
# usage: guest-check.sh LIST RESULTS
# Environment: TIMEOUT_SCALE=N multiplies the tests' timeouts; KSFT_DIR, a
# kselftest install (make deb's bundle), replaces the tree's selftests.
set -uo pipefail
list=$1 results=$2
: > "$results"
ksft=${KSFT_DIR:-$TREE/tools/testing/selftests}

. "$TOP/scripts/result.sh"

diag() { sed 's/^/# /'; }	# stdin, as KTAP diagnostic lines

kunit() {	# MODULE
	local mod=$1 log=/tmp/kunit-$1.log res rc seen
	seen=$(dmesg | wc -l)		# the suite's KTAP is what the module adds
	if ! modprobe "$mod"; then
		result fail "kunit $mod" "modprobe failed"
		return
	fi
	dmesg | tail -n +$((seen + 1)) > "$log"
	modprobe -r "$mod"
	res=$(python3 "$TREE/tools/testing/kunit/kunit.py" parse < "$log")
	rc=$?
	diag <<< "$res"
	res=$(grep -o 'Ran [0-9]* tests.*' <<< "$res")
	if [ $rc -eq 0 ]; then
		result pass "kunit $mod" "$res"
	else
		result fail "kunit $mod" "kunit.py parse exit $rc: $res"
	fi
}

# A module loads with no device present, and is signed where the kernel
# checks signatures: loading an unsigned module sets taint E (bit 13).
load() {	# MODULE
	local mod=$1 before after signer
	before=$(cat /proc/sys/kernel/tainted)
	if (( before & 8192 )); then
		result fail "modprobe $mod" "taint E set before: an unsigned module was loaded already"
		return
	fi
	if ! modprobe "$mod"; then
		result fail "modprobe $mod" "modprobe failed"
		return
	fi
	after=$(cat /proc/sys/kernel/tainted)
	signer=$(modinfo -F signer "$mod")
	modprobe -r "$mod"
	if (( after & 8192 )); then
		result fail "modprobe $mod" "loaded without a valid signature (taint E)"
	else
		result pass "modprobe $mod" "signer: ${signer:-none (unsigned)}"
	fi
}

kselftest() {	# DIR NAME [TIMEOUT]
	local sdir=$1 name=$2 timeout=${3-} test res out totals skipped
	# A slower kernel (DEBUG=1) scales every timeout: the list's, or the
	# directory's settings file's, or the runner's 45 s (0: none).
	if [ "${TIMEOUT_SCALE:-1}" -gt 1 ]; then
		[ -n "$timeout" ] ||
			timeout=$(sed -n 's/^timeout=//p' "$ksft/$sdir/settings" 2>/dev/null)
		timeout=$(( ${timeout:-45} * TIMEOUT_SCALE ))
	fi
	# The runner writes the test's output, and its own, to /dev/stdout.
	if [ -n "${KSFT_DIR-}" ]; then
		# An install (make deb's bundle): as a host runs it.
		res=$("$ksft/run_kselftest.sh" -t "$sdir:$name" ${timeout:+-o "$timeout"} 2>&1)
	else
		# The tree, which has no run_kselftest.sh: BASE_DIR and
		# kselftest_override_timeout are runner.sh's inputs, set as
		# run_kselftest.sh sets them.
		test=./$name
		[ -x "$BUILD/kselftest/$sdir/$name" ] && test=$BUILD/kselftest/$sdir/$name
		# shellcheck disable=SC1091,SC2034
		res=$( (set +u; cd "$ksft/$sdir" && BASE_DIR=$ksft && . "$ksft/kselftest/runner.sh" &&
			kselftest_override_timeout=$timeout && run_many "$test") 2>&1)
	fi
	# The test's own output and KTAP, as diagnostics of the suite's KTAP.
	diag <<< "$res"
	out=$(grep -E '^(not )?ok 1 ' <<< "$res")
	# A KTAP test that exits 0 with every case skipped (lib/py's
	# ksft_exit() does) is a skip, and skipped cases are named.
	totals=$(grep -oE 'Totals: pass:[0-9]+ .* skip:[0-9]+' <<< "$res" | tail -n 1)
	skipped=$(sed -n 's/.*skip:\([0-9]*\).*/\1/p' <<< "$totals")
	case "$out" in
	"not ok"*) result fail "kselftest $sdir/$name" "${out#*# }" ;;
	*"# SKIP"*) result skip "kselftest $sdir/$name" ;;
	"ok"*)
		if [[ $totals == "Totals: pass:0 "* && ${skipped:-0} -gt 0 ]]; then
			result skip "kselftest $sdir/$name" "every case skipped ($skipped)"
		elif [ "${skipped:-0}" -gt 0 ]; then
			result pass "kselftest $sdir/$name" "cases skipped: $skipped"
		else
			result pass "kselftest $sdir/$name"
		fi ;;
	*) result fail "kselftest $sdir/$name" "no result from the runner" ;;
	esac
}

# kmemleak (DEBUG=1): what boot left is not the tests' (clear forgets the
# objects scans reported, so scan first); at the end, the leaks of the run
# go to kmemleak.txt next to RESULTS, for check.sh's scan.
leaks=/sys/kernel/debug/kmemleak
if [ -w $leaks ]; then
	echo scan > $leaks && sleep 5 && echo scan > $leaks
	echo "# kmemleak: $(grep -c '^unreferenced object' $leaks) suspected leaks at boot, not counted"
	echo clear > $leaks
fi

while read -r kind a b rest; do
	case "$kind:$a:$b:$rest" in
	"":*|"#"*|build:*|boot:*) continue ;;	# build and boot lines: check.sh
	kunit:?*::) kunit "$a" ;;
	modprobe:?*::) load "$a" ;;
	kselftest:?*:?*:) kselftest "$a" "$b" ;;
	kselftest:?*:?*:timeout=[1-9]*) [[ $rest =~ ^timeout=[0-9]+$ ]] || {
		result fail "$kind $a $b $rest" "not a valid line of $list"; continue; }
		kselftest "$a" "$b" "${rest#timeout=}" ;;
	*) result fail "$kind $a $b $rest" "not a valid line of $list" ;;
	esac </dev/null
done < "$list"
if [ -w $leaks ]; then
	# Two scans: an object is reported once it was unreferenced in both.
	echo scan > $leaks && sleep 5 && echo scan > $leaks
	cat $leaks > "$(dirname "$results")/kmemleak.txt"
	echo "# kmemleak: $(grep -c '^unreferenced object' "$(dirname "$results")/kmemleak.txt") suspected leaks"
fi
exit 0	# the results file, not this status, says what passed
