#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make rebase-check: apply the stack to every linux-source-6.12 version
# Debian offers (or to $VERSIONS) and say, per version, whether it
# "applies cleanly" (plain git am, context exact at the recorded lines),
# "applies with offsets" (plain git am, hunks found elsewhere),
# "applies with 3-way" (git am -3 needed) or "fails at PATCH".  Each base
# comes from base.sh (cached).  The pinned base is always checked first:
# 3-way merging needs the patches' preimage blobs, which the stack on the
# pinned base creates.  One scratch repository under $BUILD borrows
# the bases' objects (alternates) and is removed afterwards.  Prints a
# markdown table, also written to $BUILD/rebase-check.md.  A stack that
# fails is a result; exits 1 only when a version could not be checked.
#
# usage: rebase-check.sh BASE_VERSION BASE_SHA256   (the pinned base)
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 BASE_VERSION BASE_SHA256" >&2; exit 2; }
base_ver=$1 base_sum=$2
TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${BUILD:-$TOP/build}
PATCHES=${PATCHES:-$TOP/patches}
# shellcheck source=scripts/lib.sh
. "$TOP/scripts/lib.sh"
pkg=linux-source-6.12
scratch=$BUILD/rebase-check
report=$BUILD/rebase-check.md

say() { echo "rebase-check: $*" >&2; }
die() { say "$*"; exit 1; }
# "a, b, c and N more"
names() { local IFS=,; if [ $# -gt 3 ]; then echo "${*:1:3} and $(($# - 3)) more"; else echo "$*"; fi | sed 's/,/, /g'; }

# The series, parsed by stack.py itself.
mapfile -t series < <(PYTHONDONTWRITEBYTECODE=1 python3 -c \
	'import sys; sys.path.insert(0, sys.argv[1]); import stack; print(*stack.patch_names(sys.argv[2]), sep="\n")' \
	"$TOP/scripts" "$PATCHES")
[ ${#series[@]} -gt 0 ] || die "$PATCHES/series names no patches"
for p in "${series[@]}"; do [ -f "$PATCHES/$p" ] || die "$PATCHES/series names $p, which does not exist"; done

if [ -n "${VERSIONS:-}" ]; then
	read -ra versions <<< "$VERSIONS"
else
	mapfile -t versions < <(offered "$pkg")
	[ ${#versions[@]} -gt 0 ] || die "apt offers no $pkg; run apt-get update"
fi
# The pinned base first, always: applying the stack there creates the blobs
# the later patches were made against, which 3-way merging needs elsewhere.
others=()
for v in "${versions[@]}"; do [ "$v" = "$base_ver" ] || others+=("$v"); done
versions=("$base_ver" "${others[@]}")

# The scratch repository starts as a shared clone of the pinned base.
pinned=$(nice -n 10 "$TOP/scripts/base.sh" "$base_ver" "$base_sum" "$CACHE") ||
	die "cannot get the pinned base $base_ver, which 3-way merging needs"
rm -rf "$scratch"
trap 'rm -rf "$scratch"' EXIT
git clone -q --shared --no-checkout "$pinned" "$scratch"
g() { git -C "$scratch" "$@"; }
g config user.name napifork && g config user.email napifork@localhost && g config gc.auto 0

rows=() errors=()
for ver in "${versions[@]}"; do
	start=$SECONDS
	sum=$base_sum
	[ "$ver" = "$base_ver" ] ||
		sum=$(apt-cache show "$pkg=$ver" 2>/dev/null | awk '/^SHA256:/{print $2; exit}') || true
	if ! repo=$(nice -n 10 "$TOP/scripts/base.sh" "$ver" "$sum" "$CACHE"); then
		errors+=("$ver"); rows+=("| $ver | not checked | base.sh failed: see its message above |")
		continue
	fi
	# Borrow the version's objects (no copy), check out its base.
	grep -qxF "$repo/objects" "$scratch/.git/objects/info/alternates" ||
		echo "$repo/objects" >> "$scratch/.git/objects/info/alternates"
	g checkout -q -f --detach "$(git --git-dir="$repo" rev-parse "refs/tags/$(base_tag "$ver")^{commit}")"
	g clean -q -fdx
	say "$ver: applying ${#series[@]} patches"
	moved=() merged=() failed=
	for p in "${series[@]}"; do
		if out=$(g apply --check -v "$PATCHES/$p" 2>&1) && g am -q --no-3way --keep-cr "$PATCHES/$p" >/dev/null 2>&1; then
			grep -q '^Hunk #.* (offset ' <<< "$out" && moved+=("$p")
			continue
		fi
		[ ! -d "$scratch/.git/rebase-apply" ] || g am --abort
		if g am -q --3way --keep-cr "$PATCHES/$p" > "$scratch/.git/am.log" 2>&1; then
			merged+=("$p")
			continue
		fi
		mapfile -t conflicts < <(g diff --name-only --diff-filter=U)
		failed="fails at $p"
		if [ ${#conflicts[@]} -gt 0 ]; then
			detail="conflicts in $(names "${conflicts[@]}")"
		else
			detail=$(grep -m1 '^error:' "$scratch/.git/am.log" || tail -n1 "$scratch/.git/am.log")
		fi
		g am --abort
		break
	done
	if [ -n "$failed" ]; then
		result=$failed
	elif [ ${#merged[@]} -gt 0 ]; then
		result="applies with 3-way" detail="3-way needed by $(names "${merged[@]}")"
	elif [ ${#moved[@]} -gt 0 ]; then
		result="applies with offsets" detail="hunks moved in $(names "${moved[@]}")"
	else
		result="applies cleanly" detail="${#series[@]} patches"
	fi
	[ "$ver" != "$base_ver" ] || detail="$detail (the pinned base)"
	say "$ver: $result ($((SECONDS - start))s)"
	rows+=("| $ver | $result | ${detail//|/\\|} |")
done

{
	echo "| version | result | detail |"
	echo "|---|---|---|"
	printf '%s\n' "${rows[@]}"
} | tee "$report"
say "table written to $report"
[ ${#errors[@]} -eq 0 ] || die "not checked (infrastructure error): ${errors[*]}"
