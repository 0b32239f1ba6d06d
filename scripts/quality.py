#!/usr/bin/env python3
"""What pretraining on the bundled corpora buys a cast model (docs/QUALITY.md).

For a cast (data/jinyong.txt, data/gulong.txt) it holds a fixed tenth of the
names out (seeded; never seen in training, fine-tuning or the choice of a
checkpoint), trains

  (i)   the cast alone, with `wuxia train`'s defaults,
  (ii)  nothing: the base model alone (trained once on data/ancient.txt and
        data/poets.txt, or given with --base),
  (iii) the base fine-tuned on the cast (`wuxia train --init`, the defaults),

and reports for each: the NLL per token (nats, END included) of the
held-out names every model can score (the cast-only model lacks the
characters only held-out names use), of those that are in no bundled corpus
either, and of all the held-out names a model can score; and over 1000
samples (temperature 1, the default; and 0.8): the fraction novel (in no
list of the cast), novel also against the corpora, outside the cast's length
range, and whose first character begins some cast name; plus 20 names for
the eye. --splits N repeats it over N held-out splits.

  scripts/quality.py [--wuxia build/wuxia] [--cast jinyong=data/jinyong.txt]
                     [--base CKPT] [--out runs/quality] [--seed 2026]
                     [--train-flags "..."] [--tune-flags "..."] [--splits N]
                     [--tune-name NAME] [--reuse]

--tune-name and --reuse compare fine-tunes (issue 23's levers) against one
(i): each lever's fine-tune in its own folder of each split, (i) trained once.

Prints a markdown table and writes everything to --out (one folder a model).
"""
import argparse
import json
import os
import random
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def read_names(path):
    out = []
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return list(dict.fromkeys(out))


def train(cmd, folder, log, reuse):
    """Runs a `wuxia train` command into `folder`; with reuse, keeps what an identical earlier command left there."""
    record = Path(folder) / "command.json"
    cmd = [str(c) for c in cmd]
    if reuse and record.exists() and (Path(folder) / "best.safetensors").exists():
        done = json.loads(record.read_text(encoding="utf-8"))
        if done["command"] == cmd:
            return done["seconds"]
    secs = run(cmd, log)
    record.write_text(json.dumps({"command": cmd, "seconds": secs}), encoding="utf-8")
    return secs


def run(cmd, log):
    t0 = time.time()
    with open(log, "w", encoding="utf-8") as f:
        r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT)
    if r.returncode not in (0, 3):  # sample exits 3 when it found fewer names than asked
        sys.exit(f"quality.py: {' '.join(map(str, cmd))} failed (exit {r.returncode}); see {log}")
    return time.time() - t0


