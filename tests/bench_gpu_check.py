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
    assert re.search(r"^\| large .* \| BF16 \|", out, re.M), out
    assert "measured rates (FP32): SGEMM" in out, out
    assert re.search(r"^\| 128, 128, 4 \| [0-9.]+ \(", out, re.M), f"no recurrence row:\n{out}"
    assert "fused softmax-xent 4096 x 512: wuxia" in out, out
    assert "TF32 effect (medium model" in out, out
    assert re.search(r"^BF16 effect \(medium model.*; final val loss FP32 [0-9.]+ vs BF16 [0-9.]+: [-+][0-9.]+ nats/token "
                     r"\((within|OUTSIDE) the 0.01 goal\)", out, re.M), out
    assert "GPU idle fraction, small row: not measured" in out, out
    if have_torch:
        assert re.search(r"^\| small .* \| \*\*[0-9.]+x\*\* \|", out, re.M), f"no ratio in the small row:\n{out}"
        assert "F.cross_entropy fwd+bwd" in out, out
    # --bf16-only: the large row in FP32 and BF16 and the two loss runs, nothing else.
    r = subprocess.run([sys.executable, script, wuxia, "--quick", "--device", "cpu", "--bf16-only",
                        "--data-small", data / "jinyong.txt", "--data-large", data / "gulong.txt", "--out", tmp],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    assert re.search(r"^\| large .* \| BF16 \|", r.stdout, re.M), r.stdout
    assert not re.search(r"^\| (small|medium) |^\| large .* \| TF32 \||softmax-xent|recurrence|TF32 effect",
                         r.stdout, re.M), r.stdout
    assert "BF16 effect (medium model" in r.stdout, r.stdout
    # A spent --budget: later runs are not started, the table still comes, each
    # run left out is listed as not run, and that alone is no failure (exit 0).
    r = subprocess.run([sys.executable, script, wuxia, "--quick", "--device", "cpu", "--budget", "0.01",
                        "--data-small", data / "jinyong.txt", "--data-large", data / "gulong.txt", "--out", tmp],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    assert "| row | precision |" in r.stdout, r.stdout
    assert re.search(r"^\| small \| FP32 \| not run \(time budget spent\) \|", r.stdout, re.M), r.stdout
    assert "NOT RUN (time budget spent): " in r.stdout and "FAILED" not in r.stdout, r.stdout

# A run the budget cuts off is reported as not run; one that outlasts its own
# time limit is a failure.
spec = importlib.util.spec_from_file_location("bench_gpu", script)
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)
bench.MIN_RUN = 1.0
with tempfile.TemporaryFile("w+") as log:
    bench.deadline = bench.time.time() + 0.5
    r = bench.run_proc(["sleep", "30"], log, 600, "a long run")
    assert isinstance(r, bench.NotRun) and not bench.failures, (r, bench.failures)
    assert bench.not_run and "cut off at the time budget" in bench.not_run[-1], bench.not_run
    r = bench.run_proc(["sleep", "30"], log, 600, "a run after the budget")
    assert isinstance(r, bench.NotRun) and bench.not_run[-1] == "a run after the budget", bench.not_run
    bench.deadline = float("inf")
    r = bench.run_proc(["sleep", "30"], log, 1, "a run past its own limit")
    assert r is None, r
    r = bench.run_proc(["true"], log, 10)
    assert r and r.returncode == 0, r
print("ok")
