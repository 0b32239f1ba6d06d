#!/usr/bin/env python3
"""scripts/quality.py's comparison of fine-tunes (issue 23's tables): from
row files a run left, --report-only prints each arm's and ensemble's gain
over the cast-only model and over the default fine-tune, split by split,
with how many splits it wins; a split missing a row is said, and an
ensemble of an arm that does not run is refused."""
import json
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "quality.py"
ARMS = ["--arm", "ema=--ema 0.9", "--arm", "seed2=--seed 2", "--ensemble", "ens=fine-tuned+seed2"]
# held-out NLL per split (seeds 2026, 2027) of each row
NLL = {"cast-only": (4.60, 4.50), "base": (5.00, 5.10), "fine-tuned": (4.30, 4.40),
       "ema": (4.28, 4.41), "seed2": (4.36, 4.38), "ens": (4.25, 4.35)}


def row(key, nll):
    return {"key": key, "model": key, "checkpoints": [], "seconds": 1.0, "nll": nll, "nll_unseen": nll,
            "nll_all": nll, "scored_all": 9, "n": 10, "novel": 1.0, "novel_corpora": 1.0, "outside_len": 0.0,
            "first_char": 0.5, "first_char_t08": 0.5, "novel_t08": 1.0, "eye": ["甲乙"]}


def report(out, *extra):
    return subprocess.run([sys.executable, SCRIPT, "--report-only", "--out", out, "--splits", "2", *ARMS, *extra],
                          capture_output=True, text=True)


with tempfile.TemporaryDirectory() as tmp:
    for k, seed in enumerate((2026, 2027)):
        d = pathlib.Path(tmp, "jinyong", f"split-{seed}")
        d.mkdir(parents=True)
        for key, nlls in NLL.items():
            (d / f"row-{key}.json").write_text(json.dumps(row(key, nlls[k])), encoding="utf-8")
    r = report(tmp)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()

    def line(arm, ref):
        hits = [l for l in lines if l.startswith(arm) and f"better than {ref}" in l]
        assert len(hits) == 1, (arm, ref, r.stdout)
        return hits[0]

    # ema against the default: +0.02 and -0.01 -> mean 0.005, sd 0.0212, wins 1 of 2
    assert "by 0.0050 ± 0.0212 nats/token, on 1 of 2 splits (0.020, -0.010)" in \
        line("(iii) base + fine-tune (ema)", "(iii) base + fine-tune on"), r.stdout
    # the ensemble against the default: +0.05, +0.05
    assert "by 0.0500 ± 0.0000 nats/token, on 2 of 2 splits (0.050, 0.050)" in \
        line("ensemble ens (fine-tuned+seed2)", "(iii) base + fine-tune on"), r.stdout
    # the default against the cast-only model: 0.30, 0.10
    assert "by 0.2000 ± 0.1414 nats/token, on 2 of 2 splits (0.300, 0.100)" in \
        line("(iii) base + fine-tune better", "(i) cast only"), r.stdout
    assert any(l.startswith("| ensemble ens (fine-tuned+seed2) | 4.3000 ± 0.0707") for l in lines), r.stdout

    # A row missing from one split: its mean says so, its comparisons use the split it has.
    pathlib.Path(tmp, "jinyong", "split-2027", "row-ema.json").unlink()
    r = report(tmp)
    assert r.returncode == 0, r.stderr
    assert any(l.startswith("| (iii) base + fine-tune (ema) (1 of 2 splits) | 4.2800") for l in r.stdout.splitlines()), \
        r.stdout
    assert "on 1 of 1 splits (0.020)" in r.stdout, r.stdout

    r = subprocess.run([sys.executable, SCRIPT, "--report-only", "--out", tmp, "--ensemble", "e=fine-tuned+nope"],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "--ensemble e" in r.stderr and "nope" in r.stderr, r.stderr
print("ok")