def nll(wuxia, ckpt, names_file, style):
    out = subprocess.run([wuxia, "eval", "--checkpoint", ckpt, "--style", style, "--device", "cpu", "--json",
                          names_file], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def vocab_chars(ckpt):
    """The characters of a checkpoint's vocabulary (its safetensors metadata)."""
    with open(ckpt, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        meta = json.loads(f.read(n))["__metadata__"]
    return set(json.loads(meta["vocab"])["chars"])


def samples(wuxia, ckpt, style, n, seed, out, temperature=1.0):
    path = out / f"samples-{style}-t{temperature}.txt"
    run([wuxia, "sample", "--checkpoint", ckpt, "--style", style, "-n", str(n), "--seed", str(seed),
         "--temperature", str(temperature), "--device", "cpu"], path)
    return [l for l in path.read_text(encoding="utf-8").split("\n") if l]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wuxia", default=str(ROOT / "build" / "wuxia"))
    ap.add_argument("--cast", default=f"jinyong={ROOT / 'data' / 'jinyong.txt'}")
    ap.add_argument("--base", help="base checkpoint (default: the route's own, pretrained into OUT/base on first use)")
    ap.add_argument("--out", default=str(ROOT / "runs" / "quality"))
    ap.add_argument("--seed", type=int, default=2026, help="seed of the held-out split")
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--base-steps", type=int, help="the route's --base-steps when it pretrains the base")
    ap.add_argument("--train-flags", default="", help="extra flags for (i), the cast alone")
    ap.add_argument("--tune-flags", default="", help="extra flags for (iii), the fine-tune")
    ap.add_argument("--tune-name", default="fine-tuned",
                    help="folder and label of (iii) in each split folder: several fine-tunes (say, one a lever of "
                         "issue 23) then share one --out and its (i)")
    ap.add_argument("--reuse", action="store_true",
                    help="keep a model already trained in its folder by the same command (in its command.json) "
                         "instead of training it again: compare fine-tunes without retraining (i) each time")
    ap.add_argument("--only", default="i,ii,iii")
    ap.add_argument("--splits", type=int, default=1,
                    help="also repeat the whole study over this many held-out splits (seeds SEED, SEED+1, ...) "
                         "and report means and spreads")
    a = ap.parse_args()
    style, cast_path = a.cast.split("=", 1)
    cast = read_names(cast_path)
    corpora = set(read_names(ROOT / "data" / "ancient.txt")) | set(read_names(ROOT / "data" / "poets.txt"))
    results = [study(a, style, cast, corpora, a.seed + k) for k in range(a.splits)]
    rows, info = results[0]
    print(f"cast {style}: {len(cast)} names; split seed {a.seed}: {info}")
    print()
    print("| model | held-out NLL (common) | the same, names in no corpus | held-out NLL, all it can score (names) | "
          "samples | novel | novel, also vs corpora | outside length range | first char starts a cast name | "
          "at T=0.8: first char / novel | train s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['nll']:.4f} | {r['nll_unseen']:.4f} | {r['nll_all']:.4f} ({r['scored_all']}) | "
              f"{r['n']} | {100 * r['novel']:.1f}% | {100 * r['novel_corpora']:.1f}% | {100 * r['outside_len']:.1f}% | "
              f"{100 * r['first_char']:.1f}% | {100 * r['first_char_t08']:.1f}% / {100 * r['novel_t08']:.1f}% | "
              f"{r['seconds']:.0f} |")
    print()
    for r in rows:
        print(f"{r['model']}: {' '.join(r['eye'])}")
    if a.splits > 1:
        print()
        print(f"Over {a.splits} held-out splits (seeds {a.seed}..{a.seed + a.splits - 1}), mean ± standard deviation:")
        print()
        print("| model | held-out NLL (common) | held-out NLL, all it can score | first char starts a cast name | novel |")
        print("|---|---|---|---|---|")
        for i, r in enumerate(rows):
            col = lambda key, scale=1.0: [res[0][i][key] * scale for res in results]
            print(f"| {r['model']} | {mean_sd(col('nll'))} | {mean_sd(col('nll_all'))} | "
                  f"{mean_sd(col('first_char', 100), 1)}% | {mean_sd(col('novel', 100), 1)}% |")
        gains = [res[0][0]["nll"] - res[0][-1]["nll"] for res in results] if len(rows) > 1 else []
        if gains:
            print()
            print(f"{rows[-1]['model']} better than {rows[0]['model']} on the common held-out names by "
                  f"{mean_sd(gains)} nats/token ({', '.join(f'{g:.3f}' for g in gains)})")
    summary = "summary.json" if a.tune_name == "fine-tuned" else f"summary-{a.tune_name}.json"
    (Path(a.out) / style / summary).write_text(json.dumps([r for r, _ in results], ensure_ascii=False, indent=1),
                                                      encoding="utf-8")


def mean_sd(xs, digits=4):
    m = sum(xs) / len(xs)
    sd = (sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) ** 0.5 if len(xs) > 1 else 0.0
    return f"{m:.{digits}f} ± {sd:.{digits}f}"


def study(a, style, cast, corpora, seed):
    """One held-out split: trains (i) and (iii), scores (i)-(iii); returns (rows, description)."""
    out = Path(a.out) / style / f"split-{seed}"
    out.mkdir(parents=True, exist_ok=True)
    only = set(a.only.split(","))
    held = set(random.Random(seed).sample(cast, len(cast) // 10))
    train_names = [n for n in cast if n not in held]
    held_list = [n for n in cast if n in held]
    (out / "train.txt").write_text("\n".join(train_names) + "\n", encoding="utf-8")
    (out / "test.txt").write_text("\n".join(held_list) + "\n", encoding="utf-8")
    unseen = [n for n in held_list if n not in corpora]
    first_chars = {n[0] for n in cast}
    lo, hi = min(map(len, cast)), max(map(len, cast))
    known = set(cast)
    rows = []
    models = []
    base_dir = Path(a.out) / "base"
    if "i" in only:
        d = out / "cast-only"
        secs = train([a.wuxia, "train", "--from-scratch", "--data", f"{style}={out / 'train.txt'}", "--out", str(d),
                      "--overwrite", "--device", "cpu", *shlex.split(a.train_flags)], d, out / "cast-only.log", a.reuse)
        models.append(("(i) cast only", str(d / "best.safetensors"), style, secs))
    tuned = None
    if "iii" in only:
        # The default route itself: the base is pretrained into --base-dir on first use.
        d = out / a.tune_name
        route = ["--init", a.base] if a.base else ["--base-dir", str(base_dir)]
        if a.base_steps and not a.base:
            route += ["--base-steps", str(a.base_steps)]
        secs = train([a.wuxia, "train", *route, "--data", f"{style}={out / 'train.txt'}", "--out", str(d),
                      "--overwrite", "--device", "cpu", *shlex.split(a.tune_flags)], d, out / f"{a.tune_name}.log",
                     a.reuse)
        label = "(iii) base + fine-tune" + ("" if a.tune_name == "fine-tuned" else f" ({a.tune_name})")
        tuned = (label, str(d / "best.safetensors"), style, secs)
    if "ii" in only:
        models.append(("(ii) base alone", a.base or str(base_dir / "best.safetensors"), "ancient", 0.0))
    if tuned:
        models.append(tuned)

    # A model cannot score a name with a character outside its vocabulary (the
    # cast-only model lacks every character only held-out names use), so the
    # NLLs compare on the held-out names every model can score.
    vocabs = [vocab_chars(m[1]) for m in models]
    common = [n for n in held_list if all(set(n) <= v for v in vocabs)]
    common_unseen = [n for n in common if n not in corpora]
    (out / "test-common.txt").write_text("\n".join(common) + "\n", encoding="utf-8")
    (out / "test-common-unseen.txt").write_text("\n".join(common_unseen) + "\n", encoding="utf-8")
    for label, ckpt, st, secs in models:
        ev = nll(a.wuxia, ckpt, str(out / "test-common.txt"), st)
        evu = nll(a.wuxia, ckpt, str(out / "test-common-unseen.txt"), st)
        eva = nll(a.wuxia, ckpt, str(out / "test.txt"), st)
        mdir = Path(ckpt).parent
        s = samples(a.wuxia, ckpt, st, a.samples, 7, mdir)
        cool = samples(a.wuxia, ckpt, st, a.samples, 7, mdir, 0.8)
        n = len(s)
        rows.append({
            "model": label, "seconds": secs, "nll": ev["loss"], "nll_unseen": evu["loss"],
            "nll_all": eva["loss"], "scored_all": eva["names"],
            "n": n,
            "novel": sum(x not in known for x in s) / n,
            "novel_corpora": sum(x not in known and x not in corpora for x in s) / n,
            "outside_len": sum(not (lo <= len(x) <= hi) for x in s) / n,
            "first_char": sum(x[0] in first_chars for x in s) / n,
            "first_char_t08": sum(x[0] in first_chars for x in cool) / len(cool),
            "novel_t08": sum(x not in known for x in cool) / len(cool),
            "eye": s[:20],
        })
    info = (f"{len(held_list)} held out ({len(unseen)} of them in no bundled corpus); {len(common)} held-out names "
            f"every model can score ({len(common_unseen)} in no corpus); lengths {lo}-{hi}, {len(first_chars)} first "
            f"characters")
    return rows, info


if __name__ == "__main__":
    main()
