#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make update-base: move the pinned base to the newest linux-source-6.12
# that apt offers.  The checksum comes from apt's index (signed by the
# archive's release key, checked by apt-get update).  The stack is
# re-applied to the new base with 3-way merging (make tree); if a patch
# does not apply, the tree goes back to the old base and nothing changes,
# and the report names the patch and its conflicting files.  On success,
# base.conf names the new base and patches/ is exported against it: both
# are ready to test (make check) and commit.
#
# usage: update-base.sh BASE_VERSION   (the pinned one, from base.conf)
set -euo pipefail

cur=$1
pkg=linux-source-6.12
say() { echo "update-base: $*"; }
die() { echo "update-base: $*" >&2; exit 1; }

. "$TOP/scripts/lib.sh"
new=$(newest "$pkg")
[ -n "$new" ] || die "apt offers no $pkg; run apt-get update"
if [ "$new" = "$cur" ]; then
	say "the base is already the newest $pkg apt offers ($cur)"
	exit 0
fi
dpkg --compare-versions "$new" gt "$cur" ||
	die "the pinned base $cur is newer than anything apt offers (newest: $new); run apt-get update"

# The tree must hold nothing patches/ lacks: it is re-applied from scratch.
if [ -e "$TREE/.git" ]; then
	"$TOP/scripts/stack.py" check "$TREE" "$PATCHES" >/dev/null 2>&1 ||
		die "$TREE holds work that patches/ lacks ('make export-check' names it); export or drop it first"
fi

sum=$(apt-cache show "$pkg=$new" | awk '/^SHA256: / { print $2; exit }')
[ -n "$sum" ] || die "apt's index has no SHA256 for $pkg=$new"
say "moving the base from $cur to $new (sha256 $sum, from apt's index)"
"$TOP/scripts/base.sh" "$new" "$sum" "$CACHE" >/dev/null

log=$BUILD/update-base.log
mkdir -p "$BUILD"
if ! make -s -C "$TOP" tree BASE_VERSION="$new" BASE_SHA256="$sum" > "$log" 2>&1; then
	patch=$(sed -n 's/.*patch \([^ ]*\.patch\) does not apply.*/\1/p' "$log" | head -n1)
	conflicts=$(git -C "$TREE" diff --name-only --diff-filter=U 2>/dev/null | sed 's/^/    /')
	git -C "$TREE" am --abort 2>/dev/null || true
	make -s -C "$TOP" tree >/dev/null 2>&1 ||
		say "could not put $TREE back on $cur; 'rm -rf $TREE && make tree' rebuilds it"
	echo "update-base: ${patch:-a patch} does not apply to $new, even with 3-way merging." >&2
	[ -z "$conflicts" ] || printf 'update-base: conflicting files:\n%s\n' "$conflicts" >&2
	echo "update-base: nothing changed (base.conf still names $cur; log: $log)." >&2
	echo "update-base: to resolve by hand: make tree BASE_VERSION='$new' BASE_SHA256=$sum" >&2
	echo "update-base: stops at that patch in $TREE; fix, 'git am --continue', apply the rest" >&2
	echo "update-base: with 'git am -3 patches/...', then edit base.conf and 'make export'." >&2
	exit 1
fi

sed -i -e "s/^BASE_VERSION = .*/BASE_VERSION = $new/" \
	-e "s/^BASE_SHA256 = .*/BASE_SHA256 = $sum/" "$TOP/base.conf"
make -s -C "$TOP" export
say "base.conf now names $new; patches/ re-exported against it:"
git -C "$TOP" diff --stat -- base.conf patches/ | tail -n 1 | sed 's/^/  /'
say "next: make check (and make deb), then commit base.conf and patches/"
