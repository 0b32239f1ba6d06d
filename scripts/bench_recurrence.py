#!/usr/bin/env python3
"""Issue 30's measurement: the fused LSTM recurrence (--recurrence fused,
kernels/lstm_recurrence.cu) against the step loop, both timed by `wuxia
bench --op recurrent` in one run, and against cuDNN (scripts/bench_peer.py
recurrent), over a grid of batch and hidden sizes. Prints a markdown table
and the goal's verdict: at every B <= 128 where --recurrence auto picks the
fused path, forward and backward each at least 2x the step loop's speed.

  bench_recurrence.py WUXIA [--device cuda] [--steps 16] [--iters 50]
                      [--batches 16,64,128,256] [--hidden 32,64,96,128,256]
                      [--no-peer] [--json-out FILE]

Exit status: 0 when every wuxia run ran (whether the goal held is in the
output, a measurement rather than a fault), 1 when one failed. A missing
PyTorch leaves the cuDNN column empty. --device cpu rehearses it without a
GPU (the CPU's fused op is the step loop itself: ~1x).
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run_json(cmd, timeout):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        return None, (p.stdout + p.stderr).strip().splitlines()[-1:] or ["exit %d" % p.returncode]
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    return (json.loads(lines[-1]), None) if lines else (None, ["no JSON line"])


def ints(s):
    return [int(x) for x in s.split(",") if x]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("wuxia")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--steps", type=int, default=16, help="T")
    ap.add_argument("--iters", type=int, default=50)
    ap.add_argument("--batches", default="16,64,128,256")
    ap.add_argument("--hidden", default="32,64,96,128,256")
    ap.add_argument("--no-peer", action="store_true", help="skip cuDNN (bench_peer.py)")
    ap.add_argument("--json-out", help="append every run's JSON here")
    a = ap.parse_args()

    rows, failures, goal_cells, goal_missed = [], [], 0, []
    print("| B | H | auto runs | steps fwd ms | fused fwd ms | fwd x | steps bwd ms | fused bwd ms | bwd x "
          "| cuDNN fwd ms | cuDNN bwd ms |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for b in ints(a.batches):
        for h in ints(a.hidden):
            cmd = [a.wuxia, "bench", "--op", "recurrent", "--device", a.device, "--batch", str(b), "--hidden",
                   str(h), "--steps", str(a.steps), "--iters", str(a.iters), "--json"]
            j, err = run_json(cmd, 300)
            if j is None:
                failures.append(f"B={b} H={h}: {' '.join(err)}")
                print(f"| {b} | {h} | FAILED (below) | | | | | | | | |")
                continue
            peer = None
            if not a.no_peer:
                pcmd = [sys.executable, os.path.join(HERE, "bench_peer.py"), "recurrent", "--device", a.device,
                        "--batch", str(b), "--hidden", str(h), "--steps", str(a.steps), "--iters", str(a.iters),
                        "--json"]
                peer, _ = run_json(pcmd, 300)
            if a.json_out:
                with open(a.json_out, "a") as f:
                    f.write(json.dumps(j) + "\n")
                    if peer:
                        f.write(json.dumps(peer) + "\n")
            fused = j.get("fused_runs")

            def num(k, fmt="%.3f"):
                v = j.get(k)
                return fmt % v if isinstance(v, (int, float)) else "-"

            pf = "%.3f" % peer["fwd_ms"] if peer else "-"
            pb = "%.3f" % peer["bwd_ms"] if peer else "-"
            print(f"| {b} | {h} | {j.get('auto_picks')} | {num('fwd_step_ms')} | {num('fwd_fused_ms')} "
                  f"| {num('fwd_fused_speedup', '%.2f')} | {num('bwd_step_ms')} | {num('bwd_fused_ms')} "
                  f"| {num('bwd_fused_speedup', '%.2f')} | {pf} | {pb} |")
            if b <= 128 and fused and j.get("auto_picks") == "fused":
                goal_cells += 1
                if j["fwd_fused_speedup"] < 2 or j["bwd_fused_speedup"] < 2:
                    goal_missed.append(f"B={b} H={h} ({j['fwd_fused_speedup']:.2f}x, {j['bwd_fused_speedup']:.2f}x)")
    print()
    if goal_cells == 0:
        print("goal (B <= 128, fused >= 2x the step loop where auto picks it): NOT MEASURED (auto picked fused nowhere)")
    elif goal_missed:
        print(f"goal (B <= 128, fused >= 2x the step loop where auto picks it): MISSED at {len(goal_missed)} of "
              f"{goal_cells}: " + "; ".join(goal_missed))
    else:
        print(f"goal (B <= 128, fused >= 2x the step loop where auto picks it): MET at all {goal_cells}")
    for f in failures:
        print("FAILED " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
