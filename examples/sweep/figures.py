"""The sweep's figures, one colour per method in all of them (COLOURS): the validation curves of each method's best
cell over seeds, test accuracy over the (η̄, β) grid (Table 1 of Majumder, Donini & Chaudhari 2019), the learning
rate of each method's best cell, and LOSSGRAD's step size per initial η (Wójcik, Maziarka & Tabor 2019, "LOSSGRAD:
automatic learning rate in gradient descent", arXiv:1902.07656)."""
import numpy as np

from ..common.figures import pyplot, save_png

COLOURS = {"sgd": "tab:gray", "expdecay": "tab:brown", "adadelta": "tab:purple", "firstorder": "tab:blue",
           "firstorder-val": "tab:orange", "rthpo": "tab:red", "rthpo-train": "tab:pink", "lossgrad": "tab:green"}
NAMES = {"sgd": "SGD (grid search)", "expdecay": "exponential decay", "adadelta": "AdaDelta",
         "firstorder": "First-order (Train)", "firstorder-val": "First-order (Val)", "rthpo": "RT-HPO",
         "rthpo-train": "RT-HPO (train)", "lossgrad": "LOSSGRAD"}


def _best_runs(runs, s):
    return sorted((r for r in runs if r["method"] == s["method"] and r["lr"] == s["best_lr"]
                   and r["hyper_lr"] == s["best_hyper_lr"]), key=lambda r: r["seed"])


def lossgrad_figure(runs, path):
    plt = pyplot()
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    for r in sorted(runs, key=lambda r: r["lr"]):
        a.plot(np.arange(len(r["lr_trace"])) * 10, r["lr_trace"], label=f"initial η {r['lr']:g}")
    a.set(yscale="log", xlabel="step", ylabel="LOSSGRAD step size h", title="step size (every 10th step)")
    a.legend(fontsize=7)
    grid = [r for r in runs if r["seed"] == runs[0]["seed"]]
    b.semilogx([r["lr"] for r in grid], [r["test_loss"] for r in grid], "o-", color=COLOURS["lossgrad"])
    b.set(xlabel="initial η", ylabel="test loss", title="final test loss vs initial η")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _diverged(r):
    return not r["test_accuracy"] >= 0.2  # chance is 10 %


