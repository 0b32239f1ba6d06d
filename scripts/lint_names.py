#!/usr/bin/env python3
"""Check name-list files: python3 scripts/lint_names.py data/*.txt

Each file: UTF-8, no BOM, LF only, no blank lines, no trailing spaces.
Lines starting with '#' are of two kinds:
  - header lines, '# KEY: value' with KEY in ASCII capitals, digits, '-' or
    '_' (e.g. '# SOURCE: ...', '# LICENSE: ...'). They describe the file, are
    not groups, and may only come in a block at the top, before the first
    group heading and the first name;
  - group headings, every other '# <title>' line ('# 书剑恩仇录', '# 全唐诗'),
    which start a group of names. A file with group headings must not have a
    name before the first one; a file without any is one flat list.
Every other line is one name of 1-9 characters, each a CJK Unified Ideograph
(U+4E00-U+9FFF), an Extension A ideograph (U+3400-U+4DBF) or the middle dot
'·' (9: the longest historical names of data/ancient.txt, Manchu and
Mongol clan names with a given name, 博尔济吉特巴图什里).
No duplicate names within a file. Prints per-file and per-group counts.
Exits 1 if any problem was found.
"""
import re
import sys


def ok_char(c):
    o = ord(c)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or c == "\u00b7"


HEADER = re.compile(r"# [A-Z][A-Z0-9_-]*: \S")
MAX_LEN = 9


def check(path):
    problems = []
    with open(path, "rb") as f:
        raw = f.read()
    if raw.startswith(b"\xef\xbb\xbf"):
        problems.append("file starts with a BOM")
        raw = raw[3:]
    if b"\r" in raw:
        problems.append("file contains CR characters")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        problems.append("not valid UTF-8: %s" % e)
        return problems, [], 0, 0
    if text and not text.endswith("\n"):
        problems.append("file does not end with a newline")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    groups = []  # [novel, count]
    seen = {}
    total = 0
    header = 0
    in_header = True
    has_groups = any(l.startswith("#") and not HEADER.match(l) for l in lines)
    for n, line in enumerate(lines, 1):
        line = line.rstrip("\r")
        if line == "":
            problems.append("line %d: blank line" % n)
            continue
        if line != line.strip():
            problems.append("line %d: leading or trailing whitespace" % n)
        if HEADER.match(line):
            if not in_header:
                problems.append("line %d: header line '# KEY: ...' after the first group or name" % n)
            header += 1
            continue
        in_header = False
        if line.startswith("#"):
            novel = line[1:].strip()
            if not line.startswith("# ") or not novel:
                problems.append("line %d: comment must look like '# 书名'" % n)
            groups.append([novel, 0])
            continue
        name = line
        if not groups:
            if has_groups:
                problems.append("line %d: name before any '# novel' comment" % n)
            groups.append(["(none)" if has_groups else "(no groups)", 0])
        if not 1 <= len(name) <= MAX_LEN:
            problems.append("line %d: %r has %d characters (1-%d allowed)"
                            % (n, name, len(name), MAX_LEN))
        bad = [c for c in name if not ok_char(c)]
        if bad:
            problems.append("line %d: %r has disallowed characters %s"
                            % (n, name, " ".join("U+%04X" % ord(c) for c in bad)))
        if name.startswith("·") or name.endswith("·") or "··" in name:
            problems.append("line %d: %r misplaced middle dot" % (n, name))
        if name in seen:
            problems.append("line %d: duplicate of line %d: %s"
                            % (n, seen[name], name))
        else:
            seen[name] = n
        groups[-1][1] += 1
        total += 1
    names = [g[0] for g in groups]
    for g in set(names):
        if names.count(g) > 1:
            problems.append("novel heading '# %s' appears %d times"
                            % (g, names.count(g)))
    for g, c in groups:
        if c == 0:
            problems.append("novel '%s' has no names" % g)
    return problems, groups, total, header


def main(argv):
    if not argv:
        print("usage: lint_names.py FILE...", file=sys.stderr)
        return 2
    bad = False
    for path in argv:
        try:
            problems, groups, total, header = check(path)
        except OSError as e:
            print("%s: cannot read: %s" % (path, e))
            bad = True
            continue
        ngroups = len([g for g in groups if g[0] != "(no groups)"])
        print("== %s: %d names, %d groups, %d header lines" % (path, total, ngroups, header))
        for g, c in groups:
            print("   %5d  %s" % (c, g))
        for p in problems:
            print("%s: %s" % (path, p))
        if problems:
            bad = True
            print("%s: %d problem(s)" % (path, len(problems)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
