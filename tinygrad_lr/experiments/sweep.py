"""Grids over the initial learning rate η̄, the hyper-learning rate β and seeds, on the MNIST MLP.

For seed 003's Table 1: every (η̄, β) cell is trained with the first seed; the best cell is re-run with the
other seeds. Reported per method, as in the paper: "fixed η̄" = mean ± std of test accuracy over β at the best
η̄ (robustness to β), "fixed β" = mean ± std over η̄ at the best β (robustness to η̄), "top" = the best cell,
"seeds" = mean ± std of the best cell over seeds, and the wall time of one run.
For seed 002 (method lossgrad): the step size LOSSGRAD settles to and the final loss, per initial η.
"""
import time

import numpy as np

import tinygrad_lr as tl
import tinygrad_lr.functional as F

from ..hyper.base import LRMethod
from ..train import evaluate, fit
from .common import make_method, mnist_split, out_dir, write_csv, write_json

PAPER_MLP = {  # seed 003, Table 1, MLP on MNIST: fixed η̄, fixed β, top, minutes per run
    "firstorder": ("98.37 ± 0.05", "98.19 ± 0.17", "98.43", 14),
    "firstorder-val": ("98.27 ± 0.24", "98.23 ± 0.16", "98.43", 32),
    "rthpo": ("98.42 ± 0.08", "98.30 ± 0.01", "98.49", 14),
    "sgd": ("-", "97.49 ± 1.60", "98.67", None),
    "adadelta": ("-", "-", "98.62", 14),
}
NEEDS_BETA = ("firstorder", "firstorder-val", "rthpo", "rthpo-train")


def _cycle(loader):
    while True:
        yield from loader


def train_run(method, lr, hyper_lr, seed, epochs, data, sizes=(784, 512, 256, 10), batch=128, optimizer="sgd",
              progress=False):
    """Train one MLP; returns test accuracy/loss, the learning-rate trajectory and the wall time."""
    import datasets
    import models
    (Xtr, ytr), (Xva, yva), (Xte, yte) = data
    tl.manual_seed(seed)
    model = models.MLP(list(sizes))
    val_iter = _cycle(datasets.DataLoader(Xva, yva, batch_size=batch, shuffle=True, seed=seed + 1000))

    def val_closure():
        xb, yb = next(val_iter)
        return F.cross_entropy(model(xb), yb)

    stepper, sched = make_method(method, model.parameters(), lr, hyper_lr, val_closure, optimizer)
    train = datasets.DataLoader(Xtr, ytr, batch_size=batch, shuffle=True, seed=seed)
    t0 = time.perf_counter()
    hist = fit(model, stepper, train, epochs, scheduler=sched, progress=progress)
    seconds = time.perf_counter() - t0
    test = evaluate(model, datasets.DataLoader(Xte, yte, batch_size=1000))
    acc = test.get("accuracy", 0.0)
    lrs = [h["lr"] for h in stepper.history] if isinstance(stepper, LRMethod) else [h["lr"] for h in hist]
    return {"method": method, "lr": lr, "hyper_lr": hyper_lr, "seed": seed, "epochs": epochs,
            "test_accuracy": acc if np.isfinite(test["loss"]) else 0.0, "test_loss": test["loss"],
            "train_loss": hist[-1]["loss"], "final_lr": lrs[-1] if lrs else lr, "lr_trace": lrs[::10],
            "skipped": getattr(stepper, "skipped", 0), "seconds": seconds}


def _ms(xs):
    return f"{100 * np.mean(xs):.2f} ± {100 * np.std(xs):.2f}"


def summarize(runs, seeds):
    """Table-1 style robustness summary of one method's runs (first seed over the grid, best cell over seeds)."""
    grid = [r for r in runs if r["seed"] == seeds[0]]
    best = max(grid, key=lambda r: r["test_accuracy"])
    at_eta = [r["test_accuracy"] for r in grid if r["lr"] == best["lr"]]
    at_beta = [r["test_accuracy"] for r in grid if r["hyper_lr"] == best["hyper_lr"]]
    over_seeds = [r["test_accuracy"] for r in runs if r["lr"] == best["lr"] and r["hyper_lr"] == best["hyper_lr"]]
    return {"method": best["method"], "best_lr": best["lr"], "best_hyper_lr": best["hyper_lr"],
            "fixed_eta": _ms(at_eta) if best["method"] in NEEDS_BETA else "-",
            "fixed_beta": _ms(at_beta) if len(at_beta) > 1 else "-",
            "top": f"{100 * best['test_accuracy']:.2f}", "seeds": _ms(over_seeds), "n_seeds": len(over_seeds),
            "minutes_per_run": float(np.mean([r["seconds"] for r in runs]) / 60)}


