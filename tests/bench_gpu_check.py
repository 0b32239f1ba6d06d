#!/usr/bin/env python3
"""scripts/bench_gpu.py, the GPU benchmark driver, runs end to end in its
--quick mode on the CPU (no GPU needed): every row it prints is produced, and
a renamed JSON key or a broken command fails here rather than on a scarce
device run. With PyTorch the peer columns are checked too.

  bench_gpu_check.py WUXIA_BINARY DATA_DIR"""
import importlib.util
import re
import subprocess
import sys
import tempfile
from pathlib import Path

wuxia, data = sys.argv[1], Path(sys.argv[2])
script = Path(__file__).resolve().parent.parent / "scripts" / "bench_gpu.py"
have_torch = importlib.util.find_spec("torch") is not None
with tempfile.TemporaryDirectory() as tmp:
    r = subprocess.run([sys.executable, script, wuxia, "--quick", "--device", "cpu", "--rounds", "1",
                        "--data-small", data / "jinyong.txt", "--data-large", data / "gulong.txt", "--out", tmp],
                       capture_output=True, text=True, timeout=900)
    out = r.stdout
    assert r.returncode == 0, f"exit {r.returncode}\n{out}\n{r.stderr}\n{Path(tmp, 'bench_gpu.log').read_text()}"
    for row in ("small", "medium", "large"):
        assert re.search(rf"^\| {row} \(B=\d+, H=\d+, L=\d, V=\d+\) \| FP32 \|", out, re.M), f"no {row} row:\n{out}"
    assert re.search(r"^\| large .* \| TF32 \|", out, re.M), out
    assert "measured rates (FP32): SGEMM" in out, out
    assert re.search(r"^\| 128, 128, 4 \| [0-9.]+ \(", out, re.M), f"no recurrence row:\n{out}"
    assert "fused softmax-xent 4096 x 512: wuxia" in out, out
    assert "TF32 effect (medium model" in out, out
    assert "GPU idle fraction, small row: not measured" in out, out
    if have_torch:
        assert re.search(r"^\| small .* \| \*\*[0-9.]+x\*\* \|", out, re.M), f"no ratio in the small row:\n{out}"
        assert "F.cross_entropy fwd+bwd" in out, out
    # A spent --budget: later runs are not started, the table still comes, and the exit status says so.
    r = subprocess.run([sys.executable, script, wuxia, "--quick", "--device", "cpu", "--rounds", "1", "--budget", "0.01",
                        "--data-small", data / "jinyong.txt", "--data-large", data / "gulong.txt", "--out", tmp],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 1, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    assert "FAILED: not run, time budget spent" in r.stdout and "| row | precision |" in r.stdout, r.stdout
print("ok")
