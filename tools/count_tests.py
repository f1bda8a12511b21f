#!/usr/bin/env python3
"""Prints "PASSED FAILED" for a meson testlog.json: GoogleTest programs count their own test
cases (from gtest's summary), every other test program counts as one."""
import json
import re
import sys

passed = failed = 0
with open(sys.argv[1], encoding="utf-8", errors="replace") as log:
    for line in log:
        entry = json.loads(line)
        out = entry.get("stdout", "") or ""
        ok = entry.get("result") == "OK"
        m = re.search(r"\[==========\] (\d+) tests? from .* ran", out)
        if m:
            total = int(m.group(1))
            f = re.search(r"\[  FAILED  \] (\d+) tests?, listed below", out)
            bad = int(f.group(1)) if f else (0 if ok else 1)
            passed += total - bad
            failed += bad if bad else (0 if ok else 1)
        else:
            passed += ok
            failed += not ok
print(passed, failed)
