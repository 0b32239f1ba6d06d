#!/usr/bin/env python3
"""Redo the bundled corpora data/ancient.txt and data/poets.txt byte for byte.

    python3 scripts/make_corpora.py            # writes data/ancient.txt, data/poets.txt,
                                               # data/ancient.LICENSE, data/poets.LICENSE
    python3 scripts/make_corpora.py --check    # writes nothing; exit 1 if a file differs
    python3 scripts/make_corpora.py --stats    # also: overlap with data/jinyong.txt, data/gulong.txt

Options: --shared DIR (default: ../shared/data beside the repository, i.e. the
folder with ancient_names.txt, ancient_names.LICENSE and poets.txt), --out DIR
(default: data/ of the repository).

Needs Debian's `opencc` command-line tool (OpenCC 1.1.6 made the committed
files; another version may convert some characters differently, which
--check shows).

Conversion rule (both files): OpenCC's t2s applied to each character alone,
not to whole names (t2s's phrase table segments a name as if it were text and
then makes 沈積中 沉积中 and 沈默 沉默, writes 鍾 as 锺 where the casts write
钟), except that a character is kept as it is when
  - it is 乾, 於 or 甯 (name characters that simplified Chinese keeps:
    乾隆, the surnames 於 and 甯; t2s alone would give 干, 于 and 宁), or
  - its t2s form is not one character of the BMP (e.g. 頔 -> U+2CC56): the
    name lists stay inside the BMP CJK blocks, and the fonts most people have
    lack those newer Extension B-G forms.
Names holding a character that is no CJK ideograph (ancient_names.txt has
three with a Greek 'Γ' standing for an unencodable character: 崔君Γ, 梁Γ,
王Γ) are dropped and counted. After conversion a name that appeared before is
dropped and counted (the first one stays, in source order).

Prints, per file: input names, names dropped as not a name, names converted
(changed by the rule), duplicates dropped, output names, distinct characters,
and the length distribution.
"""
import argparse
import collections
import hashlib
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPENCC_VERSION = "1.1.6"
KEEP = "乾於甯"

MIT_TEXT = """\
Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in
all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
THE SOFTWARE.
"""

MIT_NOTICE = """\
data/poets.txt: the author names of the chinese-poetry collection
(https://github.com/chinese-poetry/chinese-poetry, snapshot commit 99ebbef),
simplified with OpenCC and grouped by collection (see data/README.md).
It is shipped under the collection's license:

The MIT License (MIT)

Copyright (c) 2016 JackeyGao

""" + MIT_TEXT

RULE = ("OpenCC %s t2s applied to each character alone; 乾 於 甯 and characters whose "
        "simplified form is outside the BMP kept as they were" % OPENCC_VERSION)


def write_outputs(outputs, out_dir, check, die):
    """Writes each file of `outputs` (name -> bytes) into `out_dir`, each
    replaced whole (a temporary file renamed into place), or with `check`
    compares them with what is there and writes nothing. Returns how many
    differ. `die(message)` ends the calling script on a failed write."""
    bad = 0
    for name, data in outputs.items():
        path = os.path.join(out_dir, name)
        if check:
            try:
                with open(path, "rb") as f:
                    same = f.read() == data
            except OSError:
                same = False
            print("%s: %s" % (path, "same" if same else "DIFFERS"))
            bad += not same
        else:
            tmp = path + ".tmp"
            try:
                with open(tmp, "wb") as f:
                    f.write(data)
                os.replace(tmp, path)
            except OSError as e:
                die("cannot write %s: %s" % (path, e))
            print("wrote %s (%d bytes)" % (path, len(data)))
    return bad


def opencc_version():
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "opencc"],
                             capture_output=True, text=True).stdout
        return out.split("+")[0] or "unknown"
    except OSError:
        return "unknown"


