#!/usr/bin/env python3
"""scripts/plot_metrics.py turns metrics JSON lines into a PNG and rejects a
malformed file by line. Exits 77 (CTest: skipped) without matplotlib."""
import pathlib
import subprocess
import sys
import tempfile

try:
    import matplotlib  # noqa: F401
except ImportError:
    print("SKIP: matplotlib not installed")
    sys.exit(77)

script = pathlib.Path(__file__).resolve().parent.parent / "scripts" / "plot_metrics.py"
with tempfile.TemporaryDirectory() as tmp:
    good = pathlib.Path(tmp, "run.jsonl")
    good.write_text('{"step": 50, "loss": 5.1, "tokens_per_sec": 1000}\n'
                    '{"step": 100, "loss": 4.2, "val_loss": 4.9, "tokens_per_sec": 1100}\n')
    out = pathlib.Path(tmp, "plot.png")
    subprocess.run([sys.executable, script, good, "-o", out], check=True)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    bad = pathlib.Path(tmp, "bad.jsonl")
    bad.write_text('{"step": 1, "loss": 2}\nnot json\n')
    r = subprocess.run([sys.executable, script, bad, "-o", out], capture_output=True, text=True)
    assert r.returncode != 0 and "bad.jsonl:2" in r.stderr, r.stderr
print("ok")
