#!/usr/bin/env python3
"""The PyTorch peer of `wuxia bench`: the same model, data, batches and
optimiser, timed the same way, printing the same JSON keys.

  bench_peer.py train  --data F [--embed --hidden --layers --batch --dropout
                       --steps --warmup --threads --seed --device] [--json]
  bench_peer.py sample --checkpoint CKPT [-n 10000 --batch 256 --max-len 16
                       --threads 1 --seed 1] [--json]
  bench_peer.py xent   --rows R --vocab V [--iters 50 --device cuda] [--json]
  bench_peer.py recurrent --batch B --hidden H --steps T [--iters 50
                       --device cuda] [--json]

train: Embedding -> nn.LSTM (time-major) -> Linear, F.cross_entropy with
ignore_index=-1 (mean over valid targets), clip_grad_norm_, AdamW with
wuxia's warm-up/cosine schedule. The names are read as wuxia reads them
(UTF-8, stripped, blank and # lines skipped, duplicates dropped), split,
batched and initialised with wuxia's counter-based generator (Philox4x32-10,
include/wuxia/model/rng.hpp, re-implemented below), so both programs train on the
very same batches from the very same weights: `tokens` and `first_loss` must
agree with `wuxia bench --json`. A step (the timed part) is zero_grad,
forward, backward, clipping and the AdamW step on a batch already in memory
(on the device). The loop is what a tuned PyTorch loop is: no per-step host
sync (each loss is read after the last step), cuDNN's LSTM on a GPU; the
total runs to the losses' read-back, as `wuxia bench` times it. A step's
time, as `wuxia bench` takes it (src/cli/bench_steps.hpp): on the CPU the
interval between successive step returns; on a GPU, where a step returns
before the device ran it, --steps more steps, each followed by
torch.cuda.synchronize(). On a GPU the cuDNN
RNN kernels that ran are logged (torch.profiler).

xent: F.cross_entropy (ignore_index=-1, mean) forward and backward on the
same logits as `wuxia bench --op xent` (uniform in [-4, 4], one row in 16
padding): time per call and the device memory allocated beyond the inputs.

recurrent: one nn.LSTM layer (H inputs, H units; cuDNN on a GPU) over T
steps of B rows, as `wuxia bench --op recurrent` times its recurrence
(issue 30's comparison: the step loop, the fused recurrence, cuDNN):
fwd_ms the forward, bwd_ms forward+backward less the forward. cuDNN's
figures include the input projection and the weight gradients, which
wuxia's recurrence leaves to one GEMM each outside it: cuDNN is charged
for a little more work.

sample: loads a wuxia checkpoint by name (docs/CHECKPOINTS.md's snippet) and samples
N distinct names in batches as `wuxia sample` does (temperature 1, no START
token, END allowed from the first character, names longer than --max-len
discarded); reports names/s excluding the checkpoint load.

Prints which torch it uses (version, pip wheel or Debian package, BLAS).
"""
import argparse
import importlib.metadata
import json
import math
import os
import re
import resource
import statistics
import sys
import time

import numpy as np

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # bench.sh reports the row as skipped
    print(f"bench_peer.py: PyTorch is not installed ({e})", file=sys.stderr)
    sys.exit(77)


# ---- which torch ------------------------------------------------------------

def torch_info():
    """Version, how it was installed and its BLAS, from torch itself."""
    where = os.path.dirname(torch.__file__)
    try:
        installer = importlib.metadata.distribution("torch").read_text("INSTALLER") or ""
    except importlib.metadata.PackageNotFoundError:
        installer = ""
    if "/dist-packages/" in where and where.startswith("/usr/lib/python3"):
        origin = "Debian package"
    elif installer.strip() == "pip":
        origin = "PyPI wheel (pip)"
    else:
        origin = (installer.strip() or "unknown installer")
    config = torch.__config__.show()
    found = re.search(r"BLAS_INFO=([^,\s]+)", config)
    blas = found.group(1) if found else "?"
    extras = []
    if "Math Kernel Library Version" in config:
        extras.append(config.split("Math Kernel Library Version")[1].split("-")[0].strip().join(["MKL ", ""]))
    if torch.backends.mkldnn.is_available():
        extras.append("oneDNN")
    cpu_backend = getattr(torch.backends, "cpu", None)  # torch >= 2.0
    cap = cpu_backend.get_cpu_capability() if cpu_backend else "?"
    return (f"torch {torch.__version__} ({origin}, {where}), BLAS_INFO={blas}"
            + (" [" + ", ".join(extras) + "]" if extras else "") + f", CPU capability {cap}")


