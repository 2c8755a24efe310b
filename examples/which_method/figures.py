"""The figures. accuracy_heatmap: the table as a picture, one panel per model, a row per method (sorted by its
accuracy at the default), a column per multiplier, each cell's mean test accuracy written in it, the colour scale
covering the 5 points below the best (lower accuracies and diverged runs at its dark end, "div" written in where
every seed diverged, "k/n div" under the mean where k of n did).
accuracy_figure: mean test accuracy (± std over seeds) vs the learning-rate multiplier, one small panel per method
(its name in the title), one line per model (a colour per model); the heat map carries the exact numbers."""
import numpy as np

from ..common.figures import pyplot, save_png
from .config import METHODS


def accuracy_figure(runs, path):
    """Small multiples: one panel per method (no curve hides another), its mean test accuracy ± std over seeds vs
    the multiplier, one line per model (a colour, line style and marker per model, the same in every panel), the
    default (x1) marked; panels in config.METHODS order, learning-rate-free first."""
    plt = pyplot()
    models = list(dict.fromkeys(r["model"] for r in runs))
    # one look per model, the same in every panel and in the legend
    look = {mo: {"color": f"C{k}", "ls": ["-", "--", ":", "-."][k % 4], "marker": "os^v"[k % 4], "ms": 3}
            for k, mo in enumerate(models)}
    methods = [m for m in METHODS if any(r["method"] == m for r in runs)]
    ncol = min(6, len(methods))
    nrow = -(-len(methods) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(2.6 * ncol, 2.2 * nrow + 0.8), squeeze=False, sharex=True,
                             sharey=True)
    for ax, method in zip(axes.flat, methods):
        for model in models:
            rs = [r for r in runs if r["model"] == model and r["method"] == method]
            if not rs:
                continue
            ms = sorted({r["multiplier"] for r in rs})
            acc = [[100 * r["test_accuracy"] for r in rs if r["multiplier"] == m] for m in ms]
            ax.errorbar(ms, [np.mean(a) for a in acc], yerr=[np.std(a) for a in acc], capsize=2, label=model,
                        **look[model])
        free = METHODS[method].family == "learning-rate-free"
        ax.set_title(f"{method}{' (lr-free)' if free else ''}", fontsize=8)
        ax.axvline(1.0, color="0.6", lw=0.8)
        ax.set(xscale="log", ylim=(0, 100))
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=7)
    for ax in axes.flat[len(methods):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("multiplier of the default lr", fontsize=7)
    for ax in axes[:, 0]:
        ax.set_ylabel("test accuracy (%)", fontsize=7)
    n = len({r["seed"] for r in runs})
    fig.legend([plt.Line2D([], [], **look[mo]) for mo in models], models, loc="upper right", fontsize=8,
               ncol=len(models))
    fig.suptitle(f"mean test accuracy ± std over {n} seed{'s' * (n > 1)} vs the learning-rate multiplier "
                 "(grey line: the default, x1; a diverged run counts 0 %)", fontsize=9, x=0.4)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return save_png(fig, path, 90)


def accuracy_heatmap(runs, path, epochs=None):
    plt = pyplot()
    models = list(dict.fromkeys(r["model"] for r in runs))
    fig, axes = plt.subplots(1, len(models), figsize=(5.2 * len(models) + 1.0, 0.32 * len(METHODS) + 1.6),
                             squeeze=False)
    for ax, model in zip(axes[0], models):
        rs = [r for r in runs if r["model"] == model]
        ms = sorted({r["multiplier"] for r in rs})
        methods = list(dict.fromkeys(r["method"] for r in rs))
        acc = np.full((len(methods), len(ms)), np.nan)
        ndiv = np.zeros_like(acc, dtype=int)
        nrun = np.zeros_like(acc, dtype=int)
        for i, me in enumerate(methods):
            for j, mu in enumerate(ms):
                c = [r for r in rs if r["method"] == me and r["multiplier"] == mu]
                if c:
                    acc[i, j] = 100 * np.mean([r["test_accuracy"] for r in c])
                    ndiv[i, j], nrun[i, j] = sum(r["diverged"] for r in c), len(c)
        j1 = ms.index(1.0) if 1.0 in ms else 0
        order = np.argsort(-np.nan_to_num(acc[:, j1], nan=-1.0), kind="stable")
        acc, ndiv, nrun, methods = acc[order], ndiv[order], nrun[order], [methods[k] for k in order]
        top = np.nanmax(acc)
        im = ax.imshow(np.clip(acc, top - 5, top), cmap="viridis", vmin=top - 5, vmax=top, aspect="auto")
        for i in range(len(methods)):
            for j in range(len(ms)):
                if np.isnan(acc[i, j]):
                    continue
                txt = ("div" if ndiv[i, j] == nrun[i, j] else f"{acc[i, j]:.1f}" if acc[i, j] < top - 5
                       else f"{acc[i, j]:.2f}")
                if 0 < ndiv[i, j] < nrun[i, j]:  # the mean counts a diverged seed as 0 %: say how many did
                    txt += f"\n{ndiv[i, j]}/{nrun[i, j]} div"
                ax.text(j, i, txt, ha="center", va="center", fontsize=6.5,
                        color="k" if acc[i, j] > top - 1.5 else "w")
        ax.set_xticks(range(len(ms)), [f"x{m:g}" for m in ms])
        ax.set_yticks(range(len(methods)),
                      [f"{m} {'(lr-free)' if METHODS[m].family == 'learning-rate-free' else ''}" for m in methods],
                      fontsize=7)
        ax.axvline(j1, color="w", lw=0.5, ls=":")
        n = len({r["seed"] for r in rs})
        ax.set(xlabel="multiplier of the method's default learning rate",
               title=f"{model}: mean test accuracy (%), {n} seed{'s' * (n > 1)}"
                     + (f", {epochs} epochs" if epochs else "") + "\nrows sorted by the accuracy at the default (x1)")
        cb = fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02)
        cb.set_label(f"colour: {top - 5:.1f}–{top:.1f} % (lower: darkest)", fontsize=7)
    fig.tight_layout()
    return save_png(fig, path, 100)
