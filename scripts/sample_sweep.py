#!/usr/bin/env python3
"""How `wuxia sample`'s settings shape a list of names (docs/QUALITY.md, "Sampling defaults").

    scripts/sample_sweep.py [--wuxia build/wuxia] [--checkpoint runs/default/best.safetensors] [-n 1000]

For each style of the casts (jinyong, gulong) and each setting (temperature,
top-p, the longest name allowed), it samples n names with a fixed seed,
keeping names of the training lists and words (`--allow-words`, so that both
can be counted), and measures over them:

- new: not a name of either cast's list;
- in the corpora: a real historical name (data/ancient.txt, data/poets.txt),
  new to the casts but a bland choice for a wuxia name;
- first char: the first character begins some name of the style's cast (how
  much the list sounds like that cast, as docs/QUALITY.md measures it);
- too long / too short: outside the style's length range;
- rare chars: a character outside the 8,105 of the 通用规范汉字表 (level 0 in
  data/hanzi.tsv, or not in it);
- single: one character (a bare surname);
- word: a common word, not a name (data/words.tsv: 海岛, 东西);
- chars: how many distinct characters the list uses (its variety).

It prints one Markdown table per style. What the numbers cannot say: whether
a name sounds right to a reader. docs/QUALITY.md pairs them with a reading.
"""
import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# (temperature, top-p, max-len: None = the style's longest training name)
SETTINGS = [(1.0, 1.0, 16), (1.0, 1.0, None), (0.9, 1.0, None), (0.8, 1.0, None), (0.7, 1.0, None),
            (0.6, 1.0, None), (1.0, 0.9, None), (0.9, 0.9, None), (0.8, 0.9, None), (0.7, 0.9, None),
            (0.8, 0.8, None)]


def read_names(path):
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        sys.exit(f"sample_sweep.py: cannot read {path}: {e}")
    return [l for l in text.split("\n") if l and not l.startswith("#")]


def read_table(path, column=0):
    return {l.split("\t")[column] for l in read_names(path) if not l.startswith("# ")}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wuxia", default=str(ROOT / "build" / "wuxia"))
    ap.add_argument("--checkpoint", default=str(ROOT / "runs" / "default" / "best.safetensors"))
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    casts = {s: read_names(ROOT / "data" / f"{s}.txt") for s in ("jinyong", "gulong")}
    known = set(casts["jinyong"]) | set(casts["gulong"])
    corpora = set(read_names(ROOT / "data" / "ancient.txt")) | set(read_names(ROOT / "data" / "poets.txt"))
    common = {l.split("\t")[0] for l in read_names(ROOT / "data" / "hanzi.tsv")
              if not l.startswith("# ") and l.split("\t")[2] != "0"}
    words = {l.split("\t")[0] for l in read_names(ROOT / "data" / "words.tsv") if not l.startswith("# ")}
    for style, cast in casts.items():
        lo, hi = min(map(len, cast)), max(map(len, cast))
        firsts = {n[0] for n in cast}
        print(f"\n{style}: {len(cast)} names of {lo} to {hi} characters; {a.n} samples a setting, seed {a.seed}\n")
        print("| temperature | top-p | max-len | new | in the corpora | first char | too long | rare chars | "
              "single | word | chars |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for t, p, max_len in SETTINGS:
            ml = hi if max_len is None else max_len
            cmd = [a.wuxia, "sample", "--checkpoint", a.checkpoint, "--style", style, "-n", str(a.n), "--seed",
                   str(a.seed), "--temperature", str(t), "--top-p", str(p), "--max-len", str(ml), "--min-len", "1",
                   "--allow-words", "--threads", "1"]
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode not in (0, 3):
                sys.exit(f"sample_sweep.py: {' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")
            s = [l for l in r.stdout.split("\n") if l]
            if not s:
                sys.exit(f"sample_sweep.py: {' '.join(cmd)} gave no names")
            share = lambda pred: f"{100 * sum(1 for x in s if pred(x)) / len(s):.1f}%"
            print(f"| {t} | {p} | {ml} | {share(lambda x: x not in known)} | "
                  f"{share(lambda x: x not in known and x in corpora)} | {share(lambda x: x[0] in firsts)} | "
                  f"{share(lambda x: len(x) > hi)} | {share(lambda x: any(c not in common for c in x))} | "
                  f"{share(lambda x: len(x) == 1)} | {share(lambda x: x not in known and x in words)} | "
                  f"{len(set(''.join(s)))} |")


if __name__ == "__main__":
    main()