def lr_figure(runs, summary, path):
    """The learning rate η_t of each method's best cell, every seed (seed 0 thick), on a linear axis (η_t can go
    negative); the axis covers the runs that did not diverge, a diverged run's η leaves it (said in the legend)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    seen = []
    for s in summary:
        for r in _best_runs(runs, s):
            if len(r["lr_trace"]) <= 2:
                continue
            t = np.asarray(r["lr_trace"], dtype=float)
            name = f"{NAMES.get(s['method'], s['method'])} (η̄={s['best_lr']:g}, β={s['best_hyper_lr']:g})"
            label = (name if r["seed"] == 0 else None) if not _diverged(r) else \
                f"{NAMES.get(s['method'], s['method'])}, seed {r['seed']}: diverged (η → {t[np.argmax(abs(t))]:.1e})"
            if not _diverged(r):
                seen.append(t)
            ax.plot(np.arange(len(t)) * 10, t, color=COLOURS.get(s["method"], "k"),
                    lw=1.2 if r["seed"] == 0 else 0.6, alpha=1.0 if r["seed"] == 0 else 0.6,
                    ls="-" if not _diverged(r) else ":", label=label)
    if seen:
        lo, hi = min(0.0, min(t.min() for t in seen)), max(t.max() for t in seen)
        ax.set_ylim(lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo))
    ax.axhline(0.0, color="k", lw=0.6)
    ax.set(xlabel="step", ylabel="η (linear)", title="learning rate of each method's best cell (seed 0 thick, seeds "
           "1, 2 thin)")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)
    fig.tight_layout()
    save_png(fig, path, 90)


def validation_figure(runs, summary, path, title=""):
    """Validation accuracy per epoch of each method's best cell, every seed: has the budget converged? The axis is
    zoomed on the runs that trained (its range is in the label); a diverged run is named in the legend."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    lows, highs = [], []
    for s in summary:
        for r in _best_runs(runs, s):
            v = 100 * np.array([np.nan if x is None else x for x in r["val_curve"]], dtype=float)
            if _diverged(r):
                ax.plot([], [], color=COLOURS.get(s["method"], "k"), ls=":",
                        label=f"{NAMES.get(s['method'], s['method'])}, seed {r['seed']}: diverged "
                              f"(≈ {np.nanmax(v[-1:]):.0f} %, off the axis)")
                continue
            lows.append(np.nanmin(v[len(v) // 2:]))
            highs.append(np.nanmax(v))
            ax.plot(np.arange(1, len(v) + 1), v, color=COLOURS.get(s["method"], "k"),
                    lw=1.3 if r["seed"] == 0 else 0.7, alpha=1.0 if r["seed"] == 0 else 0.6,
                    label=NAMES.get(s["method"], s["method"]) if r["seed"] == 0 else None)
    # the axis: from below the lowest point of the runs' second halves to above the highest point of any run
    lo = float(np.floor(np.nanmin(lows) - 0.5)) if lows else 90.0
    hi = min(100.0, float(np.ceil(2 * (np.nanmax(highs) + 0.1)) / 2) if highs else 100.0)
    ax.set_ylim(lo, max(hi, lo + 1.0))
    ax.set(xlabel="epoch", ylabel=f"validation accuracy (%), zoomed to {lo:g}–{max(hi, lo + 1.0):g}",
           title=title or "validation accuracy of each method's best cell (seed 0 thick, seeds 1, 2 thin)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    save_png(fig, path, 90)


def grid_figure(runs, summary, seed, path, title=""):
    """Test accuracy over η̄ for every β (one panel per method with β): Table 1's robustness columns as curves.
    Diverged cells (accuracy < 20 %) are drawn at the panel's floor with an x."""
    plt = pyplot()
    methods = [s["method"] for s in summary if len({r["hyper_lr"] for r in runs if r["method"] == s["method"]}) > 1
               or s["method"] in ("sgd", "expdecay")]
    if not methods:
        return None
    fig, axes = plt.subplots(1, len(methods), figsize=(3.4 * len(methods), 3.6), sharey=True, squeeze=False)
    ok = [100 * r["test_accuracy"] for r in runs if r["seed"] == seed and r["test_accuracy"] > 0.2]
    floor = np.floor(min(ok)) - 1 if ok else 0.0
    for ax, m in zip(axes[0], methods):
        grid = [r for r in runs if r["method"] == m and r["seed"] == seed]
        betas = sorted({r["hyper_lr"] for r in grid})
        for i, b in enumerate(betas):
            cells = sorted((r for r in grid if r["hyper_lr"] == b), key=lambda r: r["lr"])
            x = [r["lr"] for r in cells]
            y = [max(100 * r["test_accuracy"], floor) for r in cells]  # diverged: drawn at the floor
            ax.plot(x, y, "o-", color=COLOURS.get(m, "k"), alpha=0.35 + 0.65 * (i + 1) / len(betas), lw=1.2, ms=3,
                    label=f"β = {b:g}" if len(betas) > 1 else None)
            bad = [(xx, floor) for xx, r in zip(x, cells) if r["test_accuracy"] < 0.2]
            if bad:
                ax.plot(*zip(*bad), "x", color="k", ms=7)
        ax.set(xscale="log", xlabel="initial learning rate η̄", title=NAMES.get(m, m))
        ax.grid(alpha=0.3)
        if len(betas) > 1:
            ax.legend(fontsize=7, title="shade: β", title_fontsize=7)
    axes[0][0].set_ylabel(f"test accuracy (%), seed {seed}; x = diverged")
    axes[0][0].set_ylim(floor - 0.3, 100 if floor > 97 else None)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    save_png(fig, path, 90)
