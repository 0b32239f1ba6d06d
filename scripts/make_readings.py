#!/usr/bin/env python3
"""Redo data/word_readings.tsv (how a two-character word is read) byte for byte from pypinyin's wheel.

    pip download --no-deps pypinyin==0.55.0 -d /tmp/pypinyin    # PyPI; the project does not depend on pypinyin
    python3 scripts/make_readings.py --wheel /tmp/pypinyin/pypinyin-0.55.0-py2.py3-none-any.whl
    python3 scripts/make_readings.py --wheel WHEEL --check      # writes nothing; exit 1 if a file differs

A polyphone is read by the word it stands in: 长 is zhǎng in 长官 but cháng in
长春, 重 chóng in 重阳. `wuxia explain` reads a two-character given name that is
such a word by the word's reading (include/wuxia/naming/readings.hpp). The readings
are pypinyin's phrase table (pypinyin/phrases_dict.json, read from the wheel
with zipfile: nothing of pypinyin is imported or run), which pypinyin takes
from mozillazg/phrase-pinyin-data; both are MIT-licensed, and the wheel's
LICENSE goes beside the file as data/word_readings.LICENSE.

Kept: the two-character words whose characters are both in data/hanzi.tsv and
at least one of which has several readings there (a word of single-reading
characters decides nothing). Each syllable must be one of its character's
readings in hanzi.tsv, so that it has a 平仄 there:
  - a neutral-tone syllable (孩子 hái zi) becomes the character's toned
    reading of the same syllable when there is exactly one (names have no
    neutral tone: zǐ), even where hanzi.tsv lists the neutral one too; else
    it stays as it is when hanzi.tsv lists it (什么 shén me), and the word is
    dropped when not (作坊 zuō fang: 坊 is fāng or fáng);
  - a syllable hanzi.tsv does not list (一个 yí gè, tone sandhi; 朴刀 pō dāo)
    drops the word, or only that alternative where the table gives a
    syllable several (那些 nà/nèi xiē keeps nà xiē);
  - a word the table reads two ways (朝阳 zhāo/cháo yáng) keeps both, in the
    table's order.
--hanzi names the character table (default data/hanzi.tsv); remake this file
when its readings change.
"""
import argparse
import collections
import hashlib
import itertools
import json
import os
import re
import sys
import unicodedata
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_corpora  # noqa: E402  (write_outputs)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PHRASES = "pypinyin/phrases_dict.json"
PYPINYIN_VERSION = "0.55.0"
TONE_MARKS = "\u0304\u0301\u030c\u0300"

LICENSE_HEAD = """\
data/word_readings.tsv: the readings of two-character words from the phrase
table of pypinyin {version} (pypinyin/phrases_dict.json; https://github.com/mozillazg/python-pinyin),
which takes them from mozillazg/phrase-pinyin-data (https://github.com/mozillazg/phrase-pinyin-data,
MIT License, Copyright (c) 2016 mozillazg). The data was modified: words selected,
readings checked against data/hanzi.tsv, reformatted by scripts/make_readings.py.
pypinyin's license, as its wheel holds it:

"""


def die(msg):
    sys.exit("make_readings: " + msg)


def read_wheel(path):
    """(phrases_dict.json bytes, LICENSE bytes, version) from a pypinyin wheel."""
    m = re.match(r"pypinyin-([0-9.]+)-py2\.py3-none-any\.whl$", os.path.basename(path))
    if not m:
        die("%s: expected a pypinyin wheel named pypinyin-VERSION-py2.py3-none-any.whl" % path)
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            lic = [n for n in names if re.match(r"pypinyin-[0-9.]+\.dist-info/(licenses/)?LICENSE(\.txt)?$", n)]
            if PHRASES not in names or not lic:
                die("%s: no %s or no LICENSE in the wheel" % (path, PHRASES))
            return z.read(PHRASES), z.read(lic[0]), m.group(1)
    except (OSError, zipfile.BadZipFile) as e:
        die("cannot read %s: %s" % (path, e))


def load_hanzi(path):
    """{char: [reading, ...]} from data/hanzi.tsv, with the file and line of a bad row."""
    try:
        with open(path, encoding="utf-8", newline="") as f:
            lines = f.read().split("\n")
    except (OSError, UnicodeDecodeError) as e:
        die("cannot read %s: %s" % (path, e))
    out = {}
    for n, line in enumerate(lines[:-1], 1):
        if line.startswith("# "):
            continue
        cols = line.split("\t")
        if len(cols) != 8 or len(cols[0]) != 1 or not cols[1]:
            die("%s:%d: expected 8 TAB-separated columns, the first one character" % (path, n))
        out[cols[0]] = [] if cols[1] == "-" else cols[1].split(",")
    if not out:
        die("%s: no characters" % path)
    return out


def toneless(syl):
    d = unicodedata.normalize("NFD", syl)
    return unicodedata.normalize("NFC", "".join(c for c in d if c not in TONE_MARKS))


def is_toned(syl):
    return any(c in TONE_MARKS for c in unicodedata.normalize("NFD", syl))


def syllable(ch, syl, readings, counts):
    """The reading of hanzi.tsv that `syl` of pypinyin is for `ch`, or None."""
    if not is_toned(syl):
        # A name has no neutral tone (儿子 ér zi, but 张乐子's 子 is zǐ), even where hanzi.tsv lists one.
        same = [r for r in readings if is_toned(r) and toneless(r) == syl]
        if len(same) == 1:
            counts["neutral syllables given their toned reading"] += 1
            return same[0]
    return syl if syl in readings else None


