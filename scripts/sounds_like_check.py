#!/usr/bin/env python3
"""How well `wuxia explain` warns of 谐音 (issue 27): classic traps and ordinary names.

    python3 scripts/sounds_like_check.py --wuxia build/wuxia
    python3 scripts/sounds_like_check.py --wuxia build/wuxia --verbose   # every ordinary name warned, by list

Runs `BINARY explain --json --file LIST` on
  (a) traps: tests/sounds_like_traps.tsv, 30 names a family would not give
      (杜子腾, 范统, 杨伟 ...), each with the word of data/sounds_like.tsv it must
      hit; a trap counts as warned only when that word is among its matches;
  (b) ordinary: 300 real-looking names, the i-th given name of
      data/sexlabels_faker.tsv (Faker's common given names, MIT) with the
      (i mod 30)-th of the 30 commonest surnames below, i = 0..299 (131 and
      30 are coprime, so no name repeats);
and, as larger samples of ordinary and real names:
  (c) every given name of Faker's with each of the 30 surnames (3,930 names);
  (d) every 40th name of data/poets.txt and every 250th of data/ancient.txt
      (real people, MIT and Apache-2.0).
It prints the share warned of each, the goal being traps >= 90% and ordinary
(b) <= 10%, and exits 1 when a goal is missed.

The rule `wuxia` applies (include/wuxia/naming/sounds_like.hpp) is computed here too
from explain's pinyin and the table, beside three others, so that the choice
is measured: 'syllables' (tones aside), 'one tone' (a two-syllable word needs
one toned syllable to agree), 'all tones' (a two-syllable word needs every
tone), 'wuxia' (one tone, and every given-name syllable's: the surname's may
differ); words of 3+ syllables match on syllables alone under all four, and a
run that writes the word matches under all four. The script fails (exit 1)
when its 'wuxia' rule and the binary disagree on a name.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The 30 commonest surnames of mainland China (the Ministry of Public
# Security's household-register ranking, 2019 and 2020: 王 李 张 刘 陈 ...).
COMMON_SURNAMES = "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 林 高 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹".split()
GOAL_TRAPS, GOAL_ORDINARY = 0.90, 0.10

MARKS = {}
for tone, vowels in enumerate(("āēīōūǖ", "áéíóúǘ", "ǎěǐǒǔǚ", "àèìòùǜ"), 1):
    for plain, marked in zip("aeiouü", vowels):
        MARKS[marked] = (plain, tone)


def die(msg):
    sys.exit("sounds_like_check: " + msg)


def rows(path):
    """The records of a file with '#' header or comment lines, split on TAB."""
    try:
        with open(path, encoding="utf-8") as f:
            return [line.rstrip("\n").split("\t") for line in f if line.strip() and not line.startswith("#")]
    except OSError as e:
        die("cannot read %s: %s" % (path, e))


def toneless(s):
    return "".join(MARKS.get(c, (c, 0))[0] for c in s)


def tone(s):
    for c in s:
        if c in MARKS:
            return MARKS[c][1]
    return 5


def load_words(path):
    """The table as {toneless syllables: [(word, tones)]} and {word: tones}."""
    by_sound, by_chars = {}, {}
    for f in rows(path):
        sy = f[1].split(" ")
        by_sound.setdefault(tuple(toneless(s) for s in sy), []).append((f[0], [tone(s) for s in sy]))
        by_chars[f[0]] = True
    return by_sound, by_chars


def matches(words, name, pinyin, surname, rule):
    """The words `name` (read as `pinyin`, its first `surname` characters the surname) matches under `rule`."""
    by_sound, by_chars = words
    out = set()
    bare = [toneless(p) for p in pinyin]
    tones = [tone(p) for p in pinyin]
    for k in (2, 3, 4):
        for i in range(len(name) - k + 1):
            if i + k <= surname:
                continue  # the family's own surname
            if name[i:i + k] in by_chars:
                out.add(name[i:i + k])
            for word, wt in by_sound.get(tuple(bare[i:i + k]), []):
                nt = tones[i:i + k]
                agree = [w == 5 or n == 5 or w == n for w, n in zip(wt, nt)]
                one = any(w != 5 and w == n for w, n in zip(wt, nt))
                given = all(ok for j, ok in enumerate(agree) if i + j >= surname)
                if (rule == "syllables" or k >= 3 or (rule == "one tone" and one)
                        or (rule == "all tones" and all(agree)) or (rule == "wuxia" and one and given)):
                    out.add(word)
    return sorted(out)


RULES = ("syllables", "one tone", "all tones", "wuxia")


def explain(wuxia, names):
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".txt", delete=False) as f:
        f.write("".join(n + "\n" for n in names))
        path = f.name
    try:
        r = subprocess.run([wuxia, "explain", "--json", "--file", path], capture_output=True, text=True)
    finally:
        os.unlink(path)
    if r.returncode not in (0, 3):
        die("%s explain failed (%d): %s" % (wuxia, r.returncode, r.stderr.strip()))
    out = [json.loads(line) for line in r.stdout.splitlines()]
    if len(out) != len(names):
        die("explain answered %d of %d names (skipped: %s)" % (len(out), len(names), r.stderr.strip()))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wuxia", required=True, help="the built wuxia binary")
    ap.add_argument("--data", default=os.path.join(ROOT, "data"))
    ap.add_argument("--traps", default=os.path.join(ROOT, "tests", "sounds_like_traps.tsv"))
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()

    words = load_words(os.path.join(a.data, "sounds_like.tsv"))
    surnames = {f[0] for f in rows(os.path.join(a.data, "surnames.tsv"))}
    missing = [s for s in COMMON_SURNAMES if s not in surnames]
    if missing:
        die("surnames.tsv lacks " + " ".join(missing))
    given = [f[0] for f in rows(os.path.join(a.data, "sexlabels_faker.tsv"))]
    traps = rows(a.traps)
    want_of = {t[0]: t[1] for t in traps}
    lists = [
        ("(a) traps", [t[0] for t in traps]),
        ("(b) ordinary", [COMMON_SURNAMES[i % 30] + given[i % len(given)] for i in range(300)]),
        ("(c) Faker x 30 surnames", [s + g for s in COMMON_SURNAMES for g in given]),
        ("(d) poets.txt every 40th", [f[0] for f in rows(os.path.join(a.data, "poets.txt"))][::40]),
        ("(d) ancient.txt every 250th", [f[0] for f in rows(os.path.join(a.data, "ancient.txt"))][::250]),
    ]
    print("table: %d words; binary: %s" % (len(words[1]), a.wuxia))
    print("%-28s %6s  %-22s %s" % ("list", "names", "warned by wuxia", "  ".join("%-10s" % r for r in RULES)))
    failed, shares = False, {}
    for label, names in lists:
        answers = explain(a.wuxia, names)
        warned = []
        per_rule = {r: 0 for r in RULES}
        for name, e in zip(names, answers):
            got = [m["word"] for m in e["sounds_like"]]
            # A trap is warned only with its own word.
            want = want_of.get(name) if label.startswith("(a)") else None
            if (want in got) if want else got:
                warned.append((name, got))
            for r in RULES:
                mine = matches(words, e["name"], e["pinyin"], len(e["surname"]), r)
                per_rule[r] += (want in mine) if want else bool(mine)
                if r == "wuxia" and mine != sorted(got):
                    print("disagree: %s %s: script %s, wuxia %s" % (name, " ".join(e["pinyin"]), mine, got))
                    failed = True
        share = len(warned) / len(names)
        shares[label] = share
        print("%-28s %6d  %4d = %5.1f%%          %s" % (label, len(names), len(warned), 100 * share, "  ".join(
            "%5.1f%%    " % (100 * per_rule[r] / len(names)) for r in RULES)))
        if label.startswith("(a)"):
            missed = [n for n in names if n not in dict(warned)]
            if missed:
                print("  missed: " + " ".join(missed))
        elif a.verbose or label.startswith("(b)"):
            for name, got in warned:
                print("  %s: %s" % (name, ", ".join(got)))
    if shares["(a) traps"] < GOAL_TRAPS:
        print("goal missed: traps warned %.1f%% < %.0f%%" % (100 * shares["(a) traps"], 100 * GOAL_TRAPS))
        failed = True
    if shares["(b) ordinary"] > GOAL_ORDINARY:
        print("goal missed: ordinary warned %.1f%% > %.0f%%" % (100 * shares["(b) ordinary"], 100 * GOAL_ORDINARY))
        failed = True
    print("goals (traps >= %.0f%%, ordinary <= %.0f%%): %s" % (100 * GOAL_TRAPS, 100 * GOAL_ORDINARY,
                                                              "FAILED" if failed else "met"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
