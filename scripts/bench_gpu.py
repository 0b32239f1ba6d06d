#!/usr/bin/env python3
"""wuxia against PyTorch/cuDNN on one GPU, in one call: the GPU rows of
scripts/bench.sh (`scripts/bench.sh --gpu` runs this; scripts/gpu_check.sh
runs that on a device machine). Prints markdown for docs/PERF.md.

  bench_gpu.py WUXIA_BINARY [--data-small F] [--data-large F] [--rounds 1]
               [--quick] [--budget S] [--out DIR]

Rows (issue #6):
- training: small (Jin Yong, B=64 H=128 L=1), medium (ancient names, B=512
  H=512 L=2), large (ancient names, B=4096 H=1024 L=2); `wuxia bench
  --device cuda` and `bench_peer.py train --device cuda` (PyTorch eager,
  cuDNN LSTM) alternately, ROUNDS times (default 1, what a short device lease
  affords; 2 or more where time allows), best tokens/s of each side (other
  work only ever slows a run down). FP32 both sides; the large row again with
  TF32 on both sides, and in BF16 (`--precision bf16`: BF16 GEMM inputs,
  FP32 accumulation) against PyTorch's AMP (torch.autocast bfloat16, cuDNN).
  Step times and peak device memory of both.
- the card's rates: `wuxia bench --op peak` (SGEMM 4096^3 NT, copy bandwidth),
  FP32 and TF32; each training row's floor = its GEMM FLOPs over the GEMM rate
  plus its compulsory bytes over the bandwidth (an estimate, formulas below);
  its % is the floor over wuxia's mean step in the tokens/s interval.
  Step times on a GPU are of steps each waited for (`"step_timing":
  "synchronized"` in both sides' JSON); tokens/s is of steps nothing waits
  inside, over an interval that ends in the losses' read-back.
- fused softmax-cross-entropy alone vs F.cross_entropy on the large row's
  logits shape: time and memory allocated beyond the inputs.
- the recurrence (GEMM + fused cell per step) against its GEMMs alone, at the
  medium and large shapes: the fraction of the GEMM library's own rate.
- TF32's and BF16's effect on the validation loss: the medium model trained
  for a fixed number of steps (400) in FP32, TF32 and BF16, best validation
  loss of each, and BF16's final one against FP32's (issue 30's goal: within
  0.01 nats/token).
--bf16-only runs only what BF16 adds (the large row in FP32 and BF16, the
FP32 and BF16 loss runs), for a device call that has no room for the rest.
- GPU idle fraction of the small row's steps, from an nsys trace when nsys is
  installed (busy = union of kernel and copy intervals over the timed span).
Every row that fails says so in the table; the script exits 1 if any failed.
--budget S stops starting new runs after S seconds, and a run in flight at
that point is stopped at it: what that leaves out is reported as not run
(in the table, and a "NOT RUN (time budget spent): ..." line each), which is
no failure: the exit status is 0 when everything that ran passed. So a
caller's time limit never loses the whole table, nor turns a short lease into
a failed benchmark. PyTorch's columns need a torch that runs on --device
(for cuda: torch.cuda.is_available()); without one they say so.
"""
import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEER = os.path.join(ROOT, "scripts", "bench_peer.py")
failures = []  # what ran and failed: exit 1
not_run = []  # what the time budget left out: reported, exit status unaffected
deadline = float("inf")  # --budget


class NotRun:
    """A run the time budget left out (or cut off): falsy like a failed run,
    but reported as not run rather than failed."""

    def __init__(self, what):
        self.what = what

    def __bool__(self):
        return False


def skip(what, log, why="time budget spent"):
    log.write(f"not run ({why}): {what}\n")
    not_run.append(f"{what} ({why})" if why != "time budget spent" else what)
    return NotRun(what)


MIN_RUN = 10.0  # seconds a run started just before the deadline still gets


