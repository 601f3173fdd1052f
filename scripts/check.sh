#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: the host-side gates, then the "check" lines of
# tests/tests.list in the VM, then a scan of the guest's kernel log.
# Prints KTAP, one result per test (each lint gate is one), and ends with
# "check: N passed, N failed, N skipped"; exits 1 if anything failed.
# CHECK_RUN picks other lines (make deb-check: deb); CHECK_LIST replaces
# tests/tests.list (make test writes one); CHECK_STEPS=vm (make test) runs
# only the list and the log scan.
set -uo pipefail

tests=${CHECK_LIST:-$TOP/tests/tests.list}
run=${CHECK_RUN:-check}
steps=${CHECK_STEPS:-all}
case $steps in all | vm) ;; *) echo "check: CHECK_STEPS=$steps: use all or vm" >&2; exit 2 ;; esac
dir=$BUILD/check${VARIANT-}
[ "$steps" = vm ] && dir=$BUILD/test${VARIANT-}	# make check's results stay
rm -rf "$dir" && mkdir -p "$dir"
results=$dir/results
: > "$results"

. "$TOP/scripts/result.sh"
. "$TOP/scripts/lib.sh"
# What this run runs, as "KIND ARGS..." lines: the guest reads this file.
list=$dir/tests.list
list_select "$tests" "$run" > "$list"
[ -s "$list" ] || { echo "check: no line of $tests runs in $run" >&2; exit 2; }
echo "KTAP version 1"	# no plan: the count is known at the end only

# The entries of a series or list file: no comments, no blank lines.
entries() { grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$1"; }

# Count the issues of a checkpatch log, less long lines in files that YNL
# generates (ynl-regen.sh output, regenerated and never edited by hand).
real_issues() {
	awk -v tree="$TREE" '
		/^(ERROR|WARNING|CHECK):/ { n++; t = $1; next }
		/^#[0-9]+: FILE: / && t ~ /LONG_LINE/ {
			split($3, f, ":")
			if (system("grep -qs YNL-GEN " tree "/" f[1]) == 0)
				n--
			t = ""
		}
		END { print n + 0 }' "$1"
}

