#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch Debian's linux-source-6.12 at the pinned version, verify its
# SHA-256 and turn it into a one-commit git repository in the cache.
# Prints the path of that repository.  Everything lives under $CACHE,
# outside any build tree, so `make clean` does not refetch.
#
# usage: base.sh VERSION SHA256 CACHE_DIR
set -euo pipefail

ver=$1 sum=$2 CACHE=$3
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cache=$CACHE
tag=$(base_tag "$ver")
pkg=linux-source-6.12
deb="$cache/${pkg}_${ver}_all.deb"
repo=$(base_repo "$ver")

die() { echo "base: $*" >&2; exit 1; }

mkdir -p "$cache"
if [ -d "$repo" ] && git -C "$repo" rev-parse -q --verify "refs/tags/$tag" >/dev/null; then
	echo "$repo"
	exit 0
fi

if [ ! -f "$deb" ]; then
	echo "base: downloading $pkg=$ver" >&2
	if ! fetch "$cache" "$pkg=$ver"; then
		avail=$(offered "$pkg" | xargs)
		die "$pkg version $ver is not offered by apt (offered: ${avail:-none; run apt-get update})." \
		    "Pick another 6.12.y with 'make BASE_VERSION=<version> BASE_SHA256=<sha256> ...'" \
		    "(or edit base.conf); the stack is then applied with 3-way merging."
	fi
fi

got=$(sha256sum "$deb" | cut -d' ' -f1)
if [ "$got" != "$sum" ]; then
	mv -f "$deb" "$deb.bad"
	die "checksum mismatch for $deb: expected $sum, got $got." \
	    "The download was moved to $deb.bad. If you moved BASE_VERSION, record its BASE_SHA256."
fi

echo "base: unpacking $pkg $ver" >&2
tmp=$(mktemp -d "$cache/unpack.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" ./usr/src/linux-source-6.12.tar.xz
mkdir "$tmp/src"
tar -xf "$tmp/usr/src/linux-source-6.12.tar.xz" -C "$tmp/src" --strip-components=1
rm -rf "${tmp:?}/usr"

# Debian appends a section to the top-level .gitignore that ignores
# everything ("/*" then "!/debian/"), which would hide every file and
# every new file from git.  Drop that section; it is the only
# difference between the base commit and the tarball.
python3 - "$tmp/src/.gitignore" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
s2, n = re.subn(r'\n#\n# Debian packaging: ignore everything.*\Z', '\n', s, flags=re.S)
if not n and '\n/*\n' in s:
    sys.exit(f"base: {p} ignores everything, in a form this script does not know")
open(p, 'w').write(s2.rstrip('\n') + '\n')
PY

cd "$tmp/src"
git init -q -b debian
git -c user.name="Debian linux-source" -c user.email="debian-kernel@lists.debian.org" \
    -c core.autocrlf=false add -A -f .
GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z" \
git -c user.name="Debian linux-source" -c user.email="debian-kernel@lists.debian.org" \
    commit -q -m "Debian $pkg $ver" -m "Unpacked from ${pkg}_${ver}_all.deb (sha256 $sum)," \
    -m "less the Debian packaging section of the top-level .gitignore."
git tag "$tag"
cd /
rm -rf "$repo"
mv "$tmp/src/.git" "$repo"
git --git-dir="$repo" config core.bare true
echo "$repo"