def left(cap):
    """A subprocess timeout: at most cap seconds, and not past the budget
    (but at least MIN_RUN, for a run started just before it)."""
    return min(cap, max(MIN_RUN, deadline - time.time()))


def run_proc(cmd, log, cap, what=None):
    """Runs cmd within cap seconds and the budget. Returns the CompletedProcess,
    NotRun when the budget was spent before it started or cut it off, or
    None when it timed out at its own cap (a failure)."""
    what = what or " ".join([os.path.basename(str(c)) for c in cmd[:2]] + [str(c) for c in cmd[2:7]])
    if time.time() >= deadline:
        return skip(what, log)
    timeout = left(cap)
    t0 = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        log.write(f"$ {' '.join(map(str, cmd))}\n  timed out after {timeout:.0f}s\n")
        if timeout < cap:
            return skip(what, log, f"cut off at the time budget after {timeout:.0f}s")
        return None
    log.write(f"$ {' '.join(map(str, cmd))}  ({time.time() - t0:.1f}s, exit {p.returncode})\n{p.stderr[-3000:]}\n")
    return p


def run_json(cmd, log, timeout, what=None):
    """Runs cmd; returns its last stdout line parsed as JSON, None when it
    failed (logged) or NotRun (see run_proc)."""
    p = run_proc(cmd, log, timeout, what)
    if not p:
        return p
    lines = [l for l in p.stdout.splitlines() if l.strip().startswith("{")]
    if p.returncode != 0 or not lines:
        return None
    return json.loads(lines[-1])


def best(runs, key):
    """The best run; else NotRun if the budget left any out; else None (failed)."""
    done = [r for r in runs if r]
    if done:
        return max(done, key=lambda r: r[key])
    return next((r for r in runs if isinstance(r, NotRun)), None)


def mib(x):
    return f"{x:.0f}" if x is not None else "-"


def step_flops(r, T):
    """GEMM FLOPs of one training step (forward + backward) at T steps per
    name: forward 2*N*4H*(in + H) per layer (input projection + recurrence)
    plus 2*N*V*H for the output layer; backward twice that (d-input and
    d-weight). N = T*B rows."""
    B, E, H, L, V = r["batch"], r["embed"], r["hidden"], r["layers"], r["vocab"]
    N = T * B
    fwd = sum(2 * N * 4 * H * ((E if l == 0 else H) + H) for l in range(L)) + 2 * N * V * H
    return 3 * fwd