# The host-side gates (not with CHECK_STEPS=vm).
lints() {
	# 1. checkpatch --strict on every patch of the stack.  The tree's history
	# is one commit (Debian's tarball), so checkpatch cannot look up the
	# mainline commits that Fixes: tags and provenance lines name.  The
	# stack's MAINTAINERS lines are all in one local patch near its end (so
	# that no other patch conflicts on MAINTAINERS), so the patches that add
	# files do not touch MAINTAINERS themselves.
	local p log n=0 ynl=0 bad=()
	while read -r p; do
		n=$((n + 1))
		log=$dir/checkpatch-${p%.patch}.log
		if (cd "$TREE" && scripts/checkpatch.pl --strict --no-color --show-types \
			--ignore UNKNOWN_COMMIT_ID,FILE_PATH_CHANGES "$PATCHES/$p") > "$log" 2>&1; then
			continue
		elif [ "$(real_issues "$log")" -eq 0 ]; then
			ynl=$((ynl + 1))	# only long lines in YNL-generated code
		else
			echo "# $p: $(grep -m1 '^total:' "$log")"
			sed -n '/^\(ERROR\|WARNING\|CHECK\)/,/^$/p' "$log" | sed 's/^/# /'
			bad+=("$p")
		fi
	done < <(entries "$PATCHES/series")
	if [ ${#bad[@]} -eq 0 ]; then
		result pass "checkpatch --strict" "$n patches; $ynl with long lines in YNL-generated code only"
	else
		result fail "checkpatch --strict" "${#bad[@]} of $n patches: ${bad[*]}"
	fi

	# The harness's own scripts pass shellcheck.
	if shellcheck "$TOP"/scripts/*.sh "$TOP"/scripts/{kmake,guest-init,deb-init,deb-systemd-check,napifork-tools.*} \
		> "$dir/shellcheck.log" 2>&1; then
		result pass "shellcheck scripts/"
	else
		sed 's/^/# /' "$dir/shellcheck.log" | tail -n 30
		result fail "shellcheck scripts/" "$(grep -c '^In ' "$dir/shellcheck.log") findings"
	fi

	# The guest log scan (step 5) on sample logs: it must see what it is for.
	if python3 "$TOP/scripts/splats_test.py" > "$dir/splats_test.log" 2>&1; then
		result pass "log scan self-test" "$(tail -n3 "$dir/splats_test.log" | grep -m1 '^Ran')"
	else
		sed 's/^/# /' "$dir/splats_test.log" | tail -n 30
		result fail "log scan self-test"
	fi

	# 2. W=1 C=1 build of mlx5 and of every object the stack touches: of the
	# default flavour, the one whose warnings the gate's baseline knows.
	if [ -n "${VARIANT-}" ]; then
		result skip "W=1 C=1 build gate" "the default flavour's gate; run make check"
	elif "$TOP/scripts/gate.sh" > "$dir/gate.log" 2>&1; then
		result pass "W=1 C=1 build gate" "$(tail -n1 "$dir/gate.log")"
	else
		sed 's/^/# /' "$dir/gate.log" | tail -n 40
		result fail "W=1 C=1 build gate" "$(tail -n1 "$dir/gate.log")"
	fi
}
[ "$steps" = vm ] || lints

# 3. C selftests are built on the host, against the fork's uapi headers;
# so are the helper programs that "build" lines name, in the tree, as
# kselftest's in-tree build does (the directory's .gitignore lists them).
# Not for a test bundle (KSFT_DIR, make deb-check): it carries its own.
khdr="-isystem $OBJ/usr/include"
[ -z "${KSFT_DIR-}" ] && while read -r kind sdir name rest; do
	if [ "$kind" = build ]; then
		read -r -a progs <<< "$name $rest"
		case $sdir in
		tools/*)		# a tool of the tree, with its own Makefile
			d=$TREE/$sdir args=("${progs[@]}") ;;
		*)
			d=$TREE/tools/testing/selftests/$sdir
			args=(OUTPUT="$d" KHDR_INCLUDES="$khdr" "${progs[@]/#/$d/}") ;;
		esac
		rm -f "${progs[@]/#/$d/}"	# never run a stale binary
		make -s -C "$d" "${args[@]}" > "$dir/build-${sdir//\//-}.log" 2>&1 ||
			{ sed 's/^/# /' "$dir/build-${sdir//\//-}.log"; result fail "build $sdir $name $rest"; }
		continue
	fi
	{ [ "$kind" = kselftest ] && [ -f "$TREE/tools/testing/selftests/$sdir/$name.c" ]; } || continue
	o=$BUILD/kselftest/$sdir
	mkdir -p "$o"
	rm -f "$o/$name"		# never run a stale binary
	make -s -C "$TREE/tools/testing/selftests/$sdir" OUTPUT="$o" \
		KHDR_INCLUDES="$khdr" "$o/$name" > "$dir/build-$name.log" 2>&1 ||
		{ sed 's/^/# /' "$dir/build-$name.log"; result fail "build kselftest $sdir/$name"; }
done < <(entries "$list")

# 4. The list, in the VM.
# Two virtio-net NICs joined by a hub, for the tests of real interrupts.
# A debug kernel under TCG runs several times slower.
timeout=1800 scale=1
[[ ${VARIANT-} == *-debug ]] && timeout=7200 scale=4

# "boot systemd" (make deb-check): the scratch root booted with systemd as
# init, which runs napi-queue.service and then deb-systemd-check; that
# reports on the console.  Before the list's VM, on the disk as deb.sh
# made it.
boot_systemd() {
	local name="boot systemd: napi-queue.service" log=$dir/systemd/console.log rc=0 last
	if [ -z "${VM_DISK-}" ]; then
		result skip "$name" "needs make deb's scratch root on a disk (make deb as root)"
		return
	fi
	NICS=2 VM_INIT=/lib/systemd/systemd VM_OUT=$dir/systemd VM_TIMEOUT=$((300 * scale)) \
		"$TOP/scripts/vm.sh" true > "$dir/systemd.log" 2>&1 || rc=$?
	grep -ao 'napifork-systemd: .*' "$log" 2>/dev/null | sed 's/^napifork-systemd: /# /; s/^# # /# /'
	last=$(grep -ao 'napifork-systemd: \(ok\|not ok\) .*' "$log" 2>/dev/null | tail -n1)
	case $last in
	*": ok "*) result pass "$name" "${last#*: ok }" ;;
	*": not ok "*) result fail "$name" "${last#*: not ok }" ;;
	*) [ $rc = 124 ] && last="timed out" || last="no result"
		result fail "$name" "$last; console: $log" ;;
	esac
}
while read -r kind a rest; do
	case "$kind:$a:$rest" in
	boot:systemd:) boot_systemd ;;
	esac
done < <(entries "$list")
NICS=2 VM_OUT=$dir/vm VM_TIMEOUT=${VM_TIMEOUT:-$timeout} "$TOP/scripts/vm.sh" \
	"STRESS_SECS=${STRESS_SECS:-60} TIMEOUT_SCALE=$scale KTAP_BASE=$(wc -l < "$results") ${KSFT_DIR:+KSFT_DIR=$KSFT_DIR} $TOP/scripts/guest-check.sh $list $dir/vm/results"
vrc=$?
[ -f "$dir/vm/results" ] && cat "$dir/vm/results" >> "$results"
want=$(entries "$list" | grep -cvE '^[[:space:]]*(build|boot)[[:space:]]')
got=$(wc -l < "$dir/vm/results" 2>/dev/null || echo 0)
if [ "$vrc" -ne 0 ] || [ "$got" -ne "$want" ]; then
	result fail "VM run" "exit $vrc, $got of $want tests reported"
fi

# 5. The guest's kernel log: any oops, WARN, KASAN, lockdep, kmemleak, stall
# or hung-task report fails, except a warning a test announced ("expect a
# WARNING: TEXT"), which must come.  kmemleak.txt: the leaks a scan at the
# end of the run found (DEBUG=1).
logs=()
for f in "$dir/vm/dmesg.txt" "$dir/vm/console.log" "$dir/vm/kmemleak.txt"; do [ -f "$f" ] && logs+=("$f"); done
if [ ${#logs[@]} -eq 0 ]; then
	result fail "guest kernel log clean" "no kernel log"
elif ! "$TOP/scripts/splats.py" "${logs[@]}" > "$dir/splats.txt"; then
	sed 's/^/# /' "$dir/splats.txt"
	result fail "guest kernel log clean" "$(head -n1 "$dir/splats.txt" | cut -c1-100)"
else
	result pass "guest kernel log clean"
fi

bench_smoke() {
	# 6. make bench QUICK=1: every packet-delivery mode produces numbers, and
	# the kernel log of that VM is clean too.  Not on a debug or RT kernel,
	# whose figures would mean nothing.
	if [ -n "${VARIANT-}" ]; then
		result skip "bench QUICK=1 smoke" "the default flavour's benchmark; run make check"
	elif BENCH_OUT=$dir/bench QUICK=1 "$TOP/scripts/bench.sh" > "$dir/bench.log" 2>&1 &&
		"$TOP/scripts/splats.py" "$dir/bench/matrix/dmesg.txt" > "$dir/bench-splats.txt"; then
		result pass "bench QUICK=1 smoke" "$(grep -m1 '^bench: measured' "$dir/bench.log")"
	else
		tail -n 30 "$dir/bench.log" "$dir/bench-splats.txt" 2>/dev/null | sed 's/^/# /'
		result fail "bench QUICK=1 smoke"
	fi
}
[ "$steps" = vm ] || bench_smoke

pass=$(grep -c '^pass' "$results")
fail=$(grep -c '^fail' "$results")
skip=$(grep -c '^skip' "$results")
echo "check: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
