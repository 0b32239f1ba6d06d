#!/usr/bin/env python3
"""Redo data/young.tsv (how often each character is in young people's given names) byte for byte from two wheels.

    pip download --no-deps mimesis==22.2.0 mingzi==1.2.3 -d /tmp/young   # PyPI; the project depends on neither
    python3 scripts/make_young.py --mimesis /tmp/young/mimesis-22.2.0-py3-none-any.whl \\
                                  --mingzi /tmp/young/mingzi-1.2.3-py3-none-any.whl
    python3 scripts/make_young.py --mimesis W --mingzi W --check     # writes nothing; exit 1 if a file differs

Why (issue 27): data/hanzi.tsv's male/female counts are of adults counted
from registration records, so they carry the fashion of names given from the
1950s to the 1990s (伟 建 国 丽 娟 ...). No list of names of our time with
counts is in a registry this project reaches; what is there are the lists two
fake-data generators ship as the given names of people today:
  - mimesis 22.2.0 (MIT), mimesis/datasets/zh/person.json: names.male and
    names.female, ~1,400 given names in all (子轩 雨桐 梓睿 ... and some junk:
    random pairs such as 砭刁);
  - mingzi 1.2.3 (MIT), mingzi/data.json: male_single and female_single, the
    ~740 characters its author uses to make names of students today. Its
    male_double and female_double lists are left out: they are the
    development names scripts/tune_today.py scores the choice of weights on.
Each character is counted once per given name (or once per list entry for
mingzi's characters), by the sex the list gives. The counts are a signal of
fashion, not a census: src/naming/today.cpp uses a character's count only
where it is at least 2 and the character is in at least 1,000 adults' given
names (data/hanzi.tsv), which keeps the junk out.
Then the two-character given names of mimesis's lists themselves, by sex:
src/naming/today.cpp adds kYoungNameBonus to a proposed name that is one
(a name young people carry). Output: key<TAB>male<TAB>female, the characters
first (sorted by code point), then the names (sorted); the two licenses are
concatenated into data/young.LICENSE.
"""
import argparse
import hashlib
import json
import os
import re
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_corpora  # noqa: E402  (write_outputs)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIMESIS = ("mimesis", "22.2.0", "mimesis/datasets/zh/person.json", "mimesis-22.2.0.dist-info/licenses/LICENSE")
MINGZI = ("mingzi", "1.2.3", "mingzi/data.json", "mingzi-1.2.3.dist-info/licenses/LICENSE")


def die(msg):
    sys.exit("make_young: " + msg)


def read_wheel(path, spec):
    """(data bytes, license bytes) of the wheel `path`, which must be the version `spec` names."""
    name, version, member, license_member = spec
    if os.path.basename(path) != "%s-%s-py3-none-any.whl" % (name, version):
        die("%s: expected %s-%s-py3-none-any.whl (pip download --no-deps %s==%s)" % (path, name, version, name, version))
    try:
        with zipfile.ZipFile(path) as z:
            return z.read(member), z.read(license_member)
    except (OSError, KeyError, zipfile.BadZipFile) as e:
        die("cannot read %s from %s: %s" % (member, path, e))


def is_han(c):
    return 0x4E00 <= ord(c) <= 0x9FFF or 0x3400 <= ord(c) <= 0x4DBF


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mimesis", required=True, help="mimesis-22.2.0-py3-none-any.whl")
    ap.add_argument("--mingzi", required=True, help="mingzi-1.2.3-py3-none-any.whl")
    ap.add_argument("--out", default=os.path.join(ROOT, "data"), help="folder to write (default data/)")
    ap.add_argument("--check", action="store_true", help="compare with the files there; write nothing")
    a = ap.parse_args(argv)
    mim_raw, mim_license = read_wheel(a.mimesis, MIMESIS)
    mz_raw, mz_license = read_wheel(a.mingzi, MINGZI)
    try:
        mim = json.loads(mim_raw)["names"]
        mz = json.loads(mz_raw)
        lists = {"male": [mim["male"], mz["male_single"]], "female": [mim["female"], mz["female_single"]]}
    except (ValueError, KeyError, TypeError) as e:
        die("unexpected JSON in a wheel: %s" % e)
    counts = {}
    skipped = 0
    entries = {"male": 0, "female": 0}
    for col, sources in lists.items():
        for source in sources:
            for given in source:
                chars = set(given)
                if not given or not all(is_han(c) for c in chars):
                    skipped += 1  # counted in the header: none today
                    continue
                entries[col] += 1
                for c in chars:
                    counts.setdefault(c, {"male": 0, "female": 0})[col] += 1
    # The two-character given names themselves (mimesis's; mingzi's entries
    # here are characters): a name young people carry, by sex.
    pairs = {}
    for col in ("male", "female"):
        for given in mim[col]:
            if len(given) == 2 and all(is_han(c) for c in given):
                pairs.setdefault(given, {"male": 0, "female": 0})[col] += 1
    rows = ["%s\t%d\t%d\n" % (c, counts[c]["male"], counts[c]["female"]) for c in sorted(counts)]
    rows += ["%s\t%d\t%d\n" % (g, pairs[g]["male"], pairs[g]["female"]) for g in sorted(pairs)]
    header = [
        "# SOURCE: mimesis 22.2.0 (PyPI) mimesis/datasets/zh/person.json sha256 %s: names.male, names.female; "
        "mingzi 1.2.3 (PyPI) mingzi/data.json sha256 %s: male_single, female_single"
        % (hashlib.sha256(mim_raw).hexdigest(), hashlib.sha256(mz_raw).hexdigest()),
        "# LICENSE: MIT License, Copyright (c) 2016-Present Isaak Uchakaev (mimesis); MIT License, "
        "Copyright (c) 2024 Aliyacs Souna (mingzi); see young.LICENSE",
        "# MADE: %d characters from %d male and %d female entries (%d entries with a non-Han character skipped), "
        "a character counted once per entry, by the sex its list gives; then %d two-character given names of "
        "mimesis's lists, counted by sex; lists of fake-data generators, not a census (data/README.md)"
        % (len(counts), entries["male"], entries["female"], skipped, len(pairs)),
        "# SCRIPT: python3 scripts/make_young.py --mimesis WHEEL --mingzi WHEEL redoes this file byte for byte",
        "# FORMAT: key<TAB>male<TAB>female; first the characters (a key of one character), sorted by code point, "
        "then the two-character given names, sorted",
    ]
    text = "\n".join(header) + "\n" + "".join(rows)
    lic = b"mimesis 22.2.0:\n\n" + mim_license.rstrip(b"\n") + b"\n\n----\n\nmingzi 1.2.3:\n\n" + mz_license.rstrip(b"\n") + b"\n"
    bad = make_corpora.write_outputs({"young.tsv": text.encode("utf-8"), "young.LICENSE": lic}, a.out, a.check, die)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