def step_bytes(r, T):
    """Bytes a step must move at least: the logits written, read by the
    softmax, d-logits written and read by two GEMMs (5 passes over N*V
    floats), and the optimizer's pass over params, grads, m, v (read 4,
    write 3)."""
    N = T * r["batch"]
    return 4 * (5 * N * r["vocab"] + 7 * r["params"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("wuxia")
    ap.add_argument("--data-small", default=os.path.join(ROOT, "data", "jinyong.txt"))
    ap.add_argument("--data-large", default=os.path.join(ROOT, "local-data", "ancient_names.txt"))
    ap.add_argument("--rounds", type=int, default=1, help="runs of each side per training row (best counts)")
    ap.add_argument("--quick", action="store_true", help="fewer steps (a smoke test of this script)")
    ap.add_argument("--device", default="cuda", help="cpu only to test this script without a GPU")
    ap.add_argument("--out", default=None)
    ap.add_argument("--budget", type=float, default=None, help="seconds after which no new run starts")
    ap.add_argument("--bf16-only", action="store_true",
                    help="only the large row in FP32 and BF16 and the FP32/BF16 loss runs")
    a = ap.parse_args()
    global deadline
    if a.budget:
        deadline = time.time() + a.budget
    out = a.out or tempfile.mkdtemp(prefix="wuxia-bench-gpu-")
    os.makedirs(out, exist_ok=True)
    log = open(os.path.join(out, "bench_gpu.log"), "a")
    # PyTorch's side needs a torch that runs on the device asked for.
    probe = "import sys, torch; sys.exit(0 if sys.argv[1] == 'cpu' or torch.cuda.is_available() else 3)"
    torch_rc = subprocess.run([sys.executable, "-c", probe, a.device], capture_output=True).returncode
    have_torch = torch_rc == 0
    torch_note = {0: "", 3: "torch.cuda.is_available() is False for this PyTorch"}.get(torch_rc, "PyTorch is not installed here")
    q = a.quick
    dev = ["--device", a.device]
    rows = [
        ("small", a.data_small, f"--batch 64 --hidden 128 --embed 64 --layers 1 --steps {20 if q else 300} --warmup {5 if q else 20}"),
        ("medium", a.data_large, f"--batch 512 --hidden 512 --embed 128 --layers 2 --steps {5 if q else 100} --warmup {2 if q else 10}"),
        ("large", a.data_large, f"--batch 4096 --hidden 1024 --embed 256 --layers 2 --steps {3 if q else 30} --warmup {1 if q else 5}"),
    ]
    if q:  # the script's smoke test: small shapes everywhere
        rows = [(n, d, f.replace("4096", "256").replace("1024", "64").replace("512", "128")) for n, d, f in rows]
    if a.bf16_only:
        rows = [r for r in rows if r[0] == "large"]
    t_start = time.time()

    # ---- the card's rates
    peak = {}
    for tf32 in (() if a.bf16_only else (False, True)):
        size = "512" if q else "4096"
        peak[tf32] = run_json([a.wuxia, "bench", "--op", "peak", *dev, "--size", size, "--iters", "20", "--json"]
                              + (["--tf32"] if tf32 else []), log, 300, f"peak rates ({'TF32' if tf32 else 'FP32'})")
        if peak[tf32] is None:
            failures.append(f"peak rates ({'TF32' if tf32 else 'FP32'})")

    # ---- training rows
    results = []
    for name, data, flags in rows:
        if not os.path.exists(data):
            failures.append(f"{name}: no data file {data}")
            continue
        # Precisions: the same flags on both sides (PyTorch's bf16 is autocast).
        variants = ["FP32", "TF32", "BF16"] if name == "large" else ["FP32"]
        if a.bf16_only:
            variants = ["FP32", "BF16"]
        for prec in variants:
            extra = {"FP32": [], "TF32": ["--tf32"], "BF16": ["--precision", "bf16"]}[prec]
            w_runs, p_runs = [], []
            label = f"{name} row {prec}"
            for _ in range(a.rounds if prec == "FP32" else 1):
                w_runs.append(run_json([a.wuxia, "bench", *dev, "--data", data, *flags.split(), "--json", *extra], log, 600,
                                       f"{label}, wuxia"))
                if have_torch:
                    p_runs.append(run_json([sys.executable, PEER, "train", *dev, "--data", data, *flags.split(), "--json", *extra],
                                           log, 600, f"{label}, PyTorch"))
            results.append((name, prec, best(w_runs, "tokens_per_sec"), best(p_runs, "tokens_per_sec")))

    # ---- fused xent alone, at the large row's logits shape
    xent_rows, xent_vocab = ("4096", "512") if q else ("16384", "5492")
    xw = xp = None
    if a.bf16_only:
        xw = xp = NotRun("fused softmax-xent")
    else:
        xw = run_json([a.wuxia, "bench", "--op", "xent", *dev, "--rows", xent_rows, "--vocab", xent_vocab, "--json"],
                      log, 300, "fused softmax-xent, wuxia")
        xp = run_json([sys.executable, PEER, "xent", *dev, "--rows", xent_rows, "--vocab", xent_vocab, "--json"], log,
                      300, "softmax-xent, PyTorch") if have_torch else None

    # ---- recurrence vs its GEMMs alone
    rec = []
    for B, H, T in [] if a.bf16_only else ([(128, 128, 4)] if q else [(512, 512, 4), (4096, 1024, 4), (64, 128, 8)]):
        rec.append(run_json([a.wuxia, "bench", "--op", "recurrent", *dev, "--batch", str(B), "--hidden", str(H),
                             "--steps", str(T), "--json"], log, 300, f"recurrence B={B} H={H} T={T}"))

    # ---- TF32's and BF16's effect on the loss: medium model, fixed steps, each precision
    # loss[prec] = (best val loss, seconds, final val loss), NotRun or None (failed)
    loss = {}
    steps = "20" if q else "400"
    for prec in ("FP32", "BF16") if a.bf16_only else ("FP32", "TF32", "BF16"):
        # FP32 and TF32 keep the folder names of earlier reports.
        tag = {"FP32": "tf32-0", "TF32": "tf32-1", "BF16": "bf16"}[prec]
        run_dir = os.path.join(out, tag)
        shutil.rmtree(run_dir, ignore_errors=True)
        metrics = os.path.join(out, f"{tag}.jsonl")
        if os.path.exists(metrics):
            os.remove(metrics)
        cmd = [a.wuxia, "train", *dev, "--data", a.data_large, "--batch", "512", "--hidden", "512", "--embed", "128",
               "--layers", "2", "--dropout", "0.1", "--steps", steps, "--eval-every", str(int(steps) // 4),
               "--out", run_dir, "--metrics", metrics, "--quiet"]
        cmd += {"FP32": [], "TF32": ["--tf32"], "BF16": ["--precision", "bf16"]}[prec]
        t0 = time.time()
        p = run_proc(cmd, log, 600, f"{prec} loss run")
        if isinstance(p, NotRun):
            loss[prec] = p
            continue
        vals = []
        if p and p.returncode == 0 and os.path.exists(metrics):
            vals = [json.loads(l)["val_loss"] for l in open(metrics) if '"val_loss"' in l]
        loss[prec] = (min(vals), time.time() - t0, vals[-1]) if vals else None
        if not vals:
            failures.append(f"{prec} loss run")

    # ---- GPU idle fraction of the small row (nsys)
    idle = "not measured (--bf16-only)" if a.bf16_only else \
        gpu_idle(a, rows[0], out, log) if a.device == "cuda" else "not measured (no GPU)"

    # ---- report
    print(f"GPU: {results[0][2]['gpu'] if results and results[0][2] else '?'}")
    if results and results[0][3]:
        p = results[0][3]
        print(f"PyTorch: {p['runtime']}; cuDNN {p.get('cudnn_version')}; top kernels of one step: {p.get('top_kernels_us')}")
    elif not have_torch:
        print(f"PyTorch: not compared ({torch_note})")
    for tf32 in (False, True):
        r = peak.get(tf32)
        if r:
            print(f"measured rates ({'TF32' if tf32 else 'FP32'}): SGEMM {r['size']}^3 {r['gemm_tflops']:.1f} TFLOP/s; copy {r['copy_gbps']:.0f} GB/s")
    print()
    print("| row | precision | PyTorch tok/s | wuxia tok/s | wuxia/PyTorch | wuxia step ms median (p10-p90) | PyTorch step ms median (p10-p90) | peak device MiB wuxia / PyTorch | floor ms (wuxia at % of floor speed) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, prec, w, p in results:
        if isinstance(w, NotRun):
            print(f"| {name} | {prec} | not run (time budget spent) |")
            continue
        if not w:
            failures.append(f"{name} {prec}: wuxia bench failed")
            print(f"| {name} | {prec} | failed (see {out}/bench_gpu.log) |")
            continue
        shape = f"{name} (B={w['batch']}, H={w['hidden']}, L={w['layers']}, V={w['vocab']})"
        T_avg = w["tokens"] / w["steps"] / w["batch"]  # valid targets per name: the mean T
        floor = "-"  # BF16: no BF16 GEMM rate measured to make one from
        r = peak.get({"FP32": False, "TF32": True}.get(prec))
        if r:
            f_s = step_flops(w, T_avg) / (r["gemm_tflops"] * 1e12) + step_bytes(w, T_avg) / (r["copy_gbps"] * 1e9)
            # Against the mean step of the tokens/s interval (which ends in a
            # read-back, so it waits for the device), not the step-time median:
            # the ratio then says how near the throughput is to the floor.
            floor = f"{1e3 * f_s:.3f} ({100 * f_s / (w['seconds'] / w['steps']):.0f}%)"
        if p:
            if p["tokens"] != w["tokens"]:
                failures.append(f"{name} {prec}: the sides ran different batches ({w['tokens']} vs {p['tokens']} tokens)")
            print(f"| {shape} | {prec} | {p['tokens_per_sec']:,.0f} | {w['tokens_per_sec']:,.0f} | "
                  f"**{w['tokens_per_sec'] / p['tokens_per_sec']:.2f}x** | "
                  f"{w['step_ms_median']:.3f} ({w['step_ms_p10']:.3f}-{w['step_ms_p90']:.3f}) | "
                  f"{p['step_ms_median']:.3f} ({p['step_ms_p10']:.3f}-{p['step_ms_p90']:.3f}) | "
                  f"{mib(w['peak_device_mib'])} / {mib(p['peak_device_mib'])} | {floor} |")
        else:
            if not have_torch:
                why = "(no PyTorch)"
            elif isinstance(p, NotRun):
                why = "(not run: time budget)"
            else:
                why = "(PyTorch run failed)"
                failures.append(f"{name} {prec}: PyTorch bench_peer.py failed")
            print(f"| {shape} | {prec} | {why} | {w['tokens_per_sec']:,.0f} | - | {w['step_ms_median']:.3f} | - | "
                  f"{mib(w['peak_device_mib'])} / - | {floor} |")
    print()
    if a.bf16_only:
        pass  # neither the fused softmax-xent nor the recurrence ran (--bf16-only)
    elif xw:
        line = (f"fused softmax-xent {xw['rows']} x {xw['vocab']}: wuxia {xw['ms']:.3f} ms, "
                f"{xw['extra_mib'] if xw['extra_mib'] is not None else '?'} MiB beyond the inputs ({xw['input_mib']:.0f} MiB)")
        if xp:
            line += f"; F.cross_entropy fwd+bwd {xp['ms']:.3f} ms, {mib(xp['extra_mib'])} MiB beyond the inputs; " \
                    f"**{xp['ms'] / xw['ms']:.2f}x** faster"
            if xp["extra_mib"] and xw["extra_mib"] is not None:
                line += (f", memory beyond the inputs {xw['extra_mib'] / xp['extra_mib']:.3f}x, inputs + beyond "
                         f"{(xw['input_mib'] + xw['extra_mib']) / (xp['input_mib'] + xp['extra_mib']):.2f}x")
        print(line)
    elif isinstance(xw, NotRun):
        print("fused softmax-xent: not run (time budget spent)")
    else:
        failures.append("xent bench")
    print()
    if not a.bf16_only:
        print("| recurrence B, H, T | GEMMs alone fwd ms (TFLOP/s) | with cells fwd ms | fwd fraction | GEMMs alone bwd ms | with cells bwd ms | bwd fraction |")
        print("|---|---|---|---|---|---|---|")
        for r in rec:
            if isinstance(r, NotRun):
                print("| not run (time budget spent) |")
                continue
            if not r:
                failures.append("recurrent bench")
                print("| failed |")
                continue
            print(f"| {r['batch']}, {r['hidden']}, {r['steps']} | {r['fwd_gemm_ms']:.3f} ({r['fwd_gemm_tflops']:.1f}) | "
                  f"{r['fwd_step_ms']:.3f} | **{100 * r['fwd_fraction_of_gemm_alone']:.0f}%** | {r['bwd_gemm_ms']:.3f} | "
                  f"{r['bwd_step_ms']:.3f} | **{100 * r['bwd_fraction_of_gemm_alone']:.0f}%** |")
        print()
    for prec in ("TF32", "BF16"):
        if prec not in loss:
            continue
        if loss.get("FP32") and loss.get(prec):
            (l0, s0, f0), (l1, s1, f1) = loss["FP32"], loss[prec]
            line = (f"{prec} effect (medium model, dropout 0.1, {steps} steps, ancient names): best val loss FP32 "
                    f"{l0:.4f} ({s0:.0f} s) vs {prec} {l1:.4f} ({s1:.0f} s): {l1 - l0:+.4f} nats/token")
            if prec == "BF16":
                line += (f"; final val loss FP32 {f0:.4f} vs BF16 {f1:.4f}: {f1 - f0:+.4f} nats/token "
                         f"({'within' if abs(f1 - f0) <= 0.01 else 'OUTSIDE'} the 0.01 goal)")
            print(line)
        elif isinstance(loss.get("FP32"), NotRun) or isinstance(loss.get(prec), NotRun):
            print(f"{prec} effect: not run (time budget spent)")
        else:
            print(f"{prec} effect: failed (see {out}/bench_gpu.log)")
    print(f"GPU idle fraction, small row: {idle}")
    print(f"\ntotal {time.time() - t_start:.0f} s; raw output in {out}")
    for n in not_run:
        print(f"NOT RUN (time budget spent): {n}")
    for f in failures:
        print(f"FAILED: {f}")
    return 1 if failures else 0


def gpu_idle(a, row, out, log):
    """1 - (union of GPU kernel and copy intervals) / (first start .. last end)
    over a `wuxia bench` run of the small row, from nsys's CUDA GPU trace
    (graph nodes traced one by one)."""
    if not shutil.which("nsys"):
        return "not measured (nsys is not installed)"
    if time.time() > deadline - 60:
        return "not measured (time budget spent)"
    name, data, flags = row
    rep = os.path.join(out, "small-trace")
    cmd = ["nsys", "profile", "--trace=cuda", "--cuda-graph-trace=node", "--force-overwrite=true", "-o", rep,
           a.wuxia, "bench", "--device", "cuda", "--data", data, *flags.split()]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=left(600))
        log.write(f"$ {' '.join(cmd)}  (exit {p.returncode})\n{p.stderr[-2000:]}\n")
        if p.returncode != 0:
            return f"not measured (nsys profile failed, exit {p.returncode})"
        p = subprocess.run(["nsys", "stats", "--report", "cuda_gpu_trace", "--format", "csv", "--output", "-",
                            rep + ".nsys-rep"], capture_output=True, text=True, timeout=left(600))
    except subprocess.TimeoutExpired:
        return "not measured (nsys timed out)"
    text = p.stdout[p.stdout.find("Start"):] if "Start" in p.stdout else ""
    spans = []
    for r in csv.DictReader(io.StringIO(text)):
        try:
            s, d = int(r["Start (ns)"]), int(r["Duration (ns)"])
        except (KeyError, ValueError):
            continue
        spans.append((s, s + d))
    if len(spans) < 10:
        return "not measured (no GPU activity found in the trace)"
    spans.sort()
    # The timed steps are the last part of the run; skip the first 30% of the
    # activity (start-up, uploads, warm-up recording).
    spans = spans[int(0.3 * len(spans)):]
    busy, cur_s, cur_e = 0, spans[0][0], spans[0][1]
    for s, e in spans[1:]:
        if s > cur_e:
            busy += cur_e - cur_s
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    busy += cur_e - cur_s
    span = spans[-1][1] - spans[0][0]
    return f"{100 * (1 - busy / span):.1f}% (busy {busy / 1e6:.2f} ms of {span / 1e6:.2f} ms, {len(spans)} GPU operations)"


if __name__ == "__main__":
    sys.exit(main())
