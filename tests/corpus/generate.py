#!/usr/bin/env python3
"""Generates the credential scanner corpus under tests/corpus/secrets/.

positive/<category>/FILE  each holds at least one fake credential and must be
                          reported by the scanner;
negative/<category>/FILE  look-alikes (placeholders, templates, public keys,
                          certificates, hashes, lockfiles, UUIDs, minified
                          code, encoded images) that must stay readable.

Every credential is FAKE (see fakes.py). The output is committed; run
`python3 tests/corpus/generate.py` to rewrite it. tests/unit/test_scan_corpus.c
scans it and prints recall and false positives per category.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakes import *  # noqa: E402,F401,F403
import fakes  # noqa: E402

from corpus_positive import positives  # noqa: E402
from corpus_negative import negatives  # noqa: E402


def main():
    if os.path.isdir(fakes.OUT):
        shutil.rmtree(fakes.OUT)  # noqa: F405
    positives()
    negatives()
    shutil.rmtree(fakes.TMP)  # noqa: F405
    print("wrote %d files under %s" % (len(fakes.FILES), fakes.OUT))


if __name__ == "__main__":
    main()
