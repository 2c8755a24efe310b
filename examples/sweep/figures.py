"""The sweep's figures: LOSSGRAD's step size per initial η (Wójcik, Maziarka & Tabor 2019, "LOSSGRAD: automatic
learning rate in gradient descent", arXiv:1902.07656) and the learning rate of each method's best cell."""
import numpy as np

from ..common.figures import pyplot


def lossgrad_figure(runs, path):
    plt = pyplot()
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
    plt = pyplot()
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
