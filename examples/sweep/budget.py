"""Is a sweep's budget convergence? Compare the runs of two sweeps that differ only in their number of epochs (the
same cells at a longer budget, e.g. the best cells of Table 1 at 20 and at 40 epochs): per (method, η̄, β, seed),
the test accuracy at both budgets and the best validation accuracy before and after the shorter budget.

    python -m tinygrad_lr.examples.sweep.budget docs/results/table1_full docs/results/table1_check40
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


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m tinygrad_lr.examples.sweep.budget", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("short", help="the sweep's output folder at the shorter budget")
    p.add_argument("long", help="the same cells at a longer budget")
    a = p.parse_args(argv)
    for d in (a.short, a.long):
        if not os.path.isdir(os.path.join(d, "cells")):
            p.error(f"{d} has no cells/ folder (not a sweep's output)")
    print(table(compare(a.short, a.long)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
