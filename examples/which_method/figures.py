"""The figures. accuracy_heatmap: the table as a picture, one panel per model, a row per method (sorted by its
accuracy at the default), a column per multiplier, each cell's mean test accuracy written in it, the colour scale
covering the 5 points below the best (lower accuracies and diverged runs at its dark end, "div" written in where
every seed diverged, "k/n div" under the mean where k of n did).
accuracy_figure: mean test accuracy (± std over seeds) vs the learning-rate multiplier, one panel per model, one
colour per method (the same in every panel), solid lines for the learning-rate-free optimizers, dashed for the
learning-rate methods; a second row zooms on the top accuracies (its range printed in the title)."""
import numpy as np

from ..common.figures import pyplot, save_png
from .config import METHODS


def colours():
    """method -> colour, fixed by the method's place in config.METHODS (so the same in every figure)."""
    plt = pyplot()
    cmap = list(plt.get_cmap("tab20").colors) + list(plt.get_cmap("Dark2").colors)
    return {m: cmap[i % len(cmap)] for i, m in enumerate(METHODS)}


def accuracy_figure(runs, path):
    plt = pyplot()
    col = colours()
    models = list(dict.fromkeys(r["model"] for r in runs))
    fig, axes = plt.subplots(2, len(models), figsize=(6.5 * len(models), 8.5), squeeze=False)
    for j, model in enumerate(models):
        rs = [r for r in runs if r["model"] == model]
        top = 0.0
        for method in dict.fromkeys(r["method"] for r in rs):
            ms = sorted({r["multiplier"] for r in rs if r["method"] == method})
            acc = [[100 * r["test_accuracy"] for r in rs if r["method"] == method and r["multiplier"] == m]
                   for m in ms]
            mean, std = np.array([np.mean(a) for a in acc]), np.array([np.std(a) for a in acc])
            top = max(top, mean.max())
            ls = "-" if METHODS[method].family == "learning-rate-free" else "--"
            for ax in axes[:, j]:
                ax.errorbar(ms, mean, yerr=std, color=col[method], ls=ls, marker="o", ms=3, capsize=2,
                            label=method)
        n = len({r["seed"] for r in rs})
        axes[0, j].set(xscale="log", ylim=(0, 100), xlabel="multiplier of the default learning rate",
                       ylabel="test accuracy (%)", title=f"{model}: mean ± std over {n} seed{'s' * (n > 1)}")
        lo = max(0.0, top - 5.0)
        axes[1, j].set(xscale="log", ylim=(lo, min(100.0, top + 0.5)), xlabel="multiplier of the default learning rate",
                       ylabel="test accuracy (%)", title=f"{model}, zoom: {lo:.1f} to {min(100.0, top + 0.5):.1f} %")
        for ax in axes[:, j]:
            ax.axvline(1.0, color="0.6", lw=0.8)
            ax.grid(alpha=0.3)
    legend = {}
    for ax in axes[0]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            legend.setdefault(lab, h)
    fig.legend(list(legend.values()), list(legend), loc="center right", fontsize=7,
               title="solid: lr-free\ndashed: lr methods", title_fontsize=7)
    fig.tight_layout(rect=(0, 0, 1 - 1.6 / fig.get_size_inches()[0], 1))  # 1.6 inches for the legend
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
