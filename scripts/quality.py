#!/usr/bin/env python3
"""What pretraining on the bundled corpora buys a cast model, and what each
fine-tuning lever adds (docs/QUALITY.md).

For a cast (data/jinyong.txt, data/gulong.txt) it holds a fixed tenth of the
names out (seeded; never seen in training, fine-tuning or the choice of a
checkpoint), trains

  (i)   the cast alone, with `wuxia train`'s defaults,
  (ii)  nothing: the base model alone (trained once on data/ancient.txt and
        data/poets.txt, or given with --base),
  (iii) the base fine-tuned on the cast (`wuxia train --init`, the defaults),
        and each --arm: the same fine-tune with a lever's flags,
  and each --ensemble: fine-tunes (arms) whose next-character distributions
        are averaged (`--checkpoint A --checkpoint B` on eval and sample),

with --with OTHER=PATH, the fine-tunes (iii) learn that list too, as a style
of its own, less the split's held-out names (the default route trains on
both casts: `--cast jinyong=... --with gulong=...`); (i) stays the cast alone,

and reports for each: the NLL per token (nats, END included) of the
held-out names every model can score (the cast-only model lacks the
characters only held-out names use), of those that are in no bundled corpus
either, and of all the held-out names a model can score; and over 1000
samples (temperature 1, the default; and 0.8): the fraction novel (in no
list of the cast), novel also against the corpora, outside the cast's length
range, and whose first character begins some cast name; plus 20 names for
the eye. --splits N repeats it over N held-out splits, and then compares
each arm and ensemble with the default fine-tune split by split.

  scripts/quality.py [--wuxia build/wuxia] [--cast jinyong=data/jinyong.txt]
                     [--base CKPT] [--out runs/quality] [--seed 2026]
                     [--splits N] [--jobs N] [--device cpu|cuda]
                     [--arm NAME="FLAGS"]... [--ensemble NAME=ARM+ARM...]...
                     [--train-flags "..."] [--tune-flags "..."] [--tune-name NAME]
                     [--with STYLE=PATH]...
                     [--reuse] [--report-only]

Each split's models live in OUT/STYLE/split-SEED/ (one folder a model) and
each scored row in row-NAME.json there, so --report-only prints the tables
again from what a run (say, one on another machine) left, without training.
"""
import argparse
import concurrent.futures
import json
import os
import random
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TUNE = "fine-tuned"


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
        r = subprocess.run([str(c) for c in cmd], stdout=f, stderr=subprocess.STDOUT)
    if r.returncode not in (0, 3):  # sample exits 3 when it found fewer names than asked
        raise RuntimeError(f"quality.py: {' '.join(map(str, cmd))} failed (exit {r.returncode}); see {log}")
    return time.time() - t0


def checkpoint_flags(ckpts):
    return [x for c in ckpts for x in ("--checkpoint", c)]


