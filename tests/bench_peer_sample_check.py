#!/usr/bin/env python3
"""scripts/bench_peer.py sample (the PyTorch peer of bench.sh's sampling row)
reads a wuxia checkpoint without the safetensors package (Debian's
python3-torch comes without it), samples the names asked for and reports the
CPU seconds of its sampling loop beside the wall seconds.

Usage: bench_peer_sample_check.py WUXIA_BINARY DATA_FILE
Exits 77 (CTest: skipped) when torch is not installed."""
import importlib.util
import json
import pathlib
import subprocess
import sys
import tempfile

try:
    import torch
except ImportError as e:
    print(f"SKIP: {e}")
    sys.exit(77)

wuxia, data = sys.argv[1], sys.argv[2]
peer = pathlib.Path(__file__).resolve().parent.parent / "scripts" / "bench_peer.py"

with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([wuxia, "train", "--data", data, "--out", tmp, "--hidden", "32", "--embed", "16", "--layers", "2",
                    "--steps", "20", "--eval-every", "20", "--device", "cpu", "--threads", "1", "--quiet"],
                   check=True, stdout=subprocess.DEVNULL)
    ckpt = str(pathlib.Path(tmp, "best.safetensors"))

    # The reader of the format as published, forced (the package hidden), against the package where it is installed.
    spec = importlib.util.spec_from_file_location("bench_peer", peer)
    bench_peer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_peer)
    saved = sys.modules.get("safetensors")
    sys.modules["safetensors"] = None  # makes `import safetensors` raise ImportError
    try:
        tensors, meta = bench_peer.read_safetensors(ckpt)
    finally:
        if saved is None:
            del sys.modules["safetensors"]
        else:
            sys.modules["safetensors"] = saved
    cfg = json.loads(meta["config"])
    assert tuple(tensors["embedding.weight"].shape) == (cfg["vocab"], 16), tensors["embedding.weight"].shape
    assert tuple(tensors["lstm.weight_hh_l1"].shape) == (4 * 32, 32), tensors["lstm.weight_hh_l1"].shape
    try:
        import safetensors  # noqa: F401
        theirs, their_meta = bench_peer.read_safetensors(ckpt)
        assert their_meta == meta, "the safetensors package reads other metadata"
        assert theirs.keys() == tensors.keys() and all(torch.equal(theirs[k], tensors[k]) for k in tensors), \
            "the safetensors package reads other tensors"
    except ImportError:
        pass

    out = subprocess.run([sys.executable, peer, "sample", "--checkpoint", ckpt, "-n", "30", "--threads", "1", "--json"],
                         check=True, capture_output=True, text=True).stdout
    run = json.loads(out.strip().splitlines()[-1])
    assert run["names"] == 30, run
    assert (run["hidden"], run["layers"]) == (32, 2), run
    assert 0 < run["cpu_seconds"] and 0 < run["seconds"], run
print("ok")
