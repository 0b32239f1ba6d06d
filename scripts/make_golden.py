#!/usr/bin/env python3
"""Writes tests/golden/tiny_lstm.json: a tiny nn.Embedding -> nn.LSTM(2 layers)
-> nn.Linear model with fixed weights, a padded time-major batch, and what
PyTorch computes for it (logits, mean cross-entropy over the valid targets,
gradients of every parameter). tests/test_golden.cpp checks wuxia against it.

Run from the repository root: python3 scripts/make_golden.py
Needs torch (pip install torch). The test needs only the committed JSON."""
import json
import pathlib

import torch
import torch.nn as nn
import torch.nn.functional as F

V, E, H, L = 11, 5, 6, 2
T, B = 5, 3

torch.manual_seed(1234)
emb = nn.Embedding(V, E)
lstm = nn.LSTM(E, H, num_layers=L)  # batch_first=False: time-major, as wuxia
fc = nn.Linear(H, V)
for m in (emb, lstm, fc):
    m.double()

# Sequences of lengths 5, 3, 2: START (id 1) then characters; padding after the end.
seqs = [[1, 4, 7, 9, 3], [1, 10, 2], [1, 5]]
tokens = torch.zeros(T, B, dtype=torch.long)
targets = torch.full((T, B), -1, dtype=torch.long)
for b, s in enumerate(seqs):
    for t, tok in enumerate(s):
        tokens[t, b] = tok
        targets[t, b] = s[t + 1] if t + 1 < len(s) else 0

x = emb(tokens)
h, _ = lstm(x)
logits = fc(h)  # [T, B, V]
loss = F.cross_entropy(logits.reshape(T * B, V), targets.reshape(T * B), ignore_index=-1)
loss.backward()

named = [("embedding.weight", emb.weight)]
named += [("lstm." + n, p) for n, p in lstm.named_parameters()]
named += [("fc.weight", fc.weight), ("fc.bias", fc.bias)]

def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]

out = {
    "torch_version": torch.__version__,
    "config": {"vocab": V, "embed": E, "hidden": H, "layers": L},
    "T": T, "B": B,
    "tokens": [int(v) for v in tokens.reshape(-1)],
    "targets": [int(v) for v in targets.reshape(-1)],
    "params": {n: {"shape": list(p.shape), "data": flat(p)} for n, p in named},
    "logits": flat(logits),
    "loss": float(loss),
    "grads": {n: flat(p.grad) for n, p in named},
}
path = pathlib.Path(__file__).resolve().parent.parent / "tests" / "golden" / "tiny_lstm.json"
path.parent.mkdir(parents=True, exist_ok=True)
path.write_text(json.dumps(out, indent=1) + "\n")
print(f"wrote {path} (loss {float(loss):.6f})")
