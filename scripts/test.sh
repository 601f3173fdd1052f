#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make test T=DIR:NAME[,DIR:NAME...]: the named tests in the VM, as make
# check runs them, without the lint gates and the benchmark.  DIR:NAME is
# a kselftest (drivers/net:napi_config.py); kunit:MODULE a KUnit suite
# module.  A test's line comes from tests/check.list where it has one (its
# timeout); the list's build lines (helper programs) come with it.
set -euo pipefail

die() { echo "test: $*" >&2; exit 2; }
[ -n "${T-}" ] || die "name the tests: make test T=drivers/net:napi_config.py (kunit:MODULE for a KUnit suite)"

checklist=$TOP/tests/check.list
list=$BUILD/test.list
IFS=, read -r -a names <<< "$T"
{
	grep -E '^[[:space:]]*build[[:space:]]' "$checklist" || true
	for t in "${names[@]}"; do
		case $t in
		kunit:?*) echo "kunit ${t#kunit:}" ;;
		?*:?*)
			d=${t%:*} n=${t##*:}
			[ -e "$TREE/tools/testing/selftests/$d/$n" ] ||
				[ -e "$TREE/tools/testing/selftests/$d/$n.c" ] ||
				die "no test $n in tools/testing/selftests/$d"
			awk -v d="$d" -v n="$n" '$1 == "kselftest" && $2 == d && $3 == n { print; f = 1; exit }
				END { if (!f) print "kselftest", d, n }' "$checklist" ;;
		*) die "$t: use DIR:NAME or kunit:MODULE" ;;
		esac
	done
} > "$list"
sed 's/^/test: /' "$list"
CHECK_LIST=$list CHECK_STEPS=vm exec "$TOP/scripts/check.sh"
