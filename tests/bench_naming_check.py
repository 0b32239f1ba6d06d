#!/usr/bin/env python3
"""scripts/bench_naming.sh, the naming helper's benchmark (docs/NAMING.md,
"Speed"), runs end to end: both rows with their figures, on a model trained
for three steps (so that it needs no base), and a missing checkpoint or a
failing command is an error that says so. The timings themselves are the
benchmark's to report, never this test's to judge.

  bench_naming_check.py WUXIA_BINARY DATA_DIR"""
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

wuxia, data = sys.argv[1], Path(sys.argv[2])
script = Path(__file__).resolve().parent.parent / "scripts" / "bench_naming.sh"
with tempfile.TemporaryDirectory() as tmp:
    # The model's vocabulary must hold the surname and characters the
    # benchmark's request asks for: the historical names hold them all.
    t = subprocess.run([wuxia, "train", "--data", str(data / "ancient.txt"), "--from-scratch", "--steps", "3",
                        "--hidden", "8", "--embed", "4", "--layers", "1", "--device", "cpu", "--quiet",
                        "--out", f"{tmp}/m"], capture_output=True, text=True, timeout=300)
    assert t.returncode == 0, t.stdout + t.stderr
    env = dict(os.environ, ROUNDS="2", N="5")
    r = subprocess.run(["bash", str(script), wuxia, f"{tmp}/m/best.safetensors"], capture_output=True, text=True,
                       env=env, timeout=300)
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    fig = r"[0-9.]+-[0-9.]+ \| [0-9.]+-[0-9.]+ \| [0-9]+ \| [0-9. ]+"
    assert re.search(rf"^\| name -n 5, the filters, cold \| 5 \| {fig} \| 0 \| [0-9]+ \|$", r.stdout, re.M), r.stdout
    assert re.search(rf"^\| explain, four names with namesakes, cold \| 4 \| {fig} \| - \| - \|$", r.stdout,
                     re.M), r.stdout

    r = subprocess.run(["bash", str(script), wuxia, f"{tmp}/none.safetensors"], capture_output=True, text=True,
                       env=env, timeout=60)
    assert r.returncode == 2 and "no checkpoint at" in r.stderr, f"exit {r.returncode}\n{r.stderr}"

    # A request the model cannot meet (a character outside its vocabulary)
    # stops the benchmark with wuxia's own words, not a table.
    Path(f"{tmp}/few.txt").write_text("云岚\n岚溪\n溪云\n云溪\n", encoding="utf-8")  # no 张
    t = subprocess.run([wuxia, "train", "--data", f"{tmp}/few.txt", "--from-scratch", "--steps", "1",
                        "--hidden", "8", "--embed", "4", "--layers", "1", "--device", "cpu", "--quiet",
                        "--out", f"{tmp}/small"], capture_output=True, text=True, timeout=300)
    assert t.returncode == 0, t.stdout + t.stderr
    r = subprocess.run(["bash", str(script), wuxia, f"{tmp}/small/best.safetensors"], capture_output=True,
                       text=True, env=env, timeout=120)
    assert r.returncode == 1 and "failed" in r.stderr and "wuxia name" in r.stderr, \
        f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    assert "| run |" not in r.stdout, r.stdout
print("bench_naming.sh: both rows, and its refusals")
