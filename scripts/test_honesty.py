#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Run `meson test` for one suite and fail on results that look green but prove nothing.

Usage: test_honesty.py BUILD_DIR SUITE [meson test options...]

Runs `meson test -C BUILD_DIR --suite SUITE [options]` (after removing the
previous testlog.json, which meson leaves in place when no test matches), then
reads BUILD_DIR/meson-logs/testlog.json and reports:
  - a run with no test at all (nothing registered in SUITE, or all filtered out);
  - a test whose result is SKIP (exit code 77);
  - a CUnit binary whose run summary shows zero tests run ("tests  N  0 ...").
Under CI (environment CI=true) any of these is a failure (exit 1); elsewhere
they are printed as warnings and the exit code is 0, so a developer without
root or without a peer still gets a useful local run.
"""
import json
import os
import re
import subprocess
import sys

# CUnit basic-mode summary row: "tests   <registered>   <ran>   <passed>  <failed>  <inactive>"
CUNIT_TESTS_ROW = re.compile(r"^\s*tests\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$", re.M)


def check(build_dir, suite):
    path = os.path.join(build_dir, "meson-logs", "testlog.json")
    problems = []
    entries = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line:
                    entries.append(json.loads(line))
    except FileNotFoundError:
        problems.append(f"{path}: missing (meson test did not run?)")
    for e in entries:
        name = e.get("name", "?")
        if e.get("result") == "SKIP":
            problems.append(f"test {name}: SKIP (exit 77) - a skipped test proves nothing")
        for m in CUNIT_TESTS_ROW.finditer(e.get("stdout") or ""):
            if int(m.group(2)) == 0:
                problems.append(f"test {name}: CUnit ran 0 of {m.group(1)} registered cases")
    if not entries:
        problems.append(f"suite {suite}: zero tests ran")
    return problems


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    log = os.path.join(argv[1], "meson-logs", "testlog.json")
    if os.path.exists(log):
        os.unlink(log)
    rc = subprocess.call(["meson", "test", "-C", argv[1], "--suite", argv[2]] + argv[3:])
    if rc != 0:
        return rc
    problems = check(argv[1], argv[2])
    strict = os.environ.get("CI", "").lower() in ("true", "1", "yes")
    for p in problems:
        print(f"test-honesty: {'FAIL' if strict else 'warning'}: {p}", file=sys.stderr)
    if problems and strict:
        print("test-honesty: CI=true, so skipped or empty tests fail the run", file=sys.stderr)
        return 1
    if not problems:
        print(f"test-honesty: {argv[2]}: no skipped tests, no empty suites")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