# ---- wuxia's counter-based generator (include/wuxia/model/rng.hpp) ----------------

M32 = np.uint64(0xFFFFFFFF)
K_INIT, K_SHUFFLE, K_BATCH_ORDER, K_VAL_SPLIT = 1, 2, 3, 4


def draw64(seed, purpose, step, index):
    """Philox4x32-10 of (index, step, purpose) under key seed; index: uint64 array."""
    index = np.asarray(index, dtype=np.uint64)
    c0 = index & M32
    c1 = index >> np.uint64(32)
    c2 = np.full_like(index, np.uint64(step & 0xFFFFFFFF))
    c3 = np.full_like(index, np.uint64(((step >> 32) ^ ((purpose * 0x9E3779B9) & 0xFFFFFFFF)) & 0xFFFFFFFF))
    k0, k1 = seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF
    for _ in range(10):
        p0 = np.uint64(0xD2511F53) * c0
        p1 = np.uint64(0xCD9E8D57) * c2
        c0, c1, c2, c3 = ((p1 >> np.uint64(32)) ^ c1 ^ np.uint64(k0), p1 & M32,
                          (p0 >> np.uint64(32)) ^ c3 ^ np.uint64(k1), p0 & M32)
        k0 = (k0 + 0x9E3779B9) & 0xFFFFFFFF
        k1 = (k1 + 0xBB67AE85) & 0xFFFFFFFF
    return (c1 << np.uint64(32)) | c0


