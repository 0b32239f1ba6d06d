#!/usr/bin/env python3
"""A wuxia checkpoint loads into the README's PyTorch model by name (strict),
and PyTorch scores names exactly as `wuxia eval` does.

Usage: pytorch_interop.py WUXIA_BINARY DATA_FILE
Exits 77 (CTest: skipped) when torch or safetensors is not installed."""
import json
import math
import subprocess
import sys
import tempfile

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from safetensors import safe_open
    from safetensors.torch import load_file
except ImportError as e:
    print(f"SKIP: {e}")
    sys.exit(77)

wuxia, data = sys.argv[1], sys.argv[2]


class NameLSTM(nn.Module):  # as in the README
    def __init__(self, vocab, embed, hidden, layers, dropout):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers)
        self.fc = nn.Linear(hidden, vocab)


with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([wuxia, "train", "--data", data, "--out", tmp, "--steps", "20", "--hidden", "24",
                    "--embed", "8", "--layers", "2", "--device", "cpu", "--quiet"], check=True)
    path = f"{tmp}/last.safetensors"
    with safe_open(path, "pt") as f:
        meta = f.metadata()
    cfg = json.loads(meta["config"])
    vocab = json.loads(meta["vocab"])
    model = NameLSTM(**cfg)
    model.load_state_dict({k: v for k, v in load_file(path).items() if not k.startswith("optim.")})

    names = ["令狐冲", "郭靖", "小龙女", "韦小宝"]
    with open(f"{tmp}/names.txt", "w", encoding="utf-8") as f:
        f.write("\n".join(names) + "\n")
    out = subprocess.run([wuxia, "eval", "--checkpoint", path, "--json", "--device", "cpu", f"{tmp}/names.txt"],
                         check=True, capture_output=True, text=True).stdout
    ev = json.loads(out)

    S = len(vocab["styles"])
    ids = {c: S + 1 + i for i, c in enumerate(vocab["chars"])}
    total, count = 0.0, 0
    with torch.no_grad():
        for name in names:
            seq = [1] + [ids[c] for c in name]
            x = torch.tensor(seq).unsqueeze(1)  # [T, 1]
            h, _ = model.lstm(model.embedding(x))
            logits = model.fc(h).squeeze(1)
            target = torch.tensor(seq[1:] + [0])
            total += F.cross_entropy(logits, target, reduction="sum").item()
            count += len(seq)
    loss = total / count
    print(f"pytorch loss {loss:.6f}, wuxia eval loss {ev['loss']:.6f}, tokens {count} vs {ev['tokens']}")
    assert count == ev["tokens"], "token counts differ"
    assert math.isclose(loss, ev["loss"], rel_tol=1e-4, abs_tol=1e-5), "losses differ"
print("ok")
