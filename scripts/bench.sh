#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: packet-delivery modes compared in the VM (bench/bench.py),
# then the table, CSV and plot (bench/report.py), in build/bench.
#
# BENCH_OUT: where (default build/bench).  QUICK=1: one repetition, two loads, memcached only, no MAX and no
# stock kernel; `make check` runs it as a smoke test.  Otherwise the full
# matrix, then the fast-path comparison: the stock base kernel (built once
# in build/obj-stock, same .config) and the fork with every feature off,
# booted alternately (BENCH_ONLY=fastpath: that part alone, with the last
# matrix).
set -euo pipefail

quick=${QUICK:-0}
out=${BENCH_OUT:-$BUILD/bench}
bin=$out/bin
reps=${BENCH_REPS:-3}
boots=${BENCH_FASTPATH_BOOTS:-2}

die() { echo "bench: $*" >&2; exit 1; }

# The programs, built on the host and run in the guest through /mnt-free
# paths (the guest sees the host's root as its own).
programs() {
	local sel=${TREE:?}/tools/testing/selftests/net/lib

	mkdir -p "$bin"
	gcc -O2 -Wall -Wextra -Werror -I"$sel" -o "$bin/mcload" "$TOP/bench/mcload.c" -lm
	gcc -O2 -Wall -Wextra -Werror -fPIC -shared -o "$bin/epoll_params.so" \
		"$TOP/bench/epoll_params.c" -ldl
	make -s -C "$sel" OUTPUT="$bin" KHDR_INCLUDES="-isystem $OBJ/usr/include" \
		"$bin/napi_echo" "$bin/napi_load"
	command -v memcached >/dev/null || die "memcached is missing (make deps)"
}

# The stock base kernel with the fork's configuration (the fork-only
# options drop out in olddefconfig).
stock() {
	local tree=$BUILD/stock obj=$BUILD/obj-stock mod=$BUILD/modroot-stock

	[ -e "$tree/.git" ] || git -C "$TREE" worktree add -q --detach "$tree" base
	mkdir -p "$obj"
	cmp -s "$OBJ/.config" "$obj/.config.fork" || {
		cp "$OBJ/.config" "$obj/.config"
		cp "$OBJ/.config" "$obj/.config.fork"
	}
	echo "bench: building the stock kernel in $obj"
	TREE=$tree OBJ=$obj "$KMAKE" -s olddefconfig bzImage modules
	TREE=$tree OBJ=$obj "$KMAKE" -s modules_install INSTALL_MOD_PATH="$mod" \
		INSTALL_MOD_STRIP=1 >/dev/null
}

vm() {	# $1: output directory, $2: command; OBJ and MODROOT pick the kernel
	rm -rf "$1" && mkdir -p "$1"
	NICS=2 VM_OUT=$1 VM_TIMEOUT=${VM_TIMEOUT:-2400} "$TOP/scripts/vm.sh" \
		"BENCH_BIN=$bin python3 $TOP/bench/bench.py $2"
}

programs
mkdir -p "$out"
start=$(date +%s)
rm -rf "$out"/fastpath-*
if [ "$quick" = 1 ]; then
	vm "$out/matrix" "matrix $out/matrix --quick --reps 1 --workloads memcached"
else
	# BENCH_ONLY=fastpath: keep the last matrix, measure the fast path again.
	if [ "${BENCH_ONLY:-}" != fastpath ] || [ ! -f "$out/matrix/points.jsonl" ]; then
		vm "$out/matrix" "matrix $out/matrix --reps $reps"
	fi
	stock
	# Half the fork's base saturation, for CPU per request.
	rate=$(python3 -c 'import json, sys
for ln in open(sys.argv[1]):
    p = json.loads(ln)
    if p["load"] == "saturation" and p["workload"] == "memcached":
        print(int(p["report"]["qps"] / 2)); break' "$out/matrix/points.jsonl")
	for i in $(seq "$boots"); do
		vm "$out/fastpath-fork-$i" "fastpath $out/fastpath-fork-$i --reps 2 --rate $rate"
		OBJ=$BUILD/obj-stock MODROOT=$BUILD/modroot-stock \
			vm "$out/fastpath-stock-$i" "fastpath $out/fastpath-stock-$i --reps 2 --rate $rate"
	done
fi
echo "bench: measured in $(( $(date +%s) - start )) s"
# Debian's python3, where python3-matplotlib is.
report=("$TOP/bench/report.py" "$out")
[ "$quick" = 1 ] && report+=(--quick)
/usr/bin/python3 "${report[@]}"
