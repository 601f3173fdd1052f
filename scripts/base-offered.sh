#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fail at once, naming the way out, when Debian no longer offers the pinned
# base (make check and make deb run this first): a fresh machine could not
# download it, and Debian's linux-config-6.12 of that version, which
# make deb needs, is gone long before.  A newer base is only reported.
# Without apt lists (apt-cache offers nothing) it cannot tell, and says so.
#
# usage: base-offered.sh BASE_VERSION
set -euo pipefail

cur=$1
pkg=linux-source-6.12
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
new=$(newest "$pkg")
if [ -z "$new" ]; then
	echo "base: apt offers no $pkg (no apt lists?); cannot tell whether $cur is still offered" >&2
	exit 0
fi
if ! offered "$pkg" | grep -qxF "$cur"; then
	echo "base: Debian no longer offers $pkg $cur, the pinned base (newest: $new)." >&2
	echo "base: move the base with 'make update-base', then make check and commit base.conf and patches/." >&2
	exit 1
fi
if [ "$new" != "$cur" ]; then
	echo "base: Debian offers a newer $pkg, $new (pinned: $cur); 'make update-base' moves to it"
fi
