#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The W=1 C=1 (sparse) build gate: mlx5 and every object the stack's .c
# changes compile into, built in a separate object directory so the main
# build keeps its flags.  Fails on any warning the base does not also have
# (compared by file and message, without line numbers, which patches
# shift).  The base's warnings are computed only when the fork has any,
# once per base, config and target list, and cached.
set -euo pipefail

gate=$BUILD/gate
mkdir -p "$gate"

# The .c files the stack changes, committed or not, as the build sees them.
targets=(drivers/net/ethernet/mellanox/mlx5/core/)
while read -r f; do
	o=${f%.c}.o
	[[ $f == drivers/net/ethernet/mellanox/mlx5/core/* ]] && continue
	if [ -f "$OBJ/$o" ]; then
		targets+=("$o")
	else
		echo "gate: $f is not built in this configuration; not gated"
	fi
done < <(git -C "$TREE" diff --name-only --diff-filter=AM base -- '*.c'
	 git -C "$TREE" ls-files --others --exclude-standard -- '*.c')

# warnings SRC OBJDIR LOG: W=1 C=1 build of the targets; normalized warnings on stdout.
warnings() {
	local src=$1 obj=$2 log=$3 t rel
	mkdir -p "$obj"
	rel=$(realpath --relative-to="$obj" "$src")	# ccache's base_dir makes paths relative
	cp "$OBJ/.config" "$obj/.config"
	TREE=$src OBJ=$obj "$KMAKE" -s olddefconfig modules_prepare >/dev/null
	for t in "${targets[@]}"; do		# force the compiler and sparse to run
		if [[ $t == */ ]]; then
			[ -d "$obj/$t" ] && find "$obj/$t" -name '*.o' -delete
		else
			rm -f "$obj/$t"
		fi
	done
	# -Wno-error: CONFIG_WERROR would turn the first warning into a failed
	# build; the gate wants every warning, to compare with the base's.
	TREE=$src OBJ=$obj "$KMAKE" -k W=1 C=1 KCFLAGS=-Wno-error "${targets[@]}" > "$log" 2>&1 || true
	{ grep -E ': (warning|error): ' "$log" || true; } |
		sed -E -e "s#^($src|$obj|$rel)/##" -e 's/:[0-9]+(:[0-9]+)?: /: /' |
		sort			# a multiset: a second copy of a warning is new
}

warnings "$TREE" "$gate/fork" "$gate/fork.log" > "$gate/fork.warnings"
if grep -qE '(^|\s)(Error|error) [0-9]+|\*\*\*' "$gate/fork.log"; then
	grep -E ': error: |\*\*\*' "$gate/fork.log" | head -n 20
	echo "gate: the W=1 C=1 build of ${targets[*]} failed"
	exit 1
fi

if [ ! -s "$gate/fork.warnings" ]; then	# nothing to compare with the base
	echo "gate: ${#targets[@]} targets, 0 warnings"
	exit 0
fi

key=$( (echo "W=1 C=1 -Wno-error, v4"; git -C "$TREE" rev-parse base; cat "$OBJ/.config"; printf '%s\n' "${targets[@]}") |
	sha256sum | cut -c1-16)
baseline=$CACHE/gate-base-$key.warnings
if [ ! -f "$baseline" ]; then
	echo "gate: computing the base's warnings (once per base, config and targets)"
	git -C "$TREE" worktree remove --force "$gate/base-src" 2>/dev/null || true
	git -C "$TREE" worktree add -q --detach "$gate/base-src" base
	warnings "$gate/base-src" "$gate/base" "$gate/base.log" > "$baseline.$$"
	mv "$baseline.$$" "$baseline"
	git -C "$TREE" worktree remove --force "$gate/base-src"
	rm -rf "$gate/base"
fi

comm -13 "$baseline" "$gate/fork.warnings" > "$gate/new.warnings"
cat "$gate/new.warnings"
echo "gate: ${#targets[@]} targets, $(wc -l < "$gate/fork.warnings") warnings" \
	"($(wc -l < "$baseline") in the base), $(wc -l < "$gate/new.warnings") new"
[ ! -s "$gate/new.warnings" ]
