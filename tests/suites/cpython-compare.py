#!/usr/bin/env python3
"""Compares CPython test-suite runs (regrtest -v logs) on two folders.

Usage: cpython-compare.py REFERENCE.log GUARDFS.log EXPECTED.txt

A subtest whose outcome is ok or skipped on the reference (libfuse's
passthrough_ll) but FAIL or ERROR through guardfs is a difference. Each
difference must be listed in EXPECTED.txt (one test id per line, then
" # why": a deliberate refusal of the guard); anything else fails. A
listed id that no longer differs is reported, so the list stays true.
"""
import re
import sys

OUTCOME = re.compile(r"(ok|FAIL|ERROR|skipped|expected failure|"
                     r"unexpected success)")


def outcomes(path):
    """Maps "module.Class.test" to ok/skipped/FAIL/ERROR."""
    result = {}
    for line in open(path, errors="replace"):
        m = re.match(r"^(\w+) \(([\w.]+)\).*\.\.\. (.*)$", line.rstrip("\n"))
        if not m:
            continue
        test_id = m.group(2)
        if not test_id.endswith("." + m.group(1)):
            test_id += "." + m.group(1)
        o = OUTCOME.search(m.group(3))
        if o:
            result[test_id] = o.group(1)
    # unittest reports a failure again as "FAIL: name (id)" at the end;
    # a subtest that printed "..." and then crashed is caught here.
    for line in open(path, errors="replace"):
        m = re.match(r"^(FAIL|ERROR): (\w+) \(([\w.]+)\)", line)
        if m:
            test_id = m.group(3)
            if not test_id.endswith("." + m.group(2)):
                test_id += "." + m.group(2)
            result[test_id] = m.group(1)
    return result


def expected(path):
    ids = {}
    for line in open(path):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        test_id, _, why = line.partition("#")
        ids[test_id.strip()] = why.strip()
    return ids


def main():
    ref, gfs, allowed = outcomes(sys.argv[1]), outcomes(sys.argv[2]), \
        expected(sys.argv[3])
    bad = lambda o: o in ("FAIL", "ERROR")
    differ = sorted(t for t, o in gfs.items()
                    if bad(o) and not bad(ref.get(t, "ok")))
    missing = sorted(t for t in ref if t not in gfs)
    print("reference: %d subtests, %d failed; guardfs: %d subtests, "
          "%d failed" % (len(ref), sum(map(bad, ref.values())), len(gfs),
                         sum(map(bad, gfs.values()))))
    unexplained = [t for t in differ if t not in allowed]
    for t in differ:
        print("%s %s: %s" % ("allowed" if t in allowed else "DIFFERS", t,
                             allowed.get(t, gfs[t])))
    for t in sorted(set(allowed) - set(differ)):
        print("stale: %s no longer differs" % t)
    if len(gfs) < len(ref) * 0.95:
        print("guardfs ran %d subtests, the reference %d: %s..." %
              (len(gfs), len(ref), ", ".join(missing[:5])))
        return 1
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
