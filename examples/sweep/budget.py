"""Is a sweep's budget convergence? Compare the runs of two sweeps that differ only in their number of epochs (the
same cells at a longer budget, e.g. the best cells of Table 1 at 20 and at 40 epochs): per (method, η̄, β, seed),
the test accuracy at both budgets and the best validation accuracy before and after the shorter budget.

    python -m tinygrad_lr.examples.sweep.budget docs/results/table1_full docs/results/table1_check40 \
        --figure docs/results/table1_check40/budget_validation_curves.png
"""
import argparse
import glob
import os

import numpy as np


def load_runs(out):
    """{(method, lr, hyper_lr, seed): result} of the finished cells under <out>/cells."""
    from tinygrad_lr import checkpoint
    runs = {}
    for f in sorted(glob.glob(os.path.join(out, "cells", "*.npz"))):
        r = checkpoint.load(f)["result"]
        runs[(r["method"], r["lr"], r["hyper_lr"], r["seed"])] = r
    return runs


def compare(short_out, long_out):
    """Rows for every run of the longer sweep: test accuracy at the short budget (None when the short sweep did
    not run that cell) and at the long one, best validation accuracy in the short budget's epochs and after."""
    short, rows = load_runs(short_out), []
    for k, r in sorted(load_runs(long_out).items(), key=lambda kv: (kv[0][0], kv[0][2], kv[0][3])):
        s = short.get(k)
        n = s["epochs"] if s else len(r["val_curve"]) // 2
        v = 100 * np.array([np.nan if x is None else x for x in r["val_curve"]], dtype=float)
        rows.append({"method": k[0], "lr": k[1], "hyper_lr": k[2], "seed": k[3], "short_epochs": n,
                     "long_epochs": len(v), "test_short": None if s is None else 100 * s["test_accuracy"],
                     "test_long": 100 * r["test_accuracy"], "best_val_short": float(np.nanmax(v[:n])),
                     "best_val_long": float(np.nanmax(v[n:]))})
    return rows


def table(rows):
    n, m = (rows[0]["short_epochs"], rows[0]["long_epochs"]) if rows else (0, 0)
    lines = [f"| method (η̄, β) | seed | test acc. at {n} epochs (%) | at {m} epochs (%) | best val. epochs 1–{n} | "
             f"best val. epochs {n + 1}–{m} |", "|---|---|---|---|---|---|"]
    for r in rows:
        short = "–" if r["test_short"] is None else f"{r['test_short']:.2f}"
        lr = "–" if r["lr"] is None else f"{r['lr']:g}"  # AdaDelta has no η̄
        lines.append(f"| {r['method']} ({lr}, {r['hyper_lr']:g}) | {r['seed']} | {short} | "
                     f"{r['test_long']:.2f} | {r['best_val_short']:.2f} | {r['best_val_long']:.2f} |")
    return "\n".join(lines)


def figure(long_out, path):
    """The validation curves of every cell of the longer sweep (one colour per method, seed 0 thick), as the sweep's
    own validation_curves.png draws a grid's best cells: what "has it stopped improving?" looks like."""
    from .figures import validation_figure
    runs = list(load_runs(long_out).values())
    cells = sorted({(r["method"], r["lr"], r["hyper_lr"]) for r in runs}, key=lambda c: (c[0], str(c[1]), c[2]))
    summary = [{"method": m, "best_lr": lr, "best_hyper_lr": b} for m, lr, b in cells]
    model = runs[0].get("model", "mlp") if runs else "mlp"
    n = max(len(r["val_curve"]) for r in runs) if runs else 0
    validation_figure(runs, summary, path, title=f"validation accuracy, {'LeNet-5' if model == 'lenet' else 'MLP'} on "
                      f"MNIST, the best cells at {n} epochs\n(seed 0 thick, seeds 1, 2 thin)")


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m tinygrad_lr.examples.sweep.budget", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("short", help="the sweep's output folder at the shorter budget")
    p.add_argument("long", help="the same cells at a longer budget")
    p.add_argument("--figure", metavar="PATH", help="also draw the longer runs' validation curves (PNG) there")
    a = p.parse_args(argv)
    for d in (a.short, a.long):
        if not os.path.isdir(os.path.join(d, "cells")):
            p.error(f"{d} has no cells/ folder (not a sweep's output)")
    print(table(compare(a.short, a.long)))
    if a.figure:
        figure(a.long, a.figure)
        print(f"wrote {a.figure}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
