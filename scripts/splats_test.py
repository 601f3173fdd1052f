#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tests of splats.py, the guest kernel log scan, on the sample logs in
tests/splats/: each sample must be reported (or not) as listed here."""
import os
import subprocess
import sys
import unittest

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(TOP, "tests", "splats")
SCAN = os.path.join(TOP, "scripts", "splats.py")

# sample -> text of the first report, or None for a clean log
EXPECTED = {
    "clean.log": None,
    "expected-warning.log": None,
    "missing-warning.log": "missing: NAPI config index 4 out of range",
    "warning.log": "WARNING: CPU: 0 PID: 0 at net/core/dev.c",
    "ref-tracker.log": "ref_tracker: eni1np1@",
    "unregister-wait.log": "unregister_netdevice: waiting for eni1np1",
    "kasan.log": "BUG: KASAN: slab-use-after-free",
    "kmemleak.log": "unreferenced object 0xffff888106f0c800",
    "stall.log": "rcu: INFO: rcu_preempt detected stalls",
}


def scan(*names):
    paths = [os.path.join(SAMPLES, n) for n in names]
    res = subprocess.run([sys.executable, SCAN, *paths], capture_output=True,
                         text=True, check=False)
    return res.returncode, res.stdout.splitlines()


class SplatScan(unittest.TestCase):
    def test_every_sample_listed(self):
        self.assertEqual(sorted(EXPECTED), sorted(os.listdir(SAMPLES)))

    def test_samples(self):
        for name, want in EXPECTED.items():
            with self.subTest(sample=name):
                rc, out = scan(name)
                if want is None:
                    self.assertEqual((rc, out), (0, []))
                else:
                    self.assertEqual(rc, 1)
                    self.assertIn(want, out[0])

    def test_logs_scanned_together(self):
        # A clean log does not hide a report in another one.
        rc, out = scan("clean.log", "ref-tracker.log")
        self.assertEqual(rc, 1)
        self.assertEqual(len(out), 1)


if __name__ == "__main__":
    unittest.main()