def char_map(chars):
    """t2s of each character alone (one character a line), with the KEEP rules."""
    chars = sorted(chars)
    try:
        r = subprocess.run(["opencc", "-c", "t2s.json"], input="".join(c + "\n" for c in chars),
                           capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        sys.exit("make_corpora: cannot run opencc -c t2s.json: %s" % e)
    out = r.stdout.split("\n")
    if out[-1] != "":
        sys.exit("make_corpora: opencc output does not end with a newline")
    out.pop()
    if len(out) != len(chars):
        sys.exit("make_corpora: opencc returned %d lines for %d" % (len(out), len(chars)))
    m, why = {}, {}
    for c, s in zip(chars, out):
        if c in KEEP and s != c:
            m[c], why[c] = c, "kept_listed"
        elif len(s) != 1 or ord(s) > 0xFFFF:
            m[c], why[c] = c, "kept_outside_bmp"
        else:
            m[c] = s
    return m, why


def read_lines(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw.startswith(b"\xef\xbb\xbf") or b"\r" in raw or not raw.endswith(b"\n"):
        sys.exit("make_corpora: %s: expected UTF-8 without BOM, LF line endings" % path)
    lines = raw.decode("utf-8").split("\n")[:-1]
    if any(l == "" or l != l.strip() for l in lines):
        sys.exit("make_corpora: %s: blank line or surrounding white space" % path)
    return lines, hashlib.sha256(raw).hexdigest()


def convert(entries, cmap, why):
    """entries: list of (kind, text), kind 'name' or 'group'. Returns new entries and counts."""
    table = str.maketrans({c: t for c, t in cmap.items() if c != t})
    cjk = re.compile("[\u4e00-\u9fff\u3400-\u4dbf\u00b7]+")
    kept = {r: re.compile("[%s]" % "".join(c for c, w in why.items() if w == r) or "^$")
            for r in ("kept_listed", "kept_outside_bmp")}
    out, seen = [], set()
    c = collections.Counter()
    for kind, text in entries:
        if kind == "group":
            out.append((kind, text))
            continue
        c["input"] += 1
        if not cjk.fullmatch(text):
            c["not_a_name"] += 1
            continue
        s = text.translate(table)
        if s != text:
            c["converted"] += 1
        for r, rx in kept.items():
            if rx.search(text):
                c[r] += 1
        if s in seen:
            c["duplicates"] += 1
            continue
        seen.add(s)
        out.append(("name", s))
        c["output"] += 1
    return out, c


def names_of(entries):
    return [t for k, t in entries if k == "name"]


def render(header, entries):
    lines = ["# " + h for h in header]
    for kind, text in entries:
        lines.append("# " + text if kind == "group" else text)
    return ("\n".join(lines) + "\n").encode("utf-8")


def length_hist(names):
    return sorted(collections.Counter(len(n) for n in names).items())


def report(label, c, names):
    chars = set("".join(names))
    print("%s: input names %d, not a name %d, converted %d, duplicates dropped %d, "
          "output names %d, distinct characters %d"
          % (label, c["input"], c["not_a_name"], c["converted"], c["duplicates"], c["output"], len(chars)))
    print("%s: names keeping 乾/於/甯 %d, names keeping a character whose t2s form is outside the BMP %d"
          % (label, c["kept_listed"], c["kept_outside_bmp"]))
    print("%s: lengths %s" % (label, ", ".join("%d: %d" % kv for kv in length_hist(names))))


def load_names(path):
    with open(path, encoding="utf-8") as f:
        return [l.strip() for l in f if l.strip() and not l.strip().startswith("#")]


def stats(out_dir, corpora):
    casts = {s: load_names(os.path.join(out_dir, s + ".txt")) for s in ("jinyong", "gulong")}
    sets = {k: set(v) for k, v in corpora.items()}
    chars = {k: set("".join(v)) for k, v in list(corpora.items()) + list(casts.items())}
    union_corpora = chars["ancient"] | chars["poets"]
    print("== overlap of the casts with the corpora")
    for cast, names in casts.items():
        ina = [n for n in names if n in sets["ancient"]]
        inp = [n for n in names if n in sets["poets"]]
        either = [n for n in names if n in sets["ancient"] or n in sets["poets"]]
        print("%s: %d names; verbatim in ancient %d, in poets %d, in either %d"
              % (cast, len(names), len(ina), len(inp), len(either)))
        print("%s: in ancient: %s" % (cast, " ".join(ina)))
        print("%s: in poets: %s" % (cast, " ".join(inp)))
        cc = chars[cast]
        for label, s in (("ancient", chars["ancient"]), ("poets", chars["poets"]),
                         ("ancient+poets", union_corpora)):
            miss = sorted(cc - s)
            print("%s: %d distinct characters; %d not in %s%s"
                  % (cast, len(cc), len(miss), label, (": " + "".join(miss)) if len(miss) <= 40 else ""))
    print("distinct characters: " + ", ".join("%s %d" % (k, len(v)) for k, v in chars.items()))
    print("distinct characters: ancient+poets %d, jinyong+gulong %d, all four %d"
          % (len(union_corpora), len(chars["jinyong"] | chars["gulong"]),
             len(union_corpora | chars["jinyong"] | chars["gulong"])))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(ROOT), "shared", "data"))
    ap.add_argument("--out", default=os.path.join(ROOT, "data"))
    ap.add_argument("--check", action="store_true", help="compare with the files in --out; write nothing")
    ap.add_argument("--stats", action="store_true", help="also print the overlap with the casts")
    a = ap.parse_args(argv)

    ver = opencc_version()
    if ver != OPENCC_VERSION:
        print("make_corpora: warning: OpenCC %s installed; the files were made with %s"
              % (ver, OPENCC_VERSION), file=sys.stderr)

    anc_lines, anc_sha = read_lines(os.path.join(a.shared, "ancient_names.txt"))
    poet_lines, poet_sha = read_lines(os.path.join(a.shared, "poets.txt"))
    print("inputs: ancient_names.txt sha256 %s, poets.txt sha256 %s" % (anc_sha, poet_sha))

    if any(l.startswith("#") for l in anc_lines):
        sys.exit("make_corpora: ancient_names.txt: unexpected '#' line")
    anc_in = [("name", l) for l in anc_lines]
    # poets.txt: three '# KEY: ...' header lines (replaced by ours), then '# <collection>' groups.
    poet_in = []
    for l in poet_lines:
        if l.startswith("#"):
            text = l[1:].strip()
            key = text.split(":", 1)[0]
            if ":" in text and key.isascii() and key.isupper():
                continue  # the source's own header line
            poet_in.append(("group", text))
        else:
            poet_in.append(("name", l))

    cmap, why = char_map(set("".join(l for l in anc_lines)) | set("".join(t for k, t in poet_in if k == "name")))
    anc, ca = convert(anc_in, cmap, why)
    poets, cp = convert(poet_in, cmap, why)
    groups = [t for k, t in poets if k == "group"]

    anc_header = [
        "SOURCE: Ancient_Names_Corpus of Chinese-Names-Corpus (NameMoe, 2020; "
        "github.com/wainshine/Chinese-Names-Corpus), as ../shared/data/ancient_names.txt",
        "LICENSE: Apache License 2.0, see ancient.LICENSE. Changed from the source: converted "
        "to simplified characters, names with a non-CJK placeholder and duplicates dropped",
        "MADE: %s; %d names with a non-CJK character (Γ) dropped; %d of %d names converted; "
        "%d duplicates after conversion dropped (first kept, source order); %d names"
        % (RULE, ca["not_a_name"], ca["converted"], ca["input"], ca["duplicates"], ca["output"]),
        "SCRIPT: python3 scripts/make_corpora.py redoes this file byte for byte (data/README.md)",
        "FORMAT: one name per line, UTF-8, LF; no groups",
    ]
    poet_header = [
        "SOURCE: author fields of chinese-poetry/chinese-poetry (GitHub), snapshot commit 99ebbef, "
        "as ../shared/data/poets.txt",
        "LICENSE: MIT License, Copyright (c) 2016 JackeyGao; see poets.LICENSE for the full notice",
        "MADE: names as in the source, whose traditional-script collections were converted with "
        "OpenCC t2s character by character; the rule of ancient.txt (%s) changes %d of them; "
        "%d duplicates dropped; %d names"
        % (RULE, cp["converted"], cp["duplicates"], cp["output"]),
        "SCRIPT: python3 scripts/make_corpora.py redoes this file byte for byte (data/README.md)",
        "FORMAT: one name per line, UTF-8, LF; '# <collection>' lines start groups; each name "
        "listed once, under its first collection",
    ]
    with open(os.path.join(a.shared, "ancient_names.LICENSE"), "rb") as f:
        apache = f.read()
    outputs = {
        "ancient.txt": render(anc_header, anc),
        "ancient.LICENSE": apache,
        "poets.txt": render(poet_header, poets),
        "poets.LICENSE": MIT_NOTICE.encode("utf-8"),
    }

    report("ancient.txt", ca, names_of(anc))
    report("poets.txt", cp, names_of(poets))
    print("poets.txt: %d groups: %s" % (len(groups), " ".join(groups)))

    bad = write_outputs(outputs, a.out, a.check, lambda m: sys.exit("make_corpora: " + m))
    if a.stats:
        stats(a.out, {"ancient": names_of(anc), "poets": names_of(poets)})
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
