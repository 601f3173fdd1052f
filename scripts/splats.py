#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Print the kernel splats of guest logs, minus the ones a test announced.

A test that provokes a warning on purpose first logs "expect a WARNING:
TEXT".  The next WARNING whose message (the lines just above it) contains
TEXT is expected and not printed; an announced warning that never comes is
printed as "missing: TEXT".  Exit 1 if anything was printed."""
import re
import sys

SPLAT = re.compile(r'WARNING:|BUG:|Oops|kernel BUG at|general protection fault|'
                   r'possible circular locking|possible recursive locking|'
                   r'inconsistent lock state|suspicious RCU usage|'
                   r'INFO: task .* blocked for more than|'
                   r'rcu: INFO: rcu_.* detected stalls|'
                   r'rcu: INFO: rcu_.* self-detected stall|hard LOCKUP|'
                   r'Kernel panic|UBSAN:|KASAN:|ODEBUG:|'
                   r'unreferenced object 0x|'
                   r'ref_tracker: |unregister_netdevice: waiting for')
EXPECT = re.compile(r'expect a WARNING: (.*\S)')


def scan(path):
    found = []
    pending = []
    lines = open(path, errors='replace').read().splitlines()
    for i, line in enumerate(lines):
        m = EXPECT.search(line)
        if m:
            pending.append(m.group(1))
            continue
        if not SPLAT.search(line):
            continue
        if 'WARNING:' in line:
            above = '\n'.join(lines[max(0, i - 3):i])
            hit = next((t for t in pending if t in above), None)
            if hit is not None:
                pending.remove(hit)
                continue
        found.append(f'{path}: {line.strip()}')
    found += [f'{path}: missing: {t}' for t in pending]
    return found


out = [s for p in sys.argv[1:] for s in scan(p)]
print('\n'.join(out[:10]), end='\n' if out else '')
sys.exit(1 if out else 0)
