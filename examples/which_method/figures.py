"""The figure: mean test accuracy (± std over seeds) vs the learning-rate multiplier, one panel per model, one
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
    fig.legend(list(legend.values()), list(legend), loc="center right", fontsize=7, title="solid: lr-free\ndashed: lr methods",
               title_fontsize=7)
    fig.tight_layout(rect=(0, 0, 0.84, 1))
    return save_png(fig, path, 90)
