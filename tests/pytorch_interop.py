#!/usr/bin/env python3
"""A wuxia checkpoint, trained from scratch or fine-tuned (--init, with a new
style and character), loads into docs/CHECKPOINTS.md's PyTorch model by name (strict),
and PyTorch scores names exactly as `wuxia eval` does.

Usage: pytorch_interop.py WUXIA_BINARY DATA_FILE
Exits 77 (CTest: skipped) when torch is not installed (scripts/setup.sh
installs Debian's python3-torch). The file is read by the safetensors format
as published (8-byte little-endian header length, JSON header, raw tensors);
where the safetensors package is installed too (it is not a Debian package),
its safe_open/load_file must read the same tensors and metadata."""
import json
import math
import struct
import subprocess
import sys
import tempfile

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:
    print(f"SKIP: {e}")
    sys.exit(77)
try:
    from safetensors import safe_open
    from safetensors.torch import load_file
except ImportError:
    safe_open = load_file = None


def read_safetensors(path):
    """(tensors by name, metadata) per the format's specification."""
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors = {}
    for name, t in header.items():
        assert t["dtype"] == "F32", f"{name}: dtype {t['dtype']}"
        begin, end = t["data_offsets"]
        tensors[name] = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32).reshape(t["shape"])
    return tensors, meta


def load(path):
    tensors, meta = read_safetensors(path)
    if load_file is not None:
        with safe_open(path, "pt") as f:
            assert f.metadata() == meta, "safetensors reads other metadata"
        theirs = load_file(path)
        assert theirs.keys() == tensors.keys(), "safetensors finds other tensors"
        assert all(torch.equal(theirs[k], tensors[k]) for k in tensors), "safetensors reads other values"
    return tensors, meta

wuxia, data = sys.argv[1], sys.argv[2]


class NameLSTM(nn.Module):  # as in docs/CHECKPOINTS.md
    def __init__(self, vocab, embed, hidden, layers, dropout):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers)
        self.fc = nn.Linear(hidden, vocab)


def check(path, style, names, tmp):
    """PyTorch, given the checkpoint by name, scores `names` as `wuxia eval` does."""
    tensors, meta = load(path)
    cfg = json.loads(meta["config"])
    vocab = json.loads(meta["vocab"])
    model = NameLSTM(**cfg)
    model.load_state_dict({k: v for k, v in tensors.items() if not k.startswith(("optim.", "ema.", "anchor."))})  # strict
    with open(f"{tmp}/names.txt", "w", encoding="utf-8") as f:
        f.write("\n".join(names) + "\n")
    out = subprocess.run([wuxia, "eval", "--checkpoint", path, "--json", "--device", "cpu", "--style", style,
                          f"{tmp}/names.txt"], check=True, capture_output=True, text=True).stdout
    ev = json.loads(out)
    S = len(vocab["styles"])
    start = 1 + vocab["styles"].index(style)
    ids = {c: S + 1 + i for i, c in enumerate(vocab["chars"])}
    total, count = 0.0, 0
    with torch.no_grad():
        for name in names:
            seq = [start] + [ids[c] for c in name]
            x = torch.tensor(seq).unsqueeze(1)  # [T, 1]
            h, _ = model.lstm(model.embedding(x))
            logits = model.fc(h).squeeze(1)
            target = torch.tensor(seq[1:] + [0])
            total += F.cross_entropy(logits, target, reduction="sum").item()
            count += len(seq)
    loss = total / count
    print(f"{path}: pytorch loss {loss:.6f}, wuxia eval loss {ev['loss']:.6f}, tokens {count} vs {ev['tokens']}")
    assert count == ev["tokens"], "token counts differ"
    assert math.isclose(loss, ev["loss"], rel_tol=1e-4, abs_tol=1e-5), "losses differ"
    return meta


with tempfile.TemporaryDirectory() as tmp:
    small = ["--hidden", "24", "--embed", "8", "--layers", "2", "--device", "cpu", "--quiet"]
    subprocess.run([wuxia, "train", "--data", data, "--out", f"{tmp}/base", "--steps", "20", *small], check=True)
    check(f"{tmp}/base/last.safetensors", "jinyong", ["令狐冲", "郭靖", "小龙女", "韦小宝"], tmp)
    # A fine-tuned model: a new style and a character the base never saw.
    with open(f"{tmp}/tuned.txt", "w", encoding="utf-8") as f:
        f.write("\n".join(["龘风", "令狐龘", "郭靖", "黄蓉", "杨过", "小龙女"]) + "\n")
    subprocess.run([wuxia, "train", "--init", f"{tmp}/base/last.safetensors", "--data", f"tuned={tmp}/tuned.txt",
                    "--out", f"{tmp}/tuned", "--steps", "10", *small[6:]], check=True)
    meta = check(f"{tmp}/tuned/last.safetensors", "tuned", ["龘风", "令狐冲"], tmp)
    assert json.loads(meta["lineage"])["ancestors"][0]["file"] == "last.safetensors", meta["lineage"]
print("ok (read by the specification" + (", and by the safetensors package)" if load_file else ")"))
