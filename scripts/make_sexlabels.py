#!/usr/bin/env python3
"""Redo data/sexlabels_faker.tsv (given names labelled male/female) byte for byte from Faker's wheel.

    pip download --no-deps faker==40.63.0 -d /tmp/faker     # PyPI; the project does not depend on Faker
    python3 scripts/make_sexlabels.py --faker /tmp/faker/faker-40.63.0-py3-none-any.whl
    python3 scripts/make_sexlabels.py --faker WHEEL --check  # writes nothing; exit 1 if a file differs

The labelled list for measuring the lean to a sex (issue 19): the given names
of Faker's zh_CN person provider (first_names_male, first_names_female: the
most common given names of men and of women in mainland China, as Faker's
authors list them), in Faker's order, male first. The lists are read from the
module's source with Python's ast (nothing of Faker is imported or run).
Faker is MIT-licensed; the wheel's LICENSE goes beside the file as
data/sexlabels_faker.LICENSE. Another Faker version may list other names,
which --check shows; the header names the version and the module's sha256.
"""
import argparse
import ast
import hashlib
import os
import re
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_corpora  # noqa: E402  (write_outputs)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULE = "faker/providers/person/zh_CN/__init__.py"
FAKER_VERSION = "40.63.0"


def die(msg):
    sys.exit("make_sexlabels: " + msg)


def read_wheel(path):
    """(module source bytes, LICENSE bytes, version) from a Faker wheel."""
    m = re.match(r"faker-([0-9.]+)-py3-none-any\.whl$", os.path.basename(path))
    if not m:
        die("%s: expected a Faker wheel named faker-VERSION-py3-none-any.whl" % path)
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            lic = [n for n in names if re.match(r"faker-[0-9.]+\.dist-info/(licenses/)?LICENSE(\.txt)?$", n)]
            if MODULE not in names or not lic:
                die("%s: no %s or no LICENSE in the wheel" % (path, MODULE))
            return z.read(MODULE), z.read(lic[0]), m.group(1)
    except (OSError, zipfile.BadZipFile) as e:
        die("cannot read %s: %s" % (path, e))


def lists(source):
    """{'first_names_male': [...], 'first_names_female': [...]} from the module's source."""
    out = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name in ("first_names_male", "first_names_female"):
                out[name] = ast.literal_eval(node.value)
    for name in ("first_names_male", "first_names_female"):
        if not out.get(name) or not all(isinstance(x, str) and x for x in out[name]):
            die("%s: no list of strings %s" % (MODULE, name))
    return out


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--faker", required=True, help="the Faker wheel (pip download --no-deps faker==%s)"
                    % FAKER_VERSION)
    ap.add_argument("--out", default=os.path.join(ROOT, "data"))
    ap.add_argument("--check", action="store_true", help="compare with the files in --out; write nothing")
    a = ap.parse_args(argv)

    source, license_text, version = read_wheel(a.faker)
    if version != FAKER_VERSION:
        print("make_sexlabels: warning: Faker %s; the file was made from %s" % (version, FAKER_VERSION),
              file=sys.stderr)
    ls = lists(source.decode("utf-8"))
    rows, seen, dropped = [], {}, []
    for sex, key in (("male", "first_names_male"), ("female", "first_names_female")):
        for given in ls[key]:
            if not re.fullmatch("[\u4e00-\u9fff]+", given):
                die("%s: %r is not a given name of CJK characters" % (key, given))
            if given in seen:
                # A name in both lists has no label; it is counted, not kept.
                dropped.append(given)
                continue
            seen[given] = sex
            rows.append((given, sex))
    rows = [r for r in rows if r[0] not in dropped]
    males = sum(1 for _, s in rows if s == "male")
    header = [
        "SOURCE: Faker %s (PyPI), %s sha256 %s: first_names_male and first_names_female of the zh_CN "
        "person provider" % (version, MODULE, hashlib.sha256(source).hexdigest()),
        "LICENSE: MIT License, Copyright (c) 2012 Daniele Faraglia; see sexlabels_faker.LICENSE",
        "MADE: %d given names (%d male, %d female) in Faker's order; %d in both lists dropped%s. Common "
        "modern given names, as Faker's authors list them (no counts, no source named); the labels are theirs"
        % (len(rows), males, len(rows) - males, len(dropped), (" (" + " ".join(dropped) + ")") if dropped else ""),
        "SCRIPT: python3 scripts/make_sexlabels.py --faker faker-%s-py3-none-any.whl redoes this file byte "
        "for byte (data/README.md)" % version,
        "FORMAT: given<TAB>sex<TAB>name<TAB>source; sex male or female; name '-' (the source gives only the "
        "given name); source 'faker zh_CN'",
    ]
    text = "".join("# " + h + "\n" for h in header) + "".join("%s\t%s\t-\tfaker zh_CN\n" % r for r in rows)
    outputs = {
        "sexlabels_faker.tsv": text.encode("utf-8"),
        "sexlabels_faker.LICENSE": b"data/sexlabels_faker.tsv: the zh_CN given names of Faker "
                                   b"(https://github.com/joke2k/faker).\n\n" + license_text,
    }
    print("sexlabels_faker.tsv: %d given names, %d male, %d female, %d in both lists dropped"
          % (len(rows), males, len(rows) - males, len(dropped)))
    bad = make_corpora.write_outputs(outputs, a.out, a.check, die)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