def run(methods, lrs, hyper_lrs, seeds, epochs, out="runs/sweep", root=None, optimizer="sgd", progress=True,
        log=print, train_size=None, sizes=(784, 512, 256, 10), batch=128):
    """Train every cell; train_size (optional) keeps only the first samples of the training split."""
    out = out_dir(out)
    (Xtr, ytr), val, test = mnist_split(root)
    data = ((Xtr[:train_size], ytr[:train_size]) if train_size else (Xtr, ytr)), val, test
    all_runs, summary = [], []
    for method in methods:
        betas = hyper_lrs if method in NEEDS_BETA else [0.0]
        etas = [None] if method == "adadelta" else lrs
        cells = [(e, b) for e in etas for b in betas]
        runs = []
        bar = _progress(len(cells) + len(seeds) - 1, f"sweep {method}", progress)
        for e, b in cells:
            runs.append(train_run(method, e, b, seeds[0], epochs, data, sizes, batch, optimizer))
            log(f"[{method}] lr {e} hyper_lr {b} seed {seeds[0]}: test accuracy {runs[-1]['test_accuracy']:.4f} "
                f"({runs[-1]['seconds']:.0f} s)")
            bar.update()
        best = max(runs, key=lambda r: r["test_accuracy"])
        for s in seeds[1:]:
            runs.append(train_run(method, best["lr"], best["hyper_lr"], s, epochs, data, sizes, batch, optimizer))
            log(f"[{method}] best cell, seed {s}: test accuracy {runs[-1]['test_accuracy']:.4f}")
            bar.update()
        bar.close()
        all_runs += runs
        summary.append(summarize(runs, seeds))
        write_json(f"{out}/runs.json", all_runs)
    write_csv(f"{out}/summary.csv", summary)
    write_json(f"{out}/summary.json", {"epochs": epochs, "lrs": lrs, "hyper_lrs": hyper_lrs, "seeds": seeds,
                                       "optimizer": optimizer, "train_size": train_size or len(Xtr),
                                       "sizes": list(sizes), "batch": batch, "summary": summary})
    write_csv(f"{out}/runs.csv", [{k: v for k, v in r.items() if k != "lr_trace"} for r in all_runs])
    print_table(summary)
    if "lossgrad" in methods:
        lossgrad_figure([r for r in all_runs if r["method"] == "lossgrad"], f"{out}/lossgrad_lr.png")
    if any(m in NEEDS_BETA for m in methods):
        lr_figure(all_runs, summary, f"{out}/learning_rates.png")
    return summary


def print_table(summary):
    print("\n| method | fixed η̄ (%) | fixed β (%) | top (%) | best cell over seeds (%) | min/run | paper: fixed η̄ / "
          "fixed β / top / min |")
    print("|---|---|---|---|---|---|---|")
    for s in summary:
        p = PAPER_MLP.get(s["method"])
        paper = " / ".join(str(x) for x in p) if p else ""
        print(f"| {s['method']} (η̄={s['best_lr']}, β={s['best_hyper_lr']}) | {s['fixed_eta']} | {s['fixed_beta']} | "
              f"{s['top']} | {s['seeds']} (n={s['n_seeds']}) | {s['minutes_per_run']:.2f} | {paper} |")


def lossgrad_figure(runs, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    for r in sorted(runs, key=lambda r: r["lr"]):
        a.plot(np.arange(len(r["lr_trace"])) * 10, r["lr_trace"], label=f"initial η {r['lr']:g}")
    a.set(yscale="log", xlabel="step", ylabel="LOSSGRAD step size h", title="step size (every 10th step)")
    a.legend(fontsize=7)
    grid = [r for r in runs if r["seed"] == runs[0]["seed"]]
    b.semilogx([r["lr"] for r in grid], [r["test_loss"] for r in grid], "o-")
    b.set(xlabel="initial η", ylabel="test loss", title="final test loss vs initial η")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def lr_figure(runs, summary, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    for s in summary:
        r = next((r for r in runs if r["method"] == s["method"] and r["lr"] == s["best_lr"]
                  and r["hyper_lr"] == s["best_hyper_lr"]), None)
        if r and len(r["lr_trace"]) > 2:
            ax.plot(np.arange(len(r["lr_trace"])) * 10, r["lr_trace"], label=s["method"])
    ax.set(xlabel="step", ylabel="η", title="learning rate of the best cell")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


class _NoBar:
    def update(self, n=1):
        pass

    def close(self):
        pass


def _progress(total, desc, on):
    if not on:
        return _NoBar()
    try:
        from tqdm.auto import tqdm
        return tqdm(total=total, desc=desc, leave=False)
    except ImportError:
        return _NoBar()