def uniform_double(seed, purpose, step, index):
    return (draw64(seed, purpose, step, index) >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def permutation(n, seed, purpose, step):
    """wuxia::permutation: Fisher-Yates with rng::below(i, seed, purpose, step, i)."""
    p = list(range(n))
    if n < 2:
        return p
    i = np.arange(2, n + 1, dtype=np.uint64)
    j = (((draw64(seed, purpose, step, i) >> np.uint64(32)) * i) >> np.uint64(32)).tolist()
    for k in range(n - 2, -1, -1):  # i = n .. 2
        ii = k + 2
        jj = j[k]
        p[ii - 1], p[jj] = p[jj], p[ii - 1]
    return p


# ---- names, split, vocabulary, batches (src/data/names.cpp, trainer.cpp, batch.cpp)

SPACE = " \t\r\v\f\u3000\u00a0"


def read_names(path):
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    if text.startswith("\ufeff"):
        text = text[1:]
    names, seen = [], set()
    for line in text.split("\n"):
        name = line.strip(SPACE)
        if not name or name.startswith("#") or name in seen:
            continue
        seen.add(name)
        names.append(name)
    return names


def split_names(names, seed):
    n_val = max(1, min(1000, len(names) // 10))
    perm = permutation(len(names), seed, K_VAL_SPLIT, 0)
    is_val = bytearray(len(names))
    for k in perm[:n_val]:
        is_val[k] = 1
    return [n for k, n in enumerate(names) if not is_val[k]], [n for k, n in enumerate(names) if is_val[k]]


class Batcher:
    """wuxia::Batcher: per epoch shuffle, stable sort by length, cut, shuffle the batch order."""

    def __init__(self, seqs, batch, seed):
        self.seqs, self.batch_size, self.seed = seqs, batch, seed
        self.nb = (len(seqs) + batch - 1) // batch
        self.epoch = None

    def batch(self, k):
        epoch = k // self.nb
        if epoch != self.epoch:
            order = permutation(len(self.seqs), self.seed, K_SHUFFLE, epoch)
            order.sort(key=lambda i: len(self.seqs[i]))  # stable, as std::stable_sort
            self.order, self.batch_order, self.epoch = order, permutation(self.nb, self.seed, K_BATCH_ORDER, epoch), epoch
        begin = self.batch_order[k % self.nb] * self.batch_size
        idx = self.order[begin:begin + self.batch_size]
        T, B = max(len(self.seqs[i]) for i in idx), len(idx)
        tokens = np.zeros((T, B), dtype=np.int64)  # padding token: END
        targets = np.full((T, B), -1, dtype=np.int64)
        for j, i in enumerate(idx):
            s = self.seqs[i]
            tokens[:len(s), j] = s
            targets[:len(s) - 1, j] = s[1:]
            targets[len(s) - 1, j] = 0
        return tokens, targets, sum(len(self.seqs[i]) for i in idx)


# ---- the model ----------------------------------------------------------------

class NameLSTM(nn.Module):  # as in docs/CHECKPOINTS.md, plus wuxia's dropout sites
    def __init__(self, vocab, embed, hidden, layers, dropout):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers, dropout=dropout if layers > 1 else 0.0)
        self.fc = nn.Linear(hidden, vocab)
        self.dropout = dropout

    def forward(self, tokens):
        h, _ = self.lstm(self.embedding(tokens))
        return self.fc(F.dropout(h, self.dropout, self.training))


def wuxia_init(model, cfg, seed):
    """wuxia's init_params (src/model/params.cpp): the same numbers, drawn by name order."""
    bound = 1.0 / math.sqrt(cfg["hidden"])
    names = ["embedding.weight"]
    for k in range(cfg["layers"]):
        names += [f"lstm.weight_ih_l{k}", f"lstm.weight_hh_l{k}", f"lstm.bias_ih_l{k}", f"lstm.bias_hh_l{k}"]
    names += ["fc.weight", "fc.bias"]
    state = model.state_dict()
    with torch.no_grad():
        for t, name in enumerate(names):
            n = state[name].numel()
            if name == "embedding.weight":
                i = np.arange(n, dtype=np.uint64)
                u1 = uniform_double(seed, K_INIT, t, 2 * i)
                u2 = uniform_double(seed, K_INIT, t, 2 * i + 1)
                x = np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(6.283185307179586 * u2)
            else:
                x = (2.0 * uniform_double(seed, K_INIT, t, np.arange(n, dtype=np.uint64)) - 1.0) * bound
            state[name].copy_(torch.from_numpy(x.astype(np.float32)).view_as(state[name]))


def learning_rate(step, lr, warmup, decay_steps, min_lr_ratio=0.1):
    if warmup > 0 and step <= warmup:
        return lr * step / warmup
    span = max(1, decay_steps - warmup)
    progress = min(1.0, (step - max(0, warmup)) / span)
    return lr * (min_lr_ratio + (1 - min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def summary(times):
    s = sorted(times)
    rank = lambda q: s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]
    return {"step_ms_median": 1e3 * statistics.median(s), "step_ms_p10": 1e3 * rank(0.10),
            "step_ms_p90": 1e3 * rank(0.90), "step_ms_min": 1e3 * s[0], "step_ms_max": 1e3 * s[-1]}


def cudnn_info(model, tok, tgt, vocab, bf16=False):
    """cuDNN's version and the kernels one forward+backward of the LSTM ran,
    from torch.profiler: which RNN algorithm cuDNN used shows in their names
    (PyTorch asks for CUDNN_RNN_ALGO_STANDARD with float32 inputs); under
    autocast (bf16) as the timed steps ran."""
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=bf16):
            logits = model(tok)
            loss = F.cross_entropy(logits.view(-1, vocab).float(), tgt.view(-1), ignore_index=-1)
        loss.backward()
        torch.cuda.synchronize()
    kernels = {}
    for e in prof.events():
        if getattr(e, "device_type", None) != torch.autograd.DeviceType.CUDA:
            continue
        t = getattr(e, "device_time_total", None)
        if t is None:
            t = getattr(e, "cuda_time_total", 0.0)
        kernels[e.name] = kernels.get(e.name, 0.0) + float(t)
    top = sorted(kernels.items(), key=lambda kv: -kv[1])[:8]
    return {"cudnn_version": torch.backends.cudnn.version(), "cudnn_enabled": torch.backends.cudnn.enabled,
            "gpu": torch.cuda.get_device_name(), "top_kernels_us": [[k[:90], round(v, 1)] for k, v in top]}


def cmd_train(a):
    device = torch.device(a.device)
    names = read_names(a.data)
    train_names, val_names = split_names(names, a.seed)
    chars = sorted(set("".join(names)))
    ids = {c: 2 + i for i, c in enumerate(chars)}  # 0 END, 1 START (one style)
    seqs = [[1] + [ids[c] for c in n] for n in train_names]
    cfg = {"vocab": 2 + len(chars), "embed": a.embed, "hidden": a.hidden, "layers": a.layers, "dropout": a.dropout}
    model = NameLSTM(**cfg)
    wuxia_init(model, cfg, a.seed)
    model.to(device).train()
    params = list(model.parameters())
    lr, wd, clip = 3e-3, 0.1, 1.0  # wuxia's TrainSettings defaults
    opt = torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=wd)
    total = a.warmup + a.steps
    warm, decay = min(100, total // 10), total
    batcher = Batcher(seqs, a.batch, a.seed)
    cuda = device.type == "cuda"
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = a.tf32
        torch.backends.cudnn.allow_tf32 = a.tf32

    # --precision bf16: PyTorch's mixed precision, as `wuxia --precision bf16`
    # compares against: autocast runs the matmuls and cuDNN's LSTM in bfloat16
    # (FP32 weights, optimizer and gradients; the loss in FP32, autocast's
    # policy for cross_entropy). No GradScaler: bfloat16 has FP32's range.
    bf16 = a.precision == "bf16"

    def train_step(step, tok, tgt):
        """The timed work; returns the loss as a tensor (reading it waits)."""
        for g in opt.param_groups:
            g["lr"] = learning_rate(step, lr, warm, decay)
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=bf16):
            logits = model(tok)
            loss = F.cross_entropy(logits.view(-1, cfg["vocab"]).float(), tgt.view(-1), ignore_index=-1)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, clip)
        opt.step()
        return loss.detach()

    # All batches on the device before the clock starts (on a GPU, those of
    # the step-time pass too).
    batches = []
    for step in range(1, total + (a.steps if cuda else 0) + 1):
        tok, tgt, n_tgt = batcher.batch(step - 1)
        batches.append((torch.from_numpy(tok).to(device), torch.from_numpy(tgt).to(device), n_tgt))
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    losses = [train_step(step, *batches[step - 1][:2]) for step in range(1, a.warmup + 1)]
    sync()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    # As `wuxia bench` times it: nothing waits inside the loop, the total
    # runs to the last loss read back; the intervals between step returns are
    # the step times on the CPU only (a GPU's are taken below).
    times, tokens = [], 0
    t_begin = t_prev = time.perf_counter()
    for step in range(a.warmup + 1, total + 1):
        losses.append(train_step(step, *batches[step - 1][:2]))
        now = time.perf_counter()
        times.append(now - t_prev)
        t_prev = now
        tokens += batches[step - 1][2]
    values = [l.item() for l in losses]
    seconds = time.perf_counter() - t_begin
    bad = [i + 1 for i, v in enumerate(values) if not math.isfinite(v)]
    if bad:
        sys.exit(f"bench_peer.py: the loss is not finite at step {bad[0]}")
    if cuda:
        times = []
        sync()
        t_prev = time.perf_counter()
        for step in range(total + 1, total + a.steps + 1):
            train_step(step, *batches[step - 1][:2])
            sync()
            now = time.perf_counter()
            times.append(now - t_prev)
            t_prev = now
    out = {"impl": "pytorch", "device": device.type, "threads": 0 if cuda else torch.get_num_threads(),
           "runtime": torch_info(), "tf32": bool(cuda and a.tf32), "precision": a.precision, "data": a.data,
           "names": len(seqs),
           "vocab": cfg["vocab"], "embed": a.embed, "hidden": a.hidden, "layers": a.layers, "batch": a.batch,
           "params": sum(p.numel() for p in params), "warmup": a.warmup, "steps": a.steps, "tokens": tokens,
           "seconds": seconds, "tokens_per_sec": tokens / seconds if seconds > 0 else 0.0, **summary(times),
           "step_timing": "synchronized" if cuda else "host",
           "first_loss": values[0], "last_loss": values[-1], "peak_rss_mib": peak_rss_mib(),
           "peak_device_mib": torch.cuda.max_memory_allocated() / 2**20 if cuda else None}
    if cuda:
        try:
            out.update(cudnn_info(model, batches[0][0], batches[0][1], cfg["vocab"], bf16))
        except Exception as e:  # logging only: never lose the measurement to it
            out.update({"cudnn_version": torch.backends.cudnn.version(), "top_kernels_us": f"profiler failed: {e}"})
    emit(out, a.json)


