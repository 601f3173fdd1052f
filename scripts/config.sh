#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Configure $OBJ: x86_64_defconfig (or $BASE_CONFIG, a whole .config such
# as Debian's) with the given fragments merged by the
# kernel's merge_config.sh.  Fails, naming the option, when a fragment asks
# for a value Kconfig did not keep (a missing dependency, a renamed symbol).
#
# usage: config.sh FRAGMENT...
set -euo pipefail

stamp="$OBJ/.config.inputs"
# The fragments, and the Kconfig files of the tree as committed or edited.
base=${BASE_CONFIG:-$TREE/arch/x86/configs/x86_64_defconfig}
inputs=$( (cat "$base" "$@"
	  git -C "$TREE" rev-parse HEAD
	  git -C "$TREE" diff HEAD -- '*Kconfig*') | sha256sum)
if [ -f "$OBJ/.config" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$inputs" ]; then
	exit 0
fi

mkdir -p "$OBJ"
log="$OBJ/.config.log"
echo "config: merging ${base##*/} $(printf '%s ' "${@##*/}")"
(cd "$TREE" && ARCH=x86_64 scripts/kconfig/merge_config.sh -m -O "$OBJ" \
	"$base" "$@") >"$log" 2>&1 ||
	{ cat "$log" >&2; exit 1; }
$KMAKE olddefconfig >>"$log" 2>&1 || { cat "$log" >&2; exit 1; }

# merge_config.sh only warns; a value of our fragments that did not survive
# is an error.  (In-tree fragments such as kvm_guest.config carry options
# for other architectures.)
ours=()
for f in "$@"; do
	case "$f" in "$TREE"/*) ;; *) ours+=("$f") ;; esac
done
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*) sym=${line%%=*} want=${line#*=} ;;
	"# CONFIG_"*" is not set") sym=${line#\# } sym=${sym%% *} want=n ;;
	*) continue ;;
	esac
	have=$(grep -E "^($sym=|# $sym is not set)" "$OBJ/.config" || true)
	case "$have" in
	"$sym=$want") ;;
	"# $sym is not set") [ "$want" = n ] || { echo "config: $sym=$want requested, not set" >&2; bad=1; } ;;
	*) { [ "$want" = n ] && [ -z "$have" ]; } || { echo "config: $sym=$want requested, got '${have:-nothing}'" >&2; bad=1; } ;;
	esac
done < <(cat "${ours[@]}" /dev/null | sed -e 's/[[:space:]]*$//' | grep -v '^[[:space:]]*$')
[ "$bad" = 0 ] || { echo "config: fix the fragments (see $log)" >&2; exit 1; }
echo "$inputs" > "$stamp"
