#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make test T=DIR:NAME[,DIR:NAME...]: the named tests in the VM, as make
# check runs them, without the lint gates and the benchmark.  DIR:NAME is
# a kselftest (drivers/net:napi_config.py); kunit:MODULE a KUnit suite
# module.  A test's line comes from tests/tests.list's check lines where it
# has one (its timeout); their build lines (helper programs) come with it.
set -euo pipefail

die() { echo "test: $*" >&2; exit 2; }
[ -n "${T-}" ] || die "name the tests: make test T=drivers/net:napi_config.py (kunit:MODULE for a KUnit suite)"

. "$TOP/scripts/lib.sh"
checks=$(list_select "$TOP/tests/tests.list" check)
list=$BUILD/test.list
IFS=, read -r -a names <<< "$T"
{
	grep -E '^build[[:space:]]' <<< "$checks" | sed 's/^/check /' || true
	for t in "${names[@]}"; do
		case $t in
		kunit:?*) echo "check kunit ${t#kunit:}" ;;
		?*:?*)
			d=${t%:*} n=${t##*:}
			[ -e "$TREE/tools/testing/selftests/$d/$n" ] ||
				[ -e "$TREE/tools/testing/selftests/$d/$n.c" ] ||
				die "no test $n in tools/testing/selftests/$d"
			awk -v d="$d" -v n="$n" '$1 == "kselftest" && $2 == d && $3 == n { print "check", $0; f = 1; exit }
				END { if (!f) print "check kselftest", d, n }' <<< "$checks" ;;
		*) die "$t: use DIR:NAME or kunit:MODULE" ;;
		esac
	done
} > "$list"
sed 's/^check /test: /' "$list"
CHECK_LIST=$list CHECK_STEPS=vm exec "$TOP/scripts/check.sh"