def cmd_xent(a):
    device = torch.device(a.device)
    g = torch.Generator().manual_seed(a.seed)
    logits = (torch.rand(a.rows, a.vocab, generator=g) * 8 - 4).to(device)
    tgt = torch.randint(0, a.vocab - 1, (a.rows,), generator=g)
    tgt[15::16] = -1
    tgt = tgt.to(device)
    logits.requires_grad_(True)
    cuda = device.type == "cuda"
    sync = torch.cuda.synchronize if cuda else (lambda: None)

    def call():
        logits.grad = None
        F.cross_entropy(logits, tgt, ignore_index=-1).backward()

    for _ in range(3):
        call()
    sync()
    if cuda:
        logits.grad = None
        torch.cuda.synchronize()
        base = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    for _ in range(a.iters):
        call()
    sync()
    s = (time.perf_counter() - t0) / a.iters
    extra = (torch.cuda.max_memory_allocated() - base) / 2**20 if cuda else None
    inputs = (logits.numel() * 4 + tgt.numel() * 8) / 2**20
    emit({"impl": "pytorch", "op": "xent", "device": device.type, "rows": a.rows, "vocab": a.vocab,
          "iters": a.iters, "ms": 1e3 * s, "gbps": 3.0 * logits.numel() * 4 / s / 1e9, "input_mib": inputs,
          "extra_mib": extra, "runtime": torch_info()}, a.json)


