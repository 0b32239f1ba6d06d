#!/usr/bin/env python3
"""Redo data/words.tsv (common words that are not names) byte for byte from jieba's source archive.

    pip download --no-deps jieba==0.42.1 -d /tmp/jieba     # PyPI; the project does not depend on jieba
    python3 scripts/make_words.py --sdist /tmp/jieba/jieba-0.42.1.tar.gz
    python3 scripts/make_words.py --sdist SDIST --check     # writes nothing; exit 1 if a file differs

A sampled "name" that is a common word (海岛, 东西, 乔木) is not a new name, and
`wuxia sample` refuses it (include/wuxia/data/words.hpp). The words are
jieba's dictionary (jieba/dict.txt in the archive, read with tarfile: nothing
of jieba is imported or run; one line a word: word, frequency, part of
speech), MIT-licensed; its license goes beside the file as data/words.LICENSE.

Kept: the words of 2 to 4 characters, each in data/hanzi.tsv, seen at least
MIN_FREQ times in jieba's corpus, whatever their tag. The entries tagged as
a person's name (nr, nrfg, nrt) are kept too: about half of those seen 100
times are words, places and brands jieba mistags (卫星, 武林, 白发, 阿富汗,
柯达), the rest people a reader knows (朱元璋, 李鹏, 罗斯福) or cast names
(令狐冲). None of them is a new name: `wuxia sample` lets a name of the
training lists through, and only a new name that is in this file is refused.
"""
import argparse
import hashlib
import os
import re
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_corpora  # noqa: E402  (write_outputs)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIN_FREQ = 100
DICT_SHA256 = "7197c3211ddd98962b036cdf40324d1ea2bfaa12bd028e68faa70111a88e12a8"

LICENSE_HEAD = """\
data/words.tsv: common words of jieba {version}'s dictionary (jieba/dict.txt;
https://github.com/fxsjy/jieba, MIT License, Copyright (c) 2013 Sun Junyi).
The data was modified: words selected and reformatted by scripts/make_words.py.
jieba's license (the archive holds none; this is the repository's LICENSE):

The MIT License (MIT)

Copyright (c) 2013 Sun Junyi

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of
the Software, and to permit persons to whom the Software is furnished to do so,
subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS
FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR
COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER
IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN
CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""


def die(msg):
    sys.exit("make_words: " + msg)


def read_sdist(path):
    """(dict.txt bytes, version) from jieba's source archive."""
    m = re.match(r"jieba-([0-9.]+)\.tar\.gz$", os.path.basename(path))
    if not m:
        die("%s: expected jieba's source archive, named jieba-VERSION.tar.gz" % path)
    member = "jieba-%s/jieba/dict.txt" % m.group(1)
    try:
        with tarfile.open(path, "r:gz") as t:
            f = t.extractfile(member)
            if f is None:
                die("%s: no %s in the archive" % (path, member))
            return f.read(), m.group(1)
    except (OSError, tarfile.TarError, KeyError) as e:
        die("cannot read %s: %s" % (path, e))


def load_chars(path):
    try:
        with open(path, encoding="utf-8", newline="") as f:
            return {line.split("\t", 1)[0] for line in f if not line.startswith("# ")}
    except (OSError, UnicodeDecodeError) as e:
        die("cannot read %s: %s" % (path, e))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sdist", required=True, help="jieba-0.42.1.tar.gz (pip download --no-deps jieba==0.42.1)")
    ap.add_argument("--hanzi", default=os.path.join(ROOT, "data", "hanzi.tsv"))
    ap.add_argument("--out", default=os.path.join(ROOT, "data"))
    ap.add_argument("--check", action="store_true", help="compare with the files there; write nothing")
    a = ap.parse_args()
    raw, version = read_sdist(a.sdist)
    digest = hashlib.sha256(raw).hexdigest()
    if digest != DICT_SHA256:
        die("%s: jieba/dict.txt has sha256 %s, not the %s this file was made from" % (a.sdist, digest, DICT_SHA256))
    chars = load_chars(a.hanzi)
    counts = {"entries": 0, "length": 0, "char": 0, "rare": 0, "name": 0}
    kept = []
    for n, line in enumerate(raw.decode("utf-8").split("\n"), 1):
        if not line:
            continue
        cols = line.split(" ")
        if len(cols) != 3 or not cols[1].isdigit():
            die("jieba/dict.txt:%d: expected 'word frequency tag'" % n)
        word, freq, tag = cols[0], int(cols[1]), cols[2]
        counts["entries"] += 1
        if not 2 <= len(word) <= 4:
            counts["length"] += 1
        elif not all(c in chars for c in word):
            counts["char"] += 1
        elif freq < MIN_FREQ:
            counts["rare"] += 1
        else:
            counts["name"] += tag.startswith("nr")
            kept.append((word, freq, tag))
    kept.sort()
    head = [
        "# SOURCE: jieba %s (PyPI source archive jieba-%s.tar.gz), jieba/dict.txt sha256 %s"
        % (version, version, digest),
        "# LICENSE: MIT License, Copyright (c) 2013 Sun Junyi; see words.LICENSE",
        "# MADE: %d words kept of %d entries (%d of them tagged as a person's name: nr, nrfg, nrt); left out: %d "
        "not of 2-4 characters, %d with a character not in hanzi.tsv, %d seen fewer than %d times"
        % (len(kept), counts["entries"], counts["name"], counts["length"], counts["char"], counts["rare"], MIN_FREQ),
        "# SCRIPT: python3 scripts/make_words.py --sdist jieba-%s.tar.gz redoes this file byte for byte "
        "(data/README.md)" % version,
        "# FORMAT: word<TAB>frequency<TAB>tag; sorted by code point; frequency: jieba's count; tag: its part of "
        "speech (n noun, ns place, v verb, a adjective, i idiom, ...)",
    ]
    body = "\n".join(head + ["%s\t%d\t%s" % k for k in kept]) + "\n"
    outputs = {"words.tsv": body.encode("utf-8"), "words.LICENSE": LICENSE_HEAD.format(version=version).encode("utf-8")}
    bad = make_corpora.write_outputs(outputs, a.out, a.check, die)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
