#!/usr/bin/env python3
"""The house's signposts hold: every `DESIGN "X"` citation in the tree names a
heading of docs/DESIGN.md, every relative link in README.md and docs/*.md
reaches a file, README.md stays a doorway (at most 200 lines), and src/ keeps
its code in the folders of DESIGN "Layout" (no .cpp at its top level), and
every command of src/cli/ stays a thin front end (no cmd_* function over 60
lines, its flag table, between the clang-format off/on marks, aside).

Usage: docs_check.py PROJECT_ROOT. Exits 1 listing every fault found."""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
faults = []

SKIP_DIRS = {".git", "data"}
TEXT = (".cpp", ".hpp", ".cu", ".cuh", ".h", ".md", ".py", ".sh", ".txt", ".js", ".html", ".css")


def tree_files():
    for d, dirs, files in os.walk(root):
        rel = os.path.relpath(d, root)
        top = rel.split(os.sep)[0]
        dirs[:] = [x for x in dirs if not (rel == "." and (x in SKIP_DIRS or x.startswith("build")))]
        if top.startswith("build"):
            continue
        for f in files:
            if f.endswith(TEXT) or f == "CMakeLists.txt":
                yield os.path.join(d, f)


design = open(os.path.join(root, "docs", "DESIGN.md"), encoding="utf-8").read()
headings = set(re.findall(r"^#{2,3} (.+?)\s*$", design, re.M))
cite = re.compile(r'DESIGN(?:\.md)? "([^"]+)"')
for path in tree_files():
    try:
        text = open(path, encoding="utf-8").read()
    except UnicodeDecodeError:
        continue
    for n, line in enumerate(text.splitlines(), 1):
        for m in cite.finditer(line):
            if m.group(1) not in headings and os.path.realpath(path) != os.path.realpath(__file__):
                faults.append(f'{os.path.relpath(path, root)}:{n}: cites DESIGN "{m.group(1)}", '
                              f"which docs/DESIGN.md has no heading for")

link = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
docs = [os.path.join(root, "README.md")] + [
    os.path.join(root, "docs", f) for f in sorted(os.listdir(os.path.join(root, "docs"))) if f.endswith(".md")]
for path in docs:
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        for m in link.finditer(line):
            target = m.group(1)
            if re.match(r"^[a-z]+:", target):
                continue  # http:, https:, mailto:
            if not os.path.exists(os.path.join(os.path.dirname(path), target)):
                faults.append(f"{os.path.relpath(path, root)}:{n}: link to {target}, which does not exist")

readme_lines = sum(1 for _ in open(os.path.join(root, "README.md"), encoding="utf-8"))
if readme_lines > 200:
    faults.append(f"README.md has {readme_lines} lines; it is a doorway of at most 200 (the rest lives in docs/)")

top_cpp = sorted(f for f in os.listdir(os.path.join(root, "src")) if f.endswith((".cpp", ".hpp")))
if top_cpp:
    faults.append("src/ holds code at its top level (" + ", ".join(top_cpp) + "): it belongs in a folder of "
                  'DESIGN "Layout"')

cli = os.path.join(root, "src", "cli")
for name in sorted(os.listdir(cli)):
    if not name.endswith(".cpp"):
        continue
    lines = open(os.path.join(cli, name), encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^int (cmd_\w+)\(.*\{$", lines[i])
        if m:
            j, n, table = i, 0, False
            while j < len(lines) and lines[j] != "}":
                if "clang-format off" in lines[j]:
                    table = True
                if not table:
                    n += 1
                if "clang-format on" in lines[j]:
                    table = False
                j += 1
            if n > 60:
                faults.append(f"src/cli/{name}:{i + 1}: {m.group(1)} is {n} lines besides its flag table: "
                              "the logic belongs in the core (DESIGN \"The command line\")")
            i = j
        i += 1

for f in faults:
    print(f)
print(f"{len(faults)} fault(s)")
sys.exit(1 if faults else 0)