def cmd_recurrent(a):
    device = torch.device(a.device)
    torch.manual_seed(a.seed)
    lstm = nn.LSTM(a.hidden, a.hidden).to(device)  # time-major, one layer
    x = (torch.rand(a.steps, a.batch, a.hidden) * 2 - 1).to(device)
    dy = (torch.rand(a.steps, a.batch, a.hidden) * 2e-3 - 1e-3).to(device)
    cuda = device.type == "cuda"
    sync = torch.cuda.synchronize if cuda else (lambda: None)

    def fwd():
        return lstm(x)[0]

    def fwd_bwd():
        lstm.zero_grad(set_to_none=True)
        fwd().backward(dy)

    def seconds(call):
        for _ in range(3):
            call()
        sync()
        t0 = time.perf_counter()
        for _ in range(a.iters):
            call()
        sync()
        return (time.perf_counter() - t0) / a.iters

    f = seconds(fwd)
    fb = seconds(fwd_bwd)
    emit({"impl": "pytorch", "op": "recurrent", "device": device.type, "batch": a.batch, "hidden": a.hidden,
          "steps": a.steps, "iters": a.iters, "fwd_ms": 1e3 * f, "bwd_ms": 1e3 * max(fb - f, 0.0),
          "fwd_bwd_ms": 1e3 * fb, "cudnn_version": torch.backends.cudnn.version() if cuda else None,
          "runtime": torch_info()}, a.json)


def read_safetensors(path):
    """(tensors by name, metadata): the safetensors package's load_file and
    metadata() where it is installed (it is not a Debian package, so Debian's
    python3-torch often lacks it), else the format as published (8-byte
    little-endian header length, JSON header, raw F32 tensors), as
    tests/pytorch_interop.py reads it and checks it against the package."""
    try:
        from safetensors import safe_open
        from safetensors.torch import load_file
    except ImportError:
        import struct
        raw = open(path, "rb").read()
        (n,) = struct.unpack("<Q", raw[:8])
        header = json.loads(raw[8:8 + n])
        meta = header.pop("__metadata__", {})
        data = raw[8 + n:]
        tensors = {}
        for name, t in header.items():
            if t["dtype"] != "F32":
                raise SystemExit(f"bench_peer.py: {path}: tensor {name} has dtype {t['dtype']}, not F32")
            begin, end = t["data_offsets"]
            tensors[name] = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32).reshape(t["shape"])
        return tensors, meta
    with safe_open(path, "pt") as f:
        meta = f.metadata()
    return load_file(path), meta


