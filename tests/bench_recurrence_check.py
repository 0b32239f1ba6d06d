#!/usr/bin/env python3
"""scripts/bench_recurrence.py, issue 30's grid of the fused recurrence against
the step loop and cuDNN, runs end to end on the CPU (no GPU needed): a row
per cell with both paths timed, and the goal's verdict line, so a renamed
JSON key or a broken command fails here rather than on a scarce device run.
On the CPU auto never picks the fused path, so the verdict is NOT MEASURED.

  bench_recurrence_check.py WUXIA_BINARY"""
import re
import subprocess
import sys
from pathlib import Path

wuxia = sys.argv[1]
script = Path(__file__).resolve().parent.parent / "scripts" / "bench_recurrence.py"
r = subprocess.run([sys.executable, script, wuxia, "--device", "cpu", "--no-peer", "--steps", "3", "--iters", "2",
                    "--batches", "2,5", "--hidden", "4,9"], capture_output=True, text=True, timeout=300)
out = r.stdout
assert r.returncode == 0, f"exit {r.returncode}\n{out}\n{r.stderr}"
for b in (2, 5):
    for h in (4, 9):
        row = rf"^\| {b} \| {h} \| steps \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| - \| - \|$"
        assert re.search(row, out, re.M), f"no full row for B={b} H={h}:\n{out}"
assert "NOT MEASURED (auto picked fused nowhere)" in out, out

# A wuxia run that fails is reported and makes the exit status 1.
r = subprocess.run([sys.executable, script, wuxia, "--device", "cpu", "--no-peer", "--steps", "2", "--iters", "1",
                    "--batches", "0", "--hidden", "4"], capture_output=True, text=True, timeout=120)
assert r.returncode == 1, f"exit {r.returncode}\n{r.stdout}"
assert "FAILED B=0 H=4" in r.stdout, r.stdout
print("bench_recurrence.py: every row and the verdict on the CPU")