def word_rows(phrases, hanzi, counts):
    rows = []
    for word, pinyin in phrases.items():
        counts["phrases"] += 1
        if len(word) != 2:
            continue
        counts["two-character words"] += 1
        if not all(c in hanzi for c in word):
            counts["a character not in hanzi.tsv"] += 1
            continue
        if not any(len(hanzi[c]) > 1 for c in word):
            counts["no character with several readings"] += 1
            continue
        counts["candidates"] += 1
        if len(pinyin) != 2 or not all(isinstance(p, list) and p for p in pinyin):
            die("%s: %s: expected one list of syllables per character, got %r" % (PHRASES, word, pinyin))
        options = []
        for c, syls in zip(word, pinyin):
            got = []
            for s in syls:
                r = syllable(c, s, hanzi[c], counts)
                if r is None:
                    counts["alternatives dropped: a syllable not among the readings"] += len(syls) > 1
                elif r not in got:
                    got.append(r)
            options.append(got)
        if not all(options):
            neutral = any(not is_toned(s) for syls in pinyin for s in syls)
            counts["dropped: a neutral syllable of no single toned reading, not listed" if neutral
                   else "dropped: a syllable not among the character's readings"] += 1
            continue
        readings = [" ".join(p) for p in itertools.product(*options)]
        counts["kept"] += 1
        counts["read two or more ways"] += len(readings) > 1
        first = readings[0].split(" ")
        counts["a polyphone read otherwise than by its first reading"] += any(
            len(hanzi[c]) > 1 and s != hanzi[c][0] for c, s in zip(word, first))
        rows.append((word, ",".join(readings)))
    rows.sort()
    return rows


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wheel", required=True, help="the pypinyin wheel (pip download --no-deps pypinyin==%s)"
                    % PYPINYIN_VERSION)
    ap.add_argument("--hanzi", default=None, help="the character table (default: hanzi.tsv of --out)")
    ap.add_argument("--out", default=os.path.join(ROOT, "data"))
    ap.add_argument("--check", action="store_true", help="compare with the files in --out; write nothing")
    a = ap.parse_args(argv)

    raw, license_text, version = read_wheel(a.wheel)
    if version != PYPINYIN_VERSION:
        print("make_readings: warning: pypinyin %s; the file was made from %s" % (version, PYPINYIN_VERSION),
              file=sys.stderr)
    try:
        phrases = json.loads(raw.decode("utf-8"))
    except ValueError as e:
        die("%s in %s: not JSON: %s" % (PHRASES, a.wheel, e))
    if not isinstance(phrases, dict) or not phrases:
        die("%s in %s: expected an object of phrases" % (PHRASES, a.wheel))
    hanzi = load_hanzi(a.hanzi or os.path.join(a.out, "hanzi.tsv"))
    counts = collections.Counter()
    rows = word_rows(phrases, hanzi, counts)
    header = [
        "SOURCE: pypinyin %s (PyPI wheel %s), %s sha256 %s; its phrase readings come from "
        "mozillazg/phrase-pinyin-data" % (version, os.path.basename(a.wheel), PHRASES, hashlib.sha256(raw).hexdigest()),
        "LICENSE: MIT License, Copyright (c) 2016 mozillazg, 闲耘 (pypinyin; phrase-pinyin-data: MIT, Copyright (c) "
        "2016 mozillazg); see word_readings.LICENSE",
        "MADE: %d phrases, %d of two characters; left out: %d with a character not in hanzi.tsv, %d with no "
        "character of several readings; of the other %d: dropped %d (a syllable not among the character's readings "
        "in hanzi.tsv: 一个 yí gè, tone sandhi) and %d (a neutral syllable of no single toned reading that "
        "hanzi.tsv does not list either: 这个 zhè ge); "
        "kept %d words, %d of them read two or more ways (朝阳), %d with a polyphone read otherwise than by its first "
        "reading; %d neutral syllables given their toned reading (孩子 hái zi: zǐ); %d alternative syllables "
        "dropped (那些 nèi)"
        % (counts["phrases"], counts["two-character words"], counts["a character not in hanzi.tsv"],
           counts["no character with several readings"], counts["candidates"],
           counts["dropped: a syllable not among the character's readings"],
           counts["dropped: a neutral syllable of no single toned reading, not listed"], counts["kept"],
           counts["read two or more ways"], counts["a polyphone read otherwise than by its first reading"],
           counts["neutral syllables given their toned reading"],
           counts["alternatives dropped: a syllable not among the readings"]),
        "SCRIPT: python3 scripts/make_readings.py --wheel WHEEL redoes this file byte for byte (data/README.md)",
        "FORMAT: word<TAB>pinyin; sorted by code point; pinyin: one syllable per character with tone marks, "
        "separated by a space, each one of the character's readings in hanzi.tsv; a word read two ways lists both, "
        "separated by ',', the table's first first",
    ]
    lines = ["# " + h for h in header] + ["%s\t%s" % r for r in rows]
    outputs = {
        "word_readings.tsv": ("\n".join(lines) + "\n").encode("utf-8"),
        "word_readings.LICENSE": LICENSE_HEAD.format(version=version).encode("utf-8") + license_text,
    }
    for k in sorted(counts):
        print("  %6d  %s" % (counts[k], k))
    bad = make_corpora.write_outputs(outputs, a.out, a.check, die)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