def cmd_sample(a):
    t_load = time.perf_counter()
    tensors, meta = read_safetensors(a.checkpoint)
    cfg = json.loads(meta["config"])
    vocab = json.loads(meta["vocab"])
    model = NameLSTM(**cfg)
    model.load_state_dict({k: v for k, v in tensors.items() if not k.startswith(("optim.", "ema.", "anchor."))})
    model.eval()
    S, V, L, H = len(vocab["styles"]), cfg["vocab"], cfg["layers"], cfg["hidden"]
    chars = vocab["chars"]
    load_s = time.perf_counter() - t_load

    gen = torch.Generator().manual_seed(a.seed)
    start_mask = torch.zeros(V, dtype=torch.bool)
    start_mask[1:S + 1] = True  # no START token is ever a prediction
    seen, attempts = set(), 0
    t0, cpu0 = time.perf_counter(), time.process_time()
    with torch.inference_mode():
        while len(seen) < a.n and attempts < 100 * a.n + 1000:
            b = min(a.batch, max(2 * (a.n - len(seen)), 16))
            attempts += b
            tok = torch.full((1, b), 1, dtype=torch.long)  # START of style 0
            state = (torch.zeros(L, b, H), torch.zeros(L, b, H))
            rows = torch.arange(b)  # which sequence each live row is
            out = [[] for _ in range(b)]
            too_long = [False] * b
            for pos in range(a.max_len + 1):
                h, state = model.lstm(model.embedding(tok), state)
                logits = model.fc(h[0]).masked_fill_(start_mask, -math.inf)
                pick = torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=gen).squeeze(1)
                live = pick != 0
                pl, rl = pick.tolist(), rows.tolist()
                for r, p in zip(rl, pl):
                    if p:
                        if pos >= a.max_len:
                            too_long[r] = True
                        else:
                            out[r].append(chars[p - S - 1])
                if pos >= a.max_len or not bool(live.any()):
                    break
                keep = live.nonzero().squeeze(1)  # drop finished rows
                rows, tok = rows[keep], pick[keep].unsqueeze(0)
                state = (state[0][:, keep], state[1][:, keep])
            for r in range(b):
                if not too_long[r] and out[r] and len(seen) < a.n:
                    seen.add("".join(out[r]))
    seconds = time.perf_counter() - t0
    # CPU seconds of the process (all its threads) over the same loop: on a
    # shared machine the wall time is mostly the scheduler's share.
    cpu_seconds = time.process_time() - cpu0
    emit({"impl": "pytorch", "threads": torch.get_num_threads(), "runtime": torch_info(),
          "checkpoint": a.checkpoint, "hidden": H, "layers": L, "vocab": V, "names": len(seen),
          "attempts": attempts, "seconds": seconds, "cpu_seconds": cpu_seconds, "load_seconds": load_s,
          "names_per_sec": len(seen) / seconds if seconds > 0 else 0.0, "peak_rss_mib": peak_rss_mib()}, a.json)


def emit(out, as_json):
    if as_json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k:>16}: {v}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="training throughput, as `wuxia bench`")
    t.add_argument("--data", required=True)
    t.add_argument("--embed", type=int, default=64)
    t.add_argument("--hidden", type=int, default=256)
    t.add_argument("--layers", type=int, default=2)
    t.add_argument("--dropout", type=float, default=0.0)
    t.add_argument("--batch", type=int, default=64)
    t.add_argument("--steps", type=int, default=50)
    t.add_argument("--warmup", type=int, default=5)
    t.add_argument("--device", default="cpu")
    t.add_argument("--tf32", action="store_true", help="TF32 matmuls and cuDNN (GPU)")
    t.add_argument("--precision", choices=("fp32", "bf16"), default="fp32",
                   help="bf16: torch.autocast(dtype=torch.bfloat16), as `wuxia bench --precision bf16`")
    x = sub.add_parser("xent", help="F.cross_entropy alone, as `wuxia bench --op xent`")
    x.add_argument("--rows", type=int, default=32768)
    x.add_argument("--vocab", type=int, default=4096)
    x.add_argument("--iters", type=int, default=50)
    x.add_argument("--device", default="cuda")
    r = sub.add_parser("recurrent", help="one nn.LSTM layer (cuDNN), as `wuxia bench --op recurrent`")
    r.add_argument("--batch", type=int, default=64)
    r.add_argument("--hidden", type=int, default=64)
    r.add_argument("--steps", type=int, default=16)
    r.add_argument("--iters", type=int, default=50)
    r.add_argument("--device", default="cuda")
    s = sub.add_parser("sample", help="names/s, as `wuxia sample -n N`")
    s.add_argument("--checkpoint", required=True)
    s.add_argument("-n", type=int, default=10000)
    s.add_argument("--batch", type=int, default=256)
    s.add_argument("--max-len", type=int, default=16)
    for q in (t, s, x, r):
        q.add_argument("--seed", type=int, default=1)
        q.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0 = torch's default)")
        q.add_argument("--json", action="store_true")
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    print(f"bench_peer.py: {torch_info()}", file=sys.stderr)
    {"train": cmd_train, "sample": cmd_sample, "xent": cmd_xent, "recurrent": cmd_recurrent}[a.cmd](a)


if __name__ == "__main__":
    main()
