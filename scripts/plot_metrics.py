#!/usr/bin/env python3
"""Plots `wuxia train --metrics FILE` JSON lines: training and validation loss
against step (top), training tokens/s (bottom). Several files overlay, each
labelled by its name.

Usage: scripts/plot_metrics.py METRICS.jsonl [MORE.jsonl ...] -o plot.png
Needs matplotlib (pip install matplotlib, or Debian's python3-matplotlib)."""
import argparse
import json
import pathlib
import sys


def read(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                sys.exit(f"{path}:{n}: not JSON: {e}")
            if "step" not in row or "loss" not in row:
                sys.exit(f"{path}:{n}: missing 'step' or 'loss'")
            rows.append(row)
    if not rows:
        sys.exit(f"{path}: no metrics")
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("metrics", nargs="+")
    ap.add_argument("-o", "--out", default="metrics.png")
    ap.add_argument("--title", default="wuxia training")
    args = ap.parse_args()
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("plot_metrics.py needs matplotlib: pip install matplotlib")

    fig, (ax_loss, ax_speed) = plt.subplots(2, 1, figsize=(8, 7), sharex=True,
                                            gridspec_kw={"height_ratios": [2, 1]})
    for path in args.metrics:
        rows = read(path)
        label = pathlib.Path(path).stem
        steps = [r["step"] for r in rows]
        line, = ax_loss.plot(steps, [r["loss"] for r in rows], label=f"{label} train", alpha=0.8)
        val = [(r["step"], r["val_loss"]) for r in rows if r.get("val_loss") is not None]
        if val:
            ax_loss.plot(*zip(*val), "o-", color=line.get_color(), label=f"{label} validation")
        ax_speed.plot(steps, [r.get("tokens_per_sec", 0) for r in rows], color=line.get_color(), label=label)
    ax_loss.set_ylabel("loss (nats per token)")
    ax_loss.set_title(args.title)
    ax_loss.legend()
    ax_loss.grid(alpha=0.3)
    ax_speed.set_ylabel("tokens/s")
    ax_speed.set_xlabel("step")
    ax_speed.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