def nll(a, ckpts, names_file, style):
    out = subprocess.run([a.wuxia, "eval", *checkpoint_flags(ckpts), "--style", style, "--device", "cpu",
                          "--threads", str(a.threads), "--json", names_file],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def vocab_chars(ckpt):
    """The characters of a checkpoint's vocabulary (its safetensors metadata)."""
    with open(ckpt, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        meta = json.loads(f.read(n))["__metadata__"]
    return set(json.loads(meta["vocab"])["chars"])


def samples(a, ckpts, style, path, temperature=1.0):
    run([a.wuxia, "sample", *checkpoint_flags(ckpts), "--style", style, "-n", str(a.samples), "--seed", "7",
         "--temperature", str(temperature), "--device", "cpu", "--threads", "1"], path)
    return [l for l in path.read_text(encoding="utf-8").split("\n") if l]


def mean_sd(xs, digits=4):
    m = sum(xs) / len(xs)
    sd = (sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) ** 0.5 if len(xs) > 1 else 0.0
    return f"{m:.{digits}f} ± {sd:.{digits}f}"


class Split:
    """One held-out split: its files and the models (rows) it compares."""

    def __init__(self, a, style, cast, seed):
        self.seed = seed
        self.dir = Path(a.out) / style / f"split-{seed}"
        self.dir.mkdir(parents=True, exist_ok=True)
        held = set(random.Random(seed).sample(cast, len(cast) // 10))
        self.train_names = [n for n in cast if n not in held]
        self.held = [n for n in cast if n in held]
        if not a.report_only:
            (self.dir / "train.txt").write_text("\n".join(self.train_names) + "\n", encoding="utf-8")
            (self.dir / "test.txt").write_text("\n".join(self.held) + "\n", encoding="utf-8")
        also = []  # the other lists the fine-tunes learn (--with), less this split's held-out names
        for other, path in a.with_lists:
            f = self.dir / f"with-{other}.txt"
            if not a.report_only:
                f.write_text("\n".join(n for n in read_names(path) if n not in held) + "\n", encoding="utf-8")
            also += ["--data", f"{other}={f}"]
        # rows: (key, label, checkpoints, style, folder of its samples, training command or None)
        self.rows = []
        only = set(a.only.split(","))
        if "i" in only:
            d = self.dir / "cast-only"
            cmd = [a.wuxia, "train", "--from-scratch", "--data", f"{style}={self.dir / 'train.txt'}", "--out", d,
                   "--overwrite", "--device", a.device, *shlex.split(a.train_flags)]
            self.rows.append(("cast-only", "(i) cast only", [d / "best.safetensors"], style, d, cmd))
        if "ii" in only:
            base = a.base or str(Path(a.out) / "base" / "best.safetensors")
            self.rows.append(("base", "(ii) base alone", [base], "ancient", self.dir / "base-alone", None))
        if "iii" in only:
            for name, flags in a.arms:
                d = self.dir / name
                flags = shlex.split(flags)
                # An arm may bring its own base (--init); else the study's base, or the route itself.
                if "--init" in flags:
                    route = []
                elif a.base:
                    route = ["--init", a.base]
                else:
                    route = ["--base-dir", Path(a.out) / "base"] + (["--base-steps", a.base_steps] if a.base_steps else [])
                cmd = [a.wuxia, "train", *route, "--data", f"{style}={self.dir / 'train.txt'}", *also, "--out", d,
                       "--overwrite", "--device", a.device, *flags]
                label = "(iii) base + fine-tune" + ("" if name == DEFAULT_TUNE else f" ({name})")
                self.rows.append((name, label, [d / "best.safetensors"], style, d, cmd))
            arm_dirs = {name: self.dir / name for name, _ in a.arms}
            for name, members in a.ensembles:
                ckpts = [arm_dirs[m] / "best.safetensors" for m in members]
                self.rows.append((name, f"ensemble {name} ({'+'.join(members)})", ckpts, style, self.dir / name, None))


def score_row(a, split, row, common_file, unseen_file, ctx):
    key, label, ckpts, style, folder, _ = row
    out_file = split.dir / f"row-{key}.json"
    if a.report_only:
        return json.loads(out_file.read_text(encoding="utf-8")) if out_file.exists() else None
    folder.mkdir(parents=True, exist_ok=True)
    ckpts = [str(c) for c in ckpts]
    ev = nll(a, ckpts, str(common_file), style)
    evu = nll(a, ckpts, str(unseen_file), style) if unseen_file.stat().st_size > 1 else {"loss": float("nan")}
    eva = nll(a, ckpts, str(split.dir / "test.txt"), style)
    s = samples(a, ckpts, style, folder / f"samples-{style}-t1.0.txt")
    cool = samples(a, ckpts, style, folder / f"samples-{style}-t0.8.txt", 0.8)
    cmd_record = folder / "command.json"
    secs = json.loads(cmd_record.read_text(encoding="utf-8"))["seconds"] if cmd_record.exists() else 0.0
    known, corpora, first_chars, lo, hi = ctx
    n = len(s)
    r = {
        "key": key, "model": label, "checkpoints": ckpts, "seconds": secs, "nll": ev["loss"],
        "nll_unseen": evu["loss"], "nll_all": eva["loss"], "scored_all": eva["names"], "n": n,
        "novel": sum(x not in known for x in s) / n,
        "novel_corpora": sum(x not in known and x not in corpora for x in s) / n,
        "outside_len": sum(not (lo <= len(x) <= hi) for x in s) / n,
        "first_char": sum(x[0] in first_chars for x in s) / n,
        "first_char_t08": sum(x[0] in first_chars for x in cool) / len(cool),
        "novel_t08": sum(x not in known for x in cool) / len(cool),
        "eye": s[:20],
    }
    out_file.write_text(json.dumps(r, ensure_ascii=False, indent=1), encoding="utf-8")
    return r


def parse_named(values, what):
    out = []
    for v in values:
        if "=" not in v:
            sys.exit(f"quality.py: {what} '{v}' is not NAME=VALUE")
        name, val = v.split("=", 1)
        if not name or "/" in name or name in ("cast-only", "base", "base-alone"):
            sys.exit(f"quality.py: {what} '{v}': '{name}' cannot name a folder of its own")
        out.append((name, val))
    return out


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
    ap.add_argument("--tune-name", default=DEFAULT_TUNE,
                    help="folder and label of (iii) in each split folder: several fine-tunes (say, one a lever of "
                         "issue 23) then share one --out and its (i)")
    ap.add_argument("--arm", action="append", default=[], metavar="NAME=FLAGS",
                    help="also fine-tune with these flags into each split's folder NAME and compare it with the "
                         "default fine-tune (repeatable; FLAGS may hold --init CKPT for another base)")
    ap.add_argument("--ensemble", action="append", default=[], metavar="NAME=ARM+ARM...",
                    help="also score the ensemble of these fine-tunes (arm names; the default one is "
                         f"'{DEFAULT_TUNE}'): their next-character distributions averaged")
    ap.add_argument("--device", default="cpu", help="device of the trainings (evaluations and samples: the CPU)")
    ap.add_argument("--jobs", type=int, default=1, help="models trained and scored at once")
    ap.add_argument("--reuse", action="store_true",
                    help="keep a model already trained in its folder by the same command (in its command.json) "
                         "instead of training it again: compare fine-tunes without retraining (i) each time")
    ap.add_argument("--report-only", action="store_true",
                    help="train and score nothing: print the tables from the row-*.json files already in --out")
    ap.add_argument("--with", dest="with_lists", action="append", default=[], metavar="STYLE=PATH",
                    help="the fine-tunes also learn this list as a style of its own (less the held-out names)")
    ap.add_argument("--only", default="i,ii,iii")
    ap.add_argument("--splits", type=int, default=1,
                    help="also repeat the whole study over this many held-out splits (seeds SEED, SEED+1, ...) "
                         "and report means and spreads")
    a = ap.parse_args()
    a.arms = [(a.tune_name, a.tune_flags)] + parse_named(a.arm, "--arm")
    names = [n for n, _ in a.arms]
    if len(set(names)) != len(names):
        sys.exit(f"quality.py: two arms share a name: {names}")
    a.ensembles = []
    for name, members in parse_named(a.ensemble, "--ensemble"):
        ms = members.split("+")
        unknown = [m for m in ms if m not in names]
        if unknown or len(ms) < 2:
            sys.exit(f"quality.py: --ensemble {name}: needs two or more of the arms {names}, got {ms}")
        a.ensembles.append((name, ms))
    a.with_lists = parse_named(a.with_lists, "--with")
    a.threads = max(1, (os.cpu_count() or 1) // max(1, a.jobs))
    style, cast_path = a.cast.split("=", 1)
    cast = read_names(cast_path)
    corpora = set(read_names(ROOT / "data" / "ancient.txt")) | set(read_names(ROOT / "data" / "poets.txt"))
    splits = [Split(a, style, cast, a.seed + k) for k in range(a.splits)]
    known = set(cast)
    ctx = (known, corpora, {n[0] for n in cast}, min(map(len, cast)), max(map(len, cast)))

    failures = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        if not a.report_only:
            jobs = [pool.submit(train, cmd, folder, split.dir / f"{key}.log", a.reuse)
                    for split in splits for key, _, _, _, folder, cmd in split.rows if cmd]
            for j in concurrent.futures.as_completed(jobs):
                if j.exception():
                    failures.append(str(j.exception()))
        # A model cannot score a name with a character outside its vocabulary (the
        # cast-only model lacks every character only held-out names use), so the
        # NLLs compare on the held-out names every model can score.
        scored = {}
        for split in splits:
            common_file = split.dir / "test-common.txt"
            unseen_file = split.dir / "test-common-unseen.txt"
            if not a.report_only:
                ckpts = [c for row in split.rows for c in row[2]]
                missing = [str(c) for c in ckpts if not Path(c).exists()]
                if missing:
                    failures.append(f"split {split.seed}: not trained: {', '.join(missing)}")
                    continue
                vocabs = [vocab_chars(c) for c in ckpts]
                common = [n for n in split.held if all(set(n) <= v for v in vocabs)]
                common_unseen = [n for n in common if n not in corpora]
                common_file.write_text("\n".join(common) + "\n", encoding="utf-8")
                unseen_file.write_text("\n".join(common_unseen) + "\n", encoding="utf-8")
            for row in split.rows:
                scored[(split.seed, row[0])] = pool.submit(score_row, a, split, row, common_file, unseen_file, ctx)
        results = {}
        for k, f in scored.items():
            try:
                if f.result() is not None:
                    results[k] = f.result()
            except Exception as e:  # noqa: BLE001 - reported below, the tables still print what was scored
                failures.append(str(e))
    report(a, style, cast, splits, results)
    for f in failures:
        print(f"quality.py: FAILED: {f}", file=sys.stderr)
    if failures:
        sys.exit(1)


def report(a, style, cast, splits, results):
    keys = [row[0] for row in splits[0].rows]
    labels = {row[0]: row[1] for row in splits[0].rows}
    first = splits[0]
    print(f"cast {style}: {len(cast)} names; split seed {first.seed}: {len(first.held)} held out")
    print()
    print("| model | held-out NLL (common) | the same, names in no corpus | held-out NLL, all it can score (names) | "
          "samples | novel | novel, also vs corpora | outside length range | first char starts a cast name | "
          "at T=0.8: first char / novel | train s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for k in keys:
        r = results.get((first.seed, k))
        if r is None:
            print(f"| {labels[k]} | (missing) |")
            continue
        print(f"| {r['model']} | {r['nll']:.4f} | {r['nll_unseen']:.4f} | {r['nll_all']:.4f} ({r['scored_all']}) | "
              f"{r['n']} | {100 * r['novel']:.1f}% | {100 * r['novel_corpora']:.1f}% | {100 * r['outside_len']:.1f}% | "
              f"{100 * r['first_char']:.1f}% | {100 * r['first_char_t08']:.1f}% / {100 * r['novel_t08']:.1f}% | "
              f"{r['seconds']:.0f} |")
    print()
    for k in keys:
        r = results.get((first.seed, k))
        if r:
            print(f"{r['model']}: {' '.join(r['eye'])}")
    summary = {k: [results.get((s.seed, k)) for s in splits] for k in keys}
    if len(splits) > 1:
        seeds = [s.seed for s in splits]
        print()
        print(f"Over {len(splits)} held-out splits (seeds {seeds[0]}..{seeds[-1]}), mean ± standard deviation:")
        print()
        print("| model | held-out NLL (common) | held-out NLL, all it can score | first char starts a cast name | "
              "novel | train s |")
        print("|---|---|---|---|---|---|")
        for k in keys:
            rs = [r for r in summary[k] if r]
            if not rs:
                continue
            col = lambda key, scale=1.0: [r[key] * scale for r in rs]
            note = "" if len(rs) == len(splits) else f" ({len(rs)} of {len(splits)} splits)"
            print(f"| {labels[k]}{note} | {mean_sd(col('nll'))} | {mean_sd(col('nll_all'))} | "
                  f"{mean_sd(col('first_char', 100), 1)}% | {mean_sd(col('novel', 100), 1)}% | "
                  f"{sum(col('seconds')) / len(rs):.0f} |")
        print()
        for ref in ("cast-only", DEFAULT_TUNE):
            if ref not in summary:
                continue
            for k in keys:
                if k in (ref, "cast-only", "base"):
                    continue
                pairs = [(r0, r1) for r0, r1 in zip(summary[ref], summary[k]) if r0 and r1]
                if not pairs:
                    continue
                gains = [r0["nll"] - r1["nll"] for r0, r1 in pairs]
                wins = sum(g > 0 for g in gains)
                print(f"{labels[k]} better than {labels[ref]} on the common held-out names by {mean_sd(gains)} "
                      f"nats/token, on {wins} of {len(gains)} splits ({', '.join(f'{g:.3f}' for g in gains)})")
    if not a.report_only:
        name = "summary.json" if [n for n, _ in a.arms] == [DEFAULT_TUNE] and not a.ensembles else \
            (f"summary-{a.tune_name}.json" if not a.arm and not a.ensembles else "summary-arms.json")
        (Path(a.out) / style / name).write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
