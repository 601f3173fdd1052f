#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the tree at every patch of the stack in turn, to check that each
# patch builds on its own and adds no compiler warning (bisectability).
# Names the first patch that fails and stops there.
#
# Per patch, in a worktree of the fork tree (build/series/linux) with its
# own object directory (build/series/obj, the kernel's configuration):
#  - the objects of the .c files the patch changes, with W=1, and the
#    directories of the driver headers it changes;
#  - vmlinux when it changes net/, fs/ or include/;
#  - when it changes include/, also every object of the whole stack's .c
#    files that exists at that patch (the modules among them: netdevsim,
#    virtio_net, mlx5e, the KUnit suites), the users of the headers the
#    stack changes.  Other modules are not rebuilt.
# A warning is new if no earlier build of the run (the base's build of the
# same objects included) printed it; compared by file and message, without
# line numbers.  ccache makes a second run fast.
set -eEuo pipefail
# An unexpected failure (set -e) names its line rather than end the run
# in silence.
trap 'echo "series-build: stopped at line $LINENO: $BASH_COMMAND" | tee -a "${log:-/dev/null}" >&2' ERR

sb=$BUILD/series
wt=$sb/linux
obj=$sb/obj
log=$sb/series-build.log
mkdir -p "$sb/logs"
: > "$log"
say() { echo "$*" | tee -a "$log"; }

[ -f "$OBJ/.config" ] || { echo "series-build: no $OBJ/.config; run 'make kernel'" >&2; exit 1; }
mapfile -t commits < <(git -C "$TREE" rev-list --reverse base..HEAD)
[ -d "$wt/.git" ] || [ -f "$wt/.git" ] || git -C "$TREE" worktree add -q --detach "$wt" base
git -C "$wt" checkout -q --detach base
mkdir -p "$obj"
cp "$OBJ/.config" "$obj/.config"
km() { TREE=$wt OBJ=$obj "$KMAKE" "$@"; }
rel=$(realpath --relative-to="$obj" "$wt")	# ccache's base_dir makes paths relative
normalize() {
	{ grep -E ': (warning|error): ' "$1" || true; } |
		sed -E -e "s#^($wt|$obj|$rel)/##" -e 's/:[0-9]+(:[0-9]+)?: /: /' | sort -u
}
known=$sb/known.warnings

# The .o targets of the .c files and the directories of the driver
# headers that commit $1 changes, that this configuration builds.
targets() {
	local f
	while read -r f; do
		case $f in
		*.c)	if [ -f "$OBJ/${f%.c}.o" ]; then echo "${f%.c}.o"
			else echo "series-build: $f is not built in this configuration" >&2; fi ;;
		drivers/*.h) echo "$(dirname "$f")/" ;;
		esac
	done < <(git -C "$wt" diff --name-only --diff-filter=AM "$1^" "$1") | sort -u
}

# build NAME TARGET...: fails on a build error; new warnings on stdout.
build() {
	local l=$sb/logs/$1.log; shift
	if ! km -k KCFLAGS=-Wno-error "$@" > "$l" 2>&1; then
		grep -E ': error: |\*\*\*' "$l" | head -n 20 | sed 's/^/  /' | tee -a "$log"
		return 1
	fi
	normalize "$l" | comm -23 - "$known"
}

start=$SECONDS
say "series-build: the base, then ${#commits[@]} patches, in $wt"
all=()
for c in "${commits[@]}"; do
	mapfile -t -O "${#all[@]}" all < <(targets "$c" 2>/dev/null)
done
mapfile -t all < <(printf '%s\n' "${all[@]}" | sort -u)
mapfile -t base_targets < <(printf '%s\n' "${all[@]}" |
	while read -r t; do [ -e "$wt/${t%.o}.c" ] || [ -d "$wt/$t" ] && echo "$t"; done)
km -s olddefconfig
: > "$known"
build base vmlinux > /dev/null || { say "series-build: the base does not build"; exit 1; }
build base-w1 W=1 "${base_targets[@]}" > /dev/null || { say "series-build: the base does not build with W=1"; exit 1; }
{ normalize "$sb/logs/base.log"; normalize "$sb/logs/base-w1.log"; } | sort -u > "$known"
say "series-build: base built, $(wc -l < "$known") warnings known ($((SECONDS - start)) s)"

n=0
for c in "${commits[@]}"; do
	n=$((n + 1))
	t0=$SECONDS
	subject=$(git -C "$TREE" log -1 --format=%s "$c")
	git -C "$wt" checkout -q --detach "$c"
	mapfile -t objs < <(targets "$c")
	files=$(git -C "$wt" diff --name-only "$c^" "$c")
	steps=()
	new=$sb/new.warnings
	: > "$new"
	ok=1
	if [ ${#objs[@]} -gt 0 ]; then
		build "$n-w1" W=1 "${objs[@]}" >> "$new" || ok=0
		steps+=("${#objs[@]} objects W=1")
	fi
	if [ $ok = 1 ] && grep -qE '^(net|fs|include)/' <<< "$files"; then
		goals=(vmlinux)
		if grep -q '^include/' <<< "$files"; then
			for t in "${all[@]}"; do
				[[ $t == */ ]] || [ ! -e "$wt/${t%.o}.c" ] || goals+=("$t")
			done
		fi
		build "$n" "${goals[@]}" >> "$new" || ok=0
		if [ ${#goals[@]} -gt 1 ]; then
			steps+=("vmlinux + $((${#goals[@]} - 1)) stack objects")
		else
			steps+=(vmlinux)
		fi
	fi
	if [ $ok = 0 ]; then
		say "series-build: FAIL at patch $n/${#commits[@]}: $subject (does not build)"
		exit 1
	fi
	if [ -s "$new" ]; then
		sed 's/^/  /' "$new" | tee -a "$log"
		say "series-build: FAIL at patch $n/${#commits[@]}: $subject (adds $(sort -u "$new" | wc -l) warnings)"
		exit 1
	fi
	say "[$n/${#commits[@]}] ok ($((SECONDS - t0)) s; ${steps[*]:-nothing to build}): $subject"
done
say "series-build: all ${#commits[@]} patches build without new warnings ($((SECONDS - start)) s)"
